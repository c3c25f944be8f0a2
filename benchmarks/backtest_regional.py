"""Backtest of regional supply: nurse FTE in municipal care, calibrated on 2015-2019, 2019 -> 2023.

Builds the real-data dataset for base year 2019 exactly as ``helsemod data build`` does
(population rates 2015-2019, KOSTRA user rates 2015-2019 and nurse FTE 2019 as the *measured*
base-year supply of municipal care), projects it to 2023 with the model's own cohort
projection, and holds the projected ``care_nurse_fte`` (FTE of all nurse-educated groups in
KOSTRA's municipal care services) against KOSTRA's 2023 values (``Y_5``), which the
calibration never saw. Nothing of 2020-2023 enters the dataset.

Methods:

* **model (supply)**: ``care_nurse_fte`` of 2023, the supply of the nurse groups to municipal
  care (stock-flow of each municipality's pool: graduates where they studied, internal
  migration of the population's own age and sex, retirement from the pool's age structure,
  constant sector shares);
* **model (filled)**: ``min(supply, demand)`` per municipality, demand as the demand kernel
  projects it (KOSTRA counts filled positions);
* **no change**: the 2019 value (persistence);
* **population-proportional**: the 2019 value times the municipality's real population
  growth 2019 -> 2023 (SSB 07459; a naive method with hindsight).

Errors are absolute percentage errors (APE) per municipality (Ålesund and Haram as one unit;
units without 2015-2019 rows left out), county and the nation, with municipalities by size.

    python benchmarks/backtest_regional.py [--data ../shared/data/ssb] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from helsemod_py import dims as D  # noqa: E402
from helsemod_py.data import kostra as KO  # noqa: E402
from helsemod_py.data import ssb  # noqa: E402
from helsemod_py.data.default import _metadata, dataset_from_population, load_facts  # noqa: E402
from helsemod_py.core.supply import FTE  # noqa: E402
from helsemod_py.model import build_inputs, run_kernels  # noqa: E402
from backtest_demand import load, observed, trend_extrapolation  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "ssb"
DEFAULT_OUT = HERE / "backtest_regional.md"
#: Reference method: each unit's own growth of the calibration years, extrapolated (not in the verdict).
TREND = "trend 2015-2019"
#: Reference method: population-proportional with the population as projected from 2019 (not in the verdict).
PROJECTED = "population-proportional, projected"
METHODS = {
    "model (supply)": "projected supply of the nurse groups to municipal care (care_nurse_fte)",
    "model (filled)": "min(projected supply, projected demand) of the nurse groups in municipal care",
    "no change": "2019 value (persistence)",
    "population-proportional": "2019 value x real population 2023 / 2019",
    PROJECTED: "2019 value x the model's projected population 2023 / 2019 (what a forecaster knew in 2019); "
               "a reference, not scored in the verdict",
    TREND: "2019 value x its own growth 2015 -> 2019 (what the calibration years say, extrapolated); "
           "a reference, not scored in the verdict",
}
SIZE_CLASSES = ((0, 5_000, "under 5 000"), (5_000, 20_000, "5 000-20 000"), (20_000, 50_000, "20 000-50 000"),
                (50_000, 10**9, "50 000 and more"))


def model_care_nurses(dataset, target_year: int) -> dict[str, np.ndarray]:
    """Supply and filled FTE [2, R] (base, target year) of the nurse groups in municipal care."""
    arrays = run_kernels(build_inputs(dataset, target_year))
    fte = arrays["supply_totals"][..., FTE]  # [T+1, R, G]
    share = np.broadcast_to(arrays["sector_share"], fte.shape[:2] + (len(D.SECTORS), len(D.GROUPS)))
    q = D.SECTORS.index("care")
    gs = [D.GROUPS.index(g) for g in D.NURSE_GROUPS]
    supply = (fte[:, :, gs] * share[:, :, q][:, :, gs]).sum(axis=2)
    ks = [k for k, s in enumerate(D.SERVICES) if D.SERVICE_SECTOR[s] == "care"]
    demand = arrays["demand_fte"][:, :, ks][:, :, :, gs].sum(axis=(2, 3))
    return {"model (supply)": supply[[0, -1]], "model (filled)": np.minimum(supply, demand)[[0, -1]],
            PROJECTED: arrays["population"].sum(axis=(2, 3))[[0, -1]]}


def calibrated_dataset(history, panel: pd.DataFrame, base_year: int, first_year: int, last_year: int,
                       facts: dict | None = None):
    """The real-data dataset of ``base_year`` from rates of ``first_year..last_year`` only (population
    and KOSTRA user rates) and KOSTRA's nurse FTE of ``base_year``, as ``helsemod data build`` makes it."""
    facts = facts or load_facts()
    part = ssb.population_dataset_part(history, base_year, first_year, last_year)
    ds = dataset_from_population(history.regions, part, base_year, name=f"backtest-{base_year}",
                                 version=str(base_year), meta=_metadata(facts), facts=facts,
                                 sex_ratio_at_birth=ssb.SEX_RATIO_AT_BIRTH)
    ds = KO.calibrate_dataset(ds, panel, base_year, rate_years=range(first_year, last_year + 1), facts=facts)
    years = [y for y in range(first_year, min(base_year, last_year) + 1)]
    # the coverage trend of the demand side (for the filled method), fitted on the years up to the base
    return KO.add_coverage_trends(ds, panel, years, history=history) if len(years) >= KO.MIN_TREND_YEARS else ds


