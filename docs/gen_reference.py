"""Reference pages generated from the code at build time (an mkdocs hook).

Registered in ``mkdocs.yml`` under ``hooks:``. Nothing it writes is committed, so the
reference cannot drift from the code:

* ``reference/parameters.md``: every dataset parameter and scalar of
  :mod:`helsemod_py.data.schema` with meaning, dimensions, unit and valid range, the default
  dataset's values and sources, and every fact of ``default_facts.yaml``;
* ``reference/scenario-yaml.md``: every key of the scenario YAML from the pydantic models of
  :mod:`helsemod_py.scenario.schema` (type, default, constraints, allowed values), the levers,
  families, distributions and codes;
* ``reference/cli.md``: the help of every command of the click group :func:`helsemod_py.cli.main`;
* ``img/*.png``: the figures shown in the planner's guides, drawn by the package itself.

A hand-written page may hold ``<!-- include PATH -->``: the repository file PATH (e.g. a
benchmark table) is put there on every build, its headings moved two levels down. A missing
file, or a scenario key without a description, stops the build.
"""

from __future__ import annotations

import re
import types
import typing
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r"<!--\s*include\s+(\S+)\s*-->")


def _cell(text) -> str:
    """Text safe for one cell of a markdown table."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _num(x, digits: int = 3) -> str:
    """A number for people: ``digits`` significant digits, thin-space thousands from 10 000."""
    x = float(x)
    if abs(x) < 1e-9:
        return "0"
    if abs(x) >= 10_000:
        return f"{x:,.0f}".replace(",", "\u202f")
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


# ======================================================================================
# Parameters
# ======================================================================================
@lru_cache(maxsize=1)
def _default():
    import helsemod_py as hm

    return hm.load_dataset()


def _weighted(values, weight, axes):
    import numpy as np

    w = np.broadcast_to(weight, values.shape)
    return (values * w).sum(axis=axes) / np.maximum(w.sum(axis=axes), 1e-300)


def _summary(name: str) -> str:
    """The default dataset's value of one parameter in a few words."""
    import numpy as np

    from helsemod_py import dims as D
    from helsemod_py.data.demography import life_expectancy
    from helsemod_py.data.schema import PARAMETERS

    ds = _default()
    spec = PARAMETERS[name]
    arr = ds[name]
    pop = ds["population"]
    stock = ds["stock"]
    if name == "fertility":
        tfr = arr.sum(axis=1)
        return f"total fertility {_num(_weighted(tfr, pop[:, 1].sum(axis=1), 0))} children per woman"
    if name == "mortality":
        e0 = [life_expectancy(arr[0, s]) for s in range(len(D.SEXES))]
        return "life expectancy at birth " + ", ".join(f"{s} {e:.1f}" for s, e in zip(D.SEXES, e0)) + " years"
    if name == "net_migration":
        total = (pop * (1 - ds["mortality"]) * arr).sum()
        return f"{_num(total)} net migrants in the base year; rates {_num(arr.min())} to {_num(arr.max())}"
    if spec.sums_to_one:
        return f"a distribution: sums to 1 over {', '.join(spec.sums_to_one)}"
    if spec.unit in ("persons", "FTE", "persons per year"):
        return f"{_num(arr.sum())} {spec.unit} in all"
    if spec.dims[:2] == (D.REGION, D.GROUP) and arr.ndim == 4:
        mean = _weighted(arr, stock, (0, 1, 2, 3))
        return f"{_num(mean)} (mean weighted by the stock); {_num(arr.min())} to {_num(arr.max())}"
    if name == "sick_leave":
        mean = _weighted(arr, stock.sum(axis=(2, 3)), (0, 1))
        return f"{_num(mean)} (mean weighted by the stock); {_num(arr.min())} to {_num(arr.max())}"
    if name == "transition_rate":
        return f"{_num(arr.min())} to {_num(arr.max())}; base-year flows by transition below"
    if name == "user_rate":
        return f"{_num(arr.min())} to {_num(arr.max())}; base-year users by service below"
    if arr.size and np.all(arr == arr.flat[0]):
        return f"{_num(arr.flat[0])} everywhere"
    return f"{_num(arr.min())} to {_num(arr.max())}"


