"""Demand trends: coverage-trend paths (none, damped, constant), healthier ageing against the
mortality path, the staff-mix trend, and how scenarios and the dataset carry them."""

from __future__ import annotations

import numpy as np
import pytest

import helsemod_py as hm
from helsemod_py import dims as D
from helsemod_py import trends as TR
from helsemod_py.data.dataset import Dataset
from helsemod_py.data.demography import gompertz_q, life_expectancy
from helsemod_py.errors import DatasetError, ScenarioError
from helsemod_py.model import build_inputs, run_kernels

from helpers import make_dataset

A = len(D.AGES)


# --- paths ---------------------------------------------------------------------------------
def test_trend_paths():
    np.testing.assert_array_equal(TR.trend_path(5, "none"), np.zeros(5))
    np.testing.assert_array_equal(TR.trend_path(5, "constant"), np.arange(5.0))
    np.testing.assert_allclose(TR.trend_path(4, "damped", 0.5), [0.0, 0.5, 0.75, 0.875])
    np.testing.assert_allclose(TR.trend_path(6, "damped", 1.0), TR.trend_path(6, "constant"))
    np.testing.assert_allclose(TR.trend_path(6, "damped", 0.0), TR.trend_path(6, "none"))
    phi = TR.COVERAGE_DAMPING
    assert TR.trend_path(200, "damped")[-1] == pytest.approx(phi / (1 - phi))  # the total change is bounded
    horizon = TR.trend_path(27, "damped")
    assert np.all(np.diff(horizon) > 0) and np.all(np.diff(horizon, 2) < 0)  # the yearly change shrinks
    with pytest.raises(ValueError, match="allowed: none, damped, constant"):
        TR.trend_path(3, "linear")
    with pytest.raises(ValueError, match="outside 0 to 1"):
        TR.trend_path(3, "damped", 1.5)


def test_coverage_user_rate_multiplies_by_the_trend_and_caps_at_one():
    rng = np.random.default_rng(0)
    rate = rng.uniform(0.0, 0.9, size=(3, len(D.SERVICES), 2, A))
    trend = rng.uniform(-0.05, 0.05, size=(3, len(D.SERVICES), A))
    path = TR.trend_path(6, "constant")
    out = TR.coverage_user_rate(rate, trend, path)
    assert out.shape == (6,) + rate.shape
    np.testing.assert_array_equal(out[0], rate)
    want = np.minimum(rate[None] * np.exp(trend[None, :, :, None, :] * path[:, None, None, None, None]), 1.0)
    np.testing.assert_allclose(out, want, rtol=1e-14)
    assert out.max() <= 1.0 and (out == 1.0).any()  # some cells reach the cap
    # both sexes move alike where uncapped; no trend or no path: a view of the base-year rates
    free = (out < 1.0).all(axis=3)
    ratio = out / rate[None]
    np.testing.assert_allclose(ratio[:, :, :, 0][free], ratio[:, :, :, 1][free])
    for view in (TR.coverage_user_rate(rate, np.zeros_like(trend), path),
                 TR.coverage_user_rate(rate, trend, TR.trend_path(6, "none"))):
        assert np.shares_memory(view, rate) and view.strides[0] == 0


# --- healthier ageing ----------------------------------------------------------------------
def test_remaining_life_expectancy_matches_the_life_table():
    q = gompertz_q(3e-5)
    assert TR.remaining_life_expectancy(q, 0) == pytest.approx(life_expectancy(q))
    e67 = TR.remaining_life_expectancy(np.stack([q, q * 0.8]), 67)
    assert 10 < e67[0] < 25 and e67[1] > e67[0]


def test_life_expectancy_gain_follows_the_mortality_path():
    q = np.broadcast_to(gompertz_q(3e-5), (2, 2, A))
    held = np.broadcast_to(q, (4,) + q.shape)
    assert not TR.life_expectancy_gain(held, 5).any()
    falling = np.stack([q * 0.98 ** t for t in range(4)])
    gain = TR.life_expectancy_gain(falling, 5)
    assert gain.shape == (5, 2, 2) and gain[0].max() == 0.0
    assert np.all(np.diff(gain[:, 0, 0]) >= 0) and gain[3, 0, 0] > 0
    assert gain[4, 0, 0] == pytest.approx(gain[3, 0, 0])  # the last year takes the last step's table
    want = TR.remaining_life_expectancy(q[0, 0] * 0.98 ** 2, 67) - TR.remaining_life_expectancy(q[0, 0], 67)
    assert gain[2, 1, 1] == pytest.approx(want)


