"""Backtest of the population projection on SSB data, and the oldest ages beside SSB's projection.

1. **2019 -> 2024.** Rates are estimated from SSB's municipal population stocks 2015-2019 only
   (trends from the national series 1986-2019, nothing after the 2019 origin), the 1 January
   2019 population is projected five years with the numba cohort-component kernel and compared
   with the real 1 January 2024 population, per nation, county and municipality and for the
   total, 67+, 80+ and 90+. Methods:

   - ``previous``: the method before mortality trends (a model life table with life expectancy
     81.0 / 84.5 taken as known, net migration the residual, 2015-2019 average fertility);
   - ``constant``: death probabilities from cohort losses at ages 75+ and fertility at their
     2019 level (:func:`helsemod_py.data.ssb.estimate_population`), held constant;
   - ``trend``: the same, with the estimated mortality decline and damped fertility trend
     (the default of the real-data build);
   - ``naive``: constant growth ``P2024 = P2019 * (P2019 / P2015) ** (5 / 4)`` per region and
     age group.

   Errors are absolute percentage errors (APE) per region; Ålesund and Haram (one municipality
   until 2023) are compared as one unit.

2. **2035 beside SSB's main alternative.** The real-data build (rates 2015-2024, trends
   1986-2024) projected to 2035, and a like-for-like run from SSB's own jump-off year 2022
   (rates 2015-2022, trends 1986-2022), against SSB's 2022 projection MMMM (table 13600) for
   the Telemark municipalities and the nation.

    python benchmarks/backtest_population.py [--data ../shared/data/ssb] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helsemod_py import dims as D  # noqa: E402
from helsemod_py.data import ssb  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "ssb"
DEFAULT_OUT = ROOT / "benchmarks" / "backtest_population.md"
MUNICIPAL_FILE = "population_kommune_age_sex_2015_2024.csv"
NATIONAL_FILE = "population_norway_age_sex_1986_2024.csv"
SSB_PROJECTION_FILE = "projection_telemark_ssb13600_2022-2050.csv"
AGE_GROUPS = {"total": (0, 105), "0-4": (0, 4), "67+": (67, 105), "80+": (80, 105), "90+": (90, 105)}  #: ages
LEVELS = ("nation", "county", "municipality")
METHODS = ("previous", "constant", "trend", "naive")
COHORT_METHODS = METHODS[:3]
TELEMARK = "40"  #: county code of Telemark (2024 borders)


def load_history(data_dir) -> ssb.PopulationHistory:
    """SSB's municipal population 2015-2024 with the municipality list."""
    data_dir = Path(data_dir)
    regions = ssb.read_municipalities(data_dir / "kommuner_2024.csv")
    return ssb.read_population(data_dir / MUNICIPAL_FILE, regions)


def load_national(data_dir) -> ssb.PopulationHistory | None:
    """SSB's national population 1986-2024 (None where the file is absent)."""
    path = Path(data_dir) / NATIONAL_FILE
    return ssb.read_population(path, level="nation") if path.is_file() else None


def group_totals(pop: np.ndarray) -> np.ndarray:
    """Persons [..., R, G] in each of :data:`AGE_GROUPS` from pop [..., R, S, A]."""
    by_age = pop.sum(axis=-2)
    return np.stack([by_age[..., (D.AGES >= lo) & (D.AGES <= hi)].sum(axis=-1) for lo, hi in AGE_GROUPS.values()],
                    axis=-1)


def naive_growth(first: np.ndarray, base: np.ndarray, base_year: int, first_year: int, target_year: int):
    """Constant-growth extrapolation of ``base`` (no growth where ``first`` is zero)."""
    growth = np.divide(base, first, out=np.ones_like(base), where=first > 0)
    return base * growth ** ((target_year - base_year) / (base_year - first_year))