def _by_group_table() -> str:
    """Default values by personnel group (national sums or stock-weighted means)."""
    from helsemod_py import dims as D
    from helsemod_py.data.schema import PARAMETERS

    ds = _default()
    stock = ds["stock"]
    cols, values = [], []
    for name, spec in PARAMETERS.items():
        if D.GROUP not in spec.dims or spec.sums_to_one or D.SECTOR in spec.dims:
            continue
        arr = ds[name]
        g = spec.dims.index(D.GROUP)
        if spec.unit in ("persons", "FTE", "persons per year"):
            v = arr.sum(axis=tuple(i for i in range(arr.ndim) if i != g))
        elif arr.ndim == 4:
            v = _weighted(arr, stock, (0, 2, 3))
        else:
            v = _weighted(arr, stock.sum(axis=(2, 3)), (0,))
        cols.append(f"`{name}` ({spec.unit})")
        values.append(v)
    fte = _base_year_supply()
    cols.append("supply FTE in the base year")
    values.append(fte)
    rows = [[f"`{code}`"] + [_num(v[i]) for v in values] for i, code in enumerate(D.GROUPS)]
    return _table(["group"] + cols, rows)


@lru_cache(maxsize=1)
def _base_year_supply():
    import helsemod_py as hm

    ds = _default()
    res = hm.project(ds, end_year=ds.base_year + 1)
    return res.supply_fte.isel(year=0).sum(["region", "sector"]).values


def _by_service_table() -> str:
    import numpy as np

    from helsemod_py import dims as D

    ds = _default()
    users = np.einsum("rsa,rksa->k", ds["population"], ds["user_rate"])
    demand = ds["base_demand_fte"].sum(axis=(0, 2))
    rows = [[f"`{k}`", D.LABELS[D.SERVICE][k].en, _num(users[i]), _num(demand[i]), _num(ds["standard_growth"][i])]
            for i, k in enumerate(D.SERVICES)]
    return _table(["service", "meaning", "users in the base year (`user_rate` × `population`)",
                   "`base_demand_fte` (FTE)", "`standard_growth` (/1 per year)"], rows)


def _by_transition_table() -> str:
    from helsemod_py import dims as D

    ds = _default()
    src, _ = D.transition_index()
    stock = ds["stock"]
    rate = ds["transition_rate"]
    flows = (stock[:, src] * rate).sum(axis=(0, 2, 3))
    rows = [[f"`{t}`", _num(flows[k]), _num(rate[..., k, :, :].max())] for k, t in enumerate(D.TRANSITIONS)]
    return _table(["transition", "persons moving in the base year", "largest yearly rate"], rows)


def _facts_value(node) -> str:
    if "value" in node:
        return _num(node["value"]) if isinstance(node["value"], (int, float)) else str(node["value"])
    if "bands" in node:
        bands = node["bands"]
        if isinstance(bands, dict):
            factor = node.get("female_factor", {})
            return "; ".join(f"{k}: {_bands_text(b)}" + (f" (women × {_num(factor[k])})" if k in factor else "")
                             for k, b in bands.items())
        return _bands_text(bands)
    if "values" in node:
        vals = node["values"]
        if isinstance(vals, dict):
            return "; ".join(f"{k}: {_facts_value(v) if isinstance(v, dict) else _num_or_list(v)}"
                             for k, v in vals.items())
        return "; ".join(_num_or_list(v) for v in vals)
    return ""


def _bands_text(bands) -> str:
    return ", ".join(f"{lo}–{hi}: {_num(v)}" for lo, hi, v in bands)


def _num_or_list(v) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_num_or_list(x) for x in v) + "]"
    return _num(v) if isinstance(v, (int, float)) else str(v)


def _facts_rows(node, path, unit, units, rows):
    """Rows (key, value, unit, reference) of every entry of the facts file that has a source."""
    if not isinstance(node, dict):
        return
    unit = node.get("unit", unit)
    if "reference" in node:
        value = "by group and service (table above)" if "shares" in node else _facts_value(node)
        unit_text = unit if unit is not None else units.get(path[-1], "")
        rows.append((".".join(path), value, _num_or_list(unit_text) if unit_text else "", node["reference"]))
    for key, child in node.items():
        if "reference" in node and key in ("values", "bands", "shares", "female_factor"):
            if not (key == "values" and isinstance(child, dict)):
                continue  # part of this entry's value
        _facts_rows(child, path + [key], unit, units, rows)


def _facts_table() -> str:
    from helsemod_py.data.default import load_facts

    facts = load_facts()
    rows: list = []
    _facts_rows(facts, [], None, facts.get("group_units", {}), rows)
    return _table(["fact (`default_facts.yaml`; a group's from `groups.yaml`)", "value", "unit",
                   "source or assumption"],
                  [(f"`{k}`", v, u, r) for k, v, u, r in rows])