def test_healthier_ageing_shifts_the_profile_of_the_old():
    ages = D.AGES.astype(float)
    rate = np.broadcast_to(np.clip((ages / 110.0) ** 3, 0, 1), (2, len(D.SERVICES), 2, A)).copy()
    gain = np.zeros((3, 2, 2))
    gain[1] = 2.0  # whole years
    gain[2] = 1.5  # 0.75 years: between two ages
    out = TR.healthier_ageing_user_rate(rate, gain, share=0.5)
    old = D.AGES >= TR.HEALTHIER_AGEING_FROM_AGE
    np.testing.assert_array_equal(out[0], rate)
    np.testing.assert_array_equal(out[:, :, :, :, ~old], np.broadcast_to(rate[..., ~old], out[..., ~old].shape))
    a = np.flatnonzero(D.AGES == 85)[0]
    assert out[1, 0, 0, 0, a] == pytest.approx(rate[0, 0, 0, a - 1])  # 0.5 x 2 years = one year younger
    assert out[2, 0, 0, 0, a] == pytest.approx(0.75 * rate[0, 0, 0, a - 1] + 0.25 * rate[0, 0, 0, a])
    assert (out[1][..., old] <= rate[..., old] + 1e-15).all()  # rising profile: less use at each age
    none = TR.healthier_ageing_user_rate(rate, np.zeros((3, 2, 2)), 1.0)
    assert np.shares_memory(none, rate)


def test_staff_mix_trend_shifts_without_changing_the_service_total():
    rng = np.random.default_rng(2)
    base = rng.uniform(0, 10, size=(4, len(D.SERVICES), len(D.GROUPS)))
    rates = np.zeros(len(D.GROUPS))
    n, p = D.GROUPS.index("nurse"), D.GROUPS.index("physician")
    rates[n], rates[p] = 0.02, 0.01
    mix = TR.staff_mix_path(rates, base, 6)
    assert mix.shape == (6, 1, len(D.SERVICES), len(D.GROUPS))
    np.testing.assert_allclose(mix[0], 1.0)
    w = base.sum(axis=0) / base.sum(axis=(0, 2))[:, None]
    np.testing.assert_allclose((mix[:, 0] * w[None]).sum(axis=2), 1.0)  # FTE per user of each service kept
    u = D.GROUPS.index("unskilled")
    for g, rate in ((n, 1.02), (p, 1.01)):
        np.testing.assert_allclose(mix[:, 0, :, g] / mix[:, 0, :, u],
                                   np.broadcast_to((rate ** np.arange(6.0))[:, None], (6, len(D.SERVICES))))


# --- in the model and scenarios -------------------------------------------------------------
def _with_trend(seed: int = 0, value: float = -0.03) -> Dataset:
    ds = make_dataset(4, 2, seed=seed)
    trend = np.zeros(ds["coverage_trend"].shape)
    scale = 1.0 + 0.1 * np.arange(len(ds.regions))[:, None]  # differs by region
    trend[:, D.SERVICES.index("nursing_home"), D.AGES >= 80] = value * scale
    trend[:, D.SERVICES.index("home_care"), D.AGES <= 66] = 0.02 * scale
    return ds.replace(coverage_trend=trend)


def _users(ds, scenario=None, end_year=None):
    end_year = end_year or ds.base_year + 8
    return hm.project(ds, scenario, end_year=end_year).users.values  # [T+1, R, K]