def backtest(history, panel: pd.DataFrame, first_year: int = 2015, base_year: int = 2019,
             target_year: int = 2023, dataset=None) -> pd.DataFrame:
    """Per-unit predictions and APE (%) of every method; one row per level, unit and method."""
    dataset = dataset or calibrated_dataset(history, panel, base_year, first_year, base_year)
    model = model_care_nurses(dataset, target_year)
    combined, unit_index = history.combine_merged()
    units = combined.regions
    n_units = len(units)
    unit_of = {code: int(unit_index[i]) for i, code in enumerate(history.regions.codes)}
    members = np.bincount(unit_index, minlength=n_units)
    base = observed(panel, base_year, unit_of, members)["nurse FTEs"]
    actual = observed(panel, target_year, unit_of, members)["nurse FTEs"]
    pop = combined.population.sum(axis=(2, 3))
    years = combined.years.tolist()
    pop0, pop1 = pop[years.index(base_year)], pop[years.index(target_year)]

    def to_units(x):
        out = np.zeros((x.shape[0], n_units))
        np.add.at(out, (slice(None), unit_index), x)
        return out

    keep = np.isfinite(base) & np.isfinite(actual) & (actual > 0)
    preds = {}
    for method, series in model.items():  # the model's methods, and the projected population
        m0, m1 = to_units(series)
        # the model's base equals the observed 2019 value where KOSTRA measured it; apply its growth
        preds[method] = base * np.divide(m1, m0, out=np.ones_like(m1), where=m0 > 0)
    preds["no change"] = base.copy()
    preds["population-proportional"] = base * pop1 / pop0
    preds[TREND] = trend_extrapolation(base, observed(panel, first_year, unit_of, members)["nurse FTEs"],
                                       base_year - first_year, target_year - base_year)
    county_of = np.array(units.county_codes)
    size = np.array([next(lbl for lo, hi, lbl in SIZE_CLASSES if lo <= p < hi) for p in pop0])
    counties = sorted(set(county_of[keep]))
    levels = {
        "municipality": ([c for c, k in zip(units.codes, keep) if k], [n for n, k in zip(units.names, keep) if k],
                         size[keep], lambda v: v[keep]),
        "county": (counties, [units.county_names.get(c, c) for c in counties], np.array([""] * len(counties)),
                   lambda v: np.array([v[keep & (county_of == c)].sum() for c in counties])),
        "nation": ([D.NATION_CODE], [D.NATION_NAME], np.array([""]), lambda v: np.array([v[keep].sum()])),
    }
    rows = []
    for level, (codes, names, sizes, agg) in levels.items():
        act, b0 = agg(actual), agg(base)
        for method in METHODS:
            pred = agg(preds[method])
            ape = 100.0 * np.abs(pred - act) / act
            rows += [(level, codes[i], names[i], sizes[i], method, b0[i], act[i], pred[i], ape[i])
                     for i in range(len(codes))]
    frame = pd.DataFrame(rows, columns=["level", "region", "name", "size", "method", "base", "actual",
                                        "predicted", "ape"])
    frame.attrs["dataset_meta"] = dataset.meta
    return frame