def _service_shares_table() -> str:
    from helsemod_py import dims as D
    from helsemod_py.data.default import load_facts

    shares = load_facts()["services"]["shares"]
    return _table(["group"] + [f"`{k}`" for k in D.SERVICES],
                  [[f"`{g}`"] + [_num(x) for x in shares[g]] for g in D.GROUPS])


def parameters_page() -> str:
    """The parameter reference (markdown)."""
    from helsemod_py import dims as D
    from helsemod_py.data.default import load_facts
    from helsemod_py.data.schema import PARAMETERS, SCALARS

    ds = _default()
    meta = ds.meta.get("parameters", {})
    facts = load_facts()
    out = [
        "# Parameters",
        "",
        "Generated at build time from `helsemod_py/data/schema.py` (`PARAMETERS`, `SCALARS`), the embedded "
        f"default dataset (`{ds!r}`) and `helsemod_py/data/default_facts.yaml`. Units follow the package's "
        "convention: `/1` is a share or probability, `/1 per year` a yearly rate, `FTE` full-time equivalents "
        "(1 FTE = 37.5 hours a week).",
        "",
        "A dataset holds every parameter below for every municipality of its `regions.csv` "
        "(see [the dataset folder format](#dataset-folder-format)). *Default* is the value in the embedded "
        "default dataset; **synthetic** marks parameters whose regional values are invented (see "
        "[Known limits](../limits.md)).",
        "",
    ]
    for part in ("population", "supply", "demand"):
        out += [f"## {part.capitalize()} parameters", ""]
        for name, spec in PARAMETERS.items():
            if spec.part != part:
                continue
            pm = meta.get(name, {})
            ages = {"population": "age 0–105+", "work": f"age {D.WORK_AGE_MIN}–{D.WORK_AGE_MAX}"}
            dims = ", ".join(ages[spec.age] if d == D.AGE else d for d in spec.dims)
            rows = [["dimensions", dims], ["unit", f"`{spec.unit}`"], ["valid range", f"{spec.lo:g} to {spec.hi:g}"]]
            if spec.required_dims:
                rows.append(["a file must give", ", ".join(spec.required_dims)])
            if spec.sums_to_one:
                rows.append(["sums to 1 over", ", ".join(spec.sums_to_one)])
            rows += [["default", _summary(name)],
                     ["source of the default", (pm.get("source") or "—") + (" (**synthetic**)" if pm.get("synthetic")
                                                                           else "")]]
            out += [f"### `{name}`", "", spec.description, ""] + [f"* **{k}**: {v}" for k, v in rows] + [""]
    scalar_sources = {"sex_ratio_at_birth": facts["population"]["sex_ratio_at_birth"]["reference"],
                      "workforce_migration_factor": "assumption: the workforce migrates like the population "
                                                    "(set in helsemod_py/data/default.py)"}
    out += ["## Scalars", "", "Stored under `scalars:` in a dataset's `dataset.yaml`.", "",
            _table(["scalar", "meaning", "unit", "valid range", "default", "source of the default"],
                   [[f"`{k}`", desc, f"`{unit}`", f"{lo:g} to {hi:g}", _num(ds.scalars[k]),
                     ds.meta.get("scalar_sources", {}).get(k, scalar_sources.get(k, "—"))]
                    for k, (unit, lo, hi, desc) in SCALARS.items()]), ""]
    out += [
        "## Default values by personnel group", "",
        "National sums (persons, FTE) or means weighted by the base-year stock (rates and shares).", "",
        _by_group_table(), "",
        "## Default values by service", "", _by_service_table(), "",
        "## Default transitions between groups", "",
        "Base-year flows of `groups.yaml` (transitions) spread evenly over ages "
        f"{facts['transitions']['ages'][0]}–{facts['transitions']['ages'][1]} of the source group.", "",
        _by_transition_table(), "",
        "## Share of each group's FTE by service (default)", "",
        "How the default dataset splits each group's national base-year demand over services "
        f"(rows sum to 1). Source: {facts['services']['reference']}.", "",
        _service_shares_table(), "",
        "## Facts and assumptions behind the default dataset", "",
        "Every entry of `helsemod_py/data/default_facts.yaml` that carries a source, with each personnel "
        "group's facts, service shares and vacancies and the transitions' flows from the registry of groups "
        "`helsemod_py/groups.yaml`. *assumption* means no published figure was used.", "",
        _facts_table(), "",
        "## Dataset folder format", "",
        "`helsemod data default --out DIR` writes a dataset as a folder; `--data DIR` reads one. "
        "The format, from `helsemod_py/data/dataset.py`:", "",
        "```text", _module_doc("helsemod_py.data.dataset").split("On disk a dataset is a folder::")[-1].strip("\n"),
        "```", "",
    ]
    return "\n".join(out)


