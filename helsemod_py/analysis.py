"""What a scenario run answers: attribution per measure on the gap or the shortage, what the
FTE gained cost, required intake.

Attribution uses Shapley values: each measure gets its average marginal effect over orders in
which the measures can be switched on, so interactions are shared evenly and the parts add up
exactly to the scenario's total change. Values are exact where each small game of
:mod:`helsemod_py.shapley` has at most ``GAME_MAX`` players (on the net gap: a supply block and
the measures reaching it, or demand; so all of ``k2025_all``'s 17 measures, whose largest game has
11; on the shortage: a component of groups and the measures reaching it or demand). Otherwise,
with up to ``EXACT_MAX`` measures every subset is evaluated (2^n projections); with more,
``samples`` random orders are averaged (each order telescopes to the total, so the sum is still
exact). Measures that change nothing (a
``continued`` programme, already in the baseline) get zero without being evaluated.

The outcome is the net gap (supply − demand, summed) or the shortage: the negative gaps summed
over the units where staff work (each municipality's municipal sectors, each hospital trust's
specialist services) and groups, so that shifting tasks from a short group to one with spare staff
counts. National supply changes are attributed alongside, to price the FTE gained
(:mod:`helsemod_py.economics`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from . import dims as D
from . import economics as E
from . import shapley
from ._years import year_index
from .coalitions import Coalitions, evaluate
from .data.dataset import Dataset
from .errors import HelsemodError
from .model import DEFAULT_END_YEAR, MAX_END_YEAR
from .results import SECTORS_SHOWN, shortage_units
from .scenario import Scenario, region_mask
from .scenario.schema import LEVERS

#: Measures up to which every subset of them is evaluated for exact values (``2**n`` projections).
EXACT_MAX = 6
#: Players of the largest small game up to which exact values of the net gap come from the
#: small games of :mod:`helsemod_py.shapley` (a block's subsets as lanes of one kernel).
GAME_MAX = 12
#: Coalitions of sampled orders evaluated together (their kernels run side by side; their results held).
BATCH = 64
#: What attribution can be done on: the net gap, or the shortage (negative gaps only).
OUTCOMES = ("gap", "shortage")


def _evaluate(dataset, scenario, end_year, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Gap FTE ``[years, regions, sectors, groups]`` of a scenario (municipality level) and national
    supply FTE ``[years, groups]``."""
    out = evaluate(dataset, scenario, end_year)
    if progress:
        progress()
    return out


def _coalitions(given, dataset, scenario, end_year) -> Coalitions:
    """``given`` where it holds the coalitions of ``scenario`` on ``dataset`` up to ``end_year``, or new ones."""
    if given is not None and not given.matches(dataset, scenario, end_year):
        raise HelsemodError("coalitions of another dataset, scenario or end year")
    return given if given is not None else Coalitions(dataset, scenario, end_year)


def _sectors(level: str) -> list[int]:
    """Positions of the sectors a level reports (:data:`helsemod_py.results.SECTORS_SHOWN`)."""
    return [D.SECTORS.index(q) for q in SECTORS_SHOWN[level]]


#: A cost per FTE is given only where a measure gains at least this much (FTE, or FTE-years for
#: the cumulative ratios): below it the gain is within rounding and the sampling noise of the
#: Shapley orders, and the ratio would be a meaningless huge number (e.g. a district recruitment
#: that moves staff between municipalities and gains ~0 nationally).
MIN_FTE_FOR_RATIO = 1.0


def _ratio(cost: float, fte: float) -> float:
    """NOK per FTE gained; ``nan`` without a cost or with a gain under :data:`MIN_FTE_FOR_RATIO`."""
    return cost / fte if fte >= MIN_FTE_FOR_RATIO and cost > 0 else np.nan


