"""The fast coalition path of attribution gives what switching measures on from scratch gives (issue 16).

Reference: each subset as ``Scenario.only(subset)`` applied to freshly built inputs and every kernel
run (:func:`helsemod_py.coalitions.evaluate`), with the Shapley sums written out plainly.
"""

import itertools
import math

import numpy as np
import pytest

import helsemod_py as hm
from helsemod_py.analysis import attribute, evaluations, plan
from helsemod_py.coalitions import Coalitions, evaluate
from helsemod_py.evidence import bounds_runs, effect_bounds, outcome_path
from helsemod_py.results import shortage_units

END = 2030
INNLANDET = [f"K34{i:02d}" for i in range(1, 7)]


@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset().subset(INNLANDET + ["K0301", "K5601", "K5602"])


def _m(mid, param, op, value, unit, groups, start=2025, **target):
    m = {"id": mid, "parameter": param, op: {"value": value, "unit": unit}, "target": {"groups": groups, **target}}
    if param != "vacancies":
        m["path"] = {"start": start, "full": start + 2, "shape": "linear"}
    return m


#: Several operations on overlapping levers and cells: set, multiply and add of avg_fte (set goes
#: first, whatever the order), a task shift and a staff-mix factor on the same field, vacancies
#: that the shift reads, national flows added and multiplied, recruits displaced from other regions.
MEASURES = [
    _m("fte_up", "avg_fte", "multiply", 1.05, "/1", ["nurse", "health_worker"]),
    _m("fte_set", "avg_fte", "set", 0.95, "FTE per person", ["nurse"], start=2026, ages=(55, 66)),
    _m("fte_add", "avg_fte", "add", 0.02, "FTE per person", ["nurse"], start=2027),
    {"id": "shift", "parameter": "task_shift", "path": {"start": 2025},
     "shift": {"value": 0.03, "unit": "/1", "to_group": "aks"},
     "target": {"groups": ["physician", "gp"], "services": ["nursing_home", "gp_emergency"]}},
    _m("mix", "staff_mix", "multiply", 1.1, "/1", ["aks", "physician"], services=["nursing_home"]),
    _m("vac", "vacancies", "add", 20, "FTE", ["physician"]),
    _m("stay", "exit_rate", "multiply", 0.8, "/1", ["nurse"], ages=(55, 74)),
    _m("grads", "graduates", "add", 200, "persons per year", ["nurse"]),
    _m("grads_x", "graduates", "multiply", 1.1, "/1", ["nurse"], start=2026),
    _m("rec", "recruits", "add", 30, "persons per year", ["nurse"], regions=INNLANDET),
    {"id": "tech", "parameter": "fte_per_user", "multiply": {"value": 0.97, "unit": "/1"},
     "path": {"start": 2026}, "target": {"services": ["nursing_home"]}},
]
SCN = hm.Scenario("mixed", measures=MEASURES)
EXACT_IDS = ["fte_up", "fte_set", "fte_add", "shift", "mix", "vac"]


def _reference(ds, scn, method, samples=24, seed=0, outcome="gap"):
    """Shapley values ``(gap cells, national supply)`` per measure, each subset from scratch."""
    weights = ds.catchment().weights if outcome == "shortage" else None

    def value(sub):
        gap, supply = evaluate(ds, scn.only(sub), END)
        return (gap if weights is None else np.minimum(shortage_units(gap, weights), 0.0)), supply

    ids = list(scn.measure_ids)
    n = len(ids)
    base = value(())
    shap = [np.zeros((n,) + a.shape) for a in base]
    if method == "exact":
        for i, mid in enumerate(ids):
            others = [x for x in ids if x != mid]
            for k in range(n):
                wgt = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                for sub in itertools.combinations(others, k):
                    for s, a, b in zip(shap, value((*sub, mid)), value(sub)):
                        s[i] += wgt * (a - b)
        return shap
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        order = [ids[j] for j in rng.permutation(n)]
        prev = base
        for j, mid in enumerate(order):
            cur = value(order[:j + 1])
            for s, a, b in zip(shap, cur, prev):
                s[ids.index(mid)] += a - b
            prev = cur
    return [s / samples for s in shap]


def _close(a, b):
    assert np.allclose(a, b, rtol=1e-9, atol=1e-9), float(np.abs(np.asarray(a) - np.asarray(b)).max())