def _md(doc: str) -> str:
    """A docstring as markdown: reST roles (``:meth:`x```) become code."""
    return re.sub(r":\w+:`([^`]+)`", r"`\1`", doc)


def _module_doc(module: str) -> str:
    import importlib

    return importlib.import_module(module).__doc__ or ""


# ======================================================================================
# Scenario YAML
# ======================================================================================
#: Meaning of every key of the scenario YAML (a key missing here stops the build).
FIELD_DOCS = {
    "ScenarioFile": {
        "name": "Name shown in tables, plots and manifests.",
        "description": "What the scenario is, in a sentence or two.",
        "extends": "Another scenario file (path relative to this one) to start from: its measures, uncertainty "
                   "entries and assumptions come first; an entry here with the same `id` replaces one there; "
                   "assumptions given here override. Cycles are refused.",
        "reference": "Source of the scenario as a whole.",
        "assumptions": "Overrides of baseline assumptions: horizon, standard growth, population driver, mortality "
                       "and fertility, coverage trend, healthier ageing, staff-mix trend.",
        "measures": "The measures, each changing one parameter. Ids must be unique (with the uncertainty "
                    "entries).",
        "uncertainty": "Uncertain parameters, drawn per Monte Carlo draw (`helsemod run --draws`) or per "
                       "design point (`helsemod sensitivity`).",
    },
    "Assumptions": {
        "end_year": "Last projected year (after the dataset's base year).",
        "standard_growth": "Yearly growth in FTE per user: one `Value` for all services, or a mapping from "
                           "service code to `Value`. Unit `/1 per year`, −0.05 to 0.05. Replaces the "
                           "dataset's `standard_growth` from the base year on.",
        "population_driver": "What drives demand: the model's cohort-component projection (default) or an "
                             "external projection.",
        "coverage_trend": "How the dataset's `coverage_trend` (users per inhabitant of each age, % a year) goes "
                          "on: `none` (rates held at the base year), `damped` (the yearly change shrinks by the "
                          "factor φ each year) or `constant`. Default `damped`, chosen by the demand backtest; see "
                          "[Methodology](../methodology.md#coverage-trends).",
        "coverage_damping": "φ of the damped trend, unit `/1`, 0 to 1 (default 0.6, chosen by a holdout inside "
                            "2015–2019). Only with `coverage_trend: damped` (or left out).",
        "healthier_ageing": "SSB's healthier ageing: share (unit `/1`, 0 to 1) of the gain in remaining life "
                            "expectancy at 67, from the mortality path, by which the age profile of use moves to "
                            "older ages. Needs `coverage_trend: none`.",
        "staff_mix_trend": "Mapping of group code to a `Value` (unit `/1 per year`, −0.05 to 0.05, `reference` "
                           "required): each group's FTE per user changes by that much a year relative to the "
                           "others in every service, each service's total FTE per user kept.",
        "mortality": "How death probabilities move after the base year: `constant`, `trend` (the dataset's "
                     "rates of decline; the default) or `external` (a file). A word, or a mapping "
                     "(see `MortalityAssumption`).",
        "fertility": "How fertility moves after the base year: `constant`, `trend` (the dataset's damped "
                     "trend; the default) or `external` (a file). A word, or a mapping (see "
                     "`FertilityAssumption`).",
    },
    "MortalityAssumption": {
        "assumption": "`constant`: the dataset's base-year death probabilities in every year; `trend`: they "
                      "fall by the dataset's `mortality_decline` a year; `external`: from `file`.",
        "scale": "`trend` only: factor on the rates of decline, 0–3 (0 = constant, 0.5 = half the "
                 "historical improvement).",
        "file": "`external` only: CSV with columns `year, sex, age, value` and optionally `region`: the "
                "probability of dying before the next 1 January by age on 1 January of `year` (/1 per year, "
                "0–1), for every year from the base year to the year before the end year, both sexes, ages "
                "0–105; without `region` for every region. Relative to the scenario file.",
        "reference": "Source of the assumption.",
    },
    "FertilityAssumption": {
        "assumption": "`constant`: the dataset's base-year fertility in every year; `trend`: log fertility "
                      "changes by the dataset's `fertility_trend`, damped by `fertility_damping` each further "
                      "year; `external`: from `file`.",
        "scale": "`trend` only: factor on the yearly change, 0–3.",
        "damping": "`trend` only: share of a year's change kept the next year, 0–1 (replaces the dataset's "
                   "`fertility_damping`; 1 = a straight trend).",
        "file": "`external` only: CSV with columns `year, age, value` and optionally `region`: births per "
                "woman per year (0–0.5) by her age on 1 January of `year`, ages 15–49 (zero at other ages), "
                "for every year from the base year to the year before the end year. Relative to the scenario "
                "file.",
        "reference": "Source of the assumption.",
    },
    "PopulationDriver": {
        "source": "`cohort`: the model's own projection; `file`: an external projection from `file`.",
        "file": "CSV with columns `region, year, sex, age, value` (persons): every region of the dataset, every "
                "year from the base year to the end year, `male`/`female`, ages 0–105. Relative to the "
                "scenario file. Only with `source: file`.",
        "reference": "Source of the projection (e.g. SSB's main alternative MMMM).",
    },
    "Measure": {
        "id": "Identifier used in attribution tables and the waterfall.",
        "title": "Readable title, e.g. the programme's Norwegian name.",
        "family": "K2025 measure family (for grouping).",
        "description": "What the measure does, in a sentence.",
        "parameter": "The lever it changes (see [Levers](#levers)).",
        "multiply": "Factor on the parameter, unit `/1` (1.05 = +5 %).",
        "add": "Amount added, in the lever's unit. For `graduates`, `immigrants` and `recruits`: a national "
               "number of persons a year, spread over the targeted regions like graduates (recruits taken from "
               "other regions unless `recruited_from` says otherwise).",
        "set": "Level the parameter moves to along the path, in the lever's unit.",
        "shift": "Task shifting (`task_shift` only): share of the source groups' FTE per user moved to "
                 "`to_group`.",
        "path": "When the measure acts. Required, except for `vacancies`.",
        "target": "What the measure acts on; a missing key means all.",
        "cost": "Programme cost a year at full effect beyond what the baseline funds (`NOK per year`, `kNOK per "
                "year` or `MNOK per year`), with its payer, budget chapter, range and other costs; follows the path "
                "without its delay. Wages of the FTE gained are computed, not given.",
        "reference": "Source of the measure as a whole.",
    },
    "Value": {
        "value": "The number (finite).",
        "unit": "Its unit, written exactly as required (e.g. `/1`, `persons per year`, `MNOK per year`).",
        "reference": "Source, or `assumption: ...`.",
    },
    "ShiftValue": {
        "value": "Share (0 to 1) of each source group's FTE per user moved at full effect; unit `/1`.",
        "unit": "`/1`.",
        "reference": "Source, or `assumption: ...`.",
        "to_group": "Group that takes the tasks over (must have base-year FTE in the targeted services).",
        "efficiency": "FTE of `to_group` needed per FTE moved (1: same time per task; 1.2: 20 % more).",
    },
    "TimePath": {
        "start": "First year with an effect (before `delay`).",
        "full": "Year of full effect with `shape: linear` (default: `start`).",
        "end": "Last year with an effect, inclusive (default: to the horizon).",
        "shape": "`linear`: the effect rises in equal steps from `start` to `full`; `step`: full effect "
                 "from `start`.",
        "delay": "Whole years the effect (not the cost) comes later, e.g. the length of a study programme.",
    },
    "Target": {
        "groups": "Personnel group codes (see [codes](#codes)).",
        "services": "Service codes.",
        "transitions": "Transition codes `from>to`.",
        "sexes": "`male`, `female`.",
        "ages": "`[first, last]` age, inclusive, 0–105 (working ages 16–74 for supply levers).",
        "regions": "Municipality or county codes or names of the dataset (e.g. `\"34\"`, `Innlandet`, "
                   "`K3401`).",
    },
    "Uncertain": {
        "id": "Identifier (unique with the measures' ids).",
        "parameter": "What is drawn (see [Uncertain parameters](#uncertain-parameters)).",
        "distribution": "Its distribution.",
        "unit": "`/1` (a factor on the parameter), or `/1 per year` for `standard_growth` (the rate itself).",
        "target": "Cells drawn for; a missing key means all.",
        "correlation": "Correlation between the draws of the targeted cells (Gaussian copula): 1 = one "
                       "common draw, 0 = independent.",
        "path": "Phases the factor in (default: full effect from the year after the base year).",
        "reference": "Source of the distribution.",
    },
    "Distribution": {
        "type": "Distribution family (see [Distributions](#distributions)).",
        "mean": "Mean (`normal`).",
        "sd": "Standard deviation (`normal`).",
        "median": "Median (`lognormal`).",
        "sd_log": "Standard deviation of the logarithm (`lognormal`).",
        "low": "Lower bound (`uniform`, `triangular`; optional for `beta`, default 0).",
        "high": "Upper bound (`uniform`, `triangular`; optional for `beta`, default 1).",
        "mode": "Most likely value (`triangular`).",
        "alpha": "First shape parameter (`beta`).",
        "beta": "Second shape parameter (`beta`).",
        "truncate": "`[lo, hi]`: draws are restricted to this range (any type).",
    },
}


