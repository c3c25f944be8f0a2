"""Attribution adds up, cost per FTE follows from it, and the intake solver hits known answers."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import helsemod_py as hm
from helsemod_py import dims as D
from helsemod_py.analysis import attribute, required_intake
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
    assert county.cost_nok.isna().all() and county.nok_per_fte.isna().all()
    assert county.gap_change_fte.notna().all()
    nation = a.waterfall(2028)
    assert nation.set_index("measure").loc["torn", "cost_nok"] == pytest.approx(40e6)


def test_cost_effectiveness(ds):
    a = attribute(ds, SCN, end_year=2030)
    ce = a.cost_effectiveness(2030).set_index("measure")
    gained = float(a.contributions.sel(measure="torn", year=2030).sum())
    assert ce.loc["torn", "fte_gained"] == pytest.approx(gained)
    assert ce.loc["torn", "nok_per_fte"] == pytest.approx(40e6 / gained)
    assert np.isnan(ce.loc["stay", "nok_per_fte"])  # no cost given
    assert ce.loc["total", "cost_nok"] == pytest.approx(75e6)
    years = np.arange(2024, 2031)
    assert ce.loc["grads", "cost_nok_cumulative"] == pytest.approx(25e6 * (years >= 2025).sum())


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
