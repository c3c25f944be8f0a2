"""Backtest of municipal care demand on KOSTRA: calibrate on 2015-2019, project 2019 -> 2023.

Builds a dataset for base year 2019 from SSB's population (rates 2015-2019,
``helsemod_py.data.ssb``), calibrates it to the KOSTRA care panel
(``helsemod_py.data.kostra.calibrate_dataset``: user rates by age group pooled over
2015-2019 and shrunk toward the county, nurse FTEs of 2019; ``add_coverage_trends``: coverage
trends by age group fitted on 2015-2019, shrunk toward county and nation), runs the model's
kernels to 2023 (demand: ``users = population x user rates x exp(trend x g(t))``,
``demand = base x users / users_2019 x (1 + standard growth)^t``) and compares with the real
2023 values per municipality, county and the nation:

* home care users = users of home-based services (``Y_1_a_ialt``);
* 24-hour care residents = long-term institution residents (``Y_3_a_ialt``) plus residents
  of housing with 24-hour staff (``Y_2_ialt``): the model's ``nursing_home`` service;
* nurse FTEs = contracted nurse FTEs in municipal care (``Y_5_ialt``): the model's demand of
  nurses and specialist nurses in nursing homes and home care.

Each prediction applies the model's growth to the observed 2019 value, as the demand kernel
applies it to base-year FTE: ``predicted = observed_2019 x model_2023 / model_2019``. Methods:
the model driven by the real 2023 population (SSB 07459), the model driven by its own
cohort-component projection from 2019 (rates 2015-2019), the model with each of the other
coverage-trend assumptions (``none``, ``damped``, ``constant``; the default is
``helsemod_py.trends.DEFAULT_COVERAGE_TREND``), and two naive methods: no change from 2019,
and growth in proportion to the municipality's total population. Nothing fitted here sees a
year after 2019: the shrinkage constant (``--choose-k``) and the damping of the trend
(``--choose-damping``) are chosen on holdouts inside 2015-2019. Errors are
absolute percentage errors (APE). Ålesund and Haram (one municipality in 2020-2023) are one
unit; units without a value in both years (Narvik, Hamarøy, Heim, Hitra and Orkland have no
2015-2019 rows; suppressed cells) are left out, and county and national sums run over the
units kept for each measure.

    python benchmarks/backtest_demand.py [--data ../shared/data/ssb] [--out FILE.md] [--k K]
        [--choose-k] [--choose-damping]
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
from helsemod_py.data import kostra as KO  # noqa: E402
from helsemod_py.data import ssb  # noqa: E402
from helsemod_py.data.default import _metadata, dataset_from_population, load_facts  # noqa: E402
from helsemod_py import trends as TR  # noqa: E402
from helsemod_py.model import build_inputs, run_kernels  # noqa: E402
from helsemod_py.scenario import Scenario  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "ssb"
DEFAULT_OUT = ROOT / "benchmarks" / "backtest_demand.md"
KOSTRA_FILE = "kostra_care_panel_2015_2023.csv"
MEASURES = {
    "home care users": "users of home-based services, Y_1_a_ialt",
    "24-hour care residents": "institution long-term residents Y_3_a_ialt + residents of 24-hour staffed housing Y_2_ialt",
    "nurse FTEs": "contracted nurse FTEs in municipal care, Y_5_ialt",
}
#: The model's runs: method -> (population driver, coverage trend); "real" = SSB 07459 2023.
MODEL_RUNS = {
    "model, real population": ("real", TR.DEFAULT_COVERAGE_TREND),
    "model, cohort projection": ("cohort", TR.DEFAULT_COVERAGE_TREND),
    **{f"model, trend {mode}": ("real", mode) for mode in TR.COVERAGE_TRENDS if mode != TR.DEFAULT_COVERAGE_TREND},
}
METHODS = {
    "model, real population": f"model (coverage trend {TR.DEFAULT_COVERAGE_TREND}, the default), population SSB "
                              "07459 2023",
    "model, cohort projection": f"model (coverage trend {TR.DEFAULT_COVERAGE_TREND}), cohort-component population "
                                "from 2019 (rates 2015-2019)",
    **{f"model, trend {mode}": f"model with coverage trend {mode}, population SSB 07459 2023"
       for mode in TR.COVERAGE_TRENDS if mode != TR.DEFAULT_COVERAGE_TREND},
    "no change": "2019 value",
    "population-proportional": "2019 value x total population 2023 / 2019",
    "trend 2015-2019": "2019 value x its own growth 2015 -> 2019 (what the calibration years say, "
                       "extrapolated); a reference, not scored in the verdict",
}
NAIVE = ("no change", "population-proportional")
LEVELS = ("municipality", "county", "nation")


# --- data ------------------------------------------------------------------------------------
def load(data_dir):
    """Municipalities, population history 2015-2024 and the KOSTRA panel 2015-2023."""
    data_dir = Path(data_dir)
    regions = ssb.read_municipalities(data_dir / "kommuner_2024.csv")
    history = ssb.read_population(data_dir / "population_kommune_age_sex_2015_2024.csv", regions)
    panel = KO.read_kostra(data_dir / KOSTRA_FILE, regions)
    return regions, history, panel


def base_dataset(history: ssb.PopulationHistory, first_year: int, base_year: int):
    """A dataset for ``base_year`` from SSB stocks, rates ``first_year..base_year``."""
    part = ssb.population_dataset_part(history, base_year, first_year, base_year)
    facts = load_facts()
    return dataset_from_population(history.regions, part, base_year, name=f"backtest-{base_year}",
                                   version=str(base_year), meta=_metadata(facts), facts=facts,
                                   sex_ratio_at_birth=ssb.SEX_RATIO_AT_BIRTH)


def model_series(dataset, history: ssb.PopulationHistory, target_year: int) -> dict[str, dict[str, np.ndarray]]:
    """Model values [2, R] (base, target year) per method and measure."""
    base = dataset.base_year
    years = history.years.tolist()
    real = history.population[years.index(base):years.index(target_year) + 1]
    nh, hc = D.SERVICES.index("nursing_home"), D.SERVICES.index("home_care")
    ks = [D.SERVICES.index(s) for s in KO.NURSE_SERVICES]
    gs = [D.GROUPS.index(g) for g in D.NURSE_GROUPS]
    out = {}
    for method, (driver, mode) in MODEL_RUNS.items():
        scenario = Scenario(f"coverage trend {mode}", assumptions={"coverage_trend": mode})
        inputs = scenario.apply(build_inputs(dataset, target_year, real if driver == "real" else None), dataset)
        arrays = run_kernels(inputs)
        users, demand = arrays["users"][[0, -1]], arrays["demand_fte"][[0, -1]]
        out[method] = {
            "home care users": users[:, :, hc],
            "24-hour care residents": users[:, :, nh],
            "nurse FTEs": demand[:, :, ks][:, :, :, gs].sum(axis=(2, 3)),
        }
    return out


def observed(panel: pd.DataFrame, year: int, unit_of: dict[str, int], members: np.ndarray) -> dict[str, np.ndarray]:
    """Observed values [U] per measure in ``year`` (NaN where a unit is incomplete or suppressed)."""
    rows = panel[panel["year"] == year]
    n = len(members)
    values = {m: np.zeros(n) for m in MEASURES}
    covered = np.zeros(n)
    seen: dict[int, set] = {}
    series = {
        "home care users": rows[KO.HOME_TOTAL].to_numpy(),
        "24-hour care residents": (rows[KO.INST_TOTAL] + rows[KO.HOUSING_TOTAL]).to_numpy(),
        "nurse FTEs": rows[KO.NURSE_FTE].to_numpy(),
    }
    for i, cov in enumerate(rows["covers"].str.split("+")):
        unit = unit_of[cov[0]]
        seen.setdefault(unit, set()).update(cov)
        for m in MEASURES:
            values[m][unit] += series[m][i]  # NaN propagates
    for unit, codes in seen.items():
        covered[unit] = len(codes)
    complete = covered == members
    return {m: np.where(complete, v, np.nan) for m, v in values.items()}


# --- the backtest --------------------------------------------------------------------------
def trend_extrapolation(base: np.ndarray, first: np.ndarray, years_seen: int, horizon: int) -> np.ndarray:
    """``base`` times its own yearly growth since ``first`` over ``horizon`` years; no change where
    the first value is missing or zero (or no year was seen)."""
    if years_seen <= 0:
        return base.copy()
    ok = np.isfinite(first) & (first > 0) & np.isfinite(base)
    growth = np.divide(base, first, out=np.ones_like(base), where=ok) ** (horizon / years_seen)
    return base * growth


def backtest(history: ssb.PopulationHistory, panel: pd.DataFrame, first_year: int = 2015, base_year: int = 2019,
             target_year: int = 2023, k: float = KO.K_CREDIBILITY) -> pd.DataFrame:
    """Per-unit predictions and APE (%) of every method; one row per level, unit, measure, method."""
    dataset = KO.calibrate_dataset(base_dataset(history, first_year, base_year), panel, base_year,
                                   rate_years=range(first_year, base_year + 1), k=k)
    dataset = KO.add_coverage_trends(dataset, panel, years=range(first_year, base_year + 1),
                                     history=history.between(first_year, base_year))
    model = model_series(dataset, history, target_year)
    combined, unit_index = history.combine_merged()
    units = combined.regions
    n_units = len(units)
    unit_of = {code: int(unit_index[i]) for i, code in enumerate(history.regions.codes)}
    members = np.bincount(unit_index, minlength=n_units)
    obs0 = observed(panel, base_year, unit_of, members)
    obs1 = observed(panel, target_year, unit_of, members)
    obs_first = observed(panel, first_year, unit_of, members)
    pop = combined.population.sum(axis=(2, 3))
    years = combined.years.tolist()
    pop0, pop1 = pop[years.index(base_year)], pop[years.index(target_year)]

    def to_units(x):  # [2, R] -> [2, U]
        out = np.zeros((x.shape[0], n_units))
        np.add.at(out, (slice(None), unit_index), x)
        return out

    rows = []
    county_of = np.array(units.county_codes)
    for measure in MEASURES:
        base, actual = obs0[measure], obs1[measure]
        keep = np.isfinite(base) & np.isfinite(actual) & (actual > 0)
        preds = {}
        for method in MODEL_RUNS:
            m0, m1 = to_units(model[method][measure])
            preds[method] = base * np.divide(m1, m0, out=np.ones_like(m1), where=m0 > 0)
        preds["no change"] = base.copy()
        preds["population-proportional"] = base * pop1 / pop0
        preds["trend 2015-2019"] = trend_extrapolation(base, obs_first[measure], base_year - first_year,
                                                       target_year - base_year)
        levels = {
            "municipality": (list(units.codes), list(units.names), lambda v: v[keep]),
        }
        counties = sorted(set(county_of[keep]))
        c_names = [units.county_names.get(c, c) for c in counties]
        levels["county"] = (counties, c_names,
                            lambda v: np.array([v[keep & (county_of == c)].sum() for c in counties]))
        levels["nation"] = ([D.NATION_CODE], [D.NATION_NAME], lambda v: np.array([v[keep].sum()]))
        for level, (codes, names, agg) in levels.items():
            if level == "municipality":
                codes = [c for c, k_ in zip(codes, keep) if k_]
                names = [nm for nm, k_ in zip(names, keep) if k_]
            act, b0 = agg(actual), agg(base)
            for method in METHODS:
                pred = agg(preds[method])
                ape = 100.0 * np.abs(pred - act) / act
                for i, code in enumerate(codes):
                    rows.append((measure, level, code, names[i], method, b0[i], act[i], pred[i], ape[i]))
    frame = pd.DataFrame(rows, columns=["measure", "level", "region", "name", "method", "base", "actual",
                                        "predicted", "ape"])
    frame.attrs["dataset_meta"] = dataset.meta
    return frame


def summarise(errors: pd.DataFrame) -> pd.DataFrame:
    """Units, mean, median and worst APE (%) with the worst region, and the summed signed error."""
    keys = ["measure", "level", "method"]
    g = errors.groupby(keys, sort=False)
    worst = errors.loc[g["ape"].idxmax()].set_index(keys)
    out = pd.DataFrame({
        "n": g.size(),
        "mean": g["ape"].mean(),
        "median": g["ape"].median(),
        "worst": worst["ape"],
        "worst_region": worst["name"],
        "total_error": 100.0 * (g["predicted"].sum() / g["actual"].sum() - 1.0),
    })
    return out


def verdicts(summary: pd.DataFrame) -> dict[tuple[str, str], str]:
    """For each measure and level (municipality, county): does the model beat each naive method (mean APE)?"""
    out = {}
    for measure in MEASURES:
        for level in ("municipality", "county"):
            model = summary.loc[(measure, level, "model, real population"), "mean"]
            beaten = [m for m in NAIVE if model < summary.loc[(measure, level, m), "mean"]]
            lost = [m for m in NAIVE if m not in beaten]
            if not lost:
                out[(measure, level)] = "beats both naive methods"
            elif not beaten:
                out[(measure, level)] = "beats NEITHER naive method"
            else:
                out[(measure, level)] = f"beats {beaten[0]} but NOT {lost[0]}"
    return out


#: Holdout splits of the shrinkage constant: rates from the fit years predict the users of the
#: test year. Every year lies inside the backtest's calibration years (2015-2019), so nothing
#: chosen here has seen a year the backtest scores.
K_SPLITS = (((2015, 2016), 2018), ((2015, 2016, 2017), 2019))


def choose_k(panel: pd.DataFrame, ks=(0, 1, 2, 5, 10, 20, 50, 100, float("inf")), n_small: int = 100,
             splits=K_SPLITS):
    """Holdout check of the credibility constant: rates from two or three years predict users two
    years later.

    For each split of :data:`K_SPLITS`, service and ``k``: the sum of absolute errors of
    ``rate x population`` over age groups, as a share of the users, for the ``n_small`` smallest
    municipalities (observed, not derived, cells only). ``inf`` means county rates only.
    """
    rows = []
    for fit, test in splits:
        target = panel[panel["year"] == test].reset_index(drop=True)
        codes = target["region"].tolist()
        users = KO.service_users(target)
        pop = target[list(KO.POP_COLUMNS)].to_numpy()
        small = np.argsort(target["folk_ialt"].to_numpy() if "folk_ialt" in target else pop.sum(axis=1))[:n_small]
        for k in ks:
            rates = KO.estimate_user_rates(panel, fit, k=1e12 if np.isinf(k) else k, regions=codes)
            for service in KO.SERVICES:
                pred = rates[service].loc[codes].to_numpy() * pop
                ok = np.isfinite(users[service]) & ~users[f"{service}_derived"]
                a, p, o = users[service][small], pred[small], ok[small]
                rows.append((f"{fit[0]}-{fit[-1]} -> {test}", service, k, 100.0 * np.abs(p - a)[o].sum() / a[o].sum()))
    table = pd.DataFrame(rows, columns=["split", "service", "k", "error"])
    return table.pivot_table(index="k", columns=["split", "service"], values="error")


#: Holdout of the coverage trend: fits ending at each origin predict the users of the following
#: years up to :data:`TREND_LAST` (never a year the backtest scores).
TREND_ORIGINS = (2017, 2018)
TREND_FIRST, TREND_LAST = 2015, 2019
DAMPINGS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
CREDIBILITIES = ((0.0, 0.0), (1.0, 0.0), (1.0, 0.25), (1.0, 0.5), (1.0, 1.0))
TREND_MEASURES = {"home_care": "home care users", "nursing_home": "24-hour care residents"}


def _service_totals(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    return {"home_care": rows[KO.HOME_TOTAL].to_numpy(),
            "nursing_home": (rows[KO.INST_TOTAL] + rows[KO.HOUSING_TOTAL]).to_numpy()}


def choose_damping(panel: pd.DataFrame, history: ssb.PopulationHistory, dampings=DAMPINGS,
                   credibilities=CREDIBILITIES, origins=TREND_ORIGINS) -> pd.DataFrame:
    """Holdout of the damping φ and the credibility scales of the coverage trends.

    For each origin o of :data:`TREND_ORIGINS`: user rates (pooled, shrunk with
    ``K_CREDIBILITY``) and age-standardised coverage trends (credibility scales as given) are
    fitted on 2015..o; each test year y in o+1..2019 is predicted per municipality as
    ``users_o x M(y) / M(o)``, ``M(t) = Σ_b rate_b · E_b(t) · exp(β_b g(t - o))`` with ``E`` the
    standardised population and ``g`` the damped path of φ (φ = 0: no trend; 1: constant).
    Returns one row per origin, test year, service, level (municipality, county), credibility
    and φ with the mean absolute percentage error.
    """
    rows = []
    for origin in origins:
        fit = list(range(TREND_FIRST, origin + 1))
        profile = base_dataset(history, TREND_FIRST, origin)
        exposure = KO.standardised_exposure(history, profile, range(TREND_FIRST, TREND_LAST + 1))
        rates = KO.estimate_user_rates(panel, fit, k=KO.K_CREDIBILITY)
        base_rows = panel[panel["year"] == origin].set_index("region")
        fits = {cred: KO.estimate_coverage_trends(panel, fit, exposure=exposure, credibility=cred)
                for cred in credibilities}
        for year in range(origin + 1, TREND_LAST + 1):
            h = year - origin
            test_rows = panel[panel["year"] == year].set_index("region")
            codes = [c for c in base_rows.index if c in test_rows.index]
            obs0 = _service_totals(base_rows.loc[codes])
            obs1 = _service_totals(test_rows.loc[codes])
            county = np.array([c[:2] for c in codes])
            for service, measure in TREND_MEASURES.items():
                ok = np.isfinite(obs0[service]) & np.isfinite(obs1[service]) & (obs1[service] > 0)
                e0 = exposure[service].loc[[(c, origin) for c in codes]].to_numpy()
                e1 = exposure[service].loc[[(c, year) for c in codes]].to_numpy()
                r = rates[service].loc[codes].to_numpy()
                for cred, trends in fits.items():
                    b = trends[service].loc[codes].to_numpy()
                    for phi in dampings:
                        g = TR.trend_path(h + 1, "damped", phi)[h]
                        m0, m1 = (r * e0).sum(axis=1), (r * e1 * np.exp(b * g)).sum(axis=1)
                        pred = obs0[service] * m1 / m0
                        a, p_ = obs1[service][ok], pred[ok]
                        mun = 100.0 * np.abs(p_ - a) / a
                        cs = sorted(set(county[ok]))
                        ca = np.array([a[county[ok] == c].sum() for c in cs])
                        cp = np.array([p_[county[ok] == c].sum() for c in cs])
                        for level, ape in (("municipality", mun), ("county", 100.0 * np.abs(cp - ca) / ca)):
                            rows.append((origin, year, measure, level, f"{cred[0]:g}/{cred[1]:g}", phi, ape.mean()))
    return pd.DataFrame(rows, columns=["origin", "year", "measure", "level", "credibility", "damping", "mape"])


def damping_table(holdout: pd.DataFrame) -> tuple[pd.DataFrame, tuple[float, str]]:
    """Mean APE averaged over origins, years, measures and levels, by damping (rows) and
    credibility (columns); and the best (damping, credibility)."""
    table = holdout.pivot_table(index="damping", columns="credibility", values="mape", aggfunc="mean")
    best = table.stack().idxmin()
    return table, (float(best[0]), best[1])


# --- report --------------------------------------------------------------------------------
MODES = {mode: ("model, real population" if mode == TR.DEFAULT_COVERAGE_TREND else f"model, trend {mode}")
         for mode in TR.COVERAGE_TRENDS}


def trend_modes(summary: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Mean APE of the model with each coverage-trend assumption (real population), per measure
    and level (municipality, county), with their sum; and the mode with the lowest sum."""
    keys = [(m, lvl) for m in MEASURES for lvl in ("municipality", "county")]
    values = [[summary.loc[(m, lvl, method), "mean"] for method in MODES.values()] for m, lvl in keys]
    values.append(list(np.sum(values, axis=0)))
    table = pd.DataFrame(values, index=pd.MultiIndex.from_tuples(keys + [("sum", "")]), columns=list(MODES))
    return table, str(table.loc[("sum", "")].idxmin())


