"""What a scenario run answers: gap attribution per measure, cost per FTE, required intake.

Attribution uses Shapley values: each measure gets its average marginal effect on the gap
over orders in which the measures can be switched on, so interactions are shared evenly and
the parts add up exactly to the scenario's total change. With up to ``EXACT_MAX`` measures
every subset is evaluated (2^n projections); with more, ``samples`` random orders are
averaged (each order telescopes to the total, so the sum is still exact).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy.optimize import brentq

from . import dims as D
from .data.dataset import Dataset
from .errors import HelsemodError
from .core import by_sector
from .model import DEFAULT_END_YEAR, build_inputs, run_kernels
from .results import SECTORS_SHOWN
from .scenario import Scenario

EXACT_MAX = 6


def _evaluate(dataset, scenario, end_year, progress=None) -> np.ndarray:
    """Gap FTE ``[years, regions, sectors, groups]`` of a scenario (municipality level)."""
    inputs = build_inputs(dataset, end_year)
    if scenario is not None:
        inputs = scenario.apply(inputs, dataset)
    out = run_kernels(inputs)
    if progress:
        progress()
    supply, demand = by_sector(out["supply_totals"][..., 3], out["sector_share"], out["demand_fte"],
                               D.service_sector_index(), len(D.SECTORS))
    return supply - demand


def _sectors(level: str) -> list[int]:
    """Positions of the sectors a level reports (:data:`helsemod_py.results.SECTORS_SHOWN`)."""
    return [D.SECTORS.index(q) for q in SECTORS_SHOWN[level]]


@dataclass
class Attribution:
    """Shapley attribution of a scenario's change in the gap to its measures.

    ``contributions``: FTE (measure, year, region, sector, group) at municipality level;
    ``total``: scenario gap minus baseline gap (year, region, sector, group); ``costs``: NOK
    (measure, year). Contributions sum over measures to ``total`` (to rounding). Tables sum
    the sectors each level reports (municipal services for a municipality, all for a county
    and the nation).
    """

    contributions: xr.DataArray
    total: xr.DataArray
    costs: xr.DataArray
    method: str
    scenario: str

    def _level(self, da: xr.DataArray, level: str) -> xr.DataArray:
        if level == "municipality":
            return da
        if level == "county":
            return da.groupby("county").sum().rename(county="region")
        if level == "nation":
            return da.sum("region").expand_dims(region=[D.NATION_CODE])
        raise HelsemodError(f"level {level!r}: allowed {', '.join(D.REGION_LEVELS)}")

    def waterfall(self, year: int, level: str = "nation", groups=None) -> pd.DataFrame:
        """Contribution of each measure to the change in the gap in ``year`` (FTE), with cost.

        Columns: region, measure, gap_change_fte, cost_nok, nok_per_fte. One row per measure
        plus ``total`` per region; summed over ``groups`` (default all groups). Costs are
        national amounts: below nation level ``cost_nok`` and ``nok_per_fte`` are left empty
        (NaN), since a measure's budget is not split by region.
        """
        groups = list(groups) if groups is not None else list(D.GROUPS)
        if level not in D.REGION_LEVELS:
            raise HelsemodError(f"level {level!r}: allowed {', '.join(D.REGION_LEVELS)}")
        sectors = list(SECTORS_SHOWN[level])
        con = self._level(self.contributions.sel(year=year, group=groups, sector=sectors).sum(["group", "sector"]),
                          level)
        tot = self._level(self.total.sel(year=year, group=groups, sector=sectors).sum(["group", "sector"]), level)
        cost = self.costs.sel(year=year)
        national = level == "nation"

        def row(r, m, fte, c):
            if not national:
                return (r, m, fte, np.nan, np.nan)
            return (r, m, fte, c, c / fte if fte > 0 and c > 0 else np.nan)

        rows = []
        for r in con["region"].values:
            for m in con["measure"].values:
                rows.append(row(r, m, float(con.sel(region=r, measure=m)), float(cost.sel(measure=m))))
            rows.append(row(r, "total", float(tot.sel(region=r)), float(cost.sum())))
        return pd.DataFrame(rows, columns=["region", "measure", "gap_change_fte", "cost_nok", "nok_per_fte"])

    def cost_effectiveness(self, year: int, groups=None) -> pd.DataFrame:
        """NOK per FTE gained nationally, per measure and in total: in ``year``, and over the
        whole horizon (cumulative cost / cumulative FTE-years gained)."""
        groups = list(groups) if groups is not None else list(D.GROUPS)
        nat = self.contributions.sel(group=groups).sum(["group", "region", "sector"])
        tot = self.total.sel(group=groups).sum(["group", "region", "sector"])
        rows = []
        for m in list(nat["measure"].values) + ["total"]:
            series = tot if m == "total" else nat.sel(measure=m)
            cost = self.costs.sum("measure") if m == "total" else self.costs.sel(measure=m)
            fte_y, cost_y = float(series.sel(year=year)), float(cost.sel(year=year))
            fte_cum, cost_cum = float(series.sum()), float(cost.sum())
            rows.append({
                "measure": m, "year": year, "fte_gained": fte_y, "cost_nok": cost_y,
                "nok_per_fte": cost_y / fte_y if fte_y > 0 and cost_y > 0 else np.nan,
                "fte_years_gained": fte_cum, "cost_nok_cumulative": cost_cum,
                "nok_per_fte_year": cost_cum / fte_cum if fte_cum > 0 and cost_cum > 0 else np.nan,
            })
        return pd.DataFrame(rows)


def attribute(dataset: Dataset, scenario: Scenario, end_year: int | None = None, method: str = "auto",
              samples: int = 24, seed: int = 0, progress=None) -> Attribution:
    """Shapley attribution of the change in the gap (scenario − its no-measure baseline).

    method: ``"exact"`` (all subsets), ``"sampled"`` (``samples`` random orders, seeded), or
    ``"auto"`` (exact up to ``EXACT_MAX`` measures). The baseline keeps the scenario's
    assumptions, so only measures are attributed.
    """
    end_year = end_year or scenario.end_year or DEFAULT_END_YEAR
    ids = scenario.measure_ids
    n = len(ids)
    if method == "auto":
        method = "exact" if n <= EXACT_MAX else "sampled"
    if method not in ("exact", "sampled"):
        raise HelsemodError(f"method {method!r}: allowed auto, exact, sampled")
    cache: dict[frozenset, np.ndarray] = {}

    def value(subset) -> np.ndarray:
        key = frozenset(subset)
        if key not in cache:
            cache[key] = _evaluate(dataset, scenario.only(key), end_year, progress)
        return cache[key]

    base = value(())
    shap = np.zeros((n,) + base.shape)
    if method == "exact":
        for i, mid in enumerate(ids):
            others = [x for x in ids if x != mid]
            for k in range(n):
                wgt = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                for sub in itertools.combinations(others, k):
                    shap[i] += wgt * (value((*sub, mid)) - value(sub))
    else:
        rng = np.random.default_rng(seed)
        for _ in range(samples):
            order = [ids[j] for j in rng.permutation(n)]
            prev, chosen = base, []
            for mid in order:
                chosen.append(mid)
                cur = value(chosen)
                shap[ids.index(mid)] += cur - prev
                prev = cur
        shap /= samples
    full = value(ids)
    years = np.arange(dataset.base_year, end_year + 1)
    coords = {"year": years, "region": list(dataset.regions.codes), "sector": list(D.SECTORS), "group": list(D.GROUPS)}
    contrib = xr.DataArray(shap, dims=("measure", "year", "region", "sector", "group"),
                           coords={"measure": list(ids), **coords}, name="gap_change", attrs={"unit": "FTE"})
    contrib = contrib.assign_coords(county=("region", list(dataset.regions.county_codes)))
    total = xr.DataArray(full - base, dims=("year", "region", "sector", "group"), coords=coords, name="gap_change",
                         attrs={"unit": "FTE"}).assign_coords(county=("region", list(dataset.regions.county_codes)))
    costs = scenario.costs(years)
    cost_da = xr.DataArray(np.array([costs[m] for m in ids]).reshape(n, len(years)), dims=("measure", "year"),
                           coords={"measure": list(ids), "year": years}, attrs={"unit": "NOK"})
    label = "shapley (exact)" if method == "exact" else f"shapley (sampled, {samples} orders, seed {seed})"
    return Attribution(contrib, total, cost_da, label, scenario.name)


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
    if group not in D.GROUPS:
        raise HelsemodError(f"group {group!r}: allowed {', '.join(D.GROUPS)}")
    if channel not in ("graduates", "recruits"):
        raise HelsemodError(f"channel {channel!r}: allowed graduates, recruits")
    start_year = start_year or dataset.base_year
    if not (dataset.base_year <= start_year < target_year):
        raise HelsemodError(f"start year {start_year} must be from the base year {dataset.base_year} "
                            f"and before the target year {target_year}")
    base_scn = scenario if scenario is not None else Scenario("baseline")
    end_year = max(target_year, base_scn.end_year or target_year)
    g = D.GROUPS.index(group)
    t = target_year - dataset.base_year
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
            return float(_evaluate(dataset, extra, end_year)[t, mask][:, sectors, g].sum())

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
        "target": {"groups": [group], **({"regions": regions} if regions else {})},
    }