@dataclass
class Attribution:
    """Shapley attribution of a scenario's change in an outcome to its measures, with costs.

    ``outcome``: ``gap`` or ``shortage``. ``contributions``: FTE (measure, year, region, sector,
    group), positive = better (a smaller net shortage, or less shortage); ``region`` holds the
    municipalities, and for the shortage also the hospital trusts (their specialist services);
    ``total``: scenario minus baseline (year, region, sector, group); ``supply``: national supply
    FTE (measure, year, group); ``local``: FTE gained in each measure's target regions (measure,
    year; the nation for measures without regions); ``costs``: programme cost beyond the baseline,
    ``other_costs``, ``wage_costs`` (wages and employer's costs of the supply gained, where the lever
    pays for it), NOK (measure, year); ``measures``: status, evidence, parameter, source of recruits.
    Contributions sum over measures to ``total`` (to rounding). Tables sum the sectors each level
    reports (municipal services for a municipality, all for a county and the nation).
    """

    contributions: xr.DataArray
    total: xr.DataArray
    costs: xr.DataArray
    method: str
    scenario: str
    outcome: str = "gap"
    supply: xr.DataArray | None = None
    local: xr.DataArray | None = None
    other_costs: xr.DataArray | None = None
    wage_costs: xr.DataArray | None = None
    measures: pd.DataFrame = field(default_factory=pd.DataFrame)
    levels: xr.DataArray | None = None  # national outcome (case: baseline, scenario; year), FTE

    @property
    def years(self) -> np.ndarray:
        return self.contributions["year"].values

    @property
    def change_column(self) -> str:
        """Name of the FTE column of the tables: ``gap_change_fte`` or ``shortage_reduction_fte``."""
        return "gap_change_fte" if self.outcome == "gap" else "shortage_reduction_fte"

    def _level(self, da: xr.DataArray, level: str) -> xr.DataArray:
        if level == "municipality":
            return da
        if level == "county":
            return da.groupby("county").sum().rename(county="region")
        if level == "nation":
            return da.sum("region").expand_dims(region=[D.NATION_CODE])
        raise HelsemodError(f"level {level!r}: allowed {', '.join(D.REGION_LEVELS)}")

    def _info(self, m: str, key: str) -> str:
        return "" if m == "total" or self.measures.empty else str(self.measures.loc[m, key])

    def _title(self, m: str) -> str:
        """The measure's title (its id where the scenario gives none); empty for the total."""
        if m == "total":
            return ""
        if self.measures.empty or "title" not in self.measures:
            return str(m)
        return str(self.measures.loc[m, "title"])

    def waterfall(self, year: int, level: str = "nation", groups=None) -> pd.DataFrame:
        """Contribution of each measure to the change in the outcome in ``year`` (FTE), with cost.

        Columns: region, measure, title, status, evidence, the FTE column (:attr:`change_column`),
        cost_programme_nok, cost_total_nok, nok_per_fte_programme, nok_per_fte_total. One row per
        measure plus ``total`` per region; summed over ``groups`` (default all groups). Costs are
        national amounts: below nation level the cost columns are left empty (NaN).
        """
        from .aliases import resolve, resolve_all

        groups = resolve_all("group", groups) if groups is not None else list(D.GROUPS)
        level = resolve("level", level, D.REGION_LEVELS)
        year_index(year, self.years)
        sectors = list(SECTORS_SHOWN[level])
        con = self._level(self.contributions.sel(year=year, group=groups, sector=sectors).sum(["group", "sector"]),
                          level)
        tot = self._level(self.total.sel(year=year, group=groups, sector=sectors).sum(["group", "sector"]), level)
        prog, total_cost = self._cost_series(year)
        national = level == "nation"
        rows = []
        for r in con["region"].values:
            for m in [*con["measure"].values, "total"]:
                fte = float(tot.sel(region=r) if m == "total" else con.sel(region=r, measure=m))
                c, ct = (prog[m], total_cost[m]) if national else (np.nan, np.nan)
                rows.append((r, m, self._title(m), self._info(m, "status"), self._info(m, "evidence"), fte, c, ct,
                             _ratio(c, fte), _ratio(ct, fte)))
        return pd.DataFrame(rows, columns=["region", "measure", "title", "status", "evidence", self.change_column,
                                           "cost_programme_nok", "cost_total_nok", "nok_per_fte_programme",
                                           "nok_per_fte_total"])

    def _cost_series(self, year: int) -> tuple[dict, dict]:
        """Programme and total cost (NOK) in ``year`` per measure and ``total``."""
        year_index(year, self.years)
        prog = self.costs.sel(year=year)
        tot = prog + self._extra().sel(year=year)
        out_p = {str(m): float(prog.sel(measure=m)) for m in prog["measure"].values}
        out_t = {str(m): float(tot.sel(measure=m)) for m in tot["measure"].values}
        out_p["total"], out_t["total"] = float(prog.sum()), float(tot.sum())
        return out_p, out_t

    def _extra(self) -> xr.DataArray:
        """Wage and other costs (NOK, measure x year); zero where not computed."""
        extra = xr.zeros_like(self.costs)
        for da in (self.wage_costs, self.other_costs):
            if da is not None:
                extra = extra + da
        return extra

    def cost_effectiveness(self, year: int, groups=None) -> pd.DataFrame:
        """NOK per FTE gained nationally, per measure and in total, on two bases: the programme cost
        alone, and the total cost (programme + wages and employer's costs of the FTE gained + other
        costs); in ``year`` and over the whole horizon (cumulative cost / FTE-years gained). Also the
        FTE gained locally (in the measure's target regions) and the measure's status and evidence."""
        year_index(year, self.years)
        groups = list(groups) if groups is not None else list(D.GROUPS)
        nat = self.contributions.sel(group=groups).sum(["group", "region", "sector"])
        tot = self.total.sel(group=groups).sum(["group", "region", "sector"])
        extra = self._extra()
        rows = []
        for m in [*nat["measure"].values, "total"]:
            series = tot if m == "total" else nat.sel(measure=m)
            prog = self.costs.sum("measure") if m == "total" else self.costs.sel(measure=m)
            allc = prog + (extra.sum("measure") if m == "total" else extra.sel(measure=m))
            wages = self.wage_costs.sum("measure") if m == "total" else self.wage_costs.sel(measure=m)
            other = self.other_costs.sum("measure") if m == "total" else self.other_costs.sel(measure=m)
            local = np.nan if m == "total" else float(self.local.sel(measure=m, year=year))
            fte_y, fte_cum = float(series.sel(year=year)), float(series.sum())
            c_p, c_t = float(prog.sel(year=year)), float(allc.sel(year=year))
            cum_p, cum_t = float(prog.sum()), float(allc.sum())
            rows.append({
                "measure": m, "title": self._title(m), "status": self._info(m, "status"), "evidence": self._info(m, "evidence"),
                "outcome": self.outcome, "year": year, "fte_gained": fte_y, "local_fte_gained": local,
                "cost_programme_nok": c_p, "cost_wages_nok": float(wages.sel(year=year)),
                "cost_other_nok": float(other.sel(year=year)), "cost_total_nok": c_t,
                "nok_per_fte_programme": _ratio(c_p, fte_y), "nok_per_fte_total": _ratio(c_t, fte_y),
                "fte_years_gained": fte_cum, "cost_programme_nok_cumulative": cum_p,
                "cost_total_nok_cumulative": cum_t, "nok_per_fte_year_programme": _ratio(cum_p, fte_cum),
                "nok_per_fte_year_total": _ratio(cum_t, fte_cum),
            })
        return pd.DataFrame(rows)


