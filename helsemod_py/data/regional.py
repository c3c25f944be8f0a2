"""Regional supply: base-year personnel by municipality and sector, and where new staff start.

Supply is a stock of persons per municipality (the labour pool its services draw on); each year
its health-care FTE is shared among the sectors of work (:data:`helsemod_py.dims.SECTORS`) by
``sector_share``. This module builds, for a dataset's regions, the arrays that make that pool
regional rather than a national total spread by users:

1. **Filled FTE by municipality, sector and group in the base year** (``F[r, q, g]``):
   *measured* where a table gives it (KOSTRA's nurse FTE in municipal care, ``Y_5``; the staff
   tables of SSB 11924/14534/11996/13953 via :mod:`helsemod_py.data.staff`), otherwise
   *estimated*: a group's national FTE in a service (the facts' service shares) spread over
   municipalities in proportion to the service's users; specialist FTE per hospital trust
   (measured or the trust's share of specialist users) spread over the trust's catchment in
   proportion to its working-age population (where staff live). Each group's national total
   stays that of the national facts: where measured cells differ from it, the group's
   unmeasured sectors take the difference. An *employed* table (SSB 07940/07944: employed
   persons with each health education in health and care, by municipality) moves a group's
   unmeasured FTE between the municipalities it covers so that they follow its employed persons
   (still *estimated*: persons, not FTE, and by residence).
2. **Stock** (persons by sex and age): the national age profile of the group tilted by the
   municipality's own working-age structure (older places have older staff and more
   retirements), scaled so the stock yields ``F`` summed over sectors.
3. **Vacancies by county**: the national shortage of a group (NAV) shared among counties by
   NAV's county survey (blended with the county's share of FTE by a credibility weight), as a
   rate on each municipality's filled FTE. Base-year demand = filled + vacancies, shared among
   a sector's services in proportion to users.
4. **Where new staff start**: graduates settle like the people of their age and sex (so
   places young adults leave get few); a weight of nurse graduates may instead start in the
   county of their study place (study places by county, stay shares) — the weight, like the
   workforce's migration factor, is chosen by calibration on 2015-2019
   (``benchmarks/backtest_regional.py --calibrate``). Immigrants settle like the group's jobs.

Every cell of ``F`` carries a provenance code in ``supply_source``: :data:`SOURCE_CODES`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import dims as D
from ..errors import ImportDataError

#: Provenance codes of ``supply_source`` (dataset parameter) and their names in results.
SOURCE_CODES = {0: "synthetic", 1: "estimated", 2: "measured"}
SYNTHETIC, ESTIMATED, MEASURED = 0, 1, 2

_Q = {q: i for i, q in enumerate(D.SECTORS)}
_G = {g: i for i, g in enumerate(D.GROUPS)}


@dataclass
class NationalSupply:
    """National supply of each group from the facts (persons, rates, FTE per person).

    Shapes: ``stock``, ``exit_rate``, ``participation``, ``avg_fte``, ``entry_dist`` [G, S, Aw];
    ``share_hc``, ``sick_leave``, ``graduates``, ``immigrants``, ``vacancies`` [G];
    ``service_shares`` [G, K] (rows sum to 1).
    """

    stock: np.ndarray
    exit_rate: np.ndarray
    participation: np.ndarray
    avg_fte: np.ndarray
    entry_dist: np.ndarray
    share_hc: np.ndarray
    sick_leave: np.ndarray
    graduates: np.ndarray
    immigrants: np.ndarray
    vacancies: np.ndarray
    service_shares: np.ndarray

    def fte_per_person(self) -> np.ndarray:
        """FTE in health care per person of the stock, by group, sex and age [G, S, Aw]."""
        return self.participation * self.share_hc[:, None, None] * self.avg_fte * (1 - self.sick_leave)[:, None, None]

    def fte(self) -> np.ndarray:
        """National FTE in health care by group [G] (after sick leave)."""
        return (self.stock * self.fte_per_person()).sum(axis=(1, 2))


@dataclass
class Measured:
    """Base-year FTE measured by region: the inputs that make supply real.

    ``care_nurses`` [R]: FTE of all nurse-educated groups in municipal care (KOSTRA ``Y_5``),
    NaN where not measured; ``staff``: a staff table (:mod:`helsemod_py.data.staff` columns
    level, region, sector, group, fte) of one year; ``sources``: text for the metadata.
    """

    care_nurses: np.ndarray | None = None
    staff: pd.DataFrame | None = None
    employed: pd.DataFrame | None = None  # region, group, persons: employed in health and care by municipality
    sources: list[str] = field(default_factory=list)


def _latest(table: pd.DataFrame, year: int, what: str) -> tuple[pd.DataFrame, int]:
    """The rows of the latest year up to ``year`` (one year for every table, so no cell mixes years)."""
    years = sorted({int(y) for y in table["year"]} if len(table) else set())
    usable = [y for y in years if y <= year]
    if not usable:
        raise ImportDataError(f"{table.attrs.get('file', what)}: column 'year': no rows for {year} or "
                              f"earlier (the table has {', '.join(map(str, years)) or 'no years'})")
    return table[table["year"] == usable[-1]], usable[-1]


def with_staff(measured: Measured, staff: pd.DataFrame, year: int) -> Measured:
    """``measured`` plus the rows of a staff table (:mod:`helsemod_py.data.staff`) of the latest
    year up to ``year``."""
    rows, chosen = _latest(staff, year, "staff table")
    tables = ", ".join(sorted({str(t) for t in rows["table"]}))
    return dataclasses.replace(measured, staff=rows, sources=[
        *measured.sources, f"staff table {staff.attrs.get('file', '')} {chosen} (SSB {tables})"])


def with_employed(measured: Measured, employed: pd.DataFrame, year: int) -> Measured:
    """``measured`` plus an employed table (:data:`helsemod_py.data.staff.EMPLOYED_COLUMNS`) of the
    latest year up to ``year``: where each group's unmeasured FTE are, by municipality."""
    rows, chosen = _latest(employed, year, "employed table")
    tables = ", ".join(sorted({str(t) for t in rows["table"]}))
    return dataclasses.replace(measured, employed=rows, sources=[
        *measured.sources, f"employed table {employed.attrs.get('file', '')} {chosen} (SSB {tables}): where the "
        "unmeasured FTE of each group it covers are"])