def test_default_projection_follows_the_damped_trend():
    ds = _with_trend()
    inp = build_inputs(ds, ds.base_year + 8)
    g = TR.trend_path(9, "damped")
    want = np.minimum(ds["user_rate"][None] * np.exp(ds["coverage_trend"][None, :, :, None, :]
                                                      * g[:, None, None, None, None]), 1.0)
    np.testing.assert_allclose(inp.user_rate, want)
    pop = run_kernels(inp)["population"]
    users = np.einsum("trsa,trksa->trk", pop, want)
    np.testing.assert_allclose(_users(ds), users, rtol=1e-12)


def test_scenario_chooses_none_damped_or_constant():
    ds = _with_trend()
    flat = ds.replace(coverage_trend=np.zeros(ds["coverage_trend"].shape))
    scen = {m: hm.Scenario(m, assumptions={"coverage_trend": m}) for m in TR.COVERAGE_TRENDS}
    none = _users(ds, scen["none"])
    np.testing.assert_allclose(none, _users(flat), rtol=1e-13)
    np.testing.assert_allclose(_users(ds, scen["damped"]), _users(ds), rtol=1e-13)
    nh = D.SERVICES.index("nursing_home")
    damped, constant = _users(ds, scen["damped"])[:, :, nh], _users(ds, scen["constant"])[:, :, nh]
    assert (constant[-1] < damped[-1]).all() and (damped[-1] < none[-1, :, nh]).all()
    np.testing.assert_allclose(constant[0], none[0, :, nh])
    slower = hm.Scenario("slow", assumptions={"coverage_trend": "damped",
                                              "coverage_damping": {"value": 0.9, "unit": "/1"}})
    assert (_users(ds, slower)[-1, :, nh] < damped[-1]).all()
    # the demand kernel turns users into FTE: nursing-home demand falls with its users
    res = hm.project(ds, scen["constant"], end_year=ds.base_year + 8)
    base = hm.project(ds, scen["none"], end_year=ds.base_year + 8)
    assert float(res.demand_fte.isel(year=-1, service=nh).sum()) < float(base.demand_fte.isel(year=-1, service=nh).sum())


def test_healthier_ageing_uses_the_mortality_path():
    ds = make_dataset(3, 1, seed=4)
    healthy = {"coverage_trend": "none", "healthier_ageing": {"value": 0.5, "unit": "/1", "reference": "test"}}
    scen = hm.Scenario("healthy", assumptions=healthy)
    inp = build_inputs(ds, ds.base_year + 6)
    # mortality held constant: no gain in life expectancy, no shift
    held = hm.Scenario("held", assumptions={**healthy, "mortality": "constant"}).apply(inp, ds)
    np.testing.assert_array_equal(np.asarray(held.user_rate), np.asarray(inp.user_rate))
    # with falling mortality (as a mortality trend would give) use moves to older ages
    inp.mortality = np.stack([ds["mortality"] * 0.97 ** t for t in range(6)])
    out = scen.apply(inp, ds)
    gain = TR.life_expectancy_gain(inp.mortality, 7)
    np.testing.assert_allclose(out.user_rate, TR.healthier_ageing_user_rate(ds["user_rate"], gain, 0.5))
    old = D.AGES >= 67
    assert (np.asarray(out.user_rate)[-1][..., old] < ds["user_rate"][..., old]).any()
    with pytest.raises(ScenarioError, match="needs coverage_trend: none"):
        hm.Scenario("bad", assumptions={"healthier_ageing": {"value": 0.5, "unit": "/1"}})


def test_staff_mix_trend_in_a_scenario():
    ds = make_dataset(3, 1, seed=5)
    scen = hm.Scenario("mix", assumptions={"staff_mix_trend": {
        "nurse": {"value": 0.02, "unit": "/1 per year", "reference": "assumption: test"}}})
    res, base = hm.project(ds, scen, end_year=ds.base_year + 5), hm.project(ds, end_year=ds.base_year + 5)
    last = res.demand_fte.isel(year=-1).sum("region")  # service x group
    ref = base.demand_fte.isel(year=-1).sum("region")
    assert (last.sel(group="nurse") > ref.sel(group="nurse")).all()
    assert (last.sel(group="unskilled") < ref.sel(group="unskilled")).all()
    # the shift keeps each service's FTE per user at national weights: totals move only by regional mix
    np.testing.assert_allclose(last.sum("group"), ref.sum("group"), rtol=1e-3)
    for bad, words in ((("nurce", 0.01, "x"), "unknown group 'nurce'"), (("nurse", 0.2, "x"), "outside -0.05 to 0.05"),
                       (("nurse", 0.01, " "), "reference: missing")):
        with pytest.raises(ScenarioError, match=words):
            hm.Scenario("bad", assumptions={"staff_mix_trend": {bad[0]: {
                "value": bad[1], "unit": "/1 per year", "reference": bad[2]}}})