def _models():
    """The pydantic models of a scenario file, from the top level down (walked, not listed)."""
    from pydantic import BaseModel

    from helsemod_py.scenario.schema import ScenarioFile

    seen: list = []

    def walk(model):
        if model in seen:
            return
        seen.append(model)
        for f in model.model_fields.values():
            for t in _leaf_types(f.annotation):
                if isinstance(t, type) and issubclass(t, BaseModel):
                    walk(t)

    walk(ScenarioFile)
    return seen


def _leaf_types(tp):
    args = typing.get_args(tp)
    if not args or typing.get_origin(tp) is typing.Literal:
        return [tp]
    return [x for a in args for x in _leaf_types(a)]


def _type_name(tp) -> str:
    from pydantic import BaseModel

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        vals = [f"`{a}`" for a in args]
        return "one of " + ", ".join(vals)
    if origin in (typing.Union, types.UnionType):
        parts = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(parts)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is tuple:
        return "[" + ", ".join(_type_name(a) for a in args) + "]"
    if origin is dict:
        return f"mapping of {_type_name(args[0])} to {_type_name(args[1])}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    return {str: "text", int: "integer", float: "number", bool: "true/false"}.get(tp, getattr(tp, "__name__", str(tp)))


def _constraints(field) -> str:
    words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "min_length": "length ≥", "max_length": "length ≤",
             "pattern": "matches"}
    out = []
    for m in field.metadata:
        for attr, word in words.items():
            v = getattr(m, attr, None)
            if v is not None:
                out.append(f"{word} `{v}`")
    return ", ".join(out)