def plan(coalitions: Coalitions, active, method: str = "auto", samples: int = 24, outcome: str = "gap"):
    """How :func:`attribute` values the measures ``active`` (those that change something):
    ``(method, games, steps)``: ``"exact"`` or ``"sampled"``; the small games of
    :func:`helsemod_py.shapley.games` where exact values come from them (else None); and the
    progress steps it reports.

    Exact values come from the small games wherever the largest has at most ``GAME_MAX`` players
    (``"auto"`` or ``"exact"``); otherwise ``"auto"`` evaluates every subset of up to ``EXACT_MAX``
    measures and samples orders beyond, and ``"exact"`` evaluates every subset."""
    games = shapley.games(coalitions, active) if method in ("auto", "exact") else None
    if games is not None and shapley.largest(coalitions, games, outcome) <= GAME_MAX:
        return "exact", games, shapley.runs(coalitions, games, outcome)
    if method == "auto":
        method = "exact" if len(active) <= EXACT_MAX else "sampled"
    return method, None, evaluations(len(active), method, samples)


def evaluations(n: int, method: str = "auto", samples: int = 24) -> int:
    """Projections :func:`attribute` runs for ``n`` measures that change something."""
    method = ("exact" if n <= EXACT_MAX else "sampled") if method == "auto" else method
    if n == 0:
        return 1
    return 2 ** n if method == "exact" else 2 + samples * (n - 1)