def distribution_error(errors: pd.DataFrame, level: str, method: str) -> float:
    """Mean APE (%) at ``level`` after scaling the method's predictions to the observed national total:
    how well it distributes, whatever its national level."""
    sub = errors[(errors.level == level) & (errors.method == method)]
    scale = sub["actual"].sum() / sub["predicted"].sum()
    return float((100.0 * np.abs(sub["predicted"] * scale - sub["actual"]) / sub["actual"]).mean())


#: The grid of the calibration (``--calibrate``): graduate study-place weight x workforce migration factor.
GRID = {"graduate_study_weight": (0.0, 0.25, 0.5), "workforce_migration_factor": (0.0, 0.5, 1.0, 1.5, 2.0, 3.0),
        "workforce_local_migration_factor": (0.0, 0.5, 1.0)}


#: Rolling origins of the calibration: base years projected two years ahead, all inside 2015-2019.
ORIGINS = (2015, 2016, 2017)


def calibrate(history, panel: pd.DataFrame, horizon: int = 2) -> pd.DataFrame:
    """Choose the regional rules on 2015-2019 only: for each base year of :data:`ORIGINS` (population
    and KOSTRA rates of 2015-2019, KOSTRA nurse FTE of the base year) projected ``horizon`` years and
    held against KOSTRA; one row per grid point with the errors averaged over the origins (mean APE,
    and the distribution errors with the national level removed)."""
    import copy
    import itertools

    from helsemod_py.data.dataset import Dataset

    rows = []
    for weight in GRID["graduate_study_weight"]:
        facts = copy.deepcopy(load_facts())
        facts["regional"]["graduate_study_weight"]["value"] = weight
        datasets = {b: calibrated_dataset(history, panel, b, 2015, 2019, facts) for b in ORIGINS}
        for factor, local in itertools.product(GRID["workforce_migration_factor"], GRID["workforce_local_migration_factor"]):
            errs = []
            for base, ds in datasets.items():
                scalars = dict(ds.scalars, workforce_migration_factor=factor, workforce_local_migration_factor=local)
                variant = Dataset(ds.regions, ds.base_year, ds.arrays, scalars, ds.name, ds.version, ds.meta)
                e = backtest(history, panel, first_year=2015, base_year=base, target_year=base + horizon,
                             dataset=variant)
                sup = e[e.method == "model (supply)"]
                errs.append((distribution_error(e, "county", "model (supply)"),
                             distribution_error(e, "municipality", "model (supply)"),
                             sup[sup.level == "county"]["ape"].mean(), sup[sup.level == "municipality"]["ape"].mean(),
                             distribution_error(e, "county", "no change"),
                             distribution_error(e, "county", "population-proportional")))
            rows.append((weight, factor, local, *np.mean(errs, axis=0)))
    return pd.DataFrame(rows, columns=list(GRID) + ["county_distribution", "municipality_distribution", "county",
                                                    "municipality", "county_distribution_no_change",
                                                    "county_distribution_population"])


