"""Apply a scenario's assumptions and measures to a copy of the model inputs.

For a measure with time weight ``w(y)`` (0..1, :meth:`TimePath.weight`) and target mask
``m`` (1 where the measure acts):

- ``multiply v``: ``p <- p * (1 + w m (v - 1))``
- ``add v``:      ``p <- p + w m v``  (rates); for national person flows (graduates,
  immigrants, recruits) ``v`` persons a year per targeted group spread over the targeted
  regions by the graduates' regional shares (and over sexes and ages by their age profile);
  recruits ``recruited_from: other_regions`` (the default) leave the source regions in
  proportion to the group's base-year stock there, with the same sexes and ages, so the
  nation's number of recruits is zero (displacement)
- ``set v``:      ``p <- p + w m (v - p)``
- ``shift v``:    the from-group's FTE per user in the targeted services falls by ``w v`` and
  ``to_group``'s rises by ``w v × efficiency`` of the same FTE.

Within a parameter, ``set`` goes first, then ``multiply``, ``add`` and ``shift``. After
all measures every touched parameter must stay within its range, or the run is refused.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import dims as D
from ..core.supply import compact
from ..errors import ScenarioError
from .targets import OPERATION_ORDER, region_mask
from .schema import LEVERS, Lever, Measure


def _weights(m: Measure, years) -> np.ndarray:
    if m.path is None:
        return np.ones(len(years))
    return np.array([m.path.weight(int(y)) for y in years])


def _dim_mask(dim: str, m: Measure, regions) -> np.ndarray:
    t = m.target
    if dim == D.REGION:
        return region_mask(t.regions, regions)
    if dim in (D.AGE, "work_age"):
        ages = D.WORK_AGES if dim == "work_age" else D.AGES
        if t.ages is None:
            return np.ones(len(ages), dtype=bool)
        return (ages >= t.ages[0]) & (ages <= t.ages[1])
    labels, chosen = {
        D.GROUP: (D.GROUPS, t.groups),
        D.SERVICE: (D.SERVICES, t.services),
        D.TRANSITION: (D.TRANSITIONS, t.transitions),
        D.SEX: (D.SEXES, t.sexes),
    }[dim]
    if chosen is None:
        return np.ones(len(labels), dtype=bool)
    return np.array([lbl in chosen for lbl in labels])


def _mask(lever: Lever, m: Measure, regions) -> np.ndarray:
    """Target mask with the lever's dims (without time), as float 0/1."""
    masks = np.ix_(*[_dim_mask(d, m, regions).astype(float) for d in lever.dims])
    return functools.reduce(np.multiply, masks)


def _time(w: np.ndarray, ndim: int) -> np.ndarray:
    return w.reshape((-1,) + (1,) * ndim)


def apply_scenario(scenario, inputs, dataset):
    """New :class:`~helsemod_py.model.ModelInputs` with ``scenario`` applied (inputs untouched)."""
    problems = scenario.problems(dataset)
    if problems:
        raise ScenarioError(problems)
    out = inputs.copy()
    _apply_rate_assumptions(scenario, out, dataset)  # first: healthier ageing reads the mortality path
    _apply_assumptions(scenario.assumptions, out, dataset)
    order = sorted(range(len(scenario.measures)),
                   key=lambda i: (OPERATION_ORDER.index(scenario.measures[i].operation), i))
    touched: dict[str, list[int]] = {}
    for i in order:
        m = scenario.measures[i]
        _apply_measure(m, out, dataset)
        touched.setdefault(m.parameter, []).append(i)
    _check_ranges(out, touched, scenario)
    out.notes.append(f"scenario {scenario.name}: {len(scenario.measures)} measure(s)")
    return out