def test_ensemble_without_draws_of_demand_matches_the_trended_projection():
    ds = _with_trend(seed=6)
    scen = hm.Scenario("trend", assumptions={"coverage_trend": "constant"}, uncertainty=[{
        "id": "exits", "parameter": "exit_rate", "unit": "/1",
        "distribution": {"type": "normal", "mean": 1.0, "sd": 1e-9}}])
    det = hm.project(ds, scen, end_year=ds.base_year + 4).aggregate("nation").demand_fte.sum("service")
    ens = hm.project(ds, scen, end_year=ds.base_year + 4, draws=32, seed=1)
    med = ens.nation.sel(variable="demand_fte").isel(quantile=len(ens.nation["quantile"]) // 2)
    np.testing.assert_allclose(med.values, det.squeeze().values, rtol=1e-9)


# --- the dataset carries the trend ------------------------------------------------------------
def test_dataset_saves_and_loads_the_trend(tmp_path):
    ds = _with_trend(seed=7)
    ds.meta = {**ds.meta, "parameters": {"coverage_trend": {"source": "test trend", "synthetic": True}}}
    back = Dataset.load(ds.save(tmp_path / "d"))
    np.testing.assert_array_equal(back["coverage_trend"], ds["coverage_trend"])
    assert back.meta["parameters"]["coverage_trend"]["unit"] == "/1 per year"
    assert back.meta["parameters"]["coverage_trend"]["source"] == "test trend"
    assert back.hash == ds.hash != ds.replace(coverage_trend=np.zeros(ds["coverage_trend"].shape)).hash


def test_folder_without_the_trend_loads_with_none(tmp_path):
    import yaml

    ds = _with_trend(seed=8)
    path = ds.save(tmp_path / "old")
    (path / "coverage_trend.csv").unlink()
    meta = yaml.safe_load((path / "dataset.yaml").read_text())
    del meta["parameters"]["coverage_trend"]
    (path / "dataset.yaml").write_text(yaml.safe_dump(meta))
    back = Dataset.load(path)
    assert not back["coverage_trend"].any() and back["coverage_trend"].shape == ds["coverage_trend"].shape


def test_trend_out_of_range_is_one_line_naming_the_file(tmp_path):
    path = _with_trend(seed=9).save(tmp_path / "bad")
    f = path / "coverage_trend.csv"
    text = f.read_text().splitlines()
    head, first = text[0], text[1].split(",")
    first[-1] = "0.5"
    f.write_text("\n".join([head, ",".join(first)] + text[2:]) + "\n")
    with pytest.raises(DatasetError) as info:
        Dataset.load(path)
    assert len(info.value.problems) == 1
    line = info.value.problems[0]
    assert line.startswith("coverage_trend.csv: column 'value': 0.5 at region=") and "allowed -0.2 to 0.2" in line


def test_default_dataset_has_no_trend_and_standard_growth_per_service():
    ds = hm.load_dataset()
    assert not ds["coverage_trend"].any()
    assert ds.meta["parameters"]["coverage_trend"]["source"].startswith("assumption")
    from helsemod_py.data.default import load_facts, standard_growth_by_service

    facts = load_facts()
    values = facts["services"]["standard_growth"]["values"]
    assert set(values) == set(D.SERVICES) and all(v["reference"] for v in values.values())
    np.testing.assert_array_equal(ds["standard_growth"], standard_growth_by_service(facts))
    del facts["services"]["standard_growth"]["values"]["dental"]
    with pytest.raises(ValueError, match="missing dental"):
        standard_growth_by_service(facts)