def chosen(cal: pd.DataFrame) -> pd.Series:
    """The calibrated grid point: weight and between-county factor by the county distribution error
    (they move staff between counties), then the within-county factor by the municipality one."""
    county = cal.groupby(["graduate_study_weight", "workforce_migration_factor"])["county_distribution"].mean()
    weight, factor = county.idxmin()
    sub = cal[(cal.graduate_study_weight == weight) & (cal.workforce_migration_factor == factor)]
    return sub.loc[sub["municipality_distribution"].idxmin()]


def summarise(errors: pd.DataFrame) -> pd.DataFrame:
    """n, mean, median, worst APE (%) and the summed signed error, per level (and size class) and method."""
    rows = []
    groups = [("county", None), ("nation", None), ("municipality", None)] + [
        ("municipality", lbl) for _, _, lbl in SIZE_CLASSES]
    for level, size in groups:
        sub = errors[(errors.level == level) & ((errors["size"] == size) if size else True)]
        for method in METHODS:
            m = sub[sub.method == method]
            if m.empty:
                continue
            w = m.loc[m["ape"].idxmax()]
            rows.append((level + (f", {size}" if size else ""), method, len(m), m["ape"].mean(), m["ape"].median(),
                         w["ape"], w["name"], 100.0 * (m["predicted"].sum() / m["actual"].sum() - 1.0)))
    return pd.DataFrame(rows, columns=["level", "method", "n", "mean", "median", "worst", "worst_region",
                                       "total_error"])


def verdict(summary: pd.DataFrame, errors: pd.DataFrame, level: str) -> str:
    """Which naive methods the model beats at ``level``: on the values, and on how it distributes
    the national total (its predictions scaled to the observed national total)."""
    s = summary[summary.level == level].set_index("method")["mean"]
    naive = ("no change", "population-proportional")
    model = "model (supply)"

    def words(values: dict) -> str:
        beaten = [m for m in naive if values[model] < values[m]]
        figures = ", ".join(f"{m} {values[m]:.2f} %" for m in naive)
        if len(beaten) == len(naive):
            return f"beats both naive methods ({values[model]:.2f} % against {figures})"
        if not beaten:
            return f"beats NEITHER naive method ({values[model]:.2f} % against {figures})"
        return f"beats {beaten[0]} but not {[m for m in naive if m not in beaten][0]} ({values[model]:.2f} % against {figures})"

    dist = {m: distribution_error(errors, level, m) for m in (model, *naive)}
    return f"on the values the model {words(dict(s))}; on the distribution it {words(dist)}"


