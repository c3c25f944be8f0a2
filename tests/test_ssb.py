"""SSB population importer, rate estimation from stocks, and the population backtest."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helsemod_py import dims as D
from helsemod_py.core import project_population
from helsemod_py.data import ssb
from helsemod_py.data.schema import PARAMETERS, shape
from helsemod_py.errors import ImportDataError

SSB_DIR = Path(__file__).parents[1] / ".." / "shared" / "data" / "ssb"
MUNI_FILE = "population_kommune_age_sex_2015_2024.csv"
ROOT = Path(__file__).parents[1]


# --- real data ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ssb_dir() -> Path:
    if not (SSB_DIR / MUNI_FILE).is_file():
        pytest.skip(f"SSB data not found at {SSB_DIR.resolve()}")
    return SSB_DIR


@pytest.fixture(scope="module")
def regions(ssb_dir) -> D.Regions:
    return ssb.read_municipalities(ssb_dir / "kommuner_2024.csv")


@pytest.fixture(scope="module")
def history(ssb_dir, regions) -> ssb.PopulationHistory:
    return ssb.read_population(ssb_dir / MUNI_FILE, regions)


@pytest.mark.realdata
def test_municipality_list_keeps_codes_as_text(regions):
    assert len(regions) == 357
    assert len(regions.counties) == 15
    assert regions.codes[0] == "0301" and regions.county_codes[0] == "03"
    assert all(len(c) == 4 and c.isdigit() for c in regions.codes)


@pytest.mark.realdata
def test_national_total_2024(history):
    assert history.population.shape == (10, 357, 2, len(D.AGES))
    assert history.years.tolist() == list(range(2015, 2025))
    assert history.at(2024).sum() == 5_550_203
    assert history.merged == (("1508", "1580"),)


@pytest.mark.realdata
def test_county_file_matches_municipal_sums(ssb_dir, regions, history):
    counties = ssb.read_population(ssb_dir / "population_fylke_age_sex_2005_2024.csv", regions)
    assert counties.level == "county"
    assert counties.regions.codes == regions.counties
    assert counties.years[0] == 2005
    summed = history.to_counties()
    np.testing.assert_array_equal(summed.at(2024), counties.at(2024))
    by_year = counties.between(2015, 2024).population.sum(axis=(2, 3))
    np.testing.assert_allclose(summed.population.sum(axis=(2, 3)), by_year, rtol=1e-4)


@pytest.mark.realdata
def test_merged_municipalities_are_combined(history):
    combined, unit_of = history.combine_merged()
    assert len(combined.regions) == 356
    i = combined.regions.codes.index("1508+1580")
    assert unit_of[history.regions.codes.index("1508")] == unit_of[history.regions.codes.index("1580")] == i
    np.testing.assert_array_equal(combined.population.sum(axis=1), history.population.sum(axis=1))


def _load_backtest():
    spec = importlib.util.spec_from_file_location("backtest_population", ROOT / "benchmarks" / "backtest_population.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Targets the backtest misses, each explained in benchmarks/backtest_population.md: over 2019-2024
#: the trend overshoots the oldest (the excess deaths of 2022), and SSB's Telemark has more 90+.
KNOWN_MISSES = {
    "nation 90+: trend mean APE < previous", "county 90+: trend mean APE < previous",
    "municipality 80+: trend mean APE < previous", "municipality 90+: trend mean APE < previous",
    "2035 Telemark 90+: trend within 10 % of SSB MMMM",
}


@pytest.mark.realdata
def test_backtest_targets(ssb_dir, history):
    bt = _load_backtest()
    national = bt.load_national(ssb_dir)
    assert national.years[0] == 1986
    errors = bt.backtest(history, national)
    summary = bt.summarise(errors)
    comparison = bt.ssb_comparison(history, national, bt.read_ssb_mmmm(ssb_dir / bt.SSB_PROJECTION_FILE))
    met = bt.targets_met(summary, errors, comparison)
    assert {name for name, ok in met.items() if not ok} == KNOWN_MISSES, met
    county_80 = errors[(errors.level == "county") & (errors.group == "80+") & (errors.method == "trend")]
    assert len(county_80) == 15 and (county_80.ape < 3.0).all()
    # the previous method's 2035 shortfall against SSB is what the issue reported (80+ about -10 %, 90+ -17 %)
    old = comparison[(comparison.origin == 2024) & (comparison.year == 2035) & (comparison.area == "nation")
                     & (comparison.method == "previous")].set_index("group")
    assert old.loc["80+", "ours"] / old.loc["80+", "ssb"] - 1 == pytest.approx(-0.10, abs=0.01)
    assert old.loc["90+", "ours"] / old.loc["90+", "ssb"] - 1 == pytest.approx(-0.17, abs=0.01)


@pytest.mark.realdata
def test_real_build_uses_and_records_the_trends(ssb_dir, tmp_path):
    import helsemod_py as hm

    ds = ssb.dataset_from_ssb(ssb_dir / MUNI_FILE, ssb_dir / "kommuner_2024.csv",
                              national_csv=ssb_dir / "population_norway_age_sex_1986_2024.csv")
    trends = ds.meta["population_trends"]
    assert trends["mortality"]["years"] == [1986, 2024] and trends["default_assumption"] == "trend"
    assert trends["fertility"]["slope_years"] == [2019, 2023]
    assert "population_norway_age_sex_1986_2024.csv" in ds.meta["parameters"]["mortality_decline"]["source"]
    decline = ds["mortality_decline"]
    assert (decline == decline[:1]).all()  # national rates of decline, regional levels
    assert 0.01 < decline[0, :, 80].min() and decline[0, :, 80].max() < 0.03
    assert (ds["mortality"][:, :, 90].std(axis=0) > 0).all()  # regions differ
    res = hm.project(ds, end_year=2035)
    old = float(res.population.sel(year=2035, age=slice(90, None)).sum())
    assert 0.9 * 72_929 < old < 1.05 * 72_929  # SSB 13600 MMMM, 90+ in 2035
    ds.save(tmp_path / "norway")
    back = hm.load_dataset(tmp_path / "norway")
    assert back.hash == ds.hash and back.meta["population_trends"] == trends
    with pytest.raises(ImportDataError) as info:
        ssb.dataset_from_ssb(ssb_dir / MUNI_FILE, ssb_dir / "kommuner_2024.csv", base_year=2023,
                             national_csv=ssb_dir / "population_norway_age_sex_1986_2024.csv",
                             trend_first_year=2022)
    assert info.value.problems == ["mortality trend: years 2022-2023: need at least 4 years of population "
                                   "(allowed: 1986-2023)"]


@pytest.mark.realdata
def test_full_projection_to_2035(history):
    part = ssb.population_dataset_part(history, base_year=2024, first_year=2015, last_year=2024)
    for name, arr in part.items():
        spec = PARAMETERS[name]
        assert arr.shape == shape(spec, history.regions.codes), name
        assert np.isfinite(arr).all() and (arr >= spec.lo).all() and (arr <= spec.hi).all(), name
    pop = ssb.project_constant_rates(part["population"], part["fertility"], part["mortality"],
                                     part["net_migration"], n_steps=2035 - 2024)
    assert np.isfinite(pop).all() and (pop >= 0).all()
    national = pop.sum(axis=(1, 2, 3))
    assert national[0] == 5_550_203
    assert 5.5e6 < national[-1] < 6.5e6
    old = pop[:, :, :, D.AGES >= 80].sum(axis=(1, 2, 3))
    assert old[-1] > 1.2 * old[0]  # the large post-war cohorts pass 80 before 2035


# --- small files: every problem is one line -----------------------------------------------
def _frame(codes=("0301", "1101"), years=(2019, 2020)) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([list(codes), list(years), D.AGES.tolist()], names=["kommune_nr", "year", "age"])
    frame = idx.to_frame(index=False)
    n = len(frame)
    frame["male"] = np.arange(n) % 50 + 10
    frame["female"] = np.arange(n) % 40 + 20
    frame["total"] = frame["male"] + frame["female"]
    return frame


def _write(tmp_path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "population.csv"
    frame.astype(str).to_csv(path, index=False)
    return path


@pytest.fixture
def small_regions(tmp_path) -> D.Regions:
    path = tmp_path / "kommuner.csv"
    path.write_text("kommune_nr,kommune_navn,fylke_nr,fylke_navn\n0301,Oslo,03,Oslo\n1101,Eigersund,11,Rogaland\n",
                    encoding="utf-8")
    return ssb.read_municipalities(path)


def _problem(path, regions) -> str:
    with pytest.raises(ImportDataError) as info:
        ssb.read_population(path, regions)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


def test_small_file_is_read_into_the_right_cells(tmp_path, small_regions):
    frame = _frame()
    hist = ssb.read_population(_write(tmp_path, frame.sample(frac=1.0, random_state=1)), small_regions)
    assert hist.years.tolist() == [2019, 2020] and hist.regions.names == ("Oslo", "Eigersund")
    row = frame[(frame.kommune_nr == "1101") & (frame.year == 2020) & (frame.age == 7)].iloc[0]
    assert hist.population[1, 1, 0, 7] == row["male"] and hist.population[1, 1, 1, 7] == row["female"]


def test_missing_file(tmp_path, small_regions):
    assert "file not found" in _problem(tmp_path / "nope.csv", small_regions)


def test_missing_column(tmp_path, small_regions):
    line = _problem(_write(tmp_path, _frame().drop(columns="female")), small_regions)
    assert line.startswith("population.csv: missing column 'female'")


def test_non_number(tmp_path, small_regions):
    frame = _frame().astype(str)
    frame.loc[15, "male"] = "abc"
    assert _problem(_write(tmp_path, frame), small_regions) == (
        "population.csv: row 17: column 'male': 'abc' is not a number")


def test_negative_value(tmp_path, small_regions):
    frame = _frame()
    frame.loc[3, "female"] = -3
    assert _problem(_write(tmp_path, frame), small_regions) == (
        "population.csv: row 5: column 'female': '-3' is negative")


def test_unknown_code(tmp_path, small_regions):
    frame = pd.concat([_frame(), _frame(codes=("9999",))], ignore_index=True)
    line = _problem(_write(tmp_path, frame), small_regions)
    assert line.startswith(f"population.csv: row {2 * 2 * 106 + 2}: column 'kommune_nr': unknown code '9999'")


def test_duplicate_row(tmp_path, small_regions):
    frame = pd.concat([_frame(), _frame().iloc[[0]]], ignore_index=True)
    assert _problem(_write(tmp_path, frame), small_regions) == (
        f"population.csv: rows 2 and {len(frame) + 1}: duplicate row for kommune_nr='0301', year=2019, age=0")


def test_missing_row_and_year(tmp_path, small_regions):
    frame = _frame()
    gone = frame[(frame.kommune_nr == "1101") & (frame.year == 2020) & (frame.age == 5)].index
    line = _problem(_write(tmp_path, frame.drop(index=gone)), small_regions)
    assert line.startswith("population.csv: missing row for kommune_nr='1101', year=2020, age=5")
    line = _problem(_write(tmp_path, _frame(years=(2018, 2020))), small_regions)
    assert line.startswith("population.csv: column 'year': no rows for year 2019")


def test_age_out_of_range(tmp_path, small_regions):
    frame = _frame()
    frame.loc[0, "age"] = 106
    assert "column 'age': '106' is outside 0-105" in _problem(_write(tmp_path, frame), small_regions)


def test_bad_municipality_list(tmp_path):
    path = tmp_path / "kommuner.csv"
    path.write_text("kommune_nr,kommune_navn,fylke_nr,fylke_navn\n301,Oslo,03,Oslo\n1101,A,11,R\n1101,B,11,R\n",
                    encoding="utf-8")
    with pytest.raises(ImportDataError) as info:
        ssb.read_municipalities(path)
    assert info.value.problems == [
        "kommuner.csv: row 2: column 'kommune_nr': '301' is not a 4-digit code",
        "kommuner.csv: row 4: column 'kommune_nr': duplicate code '1101'",
    ]
    path.write_text("kommune_nr,kommune_navn,fylke_nr\n0301,Oslo,03\n", encoding="utf-8")
    with pytest.raises(ImportDataError, match="missing column 'fylke_navn'"):
        ssb.read_municipalities(path)


# --- estimation on synthetic stocks -------------------------------------------------------
def _synthetic(pop_scale=(2000.0, 3000.0, 1500.0), county_codes=("01", "01", "02"), n_years=6, seed=3,
               extra_migration=0.0):
    """History projected by the kernel with known rates (same in every region unless
    ``extra_migration`` [R, S, A] is added to the net migration)."""
    rng = np.random.default_rng(seed)
    n_reg = len(pop_scale)
    q = ssb.mortality_from_life_expectancy()
    fert = 1.6 * ssb.fertility_shape()
    ages = D.AGES.astype(float)
    mig = 0.02 * np.exp(-((ages - 24.0) / 6.0) ** 2) - 0.003 * (ages > 70)
    mig = np.stack([mig, 0.8 * mig])[None] + np.broadcast_to(extra_migration, (n_reg, 2, len(D.AGES)))
    pop0 = np.array(pop_scale)[:, None, None] * np.exp(-ages / 60.0) * rng.uniform(0.9, 1.1, (n_reg, 2, len(D.AGES)))
    steps = n_years - 1
    pop, _ = project_population(pop0, np.broadcast_to(fert, (steps, n_reg, len(D.AGES))),
                                np.broadcast_to(q, (steps, n_reg) + q.shape),
                                np.broadcast_to(mig, (steps,) + mig.shape),
                                ssb.MALE_SHARE_AT_BIRTH)
    codes = tuple(f"{c}{i:02d}" for i, c in enumerate(county_codes))
    regions = D.Regions(codes, codes, county_codes, {})
    return ssb.PopulationHistory(np.arange(2000, 2000 + n_years), regions, pop), q, fert, mig


def test_estimation_recovers_the_rates_of_the_kernel():
    hist, q, fert, mig = _synthetic()
    f_hat, m_hat = ssb.estimate_population_rates(hist, 2000, 2005, q)
    np.testing.assert_allclose(f_hat, np.broadcast_to(fert, f_hat.shape), rtol=1e-9, atol=1e-12)
    # ages 0..103 exactly; 104 and 105+ share one pooled rate of the open group
    np.testing.assert_allclose(m_hat[..., :104], mig[..., :104], atol=1e-9)


def test_small_region_is_shrunk_toward_its_county():
    extra = np.zeros((3, 2, len(D.AGES)))
    extra[2, :, 60:80] = 0.05  # the tiny region gains 5 % a year at ages 60-79
    hist, q, _, mig = _synthetic(pop_scale=(5000.0, 5000.0, 30.0), county_codes=("01", "01", "01"),
                                 extra_migration=extra)
    raw = ssb.estimate_population_rates(hist, 2000, 2005, q, ssb.Shrinkage(k_migration=0.0, age_halfwidth=0))[1]
    np.testing.assert_allclose(raw[..., :104], mig[..., :104], atol=1e-9)
    shrunk = ssb.estimate_population_rates(hist, 2000, 2005, q, ssb.Shrinkage(k_migration=300.0))[1]
    ages = slice(62, 78)
    gap_raw = raw[2, :, ages] - raw[0, :, ages]
    gap_shrunk = shrunk[2, :, ages] - shrunk[0, :, ages]
    assert (gap_shrunk < 0.6 * gap_raw).all()  # pulled toward the county ...
    assert (gap_shrunk > 0.1 * gap_raw).all()  # ... not erased


def test_merged_regions_share_rates_and_rates_are_clipped():
    hist, q, _, _ = _synthetic(pop_scale=(2000.0, 2000.0, 10.0))
    pop = hist.population.copy()
    pop[-1, 2] *= 50.0  # absurd growth of the tiny region in the last year
    pair = (hist.regions.codes[0], hist.regions.codes[1])
    merged = ssb.PopulationHistory(hist.years, hist.regions, pop, merged=(pair,))
    f_hat, m_hat = ssb.estimate_population_rates(merged, 2000, 2005, q, ssb.Shrinkage(k_migration=0.0, k_fertility=0.0))
    np.testing.assert_array_equal(m_hat[0], m_hat[1])
    np.testing.assert_array_equal(f_hat[0], f_hat[1])
    assert m_hat.max() == PARAMETERS["net_migration"].hi and f_hat.max() == PARAMETERS["fertility"].hi


def test_full_projection_on_real_population(tmp_path):
    """Real 2015-2024 population -> full dataset (supply and demand too) -> projection to 2035."""
    if not SSB_DIR.is_dir():
        pytest.skip(f"{SSB_DIR} not found")
    import helsemod_py as hm
    from helsemod_py.data.ssb import dataset_from_ssb

    ds = dataset_from_ssb(SSB_DIR / "population_kommune_age_sex_2015_2024.csv", SSB_DIR / "kommuner_2024.csv")
    assert ds.name == "ssb" and ds.base_year == 2024 and len(ds.regions) == 357
    assert ds["population"].sum() == 5_550_203
    res = hm.project(ds, end_year=2035)
    for var in ("population", "supply_fte", "demand_fte"):
        arr = res.data[var].values
        assert np.isfinite(arr).all() and (arr >= 0).all(), var
    nat = res.aggregate("nation")
    assert 5.5e6 < float(nat.population.sel(year=2035).sum()) < 6.5e6
    oslo = res.gap.sel(region="0301", year=2024).sum()
    assert float(oslo) < 0  # vacancies are spread over every region
    # the dataset round-trips through its folder format
    ds.save(tmp_path / "norway")
    assert hm.load_dataset(tmp_path / "norway").hash == ds.hash