def project_methods(history: ssb.PopulationHistory, national: ssb.PopulationHistory | None, first_year: int,
                    base_year: int, n_steps: int, shrink: ssb.Shrinkage = ssb.Shrinkage(),
                    methods=COHORT_METHODS) -> dict[str, np.ndarray]:
    """Population [T+1, R, S, A] projected ``n_steps`` years from ``base_year`` by each cohort method.

    Only data up to ``base_year`` is used (the national series is cut there).
    """
    out = {}
    pop0 = history.at(base_year)
    if "previous" in methods:
        q = ssb.mortality_from_life_expectancy()
        fertility, migration = ssb.estimate_population_rates(history, first_year, base_year, q, shrink)
        out["previous"] = ssb.project_constant_rates(pop0, fertility, q, migration, n_steps)
    nat = national.between(int(national.years[0]), base_year) if national is not None else None
    est = ssb.estimate_population(history, base_year, first_year, base_year, shrink=shrink, national=nat)
    a = est.arrays
    if "constant" in methods:
        out["constant"] = ssb.project_rates(pop0, a["fertility"], a["mortality"], a["net_migration"], n_steps)
    if "trend" in methods:
        out["trend"] = ssb.project_rates(pop0, a["fertility"], a["mortality"], a["net_migration"], n_steps,
                                         a["mortality_decline"], a["fertility_trend"], est.damping)
    out["_estimate"] = est
    return out


def backtest(history: ssb.PopulationHistory, national: ssb.PopulationHistory | None = None, first_year: int = 2015,
             base_year: int = 2019, target_year: int = 2024, shrink: ssb.Shrinkage = ssb.Shrinkage()) -> pd.DataFrame:
    """Per-region errors of every method, one row per level, region, age group and method."""
    runs = project_methods(history.between(first_year, base_year), national, first_year, base_year,
                           target_year - base_year, shrink)
    combined, unit_of = history.combine_merged()
    rows = []
    for method in COHORT_METHODS:
        cohort = np.zeros((len(combined.regions),) + runs[method].shape[2:])
        np.add.at(cohort, unit_of, runs[method][-1])
        runs[method] = cohort
    for level in LEVELS:
        hist = _at_level(combined, None, level)
        actual = group_totals(hist.at(target_year))
        values = {m: group_totals(_at_level(combined, runs[m], level)) for m in COHORT_METHODS}
        values["naive"] = naive_growth(group_totals(hist.at(first_year)), group_totals(hist.at(base_year)),
                                       base_year, first_year, target_year)
        for method in METHODS:
            pred = values[method]
            err = np.divide(pred - actual, actual, out=np.full_like(actual, np.nan), where=actual > 0)
            for r, code in enumerate(hist.regions.codes):
                for g, group in enumerate(AGE_GROUPS):
                    rows.append((level, code, hist.regions.names[r], group, method, 100.0 * abs(err[r, g]),
                                 100.0 * err[r, g], actual[r, g], pred[r, g]))
    return pd.DataFrame(rows, columns=["level", "region", "name", "group", "method", "ape", "error", "actual",
                                       "predicted"])


def _at_level(combined: ssb.PopulationHistory, cohort: np.ndarray | None, level: str):
    """The history (``cohort`` None) or a projection [R, S, A] summed to ``level``."""
    if level == "municipality":
        return combined if cohort is None else cohort
    if cohort is None:
        counties = combined.to_counties()
        if level == "county":
            return counties
        return ssb.PopulationHistory(counties.years, ssb.nation_regions(),
                                     counties.population.sum(axis=1, keepdims=True), "nation")
    n_county = len(combined.regions.counties)
    by_county = np.zeros((n_county,) + cohort.shape[1:])
    np.add.at(by_county, combined.regions.county_index(), cohort)
    return by_county if level == "county" else by_county.sum(axis=0, keepdims=True)


def summarise(errors: pd.DataFrame) -> pd.DataFrame:
    """Mean and worst APE (%) with the worst region, per level, age group and method."""
    errors = errors.dropna(subset=["ape"])
    worst = errors.loc[errors.groupby(["level", "group", "method"])["ape"].idxmax()]
    worst = worst.set_index(["level", "group", "method"])[["ape", "name"]]
    mean = errors.groupby(["level", "group", "method"])["ape"].mean().rename("mean")
    out = worst.rename(columns={"ape": "worst", "name": "worst_region"}).join(mean)
    return out[["mean", "worst", "worst_region"]]