def _apply_assumptions(asm, inp, dataset):
    driver = asm.population_driver
    if driver is not None and driver.source == "file":
        from .driver import read_population_projection

        inp.external_population = read_population_projection(driver.file, dataset, inp.years)
    demand_trends(asm, inp, dataset)
    if asm.standard_growth is None:
        return
    growth = standard_growth(asm, dataset)
    base = (1.0 + dataset["standard_growth"])[None, :] ** np.arange(len(inp.years))[:, None]
    new = (1.0 + growth)[None, :] ** np.arange(len(inp.years))[:, None]
    arr = inp.writable("intensity")
    arr *= (new / base)[:, None, :]


def demand_trends(asm, inp, dataset):
    """Coverage trend, healthier ageing and staff-mix trend of the assumptions (see
    :mod:`helsemod_py.trends`); nothing changes where the assumptions leave them out."""
    from .. import trends as TR

    mode = asm.coverage_trend or TR.DEFAULT_COVERAGE_TREND
    damping = asm.coverage_damping.value if asm.coverage_damping is not None else TR.COVERAGE_DAMPING
    n1 = len(inp.years)
    if asm.healthier_ageing is not None:  # with coverage_trend: none (checked by the schema)
        gain = TR.life_expectancy_gain(inp.mortality, n1)
        inp.user_rate = TR.healthier_ageing_user_rate(dataset["user_rate"], gain, asm.healthier_ageing.value)
    elif mode != TR.DEFAULT_COVERAGE_TREND or asm.coverage_damping is not None:
        inp.user_rate = TR.coverage_user_rate(dataset["user_rate"], dataset["coverage_trend"],
                                              TR.trend_path(n1, mode, damping))
    if asm.staff_mix_trend:
        rates = np.array([asm.staff_mix_trend[g].value if g in asm.staff_mix_trend else 0.0 for g in D.GROUPS])
        mix = inp.writable("staff_mix")
        mix *= TR.staff_mix_path(rates, inp.base_demand_fte, n1)


def _apply_rate_assumptions(scenario, inp, dataset):
    """``assumptions.mortality`` / ``fertility``: constant, the dataset's trend (scaled) or a file."""
    from ..core.trends import fertility_path, mortality_path

    n = len(inp.years) - 1
    for key in ("mortality", "fertility"):
        a = getattr(scenario.assumptions, key)
        if a is None:
            continue
        base = dataset[key]
        if a.assumption == "constant":
            rates = np.broadcast_to(base, (n,) + base.shape)
        elif a.assumption == "trend":
            scale = 1.0 if a.scale is None else a.scale
            if key == "mortality":
                rates = mortality_path(base, dataset["mortality_decline"], n, scale)
            else:
                damping = dataset.scalars["fertility_damping"] if a.damping is None else a.damping
                rates = fertility_path(base, dataset["fertility_trend"], damping, n, scale)
        else:
            from .driver import read_rate_file

            try:
                rates = read_rate_file(a.file, dataset, inp.years[:-1], key)
            except ScenarioError as exc:
                label = scenario.source or scenario.name
                line = scenario.lines.get(("assumptions", key, "file"), scenario.lines.get(("assumptions", key), 1))
                raise ScenarioError([f"{label}:{line}: assumptions.{key}.file: {p}" for p in exc.problems]) from None
        setattr(inp, key, rates)


def standard_growth(asm, dataset) -> np.ndarray:
    """Standard growth per service (/1 per year): the dataset's, overridden by the assumptions."""
    growth = np.array(dataset["standard_growth"], dtype=float)
    sg = asm.standard_growth
    for k, val in (sg.items() if isinstance(sg, dict) else [("all", sg)] if sg is not None else []):
        if k == "all":
            growth[:] = val.value
        else:
            growth[D.SERVICES.index(k)] = val.value
    return growth


