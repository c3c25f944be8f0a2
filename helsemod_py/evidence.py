"""Evidence bounds of measure effects: what the outcome would be at the ends of each measure's
stated range, and Monte Carlo draws of all measures' effects from their ranges.

Every change value of a scenario measure may carry ``range: [low, high]``, the plausible range
from the evidence (the value must lie inside it). A measure's range is drawn as a triangular
distribution with its value as the mode (:class:`helsemod_py.scenario.schema.Distribution`, the
same distributions the uncertainty entries use); draw ``d`` of a measure uses the node (measure id,
``d``) of the run's seed tree (:mod:`helsemod_py.seeds`), so a draw is the same whatever the number
of draws and the other measures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import seeds
from ._years import year_index
from .analysis import OUTCOMES, _evaluate
from .errors import HelsemodError
from .model import DEFAULT_END_YEAR
from .results import shortage_units
from .scenario.schema import Distribution


def effect_distribution(measure) -> Distribution | None:
    """Triangular distribution over the measure's range with its value as mode (None without a
    range, or a range of one point)."""
    rng = measure.change.range
    if rng is None or rng[0] == rng[1]:
        return None
    return Distribution(type="triangular", low=rng[0], mode=measure.change.value, high=rng[1])


def outcome_path(dataset, scenario, end_year: int, outcome: str = "gap") -> np.ndarray:
    """National outcome per year (FTE): the net gap, or minus the shortage (negative gaps summed over
    each municipality's municipal sectors and each hospital trust's specialist services, by group)."""
    if outcome not in OUTCOMES:
        raise HelsemodError(f"outcome {outcome!r}: allowed {', '.join(OUTCOMES)}")
    return _national(dataset, _evaluate(dataset, scenario, end_year)[0], outcome)


def _national(dataset, gap, outcome: str) -> np.ndarray:
    """:func:`outcome_path` of the gap ``gap`` (FTE ``[years, regions, sectors, groups]``)."""
    if outcome == "shortage":
        gap = np.minimum(shortage_units(gap, dataset.catchment().weights), 0.0)
    return gap.sum(axis=(1, 2, 3))


def _neutral(m) -> float | None:
    """The value at which measure ``m`` does nothing (multiply 1, add or shift 0; None for set)."""
    return None if m.operation == "set" else (1.0 if m.operation == "multiply" else 0.0)


def bounds_runs(scenario) -> int:
    """Steps of :func:`effect_bounds` (with the attribution given): the baseline, and each measure
    with a range alone at its value and at each end (an end at the value, or of no effect, is
    counted but not run)."""
    return 1 + sum(1 + len(m.change.range) for m in scenario.measures if m.change.range is not None)


def effect_bounds(dataset, scenario, year: int, attribution=None, outcome: str | None = None,
                  end_year: int | None = None, progress=None, coalitions=None) -> pd.DataFrame:
    """FTE gained nationally in ``year`` by each measure with a range, at its low and high end.

    The measure's Shapley value (``attribution``, computed if not given) is scaled by its effect
    alone at that end relative to its effect alone at its value: ``φ · s(end) / s(value)`` with
    ``s(x)`` the outcome with only this measure, at ``x``, minus the baseline's, so interactions keep
    their share. An end of "no effect" (multiply 1, add or shift 0) gains exactly 0. Where the measure
    alone moves the nation by less than 1 FTE (e.g. recruits drawn from other regions), the difference
    is added instead: ``φ + s(end) − s(value)``. Columns: measure, value, low, high, fte_gained, fte_low,
    fte_high (the gain at the low and the high end of the range, whichever is larger). ``progress()``
    is called after each step (:func:`bounds_runs` in all). ``coalitions``: as for
    :func:`~helsemod_py.analysis.attribute` (the attribution's, to use what they keep).
    """
    from .analysis import _coalitions, attribute

    def tick():
        if progress:
            progress()

    end_year = end_year or scenario.end_year or DEFAULT_END_YEAR
    if attribution is None:
        attribution = attribute(dataset, scenario, end_year=end_year, outcome=outcome or "gap", coalitions=coalitions)
    outcome = attribution.outcome
    t = year_index(year, range(dataset.base_year, end_year + 1))
    # each measure alone at its value and at the ends of its range, as outcome_path of
    # scenario.only([id]).with_values(...) gives, evaluated together (faster); an end of no effect
    # gains nothing, whatever the others do, and is not run
    ranged = [m for m in scenario.measures if m.change.range is not None]
    runs = [((), None)] + [((m.id,), {m.id: x}) for m in ranged
                           for x in (m.change.value, *(x for x in m.change.range
                                                       if x != m.change.value and x != _neutral(m)))]
    out = _coalitions(coalitions, dataset, scenario, end_year).evaluate_many([r[0] for r in runs],
                                                                             [r[1] for r in runs], progress=tick)
    paths = [_national(dataset, gap, outcome)[t] for gap, _ in out]
    base = paths[0]
    solo = {(ids[0], vals[ids[0]]): p - base for (ids, vals), p in zip(runs[1:], paths[1:])}
    gained = attribution.contributions.sel(year=year).sum(["region", "sector", "group"])
    rows = []
    for m in ranged:
        fte = float(gained.sel(measure=m.id))
        at_value = solo[m.id, m.change.value]
        ends = []
        for x in m.change.range:
            if x == m.change.value or x == _neutral(m):
                tick()  # not run: counted in bounds_runs all the same
            if x == _neutral(m):  # a measure that does nothing gains nothing, whatever the others do
                ends.append(0.0)
            else:
                s_end = solo[m.id, x]
                ends.append(fte * s_end / at_value if abs(at_value) >= 1.0 else fte + s_end - at_value)
        rows.append({"measure": m.id, "value": m.change.value, "low": m.change.range[0], "high": m.change.range[1],
                     "fte_gained": fte, "fte_low": ends[0], "fte_high": ends[1]})
    return pd.DataFrame(rows, columns=["measure", "value", "low", "high", "fte_gained", "fte_low", "fte_high"])


def effect_draws(dataset, scenario, draws: int = 100, seed: int = 0, end_year: int | None = None,
                 outcome: str = "gap", quantiles=(0.05, 0.5, 0.95)) -> pd.DataFrame:
    """Quantiles of the national change in ``outcome`` (FTE, scenario − its baseline, per year) when
    every measure's value is drawn from its range (:func:`effect_distribution`); measures without a
    range keep their value. Columns: year, quantile, value; ``attrs`` hold the draws' settings."""
    if draws < 1:
        raise HelsemodError(f"draws {draws}: must be at least 1")
    seeds.check_seed(seed)
    end_year = end_year or scenario.end_year or DEFAULT_END_YEAR
    base = outcome_path(dataset, scenario.without_measures(), end_year, outcome)
    dists = [(m.id, effect_distribution(m)) for m in scenario.measures]
    dists = [(mid, d) for mid, d in dists if d is not None]
    out = np.empty((draws, len(base)))
    for d in range(draws):
        values = {mid: float(dist.ppf(seeds.generator(seed, seeds.EVIDENCE, mid, d).uniform()))
                  for mid, dist in dists}
        out[d] = outcome_path(dataset, scenario.with_values(values), end_year, outcome) - base
    years = np.arange(dataset.base_year, end_year + 1)
    q = np.quantile(out, quantiles, axis=0)
    frame = pd.DataFrame([{"year": int(y), "quantile": float(qq), "value": float(q[i, j])}
                          for i, qq in enumerate(quantiles) for j, y in enumerate(years)])
    frame.attrs.update(draws=draws, seed=seed, outcome=outcome, drawn=[mid for mid, _ in dists], unit="FTE")
    return frame