def _default_text(field) -> str:
    from pydantic import BaseModel
    from pydantic_core import PydanticUndefined

    if field.is_required():
        return "**required**"
    d = field.default
    if d is PydanticUndefined or d is None:
        return "—"
    if isinstance(d, BaseModel):
        return "all" if not d.model_dump(exclude_none=True) else "defaults"
    if d == []:
        return "none"
    return f"`{d}`"


def _model_section(model) -> list[str]:
    import inspect

    docs = FIELD_DOCS.get(model.__name__, {})
    missing = [n for n, f in model.model_fields.items() if not (f.description or docs.get(n))]
    if missing:
        raise ValueError(f"docs/gen_reference.py: FIELD_DOCS has no description of {model.__name__}."
                         f"{', '.join(missing)}; describe the new scenario key(s)")
    rows = [[f"`{n}`", _type_name(f.annotation), _default_text(f), _constraints(f), f.description or docs[n]]
            for n, f in model.model_fields.items()]
    return [f"### {model.__name__}", "", _md(inspect.cleandoc(model.__doc__ or "")), "",
            _table(["key", "type", "default", "constraints", "meaning"], rows), ""]


def _uncertain_rules():
    """For each uncertain parameter: the unit of its draws and the target keys it is drawn per."""
    from helsemod_py.scenario.schema import LEVERS, UNCERTAIN

    return {p: (LEVERS[p].draw_unit, list(LEVERS[p].drawn_per)) for p in UNCERTAIN}