def _spread_national(lever: Lever, m: Measure, dataset, inp) -> np.ndarray:
    """Persons a year ``[R, G, (S, A)]`` for one unit of national add/set, per targeted group."""
    regions = dataset.regions
    rmask = _dim_mask(D.REGION, m, regions)
    gmask = _dim_mask(D.GROUP, m, regions)
    share_name = "immigrant_region_share" if lever.field == "immigrants" else "graduate_region_share"
    share = dataset[share_name] * rmask[:, None]
    tot = share.sum(axis=0, keepdims=True)
    uniform = rmask[:, None] / max(rmask.sum(), 1)
    share = np.where(tot > 0, share / np.where(tot > 0, tot, 1), uniform) * gmask[None, :]
    share = share * _closed_region_part(m, dataset, share_name, tot[0])[None, :]
    if lever.field != "recruits":
        return share
    smask = _dim_mask(D.SEX, m, regions)
    amask = _dim_mask("work_age", m, regions)
    cell = (smask[:, None] & amask[None, :]).astype(float)
    dist = inp.graduate_age_dist * cell[None]
    tot = dist.sum(axis=(1, 2), keepdims=True)
    dist = np.where(tot > 0, dist / np.where(tot > 0, tot, 1), cell[None] / max(cell.sum(), 1))
    return share[:, :, None, None] * dist[None]


def _closed_region_part(m: Measure, dataset, share_name: str, target_share: np.ndarray) -> np.ndarray:
    """Per group, the part of a national measure in persons that reaches a closed region (a
    :meth:`~helsemod_py.data.dataset.Dataset.subset`): the kept regions' share of the measure's
    target in the whole country; 1 for a whole country."""
    from ..data.dataset import closed_region

    info = closed_region(dataset)[share_name]
    if not info["dropped"]:
        return np.ones(len(D.GROUPS))
    targets = m.target.regions
    counties = set(info["dropped"]) if targets is None else {
        hit[1] for hit in map(dataset.regions.lookup, targets) if hit is not None and hit[0] == "county"}
    inside = target_share * info["kept"]  # the target's kept part, as a share of the whole country
    outside = sum((info["dropped"][c] for c in counties if c in info["dropped"]), np.zeros(len(D.GROUPS)))
    whole = inside + outside
    return np.divide(inside, whole, out=np.ones_like(whole), where=whole > 0)


def spread_nationally(lever: Lever, operation: str) -> bool:
    """An ``add`` or ``set`` of a national person flow: spread over the targeted regions by their
    shares (recruits also taken from other regions), not masked cell by cell like the others."""
    return lever.field in ("graduates", "immigrants", "recruits") and operation in ("add", "set")


def _apply_measure(m: Measure, inp, dataset):
    lever = LEVERS[m.parameter]
    years = inp.years[:-1] if lever.steps else inp.years
    w = _weights(m, years)
    if not w.any():
        return
    op, v = m.operation, m.change.value
    if m.parameter == "vacancies":
        _add_vacancies(m, inp, dataset)
        return
    if op == "shift":
        _shift(m, inp, dataset, w)
        return
    # Work on the compact form (years and regions of length 1 where nothing varies) and keep the
    # result as a broadcast view: a measure for all regions never copies 357 identical blocks.
    current = getattr(inp, lever.field)
    arr = compact(current)
    wt = time_weights(m, inp, arr.ndim - 1)
    if spread_nationally(lever, op):
        spread = _spread_national(lever, m, dataset, inp)
        if m.source == "other_regions":
            spread = spread - _displaced(m, dataset, spread)
        spread = spread[None]
        if op == "add":
            new = arr + wt * v * spread
        else:  # set the national total of each targeted group, keep the regional spread
            new = arr + wt * (spread > 0) * (v * spread - arr)
    else:
        new = masked_change(op, v, arr, wt, target_mask(m, dataset.regions)[None])
    setattr(inp, lever.field, np.broadcast_to(new, current.shape))


def target_mask(m: Measure, regions) -> np.ndarray:
    """The cells a masked measure (not :func:`spread_nationally`) changes, with its lever's dims
    (0/1; the region axis of length 1 where the mask is the same in every region)."""
    mask = _mask(LEVERS[m.parameter], m, regions)
    return mask[:1] if (mask == mask[:1]).all() else mask