def markdown(summary: pd.DataFrame, errors: pd.DataFrame, command: str, seconds: float,
             cal: pd.DataFrame | None = None) -> str:
    nation = errors[errors.level == "nation"].set_index("method")
    obs = 100.0 * (nation.loc["no change", "actual"] / nation.loc["no change", "base"] - 1)
    lines = ["# Regional supply backtest: nurse FTE in municipal care, calibrated on 2015-2019, 2019 -> 2023", "",
             f"Command: `{command}` ({seconds:.0f} s)", "",
             "The dataset of base year 2019 is built as `helsemod data build` builds one (population rates "
             "2015-2019; KOSTRA user rates 2015-2019; KOSTRA's nurse FTE in municipal care of 2019 as the measured "
             "base-year supply), then projected to 2023 with the model's own cohort projection. The 2023 values "
             "(KOSTRA `Y_5`) were never seen by the calibration. National personnel facts (graduates, exits, age "
             "profiles) are those of the default dataset (2020-2024 sources): the backtest tests the regional "
             "model, and the national level only as far as those facts hold for 2019-2023.", "",
             "Methods:", ""]
    lines += [f"- **{m}**: {d}" for m, d in METHODS.items()]
    lines += ["", "| level | method | n | mean APE | median APE | worst APE (region) | total error |",
              "|---|---|---:|---:|---:|---|---:|"]
    for row in summary.itertuples(index=False):
        worst = f"{row.worst:.2f} ({row.worst_region})" if not row.level.startswith("nation") else f"{row.worst:.2f}"
        lines.append(f"| {row.level} | {row.method} | {row.n} | {row.mean:.2f} | {row.median:.2f} | {worst} | "
                     f"{row.total_error:+.2f} |")
    lines += ["", "`total error`: summed prediction / summed actual - 1 (signed, %).", "",
              f"National change 2019 -> 2023: observed {obs:+.2f} %; " + "; ".join(
                  f"{m} {100.0 * (nation.loc[m, 'predicted'] / nation.loc[m, 'base'] - 1):+.2f} %" for m in METHODS)
              + ".", "",
              f"Verdict, county level: {verdict(summary, errors, 'county')}.", "",
              f"Verdict, municipality level: {verdict(summary, errors, 'municipality')}.", ""]
    county = errors[errors.level == "county"].pivot_table(index=["region", "name"], columns="method",
                                                          values=["actual", "predicted"])
    lines += ["Counties (FTE 2023):", "", "| county | observed | " + " | ".join(METHODS) + " |",
              "|---|---:|" + "---:|" * len(METHODS)]
    for (code, name), row in county.iterrows():
        lines.append(f"| {name} | {row[('actual', 'no change')]:,.0f} | " + " | ".join(
            f"{row[('predicted', m)]:,.0f}" for m in METHODS) + " |")
    lines += ["", "How well each method distributes the national total (mean APE with each method's predictions "
              "scaled to the observed national total, %):", "", "| level | " + " | ".join(METHODS) + " |",
              "|---|" + "---:|" * len(METHODS)]
    for level in ("county", "municipality"):
        lines.append(f"| {level} | " + " | ".join(f"{distribution_error(errors, level, m):.2f}" for m in METHODS) + " |")
    if cal is not None:
        best = chosen(cal)
        lines += ["", "## Calibration on 2015-2019 (`--calibrate`)", "",
                  "Base years 2015, 2016 and 2017 (population and KOSTRA rates of 2015-2019, KOSTRA nurse FTE of the "
                  "base year), each projected two years and held against KOSTRA (errors averaged over the three "
                  "origins), for each weight of the study-place rule for nurse graduates and each factor on the "
                  "workforce's net migration between counties and within them. Nothing after 2019 is used. The "
                  "defaults in "
                  "default_facts.yaml (`regional.graduate_study_weight`, `regional.workforce_migration_factor`, "
                  "`regional.workforce_local_migration_factor`) are chosen where each acts: the study-place weight "
                  "and the between-county factor with the smallest county distribution error, then the within-county "
                  "factor with the smallest municipality distribution error: weight "
                  f"{best.graduate_study_weight:g}, between-county factor "
                  f"{best.workforce_migration_factor:g}, within-county factor {best.workforce_local_migration_factor:g}.",
                  "", f"On the same origins the naive methods distribute with county errors of "
                  f"{cal['county_distribution_no_change'].iloc[0]:.2f} % (no change) and "
                  f"{cal['county_distribution_population'].iloc[0]:.2f} % (population-proportional).", "",
                  "| study-place weight | between counties | within county | county distribution APE | "
                  "municipality distribution APE | county APE | municipality APE |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for row in cal.itertuples(index=False):
            lines.append(f"| {row.graduate_study_weight:g} | {row.workforce_migration_factor:g} | "
                         f"{row.workforce_local_migration_factor:g} | {row.county_distribution:.2f} | "
                         f"{row.municipality_distribution:.2f} | {row.county:.2f} | {row.municipality:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder with SSB's CSV files")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="markdown file to write")
    parser.add_argument("--calibrate", action="store_true",
                        help="also choose the regional rules on 2015-2019 (grid of the graduate rule and migration)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    _, history, panel = load(args.data)
    errors = backtest(history, panel)
    cal = calibrate(history, panel) if args.calibrate else None
    seconds = time.perf_counter() - start
    command = "python benchmarks/backtest_regional.py" + (" --calibrate" if args.calibrate else "")
    text = markdown(summarise(errors), errors, command, seconds, cal)
    print(text)
    Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