# --- 2035 beside SSB's main alternative ----------------------------------------------------------
def read_ssb_mmmm(path) -> pd.DataFrame:
    """SSB 13600 MMMM (2022 projections): persons by area (``Telemark``: its 17 municipalities summed,
    ``nation``), year and age group (total, 80+, 90+)."""
    raw = pd.read_csv(path, dtype=str)
    raw = raw[raw["statistikkvariabel"].str.contains("(MMMM)", regex=False)].copy()
    raw["v"] = raw["value"].astype(float)
    raw["year"] = raw["år"].astype(int)
    municipal = raw["region"].str.endswith("(2020-2023)") & ~raw["region"].str.startswith("Vestfold og Telemark")
    area = np.where(raw["region"] == "Hele landet", "nation", np.where(municipal, "Telemark", ""))
    raw = raw.assign(area=area)[area != ""]
    groups = {"total": None, "80+": ("80-89 år", "90 år eller eldre"), "90+": ("90 år eller eldre",)}
    rows = []
    for (a, y), part in raw.groupby(["area", "year"]):
        for g, ages in groups.items():
            sel = part if ages is None else part[part["alder"].isin(ages)]
            rows.append((a, y, g, float(sel["v"].sum())))
    return pd.DataFrame(rows, columns=["area", "year", "group", "ssb"])


def ssb_comparison(history: ssb.PopulationHistory, national: ssb.PopulationHistory | None, ssb_table: pd.DataFrame,
                   shrink: ssb.Shrinkage = ssb.Shrinkage(), first_year: int = 2015,
                   origins=(2024, 2022), target_year: int = 2035) -> pd.DataFrame:
    """Our projections (each origin, each cohort method) beside SSB's MMMM for Telemark and the nation."""
    telemark = np.array([c == TELEMARK for c in history.regions.county_codes])
    rows = []
    for origin in origins:
        sub = history.between(first_year, origin)
        runs = project_methods(sub, national, first_year, origin, target_year - origin, shrink)
        for method in COHORT_METHODS:
            pop = runs[method]
            for year in sorted({origin, 2024, target_year}):
                at = pop[year - origin]
                for area, mask in (("Telemark", telemark), ("nation", np.ones_like(telemark))):
                    totals = group_totals(at[mask].sum(axis=0, keepdims=True))[0]
                    for g, group in enumerate(AGE_GROUPS):
                        if group in ("total", "80+", "90+"):
                            rows.append((origin, method, area, year, group, float(totals[g])))
    ours = pd.DataFrame(rows, columns=["origin", "method", "area", "year", "group", "ours"])
    return ours.merge(ssb_table, on=["area", "year", "group"], how="left")


def observed(history: ssb.PopulationHistory, year: int) -> dict[tuple[str, str], float]:
    """Real persons in ``year`` by (area, group) for Telemark and the nation."""
    telemark = np.array([c == TELEMARK for c in history.regions.county_codes])
    out = {}
    for area, mask in (("Telemark", telemark), ("nation", np.ones_like(telemark))):
        totals = group_totals(history.at(year)[mask].sum(axis=0, keepdims=True))[0]
        out.update({(area, g): float(totals[i]) for i, g in enumerate(AGE_GROUPS)})
    return out


# --- verdicts ------------------------------------------------------------------------------------
def fertility_trend_choice(national: ssb.PopulationHistory, last_year: int = 2019, horizon: int = 5,
                           windows=(5, 10, 15), dampings=(0.0, 0.5, 0.7, 0.9, 1.0)) -> pd.DataFrame:
    """Mean absolute error of log effective fertility forecast ``horizon`` years ahead from every origin
    whose forecasts end by ``last_year`` (the first origin leaves 10 years of history), for damped
    trends over ``windows`` years (``damping`` 0: the last level held)."""
    from helsemod_py.data import trends as TR

    nat = national.between(int(national.years[0]), last_year)
    fit = TR.fit_fertility_trend(nat, ssb.fertility_shape(), ssb.mortality_from_life_expectancy()[:, 0])
    years, log_level = fit.years, np.log(fit.levels)
    rows = []
    for window in windows:
        for damping in dampings:
            errs = []
            for origin in range(int(years[0]) + 10, int(years[-1]) - horizon + 1):
                past = (years <= origin) & (years > origin - window)
                slope = np.polyfit(years[past].astype(float), log_level[past], 1)[0]
                steps = np.cumsum(damping ** np.arange(1, horizon + 1))
                ahead = (years > origin) & (years <= origin + horizon)
                errs.append(np.abs(log_level[years == origin][0] + slope * steps - log_level[ahead]).mean())
            rows.append((window, damping, float(np.mean(errs))))
    out = pd.DataFrame(rows, columns=["window", "damping", "mae"])
    out.attrs["origins"] = (int(years[0]) + 10, int(years[-1]) - horizon)
    out.attrs["series"] = (int(nat.years[0]), int(nat.years[-1]))
    return out