def _valid(model, data) -> bool:
    from pydantic import ValidationError

    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def _levers_table() -> str:
    from helsemod_py.scenario.schema import MEASURE_LEVERS, _target_keys

    rows = []
    for name, lv in MEASURE_LEVERS.items():
        ops = ", ".join(f"`{o}`" for o in lv.operations)
        units = "; ".join(f"`{o}`: `{'/1' if o in ('multiply', 'shift') else lv.unit}`" for o in lv.operations)
        timing = "flow (year the step starts)" if lv.steps else "stock (each 1 January)"
        if name == "vacancies":
            timing = "base year (no path)"
        valid = f"{lv.lo:g} or more" if lv.hi == float("inf") else f"{lv.lo:g} to {lv.hi:g}"
        drawn = ", ".join(f"`{k}`" for k in lv.drawn_per) if lv.draw else "no"
        rows.append([f"`{name}`", lv.description, ops, units, valid,
                     ", ".join(f"`{k}`" for k in _target_keys(lv)), timing, f"`{lv.field}`", drawn])
    return _table(["parameter", "what it changes", "operations", "unit of the value", "valid range after the "
                   "change", "target keys", "time axis", "model input", "drawn per (uncertainty)"], rows)


def _codes_tables() -> str:
    from helsemod_py import dims as D

    ds = _default()
    groups = _table(["group", "English", "bokmål"], [[f"`{g.code}`", g.en, g.nb] for g in D.GROUP_LABELS])
    services = _table(["service", "English", "bokmål"], [[f"`{s.code}`", s.en, s.nb] for s in D.SERVICE_LABELS])
    transitions = _table(["transition", "from", "to"], [[f"`{t}`", f"`{a}`", f"`{b}`"]
                                                         for t, (a, b) in zip(D.TRANSITIONS, D.TRANSITION_PAIRS)])
    counties = _table(["county code", "name"], [[f"`{c}`", n] for c, n in ds.regions.county_names.items()])
    return "\n\n".join([
        "**Personnel groups** (`groups`, `to_group`)", groups,
        "**Services** (`services`)", services,
        "**Transitions** (`transitions`)", transitions,
        "**Regions** (`regions`): municipality or county codes or names of the dataset in use "
        f"(`helsemod list regions`). Counties of the default dataset (municipality codes `K<county><nn>`, "
        f"e.g. `{ds.regions.codes[1]}`):", counties,
    ])


def scenario_page() -> str:
    """The scenario YAML reference (markdown)."""
    import helsemod_py.scenario.apply as apply_mod
    from helsemod_py.scenario.schema import DISTRIBUTIONS, FAMILIES, UNITS_NOK

    rules = _uncertain_rules()
    out = [
        "# Scenario YAML reference",
        "",
        "Generated at build time from the pydantic models in `helsemod_py/scenario/schema.py`. Files are "
        "read strictly: an unknown key, a wrong unit, a value out of range, an unknown code or two `set` "
        "measures on the same cells stop the run with one line per problem "
        "(`file:line: key.path: message (allowed: ...)`). Check files with `helsemod validate FILE...`.",
        "",
        "## Keys",
        "",
        "The top level is a [ScenarioFile](#scenariofile); the other tables describe the mappings it holds.",
        "",
    ]
    for model in _models():
        out += _model_section(model)
    out += [
        "## Levers",
        "",
        "Values of `Measure.parameter`: what a measure can change, how, in which unit and for which "
        "targets. A *flow* lever takes the path's weight of the year a step starts (a measure starting "
        "2025 changes the flow from 1 January 2025 to 1 January 2026); a *stock* lever the weight of each "
        "1 January.",
        "",
        _levers_table(),
        "",
        "### How an operation changes a parameter",
        "",
        "From `helsemod_py/scenario/apply.py`:",
        "",
        _md(apply_mod.__doc__.split("\n", 2)[2].strip()),
        "",
        "## Families",
        "",
        "Values of `Measure.family`: " + ", ".join(f"`{f}`" for f in FAMILIES) + ".",
        "",
        "## Cost units",
        "",
        _table(["unit", "NOK"], [[f"`{u}`", _num(f)] for u, f in UNITS_NOK.items()]),
        "",
        "## Uncertain parameters",
        "",
        "Values of `Uncertain.parameter`, the unit its draws have and the target keys it may be drawn per "
        "(other keys are refused).",
        "",
        _table(["parameter", "unit", "target keys"],
               [[f"`{p}`", f"`{u}`", ", ".join(f"`{k}`" for k in keys)] for p, (u, keys) in rules.items()]),
        "",
        "## Distributions",
        "",
        "Values of `Distribution.type` and the keys each needs (scipy.stats parametrisation; `truncate` "
        "works with all).",
        "",
        _table(["type", "keys"], [[f"`{t}`", ", ".join(f"`{k}`" for k in keys)] for t, keys in DISTRIBUTIONS.items()]),
        "",
        "## Codes",
        "",
        _codes_tables(),
        "",
        "## A complete example",
        "",
        "`scenarios/torn_full_time.yaml` from the scenario library, as it is:",
        "",
        "```yaml",
        (ROOT / "scenarios" / "torn_full_time.yaml").read_text(encoding="utf-8").rstrip(),
        "```",
        "",
    ]
    return "\n".join(out)