def time_weights(m: Measure, inp, ndim: int) -> np.ndarray | None:
    """A measure's weight per year of its lever's field ``[T or 1, 1 x ndim]`` (its path; one year
    where it is the same in all), or None where it never acts."""
    w = _weights(m, inp.years[:-1] if LEVERS[m.parameter].steps else inp.years)
    return _time(w if np.ptp(w) > 0 else w[:1], ndim) if w.any() else None


def masked_change(op: str, v: float, arr, wt, mask) -> np.ndarray:
    """A field ``arr`` after a masked measure: ``op`` by ``v``, phased in by ``wt`` on the cells of
    ``mask`` (broadcast against ``arr``; any slice of the three gives that slice of the result)."""
    with np.errstate(over="ignore", invalid="ignore"):  # what overflows is refused by _check_ranges
        if op == "multiply":
            return arr * (1.0 + wt * (v - 1.0) * mask)
        if op == "add":
            return arr + wt * v * mask
        return arr + wt * mask * (v - arr)  # set


def within_range(param: str, arr) -> bool:
    """The values ``arr`` of lever ``param`` (its field, or any part of it) are finite and within
    its range, as :func:`range_problems` checks them (transition sums aside)."""
    lever = LEVERS["staff_mix"] if param == "task_shift" else LEVERS[param]
    lo, hi = (-lever.hi if param == "recruits" else lever.lo), lever.hi
    arr = np.asarray(arr)
    return bool(arr.size and np.isfinite([lo, hi]).all() and lo - 1e-12 <= arr.min() and arr.max() <= hi + 1e-12)


def _displaced(m: Measure, dataset, spread: np.ndarray) -> np.ndarray:
    """Persons ``[R, G, S, A]`` leaving the source regions for one unit of recruits spread as
    ``spread``: each group's recruits, with their sexes and ages, taken from the source regions in
    proportion to the group's base-year stock in those cells (sums per group equal the recruits').
    In a closed region (a subset) recruits across its border are not followed: those from outside
    leave no one behind, and those for targets outside take no one from it."""
    src = m.recruited_from
    if src is not None and src.regions is not None:
        smask = region_mask(src.regions, dataset.regions)
    else:
        smask = ~_dim_mask(D.REGION, m, dataset.regions)
    stock = dataset["stock"] * smask[:, None, None, None]  # [R, G, S, Aw]
    out = np.zeros_like(spread)
    closed = bool(dataset.meta.get("closed_region"))
    for g in np.nonzero(spread.sum(axis=(0, 2, 3)) > 0)[0]:
        dist = spread[:, g].sum(axis=0)  # [S, Aw] the recruits' sexes and ages (sums to 1)
        weight = (stock[:, g] * (dist > 0)).sum(axis=(1, 2))
        if weight.sum() <= 0 and closed:
            continue  # a closed region whose sources lie outside it: nobody leaves the subset
        if weight.sum() <= 0:
            raise ScenarioError(f"{m.id}: no {D.GROUPS[g]} of the recruits' sexes and ages in the regions they are "
                                "recruited from (recruited_from: other_regions); name other regions or another "
                                "source (allowed: other_regions, abroad, new_graduates, outside_workforce)")
        out[:, g] = (weight / weight.sum())[:, None, None] * dist[None]
    return out