def regional_mortality_effect(history, national, shrink: ssb.Shrinkage) -> pd.DataFrame:
    """Mean APE (%) of the trend method with and without regional mortality levels (``k_mortality`` ∞)."""
    rows = []
    for label, k in (("regional levels", shrink.k_mortality), ("national level only", 1e15)):
        s = summarise(backtest(history, national, shrink=ssb.Shrinkage(shrink.k_migration, shrink.k_fertility,
                                                                       shrink.age_halfwidth, k)))
        for level in ("county", "municipality"):
            for group in ("80+", "90+"):
                rows.append((label, level, group, s.loc[(level, group, "trend"), "mean"]))
    return pd.DataFrame(rows, columns=["variant", "level", "group", "mean"])


def targets_met(summary: pd.DataFrame, errors: pd.DataFrame, comparison: pd.DataFrame | None = None) -> dict:
    """The targets: the default (trend) method beats naive on 67+, 80+ and 90+ at county and municipality
    level and beats the previous method on 80+ and 90+ at every level; its 80+ error is under 3 % in every
    county and its national 80+ and 90+ errors under 1 % and 2 %; in 2035 its 80+ and 90+ are within
    5 % and 10 % of SSB's MMMM for Telemark and the nation (origin 2024)."""
    out = {}
    for level in ("county", "municipality"):
        for group in ("67+", "80+", "90+"):
            out[f"{level} {group}: trend mean APE < naive"] = (
                summary.loc[(level, group, "trend"), "mean"] < summary.loc[(level, group, "naive"), "mean"])
    for level in LEVELS:
        for group in ("80+", "90+"):
            out[f"{level} {group}: trend mean APE < previous"] = (
                summary.loc[(level, group, "trend"), "mean"] < summary.loc[(level, group, "previous"), "mean"])
    out["county 80+: trend worst APE < 3 %"] = summary.loc[("county", "80+", "trend"), "worst"] < 3.0
    nation = errors[(errors.level == "nation") & (errors.method == "trend")].set_index("group")["ape"]
    out["nation 80+: trend APE < 1 %"] = nation["80+"] < 1.0
    out["nation 90+: trend APE < 2 %"] = nation["90+"] < 2.0
    if comparison is not None:
        c = comparison[(comparison.origin == 2024) & (comparison.method == "trend") & (comparison.year == 2035)]
        for _, row in c[c.group.isin(["80+", "90+"])].iterrows():
            limit = 5.0 if row.group == "80+" else 10.0
            out[f"2035 {row.area} {row.group}: trend within {limit:g} % of SSB MMMM"] = \
                abs(100 * (row.ours / row.ssb - 1)) < limit
    return out


def _pct(x: float) -> str:
    return f"{x:+.1f} %"