def _shapley(value, ids, method: str, samples: int, seed: int, values=None):
    """Shapley values of the arrays ``value(subset)`` returns (a tuple); also base and full values.

    ``values(subsets)``, where given, returns ``[value(s) for s in subsets]`` (the same arrays), so
    that the subsets of one batch (all of them for ``exact``, one order's for ``sampled``) may be
    evaluated together; the sums are taken in the same order either way.
    """
    values = values or (lambda subsets: [value(sub) for sub in subsets])
    n = len(ids)
    if method == "exact":
        subsets = [frozenset(sub) for k in range(n + 1) for sub in itertools.combinations(ids, k)]
        cache = dict(zip(subsets, values(subsets)))
        base = cache[frozenset()]
        shap = [np.zeros((n,) + a.shape) for a in base]

        def v(sub):
            return cache[frozenset(sub)]

        for i, mid in enumerate(ids):
            others = [x for x in ids if x != mid]
            for k in range(n):
                wgt = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                for sub in itertools.combinations(others, k):
                    for s, a, b in zip(shap, v((*sub, mid)), v(sub)):
                        s[i] += wgt * (a - b)
        return shap, base, v(ids)
    base, full = values([(), ids]) if n else values([()]) * 2
    shap = [np.zeros((n,) + a.shape) for a in base]
    rng = np.random.default_rng(seed)
    orders = [[ids[j] for j in rng.permutation(n)] for _ in range(samples)]
    per_batch = max(1, BATCH // max(n - 1, 1))  # orders whose coalitions are evaluated together
    for first in range(0, samples, per_batch):
        batch = orders[first:first + per_batch]
        got = iter(values([order[:k + 1] for order in batch for k in range(n - 1)]))
        for order in batch:
            prev = base
            for mid, cur in zip(order, [next(got) for _ in range(n - 1)] + [full]):
                for s, a, b in zip(shap, cur, prev):
                    s[ids.index(mid)] += a - b
                prev = cur
    return [s / samples for s in shap], base, full


def attribute(dataset: Dataset, scenario: Scenario, end_year: int | None = None, method: str = "auto",
              samples: int = 24, seed: int = 0, progress=None, outcome: str = "gap",
              coalitions: Coalitions | None = None) -> Attribution:
    """Shapley attribution of the change in ``outcome`` (scenario − its no-measure baseline).

    outcome: ``"gap"`` (the net gap) or ``"shortage"`` (the negative gaps of each municipality's
    municipal sectors and each hospital trust's specialist services, by group; the contributions
    are shortage reductions). method: ``"exact"`` (all subsets), ``"sampled"`` (``samples``
    random orders, seeded), or ``"auto"`` (see :func:`plan`). The baseline
    keeps the scenario's assumptions, so only measures are attributed. Costs: see
    :class:`Attribution`. ``coalitions``: the :class:`~helsemod_py.coalitions.Coalitions` of the same
    dataset, scenario and end year to evaluate with (what they keep is used again, e.g. by
    :func:`~helsemod_py.evidence.effect_bounds` after this).
    """
    end_year = end_year or scenario.end_year or DEFAULT_END_YEAR
    if outcome not in OUTCOMES:
        raise HelsemodError(f"outcome {outcome!r}: allowed {', '.join(OUTCOMES)}")
    ids = scenario.measure_ids
    active = [m.id for m in scenario.measures if not m.is_neutral]
    if method not in ("auto", "exact", "sampled"):
        raise HelsemodError(f"method {method!r}: allowed auto, exact, sampled")
    catchment = dataset.catchment() if outcome == "shortage" else None
    coalitions = _coalitions(coalitions, dataset, scenario, end_year)
    method, games, _ = plan(coalitions, active, method, samples, outcome)

    def outcome_of(gap, supply):
        cells = gap if catchment is None else np.minimum(shortage_units(gap, catchment.weights), 0.0)
        return cells, supply

    def values(subsets):
        return [outcome_of(*r) for r in coalitions.evaluate_many(subsets, progress=progress)]

    if games is not None:
        (shap, shap_supply), base, full = shapley.exact_values(coalitions, active, games, progress,
                                                               None if catchment is None else catchment.weights)
        (base, _), (full, _) = outcome_of(*base), outcome_of(*full)
    else:
        (shap, shap_supply), (base, _), (full, _) = _shapley(None, active, method, samples, seed, values)
    pos = [active.index(m) if m in active else -1 for m in ids]
    contrib = np.stack([shap[p] if p >= 0 else np.zeros_like(base) for p in pos]) if ids else np.zeros((0,) +
                                                                                                      base.shape)
    supply = np.stack([shap_supply[p] if p >= 0 else np.zeros(shap_supply.shape[1:]) for p in pos]) if ids else \
        np.zeros((0,) + base.shape[:1] + (len(D.GROUPS),))
    years = np.arange(dataset.base_year, end_year + 1)
    label = "shapley (exact)" if method == "exact" else f"shapley (sampled, {samples} orders, seed {seed})"
    return _build(dataset, scenario, years, contrib, full - base, supply, catchment, label, outcome,
                  (base.sum(axis=(1, 2, 3)), full.sum(axis=(1, 2, 3))))


def _build(dataset, scenario, years, contrib, total, supply, catchment, label, outcome, levels) -> Attribution:
    """Label the attribution arrays and price them (costs, wages, local gains, measure facts)."""
    ids = list(scenario.measure_ids)
    regions = list(dataset.regions.codes)
    counties = list(dataset.regions.county_codes)
    if catchment is not None:  # shortage: municipalities, then trusts (in their main county)
        regions += list(catchment.codes)
        counties += [counties[int(np.argmax(w))] for w in catchment.weights]
    coords = {"year": years, "region": regions, "sector": list(D.SECTORS), "group": list(D.GROUPS)}
    dims = ("year", "region", "sector", "group")
    con = xr.DataArray(contrib, dims=("measure",) + dims, coords={"measure": ids, **coords}, name="change",
                       attrs={"unit": "FTE", "outcome": outcome}).assign_coords(county=("region", counties))
    tot = xr.DataArray(total, dims=dims, coords=coords, name="change",
                       attrs={"unit": "FTE", "outcome": outcome}).assign_coords(county=("region", counties))
    mt = {"measure": ids, "year": years}
    sup = xr.DataArray(supply, dims=("measure", "year", "group"), coords={**mt, "group": list(D.GROUPS)},
                       attrs={"unit": "FTE"})
    n_mun = len(dataset.regions)
    local = np.stack([contrib[i][:, :n_mun][:, region_mask(m.target.regions, dataset.regions)].sum(axis=(1, 2, 3))
                      if m.target.regions is not None else contrib[i].sum(axis=(1, 2, 3))
                      for i, m in enumerate(scenario.measures)]) if ids else np.zeros((0, len(years)))

    def per_measure(arrays):
        return xr.DataArray(np.array([arrays[m] for m in ids]).reshape(len(ids), len(years)),
                            dims=("measure", "year"), coords=mt, attrs={"unit": "NOK"})

    paid = [LEVERS[m.parameter].paid for m in scenario.measures]
    wages = E.wage_costs(supply, paid) if ids else np.zeros((0, len(years)))
    info = pd.DataFrame({"measure": ids, "title": [m.title or m.id for m in scenario.measures],
                         "status": [m.status for m in scenario.measures],
                         "evidence": [m.evidence for m in scenario.measures],
                         "parameter": [m.parameter for m in scenario.measures],
                         "source": [m.source or "" for m in scenario.measures]}).set_index("measure")
    lev = xr.DataArray(np.array(levels), dims=("case", "year"), coords={"case": ["baseline", "scenario"],
                                                                       "year": years}, attrs={"unit": "FTE"})
    return Attribution(con, tot, per_measure(scenario.costs(years)), label, scenario.name, outcome, sup,
                       xr.DataArray(local, dims=("measure", "year"), coords=mt, attrs={"unit": "FTE"}),
                       per_measure(scenario.other_costs(years)),
                       xr.DataArray(wages, dims=("measure", "year"), coords=mt, attrs={"unit": "NOK"}), info, lev)


@dataclass
class IntakeResult:
    """Extra entrants a year needed to close a gap (persons per year) per region."""

    group: str
    channel: str
    start_year: int
    target_year: int
    table: pd.DataFrame  # region, region_name, gap_before_fte, extra_per_year, gap_after_fte


def required_intake(dataset: Dataset, group: str, target_year: int, start_year: int | None = None,
                    level: str = "nation", scenario: Scenario | None = None, channel: str = "graduates",
                    target_gap: float = 0.0, max_per_year: float = 1e6, progress=None) -> IntakeResult:
    """Extra entrants of ``group`` a year from ``start_year`` that bring the gap in
    ``target_year`` up to ``target_gap`` FTE, for the nation or each county/municipality.

    ``channel`` is ``graduates`` (spread over the region's municipalities like graduates) or
    ``recruits`` (same spread, graduates' age profile). Regions without a shortage need 0.
    ``progress(n)`` is called after each region is solved.
    Solved with :func:`scipy.optimize.brentq` on the projected gap.
    """
    from .aliases import resolve

    group = resolve("group", group)
    level = resolve("level", level, D.REGION_LEVELS)
    if channel not in ("graduates", "recruits"):
        raise HelsemodError(f"channel {channel!r}: allowed graduates, recruits")
    start_year = start_year or dataset.base_year
    if not (dataset.base_year <= start_year < target_year):
        raise HelsemodError(f"start year {start_year} must be from the base year {dataset.base_year} "
                            f"and before the target year {target_year}")
    base_scn = scenario if scenario is not None else Scenario("baseline")
    end_year = max(target_year, base_scn.end_year or target_year)
    g = D.GROUPS.index(group)
    t = year_index(target_year, range(dataset.base_year, MAX_END_YEAR + 1), "target year")
    if level == "nation":
        units = [(D.NATION_CODE, D.NATION_NAME, None)]
    elif level == "county":
        units = [(c, dataset.regions.county_names.get(c, c), [c]) for c in dataset.regions.counties]
    elif level == "municipality":
        units = [(c, n, [c]) for c, n in zip(dataset.regions.codes, dataset.regions.names)]
    else:
        raise HelsemodError(f"level {level!r}: allowed {', '.join(D.REGION_LEVELS)}")
    cidx = np.array(dataset.regions.county_codes)
    sectors = _sectors(level)
    rows = []
    for code, name, regions in units:
        if regions is None:
            mask = np.ones(len(dataset.regions), dtype=bool)
        elif level == "county":
            mask = cidx == code
        else:
            mask = np.array([c == code for c in dataset.regions.codes])

        def gap(x: float) -> float:
            extra = Scenario(base_scn.name, (*base_scn.measures, _intake_measure(channel, group, x, start_year,
                                                                                 regions)),
                             base_scn.assumptions)
            return float(_evaluate(dataset, extra, end_year)[0][t, mask][:, sectors, g].sum())

        before = gap(0.0)
        if before >= target_gap:
            x, after = 0.0, before
        else:
            hi = 1.0
            while gap(hi) < target_gap:
                hi *= 4
                if hi > max_per_year:
                    raise HelsemodError(f"{group} in {name}: more than {max_per_year:g} extra entrants a year "
                                        "would be needed; check the target year")
            from scipy.optimize import brentq

            x = brentq(lambda v: gap(v) - target_gap, 0.0, hi, xtol=1e-6, rtol=1e-10)
            after = gap(x)
        rows.append({"region": code, "region_name": name, "gap_before_fte": before, "extra_per_year": x,
                     "gap_after_fte": after})
        if progress:
            progress(1)
    return IntakeResult(group, channel, start_year, target_year, pd.DataFrame(rows))


def _intake_measure(channel, group, persons, start_year, regions):
    return {
        "id": "required_intake",
        "parameter": channel,
        "add": {"value": persons, "unit": "persons per year"},
        "path": {"start": start_year, "shape": "step"},
        **({"recruited_from": {"source": "outside_workforce"}} if channel == "recruits" else {}),
        "target": {"groups": [group], **({"regions": regions} if regions else {})},
    }