# ======================================================================================
# Command line
# ======================================================================================
def _commands():
    """(path, command, context) of every command of the ``helsemod`` group, depth first."""
    import click

    from helsemod_py.cli import main

    def ctx(cmd, name, parent):
        settings = {**cmd.context_settings, "terminal_width": 100, "max_content_width": 100}
        return click.Context(cmd, info_name=name, parent=parent, **settings)

    out = []

    def walk(cmd, name, parent):
        c = ctx(cmd, name, parent)
        out.append((c.command_path, cmd, c))
        for sub_name in getattr(cmd, "commands", {}):
            walk(cmd.commands[sub_name], sub_name, c)

    walk(main, "helsemod", None)
    return out


def cli_page() -> str:
    """The command-line reference (markdown): the help of every command."""
    cmds = _commands()
    out = [
        "# Command-line reference",
        "",
        "Generated at build time from the click commands in `helsemod_py/cli/`: each section is exactly "
        "what `COMMAND --help` prints. Errors print one line per problem and exit with status 1; a wrong "
        "call exits with status 2; `helsemod --debug COMMAND` shows tracebacks.",
        "",
        _table(["command", "what it does"],
               [[f"[`{path}`](#{path.replace(' ', '-')})", cmd.get_short_help_str(limit=120)]
                for path, cmd, _ in cmds[1:]]),
        "",
    ]
    for path, cmd, ctx in cmds:
        out += [f"## {path}", "", "```text", cmd.get_help(ctx), "```", ""]
    return "\n".join(out)


# ======================================================================================
# Figures for the planner's guides
# ======================================================================================
def figures() -> dict[str, bytes]:
    """PNG figures of the guides' example (baseline against TØRN), in bokmål and English."""
    import matplotlib

    matplotlib.use("Agg")
    import helsemod_py as hm
    from helsemod_py.analysis import attribute
    from helsemod_py.report.plots import figure_png, plot_gap_by_county
    from helsemod_py.report.plots_compare import plot_attribution_waterfall

    ds = _default()
    torn = hm.Scenario.from_yaml(ROOT / "scenarios" / "torn_full_time.yaml")
    res = hm.project(ds, torn)
    att = attribute(ds, torn)
    out = {}
    for lang in ("nb", "en"):
        out[f"img/gap_by_county_{lang}.png"] = figure_png(plot_gap_by_county(res, lang=lang), dpi=80)
        out[f"img/attribution_waterfall_{lang}.png"] = figure_png(
            plot_attribution_waterfall(att, lang=lang, dataset=ds.name), dpi=80)
    import matplotlib.pyplot as plt

    plt.close("all")
    return out


# ======================================================================================
# Includes in hand-written pages
# ======================================================================================
def expand(markdown: str) -> str:
    """Replace every ``<!-- include PATH -->`` of a page by that repository file, its headings
    two levels down; raise ValueError for a missing file."""

    def repl(m):
        path = ROOT / m.group(1)
        if not path.is_file():
            raise ValueError(f"include: no file {m.group(1)!r} in the repository")
        text = path.read_text(encoding="utf-8")
        return re.sub(r"^(#{1,4}) ", lambda h: "#" * (len(h.group(1)) + 2) + " ", text, flags=re.M)

    return INCLUDE.sub(repl, markdown)


def pages() -> dict[str, str]:
    """Every generated page, by its path in the site's sources."""
    return {"reference/parameters.md": parameters_page(), "reference/scenario-yaml.md": scenario_page(),
            "reference/cli.md": cli_page()}


# --- mkdocs hooks -------------------------------------------------------------------------
def on_files(files, config):
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File

    try:
        generated = {**pages(), **figures()}
    except ValueError as exc:
        raise PluginError(str(exc)) from None
    for path, content in generated.items():
        files.append(File.generated(config, path, content=content))
    return files


def on_page_markdown(markdown, page, config, files):
    from mkdocs.exceptions import PluginError

    try:
        return expand(markdown)
    except ValueError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None
