"""Attribution adds up, cost per FTE follows from it, and the intake solver hits known answers."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import helsemod_py as hm
from helsemod_py import dims as D
from helsemod_py import economics as E
from helsemod_py import shapley
from helsemod_py.analysis import attribute, plan, required_intake
from helsemod_py.coalitions import Coalitions
from helsemod_py.evidence import effect_bounds, effect_distribution, effect_draws
from helsemod_py.data.dataset import Dataset
from helsemod_py.data.schema import PARAMETERS, shape


@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset().subset([f"K34{i:02d}" for i in range(1, 7)] + ["K0301", "K5601", "K5602"])


def _measure(mid, param, op, value, unit, groups, start=2025, cost=None, **target):
    m = {"id": mid, "parameter": param, op: {"value": value, "unit": unit}, "path": {"start": start},
         "target": {"groups": groups, **target}}
    if cost is not None:
        m["cost"] = {"value": cost, "unit": "MNOK per year"}
    return m


SCN = hm.Scenario("mix", measures=[
    _measure("torn", "avg_fte", "multiply", 1.06, "/1", ["nurse", "health_worker"], cost=40),
    _measure("sick", "sick_leave", "multiply", 0.9, "/1", ["nurse", "health_worker"], cost=10),
    _measure("stay", "exit_rate", "multiply", 0.8, "/1", ["nurse"], ages=(55, 74)),
    _measure("grads", "graduates", "add", 300, "persons per year", ["nurse"], cost=25),
])


def test_parts_sum_to_whole_exact_and_sampled(ds):
    for method in ("exact", "sampled"):
        a = attribute(ds, SCN, end_year=2032, method=method, samples=5)
        assert np.allclose(a.contributions.sum("measure"), a.total, atol=1e-8)
        full = hm.project(ds, SCN, end_year=2032).gap - hm.project(ds, SCN.without_measures(), end_year=2032).gap
        assert np.allclose(a.total.values, full.values, atol=1e-8)
        wf = a.waterfall(2032)
        assert wf.loc[wf.measure != "total", "gap_change_fte"].sum() == pytest.approx(
            float(wf.loc[wf.measure == "total", "gap_change_fte"].iloc[0]), abs=1e-6)


def test_exact_shapley_of_additive_measures_is_their_own_effect(ds):
    """Measures acting on different groups do not interact: each gets exactly its solo effect."""
    scn = hm.Scenario("additive", measures=[
        _measure("a", "sick_leave", "multiply", 0.8, "/1", ["physiotherapist"]),
        _measure("b", "avg_fte", "multiply", 1.1, "/1", ["psychologist"]),
    ])
    a = attribute(ds, scn, end_year=2030)
    base = hm.project(ds, end_year=2030).gap
    for mid in ("a", "b"):
        solo = hm.project(ds, scn.only([mid]), end_year=2030).gap - base
        assert np.allclose(a.contributions.sel(measure=mid).values, solo.values, atol=1e-8)


def test_interaction_is_shared_evenly(ds):
    """Two multiplicative measures on the same stock interact; Shapley splits the cross term."""
    scn = hm.Scenario("pair", measures=[
        _measure("x", "avg_fte", "multiply", 1.1, "/1", ["nurse"]),
        _measure("y", "sick_leave", "multiply", 0.5, "/1", ["nurse"]),
    ])
    a = attribute(ds, scn, end_year=2027)
    g = lambda s: hm.project(ds, s, end_year=2027).gap.sel(group="nurse").values  # noqa: E731
    v0, vx, vy, vxy = g(scn.only([])), g(scn.only(["x"])), g(scn.only(["y"])), g(scn)
    assert np.allclose(a.contributions.sel(measure="x", group="nurse").values,
                       0.5 * (vx - v0) + 0.5 * (vxy - vy), atol=1e-8)


def test_costs_are_national_only(ds):
    a = attribute(ds, SCN, end_year=2028)
    county = a.waterfall(2028, level="county")
    for col in ("cost_programme_nok", "cost_total_nok", "nok_per_fte_programme", "nok_per_fte_total"):
        assert county[col].isna().all(), col
    assert county.gap_change_fte.notna().all()
    nation = a.waterfall(2028).set_index("measure")
    assert nation.loc["torn", "cost_programme_nok"] == pytest.approx(40e6)
    assert nation.loc["torn", "cost_total_nok"] > nation.loc["torn", "cost_programme_nok"]


def test_cost_effectiveness_on_both_bases(ds):
    a = attribute(ds, SCN, end_year=2030)
    ce = a.cost_effectiveness(2030).set_index("measure")
    gained = float(a.contributions.sel(measure="torn", year=2030).sum())
    assert ce.loc["torn", "fte_gained"] == pytest.approx(gained)
    assert ce.loc["torn", "nok_per_fte_programme"] == pytest.approx(40e6 / gained)
    assert np.isnan(ce.loc["stay", "nok_per_fte_programme"])  # no cost given ...
    assert ce.loc["stay", "nok_per_fte_total"] > 5e5  # ... but the nurses it keeps are paid
    assert ce.loc["total", "cost_programme_nok"] == pytest.approx(75e6)
    years = np.arange(2024, 2031)
    assert ce.loc["grads", "cost_programme_nok_cumulative"] == pytest.approx(25e6 * (years >= 2025).sum())
    # wages and employer's costs: the supply each measure adds, priced per group (economics.yaml)
    supply = a.supply.sel(measure="torn", year=2030).values
    assert ce.loc["torn", "cost_wages_nok"] == pytest.approx(float(supply @ E.cost_per_fte()))
    assert ce.loc["sick", "cost_wages_nok"] == 0.0  # lower sick leave: the absent staff were paid anyway
    for m in ("torn", "sick", "stay", "grads", "total"):
        row = ce.loc[m]
        assert row.cost_total_nok == pytest.approx(row.cost_programme_nok + row.cost_wages_nok + row.cost_other_nok)
    nurse = E.cost_per_fte()[D.GROUPS.index("nurse")]
    assert 0.9 * nurse < ce.loc["stay", "nok_per_fte_total"] < 1.1 * nurse  # kept nurses cost a nurse's pay
    assert ce.loc["total", "nok_per_fte_year_total"] > ce.loc["total", "nok_per_fte_year_programme"]


def test_wage_facts_cover_every_group_with_a_source():
    table = E.wage_table()
    assert list(table.group) == list(D.GROUPS)
    assert (table.wage_nok > 4e5).all() and (table.wage_nok < 1.5e6).all()
    assert all(len(r) > 10 for r in table.reference)
    assert E.employer_factor() == pytest.approx(1.10 * 1.141)  # pension 10 %, social security 14.1 %
    assert table.set_index("group").loc["nurse", "wage_nok"] == 661000  # KS 1.12.2023


def test_continued_measure_adds_and_costs_nothing_and_is_not_run(ds):
    cont = _measure("menn", "recruits", "add", 0, "persons per year", ["health_worker"], cost=0)
    cont.update(status="continued", recruited_from={"source": "outside_workforce"},
                in_baseline={"value": 250, "unit": "persons per year", "reference": "test: in the base period",
                             "cost": {"value": 46, "unit": "MNOK per year"}})
    scn = hm.Scenario("cont", measures=[SCN.measures[0], cont])
    runs = []
    a = attribute(ds, scn, end_year=2028, progress=lambda: runs.append(1))
    games = shapley.games(Coalitions(ds, scn, 2028), [scn.measures[0].id])
    assert len(runs) == plan(Coalitions(ds, scn, 2028), [scn.measures[0].id])[2]
    assert {i for b in games[0] for i in b.players} | set(games[1]) == {0}  # only the active measure plays
    assert float(abs(a.contributions.sel(measure="menn")).sum()) == 0.0
    ce = a.cost_effectiveness(2028).set_index("measure")
    assert ce.loc["menn", "cost_total_nok"] == 0.0 and ce.loc["menn", "status"] == "continued"
    check = E.budget_check(scn).set_index("chapter")
    assert check.loc["unassigned", "in_baseline_mnok"] == 46.0  # shown in the budget check, not as a cost
    with pytest.raises(hm.ScenarioError, match="adds nothing"):
        hm.Scenario("bad", measures=[dict(cont, add={"value": 250, "unit": "persons per year"})])


def test_displaced_recruits_gain_locally_not_nationally(ds):
    # the six Innlandet municipalities of the subset by code: the measure is theirs whole (naming
    # county 34 would give the subset only its share of Innlandet's recruits, a closed region)
    base = _measure("rec", "recruits", "add", 50, "persons per year", ["nurse"],
                    regions=[f"K34{i:02d}" for i in range(1, 7)])
    out = {}
    for source in ("other_regions", "abroad"):
        scn = hm.Scenario(source, measures=[dict(base, recruited_from={"source": source})])
        ce = attribute(ds, scn, end_year=2030).cost_effectiveness(2030).set_index("measure")
        out[source] = ce.loc["rec"]
    assert out["abroad"].local_fte_gained == pytest.approx(out["abroad"].fte_gained)
    assert out["abroad"].fte_gained > 100
    local, national = out["other_regions"].local_fte_gained, out["other_regions"].fte_gained
    assert local == pytest.approx(out["abroad"].local_fte_gained, rel=0.05)  # Innlandet gains as much ...
    assert abs(national) < 0.02 * local  # ... but the nation only what migration and exits change
    assert abs(out["other_regions"].cost_wages_nok) < 0.02 * out["abroad"].cost_wages_nok


def test_shortage_outcome_counts_task_shifting(ds):
    shift = {"id": "shift", "parameter": "task_shift", "path": {"start": 2025},
             "shift": {"value": 0.03, "unit": "/1", "to_group": "aks"},
             "target": {"groups": ["physician", "gp"], "services": ["nursing_home", "gp_emergency"]}}
    scn = hm.Scenario("shift", measures=[shift, SCN.measures[0]])
    gap = attribute(ds, scn, end_year=2030)
    assert float(gap.contributions.sel(measure="shift").sum("group").sum()) == pytest.approx(0.0, abs=1e-6)
    short = attribute(ds, scn, end_year=2030, outcome="shortage")
    assert np.allclose(short.contributions.sum("measure"), short.total, atol=1e-8)
    gain = short.contributions.sel(measure="shift", year=2030).sum()
    assert float(gain) > 5.0  # physicians and GPs are short, AKS have spare staff
    too_much = hm.Scenario("x", measures=[dict(shift, shift={"value": 0.2, "unit": "/1", "to_group": "aks"})])
    over = attribute(ds, too_much, end_year=2030, outcome="shortage").total.sel(year=2030).sum()
    assert float(over) < 0  # shifting more than the AKS surplus makes AKS short: it counts against
    b, p = hm.project(ds, end_year=2030), hm.project(ds, scn, end_year=2030)
    reduction = float((b.shortage() - p.shortage()).sel(year=2030).sum())
    assert float(short.total.sel(year=2030).sum()) == pytest.approx(reduction, rel=1e-9)
    assert short.cost_effectiveness(2030).outcome.eq("shortage").all()
    with pytest.raises(hm.HelsemodError, match="outcome 'surplus': allowed gap, shortage"):
        attribute(ds, scn, end_year=2030, outcome="surplus")


def test_effect_bounds_follow_the_range_and_draws_stay_inside(ds):
    ranged = [dict(_measure("torn", "avg_fte", "multiply", 1.03, "/1", ["nurse"], cost=10)),
              dict(_measure("sick", "sick_leave", "multiply", 0.95, "/1", ["nurse"]))]
    ranged[0]["multiply"]["range"] = [1.0, 1.06]
    ranged[1]["multiply"]["range"] = [0.9, 1.0]
    scn = hm.Scenario("ranged", measures=ranged)
    b = effect_bounds(ds, scn, 2030, end_year=2030).set_index("measure")
    assert b.loc["torn", "fte_low"] == pytest.approx(0.0, abs=1e-9)  # the low end is "no effect"
    assert b.loc["sick", "fte_high"] == pytest.approx(0.0, abs=1e-9)
    assert b.loc["torn", "fte_high"] > 1.9 * b.loc["torn", "fte_gained"] > 0
    draws = effect_draws(ds, scn, draws=12, seed=3, end_year=2030)
    assert draws.equals(effect_draws(ds, scn, draws=12, seed=3, end_year=2030))  # seeded
    q = draws[draws.year == 2030].set_index("quantile").value
    most = float(b.loc["torn", "fte_high"] + b.loc["sick", "fte_low"]) * 1.01
    assert 0 < q[0.05] < q[0.5] < q[0.95] < most
    assert effect_distribution(scn.measures[0]).mode == 1.03


def _simple_dataset(gap_fte: float) -> Dataset:
    """Two regions in one county; no deaths, exits, migration or transitions; one FTE per person."""
    regions = D.Regions(("0101", "0102"), ("A", "B"), ("01", "01"), {"01": "County"})
    codes = regions.codes
    arrays = {name: np.zeros(shape(spec, codes)) for name, spec in PARAMETERS.items()}
    arrays["population"][:] = 100.0
    arrays["stock"][:, :, :, :10] = 10.0  # ages 16-25 only: nobody ages out within 30 years
    for name in ("participation", "share_in_health_care", "avg_fte"):
        arrays[name][:] = 1.0
    arrays["sector_share"][:, D.SECTORS.index("care")] = 1.0  # everyone works in municipal care
    dist = np.zeros((2, len(D.WORK_AGES)))
    dist[1, 4] = 1.0  # graduates are women aged 20
    arrays["graduate_age_dist"][:] = dist
    arrays["immigrant_age_dist"][:] = dist
    arrays["graduate_region_share"][:] = 0.5
    arrays["immigrant_region_share"][:] = 0.5
    arrays["user_rate"][:] = 0.1
    supply = arrays["stock"].sum(axis=(2, 3))  # FTE per region and group
    arrays["base_demand_fte"][:, 0, :] = supply  # all demand in one service, balanced ...
    arrays["base_demand_fte"][:, 0, D.GROUPS.index("nurse")] += gap_fte / 2  # ... but for nurses
    return Dataset(regions, 2024, arrays, {"sex_ratio_at_birth": 1.05, "workforce_migration_factor": 1.0,
                                           "workforce_local_migration_factor": 1.0}).validate()


@settings(max_examples=10, deadline=None)
@given(shortage=st.floats(10, 5000), start=st.integers(2024, 2030), target=st.integers(2031, 2040))
def test_required_intake_known_answer(shortage, start, target):
    """Constant demand, no outflows: x entrants a year from ``start`` add x*(target-start) FTE."""
    ds = _simple_dataset(shortage)
    res = required_intake(ds, "nurse", target_year=target, start_year=start)
    row = res.table.iloc[0]
    assert row.gap_before_fte == pytest.approx(-shortage)
    assert row.extra_per_year == pytest.approx(shortage / (target - start), rel=1e-6)
    assert row.gap_after_fte == pytest.approx(0.0, abs=1e-4)


def test_required_intake_per_region_and_no_shortage():
    ds = _simple_dataset(400.0)
    res = required_intake(ds, "nurse", target_year=2034, start_year=2024, level="municipality")
    # each municipality has half the shortage but receives only its own intake
    assert list(res.table.extra_per_year.round(6)) == pytest.approx([20.0, 20.0])
    res = required_intake(ds, "physician", target_year=2034)  # physicians have no shortage here
    assert res.table.extra_per_year.iloc[0] == 0.0
    with pytest.raises(hm.HelsemodError, match="start year"):
        required_intake(ds, "nurse", target_year=2030, start_year=2031)


def test_no_cost_per_fte_for_a_gain_within_noise():
    """A measure that gains (almost) nothing nationally gets no NOK per FTE, not a huge number."""
    from helsemod_py.analysis import MIN_FTE_FOR_RATIO, _ratio

    assert np.isnan(_ratio(15e6, 0.05))  # 300 million NOK per FTE would mislead
    assert np.isnan(_ratio(15e6, -3.0)) and np.isnan(_ratio(0.0, 10.0))
    assert _ratio(15e6, MIN_FTE_FOR_RATIO) == 15e6 and _ratio(15e6, 30.0) == pytest.approx(5e5)