def reading(errors: pd.DataFrame) -> str:
    """A plain-words reading of the national numbers (computed, not canned)."""
    nation = errors[errors.level == "nation"].set_index(["measure", "method"])
    parts = []
    for measure in MEASURES:
        row = nation.loc[(measure, "no change")]
        obs = 100.0 * (row["actual"] / row["base"] - 1)
        mod = 100.0 * (nation.loc[(measure, "model, real population"), "predicted"] / row["base"] - 1)
        none = 100.0 * (nation.loc[(measure, MODES["none"]), "predicted"] / row["base"] - 1)
        parts.append(f"{measure} {obs:+.1f} % observed against {mod:+.1f} % from the model ({none:+.1f} % without "
                     "a coverage trend)")
    real = errors[(errors.method == "model, real population") & (errors.level == "municipality")]
    cohort = errors[(errors.method == "model, cohort projection") & (errors.level == "municipality")]
    gap = float(np.abs(real.groupby("measure")["ape"].mean() - cohort.groupby("measure")["ape"].mean()).max())
    text = (f"Reading: with user rates of 2015-2019 and the {TR.DEFAULT_COVERAGE_TREND} coverage trend fitted on "
            "2015-2019, the model projects change from the size and age of the population and the trend (nationally, "
            "2019 -> 2023: " + "; ".join(parts) + ").")
    lost = [f"{m} ({lvl})" for (m, lvl), v in verdicts(summarise(errors)).items() if "NOT" in v or "NEITHER" in v]
    if lost:
        text += (" The model loses to a naive method for " + ", ".join(lost) + ": there the observed growth fell "
                 "short of what ageing and the 2015-2019 trend imply, i.e. use per inhabitant of each age fell faster "
                 "after 2019 than before, or staff did not follow users (nurse FTEs count filled positions only, so "
                 "unfilled demand does not show).")
    text += (" Driving the model with its own cohort projection instead of the real population changes the "
             f"municipal mean APE by at most {gap:.2f} points.")
    return text


