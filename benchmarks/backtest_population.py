"""Backtest of the population projection on SSB data: rates from 2015-2019, 2019 -> 2024.

Estimates effective fertility and net migration from SSB's municipal population stocks
2015-2019 (``helsemod_py.data.ssb``), projects the 1 January 2019 population five years
with the numba cohort-component kernel and compares with the real 1 January 2024
population, beside naive constant-growth extrapolation of the same history,
``P2024 = P2019 * (P2019 / P2015) ** (5 / 4)`` per region and age group. Errors are
absolute percentage errors (APE) per region; Ålesund and Haram (one municipality until
2023) are compared as one unit.

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
AGE_GROUPS = {"total": 0, "67+": 67, "80+": 80}  #: name -> lowest age
LEVELS = ("nation", "county", "municipality")
METHODS = ("cohort", "naive")


def load_history(data_dir) -> ssb.PopulationHistory:
    """SSB's municipal population 2015-2024 with the municipality list."""
    data_dir = Path(data_dir)
    regions = ssb.read_municipalities(data_dir / "kommuner_2024.csv")
    return ssb.read_population(data_dir / "population_kommune_age_sex_2015_2024.csv", regions)


def group_totals(pop: np.ndarray) -> np.ndarray:
    """Persons [..., R, G] in each of :data:`AGE_GROUPS` from pop [..., R, S, A]."""
    by_age = pop.sum(axis=-2)
    return np.stack([by_age[..., D.AGES >= lo].sum(axis=-1) for lo in AGE_GROUPS.values()], axis=-1)


def naive_growth(first: np.ndarray, base: np.ndarray, base_year: int, first_year: int, target_year: int):
    """Constant-growth extrapolation of ``base`` (no growth where ``first`` is zero)."""
    growth = np.divide(base, first, out=np.ones_like(base), where=first > 0)
    return base * growth ** ((target_year - base_year) / (base_year - first_year))


def backtest(history: ssb.PopulationHistory, first_year: int = 2015, base_year: int = 2019,
             target_year: int = 2024, shrink: ssb.Shrinkage = ssb.Shrinkage(),
             e0_male: float = ssb.E0_MALE, e0_female: float = ssb.E0_FEMALE) -> pd.DataFrame:
    """Per-region absolute percentage errors of both methods, one row per level, region, group."""
    q = ssb.mortality_from_life_expectancy(e0_male, e0_female)
    fertility, migration = ssb.estimate_population_rates(history, first_year, base_year, q, shrink)
    projected = ssb.project_constant_rates(history.at(base_year), fertility, q, migration,
                                           target_year - base_year)[-1]
    combined, unit_of = history.combine_merged()
    cohort = np.zeros((len(combined.regions),) + projected.shape[1:])
    np.add.at(cohort, unit_of, projected)
    rows = []
    for level in LEVELS:
        hist, pred = _at_level(combined, cohort, level)
        actual = group_totals(hist.at(target_year))
        naive = naive_growth(group_totals(hist.at(first_year)), group_totals(hist.at(base_year)),
                             base_year, first_year, target_year)
        for method, values in (("cohort", group_totals(pred)), ("naive", naive)):
            ape = np.divide(np.abs(values - actual), actual, out=np.full_like(actual, np.nan), where=actual > 0)
            for r, code in enumerate(hist.regions.codes):
                for g, group in enumerate(AGE_GROUPS):
                    rows.append((level, code, hist.regions.names[r], group, method,
                                 100.0 * ape[r, g], actual[r, g], values[r, g]))
    return pd.DataFrame(rows, columns=["level", "region", "name", "group", "method", "ape", "actual", "predicted"])


def _at_level(combined: ssb.PopulationHistory, cohort: np.ndarray, level: str):
    """History and cohort projection [R, S, A] summed to ``level``."""
    if level == "municipality":
        return combined, cohort
    counties = combined.to_counties()
    by_county = np.zeros((len(counties.regions),) + cohort.shape[1:])
    np.add.at(by_county, combined.regions.county_index(), cohort)
    if level == "county":
        return counties, by_county
    nation = ssb.PopulationHistory(counties.years, ssb.nation_regions(),
                                   counties.population.sum(axis=1, keepdims=True), "nation")
    return nation, by_county.sum(axis=0, keepdims=True)