def test_subsets_equal_those_from_scratch(ds):
    """Any subset, in any order of evaluation (states derived and kept, or recomputed), with values
    replaced, on one thread or several: the arrays of Scenario.only(subset) from scratch."""
    fast = Coalitions(ds, SCN, END)
    assert fast.fast
    rng = np.random.default_rng(3)
    ids = list(SCN.measure_ids)
    subsets = [()] + [[ids[j] for j in rng.permutation(len(ids))[:rng.integers(1, len(ids) + 1)]] for _ in range(12)]
    subsets += [ids[:k] for k in range(len(ids) + 1)]
    for sub, got in zip(subsets, fast.evaluate_many(subsets, workers=2)):
        for a, b in zip(got, evaluate(ds, SCN.only(sub), END)):
            _close(a, b)
    small = Coalitions(ds, SCN, END, cache_bytes=1)  # keeps almost nothing: states recomputed
    for sub in subsets[:6]:
        for a, b, c in zip(small.evaluate(sub), fast.evaluate(sub), evaluate(ds, SCN.only(sub), END)):
            _close(a, c)
            _close(b, c)
    for mid, x in (("fte_set", 0.9), ("grads", 50.0), ("shift", 0.01)):
        for a, b in zip(fast.evaluate([mid, "fte_up"], {mid: x}),
                        evaluate(ds, SCN.only([mid, "fte_up"]).with_values({mid: x}), END)):
            _close(a, b)


@pytest.mark.parametrize("outcome", ["gap", "shortage"])
def test_exact_attribution_equals_reference(ds, outcome):
    scn = SCN.only(EXACT_IDS)
    ticks = []
    att = attribute(ds, scn, end_year=END, method="exact", outcome=outcome, progress=lambda: ticks.append(1))
    method, games, steps = plan(Coalitions(ds, scn, END), EXACT_IDS, "exact", outcome=outcome)
    assert games is not None and len(ticks) == steps  # from the small games of helsemod_py.shapley
    cells, supply = _reference(ds, scn, "exact", outcome=outcome)
    _close(att.contributions.values, cells)
    _close(att.supply.values, supply)


def test_sampled_attribution_equals_reference(ds):
    ticks = []
    att = attribute(ds, SCN, end_year=END, method="sampled", samples=3, seed=5, progress=lambda: ticks.append(1))
    assert len(ticks) == evaluations(len(MEASURES), "sampled", 3)
    cells, supply = _reference(ds, SCN, "sampled", samples=3, seed=5)
    _close(att.contributions.values, cells)
    _close(att.supply.values, supply)
    full = evaluate(ds, SCN, END)[0] - evaluate(ds, SCN.without_measures(), END)[0]
    _close(att.total.values, full)


@pytest.mark.parametrize("shared", [False, True])
def test_effect_bounds_equal_runs_from_scratch(ds, shared):
    """With its own coalitions, or those of the attribution (as ``compare`` does)."""
    scn = hm.Scenario("ranged", measures=[
        dict(MEASURES[0], multiply={"value": 1.05, "unit": "/1", "range": [1.0, 1.08]}),
        dict(MEASURES[7], add={"value": 200, "unit": "persons per year", "range": [100, 300]}),
    ])
    coalitions = Coalitions(ds, scn, END) if shared else None
    att = attribute(ds, scn, end_year=END, coalitions=coalitions)
    ticks = []
    got = effect_bounds(ds, scn, END, attribution=att, end_year=END, coalitions=coalitions,
                        progress=lambda: ticks.append(1)).set_index("measure")
    assert len(ticks) == bounds_runs(scn)
    t = END - ds.base_year
    base = outcome_path(ds, scn.without_measures(), END)[t]
    for m in scn.measures:
        fte = float(att.contributions.sel(measure=m.id, year=END).sum())
        at_value = outcome_path(ds, scn.only([m.id]), END)[t] - base
        for end, col in zip(m.change.range, ("fte_low", "fte_high")):
            alone = outcome_path(ds, scn.only([m.id]).with_values({m.id: end}), END)[t] - base
            want = 0.0 if end == (1.0 if m.operation == "multiply" else 0.0) else fte * alone / at_value
            assert got.loc[m.id, col] == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_a_measure_at_its_own_value_is_the_measure(ds):
    """``with_values`` at a measure's own value changes nothing: the same states and results; coalitions
    of another scenario are refused."""
    fast = Coalitions(ds, SCN, END)
    assert fast._keys(["grads", "fte_up"], {"grads": 200, "fte_up": 1.05}) == fast._keys(["grads", "fte_up"], None)
    assert fast._keys(["grads"], {"grads": 100}) != fast._keys(["grads"], None)
    with pytest.raises(hm.HelsemodError, match="coalitions of another"):
        attribute(ds, SCN.only(EXACT_IDS), end_year=END, coalitions=fast)


def test_a_subset_out_of_range_is_refused_as_from_scratch(ds):
    """Two raises of avg_fte that are fine alone but not together: the usual message."""
    scn = hm.Scenario("too much", measures=[_m("a", "avg_fte", "multiply", 1.4, "/1", ["nurse"]),
                                           _m("b", "avg_fte", "multiply", 1.4, "/1", ["nurse"])])
    with pytest.raises(hm.ScenarioError) as want:
        hm.project(ds, scn, end_year=END)
    with pytest.raises(hm.ScenarioError) as got:
        attribute(ds, scn, end_year=END)
    assert str(got.value) == str(want.value)


