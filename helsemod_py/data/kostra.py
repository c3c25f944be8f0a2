"""KOSTRA care panel: import, user rates by age group with shrinkage, and dataset calibration.

The panel (``kostra_care_panel_2015_2023.csv``, SSB tables 04686, 12292, 11645, 11924, 14534
and 07459) has one row per municipality (2024 structure, ``kommunenr_2024``) and year
(``år``): population by age group (``folk_0_66``, ``folk_67_79``, ``folk_80p``; SSB 07459 on
1 January of the year), users of home-based services by age group (``Y_1_a_*``), residents
of housing with 24-hour staff (``Y_2_ialt``), long-term residents of institutions by age
group (``Y_3_a_*``), weekly hours of home nursing per user (``Y_4_ialt``) and contracted
nurse FTEs in municipal care (``Y_5_ialt``). ``kommunenr_hist_kilder`` names the historical
codes each row was built from; it is checked against :mod:`helsemod_py.data.regions`.

Definitions used by the model (services of :mod:`helsemod_py.dims`):

* ``home_care`` users = users of home-based services, ``Y_1`` (by age group);
* ``nursing_home`` users ("24-hour care") = long-term institution residents ``Y_3`` plus
  residents of 24-hour staffed housing ``Y_2``; ``Y_2`` has no age groups and is given those
  of the same row's ``Y_3`` (else the county's);
* nurse FTEs in municipal care = ``Y_5`` (contracted FTEs, filled positions): the measured
  base-year supply of the nurse groups (:data:`helsemod_py.dims.NURSE_GROUPS`) in the sector
  ``care`` (the services :data:`NURSE_SERVICES`); demand adds the county's vacancies
  (:mod:`helsemod_py.data.regional`).

Suppressed or missing cells (empty, ``.``, ``..``, ``...``, ``:``) are missing values; ``-``
is SSB's symbol for nil (0). A suppressed age group is derived from the total where only one
group is missing, or shared out in proportion to the county's rates where several are.
Every problem in a file is reported as one line naming the file, row, column and value
(:class:`~helsemod_py.errors.ImportDataError`).

The file is read in :mod:`.kostra_read`, rates and trends estimated in :mod:`.kostra_estimate`;
this module calibrates a dataset with them and re-exports both.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from .. import dims as D
from ..errors import ImportDataError
from .dataset import Dataset
# The file and the estimates, re-exported: callers use them as ``kostra.NAME``.
from .kostra_estimate import (K_CREDIBILITY, MIN_TREND_YEARS, NURSE_SERVICES, SERVICES,  # noqa: F401
                              TREND_CREDIBILITY, TREND_GROUPS, add_coverage_trends, coverage_trend_array,
                              estimate_coverage_trends, estimate_user_rates, service_users,
                              standardised_exposure)
from .kostra_read import (AGE_BOUNDS, AGE_GROUPS, CODE, HIST, HOME_COLUMNS, HOME_TOTAL, HOUSING_TOTAL,  # noqa: F401
                          INST_COLUMNS, INST_TOTAL, NIL, NURSE_FTE, OPTIONAL_COLUMNS, POP_COLUMNS,
                          REQUIRED_COLUMNS, SUPPRESSED, VALUE_COLUMNS, YEAR, read_kostra)
from .regional import Measured, with_tables


# --- one-year profiles ---------------------------------------------------------------------------
def _scale_capped(profile: np.ndarray, pop: np.ndarray, target: float, cap: float = 1.0) -> np.ndarray:
    """``min(cap, c * profile)`` with ``sum(pop * rate) = target`` (water-filling over capped cells).

    ``profile`` and ``pop`` have the same shape (sex x ages of one group). A zero profile is
    replaced by a flat one; where the population is zero the plain scale of the profile's mean
    is used; an infeasible target leaves every cell at ``cap``.
    """
    if not (profile > 0).any():
        profile = np.ones_like(profile)
    total_pop = pop.sum()
    if total_pop <= 0 or target <= 0:
        mean_rate = target / total_pop if total_pop > 0 else 0.0
        scale = mean_rate / profile.mean() if profile.mean() > 0 else 0.0
        return np.minimum(profile * scale, cap)
    capped = np.zeros(profile.shape, dtype=bool)
    rate = profile.copy()
    for _ in range(profile.size + 1):
        fixed = (pop * cap)[capped].sum()
        free = (pop * profile)[~capped].sum()
        if free <= 0:
            return np.where(profile > 0, cap, 0.0) if fixed <= target else rate
        c = (target - fixed) / free
        rate = np.where(capped, cap, c * profile)
        over = ~capped & (rate > cap)
        if not over.any():
            return np.clip(rate, 0.0, cap)
        capped |= over
    return np.clip(rate, 0.0, cap)  # pragma: no cover - the loop caps at least one cell each round


def one_year_rates(profile: np.ndarray, population: np.ndarray, group_rates: np.ndarray) -> np.ndarray:
    """One-year user rates [R, S, A] whose users per age group match ``group_rates`` [R, 3].

    Keeps the shape of ``profile`` [R, S, A] within each age group of :data:`AGE_BOUNDS`
    (scaled, capped at 1): ``sum over the group of population * rate = group rate * group
    population`` for every municipality.
    """
    out = np.array(profile, dtype=np.float64, copy=True)
    for g, (lo, hi) in enumerate(AGE_BOUNDS):
        ages = (D.AGES >= lo) & (D.AGES <= hi)
        for r in range(out.shape[0]):
            pop = population[r][:, ages]
            out[r][:, ages] = _scale_capped(profile[r][:, ages], pop, group_rates[r, g] * pop.sum())
    return out


# --- calibration ----------------------------------------------------------------------------------
def calibrate_dataset(dataset: Dataset, panel: pd.DataFrame, year: int, rate_years=None,
                      k: float = K_CREDIBILITY, facts: dict | None = None, staff: pd.DataFrame | None = None,
                      employed: pd.DataFrame | None = None) -> Dataset:
    """A new dataset whose municipal care demand and nurse supply follow KOSTRA.

    * ``user_rate`` of ``home_care`` and ``nursing_home``: the dataset's one-year age/sex shape
      within each age group 0-66, 67-79, 80+, scaled per municipality so its base-year users
      per group equal the KOSTRA rate (:func:`estimate_user_rates` over ``rate_years``,
      default the five years up to ``year``) times the dataset's population of the group;
    * supply and demand (:func:`helsemod_py.data.default.supply_arrays`): KOSTRA's contracted
      nurse FTE in municipal care (``Y_5`` of ``year``) is the *measured* base-year FTE of the
      nurse groups in the sector ``care`` of each municipality (a municipality without it takes
      its county's FTE per weighted user, flagged estimated); every other cell is estimated by
      the documented rules of :mod:`helsemod_py.data.regional` from the national facts; base-year
      demand is filled FTE plus the county's vacancies.

    A row covering several municipalities (Ålesund with Haram, 2020-2023) shares its rates, and
    its FTE by weighted users. Population and rates are unchanged. ``dataset.meta`` records what
    was measured and what estimated (``regional_supply``, ``calibration``).
    """
    from .default import load_facts, national_supply, supply_arrays

    facts = facts or load_facts()
    name = panel.attrs.get("file", "kostra panel")
    codes = dataset.regions.codes
    year = int(year)
    if rate_years is None:
        rate_years = [y for y in sorted(panel["year"].unique()) if year - 4 <= y <= year]
    rate_years = sorted({int(y) for y in rate_years})
    in_panel = set(panel["covers"].str.split("+").explode())
    if not any(c in in_panel for c in codes):
        raise ImportDataError(f"{name}: column 'region': none of the dataset's {len(codes)} region codes "
                              f"(e.g. {codes[0]!r}) is in the KOSTRA panel; calibration needs real 2024 "
                              "municipality codes")
    fte_rows = panel[panel["year"] == year]
    if fte_rows.empty:
        raise ImportDataError(f"{name}: column 'year': no rows for year {year} (the panel has "
                              f"{panel['year'].min()}-{panel['year'].max()})")
    rates = estimate_user_rates(panel, rate_years, k=k, regions=codes)
    pop = dataset["population"]
    new_rate = dataset["user_rate"].copy()
    for service in SERVICES:
        kk = D.SERVICES.index(service)
        new_rate[:, kk] = one_year_rates(new_rate[:, kk], pop, rates[service].to_numpy())
    weight = _nurse_weight(national_supply(facts), np.einsum("rsa,rksa->rk", pop, new_rate))
    fte, shared_fte = care_nurse_fte(fte_rows, codes, weight)
    source = f"{name}: KOSTRA contracted nurse FTE in municipal care (Y_5, SSB 11924/14534) {year}"
    measured = Measured(care_nurses=fte, sources=[source])
    measured = with_tables(measured, year, staff, employed)
    supply, notes = supply_arrays(dataset.regions, pop, new_rate, facts, measured=measured, source_name=name)
    meta = _calibrated_meta(dataset, name, rates, rate_years, year, k, notes, shared_fte)
    return Dataset(dataset.regions, dataset.base_year, {**dataset.arrays, **supply, "user_rate": new_rate},
                   dict(dataset.scalars), dataset.name, dataset.version, meta).validate()


def _nurse_weight(nat, users: np.ndarray) -> np.ndarray:
    """Expected nurse FTE in municipal care per municipality [R] from its users [R, K]: users of
    each care service times the nation's nurse FTE per user of that service (the facts)."""
    gs = [D.GROUPS.index(g) for g in D.NURSE_GROUPS]
    ks = [D.SERVICES.index(s) for s in NURSE_SERVICES]
    fte_k = (nat.fte()[gs, None] * nat.service_shares[gs][:, ks]).sum(axis=0)  # [2]
    per_user = np.divide(fte_k, users[:, ks].sum(axis=0), out=np.zeros(len(ks)), where=users[:, ks].sum(axis=0) > 0)
    return users[:, ks] @ per_user


def care_nurse_fte(rows: pd.DataFrame, codes, weight: np.ndarray) -> tuple[np.ndarray, dict]:
    """KOSTRA's nurse FTE in municipal care (``Y_5``) per municipality [R] (NaN where absent).

    A row covering several municipalities shares its FTE in proportion to ``weight`` [R].
    Returns the FTE and ``{code: unit}`` of the shared ones.
    """
    index = {c: i for i, c in enumerate(codes)}
    fte = np.full(len(codes), np.nan)
    shared = {}
    for row in rows.itertuples(index=False):
        value = getattr(row, NURSE_FTE)
        members = [c for c in row.covers.split("+") if c in index]
        if not members or not np.isfinite(value):
            continue
        w = np.array([weight[index[c]] for c in members])
        w = w / w.sum() if w.sum() > 0 else np.full(len(members), 1.0 / len(members))
        for c, s in zip(members, w):
            fte[index[c]] = value * s
        if len(members) > 1:
            shared.update({c: row.covers for c in members})
    return fte, shared


def _calibrated_meta(dataset, name, rates, rate_years, year, k, notes, shared_fte) -> dict:
    from .default import _jsonable

    meta = copy.deepcopy(dataset.meta)
    params = meta.setdefault("parameters", {})
    span = f"{rate_years[0]}-{rate_years[-1]}"
    rate_from_county = sorted(set(rates["home_care"].attrs["from_county"]) | set(rates["nursing_home"].attrs["from_county"]))
    shared_rates = dict(sorted(rates["home_care"].attrs["shared"].items()))
    ur = dict(params.get("user_rate", {}))
    old_source = ur.get("source", "previous dataset")
    ur["source"] = (f"home_care and nursing_home: KOSTRA care panel ({name}; SSB KOSTRA) users per "
                    f"inhabitant by age group 0-66/67-79/80+, {span}, per municipality, shrunk toward the county "
                    f"(credibility k = {k:g} expected users); home_care = users of home-based services (Y_1), "
                    "nursing_home = long-term institution residents (Y_3) + residents of 24-hour staffed housing "
                    f"(Y_2); one-year age and sex shape within each group, and all other services: {old_source}")
    ur["synthetic"] = bool(ur.get("synthetic", False))
    ur["kostra"] = {"services": list(SERVICES), "years": list(rate_years), "k": float(k),
                    "rates_from_county": rate_from_county, "shared_units": shared_rates}
    params["user_rate"] = ur
    from_county = list(notes.get("care_nurses_from_county_ratio", []))
    regional = (f"nurse groups in municipal care: measured, KOSTRA Y_5 {year} ({name}); {len(from_county)} "
                "municipalities without it: county FTE per weighted user (estimated); other cells estimated from the "
                "national facts by the rules of helsemod_py.data.regional (users, trust catchments, county vacancies)")
    for pname in ("stock", "sector_share", "supply_source", "base_demand_fte", "graduate_region_share",
                  "immigrant_region_share"):
        pm = dict(params.get(pname, {}))
        pm.update(source=regional, synthetic=False)
        params[pname] = pm
    meta["regional_supply"] = _jsonable(notes)
    meta["calibration"] = {"kostra": {
        "file": name, "rate_years": list(rate_years), "fte_year": year, "k": float(k),
        "note": (f"{len(rate_from_county)} municipalities without KOSTRA rows in {span} take county rates; "
                 f"{len(from_county)} without nurse FTEs in {year} take the county's FTE per weighted user"
                 + (f"; {', '.join(sorted(set(shared_fte.values())))} reported as one unit share its data"
                    if shared_fte else "")),
    }}
    desc = meta.get("description", "")
    meta["description"] = (desc + " " if desc else "") + (
        f"Municipal care demand (home care and 24-hour care user rates {span}) and nurse supply in municipal care "
        f"(FTE {year}) measured per municipality by KOSTRA.")
    desc_nb = meta.get("description_nb", "")
    meta["description_nb"] = (desc_nb + " " if desc_nb else "") + (
        f"Etterspørsel i de kommunale omsorgstjenestene (brukerandeler i hjemmetjenester og heldøgnsomsorg {span}) "
        f"og sykepleiere i omsorgstjenestene (årsverk {year}) målt per kommune av KOSTRA.")
    return meta


def calibrate_from_file(dataset: Dataset, path, year: int | None = None, rate_years=None,
                        k: float = K_CREDIBILITY, history=None, staff: pd.DataFrame | None = None,
                        employed: pd.DataFrame | None = None) -> Dataset:
    """Read the KOSTRA panel at ``path``, :func:`calibrate_dataset` with it and add its coverage
    trends (:func:`add_coverage_trends`, every panel year up to the base year; ``history``, the
    population by one-year age, standardises them for ageing within the age groups).

    ``year`` (of the nurse FTEs) defaults to the dataset's base year, or the panel's last
    year if that is earlier (a 2024 dataset takes KOSTRA 2023). Raises
    :class:`ImportDataError` for any problem in the file, before anything is built.
    """
    panel = read_kostra(path)
    if year is None:
        year = min(int(dataset.base_year), int(panel["year"].max()))
    calibrated = calibrate_dataset(dataset, panel, year, rate_years=rate_years, k=k, staff=staff, employed=employed)
    trend_years = [y for y in sorted(panel["year"].unique()) if y <= calibrated.base_year]
    if len(trend_years) >= MIN_TREND_YEARS:
        if history is not None:
            have = {int(y) for y in history.years}
            history = history if all(y in have for y in trend_years) else None
        return add_coverage_trends(calibrated, panel, trend_years, history=history)
    meta = copy.deepcopy(calibrated.meta)
    meta.setdefault("parameters", {})["coverage_trend"] = {
        "source": (f"none: the KOSTRA panel has {len(trend_years)} year(s) up to the base year "
                   f"{calibrated.base_year}; a coverage trend needs at least {MIN_TREND_YEARS}"),
        "synthetic": False}
    return Dataset(calibrated.regions, calibrated.base_year, dict(calibrated.arrays), dict(calibrated.scalars),
                   calibrated.name, calibrated.version, meta)