def markdown(summary: pd.DataFrame, errors: pd.DataFrame, comparison: pd.DataFrame | None, real_2024: dict,
             est, settings: str, regional: pd.DataFrame | None = None, choice: pd.DataFrame | None = None) -> str:
    """The backtest report: tables, the verdict, and what the method beats and what it does not."""
    lines = ["# Population backtest and the oldest ages beside SSB", ""]
    lines += _plain_summary(summary, errors, comparison)
    lines += ["## 2019 → 2024: rates from 2015–2019 only", "",
             "Absolute percentage error (APE, %) of the 1 January 2024 population per region. Rates are "
             "estimated from SSB's municipal stocks 2015–2019 and the national series 1986–2019 (nothing "
             "after the 2019 origin). `previous`: model life table (e0 81.0 / 84.5) with net migration as the "
             "residual, 2015–2019 average rates (the method before mortality trends); `constant`: death "
             "probabilities from cohort losses at ages 75+ and fertility at their 2019 level, held; `trend`: the "
             "same with the estimated mortality decline and damped fertility trend (the default of the "
             "real-data build); `naive`: `P2024 = P2019 · (P2019/P2015)^(5/4)`. Data: SSB table 07459, 2024 "
             "borders; Ålesund and Haram compared as one unit (356 municipal units).", "",
             f"Settings: {settings}.", "",
             "| level | age | previous mean | constant mean | trend mean | trend worst | naive mean |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for level in LEVELS:
        for group in (g for g in AGE_GROUPS if g != "0-4"):
            s = {m: summary.loc[(level, group, m)] for m in METHODS}
            lines.append(f"| {level} | {group} | {s['previous']['mean']:.2f} | {s['constant']['mean']:.2f} | "
                         f"**{s['trend']['mean']:.2f}** | {s['trend']['worst']:.2f} ({s['trend']['worst_region']}) "
                         f"| {s['naive']['mean']:.2f} |")
    nation = errors[errors.level == "nation"].pivot(index="group", columns="method", values="error")
    lines += ["", "National error, predicted / actual − 1:", "", "| age | actual 2024 | previous | constant | trend | "
              "naive |", "|---|---:|---:|---:|---:|---:|"]
    actual = errors[(errors.level == "nation") & (errors.method == "trend")].set_index("group")["actual"]
    for group in AGE_GROUPS:
        r = nation.loc[group]
        lines.append(f"| {group} | {actual[group]:,.0f} | {_pct(r['previous'])} | {_pct(r['constant'])} | "
                     f"{_pct(r['trend'])} | {_pct(r['naive'])} |")
    lines += ["", "Ages 0–4 (born 2019–2023) show the fertility assumptions: the previous method's 2015–2019 average "
              "fertility overestimates them; the total's error comes from ages 5–66, mostly the immigration of "
              "2022–2023 that no method based on 2015–2019 foresaw."]
    county = errors[(errors.level == "county")]
    table = county.pivot_table(index="name", columns=["group", "method"], values="error")
    lines += ["", "County error in 2024, predicted / actual − 1 (%), previous → trend:", "",
              "| county | total | 80+ | 90+ |", "|---|---:|---:|---:|"]
    for name in table.sort_values(("80+", "trend"), key=abs, ascending=False).index:
        cells = [f"{table.loc[name, (g, 'previous')]:+.1f} → **{table.loc[name, (g, 'trend')]:+.1f}**"
                 for g in ("total", "80+", "90+")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if regional is not None:
        t = regional.pivot_table(index="variant", columns=["level", "group"], values="mean")
        lines += ["", "Regional mortality levels (shrunk toward county and nation) against one national level, trend "
                  "method, mean APE (%):", "", "| variant | county 80+ | county 90+ | municipality 80+ | "
                  "municipality 90+ |", "|---|---:|---:|---:|---:|"]
        for variant in ("regional levels", "national level only"):
            lines.append(f"| {variant} | " + " | ".join(f"{t.loc[variant, (lv, g)]:.2f}" for lv in
                                                      ("county", "municipality") for g in ("80+", "90+")) + " |")
    if comparison is not None:
        lines += _comparison_lines(comparison, real_2024)
    if est is not None:
        lines += _estimate_lines(est)
    if choice is not None:
        lines += _fertility_choice_lines(choice)
    lines += ["", "## Verdict", ""]
    met = targets_met(summary, errors, comparison)
    lines += [f"- {name}: {'met' if ok else 'NOT met'}" for name, ok in met.items()]
    return "\n".join(lines) + "\n"


def _plain_summary(summary: pd.DataFrame, errors: pd.DataFrame, comparison: pd.DataFrame | None) -> list[str]:
    """What the default (trend) method beats and what it does not, in words with the numbers."""
    nat = errors[errors.level == "nation"].pivot(index="group", columns="method", values="error")
    mean = lambda lv, g, m: summary.loc[(lv, g, m), "mean"]  # noqa: E731
    lines = ["## What it beats and what it does not", "",
             f"- **Beats naive growth** for 67+, 80+ and 90+ at county and municipality level (county 80+: "
             f"{mean('county', '80+', 'trend'):.2f} % against {mean('county', '80+', 'naive'):.2f} % mean error; "
             f"90+: {mean('county', '90+', 'trend'):.2f} % against {mean('county', '90+', 'naive'):.2f} %).",
             f"- **Beats the previous method for 80+** nationally ({nat.loc['80+', 'previous']:+.1f} % → "
             f"{nat.loc['80+', 'trend']:+.1f} % in 2024) and by county ({mean('county', '80+', 'previous'):.2f} % → "
             f"{mean('county', '80+', 'trend'):.2f} %), and births: ages 0–4 {nat.loc['0-4', 'previous']:+.1f} % → "
             f"{nat.loc['0-4', 'trend']:+.1f} %."]
    if comparison is not None:
        c = comparison[(comparison.origin == 2024) & (comparison.year == 2035)].set_index(["method", "area", "group"])
        gap = lambda m, a, g: 100 * (c.loc[(m, a, g), "ours"] / c.loc[(m, a, g), "ssb"] - 1)  # noqa: E731
        lines.append(f"- **Tracks SSB's main alternative for the oldest much better in 2035**: 80+ "
                     f"{gap('previous', 'nation', '80+'):+.1f} % → {gap('trend', 'nation', '80+'):+.1f} % (nation) and "
                     f"{gap('previous', 'Telemark', '80+'):+.1f} % → {gap('trend', 'Telemark', '80+'):+.1f} % "
                     "(Telemark); "
                     f"90+ {gap('previous', 'nation', '90+'):+.1f} % → {gap('trend', 'nation', '90+'):+.1f} % and "
                     f"{gap('previous', 'Telemark', '90+'):+.1f} % → {gap('trend', 'Telemark', '90+'):+.1f} %.")
    lines += [f"- **Does not beat the previous method (or constant rates) for 90+ over 2019–2024**: "
              f"{nat.loc['90+', 'trend']:+.1f} % against {nat.loc['90+', 'previous']:+.1f} % nationally. The trend "
              "carries the improvement of 1986–2019 through 2022, a year of excess deaths at old ages (about 10 % "
              "above the trend at 85–95), which the held-constant rates happen to absorb.",
              f"- **Does not beat the previous method at municipality level** for 80+ and 90+ "
              f"({mean('municipality', '80+', 'trend'):.2f} % against "
              f"{mean('municipality', '80+', 'previous'):.2f} %): "
              "there the error is the migration of a few old people in small places, not mortality.",
              "- **Does not beat naive growth for the total population** of the nation and the counties: no method "
              "estimated on 2015–2019 foresaw the immigration of 2022–2023."]
    if comparison is not None:
        t = comparison[(comparison.origin == 2024) & (comparison.method == "trend") & (comparison.area == "Telemark")
                       & (comparison.group == "90+")].set_index("year")
        ours = 100 * (t.loc[2035, "ours"] / t.loc[2024, "ours"] - 1)
        ref = 100 * (t.loc[2035, "ssb"] / t.loc[2024, "ssb"] - 1)
        ahead = 100 * (t.loc[2024, "ssb"] / t.loc[2024, "ours"] - 1)
        lines.append(f"- **Telemark's 90+ stays {-gap('trend', 'Telemark', '90+'):.0f} % below SSB in 2035**: it grows "
                     f"{ours:.0f} % from 2024 against SSB's {ref:.0f} %; SSB assumes faster gains in life expectancy "
                     f"than the 1986–2024 trend, and its 2022 projection already had {ahead:.0f} % more people "
                     "aged 90+ in Telemark in 2024 than there were.")
    return lines + [""]


def _comparison_lines(comparison: pd.DataFrame, real_2024: dict) -> list[str]:
    lines = ["", "## 2035 beside SSB's main alternative (MMMM, 2022 projections, table 13600)", "",
             "Persons on 1 January. Origin 2024: the real-data build (rates 2015–2024, trends 1986–2024); "
             "origin 2022: the same method from SSB's own jump-off year (rates 2015–2022, trends 1986–2022). "
             "Telemark is the sum of its 17 municipalities (2024 borders). In brackets: our value / SSB's − 1. "
             "Growth 2024 → 2035 sets SSB's own error in 2024 aside (SSB's 2022 projection already had more "
             "people aged 90+ in 2024 than there were).", "",
             "| origin | area | age | real 2024 | SSB 2024 | SSB 2035 | previous 2035 | constant 2035 | trend 2035 | "
             "growth 2024–35: SSB / trend |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    c = comparison[comparison.year == 2035]
    ssb24 = comparison[comparison.year == 2024].groupby(["area", "group"])["ssb"].first()
    ours24 = comparison[comparison.year == 2024].set_index(["origin", "method", "area", "group"])["ours"]
    for origin in sorted(c.origin.unique(), reverse=True):
        for area in ("Telemark", "nation"):
            for group in ("total", "80+", "90+"):
                part = c[(c.origin == origin) & (c.area == area) & (c.group == group)].set_index("method")
                ref = float(part["ssb"].iloc[0])
                cells = [f"{part.loc[m, 'ours']:,.0f} ({_pct(100 * (part.loc[m, 'ours'] / ref - 1))})"
                         for m in COHORT_METHODS]
                growth = (100 * (ref / ssb24[(area, group)] - 1),
                          100 * (part.loc["trend", "ours"] / ours24[(origin, "trend", area, group)] - 1))
                lines.append(f"| {origin} | {area} | {group} | {real_2024[(area, group)]:,.0f} | "
                             f"{ssb24[(area, group)]:,.0f} | {ref:,.0f} | " + " | ".join(cells)
                             + f" | {growth[0]:+.1f} % / {growth[1]:+.1f} % |")
    return lines


def _fertility_choice_lines(choice: pd.DataFrame) -> list[str]:
    t = choice.pivot(index="window", columns="damping", values="mae")
    (o1, o2), (y1, y2) = choice.attrs["origins"], choice.attrs["series"]
    lines = ["", f"Choice of the fertility trend: mean absolute error of log effective fertility forecast five years "
             f"ahead from every origin {o1}–{o2} (national series {y1}–{y2} only); damping 0 holds the last level. "
             "The trend of the build takes the smallest: a 5-year window damped by 0.5 (the differences are small; "
             "long undamped trends are clearly worse):",
             "", "| window (years) | " + " | ".join(f"damping {d:g}" for d in t.columns) + " |",
             "|---|" + "---:|" * len(t.columns)]
    lines += [f"| {w} | " + " | ".join(f"{v:.4f}" for v in t.loc[w]) + " |" for w in t.index]
    return lines


def _estimate_lines(est) -> list[str]:
    m, f = est.mortality_trend, est.fertility_trend_fit
    lines = ["", f"## Estimated trends (real-data build: national series {m.first_year}–{m.last_year})", "",
             "Yearly rate of decline of death probabilities (%), smoothed:", "",
             "| age | " + " | ".join(str(a) for a in (75, 80, 85, 90, 95, 100)) + " |",
             "|---|" + "---:|" * 6]
    for i, sex in enumerate(D.SEXES):
        lines.append(f"| {sex} | " + " | ".join(f"{100 * m.decline[i, a]:.2f}" for a in (75, 80, 85, 90, 95, 100))
                     + " |")
    lines += ["", f"Effective total fertility {int(f.years[-1])}: {f.levels[-1]:.3f}; trend "
              f"{100 * f.rate:+.2f} % a year (slope {int(f.years[-f.window])}–{int(f.years[-1])}), damped by "
              f"{f.damping:g} a year from then on (long-run change {100 * f.rate * f.damping / (1 - f.damping):+.1f} % "
              f"beyond {int(f.years[-1])})."]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder with SSB's CSV files")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="markdown file to write")
    parser.add_argument("--k-migration", type=float, default=ssb.Shrinkage.k_migration)
    parser.add_argument("--k-fertility", type=float, default=ssb.Shrinkage.k_fertility)
    parser.add_argument("--k-mortality", type=float, default=ssb.Shrinkage.k_mortality)
    parser.add_argument("--age-halfwidth", type=int, default=ssb.Shrinkage.age_halfwidth)
    args = parser.parse_args(argv)
    shrink = ssb.Shrinkage(args.k_migration, args.k_fertility, args.age_halfwidth, args.k_mortality)
    start = time.perf_counter()
    history, national = load_history(args.data), load_national(args.data)
    errors = backtest(history, national, shrink=shrink)
    proj = Path(args.data) / SSB_PROJECTION_FILE
    comparison = ssb_comparison(history, national, read_ssb_mmmm(proj), shrink) if proj.is_file() else None
    est = project_methods(history, national, 2015, 2024, 1, shrink, methods=())["_estimate"]
    regional = regional_mortality_effect(history, national, shrink)
    choice = fertility_trend_choice(national) if national is not None else None
    seconds = time.perf_counter() - start
    settings = (f"k_migration {shrink.k_migration:g} person-years, k_fertility {shrink.k_fertility:g} children, "
                f"k_mortality {shrink.k_mortality:g} expected deaths, age kernel half-width {shrink.age_halfwidth} "
                f"years; national series: {NATIONAL_FILE if national is not None else 'municipal sum'}")
    text = markdown(summarise(errors), errors, comparison, observed(history, 2024), est, settings, regional, choice)
    print(text)
    print(f"read + estimate + project: {seconds:.1f} s")
    Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