# --- supply in blocks (components of groups, classes of regions) ------------------------------------
#: Measures that reach one component each, some only in some regions: psychologists in Oslo, GPs in
#: Innlandet (retention, and recruits displaced from every other region), a transition in one
#: municipality (couples the care groups), nurses' positions everywhere.
BLOCKS = [
    _m("psy_stay", "exit_rate", "multiply", 0.8, "/1", ["psychologist"], regions=["K0301"]),
    _m("gp_stay", "exit_rate", "multiply", 0.9, "/1", ["gp"], regions=["34"]),
    _m("gp_rec", "recruits", "add", 5, "persons per year", ["gp"], regions=["K5601"]),
    {"id": "y_vei", "parameter": "transition_rate", "multiply": {"value": 1.5, "unit": "/1"},
     "path": {"start": 2025}, "target": {"transitions": ["health_worker>nurse"], "regions": ["K3401"]}},
    _m("fte_nurse", "avg_fte", "multiply", 1.02, "/1", ["nurse"]),
]
BLOCKS_SCN = hm.Scenario("blocks", measures=BLOCKS)


def _same(got, want):
    for a, b in zip(got, want):
        assert np.array_equal(a, b), float(np.abs(a - b).max())


def test_components_are_the_groups_transitions_couple():
    from helsemod_py import dims as D
    from helsemod_py.coalitions import components

    named = [[D.GROUPS[g] for g in c] for c in components()]
    assert sorted(g for c in named for g in c) == sorted(D.GROUPS)
    assert ["physician", "gp"] in named
    care = next(c for c in named if "nurse" in c)
    assert set(care) == {"unskilled", "health_worker", "nurse", "specialist_nurse", "aks", "public_health_nurse",
                         "midwife"}
    assert all(len(c) == 1 for c in named if c is not care and "gp" not in c)


def test_every_subset_of_block_measures_is_bitwise_a_full_run(ds):
    """Supply put together from blocks run on some groups and regions: the very numbers of a full run
    from scratch, for every subset (in an order where each adds to one computed before)."""
    ids = list(BLOCKS_SCN.measure_ids)
    subsets = [sub for k in range(len(ids) + 1) for sub in itertools.combinations(ids, k)]
    fast = Coalitions(ds, BLOCKS_SCN, END)
    for sub, got in zip(subsets, fast.evaluate_many(subsets, workers=2)):
        _same(got, evaluate(ds, BLOCKS_SCN.only(sub), END))


def test_a_measure_runs_the_kernel_on_the_blocks_it_reaches(ds, monkeypatch):
    """After the baseline (one whole run), a measure runs only its component in its regions; a
    measure on a transition runs every group that transitions couple to it."""
    import helsemod_py.coalitions as C
    from helsemod_py import dims as D

    runs = []
    real = C._run_blocks

    def spy(args, groups):
        runs.append(([D.GROUPS[g] for g in groups], args["stock0"].shape[0]))
        return real(args, groups)

    monkeypatch.setattr(C, "_run_blocks", spy)
    fast = Coalitions(ds, BLOCKS_SCN, END)
    regions = list(ds.regions.codes)
    _same(fast.evaluate(()), evaluate(ds, BLOCKS_SCN.only(()), END))
    assert runs == []  # the baseline: one whole run
    for sub, groups, n_regions in ((("psy_stay",), ["psychologist"], 1),
                                   (("psy_stay", "gp_stay"), ["physician", "gp"], 6),
                                   (("psy_stay", "gp_stay", "gp_rec"), ["physician", "gp"], len(regions)),
                                   (("y_vei",), None, 1),
                                   (("y_vei", "fte_nurse"), None, len(regions))):
        runs.clear()
        _same(fast.evaluate(sub), evaluate(ds, BLOCKS_SCN.only(sub), END))
        assert len(runs) == 1, runs
        if groups is None:  # the care groups, coupled by transitions
            assert len(runs[0][0]) == 7 and "health_worker" in runs[0][0] and "midwife" in runs[0][0]
        else:
            assert runs[0][0] == groups
        assert runs[0][1] == n_regions


def test_a_subset_out_of_range_only_in_a_block_runs_from_scratch(ds):
    """The range is checked on the states of the measures that reach each component: ``a`` alone
    takes psychologists' positions out of range and is refused; with ``b`` they are back in range,
    but the care component's state (``a`` only, ``b`` does not reach it) is not: that subset runs the
    ordinary way, with the same numbers."""
    scn = hm.Scenario("ranges", measures=[_m("a", "avg_fte", "multiply", 1.35, "/1", ["nurse", "psychologist"]),
                                          _m("b", "avg_fte", "multiply", 0.8, "/1", ["psychologist"])])
    fast = Coalitions(ds, scn, END)
    with pytest.raises(hm.ScenarioError):
        fast.evaluate(["a"])
    _same(fast.evaluate(["a", "b"]), evaluate(ds, scn.only(["a", "b"]), END))
    _same(fast.evaluate(["b"]), evaluate(ds, scn.only(["b"]), END))