def _trend_lines(meta: dict) -> list[str]:
    info = (meta.get("parameters", {}).get("coverage_trend", {}) or {}).get("kostra")
    if not info:
        return []
    lines = ["", f"National coverage trends fitted on {info['years'][0]}-{info['years'][-1]} (% a year, "
             "age-standardised; 24-hour care 0-79 is one group) and the between-county and between-municipality "
             "standard deviations of the true trends (DerSimonian-Laird):", "",
             "| service | age group | national trend | sd between counties | sd between municipalities |",
             "|---|---|---:|---:|---:|"]
    for service, groups in info["tau2"].items():
        for label, t2 in groups.items():
            first = label.split(", ")[0]
            lines.append(f"| {service} | {label} | {100 * info['national'][service][first]:+.2f} | "
                         f"{100 * np.sqrt(t2['county']):.2f} | {100 * np.sqrt(t2['municipality']):.2f} |")
    return lines


def markdown(summary: pd.DataFrame, errors: pd.DataFrame, k: float, k_table: pd.DataFrame | None,
             command: str, damping: pd.DataFrame | None = None) -> str:
    cred = KO.TREND_CREDIBILITY
    lines = ["# Demand backtest: KOSTRA calibrated on 2015-2019, projection 2019 -> 2023", "",
             f"Command: `{command}`", "",
             "Absolute percentage error (APE, %) of the 2023 values per municipality (Ålesund and Haram as one "
             "unit), county and the nation. The model applies its growth 2019 -> 2023 to the observed 2019 value "
             "(as the demand kernel applies it to base-year FTE). User rates by age group 0-66/67-79/80+ are pooled "
             f"over 2015-2019 and shrunk toward the county (credibility k = {k:g} expected users); they change with "
             f"the coverage trend fitted on 2015-2019 (default `{TR.DEFAULT_COVERAGE_TREND}`, damping "
             f"φ = {TR.COVERAGE_DAMPING:g}; credibility scales {cred[0]:g} for counties, {cred[1]:g} for "
             "municipalities); nurse FTEs grow with the users of nursing homes and home care, weighted by nurse FTE "
             "per user, times the standard growth of 0.5 % a year. No constant was chosen on 2020-2023.", "",
             "Measures:", ""]
    lines += [f"- **{m}**: {d}" for m, d in MEASURES.items()]
    lines += ["", "Methods:", ""]
    lines += [f"- **{m}**: {d}" for m, d in METHODS.items()]
    lines += ["", "| measure | level | method | n | mean APE | median APE | worst APE (region) | total error |",
              "|---|---|---|---:|---:|---:|---|---:|"]
    for (measure, level, method), row in summary.iterrows():
        worst = f"{row['worst']:.2f} ({row['worst_region']})" if level != "nation" else f"{row['worst']:.2f}"
        lines.append(f"| {measure} | {level} | {method} | {int(row['n'])} | {row['mean']:.2f} | {row['median']:.2f} "
                     f"| {worst} | {row['total_error']:+.2f} |")
    lines += ["", "`total error`: summed prediction / summed actual - 1 over the units of the row (signed, %).", "",
              "Verdict (mean APE, the default model with the real population against the naive methods):", ""]
    lines += [f"- {measure}, {level}: {text}" for (measure, level), text in verdicts(summary).items()]
    nation = errors[errors.level == "nation"].set_index(["measure", "method"])
    lines += ["", "National change 2019 -> 2023, observed and predicted (%):", "",
              "| measure | observed | " + " | ".join(METHODS) + " |", "|---|---:|" + "---:|" * len(METHODS)]
    for measure in MEASURES:
        first = nation.loc[(measure, "no change")]
        obs = 100.0 * (first["actual"] / first["base"] - 1)
        pred = [100.0 * (nation.loc[(measure, m), "predicted"] / first["base"] - 1) for m in METHODS]
        lines.append(f"| {measure} | {obs:+.2f} | " + " | ".join(f"{p:+.2f}" for p in pred) + " |")
    lines += ["", reading(errors)]
    table, best = trend_modes(summary)
    lines += ["", "## Coverage trend: which assumption", "",
              "Mean APE of the model (real population) with each `coverage_trend` assumption; the default is the "
              "one with the lowest sum over the three measures at municipality and county level.", "",
              "| measure | level | " + " | ".join(table.columns) + " |", "|---|---|" + "---:|" * len(table.columns)]
    for (measure, level), row in table.iterrows():
        lines.append(f"| {measure} | {level} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    agree = "is" if best == TR.DEFAULT_COVERAGE_TREND else f"is NOT (the lowest sum is `{best}`)"
    lines += ["", f"The default `{TR.DEFAULT_COVERAGE_TREND}` (`helsemod_py.trends.DEFAULT_COVERAGE_TREND`) {agree} "
              "the assumption with the lowest sum."]
    lines += _trend_lines(errors.attrs.get("dataset_meta", {}))
    if damping is not None:
        tab, (phi, cr) = damping_table(damping)
        lines += ["", "## Damping and credibility of the trend", "",
                  "Holdout (`--choose-damping`) inside 2015-2019: trends and rates fitted on 2015-2017 predict the "
                  "users of 2018 and 2019, and fits on 2015-2018 those of 2019, per municipality (users at the "
                  "origin x modelled change); mean APE (%) averaged over home care and 24-hour care, municipality "
                  "and county level, origins and years. Rows: damping φ (0 = no trend, 1 = constant); columns: "
                  "credibility scales county/municipality of the empirical-Bayes weights.", "",
                  "| φ | " + " | ".join(tab.columns) + " |", "|---:|" + "---:|" * len(tab.columns)]
        for phi_, row in tab.iterrows():
            lines.append(f"| {phi_:g} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
        used = f"{cred[0]:g}/{cred[1]:g}"
        same = (np.isclose(phi, TR.COVERAGE_DAMPING) and cr == used)
        lines += ["", f"Lowest: φ = {phi:g}, credibility {cr}; the package uses φ = {TR.COVERAGE_DAMPING:g} "
                  f"(`COVERAGE_DAMPING`) and {used} (`TREND_CREDIBILITY`)"
                  + ("." if same else " -- they DIFFER: update the constants.")]
    if k_table is not None:
        splits = ", ".join(f"{f[0]}-{f[-1]} -> {t}" for f, t in K_SPLITS)
        lines += ["", "## Shrinkage constant", "",
                  f"Holdout check (`--choose-k`, splits {splits}, all inside the calibration years): rates from two "
                  "or three years (k as below; `inf` = county rates only) predict the users by age group two years "
                  "later in the 100 smallest municipalities; error = sum of absolute errors / users (%), observed "
                  "(not derived) cells only.", ""]
        cols = list(k_table.columns)
        lines.append("| k | " + " | ".join(f"{s} {v}" for s, v in cols) + " |")
        lines.append("|---:|" + "---:|" * len(cols))
        for k_, row in k_table.iterrows():
            lines.append(f"| {k_:g} | " + " | ".join(f"{row[c]:.2f}" for c in cols) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder with SSB's CSV files")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="markdown file to write")
    parser.add_argument("--k", type=float, default=KO.K_CREDIBILITY, help="credibility constant (expected users)")
    parser.add_argument("--choose-k", action="store_true", help="also run the holdout check of k")
    parser.add_argument("--choose-damping", action="store_true",
                        help="also run the holdout of the trend's damping and credibility")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    regions, history, panel = load(args.data)
    errors = backtest(history, panel, k=args.k)
    seconds = time.perf_counter() - start
    k_table = choose_k(panel) if args.choose_k else None
    damping = choose_damping(panel, history) if args.choose_damping else None
    command = "python benchmarks/backtest_demand.py" + (f" --k {args.k:g}" if args.k != KO.K_CREDIBILITY else "") + (
        " --choose-k" if args.choose_k else "") + (" --choose-damping" if args.choose_damping else "")
    text = markdown(summarise(errors), errors, args.k, k_table, command, damping)
    print(text)
    print(f"read + calibrate + project: {seconds:.1f} s")
    Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