def _shift(m: Measure, inp, dataset, w):
    base = inp.base_demand_fte  # [R, K, G]
    to = D.GROUPS.index(m.shift.to_group)
    rmask = _dim_mask(D.REGION, m, dataset.regions)
    kmask = _dim_mask(D.SERVICE, m, dataset.regions)
    mix = inp.writable("staff_mix")  # [T+1, R, K, G]
    wt = _time(w, 2)
    v, eff = m.shift.value, m.shift.efficiency
    sel = (rmask[:, None] & kmask[None, :]).astype(float)  # [R, K]
    for g in m.target.groups:
        f = D.GROUPS.index(g)
        need = sel * base[:, :, f]
        missing = (need > 0) & (base[:, :, to] <= 0)
        if missing.any():
            r, k = np.argwhere(missing)[0]
            raise ScenarioError(f"{m.id}: cannot shift {g} to {m.shift.to_group} in {D.SERVICES[k]} of region "
                                f"{dataset.regions.codes[r]}: the dataset has no base-year FTE of "
                                f"{m.shift.to_group} there")
        ratio = np.divide(base[:, :, f], base[:, :, to], out=np.zeros_like(base[:, :, f]), where=base[:, :, to] > 0)
        moved = wt * v * sel[None] * mix[:, :, :, f]  # share of from-group's base FTE per user moved
        mix[:, :, :, to] += moved * ratio[None] * eff
        mix[:, :, :, f] -= moved


def _add_vacancies(m: Measure, inp, dataset):
    base = inp.writable("base_demand_fte")  # [R, K, G]
    rmask = _dim_mask(D.REGION, m, dataset.regions)
    kmask = _dim_mask(D.SERVICE, m, dataset.regions)
    for g in m.target.groups or D.GROUPS:
        gi = D.GROUPS.index(g)
        sel = base[:, :, gi] * rmask[:, None] * kmask[None, :]
        if sel.sum() <= 0:
            raise ScenarioError(f"{m.id}: no base-year demand for {g} in the targeted services and regions "
                                "to spread vacancies over")
        base[:, :, gi] += m.change.value * sel / sel.sum()


def _check_ranges(inp, touched, scenario):
    """Refuse a run where measures took a parameter outside its range (or to NaN)."""
    problems = range_problems(inp, touched, scenario)
    if problems:
        raise ScenarioError(problems)


def range_problems(inp, touched, scenario) -> list[str]:
    """What :func:`_check_ranges` refuses: the parameters ``touched`` (``{parameter: [measure
    index, ...]}``, indices into ``scenario.measures``) outside their range, NaN or infinite."""
    label = scenario.source or scenario.name
    problems = []

    def where(idx):
        i = idx[-1]
        m = scenario.measures[i]
        line = scenario.lines.get(("measures", i, m.operation), scenario.lines.get(("measures", i), 1))
        ids = ", ".join(repr(scenario.measures[j].id) for j in idx)
        return f"{label}:{line}: measures[{i}].{m.operation}.value: measure{'s' if len(idx) > 1 else ''} {ids}"

    for param, idx in touched.items():
        lever = LEVERS[param]
        arr = compact(getattr(inp, lever.field), leading=np.ndim(getattr(inp, lever.field)))
        if within_range(param, arr):
            continue  # finite and in range (a NaN fails the comparisons)
        # the range of the field changed (task_shift's 0..1 is the share moved, not the staff mix's)
        ranged = LEVERS["staff_mix"] if param == "task_shift" else lever
        lo, hi = ranged.lo, ranged.hi
        if param == "recruits":  # recruits are at least 0 (schema); displacement takes them from other regions
            lo = -hi
        if not np.isfinite(arr).all():
            problems.append(f"{where(idx)} make {param} NaN or infinite")
            continue
        bad_lo, bad_hi = arr < lo - 1e-12, arr > hi + 1e-12
        if bad_lo.any() or bad_hi.any():
            val = arr[bad_lo].min() if bad_lo.any() else arr[bad_hi].max()
            verb = "take" if len(idx) > 1 else "takes"
            problems.append(f"{where(idx)} {verb} {param} to {val:.4g}, outside {lo:g} to {hi:g} ({lever.unit}); "
                            "reduce the change")
    if "transition_rate" in touched:
        src, _ = D.transition_index()
        rates = np.asarray(inp.transition_rate)
        for g in np.unique(src):
            if (rates[:, :, src == g].sum(axis=2) > 1 + 1e-9).any():
                problems.append(f"{where(touched['transition_rate'])} make transition rates out of "
                                f"{D.GROUPS[g]} sum to more than 1")
    return problems
