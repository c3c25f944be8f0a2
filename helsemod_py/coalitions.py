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
* the population does not depend on measures (no lever changes it) and is projected once; demand
  is projected again only where a demand field changed (results kept per state of its fields);
* supply is projected in blocks. Regions are independent in the supply kernel, and groups are
  coupled only through transitions (:func:`components`). A supply measure multiplies, adds to or
  sets the cells of its target (its groups, or the groups of its transitions, and its regions;
  a national flow's add or set reaches every region) and leaves every other number as it was
  (times 1, plus 0); so the FTE of a component's groups in a set of regions is that of the
  coalition's measures that reach them (:meth:`Coalitions._cells`), whatever the others do. Such
  a block is projected once, with the states of only the measures that reach its component (in
  its regions), on the sliced inputs (:func:`_run_blocks`); the kernel's arithmetic for a group is
  the same whatever else it runs, so each coalition's supply is bitwise that of a full run. A
  coalition that adds one measure runs only the blocks that measure reaches. A measure masked
  cell by cell (not a national flow spread over regions) is applied to a block's piece of its
  field alone (:meth:`Coalitions._piece`): the same arithmetic on the same numbers, so the same
  piece, without building the whole field's state;
* a subset whose parameters leave their range is run the ordinary way, which refuses it with its
  usual message; so is every subset of a scenario with problems that only a dataset shows. The
  range is checked on the states of the measures reaching each component (those of masked
  measures on their pieces; each cell a measure changes lies in the piece of a block it reaches):
  a cell out of range in the coalition is out of range there (the same number), so nothing out of
  range is run fast.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from . import dims as D
from .core.sectors import demand_by_sector, supply_by_sector
from .core.supply import FTE, project_supply
from .model import (_W0, _W1, DEMAND_FIELDS, SUPPLY_FIELDS, build_inputs, run_demand, run_kernels, run_population,
                    run_supply)
from .scenario.apply import (_apply_measure, _dim_mask, masked_change, range_problems, spread_nationally, target_mask,
                             time_weights, within_range)
from .scenario.schema import LEVERS
from .scenario.targets import OPERATION_ORDER

#: Bytes of lever states (and their slices for supply blocks) kept between coalitions (fewer:
#: states derived again from the baseline's).
CACHE_BYTES = 1 << 30
#: Bytes of kernel results kept (a coalition's supply or demand is mostly wanted again soon after).
RESULTS_BYTES = 1 << 28
#: Kernel jobs per thread started ahead of those finished.
LOOKAHEAD = 2
#: Fields a measure reads besides its own lever's: the group of fields whose state it changes.
_READS = {"staff_mix": ("base_demand_fte",), "base_demand_fte": ("staff_mix",)}
#: The supply kernel's inputs in :func:`run_supply`'s order: ``(field, region axis, group axis)``;
#: ``transition_rate``'s group axis holds transitions. ``mortality`` is taken at working ages and
#: ``migration`` is :meth:`ModelInputs.workforce_migration`.
_SUPPLY_ARGS = (("stock0", 0, 1), ("mortality", 1, None), ("migration", 1, None), ("exit_rate", 1, 2),
                ("transition_rate", 1, 2), ("graduates", 1, 2), ("graduate_age_dist", None, 0),
                ("immigrants", 1, 2), ("immigrant_age_dist", None, 0), ("participation", 1, 2),
                ("share_in_health_care", 1, 2), ("avg_fte", 1, 2), ("sick_leave", 1, 2), ("recruits", 1, 2))


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


def components() -> tuple[np.ndarray, ...]:
    """The groups of the supply kernel that transitions couple (``dims.TRANSITION_PAIRS``), each a
    sorted array of positions in ``GROUPS``, in the order of their first group; every group is in
    one. The kernel projects each component without reading the others."""
    comp = {g: {g} for g in range(len(D.GROUPS))}
    for a, b in zip(*D.transition_index()):
        merged = comp[a] | comp[b]
        for g in merged:
            comp[g] = merged
    out: list = []
    for g in range(len(D.GROUPS)):
        if not any(g in c for c in out):
            out.append(np.array(sorted(comp[g]), dtype=np.int64))
    return tuple(out)


def _owned_bytes(arr) -> int:
    """Bytes ``arr`` holds (a broadcast view holds only its non-repeated part)."""
    arr = np.asarray(arr)
    return int(arr.itemsize * np.prod([n for n, st in zip(arr.shape, arr.strides) if st != 0]))


def _take(arr, picks: dict) -> np.ndarray:
    """``arr`` at the positions ``picks[axis]`` (None: all) along those axes: a copy of only what
    varies (axes of stride 0 stay broadcast, so the kernel's ``compact`` keeps them compact)."""
    arr = np.asarray(arr)
    shape = list(arr.shape)
    view = arr[tuple(slice(0, 1) if st == 0 and n > 1 else slice(None) for n, st in zip(arr.shape, arr.strides))]
    for axis, pos in picks.items():
        if pos is not None:
            shape[axis] = len(pos)
            view = np.take(view, pos, axis=axis) if view.shape[axis] > 1 else view
    return np.broadcast_to(view, tuple(shape))


def _run_blocks(args: dict, groups) -> np.ndarray:
    """Supply FTE ``[years, regions, groups]`` of the kernel inputs ``args`` (:data:`_SUPPLY_ARGS`,
    already sliced to some regions and to ``groups``, whole components in ``GROUPS`` order)."""
    src, dst = D.transition_index()
    ks = [k for k in range(len(src)) if src[k] in groups]
    pos = {g: i for i, g in enumerate(groups)}
    at = np.array([[pos[src[k]], pos[dst[k]]] for k in ks], dtype=np.int64).reshape(-1, 2)
    a = args
    totals = project_supply(a["stock0"], a["mortality"], a["migration"], a["exit_rate"], at[:, 0], at[:, 1],
                            a["transition_rate"], a["graduates"], a["graduate_age_dist"], a["immigrants"],
                            a["immigrant_age_dist"], a["participation"], a["share_in_health_care"], a["avg_fte"],
                            a["sick_leave"], keep_stock=False, recruits=a["recruits"])[2]
    return np.ascontiguousarray(totals[..., FTE])


class _OutOfRange(Exception):
    """A piece of a coalition's state is out of its lever's range (run it the ordinary way, which refuses it)."""


def _masked(m) -> bool:
    """A measure applied cell by cell through its target's mask (not a national flow spread over regions)."""
    return m.operation in ("multiply", "add", "set") and not spread_nationally(LEVERS[m.parameter], m.operation)


def _columns(name: str, groups) -> np.ndarray:
    """Positions along ``name``'s group axis of the components' ``groups`` (for transition rates:
    the transitions out of them)."""
    src = D.transition_index()[0]
    return np.array([k for k in range(len(src)) if src[k] in groups] if name == "transition_rate" else groups,
                    dtype=np.int64)


def _sums_within_one(rates: np.ndarray, groups) -> bool:
    """Transition rates ``[T, R, transitions out of groups, S, A]`` out of each group sum to at most 1."""
    src = D.transition_index()[0]
    out = src[_columns("transition_rate", groups)]
    return all((rates[:, :, out == g].sum(axis=2) <= 1 + 1e-9).all() for g in np.unique(out))


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


class _Part:
    """Regions ``rows`` and groups ``cols`` (positions; None: all) of the FTE block
    ``[years, regions, groups]`` a kernel job computes (a Future, or the block)."""

    def __init__(self, job, rows, cols):
        self.job, self.rows, self.cols = job, rows, cols

    def done(self) -> bool:
        return not isinstance(self.job, Future) or self.job.done()

    def result(self) -> np.ndarray:
        block = self.job.result() if isinstance(self.job, Future) else self.job
        block = block if self.rows is None else block[:, self.rows]
        return block if self.cols is None else block[:, :, self.cols]


class _Assembly:
    """A coalition's supply, put together from its blocks: ``cells`` ``(job key, component,
    regions)`` (regions: positions, None: all)."""

    def __init__(self, cells):
        self.cells = cells


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
        self._ok: dict = {}  # (fields, measures) -> the state is within range (kept when the state is not)
        self._results = _Cache(min(cache_bytes, RESULTS_BYTES))
        if self.fast:
            self.base = scenario.only(()).apply(build_inputs(dataset, end_year), dataset)
            self.driver = run_population(self.base)[2]
            self.migration = self.base.workforce_migration()  # no lever changes it
            self._blocks()

    def _blocks(self):
        """The supply blocks: ``self.comps``, the :func:`components` that measures reach and the
        others together (independent, and never run again), and per component the classes of
        regions that the same measures reach (``self.classes``: region positions, None for all);
        ``self._reach``: per measure index, the components and the ``(component, class)`` blocks it
        reaches."""
        foot = {i: self._footprint(m) for i, m in enumerate(self.scenario.measures)
                if LEVERS[m.parameter].field in SUPPLY_FIELDS}
        reached = {int(g) for groups, _ in foot.values() for g in groups}
        comps = components()
        rest = [c for c in comps if not reached & set(c.tolist())]
        self.comps = tuple(c for c in comps if reached & set(c.tolist())) + (
            (np.sort(np.concatenate(rest)),) if rest else ())
        comp_of = {int(g): c for c, groups in enumerate(self.comps) for g in groups}
        self.classes, self._reach = [], {i: (set(), set()) for i in foot}
        for c in range(len(self.comps)):
            near = [(i, regions) for i, (groups, regions) in foot.items() if any(comp_of[g] == c for g in groups)]
            limited = [regions for _, regions in near if regions is not None]
            classes: list = [None]
            if limited:
                _, which = np.unique(np.stack(limited, axis=1), axis=0, return_inverse=True)
                which = which.reshape(-1)
                if which.max() > 0:
                    classes = [np.nonzero(which == q)[0] for q in range(which.max() + 1)]
            self.classes.append(classes)
            for i, regions in near:
                self._reach[i][0].add(c)
                self._reach[i][1].update((c, q) for q, rows in enumerate(classes)
                                         if regions is None or regions[0 if rows is None else rows[0]])

    def _footprint(self, m) -> tuple[np.ndarray, np.ndarray | None]:
        """Groups and regions (a mask; None: all) whose supply inputs the measure ``m`` can change."""
        lever, regions = LEVERS[m.parameter], self.dataset.regions
        if m.operation not in ("multiply", "add", "set"):
            return np.arange(len(D.GROUPS)), None
        if D.GROUP in lever.dims:
            groups = np.nonzero(_dim_mask(D.GROUP, m, regions))[0]
        elif D.TRANSITION in lever.dims:
            chosen = _dim_mask(D.TRANSITION, m, regions)
            groups = np.concatenate([t[chosen] for t in D.transition_index()])
        else:
            groups = np.arange(len(D.GROUPS))
        if spread_nationally(lever, m.operation) or D.REGION not in lever.dims or m.target.regions is None:
            return groups, None
        return groups, _dim_mask(D.REGION, m, regions)

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
            # its own value (``with_values`` keeps it as a float): the measure itself, states and all
            value = float(values[mid]) if mid in values and float(values[mid]) != m.change.value else None
            keys.setdefault(self._group(LEVERS[m.parameter].field), []).append(
                (OPERATION_ORDER.index(m.operation), i, (i, value)))
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
        ok = self._ok[group, key] = not range_problems(inp, touched, self.scenario)
        arrays = {f: getattr(inp, f) for f in group}
        return self._states.put((group, key), (arrays, ok), sum(_owned_bytes(a) for a in arrays.values()))[0]

    def _within_range(self, group, key) -> bool:
        """The state's ``within range`` (computing the state only the first time)."""
        ok = self._ok.get((group, key)) if key else True
        return self._state(group, key)[1] if ok is None else ok

    def _piece(self, name, group, key, groups, rows):
        """Supply kernel input ``name`` (:data:`_SUPPLY_ARGS`) of the state ``(group, key)`` at the
        components' ``groups`` and the regions ``rows`` (None: all), kept with the states.

        Where the last measure is masked (:func:`_masked`), it is applied to the piece of the state
        before it alone: the same arithmetic on the same numbers as on the whole field, so the
        same piece, without the whole field's state; its range is checked on the piece (raises
        :class:`_OutOfRange`). Each cell a measure changes lies in a piece of a block it reaches."""
        hit = self._states.get(("piece", name, key, groups, rows))
        if hit is not None:
            return hit[0]
        last = self._measure(key[-1]) if key else None
        if last is not None and _masked(last) and LEVERS[last.parameter].field == name:
            piece = self._masked_piece(last, name, self._piece(name, group, key[:-1], groups, rows), groups, rows)
        else:
            if name == "migration":
                arr = self.migration
            elif name == "mortality":
                arr = self.base.mortality[..., _W0:_W1]
            else:
                arr = self._state(group, key)[0][name]
            _, r_axis, g_axis = next(a for a in _SUPPLY_ARGS if a[0] == name)
            picks = {}
            if r_axis is not None and rows is not None:
                picks[r_axis] = np.array(rows)
            if g_axis is not None and len(groups) < len(D.GROUPS):
                picks[g_axis] = _columns(name, groups)
            piece = _take(arr, picks)
        return self._states.put(("piece", name, key, groups, rows), piece, _owned_bytes(piece))[0]

    def _masked_piece(self, m, name, prev, groups, rows):
        """The piece ``prev`` of field ``name`` after the masked measure ``m``."""
        wt = time_weights(m, self.base, prev.ndim - 1)
        if wt is None:
            return prev
        mask = target_mask(m, self.dataset.regions)  # [R or 1, groups or transitions, ...]
        if rows is not None and mask.shape[0] > 1:
            mask = mask[list(rows)]
        if len(groups) < len(D.GROUPS):
            mask = mask[:, _columns(name, groups)]
        new = masked_change(m.operation, m.change.value, prev, wt, mask[None])
        piece = np.broadcast_to(new, np.broadcast_shapes(prev.shape, new.shape))
        if not within_range(m.parameter, piece) or (name == "transition_rate" and not _sums_within_one(piece, groups)):
            raise _OutOfRange
        return piece

    # --- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ids, values=None) -> tuple[np.ndarray, np.ndarray]:
        """Gap FTE ``[years, regions, sectors, groups]`` and national supply FTE ``[years, groups]``."""
        return self.evaluate_many([ids], values, workers=1)[0]

    def matches(self, dataset, scenario, end_year) -> bool:
        """These are the coalitions of ``scenario`` on ``dataset`` up to ``end_year``."""
        return self.dataset is dataset and self.scenario is scenario and self.end_year == end_year

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
                elif wait or not any(self._pending(jobs, k) for k in keys):
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
        supply = {g: k for g, k in keys.items() if set(g) & set(SUPPLY_FIELDS)}
        demand = {g: k for g, k in keys.items() if g not in supply}
        per_comp = [self._comp_keys(supply, c) for c in range(len(self.comps))]
        # supply states of masked measures are checked on their pieces (_piece, in _cells)
        if not all(self._within_range(g, k) for ks in [demand, *per_comp] for g, k in ks.items()
                   if ks is demand or not all(_masked(self._measure(x)) for x in k)):
            return ids, None
        s_key = ("supply", tuple(sorted(supply.items())))
        d_key = ("demand", tuple(sorted(demand.items())))
        if not self._known(jobs, s_key):
            try:
                jobs[s_key] = _Assembly(self._cells(supply, per_comp, jobs, pool, running))
            except _OutOfRange:
                return ids, None
        if not self._known(jobs, d_key):
            inp = self.base.copy()
            for g, k in demand.items():
                for f, arr in self._state(g, k)[0].items():
                    setattr(inp, f, arr)
            self._start(jobs, d_key, pool, running, self._run_demand, inp)
        return ids, (s_key, d_key)

    def _known(self, jobs, key) -> bool:
        """Job ``key`` is started or its result kept (then taken into ``jobs``)."""
        if key in jobs:
            return True
        hit = self._results.get(key)
        if hit is not None:
            jobs[key] = hit[0]
        return hit is not None

    def _comp_keys(self, supply: dict, c: int) -> dict:
        """The supply keys ``{fields: measures}`` with only the measures that reach component ``c``."""
        return {g: tuple(k for k in key if c in self._reach[k[0]][0]) for g, key in supply.items()}

    def _cells(self, supply: dict, per_comp: list, jobs, pool, running) -> list:
        """The blocks of a coalition's supply ``[(job key, component, regions)]``, the kernel jobs
        started for those not yet known: one per set of measures, on the regions of its blocks."""
        cells, runs = [], {}
        for c, classes in enumerate(self.classes):
            for q, rows in enumerate(classes):
                reach = tuple((g, ks) for g, key in sorted(supply.items())
                              if (ks := tuple(k for k in key if (c, q) in self._reach[k[0]][1])))
                key = ("cell", c, q, reach)
                cells.append((key, c, rows))
                if not self._known(jobs, key):
                    runs.setdefault(tuple(sorted(per_comp[c].items())), []).append((key, c, rows))
        for comp_keys, blocks in runs.items():
            groups = tuple(int(g) for g in np.sort(np.concatenate([self.comps[c] for c in {c for _, c, _ in blocks}])))
            every = any(rows is None for _, _, rows in blocks)
            regions = None if every else tuple(int(r) for r in np.unique(np.concatenate([r for _, _, r in blocks])))
            if len(groups) == len(D.GROUPS) and regions is None:  # a whole run
                inp = self.base.copy()
                for g, k in comp_keys:
                    for f, arr in self._state(g, k)[0].items():
                        setattr(inp, f, arr)
                job = self._start(None, None, pool, running, self._run_supply, inp)
            else:
                fields = {f: (g, k) for g, k in comp_keys for f in g}
                args = {name: self._piece(name, *fields.get(name, (self._group(name), ())), groups, regions)
                        for name, _, _ in _SUPPLY_ARGS}
                job = self._start(None, None, pool, running, _run_blocks, args, groups)
            for key, c, rows in blocks:
                cols = None if len(self.comps[c]) == len(groups) else np.searchsorted(groups, self.comps[c])
                jobs[key] = _Part(job, rows if regions is None else np.searchsorted(regions, rows), cols)
        return cells

    def _start(self, jobs, key, pool, running, fn, *args):
        """Run ``fn(*args)`` on the pool (or now, without one); the Future or the result, put in
        ``jobs`` under ``key`` (and kept, done now) where given."""
        if pool is not None:
            job = pool.submit(fn, *args)
            running.append(job)
        else:
            job = fn(*args)
        if jobs is not None:
            jobs[key] = job if pool is not None else self._keep(key, job)
        return job

    def _pending(self, jobs, key) -> bool:
        """Job ``key`` (or a block of it) is not done yet."""
        job = jobs[key]
        if isinstance(job, _Assembly):
            return any(self._pending(jobs, k) for k, _, _ in job.cells)
        return isinstance(job, (Future, _Part)) and not job.done()

    def _done(self, jobs, key):
        """The result of job ``key`` (kept for later subsets once computed)."""
        job = jobs[key]
        if isinstance(job, _Assembly):
            fte = np.empty((len(self.base.years), len(self.dataset.regions), len(D.GROUPS)))
            for k, c, rows in job.cells:
                fte[:, slice(None) if rows is None else rows[:, None], self.comps[c]] = self._done(jobs, k)
            supply = supply_by_sector(fte, self.base.sector_share, len(D.SECTORS))
            job = (supply, supply.sum(axis=(1, 2)))
        elif isinstance(job, (Future, _Part)):
            job = job.result()
        else:
            return job
        jobs[key] = job = self._keep(key, job)
        return job

    def _keep(self, key, value):
        return self._results.put(key, value, sum(a.nbytes for a in (value if isinstance(value, tuple) else (value,))))[0]

    def _run_supply(self, inp) -> np.ndarray:
        """Supply FTE ``[years, regions, groups]`` of the inputs ``inp`` (every block)."""
        return np.ascontiguousarray(run_supply(inp, migration=self.migration)[2][..., FTE])

    def _run_demand(self, inp) -> np.ndarray:
        """Demand by sector of the inputs ``inp``."""
        return demand_by_sector(run_demand(inp, self.driver)[1], D.service_sector_index(), len(D.SECTORS))


def _threads() -> int:
    import numba

    return max(1, numba.get_num_threads())
