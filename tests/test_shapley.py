"""Exact Shapley values of the net gap from small games (issue 16): the lane kernel of coalitions
equals the numpy reference lane by lane, the coefficients obey Shapley's laws, and the values equal
those of every subset of the measures evaluated whole."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helsemod_py as hm
from helsemod_py import shapley
from helsemod_py.analysis import _shapley, attribute, plan
from helsemod_py.coalitions import _SUPPLY_ARGS, Coalitions, _columns, _take
from helsemod_py.core import reference
from helsemod_py.core.coalition_lanes import coalition_block, shapley_weights
from helsemod_py.core.supply_layout import FTE
from helsemod_py.results import shortage_units

END = 2030
INNLANDET = [f"K34{i:02d}" for i in range(1, 7)]


# --- the coefficients --------------------------------------------------------------------------
def _by_orders(values: np.ndarray, n: int) -> np.ndarray:
    """Shapley values of the game ``values[coalition bits]`` as the mean over all orders."""
    out = np.zeros(n)
    for order in itertools.permutations(range(n)):
        members = 0
        for p in order:
            out[p] += values[members | 1 << p] - values[members]
            members |= 1 << p
    return out / math.factorial(n)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), seed=st.integers(0, 2 ** 32 - 1), null=st.integers(0, 4))
def test_weights_are_shapley_values(n, seed, null):
    """Equal the mean marginal over all orders; sum to v(all) - v(none); a null player gets 0."""
    values = np.random.default_rng(seed).normal(size=1 << n)
    if null < n:  # player ``null`` adds nothing to any coalition
        for c in range(1 << n):
            values[c | 1 << null] = values[c & ~(1 << null)]
    got = values @ shapley_weights(n)
    np.testing.assert_allclose(got, _by_orders(values, n), atol=1e-12)
    assert got.sum() == pytest.approx(values[-1] - values[0], abs=1e-12)
    if null < n:
        assert abs(got[null]) < 1e-12
    assert np.abs(shapley_weights(n).sum(axis=0)).max() < 1e-12  # a constant is shared out as 0


# --- the lane kernel against the numpy reference -----------------------------------------------
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n_lanes=st.integers(1, 9), n_var=st.integers(1, 3),
       compact_years=st.booleans())
def test_lanes_equal_the_reference(seed, n_lanes, n_var, compact_years):
    """Each lane and variant, with the states it reads, is the reference projection of those inputs."""
    rng = np.random.default_rng(seed)
    n_t, n_r, n_g, n_s, n_a = 4, 3, 3, 2, 5
    src, dst = np.array([0, 1, 0]), np.array([1, 2, 2])

    def states(k, shape, low, high):
        arr = rng.uniform(low, high, (k,) + shape)
        return arr[:, :1].copy() if compact_years else arr

    stock0 = rng.uniform(0, 100, (n_r, n_g, n_s, n_a))
    mortality = rng.uniform(0, 0.01, (n_t, n_r, n_s, n_a))
    migration = rng.uniform(-0.05, 0.05, (n_t, n_r, n_s, n_a))
    cell = (n_r, n_g, n_s, n_a)
    exit_st = states(3, (n_t,) + cell, 0, 0.2)
    trans_st = states(2, (n_t, n_r, len(src), n_s, n_a), 0, 0.7)  # rates out of group 0 may sum past 1
    grad_st, imm_st = states(2, (n_t, n_r, n_g), 0, 20), states(3, (n_t, n_r, n_g), 0, 10)
    rec_st = states(2, (n_t,) + cell, 0, 3)
    gdist, idist = rng.dirichlet(np.ones(n_s * n_a), n_g).reshape(n_g, n_s, n_a), \
        rng.dirichlet(np.ones(n_s * n_a), n_g).reshape(n_g, n_s, n_a)
    part_st, share_st, fte_st = (states(k, (n_t + 1,) + cell, lo, 1.0) for k, lo in ((2, 0.6), (3, 0.5), (2, 0.3)))
    sick_st = states(2, (n_t + 1, n_r, n_g), 0, 0.1)
    ix = {f: rng.integers(0, k, n_lanes).astype(np.uint64) for f, k in
          (("ex", 3), ("tr", 2), ("gr", 2), ("im", 3), ("rc", 2))}
    per_v = rng.integers(0, [[2, 3, 2]], (n_var, 3))
    person_of = np.tile(np.arange(n_var), (n_g, 1))
    person_states = np.tile(per_v[None], (n_g, 1, 1))
    sick_of = rng.integers(0, 2, n_var)
    regions = np.array([2, 0], dtype=np.int64)
    out = np.empty((n_t + 1, len(regions), n_g, n_var, n_lanes))
    coalition_block(stock0, mortality, migration, exit_st, ix["ex"], src, dst, trans_st, ix["tr"], grad_st, ix["gr"],
                    gdist, imm_st, ix["im"], idist, rec_st, ix["rc"], part_st, share_st, fte_st, sick_st, person_of,
                    person_states, sick_of, regions, out)

    def full(st_, k, n_years):
        return np.broadcast_to(st_[k], (n_years,) + st_.shape[2:])

    for w in range(n_lanes):
        for v in range(n_var):
            kp, ks, kf = per_v[v]
            want = reference.project_supply(
                stock0, mortality, migration, full(exit_st, ix["ex"][w], n_t), src, dst, full(trans_st, ix["tr"][w], n_t),
                full(grad_st, ix["gr"][w], n_t), gdist, full(imm_st, ix["im"][w], n_t), idist,
                full(part_st, kp, n_t + 1), full(share_st, ks, n_t + 1), full(fte_st, kf, n_t + 1),
                full(sick_st, sick_of[v], n_t + 1), recruits=full(rec_st, ix["rc"][w], n_t))[2][..., FTE]
            np.testing.assert_allclose(out[:, :, :, v, w], want[:, regions], rtol=1e-11, atol=1e-9)


# --- the values against every subset of the measures ---------------------------------------------
@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset().subset(INNLANDET + ["K0301", "K5601", "K5602"])


def _m(mid, param, op, value, unit, groups, start=2025, **target):
    return {"id": mid, "parameter": param, op: {"value": value, "unit": unit},
            "path": {"start": start, "full": start + 2, "shape": "linear"}, "target": {"groups": groups, **target}}


#: Every kind of player: FTE variants (avg_fte set and multiply, sick leave), rates (exit, a
#: transition in one municipality), entrants (two measures on graduates, immigrants, recruits in
#: some regions, displaced from the others), a measure elsewhere (psychologists in Oslo) and demand.
MEASURES = [
    _m("fte_up", "avg_fte", "multiply", 1.05, "/1", ["nurse", "health_worker"]),
    _m("fte_set", "avg_fte", "set", 0.95, "FTE per person", ["nurse"], start=2026, ages=(55, 66)),
    _m("sick", "sick_leave", "multiply", 0.9, "/1", ["health_worker"]),
    _m("stay", "exit_rate", "multiply", 0.8, "/1", ["nurse"], ages=(55, 74)),
    {"id": "y_vei", "parameter": "transition_rate", "multiply": {"value": 1.5, "unit": "/1"},
     "path": {"start": 2025}, "target": {"transitions": ["health_worker>nurse"], "regions": ["K3401"]}},
    _m("grads", "graduates", "add", 200, "persons per year", ["nurse"]),
    _m("grads_x", "graduates", "multiply", 1.1, "/1", ["nurse"], start=2026),
    _m("imm", "immigrants", "add", 40, "persons per year", ["health_worker"]),
    _m("rec", "recruits", "add", 30, "persons per year", ["nurse"], regions=INNLANDET),
    _m("psy", "exit_rate", "multiply", 0.8, "/1", ["psychologist"], regions=["K0301"]),
    {"id": "tech", "parameter": "fte_per_user", "multiply": {"value": 0.97, "unit": "/1"},
     "path": {"start": 2026}, "target": {"services": ["nursing_home"]}},
]
SCN = hm.Scenario("players", measures=MEASURES)


def test_pieces_are_slices_of_the_whole_fields(ds):
    """A block's states computed on its piece alone (masked measures) are bitwise the slices of the
    whole field's states."""
    co = Coalitions(ds, SCN, END)
    blocks, _ = shapley.games(co, list(SCN.measure_ids))
    seen = 0
    for b in blocks:
        groups = tuple(int(g) for g in co.comps[b.comp])
        rows = None if b.rows is None else tuple(int(r) for r in b.rows)
        for players in (b.rates + b.entrants, b.variants):
            for code in range(1 << len(players)):
                for field in {shapley._field(co, i) for i in players}:
                    key = tuple((i, None) for j, i in enumerate(players) if code >> j & 1 and shapley._field(co, i) == field)
                    got = shapley._piece_state(co, field, key, groups, rows, shapley._check(co))
                    _, r_axis, g_axis = next(a for a in _SUPPLY_ARGS if a[0] == field)
                    picks = {g_axis: _columns(field, groups)}
                    if rows is not None:
                        picks[r_axis] = np.array(rows)
                    want = _take(co._state(co._group(field), key)[0][field], picks)  # of the whole field
                    assert got.shape == want.shape and np.array_equal(got, want), (field, key)
                    seen += 1
    assert seen > 30