def summarise(errors: pd.DataFrame) -> pd.DataFrame:
    """Mean and worst APE (%) with the worst region, per level, age group and method."""
    errors = errors.dropna(subset=["ape"])
    worst = errors.loc[errors.groupby(["level", "group", "method"])["ape"].idxmax()]
    worst = worst.set_index(["level", "group", "method"])[["ape", "name"]]
    mean = errors.groupby(["level", "group", "method"])["ape"].mean().rename("mean")
    out = worst.rename(columns={"ape": "worst", "name": "worst_region"}).join(mean)
    return out[["mean", "worst", "worst_region"]]


def targets_met(summary: pd.DataFrame) -> dict[str, bool]:
    """The issue's targets: cohort beats naive on 67+ and 80+ (mean APE, county and
    municipality), and the cohort's 80+ error is under 3 % in every county."""
    out = {}
    for level in ("county", "municipality"):
        for group in ("67+", "80+"):
            out[f"{level} {group}: cohort mean APE < naive"] = (
                summary.loc[(level, group, "cohort"), "mean"] < summary.loc[(level, group, "naive"), "mean"])
    out["county 80+: cohort worst APE < 3 %"] = summary.loc[("county", "80+", "cohort"), "worst"] < 3.0
    return out


def markdown(summary: pd.DataFrame, errors: pd.DataFrame, settings: str) -> str:
    """The backtest report: summary table, targets and the county 80+ errors."""
    lines = ["# Population backtest: rates 2015-2019, projection 2019 -> 2024", "",
             "Absolute percentage error (APE, %) of the 1 January 2024 population per region, "
             "cohort-component projection (numba kernel) against naive constant-growth "
             "extrapolation `P2024 = P2019 * (P2019/P2015)^(5/4)`. Data: SSB table 07459, "
             "2024 borders; Ålesund and Haram compared as one unit (356 municipal units).", "",
             f"Settings: {settings}.", "",
             "| level | age group | cohort mean | cohort worst | naive mean | naive worst |",
             "|---|---|---:|---:|---:|---:|"]
    for level in LEVELS:
        for group in AGE_GROUPS:
            c, n = summary.loc[(level, group, "cohort")], summary.loc[(level, group, "naive")]
            lines.append(f"| {level} | {group} | {c['mean']:.2f} | {c['worst']:.2f} ({c['worst_region']}) "
                         f"| {n['mean']:.2f} | {n['worst']:.2f} ({n['worst_region']}) |")
    nation = errors[(errors.level == "nation") & (errors.method == "cohort")].set_index("group")
    signed = ", ".join(f"{g} {100 * (r.predicted / r.actual - 1):+.2f} %" for g, r in nation.iterrows())
    lines += ["", f"Cohort-component national error, predicted / actual - 1: {signed}. Rates are held at "
              "their 2015-2019 level: no mortality improvement and no fertility decline."]
    lines += ["", "Targets:", ""]
    lines += [f"- {name}: {'met' if ok else 'NOT met'}" for name, ok in targets_met(summary).items()]
    county = errors[(errors.level == "county") & (errors.group == "80+")]
    table = county.pivot(index="name", columns="method", values="ape").sort_values("cohort", ascending=False)
    lines += ["", "County 80+ APE (%):", "", "| county | cohort | naive |", "|---|---:|---:|"]
    lines += [f"| {name} | {row['cohort']:.2f} | {row['naive']:.2f} |" for name, row in table.iterrows()]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder with SSB's CSV files")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="markdown file to write")
    parser.add_argument("--k-migration", type=float, default=ssb.Shrinkage.k_migration)
    parser.add_argument("--k-fertility", type=float, default=ssb.Shrinkage.k_fertility)
    parser.add_argument("--age-halfwidth", type=int, default=ssb.Shrinkage.age_halfwidth)
    parser.add_argument("--e0", type=float, nargs=2, default=(ssb.E0_MALE, ssb.E0_FEMALE),
                        metavar=("MALE", "FEMALE"))
    args = parser.parse_args(argv)
    shrink = ssb.Shrinkage(args.k_migration, args.k_fertility, args.age_halfwidth)
    start = time.perf_counter()
    errors = backtest(load_history(args.data), shrink=shrink, e0_male=args.e0[0], e0_female=args.e0[1])
    seconds = time.perf_counter() - start
    settings = (f"k_migration {shrink.k_migration:g} person-years, k_fertility {shrink.k_fertility:g} "
                f"children, age kernel half-width {shrink.age_halfwidth} years, e0 men {args.e0[0]:g} / "
                f"women {args.e0[1]:g} years ({ssb.E0_SOURCE})")
    text = markdown(summarise(errors), errors, settings)
    print(text)
    print(f"read + estimate + project: {seconds:.1f} s")
    Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
