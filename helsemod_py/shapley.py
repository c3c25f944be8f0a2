"""Exact Shapley values of a scenario's measures on the net gap, from small games (issue 16).

The gap is supply minus demand, and a Shapley value is linear in the game, so the measures'
values on the gap are their values on supply minus their values on demand. Both split further:

* **supply** comes in blocks (:class:`~helsemod_py.coalitions.Coalitions`: a component of groups
  that transitions couple, in a class of regions that the same measures reach). A block's FTE
  depends only on the measures that reach it; every other measure is a null player there (value
  0). So each block is a game of its own measures, and all subsets of them are projected side by
  side by the lane kernel :func:`~helsemod_py.core.coalition_lanes.coalition_block`: a lane per
  subset of the measures on rates (exits, transitions); the stock is linear in the entrants
  (graduates, immigrants, recruits), so a subset of their measures is the sum of its fields'
  lanes less the base, and each field needs a lane per subset of its own measures only; and an
  FTE variant per subset of the measures on a person's FTE or sick leave (which never change
  the stock);
* **demand** is a game of the demand measures, each subset evaluated as usual.

A scenario of 17 measures (``k2025_all``) is then a game of 11 measures in municipal care,
a few of 1 or 2 elsewhere and one of 2 on demand: the care block's 2 048 coalitions come from
96 lanes (16 subsets of 4 rate measures x 6 entrant lanes) times 8 FTE variants, instead of
2^17 runs of the whole model. :func:`games` says how large the largest game is, so that attribution
can choose exact values where they are affordable.

Values are those of the subsets' projections to float rounding (the lane kernel sums in another
order than the whole run); they add up to the total change to rounding, as sampled values do.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import dims as D
from .coalitions import Coalitions, _masked, _OutOfRange, _threads, evaluate
from .core.coalition_lanes import coalition_block, shapley_weights
from .core.sectors import supply_by_sector
from .core.supply import compact
from .errors import HelsemodError
from .model import DEMAND_FIELDS
from .results import shortage_units
from .scenario.schema import LEVERS
from .scenario.targets import OPERATION_ORDER

#: Fields of a person's FTE (measures on them never change the stock: variants, not lanes).
PERSON_FIELDS = ("participation", "share_in_health_care", "avg_fte")
#: The stock's rates a measure may change (a lane per subset of their measures).
RATE_FIELDS = ("exit_rate", "transition_rate")
#: Entrants a measure may change: the stock is linear in them, so a lane per subset of each field's measures.
ENTRANT_FIELDS = ("graduates", "immigrants", "recruits")
#: Bytes of a kernel chunk's output (regions are projected in chunks of about this size).
CHUNK_BYTES = 1 << 24
#: Coalitions whose outcomes are summed together (demand subsets evaluated together).
BATCH = 64
#: Demand measures up to which the shortage's games keep every demand subset's change (memory).
SHORTAGE_DEMAND_MAX = 8


@dataclass(frozen=True)
class Block:
    """One supply game: component ``comp`` (positions in ``Coalitions.comps``), the regions ``rows``
    (None: all) and its players (measure indices): on rates (a lane per subset), on entrants (the
    stock is linear in them: a lane per subset of each field's measures) and on a person's FTE (a
    variant per subset)."""

    comp: int
    rows: np.ndarray | None
    rates: tuple[int, ...]
    entrants: tuple[int, ...]
    variants: tuple[int, ...]

    @property
    def players(self) -> tuple[int, ...]:
        """In the order of the bits of a coalition's index (:func:`_block_values`: rate bits lowest,
        then entrant bits, then variant bits, as the kernel's output flattens)."""
        return self.rates + self.entrants + self.variants


def _order(co: Coalitions, i: int) -> tuple[int, int]:
    return OPERATION_ORDER.index(co.scenario.measures[i].operation), i


def games(co: Coalitions, ids) -> tuple[list[Block], tuple[int, ...]] | None:
    """The supply blocks' games and the demand game's players (measure indices) of the measures
    ``ids`` (those that change something), or None where the coalitions cannot be split (not
    ``co.fast``: the scenario runs the ordinary way)."""
    if not co.fast:
        return None
    chosen = {co.index[m] for m in ids}
    known = set(RATE_FIELDS + ENTRANT_FIELDS + PERSON_FIELDS + ("sick_leave",) + DEMAND_FIELDS)
    if any(_field(co, i) not in known for i in chosen):  # a lever these games do not know: the ordinary way
        return None
    blocks = []
    for c, classes in enumerate(co.classes):
        for q, rows in enumerate(classes):
            near = sorted((i for i in chosen if i in co._reach and (c, q) in co._reach[i][1]), key=lambda i: _order(co, i))
            if not near:
                continue
            kind = [i for i in near if _field(co, i) in RATE_FIELDS], [i for i in near if _field(co, i) in ENTRANT_FIELDS]
            blocks.append(Block(c, rows, tuple(kind[0]), tuple(kind[1]),
                                tuple(i for i in near if i not in kind[0] + kind[1])))
    demand = tuple(sorted((i for i in chosen if _field(co, i) in DEMAND_FIELDS), key=lambda i: _order(co, i)))
    return blocks, demand


def largest(co: Coalitions, plan, outcome: str = "gap") -> int:
    """Players of the largest game of :func:`games`' ``plan`` for ``outcome``: the gap's blocks
    and demand; the shortage's components (its demand measures beyond ``SHORTAGE_DEMAND_MAX``
    count as too many)."""
    blocks, demand = plan
    if outcome == "gap":
        return max([len(b.players) for b in blocks] + [len(demand)])
    if len(demand) > SHORTAGE_DEMAND_MAX:
        return 1 << 30
    return max([len(p) for p in _component_players(co, plan).values()] + [0])


def runs(co: Coalitions, plan, outcome: str = "gap") -> int:
    """Progress steps of :func:`exact_values` for ``plan``: per block its states and its kernel
    chunks, demand subsets and, for the shortage, batches of each component's coalitions."""
    steps = sum(1 + len(_chunks(co, b)) for b in plan[0]) + ((1 << len(plan[1])) if plan[1] else 0)
    if outcome == "shortage":
        steps += sum(-(-(1 << len(p)) // BATCH) for p in _component_players(co, plan).values())
    return steps


def _field(co: Coalitions, i: int) -> str:
    return LEVERS[co.scenario.measures[i].parameter].field


def _chunks(co: Coalitions, block: Block) -> list[np.ndarray]:
    """Positions of the block's regions (in its rows), in chunks of about ``CHUNK_BYTES`` of kernel output."""
    n_rows = len(co.dataset.regions) if block.rows is None else len(block.rows)
    per = max(1, CHUNK_BYTES // (8 * len(co.base.years) * len(co.comps[block.comp]) << len(block.players)))
    return [np.arange(a, min(a + per, n_rows), dtype=np.int64) for a in range(0, n_rows, per)]


def _piece_state(co: Coalitions, field: str, key: tuple, groups: tuple, rows, check) -> np.ndarray:
    """``field`` after the measures ``key`` in turn, at the block's ``groups`` and regions ``rows``
    (None: all): :meth:`Coalitions._piece`, out of range refused the ordinary way, with its message."""
    group = co._group(field)
    if key and not all(_masked(co._measure(k)) for k in key):
        check(group, key)  # the whole field's state, checked
    try:
        return co._piece(field, group, key, groups, rows)
    except _OutOfRange:
        evaluate(co.dataset, co.scenario_for([co.scenario.measures[i].id for i, _ in key]), co.end_year)
        raise HelsemodError(f"{field}: a piece of the measures {key} out of range in a state within range") from None


def _states(co: Coalitions, block: Block, field: str, players: tuple[int, ...], groups, check) -> tuple:
    """The stack of ``field``'s states in ``block`` (the field after each subset of its measures
    among ``players``, applied in order; compact year and region axes), and per subset of
    ``players`` (bits) the state it reads."""
    mine = [j for j, i in enumerate(players) if _field(co, i) == field]
    rows = None if block.rows is None else tuple(int(r) for r in block.rows)
    pieces = [_piece_state(co, field, tuple((players[j], None) for b, j in enumerate(mine) if code >> b & 1),
                           groups, rows, check) for code in range(1 << len(mine))]
    index = np.zeros(1 << len(players), dtype=np.int64)
    for b, j in enumerate(mine):
        index |= ((np.arange(1 << len(players)) >> j) & 1) << b
    varied = [ax for ax in (0, 1) if any(p.strides[ax] != 0 or p.shape[ax] == 1 for p in pieces)]
    cut = tuple(slice(None) if ax in varied or ax > 1 else slice(0, 1) for ax in range(pieces[0].ndim))
    return np.stack([np.ascontiguousarray(p[cut]) for p in pieces]), index


def _person(part, share, fte, ix_pa, ix_sh, ix_fe, n_groups):
    """``person_of[g, v]`` and ``person_states[g, u, 3]`` (padded with -1) of :func:`coalition_block`:
    the variants of a group that read the same numbers share one FTE per person."""
    canon = []
    for st in (part, share, fte):
        first = np.zeros((len(st), n_groups), dtype=np.int64)
        for k in range(len(st)):
            for g in range(n_groups):
                first[k, g] = next(j for j in range(k + 1) if np.array_equal(st[j][:, :, g], st[k][:, :, g]))
        canon.append(first)
    n_var = len(ix_pa)
    person_of = np.zeros((n_groups, n_var), dtype=np.int64)
    per_group = []
    for g in range(n_groups):
        seen: dict = {}
        for v in range(n_var):
            key = (canon[0][ix_pa[v], g], canon[1][ix_sh[v], g], canon[2][ix_fe[v], g])
            person_of[g, v] = seen.setdefault(key, len(seen))
        per_group.append(list(seen))
    person_states = -np.ones((n_groups, max(len(p) for p in per_group), 3), dtype=np.int64)
    for g, keys in enumerate(per_group):
        person_states[g, :len(keys)] = keys
    return person_of, person_states


def _entrant_lanes(co: Coalitions, entrants: tuple[int, ...]) -> list[tuple[str | None, int]]:
    """The kernel's entrant lanes: ``(field, code)``, the subset ``code`` (bits over ``entrants``)
    of one field's measures; first ``(None, 0)``, no entrant measure."""
    lanes: list = [(None, 0)]
    for f in ENTRANT_FIELDS:
        mine = [j for j, i in enumerate(entrants) if _field(co, i) == f]
        for sub in range(1, 1 << len(mine)):
            lanes.append((f, sum(1 << j for b, j in enumerate(mine) if sub >> b & 1)))
    return lanes


def _combine(lanes: list, n_codes: int) -> np.ndarray:
    """``[n_codes, lanes]``: each subset of the entrant measures (bits, :func:`_entrant_lanes`) as its
    lanes: the stock is linear in the entrants, so it is the sum of its fields' lanes less the
    no-entrant lane once less than it has fields."""
    where = {code: e for e, (_, code) in enumerate(lanes)}
    masks: dict = {}
    for f, code in lanes[1:]:
        masks[f] = masks.get(f, 0) | code
    combine = np.zeros((n_codes, len(lanes)))
    for code in range(n_codes):
        parts = [where[code & mask] for mask in masks.values() if code & mask]
        combine[code, 0] = 1.0 - len(parts)
        combine[code, parts] += 1.0
    return combine


def _lane_weights(combine: np.ndarray, n_rates: int, n_variants: int, weights: np.ndarray) -> np.ndarray:
    """Shapley coefficients ``[variant x entrant lane x rate subset, players]`` of the kernel's
    output, from those of the coalitions (``weights``, entrant bits above the rate bits): a
    coalition's coefficients go to the lanes that :func:`_combine` makes it of."""
    w = weights.reshape(n_variants, len(combine), n_rates, -1)
    return np.einsum("ce,vcrp->verp", combine, w).reshape(-1, w.shape[-1])


def _block_values(co: Coalitions, block: Block, check, pool, every: bool = False) -> list:
    """Futures of the block's Shapley values on FTE ``[T, rows, groups, players + 2]``, one per
    chunk of rows, then the FTE of no measure and of all; with ``every``, the FTE of every
    coalition instead ``[T, rows, groups, 2**players]``."""
    groups = tuple(int(g) for g in co.comps[block.comp])
    rows = None if block.rows is None else tuple(int(r) for r in block.rows)
    rates, variants = block.rates, block.variants
    entrant_lanes = _entrant_lanes(co, block.entrants)
    n_rates = 1 << len(rates)
    stack = {}  # per field, its states and the state of each kernel lane (entrant lane x rate subset)
    for f in RATE_FIELDS:
        states, index = _states(co, block, f, rates, groups, check)
        stack[f] = states, np.tile(index, len(entrant_lanes)).astype(np.uint64)
    for f in ENTRANT_FIELDS:
        states, index = _states(co, block, f, block.entrants, groups, check)
        mine = index[[code if g in (None, f) else 0 for g, code in entrant_lanes]]
        stack[f] = states, np.repeat(mine, n_rates).astype(np.uint64)
    person = {f: _states(co, block, f, variants, groups, check) for f in PERSON_FIELDS + ("sick_leave",)}
    src, dst = D.transition_index()
    ks = [k for k in range(len(src)) if src[k] in groups]
    pos = {g: j for j, g in enumerate(groups)}
    t_src = np.array([pos[src[k]] for k in ks], dtype=np.int64)
    t_dst = np.array([pos[dst[k]] for k in ks], dtype=np.int64)
    base = {name: co._piece(name, co._group(name), (), groups, rows)
            for name in ("stock0", "mortality", "migration", "graduate_age_dist", "immigrant_age_dist")}
    stock0 = np.ascontiguousarray(base["stock0"], dtype=np.float64)
    mortality, migration = compact(base["mortality"]), compact(base["migration"])
    gdist = np.ascontiguousarray(base["graduate_age_dist"], dtype=np.float64)
    idist = np.ascontiguousarray(base["immigrant_age_dist"], dtype=np.float64)
    person_of, person_states = _person(person["participation"][0], person["share_in_health_care"][0],
                                       person["avg_fte"][0], person["participation"][1],
                                       person["share_in_health_care"][1], person["avg_fte"][1], len(groups))
    n_years, n_var = len(co.base.years), 1 << len(variants)
    combine = _combine(entrant_lanes, 1 << len(block.entrants))
    weights = _lane_weights(combine, n_rates, n_var, shapley_weights(len(block.players)))
    ends = np.zeros((len(weights), 2))  # no measure (the first lane) and all of them (through combine)
    ends[0, 0] = 1.0
    ends[((n_var - 1) * len(entrant_lanes) + np.arange(len(entrant_lanes))) * n_rates + n_rates - 1, 1] = combine[-1]
    weights = np.concatenate([weights, ends], axis=1)

    def run(chunk):
        out = np.empty((n_years, len(chunk), len(groups), n_var, len(entrant_lanes) * n_rates))
        coalition_block(stock0, mortality, migration, *stack["exit_rate"], t_src, t_dst, *stack["transition_rate"],
                        *stack["graduates"], gdist, *stack["immigrants"], idist, *stack["recruits"],
                        person["participation"][0], person["share_in_health_care"][0], person["avg_fte"][0],
                        person["sick_leave"][0], person_of, person_states, person["sick_leave"][1], chunk, out)
        if every:
            out = out.reshape(out.shape[:4] + (len(entrant_lanes), n_rates))
            return np.einsum("ce,...ver->...vcr", combine, out).reshape(out.shape[:3] + (-1,))
        return (out.reshape(-1, len(weights)) @ weights).reshape(n_years, len(chunk), len(groups), weights.shape[1])

    return [pool.submit(run, chunk) for chunk in _chunks(co, block)]


def _check(co: Coalitions):
    """A check that a state is within range, which refuses it the ordinary way, with its message."""
    def check(group, key):
        if not co._within_range(group, key):
            evaluate(co.dataset, co.scenario_for([co.scenario.measures[i].id for i, _ in key]), co.end_year)
    return check


def _supply(co: Coalitions, ids, blocks, progress, every: bool):
    """Shapley values of the measures ``ids`` on supply FTE ``[n, years, regions, groups]``, the
    change of all of them ``[years, regions, groups]`` (the kernel's, block by block) and, with
    ``every``, per block the change of every coalition's FTE ``[2**players, years, rows, groups]``."""
    position = {co.index[m]: p for p, m in enumerate(ids)}
    n_regions = len(co.dataset.regions)
    fte = np.zeros((len(ids), len(co.base.years), n_regions, len(D.GROUPS)))
    delta = np.zeros(fte.shape[1:])
    changes = []
    with ThreadPoolExecutor(_threads()) as pool:
        jobs = []
        for b in blocks:  # its states prepared (a step), its kernel chunks started
            jobs.append((b, _block_values(co, b, _check(co), pool, every)))
            if progress:
                progress()
        for block, futures in jobs:
            groups = co.comps[block.comp]
            rows = np.arange(n_regions) if block.rows is None else np.asarray(block.rows)
            parts = []
            for job in futures:
                parts.append(job.result())
                if progress:
                    progress()
            where = np.concatenate(parts, axis=1)
            if every:
                where = np.moveaxis(where - where[..., :1], -1, 0).copy()
                changes.append(where)
                all_of_them = where[-1]
                where = np.tensordot(where, shapley_weights(len(block.players)), axes=(0, 0))
            else:
                all_of_them = where[..., -1] - where[..., -2]
            delta[:, rows[:, None], groups] = all_of_them
            for j, i in enumerate(block.players):
                fte[position[i]][:, rows[:, None], groups] = where[..., j]
    return fte, delta, changes


def _bits(codes: np.ndarray, players, within) -> np.ndarray:
    """Per coalition ``codes`` (bits over ``players``), the coalition of the players ``within`` (bits over them)."""
    pos = {i: j for j, i in enumerate(players)}
    return sum(((codes >> pos[i]) & 1) << j for j, i in enumerate(within)) if within else np.zeros_like(codes)


def _component_players(co: Coalitions, plan) -> dict:
    """Per component with players, the players of its shortage game: the measures reaching any
    of its blocks, and the demand measures."""
    blocks, demand = plan
    out: dict = {}
    for c in range(len(co.comps)):
        mine = {i for b in blocks if b.comp == c for i in b.players} | set(demand)
        if mine:
            out[c] = tuple(sorted(mine, key=lambda i: _order(co, i)))
    return out


def _shortage(co: Coalitions, ids, plan, weights, base_gap, changes, demand_changes, progress) -> np.ndarray:
    """Shapley values on the shortage cells ``[n, years, units, sectors, groups]`` (``weights``: a
    catchment's, :func:`~helsemod_py.results.shortage_units`), per component of groups: a game of
    the measures reaching its blocks and the demand measures, each coalition's gap put together
    from the blocks' FTE changes (``changes``) and demand's (``demand_changes``)."""
    blocks, demand = plan
    position = {co.index[m]: p for p, m in enumerate(ids)}
    share = np.broadcast_to(co.base.sector_share, base_gap.shape)
    base_cells = np.minimum(shortage_units(base_gap, weights), 0.0)
    out = np.zeros((len(ids),) + base_cells.shape)
    for c, players in _component_players(co, plan).items():
        groups = co.comps[c]
        mine = [(b, slice(None) if blocks[b].rows is None else blocks[b].rows) for b in range(len(blocks))
                if blocks[b].comp == c]
        shares = {b: share[:, rows][..., groups] for b, rows in mine}
        codes = np.arange(1 << len(players))
        sub = {b: _bits(codes, players, blocks[b].players) for b, _ in mine}
        sub_d = _bits(codes, players, demand)
        coef = shapley_weights(len(players))
        start = base_cells[..., groups]
        base_c = base_gap[..., groups]
        demand_c = [d[..., groups] for d in demand_changes] or [0.0]  # per demand subset, on these groups
        acc = np.zeros((len(players), start.size))
        for first in range(0, len(codes), BATCH):
            batch = []
            for code in codes[first:first + BATCH]:
                gap = base_c + demand_c[sub_d[code]]
                for b, rows in mine:
                    gap[:, rows] += changes[b][sub[b][code]][:, :, None, :] * shares[b]
                batch.append((np.minimum(shortage_units(gap, weights), 0.0) - start).ravel())
            acc += coef[first:first + BATCH].T @ np.array(batch)
            if progress:
                progress()
        for j, i in enumerate(players):
            out[position[i]][..., groups] = acc[j].reshape(start.shape)
    return out


def exact_values(co: Coalitions, ids, plan, progress=None, weights=None):
    """Shapley values of the measures ``ids`` (those that change something) on the gap FTE
    ``[n, years, regions, sectors, groups]`` (or, given a catchment's ``weights``, on the shortage
    cells ``[n, years, units, sectors, groups]``) and on national supply FTE ``[n, years, groups]``,
    with the gap and supply of no measure and of all: ``(values, base, full)`` as
    :func:`~helsemod_py.analysis._shapley` returns them (before the outcome). No measure is run
    the usual way; all of them is that plus the change of all in the kernel of the blocks and in
    demand (the same to float rounding, without projecting them again)."""
    blocks, demand = plan
    fte, delta, changes = _supply(co, ids, blocks, progress, every=weights is not None)
    gap = np.stack([supply_by_sector(f, co.base.sector_share, len(D.SECTORS)) for f in fte]) if ids else \
        np.zeros((0, len(co.base.years), len(co.dataset.regions), len(D.SECTORS), len(D.GROUPS)))
    supply = gap.sum(axis=(2, 3))
    (base,) = co.evaluate_many([()])
    change_all = supply_by_sector(delta, co.base.sector_share, len(D.SECTORS))
    full = [base[0] + change_all, base[1] + change_all.sum(axis=(1, 2))]
    subsets = [tuple(co.scenario.measures[i].id for b, i in enumerate(demand) if code >> b & 1)
               for code in range(1 << len(demand))] if demand else []
    coef = shapley_weights(len(demand))
    demand_changes = []
    position = {co.index[m]: p for p, m in enumerate(ids)}
    for first in range(0, len(subsets), BATCH):
        values = co.evaluate_many(subsets[first:first + BATCH], progress=progress)
        for code, (g, _) in enumerate(values, first):
            change = g - base[0]
            if code == len(subsets) - 1:
                full[0] += change  # all demand measures: the demand of all measures
            if weights is not None:
                demand_changes.append(change)
                continue
            for j, i in enumerate(demand):
                gap[position[i]] += coef[code, j] * change
    if weights is not None:
        gap = _shortage(co, ids, plan, weights, base[0], changes, demand_changes, progress)
    return (gap, supply), base, tuple(full)
