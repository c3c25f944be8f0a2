"""What a run would refuse, checked without running it: one range rule for measures and draws.

A parameter's range is the scenario schema's (:data:`~helsemod_py.scenario.schema.LEVERS`; the
standard growth rate's :data:`~helsemod_py.scenario.schema.GROWTH_RANGE`; net migration rates
the dataset schema's). Measures are checked after they apply (:mod:`helsemod_py.scenario.apply`);
draws here: a draw multiplies a parameter, after the measures, by a factor that lies in its
distribution's :meth:`~helsemod_py.scenario.schema.Distribution.window` (the copula holds the
draws there), phased in from 1, so the parameter stays within its range in every draw exactly
when it does at both ends of the window. Several entries on one parameter multiply. Probabilities
and shares (:data:`CAPPED_AT_ONE`) are held at 1 by the kernels in every draw, as they always were,
so only the other parameters can be taken out of range by a draw.

:func:`check_scenario` is what ``helsemod validate`` runs: everything ``helsemod run`` refuses
before projecting (unknown regions, the horizon, the population driver file, measures out of
range after they apply, draws out of range).
"""

from __future__ import annotations

import numpy as np

from . import dims as D
from .core.supply import compact
from .errors import ScenarioError
from .scenario.core import region_mask
from .scenario.schema import LEVERS

#: Tolerance of the range checks (rounding of values at their bound).
_TOL = 1e-9
#: Probabilities and shares the kernels hold at 1 in every draw (``min(1, value x factor)``): after
#: a draw they are within their range 0..1 by construction, so no draw of them is refused for that.
CAPPED_AT_ONE = frozenset({"exit_rate", "participation", "share_in_health_care", "transition_rate"})


def cells_of(u, dataset) -> tuple[np.ndarray, list[str]]:
    """Mask ``[R, X]`` of the cells an uncertainty entry draws for, and the labels of X."""
    rmask = region_mask(u.target.regions, dataset.regions)
    per = LEVERS[u.parameter].drawn_per[1:]  # after regions: groups, services, transitions or nothing
    labels = {"groups": D.GROUPS, "services": D.SERVICES, "transitions": D.TRANSITIONS}[per[0]] if per else ["all"]
    chosen = getattr(u.target, per[0]) if per else None
    xmask = np.array([chosen is None or x in chosen for x in labels])
    return rmask[:, None] & xmask[None, :], list(labels)


def draw_range(parameter: str) -> tuple[float, float, str]:
    """``(lo, hi, unit)`` a parameter must stay within after a draw's factor."""
    lever = LEVERS[parameter]
    return lever.lo, lever.hi, lever.unit


def _extremes(inputs, parameter: str, n_reg: int) -> tuple[np.ndarray, np.ndarray]:
    """Least and greatest value ``[R, X]`` of a drawn parameter over years, sexes and ages."""
    migration = LEVERS[parameter].draw == "migration"  # the population's and the workforce's rates
    if migration:
        arrays = [inputs.net_migration, inputs.workforce_migration()]  # [T, R, S, A] each
    else:
        arrays = [getattr(inputs, LEVERS[parameter].field)]
    lows, highs = [], []
    for arr in arrays:
        arr = compact(arr)
        axes = tuple(ax for ax in range(arr.ndim) if ax not in (1, 2)) if not migration else \
            (0,) + tuple(range(2, arr.ndim))
        lo, hi = arr.min(axis=axes), arr.max(axis=axes)
        if migration:
            lo, hi = lo[:, None], hi[:, None]
        lows.append(np.broadcast_to(lo, (n_reg, lo.shape[1])))
        highs.append(np.broadcast_to(hi, (n_reg, hi.shape[1])))
    return np.minimum.reduce(lows), np.maximum.reduce(highs)


def check_draws(scenario, inputs, dataset) -> None:
    """Refuse uncertainty entries whose draws can take a parameter out of its range (one line
    each), and entries on one parameter with different paths (the kernel has one path each)."""
    label = scenario.source or scenario.name
    problems, windows, entries, paths = [], {}, {}, {}
    for i, u in enumerate(scenario.uncertainty):
        line = scenario.lines.get(("uncertainty", i, "distribution"), scenario.lines.get(("uncertainty", i), 1))
        where = f"{label}:{line}: uncertainty[{i}]"
        if LEVERS[u.parameter].draw == "growth":  # a rate, checked by the schema (GROWTH_RANGE)
            continue
        w = tuple(_path_weights(u, inputs.years))
        if paths.setdefault(u.parameter, (w, u.id))[0] != w:
            problems.append(f"{where}: entries on {u.parameter} must share one path ({u.id!r} differs from "
                            f"{paths[u.parameter][1]!r})")
        cells, _ = cells_of(u, dataset)
        flo, fhi = windows.setdefault(u.parameter, (np.ones(cells.shape), np.ones(cells.shape)))
        lo, hi = u.distribution.window()
        flo[cells] *= lo  # factors are at least 0 (schema), so the product's window is the windows' product
        fhi[cells] *= hi
        entries.setdefault(u.parameter, []).append((i, u.id, where))
    for parameter, (flo, fhi) in windows.items():
        bmin, bmax = _extremes(inputs, parameter, len(dataset.regions))
        lo_f, hi_f = np.minimum(flo, 1.0), np.maximum(fhi, 1.0)  # phased in: between 1 and the factor
        values = np.stack([bmin * lo_f, bmin * hi_f, bmax * lo_f, bmax * hi_f])
        vmin, vmax = values.min(axis=0), values.max(axis=0)
        if parameter in CAPPED_AT_ONE:  # the value after application, as the kernel computes it
            vmin, vmax = np.minimum(vmin, 1.0), np.minimum(vmax, 1.0)
        rlo, rhi, unit = draw_range(parameter)
        bad = (vmin < rlo - _TOL) | (vmax > rhi + _TOL)
        if bad.any():
            r, x = np.argwhere(bad)[0]
            worst = vmin[r, x] if vmin[r, x] < rlo - _TOL else vmax[r, x]
            ids = ", ".join(repr(e[1]) for e in entries[parameter])
            problems.append(f"{entries[parameter][-1][2]}.distribution: draws of {ids} can take {parameter} to "
                            f"{worst:.4g} (region {dataset.regions.codes[r]}), outside {rlo:g} to {rhi:g} ({unit}): "
                            f"factors from {flo[r, x]:.4g} to {fhi[r, x]:.4g}; narrow or truncate the distribution")
    if problems:
        raise ScenarioError(problems)


def _path_weights(u, years) -> np.ndarray:
    """Weight of an entry's factor in each year (its path; default: full from the year after the base)."""
    if u.path is None:
        return (np.asarray(years) > years[0]).astype(float)
    return np.array([u.path.weight(int(y)) for y in years])


def check_scenario(dataset, scenario, end_year: int | None = None) -> None:
    """Raise what projecting ``scenario`` on ``dataset`` (with draws) would refuse, without
    projecting: unknown regions, a horizon outside the data, a population driver file that cannot
    be read, measures out of range after they apply, draws out of range."""
    from .model import DEFAULT_END_YEAR, build_inputs

    problems = scenario.problems(dataset)
    if problems:
        raise ScenarioError(problems)
    end_year = end_year or scenario.end_year or DEFAULT_END_YEAR
    inputs = scenario.apply(build_inputs(dataset, end_year), dataset)
    if scenario.uncertainty:
        check_draws(scenario, inputs, dataset)


__all__ = ["cells_of", "check_draws", "check_scenario", "draw_range"]
