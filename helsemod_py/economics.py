"""What the FTE a measure gains cost: wages and employer's costs per personnel group, and the
K2025 budget lines to hold a scenario library's programme costs against.

The facts (with their sources): each group's yearly earnings per FTE (KS and SSB wage statistics,
2023 level) is the group's ``wage`` in ``helsemod_py/groups.yaml``; ``helsemod_py/data/economics.yaml``
gives how those wages are set, the employer's social security contribution and pension cost, and
the budget chapters of Kompetanseløft 2025. An FTE that a measure adds to supply costs its
group's wage times ``(1 + pension) x (1 + social security)`` a year, when the lever pays for it
(:attr:`helsemod_py.scenario.schema.Lever.paid`): more people, bigger positions and longer
careers are paid; lower sick leave is not (the wages were paid during the absence too), and
demand-side measures add no FTE to pay.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import dims as D
from .errors import RegistryError
from .groups import registry
from .scenario.schema import UNITS_NOK

FACTS_FILE = Path(__file__).parent / "data" / "economics.yaml"
#: Chapters shown together in the budget check (Prop. 1 S gives 769 and 780 as one line).
CHAPTER_LINE = {"780": "769"}


@functools.lru_cache(maxsize=1)
def facts() -> dict:
    """The economic facts of ``data/economics.yaml`` (read once), with ``wages``: each group's wage
    from the registry of groups (``helsemod_py/groups.yaml``)."""
    with open(FACTS_FILE, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if "wages" in data:  # a developer error: a group's wage belongs to its entry in groups.yaml
        raise RegistryError(f"{FACTS_FILE.name}: wages: give each group's wage in helsemod_py/groups.yaml "
                            "(the group's wage: {value, reference}), not here")
    wages = {g.code: g.wage for g in registry().groups}  # every group has one (the registry checks)
    return {k: v for k, v in data.items() if k != "budget"} | {"wages": wages, "budget": data["budget"]}


def employer_factor() -> float:
    """Employer's cost per NOK of wages: ``(1 + pension) x (1 + social security)``."""
    emp = facts()["employer"]
    return (1.0 + emp["pension"]["value"]) * (1.0 + emp["social_security"]["value"])


def cost_per_fte() -> np.ndarray:
    """Yearly wage and employer's cost of one FTE, NOK, per group in :data:`helsemod_py.dims.GROUPS` order."""
    wages = facts()["wages"]
    return np.array([wages[g]["value"] for g in D.GROUPS], dtype=float) * employer_factor()


def wage_table() -> pd.DataFrame:
    """Group, yearly wage per FTE, cost per FTE with employer's costs (NOK), and the source."""
    wages = facts()["wages"]
    cost = cost_per_fte()
    return pd.DataFrame({"group": list(D.GROUPS), "wage_nok": [wages[g]["value"] for g in D.GROUPS],
                         "cost_per_fte_nok": cost.round(0),
                         "reference": [" ".join(str(wages[g]["reference"]).split()) for g in D.GROUPS]})


def wage_costs(supply_change: np.ndarray, paid) -> np.ndarray:
    """Wage and employer's costs (NOK) ``[measure, year]`` of national supply changes
    ``[measure, year, group]`` (FTE), for the measures whose lever ``paid`` for them."""
    return np.asarray(supply_change) @ cost_per_fte() * np.asarray(paid, dtype=float)[:, None]


def _nok(amount) -> float:
    return amount.value * UNITS_NOK[amount.unit] if amount is not None else 0.0


def budget_check(scenario) -> pd.DataFrame:
    """The scenario's yearly programme costs at full effect beside the K2025 budget lines.

    One row per budget chapter (Prop. 1 S (2020–2021), MNOK a year), then ``outside`` (costs
    outside K2025, e.g. study places), ``unassigned`` (no chapter given) and ``total``: the budget
    line, the programmes' present budgets that the baseline already holds (``in_baseline_mnok``,
    from scaled-up and continued measures), the increments the scenario adds (``increment_mnok``),
    their sum (``library_mnok``) and its share of the budget line.
    """
    b = facts()["budget"]
    rows = {c: {"chapter": c, "label": v["label"], "budget_mnok": float(v["value"]), "in_baseline_mnok": 0.0,
                "increment_mnok": 0.0} for c, v in b["chapters"].items()}
    for extra, label in (("outside", "outside K2025"), ("unassigned", "no chapter given")):
        rows[extra] = {"chapter": extra, "label": label, "budget_mnok": np.nan, "in_baseline_mnok": 0.0,
                       "increment_mnok": 0.0}
    for m in scenario.measures:
        if m.cost is not None and m.cost.payer != "state":
            continue
        chapter = m.cost.chapter if m.cost is not None and m.cost.chapter else "unassigned"
        row = rows[CHAPTER_LINE.get(chapter, chapter)]
        row["increment_mnok"] += _nok(m.cost) / 1e6
        if m.in_baseline is not None:
            row["in_baseline_mnok"] += _nok(m.in_baseline.cost) / 1e6
    out = pd.DataFrame(list(rows.values()))
    k2025 = out["chapter"].isin(list(b["chapters"]))
    total = {"chapter": "total", "label": "K2025 chapters", "budget_mnok": float(b["total"]),
             "in_baseline_mnok": out.loc[k2025, "in_baseline_mnok"].sum(),
             "increment_mnok": out.loc[k2025, "increment_mnok"].sum()}
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    out["library_mnok"] = out["in_baseline_mnok"] + out["increment_mnok"]
    out["share_of_budget"] = out["library_mnok"] / out["budget_mnok"]
    return out