def with_tables(measured: Measured, year: int, staff: pd.DataFrame | None = None,
                employed: pd.DataFrame | None = None) -> Measured:
    """``measured`` plus whichever of a staff and an employed table is given."""
    if staff is not None:
        measured = with_staff(measured, staff, year)
    if employed is not None:
        measured = with_employed(measured, employed, year)
    return measured


@dataclass
class RegionalSupply:
    """The regional supply arrays of a dataset (see the module docstring) and notes."""

    stock: np.ndarray  # [R, G, S, Aw] persons
    sector_share: np.ndarray  # [R, Q, G] /1
    supply_source: np.ndarray  # [R, Q, G] provenance codes
    base_demand_fte: np.ndarray  # [R, K, G] FTE
    graduate_region_share: np.ndarray  # [R, G]
    immigrant_region_share: np.ndarray  # [R, G]
    filled_fte: np.ndarray  # [R, Q, G] FTE
    vacancies: np.ndarray  # [R, Q, G] FTE
    notes: dict = field(default_factory=dict)


def migration_components(net_migration: np.ndarray, population: np.ndarray, regions) -> tuple[np.ndarray, np.ndarray]:
    """The population's net migration rate [R, S, A] split, at working ages [R, S, Aw], into the
    county's rate less the nation's (``migration_between_counties``) and the municipality's less its
    county's (``migration_within_county``); means weighted by ``population`` [R, S, A]. The nation's
    rate (mostly migration from abroad) is left out: immigrant staff enter supply as ``immigrants``."""
    w0, w1 = D.WORK_AGE_MIN, D.WORK_AGE_MAX + 1
    rate = np.asarray(net_migration, dtype=np.float64)[:, :, w0:w1]
    weight = np.asarray(population, dtype=np.float64)[:, :, w0:w1]
    cm = _county_matrix(regions)
    w_c = np.einsum("cr,rsa->csa", cm, weight)
    r_c = np.divide(np.einsum("cr,rsa->csa", cm, rate * weight), w_c, out=np.zeros(w_c.shape), where=w_c > 0)
    total = weight.sum(axis=0)
    r_n = np.divide((rate * weight).sum(axis=0), total, out=np.zeros(total.shape), where=total > 0)
    county = r_c[regions.county_index()]
    return county - r_n[None], rate - county