def _equals_every_subset(att, ds, co, ids, outcome):
    """``att`` holds the Shapley sums over every subset of ``ids`` of the whole model (each subset
    bitwise a run from scratch: tests/test_coalitions.py) on ``outcome``, and adds up to its total."""
    weights = ds.catchment().weights if outcome == "shortage" else None

    def value(gap, supply):
        return (gap if weights is None else np.minimum(shortage_units(gap, weights), 0.0)), supply

    (cells, supply), base, full = _shapley(None, ids, "exact", 0, 0,
                                           lambda subsets: [value(*r) for r in co.evaluate_many(subsets)])
    np.testing.assert_allclose(att.contributions.values, cells, rtol=1e-9, atol=1e-8)
    np.testing.assert_allclose(att.supply.values, supply, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(att.contributions.sum("measure").values, full[0] - base[0], atol=1e-8)
    np.testing.assert_allclose(att.total.values, full[0] - base[0], atol=1e-8)


@pytest.mark.parametrize("outcome", ["gap", "shortage"])
def test_values_equal_those_of_every_subset(ds, outcome):
    """The small games' values equal the Shapley sums over all 2^11 subsets of the whole model
    (each subset bitwise a run from scratch: tests/test_coalitions.py), and add up to the total."""
    ids = list(SCN.measure_ids)
    co = Coalitions(ds, SCN, END)
    games = shapley.games(co, ids)
    kinds = {k: {SCN.measures[i].id for b in games[0] for i in getattr(b, k)} for k in ("rates", "entrants", "variants")}
    assert kinds == {"rates": {"stay", "y_vei", "psy"}, "entrants": {"grads", "grads_x", "imm", "rec"},
                     "variants": {"fte_up", "fte_set", "sick"}}
    assert [SCN.measures[i].id for i in games[1]] == ["tech"]
    assert shapley.largest(co, games, outcome) == (9 if outcome == "gap" else 10)  # care in K3401; care + demand
    ticks = []
    att = attribute(ds, SCN, end_year=END, method="auto", outcome=outcome, progress=lambda: ticks.append(1))
    assert att.method == "shapley (exact)" and len(ticks) == shapley.runs(co, games, outcome)
    _equals_every_subset(att, ds, co, ids, outcome)
    assert abs(float(att.contributions.sel(measure="psy").sum())) > 0.1  # every player moves something


def test_k2025_all_is_exact(ds):
    """All 17 measures of the library's k2025_all: exact values from games of at most 11 players."""
    scn = hm.Scenario.from_yaml("scenarios/k2025_all.yaml")
    active = [m.id for m in scn.measures if not m.is_neutral]
    co = Coalitions(ds, scn, END)
    method, games, _ = plan(co, active)
    assert len(active) == 17 and method == "exact" and shapley.largest(co, games) == 11
    assert plan(co, active, outcome="shortage")[0] == "sampled"  # 11 in care and 2 on demand: 13 players


@settings(max_examples=25, deadline=None)
@given(picks=st.lists(st.sampled_from(range(len(MEASURES))), min_size=1, max_size=5, unique=True),
       scale=st.floats(0.5, 1.5), outcome=st.sampled_from(["gap", "shortage"]))
def test_any_set_of_measures_is_exact(ds, picks, scale, outcome):
    """Any few of the measures, their changes scaled: the small games' values are the Shapley sums
    over every subset (efficiency, null players and all), on the gap and on the shortage."""
    measures = []
    for i in sorted(picks):
        m = dict(MEASURES[i])
        op = next(k for k in ("multiply", "add", "set") if k in m)
        value = m[op]["value"]
        m[op] = dict(m[op], value=1.0 + (value - 1.0) * scale if op == "multiply" else value * scale
                     if op == "add" else value)
        measures.append(m)
    scn = hm.Scenario("some", measures=measures)
    ids = list(scn.measure_ids)
    co = Coalitions(ds, scn, END)
    att = attribute(ds, scn, end_year=END, method="exact", outcome=outcome)
    assert plan(co, ids, "exact", outcome=outcome)[1] is not None  # from the small games
    _equals_every_subset(att, ds, co, ids, outcome)
