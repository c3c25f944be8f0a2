"""The projections Shapley attribution and evidence bounds run: one scenario's measures switched on
in subsets (coalitions), fast (issue 16).

:meth:`Scenario.only` and :meth:`Scenario.apply` for each subset would build the model inputs,
apply the assumptions and every measure of the subset and run every kernel again. Here, once per
scenario, the inputs are built and the assumptions applied; then

* a measure changes one lever (one input field; a task shift also reads ``base_demand_fte``), and
  the field after the subset's measures on it, applied in the order :func:`apply_scenario` applies
  them, is the field after all of them but the last, with the last applied: each such state is
  computed from the one before and kept (a cache bounded in bytes), so a coalition that adds one
  measure to the one before applies one measure to one field. The arrays are exactly those of
  applying the subset from scratch (the same operations on the same arrays, in the same order);
* the population does not depend on measures (no lever changes it) and is projected once; supply
  is projected again only where a supply field changed, demand only where a demand field changed
  (their results are kept per state of their fields);
* a subset whose parameters leave their range is run the ordinary way, which refuses it with its
  usual message; so is every subset of a scenario with problems that only a dataset shows.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from . import dims as D
from .core.sectors import demand_by_sector, supply_by_sector
from .core.supply import FTE
from .model import DEMAND_FIELDS, SUPPLY_FIELDS, build_inputs, run_demand, run_kernels, run_population, run_supply
from .scenario.apply import _apply_measure, range_problems
from .scenario.schema import LEVERS
from .scenario.targets import OPERATION_ORDER

#: Bytes of lever states kept between coalitions (fewer: states derived again from the baseline's).
CACHE_BYTES = 1 << 30
#: Bytes of kernel results kept (a coalition's supply or demand is mostly wanted again soon after).
RESULTS_BYTES = 1 << 28
#: Kernel jobs per thread started ahead of those finished.
LOOKAHEAD = 2
#: Fields a measure reads besides its own lever's: the group of fields whose state it changes.
_READS = {"staff_mix": ("base_demand_fte",), "base_demand_fte": ("staff_mix",)}


def evaluate(dataset, scenario, end_year) -> tuple[np.ndarray, np.ndarray]:
    """Gap FTE ``[years, regions, sectors, groups]`` of a scenario (municipality level) and national
    supply FTE ``[years, groups]``: build the inputs, apply the scenario, run every kernel."""
    inputs = build_inputs(dataset, end_year)
    if scenario is not None:
        inputs = scenario.apply(inputs, dataset)
    out = run_kernels(inputs)
    supply = supply_by_sector(out["supply_totals"][..., FTE], out["sector_share"], len(D.SECTORS))
    demand = demand_by_sector(out["demand_fte"], D.service_sector_index(), len(D.SECTORS))
    return supply - demand, supply.sum(axis=(1, 2))


def _owned_bytes(arr) -> int:
    """Bytes ``arr`` holds (a broadcast view holds only its non-repeated part)."""
    arr = np.asarray(arr)
    return int(arr.itemsize * np.prod([n for n, st in zip(arr.shape, arr.strides) if st != 0]))


class _Cache:
    """A dict that forgets its least recently used entries beyond ``limit`` bytes."""

    def __init__(self, limit: int):
        self.limit, self.used, self.items = limit, 0, OrderedDict()

    def get(self, key):
        hit = self.items.get(key)
        if hit is not None:
            self.items.move_to_end(key)
        return hit

    def put(self, key, value, size: int):
        self.items[key] = (value, size)
        self.used += size
        while self.used > self.limit and len(self.items) > 1:
            _, (_, old) = self.items.popitem(last=False)
            self.used -= old
        return value, size


class Coalitions:
    """Gap and national supply of ``scenario`` with only some of its measures (and, for evidence
    bounds, a measure's value replaced), as :func:`evaluate` gives for
    ``scenario.only(ids).with_values(values)``, to float rounding or better (the same arithmetic)."""

    def __init__(self, dataset, scenario, end_year: int, cache_bytes: int = CACHE_BYTES):
        self.dataset, self.scenario, self.end_year = dataset, scenario, end_year
        self.index = {m.id: i for i, m in enumerate(scenario.measures)}
        self._measures: dict = {}
        known = set(SUPPLY_FIELDS) | set(DEMAND_FIELDS)
        fields = {LEVERS[m.parameter].field for m in scenario.measures}
        # measures that only a dataset shows wrong, or levers outside supply and demand: the ordinary way
        self.fast = fields <= known and not scenario.problems(dataset)
        self._states = _Cache(cache_bytes)
        self._results = _Cache(min(cache_bytes, RESULTS_BYTES))
        if self.fast:
            self.base = scenario.only(()).apply(build_inputs(dataset, end_year), dataset)
            self.driver = run_population(self.base)[2]
            self.migration = self.base.workforce_migration()  # no lever changes it

    # --- the scenario a subset stands for -----------------------------------------------------
    def scenario_for(self, ids, values=None):
        """``scenario.only(ids)`` with the values ``{id: value}`` replaced."""
        scn = self.scenario.only(ids)
        return scn.with_values(values) if values else scn

    def _measure(self, key):
        i, value = key
        if key not in self._measures:
            m = self.scenario.measures[i]
            self._measures[key] = m if value is None else self.scenario.with_values({m.id: value}).measures[i]
        return self._measures[key]

    @staticmethod
    def _group(field: str) -> tuple[str, ...]:
        return tuple(sorted((field, *_READS.get(field, ()))))

    def _keys(self, ids, values) -> dict:
        """Per group of fields, the measures ``(index, value or None)`` on it in the order of application."""
        values = values or {}
        keys: dict = {}
        for mid in ids:
            i = self.index[mid]
            m = self.scenario.measures[i]
            keys.setdefault(self._group(LEVERS[m.parameter].field), []).append(
                (OPERATION_ORDER.index(m.operation), i, (i, float(values[mid]) if mid in values else None)))
        return {g: tuple(k for _, _, k in sorted(ks)) for g, ks in keys.items()}

    # --- lever states -------------------------------------------------------------------------
    def _state(self, group, key):
        """``(arrays of the group's fields, within range)`` after the measures ``key`` in turn."""
        if not key:
            return {f: getattr(self.base, f) for f in group}, True
        hit = self._states.get((group, key))
        if hit is not None:
            return hit[0]
        prev, _ = self._state(group, key[:-1])
        inp = self.base.copy()
        for f, arr in prev.items():
            setattr(inp, f, arr)
        _apply_measure(self._measure(key[-1]), inp, self.dataset)
        touched: dict = {}
        for k in key:
            touched.setdefault(self._measure(k).parameter, []).append(k[0])
        ok = not range_problems(inp, touched, self.scenario)
        arrays = {f: getattr(inp, f) for f in group}
        return self._states.put((group, key), (arrays, ok), sum(_owned_bytes(a) for a in arrays.values()))[0]

    # --- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ids, values=None) -> tuple[np.ndarray, np.ndarray]:
        """Gap FTE ``[years, regions, sectors, groups]`` and national supply FTE ``[years, groups]``."""
        return self.evaluate_many([ids], values, workers=1)[0]

    def evaluate_many(self, subsets, values=None, progress=None, workers: int | None = None) -> list:
        """:meth:`evaluate` of each subset of measure ids, in order; ``values``: one ``{id: value}``
        for all, or a list of them, one per subset. ``progress()`` is called after each. The kernels
        of different subsets run on ``workers`` threads (default: numba's threads; the kernels
        release the GIL) while the next subsets' inputs are prepared."""
        workers = workers or _threads()
        per = list(values) if isinstance(values, (list, tuple)) else [values] * len(subsets)
        plan, jobs, running = [], {}, deque()
        pool = ThreadPoolExecutor(workers) if workers > 1 and self.fast and len(subsets) > 1 else None
        out = []

        def collect(wait: bool):
            """The results of the planned subsets in order, as far as their jobs are done (or all)."""
            while len(out) < len(plan):
                ids, keys = plan[len(out)]
                if keys is None:  # refused the ordinary way, with its message; or not fast
                    out.append(evaluate(self.dataset, self.scenario_for(ids, per[len(out)]), self.end_year))
                elif wait or not any(isinstance(jobs[k], Future) and not jobs[k].done() for k in keys):
                    supply, demand = (self._done(jobs, k) for k in keys)
                    out.append((supply[0] - demand, supply[1]))
                else:
                    return
                if progress:
                    progress()

        try:
            for ids, vals in zip(subsets, per):
                plan.append(self._plan(ids, vals, jobs, pool, running))
                while len(running) > LOOKAHEAD * workers:  # the inputs of waiting jobs hold memory
                    running.popleft().result()
                collect(wait=False)  # progress as the kernels finish
            collect(wait=True)
            return out
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)

    def _plan(self, ids, values, jobs, pool, running):
        """``(ids, (supply job key, demand job key))``, the jobs started; ``(ids, None)`` where the
        subset must run the ordinary way."""
        if not self.fast:
            return ids, None
        keys = self._keys(ids, values)
        states = {}
        for g, k in keys.items():
            states[g], ok = self._state(g, k)
            if not ok:
                return ids, None
        out = []
        for kind, fields in (("supply", SUPPLY_FIELDS), ("demand", DEMAND_FIELDS)):
            key = (kind, tuple((g, k) for g, k in sorted(keys.items()) if set(g) & set(fields)))
            hit = None if key in jobs else self._results.get(key)
            if hit is not None:
                jobs[key] = hit[0]
            elif key not in jobs:
                inp = self.base.copy()
                for g, _ in key[1]:
                    for f, arr in states[g].items():
                        setattr(inp, f, arr)
                if pool is not None:
                    jobs[key] = pool.submit(self._run, kind, inp)
                    running.append(jobs[key])
                else:
                    jobs[key] = self._keep(key, self._run(kind, inp))
            out.append(key)
        return ids, tuple(out)

    def _done(self, jobs, key):
        """The result of job ``key`` (kept for later subsets once computed)."""
        job = jobs[key]
        if isinstance(job, Future):
            jobs[key] = job = self._keep(key, job.result())
        return job

    def _keep(self, key, value):
        return self._results.put(key, value, sum(a.nbytes for a in (value if isinstance(value, tuple) else (value,))))[0]

    def _run(self, kind, inp):
        """Supply by sector and national supply, or demand by sector, of the inputs ``inp``."""
        if kind == "supply":
            fte = run_supply(inp, migration=self.migration)[2][..., FTE]
            supply = supply_by_sector(fte, inp.sector_share, len(D.SECTORS))
            return supply, supply.sum(axis=(1, 2))
        return demand_by_sector(run_demand(inp, self.driver)[1], D.service_sector_index(), len(D.SECTORS))


def _threads() -> int:
    import numba

    return max(1, numba.get_num_threads())