def _county_matrix(regions) -> np.ndarray:
    """[C, R] one-hot membership of municipalities in counties (``regions.counties`` order)."""
    m = np.zeros((len(regions.counties), len(regions)))
    m[regions.county_index(), np.arange(len(regions))] = 1.0
    return m


def _share(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """``x`` divided by its sum along ``axis`` (uniform where the sum is zero)."""
    s = x.sum(axis=axis, keepdims=True)
    n = x.shape[axis]
    return np.divide(x, s, out=np.full(x.shape, 1.0 / n), where=s > 0)


def estimated_fte(nat: NationalSupply, users: np.ndarray, catchment, work_pop: np.ndarray) -> np.ndarray:
    """Filled FTE [R, K, G] of every group in every service, spread by users (specialist by trust).

    ``users`` [R, K]; ``catchment``: :class:`~helsemod_py.data.trusts.Catchment`;
    ``work_pop`` [R] persons of working age (where specialist staff live).
    """
    fte_k = nat.fte()[:, None] * nat.service_shares  # [G, K]
    out = fte_k.T[None, :, :] * _share(users, axis=0)[:, :, None]  # [R, K, G]
    ks = D.SERVICES.index("specialist")
    out[:, ks, :] = _specialist_by_trust(fte_k[:, ks], users[:, ks], catchment, work_pop)
    return out


def _specialist_by_trust(national: np.ndarray, users: np.ndarray, catchment, work_pop: np.ndarray,
                         trust_fte: np.ndarray | None = None) -> np.ndarray:
    """Specialist FTE [R, G]: each trust's FTE (``trust_fte`` [H, G], else ``national`` [G] shared
    by the catchment's specialist users) spread over its catchment by working-age population."""
    w = catchment.weights  # [H, R]
    if trust_fte is None:
        trust_users = w @ users  # [H]
        trust_fte = _share(trust_users)[:, None] * national[None, :]
    alloc = _share(w * work_pop[None, :], axis=1)  # [H, R]: trust h's staff living in r
    return alloc.T @ trust_fte  # [R, G]


def _by_sector(fte_k: np.ndarray) -> np.ndarray:
    """Sum a [R, K, G] array over the services of each sector -> [R, Q, G]."""
    out = np.zeros((fte_k.shape[0], len(D.SECTORS), fte_k.shape[2]))
    np.add.at(out, (slice(None), D.service_sector_index()), fte_k)
    return out


def apply_measured(estimate_k: np.ndarray, nat: NationalSupply, measured: Measured, regions, catchment,
                   work_pop: np.ndarray, users: np.ndarray, source_name: str = "measured") -> tuple[np.ndarray, np.ndarray, dict]:
    """Filled FTE by sector [R, Q, G] and provenance [R, Q, G] from estimates and measured cells.

    Measured cells replace estimates; for each group with measured cells the unmeasured cells
    are scaled so the national total stays the facts' (raises :class:`ImportDataError` if the
    measured cells alone exceed it). Returns ``(F, source, notes)``.
    """
    F = _by_sector(estimate_k)
    source = np.full(F.shape, ESTIMATED, dtype=np.int64)
    fixed = np.zeros(F.shape, dtype=bool)
    notes: dict = {}
    codes = {c: i for i, c in enumerate(regions.codes)}
    qc = _Q["care"]
    if measured.care_nurses is not None:
        nurse_idx = [_G[g] for g in D.NURSE_GROUPS]
        est = F[:, qc, nurse_idx]  # [R, Gn]
        have = np.isfinite(measured.care_nurses)
        filled = _county_fill(measured.care_nurses, est.sum(axis=1), regions)
        cap = nat.fte()[nurse_idx] * MAX_CARE_SHARE
        split = _capped_split(est.sum(axis=0), cap, filled.sum())
        if split is None:
            raise ImportDataError(f"{source_name}: measured nurse FTE in municipal care ({filled.sum():,.0f}) exceed "
                                  f"{MAX_CARE_SHARE:.0%} of the nurse groups' national FTE in the facts "
                                  f"({cap.sum() / MAX_CARE_SHARE:,.0f}); check the year and units of the measured "
                                  "table")
        F[:, qc, nurse_idx] = filled[:, None] * split[None, :]
        fixed[:, qc, nurse_idx] = True
        source[np.ix_(np.flatnonzero(have), [qc], nurse_idx)] = MEASURED
        notes["care_nurses_from_county_ratio"] = [regions.codes[i] for i in np.flatnonzero(~have)]
    if measured.staff is not None and len(measured.staff):
        _apply_staff(F, source, fixed, measured.staff, codes, catchment, work_pop, users, notes)
    if measured.employed is not None and len(measured.employed):
        _apply_employed(F, fixed, measured.employed, codes, notes)
    total = nat.fte()
    for g in range(F.shape[2]):
        if not fixed[:, :, g].any():
            continue
        free = F[:, :, g][~fixed[:, :, g]].sum()
        need = total[g] - F[:, :, g][fixed[:, :, g]].sum()
        if need < 0 or (free <= 0 and need > 1e-6 * max(total[g], 1.0)):
            raise ImportDataError(
                f"{source_name}: measured FTE of {D.GROUPS[g]} ({F[:, :, g][fixed[:, :, g]].sum():,.0f}) leave "
                f"{need:,.0f} for its other sectors, against a national total of {total[g]:,.0f} FTE in the facts; "
                "check the year and units of the measured tables")
        scale = need / free if free > 0 else 0.0
        F[:, :, g] = np.where(fixed[:, :, g], F[:, :, g], F[:, :, g] * scale)
        notes.setdefault("rescaled_unmeasured", {})[D.GROUPS[g]] = round(float(scale), 4)
    return F, source, notes


#: Largest share of a nurse group's national FTE that the split of KOSTRA's nurse total may put in care.
MAX_CARE_SHARE = 0.95


def _capped_split(weight: np.ndarray, cap: np.ndarray, total: float) -> np.ndarray | None:
    """Shares of ``total`` in proportion to ``weight`` with no part above ``cap`` (water-filling:
    the excess goes to the parts below their caps); None when ``total`` exceeds every cap together."""
    if total <= 0:
        return _share(weight)
    if total > cap.sum():
        return None
    fixed = np.zeros(len(weight), dtype=bool)
    while True:  # each round caps at least one part; some part stays below its cap (total <= sum of caps)
        rest = total - cap[fixed].sum()
        part = np.where(fixed, cap, rest * _share(np.where(fixed, 0.0, weight)))
        over = ~fixed & (part > cap)
        if not over.any():
            return part / total
        fixed |= over


def _county_fill(values: np.ndarray, weight: np.ndarray, regions) -> np.ndarray:
    """``values`` [R] with NaN filled as the county's (else the nation's) value per unit ``weight``."""
    out = np.array(values, dtype=np.float64)
    have = np.isfinite(out)
    if not have.any():
        raise ImportDataError("measured care nurse FTE: no municipality has a value")
    county = regions.county_index()
    nat_ratio = out[have].sum() / max(weight[have].sum(), 1e-12)
    for i in np.flatnonzero(~have):
        sel = have & (county == county[i])
        ratio = out[sel].sum() / weight[sel].sum() if weight[sel].sum() > 0 else nat_ratio
        out[i] = ratio * weight[i]
    return out


def _apply_employed(F, fixed, employed: pd.DataFrame, codes: dict, notes) -> None:
    """Move each covered group's FTE between the municipalities of the employed table so that, among
    them, its FTE in all sectors follow its employed persons; measured cells stay, the unmeasured
    cells of a municipality take what is left (at least 0) in the sectors' estimated proportions.
    Municipalities without a row keep the estimate; the national rescaling follows."""
    table = employed.assign(r=employed["region"].astype(str).map(codes)).dropna(subset=["r"])
    moved = []
    for group, rows in table.groupby("group"):
        g = _G.get(str(group))
        if g is None:
            continue
        r = rows["r"].to_numpy(dtype=np.int64)
        persons = rows["persons"].to_numpy(dtype=np.float64)
        cells = F[r, :, g]  # [n, Q]
        total = cells.sum()
        if persons.sum() <= 0 or total <= 0:
            continue
        target = total * persons / persons.sum()  # [n] FTE in all sectors
        fix = fixed[r, :, g]
        free_now = np.where(fix, 0.0, cells)
        free_sum = free_now.sum(axis=1)
        want = np.maximum(target - np.where(fix, cells, 0.0).sum(axis=1), 0.0)
        national = _share(free_now.sum(axis=0))  # sector split where a municipality had no free FTE
        split = np.where(free_sum[:, None] > 0, free_now / np.where(free_sum > 0, free_sum, 1.0)[:, None],
                         np.where(fix, 0.0, national[None, :]))
        split = np.divide(split, split.sum(axis=1, keepdims=True), out=np.zeros_like(split),
                          where=split.sum(axis=1, keepdims=True) > 0)
        F[r, :, g] = np.where(fix, cells, want[:, None] * split)
        moved.append(str(group))
    notes["distributed_by_employed"] = sorted(moved)


def _apply_staff(F, source, fixed, staff: pd.DataFrame, codes: dict, catchment, work_pop, users, notes) -> None:
    """Write the staff table's measured cells into ``F`` (trust rows spread over catchments)."""
    muni = staff[staff["level"] == "municipality"]
    for row in muni.itertuples(index=False):
        r = codes.get(str(row.region))
        if r is None:
            continue
        q, g = _Q[row.sector], _G[row.group]
        F[r, q, g] = float(row.fte)
        fixed[r, q, g] = True
        source[r, q, g] = MEASURED
    trust = staff[staff["level"] == "trust"]
    if len(trust):
        pos = {c: h for h, c in enumerate(catchment.codes)}
        tf = np.zeros((len(catchment), len(D.GROUPS)))
        seen = np.zeros(len(D.GROUPS), dtype=bool)
        for row in trust.itertuples(index=False):
            h = pos.get(str(row.region))
            if h is None:
                continue
            tf[h, _G[row.group]] += float(row.fte)
            seen[_G[row.group]] = True
        ks = _Q["specialist"]
        spread = _specialist_by_trust(np.zeros(len(D.GROUPS)), users[:, D.SERVICES.index("specialist")],
                                      catchment, work_pop, trust_fte=tf)
        for g in np.flatnonzero(seen):
            F[:, ks, g] = spread[:, g]
            fixed[:, ks, g] = True
            source[:, ks, g] = MEASURED
        notes["trust_fte_groups"] = [D.GROUPS[g] for g in np.flatnonzero(seen)]


# --- the whole regional supply ------------------------------------------------------------------
def regional_supply(regions, population: np.ndarray, user_rate: np.ndarray, nat: NationalSupply, facts: dict,
                    catchment, measured: Measured | None = None, synthetic: bool = False,
                    source_name: str = "measured") -> RegionalSupply:
    """Regional supply arrays for ``regions`` (see the module docstring).

    ``population`` [R, S, A] persons; ``user_rate`` [R, K, S, A]; ``facts``: the parsed
    ``default_facts.yaml`` (section ``regional``); ``synthetic``: the regions are made up, so
    every cell's provenance is *synthetic*.
    """
    users = np.einsum("rsa,rksa->rk", population, user_rate)
    lo, hi = facts["regional"]["work_population_ages"]["value"]
    work_pop = population[:, :, lo:hi + 1].sum(axis=(1, 2))
    est_k = estimated_fte(nat, users, catchment, work_pop)
    if measured is not None:
        F, source, notes = apply_measured(est_k, nat, measured, regions, catchment, work_pop, users, source_name)
        notes["sources"] = list(measured.sources)
    else:
        F, source, notes = _by_sector(est_k), np.full((len(regions), len(D.SECTORS), len(D.GROUPS)), ESTIMATED), {}
    if synthetic:
        source[:] = SYNTHETIC
    jobs = F.sum(axis=1)  # [R, G] FTE in health care
    vac, vac_notes = county_vacancies(F, nat, regions, facts)
    notes.update(vac_notes)
    grad, imm, grad_notes = entrant_shares(jobs, population, regions, facts, nat.entry_dist)
    notes.update(grad_notes)
    return RegionalSupply(
        stock=regional_stock(nat, jobs, population, regions, facts),
        sector_share=_share(F, axis=1),
        supply_source=source.astype(np.float64),
        base_demand_fte=demand_by_service(F + vac, est_k),
        graduate_region_share=grad,
        immigrant_region_share=imm,
        filled_fte=F,
        vacancies=vac,
        notes=notes,
    )


def demand_by_service(fte_q: np.ndarray, est_k: np.ndarray) -> np.ndarray:
    """Share each sector's FTE [R, Q, G] among its services like the estimate [R, K, G]."""
    sec = D.service_sector_index()
    within = np.empty_like(est_k)
    for q in range(len(D.SECTORS)):
        ks = np.flatnonzero(sec == q)
        within[:, ks, :] = _share(est_k[:, ks, :], axis=1)
    return fte_q[:, sec, :] * within


def _age_tilt(population: np.ndarray, regions, k: float) -> np.ndarray:
    """Relative age structure of each municipality's working ages [R, Aw] (1 = national), in
    five-year bands, weighted n / (n + k) against its county's."""
    w0, w1 = D.WORK_AGE_MIN, D.WORK_AGE_MAX + 1
    pop = population[:, :, w0:w1].sum(axis=1)  # [R, Aw]
    bands = (D.WORK_AGES - w0 + 4) // 5  # 16-19 -> 0 (short first band), 20-24 -> 1, ...
    n_b = bands.max() + 1
    by_band = np.zeros((pop.shape[0], n_b))
    np.add.at(by_band, (slice(None), bands), pop)
    share = _share(by_band, axis=1)
    nat = _share(by_band.sum(axis=0))
    cm = _county_matrix(regions)
    county_share = _share(cm @ by_band, axis=1)[regions.county_index()]
    n = pop.sum(axis=1, keepdims=True)
    mixed = (n * share + k * county_share) / (n + k)
    tilt = np.divide(mixed, nat[None, :], out=np.ones_like(mixed), where=nat[None, :] > 0)
    return tilt[:, bands]


def regional_stock(nat: NationalSupply, jobs: np.ndarray, population: np.ndarray, regions, facts: dict,
                   iterations: int = 200, tol: float = 1e-10) -> np.ndarray:
    """Persons [R, G, S, Aw]: the group's national profile tilted by the municipality's age
    structure, fitted (iterative proportional fitting) so each municipality's FTE in health care
    equals ``jobs`` [R, G] and the nation keeps the group's age and sex profile (the facts)."""
    k = facts["regional"]["age_profile_credibility"]["value"]
    tilt = _age_tilt(population, regions, k)  # [R, Aw]
    per_person = nat.fte_per_person()[None]  # [1, G, S, Aw]
    stock = nat.stock[None, :, :, :] * tilt[:, None, None, :]  # [R, G, S, Aw]
    target = nat.stock * np.divide(jobs.sum(axis=0), nat.fte(), out=np.zeros(len(jobs[0])),
                                   where=nat.fte() > 0)[:, None, None]  # national margin consistent with jobs
    for _ in range(iterations):
        national = stock.sum(axis=0)
        stock *= np.divide(target, national, out=np.zeros_like(national), where=national > 0)[None]
        fte = (stock * per_person).sum(axis=(2, 3))
        ratio = np.divide(jobs, fte, out=np.zeros_like(jobs), where=fte > 0)
        stock *= ratio[:, :, None, None]
        if np.abs(ratio[fte > 0] - 1.0).max(initial=0.0) < tol:
            break
    return stock


def county_vacancies(F: np.ndarray, nat: NationalSupply, regions, facts: dict) -> tuple[np.ndarray, dict]:
    """Vacancies [R, Q, G]: each group's national vacancies as a county rate on filled FTE.

    The county's share of the national shortage is NAV's survey share (nurse groups: the nurse
    list; health workers: theirs) blended with its share of the group's FTE, weighted
    ``S / (S + K)`` (:data:`shortage_credibility`); groups or counties without survey figures
    take their FTE share, i.e. the national rate.
    """
    rf = facts["regional"]
    survey = rf["nav_shortage_2017"]
    K = rf["shortage_credibility"]["value"]
    cm = _county_matrix(regions)  # [C, R]
    counties = regions.counties
    county_fte = cm @ F.sum(axis=1)  # [C, G]
    rate = np.zeros((len(counties), len(D.GROUPS)))
    used = {}
    for g, code in enumerate(D.GROUPS):
        if nat.vacancies[g] <= 0:
            continue
        fshare = _share(county_fte[:, g])
        key = "nurse" if code in D.NURSE_GROUPS else code
        share = fshare
        if key in survey and any(c in survey[key] for c in counties):
            s = np.array([float(survey[key].get(c, 0.0)) for c in counties])
            lam = s.sum() / (s.sum() + K)
            share = lam * _share(s) + (1 - lam) * fshare
            used[code] = key
        rate[:, g] = np.divide(nat.vacancies[g] * share, county_fte[:, g], out=np.zeros(len(counties)),
                               where=county_fte[:, g] > 0)
    vac = F * rate[regions.county_index()][:, None, :]
    return vac, {"vacancy_county_pattern": used}


def entrant_shares(jobs: np.ndarray, population: np.ndarray, regions, facts: dict,
                   entry_dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """Regional shares [R, G] of graduates and of immigrants (each sums to 1 over regions).

    Graduates settle like the people of their age and sex (``population`` [R, S, A] weighted
    by the group's entry distribution ``entry_dist`` [G, S, Aw]), except the groups hired
    locally (``hired_where_the_jobs_are``: unskilled recruits, health workers trained as
    apprentices), who start like the group's jobs. For nurses, a weight
    ``graduate_study_weight`` of them instead start in the county where they studied (nursing
    study places by county) with the county's stay share, settling among its municipalities
    like people of their age, and the rest settle like people of their age nationally.
    Immigrants settle like the group's jobs ``jobs`` [R, G].
    """
    rf = facts["regional"]
    counties = regions.counties
    cm = _county_matrix(regions)
    cidx = regions.county_index()
    w0, w1 = D.WORK_AGE_MIN, D.WORK_AGE_MAX + 1
    of_age = np.einsum("rsa,gsa->rg", population[:, :, w0:w1], entry_dist)  # people of the entrants' age
    by_age = _share(of_age, axis=0)
    jobs_share = _share(jobs, axis=0)
    local = [D.GROUPS.index(g) for g in rf["hired_where_the_jobs_are"]["value"]]
    grad = by_age.copy()
    grad[:, local] = jobs_share[:, local]
    weight = float(rf["graduate_study_weight"]["value"])
    places = rf["nurse_study_places"]["values"]
    notes = {"rule": f"graduates settle like people of their age and sex; nurses: {weight:g} of them by study place "
                     f"(county) and stay share; {', '.join(rf['hired_where_the_jobs_are']['value'])}: like the jobs"}
    g = D.GROUPS.index("nurse")
    if weight > 0 and any(c in places for c in counties):
        P = _share(np.array([float(places.get(c, 0.0)) for c in counties]))
        stay = _stay(rf["stay_share"]["nurse"], counties)
        county_age = cm @ of_age[:, g]
        within = np.divide(of_age[:, g], county_age[cidx], out=np.zeros(len(regions)), where=county_age[cidx] > 0)
        study = (P * stay)[cidx] * within + (P * (1 - stay)).sum() * by_age[:, g]
        grad[:, g] = weight * study + (1 - weight) * by_age[:, g]
    return grad, jobs_share, {"graduates_settle": notes}


def _stay(entry: dict, counties) -> np.ndarray:
    """Stay share by county: the entry's value, or its ``by_county`` value where given."""
    by = entry.get("by_county", {})
    return np.array([float(by[c]["value"]) if c in by else float(entry["value"]) for c in counties])
