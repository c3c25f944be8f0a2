"""Mortality decline and fertility trends: the path functions against their numpy reference,
estimation from stocks on synthetic histories with known rates, the scenario assumptions
(`mortality` / `fertility`: constant | trend | external) and their one-line errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import helsemod_py as hm
from helsemod_py import dims as D
from helsemod_py.core import project_population
from helsemod_py.core import reference as ref
from helsemod_py.core.trends import fertility_path, mortality_path
from helsemod_py.data import ssb
from helsemod_py.data import trends as TR
from helsemod_py.data.dataset import Dataset
from helsemod_py.errors import DatasetError, ImportDataError, ScenarioError
from helsemod_py.model import build_inputs

A = len(D.AGES)


# --- path functions ------------------------------------------------------------------------------
@given(seed=st.integers(0, 2**16), n_reg=st.integers(1, 4), n_t=st.integers(1, 15),
       scale=st.floats(0.0, 3.0), damping=st.floats(0.0, 1.0), regional=st.booleans())
def test_paths_match_the_numpy_reference(seed, n_reg, n_t, scale, damping, regional):
    rng = np.random.default_rng(seed)
    q0 = rng.uniform(0.0, 0.7, (n_reg, 2, A))
    decline = rng.uniform(-0.05, 0.1, (n_reg if regional else 1, 2, A))
    decline = np.broadcast_to(decline, q0.shape)
    np.testing.assert_allclose(mortality_path(q0, decline, n_t, scale), ref.mortality_path(q0, decline, n_t, scale),
                               rtol=1e-12, atol=1e-15)
    f0 = rng.uniform(0.0, 0.2, (n_reg, A))
    rate = rng.uniform(-0.1, 0.1, n_reg)
    np.testing.assert_allclose(fertility_path(f0, rate, damping, n_t, scale),
                               ref.fertility_path(f0, rate, damping, n_t, scale), rtol=1e-12, atol=1e-15)


def test_without_a_trend_the_path_is_a_view_of_the_base_rates():
    q0, f0 = np.full((3, 2, A), 0.1), np.full((3, A), 0.05)
    q = mortality_path(q0, np.zeros((3, 2, A)), 5)
    f = fertility_path(f0, np.zeros(3), 0.7, 5)
    assert q.strides[0] == 0 and np.shares_memory(q, q0) and f.strides[0] == 0 and np.shares_memory(f, f0)
    assert mortality_path(q0, np.full((3, 2, A), 0.02), 5, scale=0.0).strides[0] == 0


def test_paths_follow_their_equations_and_stay_valid():
    q0 = np.full((1, 2, A), 0.6)
    q = mortality_path(q0, np.full((1, 2, A), -0.1), 10)  # rising mortality is capped at 1
    assert q.max() == 1.0 and q[1, 0, 0, 0] == pytest.approx(0.6 * np.exp(0.1))
    f0 = np.full((2, A), 0.05)
    straight = fertility_path(f0, np.array([0.01, -0.02]), 1.0, 6)
    np.testing.assert_allclose(straight[:, 1, 20], 0.05 * np.exp(-0.02 * np.arange(6)))
    once = fertility_path(f0, np.array([0.01, -0.02]), 0.0, 6)  # no damping carry-over: one step of change
    np.testing.assert_allclose(once[1:, 0, 20], 0.05 * np.exp(0.01))
    assert fertility_path(f0, np.array([0.1, 0.1]), 1.0, 40).max() == 0.5


# --- estimation on synthetic stocks ----------------------------------------------------------------
DECLINE = (0.02, 0.015)  #: /1 per year, men and women, at every age from 1 (known answer)
FERT_RATE = -0.02


def _history(pop_scale=(4e5,), theta=(1.0,), county_codes=("01",), n_years=16, first_year=2000, seed=2):
    """Stocks projected by the kernel: mortality falling by :data:`DECLINE` a year (region r at
    ``theta[r]`` times the model life table), fertility falling 2 % a year, migration only below 60."""
    rng = np.random.default_rng(seed)
    n_reg, steps = len(pop_scale), n_years - 1
    q0 = ssb.mortality_from_life_expectancy()
    decline = np.zeros((2, A))
    decline[:, 1:] = np.array(DECLINE)[:, None]
    q_reg = np.minimum(np.array(theta)[:, None, None] * q0[None], 1.0)
    q = mortality_path(q_reg, decline, steps)
    fert = fertility_path(np.broadcast_to(1.6 * ssb.fertility_shape(), (n_reg, A)), np.full(n_reg, FERT_RATE), 1.0,
                          steps)
    ages = D.AGES.astype(float)
    mig = np.broadcast_to(0.015 * np.exp(-((ages - 25.0) / 6.0) ** 2), (steps, n_reg, 2, A))
    pop0 = np.array(pop_scale)[:, None, None] * np.exp(-ages / 45.0) * rng.uniform(0.95, 1.05, (n_reg, 2, A))
    pop, _ = project_population(pop0, fert, q, mig, ssb.MALE_SHARE_AT_BIRTH)
    codes = tuple(f"{c}{i:02d}" for i, c in enumerate(county_codes))
    regions = D.Regions(codes, codes, county_codes, {})
    return ssb.PopulationHistory(np.arange(first_year, first_year + n_years), regions, pop), q0, decline


def test_mortality_decline_is_recovered_from_cohort_losses():
    hist, _, decline = _history()
    trend = TR.fit_mortality_trend(hist)
    np.testing.assert_allclose(trend.decline[:, 75:96], decline[:, 75:96], rtol=1e-6)
    np.testing.assert_allclose(trend.decline[:, :75], decline[:, [75]].repeat(75, axis=1), rtol=1e-6)  # held below
    assert (trend.first_year, trend.last_year) == (2000, 2015)
    assert trend.describe()["decline_percent_per_year"]["80"] == {"male": 2.0, "female": 1.5}


def test_level_at_the_base_year_and_migration_are_recovered():
    hist, q0, decline = _history()
    trend = TR.MortalityTrend(decline, 2000, 2015)
    levels = TR.estimate_mortality(hist, 2005, 2015, trend, q0)
    true_2015 = q0 * np.exp(-decline * 15)
    np.testing.assert_allclose(levels.at(2015)[0, :, 75:101], true_2015[:, 75:101], rtol=2e-3)
    np.testing.assert_allclose(levels.theta, 1.0)
    est = ssb.estimate_population(hist, 2015, 2005, 2015)
    mig = est.arrays["net_migration"][0]
    assert np.abs(mig[:, 60:101]).max() < 2e-3  # no migration from 60 on, up to the estimates' precision
    assert np.abs(mig[:, 20:30] - 0.015 * np.exp(-((np.arange(20, 30) - 25.0) / 6.0) ** 2)).max() < 2e-3


def test_regional_mortality_is_estimated_and_small_regions_are_shrunk():
    hist, q0, decline = _history(pop_scale=(3e5, 3e5, 10.0), theta=(1.0, 1.3, 1.5), county_codes=("01", "01", "01"))
    trend = TR.MortalityTrend(decline, 2000, 2015)
    raw = TR.estimate_mortality(hist, 2005, 2015, trend, q0, k=0.0).theta
    assert raw[1, 0] / raw[0, 0] == pytest.approx(1.3, rel=0.02)
    assert raw[2, 0] / raw[0, 0] == pytest.approx(1.5, rel=0.02)
    shrunk = TR.estimate_mortality(hist, 2005, 2015, trend, q0, k=200.0).theta
    county = 0.5 * (shrunk[0] + shrunk[1])
    assert (np.abs(shrunk[2] - county) < 0.5 * np.abs(raw[2] - county)).all()  # pulled toward the county
    assert np.abs(shrunk[:2] - raw[:2]).max() < 0.02  # large regions keep their own level


def test_fertility_trend_is_recovered_and_damped():
    hist, q0, _ = _history()
    fit = TR.fit_fertility_trend(hist, ssb.fertility_shape(), q0[:, 0])
    np.testing.assert_allclose(fit.levels, 1.6 * np.exp(FERT_RATE * np.arange(15)), rtol=1e-9)
    assert fit.rate == pytest.approx(FERT_RATE, rel=1e-9) and fit.window == TR.FERTILITY_WINDOW
    phi = TR.FERTILITY_DAMPING  # damping starts after the last observed year (2014 -> 2015)
    assert fit.level_at(2014) == fit.levels[-1] and fit.rate_at(2014) == pytest.approx(FERT_RATE * phi)
    assert fit.level_at(2015) == pytest.approx(fit.levels[-1] * np.exp(FERT_RATE * phi))
    assert fit.level_at(2017) == pytest.approx(fit.levels[-1] * np.exp(FERT_RATE * (phi + phi**2 + phi**3)))
    assert fit.rate_at(2015) == pytest.approx(FERT_RATE * phi**2)
    est = ssb.estimate_population(hist, 2015, 2005, 2015)
    assert est.arrays["fertility"][0].sum() == pytest.approx(fit.level_at(2015), rel=1e-3)
    assert est.arrays["fertility_trend"][0] == pytest.approx(fit.rate_at(2015))
    assert est.describe()["default_assumption"] == "trend"


def test_too_short_a_history_is_one_line():
    hist, _, _ = _history(n_years=3)
    with pytest.raises(ImportDataError) as info:
        TR.fit_mortality_trend(hist)
    assert info.value.problems == ["mortality trend: years 2000-2002: need at least 4 years of population "
                                   "(allowed: 2000-2002)"]


# --- scenario assumptions ------------------------------------------------------------------------
def _scenario(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text("name: test\nassumptions:\n" + text)
    return hm.Scenario.from_yaml(path), path


def test_the_dataset_trend_is_the_default_and_constant_holds_the_base_rates(small_dataset, tmp_path):
    ds = small_dataset
    base = build_inputs(ds, 2032)
    np.testing.assert_allclose(base.mortality, mortality_path(ds["mortality"], ds["mortality_decline"], 8))
    assert not np.allclose(base.mortality[-1], ds["mortality"])
    constant, _ = _scenario(tmp_path, "  mortality: constant\n  fertility: constant\n")
    inp = constant.apply(base, ds)
    np.testing.assert_array_equal(inp.mortality[-1], ds["mortality"])
    np.testing.assert_array_equal(inp.fertility[-1], ds["fertility"])
    off, _ = _scenario(tmp_path, "  mortality: {assumption: trend, scale: 0}\n  fertility: {assumption: trend, "
                                 "scale: 0}\n", "off.yaml")
    a, b = hm.project(ds, constant, end_year=2032), hm.project(ds, off, end_year=2032)
    np.testing.assert_array_equal(a.population.values, b.population.values)
    trend = hm.project(ds, end_year=2032)
    old = trend.population.sel(year=2032, age=slice(85, None)).sum()
    assert float(old) > float(a.population.sel(year=2032, age=slice(85, None)).sum())  # falling mortality
    damped, _ = _scenario(tmp_path, "  fertility: {assumption: trend, damping: 0.2, scale: 2}\n", "d.yaml")
    f = damped.apply(base, ds).fertility
    np.testing.assert_allclose(f, fertility_path(ds["fertility"], ds["fertility_trend"], 0.2, 8, 2.0))


def _mortality_csv(path, rates, years, regions):
    """Write [T, R, S, A] rates as region, year, sex, age, value."""
    idx = pd.MultiIndex.from_product([list(years), list(regions), list(D.SEXES), D.AGES.tolist()],
                                     names=["year", "region", "sex", "age"]).to_frame(index=False)
    idx["value"] = np.asarray(rates).ravel()
    idx.to_csv(path, index=False, float_format="%.17g")


def test_external_files_drive_the_projection(small_dataset, tmp_path):
    ds = small_dataset
    years = range(2024, 2030)
    q = mortality_path(ds["mortality"], ds["mortality_decline"], 6, 0.5)
    _mortality_csv(tmp_path / "q.csv", q, years, ds.regions.codes)
    ages = range(D.FERTILE_AGE_MIN, D.FERTILE_AGE_MAX + 1)
    frame = pd.MultiIndex.from_product([list(years), list(ages)], names=["year", "age"]).to_frame(index=False)
    frame["value"] = 0.04
    frame.to_csv(tmp_path / "f.csv", index=False)
    scn, _ = _scenario(tmp_path, "  end_year: 2030\n  mortality: {assumption: external, file: q.csv, reference: test}\n"
                                 "  fertility: {assumption: external, file: f.csv}\n")
    inp = scn.apply(build_inputs(ds, 2030), ds)
    np.testing.assert_array_equal(inp.mortality, q)
    assert (inp.fertility[:, :, 20] == 0.04).all() and (inp.fertility[:, :, 50] == 0).all()
    half, _ = _scenario(tmp_path, "  end_year: 2030\n  mortality: {assumption: trend, scale: 0.5}\n"
                                  "  fertility: {assumption: external, file: f.csv}\n", "half.yaml")
    np.testing.assert_array_equal(hm.project(ds, scn).population.values, hm.project(ds, half).population.values)
    assert scn.hash != half.hash


@pytest.mark.parametrize("kind, edit, words", [
    ("mortality", lambda f: f.assign(age=f.age.replace(105, 110)), [
        "q.csv: column 'age': 110 is outside 0-105 (allowed: 0-105, 105 = 105 and older)"]),
    ("mortality", lambda f: f[f.year != 2026], [
        "q.csv: column 'year': no rows for 2026 (allowed: the years each projection step starts; every year "
        "2024-2026 is needed)"]),
    ("mortality", lambda f: f.assign(region=f.region.replace("0101", "9999")), [
        "q.csv: column 'region': unknown code '9999' (allowed: 0101, 0102, 0201, 0202)"]),
    ("mortality", lambda f: f.assign(value=f.value.where(f.index != 3, 1.5)), [
        "q.csv: row 5: column 'value': 1.5 is outside 0 to 1 (/1 per year)"]),
    ("mortality", lambda f: f[f.index != 7], ["q.csv: 1 missing row(s), first year=2024, region=0101, sex=male, "
                                              "age=7 (the file needs every year 2024-2026, region, sex, age 0-105)"]),
    ("mortality", lambda f: f.drop(columns="sex"), [
        "q.csv: missing column 'sex' (need year, sex, age, value; optional region)"]),
    ("fertility", lambda f: f.assign(age=f.age.replace(15, 12)), [
        "f.csv: column 'age': 12 is outside 15-49 (allowed: 15-49; fertility is zero at other ages)"]),
    ("fertility", lambda f: f.assign(year=f.year.replace(2025, 2031)), [
        "f.csv: column 'year': no rows for 2025"]),
])
def test_bad_external_files_are_one_line_errors(small_dataset, tmp_path, kind, edit, words):
    ds = small_dataset
    if kind == "mortality":
        _mortality_csv(tmp_path / "q.csv", np.broadcast_to(ds["mortality"], (3,) + ds["mortality"].shape),
                       range(2024, 2027), ds.regions.codes)
        name = "q.csv"
    else:
        f = pd.MultiIndex.from_product([range(2024, 2027), range(15, 50)], names=["year", "age"]).to_frame(index=False)
        f.assign(value=0.04).to_csv(tmp_path / "f.csv", index=False)
        name = "f.csv"
    frame = pd.read_csv(tmp_path / name, dtype={"region": str})
    edit(frame).to_csv(tmp_path / name, index=False)
    scn, path = _scenario(tmp_path, f"  end_year: 2027\n  {kind}:\n    assumption: external\n    file: {name}\n")
    with pytest.raises(ScenarioError) as info:
        hm.project(ds, scn)
    assert len(info.value.problems) == 1, info.value.problems
    msg = info.value.problems[0]
    assert msg.startswith(f"{path}:6: assumptions.{kind}.file: {name}: ") and "\n" not in msg
    for w in words:
        assert w in msg


def test_missing_external_file(small_dataset, tmp_path):
    scn, path = _scenario(tmp_path, "  mortality: {assumption: external, file: nowhere.csv}\n")
    with pytest.raises(ScenarioError) as info:
        hm.project(small_dataset, scn, end_year=2026)
    assert info.value.problems == [f"{path}:3: assumptions.mortality.file: {tmp_path / 'nowhere.csv'}: mortality "
                                   "file not found"]


# --- datasets ------------------------------------------------------------------------------------
def test_older_dataset_folders_load_without_trends(small_dataset, tmp_path):
    import yaml

    folder = small_dataset.save(tmp_path / "ds")
    assert Dataset.load(folder).hash == small_dataset.hash  # trends and damping round-trip
    for name in ("mortality_decline", "fertility_trend"):
        (folder / f"{name}.csv").unlink()
    meta = yaml.safe_load((folder / "dataset.yaml").read_text())
    for name in ("mortality_decline", "fertility_trend"):
        del meta["parameters"][name]
    del meta["scalars"]["fertility_damping"]
    (folder / "dataset.yaml").write_text(yaml.safe_dump(meta))
    old = Dataset.load(folder)
    assert not old["mortality_decline"].any() and not old["fertility_trend"].any()
    assert old.scalars["fertility_damping"] == 0.5
    inp = build_inputs(old, 2030)
    assert inp.mortality.strides[0] == 0 and inp.fertility.strides[0] == 0  # constant rates, no copies


def test_trend_parameters_out_of_range_are_one_line_errors(small_dataset, tmp_path):
    decline = small_dataset["mortality_decline"].copy()
    decline[1, 0, 80] = 0.2
    folder = small_dataset.replace(mortality_decline=decline).save(tmp_path / "bad")
    with pytest.raises(DatasetError) as info:
        Dataset.load(folder)
    assert info.value.problems == ["mortality_decline.csv: column 'value': 0.2 at region=0102, sex=male, age=80 is "
                                   "above 0.1 (allowed -0.05 to 0.1 /1 per year)"]


def test_a_short_history_gives_constant_rates_and_says_so():
    hist, _, _ = _history(n_years=3)
    est = ssb.estimate_population(hist, 2002, 2000, 2002)
    assert not est.arrays["mortality_decline"].any() and not est.arrays["fertility_trend"].any()
    meta = est.describe()
    assert meta["default_assumption"] == "constant"
    assert meta["mortality"]["method"].startswith("none: the history 2000-2002 is too short for a trend")
    with pytest.raises(ImportDataError, match="need at least 4 years"):  # asked for explicitly: an error
        ssb.estimate_population(hist, 2002, 2000, 2002, trend_first_year=2000)
