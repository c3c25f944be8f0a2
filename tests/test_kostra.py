"""KOSTRA care panel: importer, user rates with shrinkage, calibration, and the demand backtest."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helsemod_py import dims as D
from helsemod_py.data import kostra as KO
from helsemod_py.data import ssb
from helsemod_py.data.dataset import Dataset
from helsemod_py.errors import ImportDataError

from helpers import make_arrays

ROOT = Path(__file__).parents[1]
SSB_DIR = ROOT / ".." / "shared" / "data" / "ssb"
PANEL_FILE = "kostra_care_panel_2015_2023.csv"
CODES = ("1101", "1103", "1106", "1505", "1506")  # real 2024 codes, Rogaland and Møre og Romsdal


# --- small files ---------------------------------------------------------------------------
def _panel(codes=CODES, years=(2018, 2019)) -> pd.DataFrame:
    """A small valid panel as text, like SSB's file."""
    rows = []
    for y in years:
        for i, code in enumerate(codes):
            f = i + 1
            home = (20 * f, 12 * f, 30 * f)
            inst = (1 * f, 3 * f, 12 * f)
            rows.append({
                KO.CODE: code, KO.YEAR: y, KO.HIST: code, "Y_4_ialt": 3.5,
                "folk_0_66": 2000 * f, "folk_67_79": 300 * f, "folk_80p": 100 * f, "folk_ialt": 2400 * f,
                "Y_1_a_ialt": sum(home), "Y_1_a_0_66": home[0], "Y_1_a_67_79": home[1], "Y_1_a_80p": home[2],
                "Y_2_ialt": 4 * f, "Y_3_a_ialt": sum(inst), "Y_3_a_0_66": inst[0], "Y_3_a_67_79": inst[1],
                "Y_3_a_80p": inst[2], "Y_5_ialt": 10.5 * f,
            })
    return pd.DataFrame(rows).astype(str)


def _write(tmp_path, frame: pd.DataFrame, name: str = "kostra.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _problem(path, **kwargs) -> str:
    with pytest.raises(ImportDataError) as info:
        KO.read_kostra(path, **kwargs)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


def test_small_file_is_read(tmp_path):
    panel = KO.read_kostra(_write(tmp_path, _panel()), regions=CODES, years=(2018, 2019))
    assert len(panel) == 10 and panel["region"].tolist()[:5] == list(CODES)
    row = panel[(panel.region == "1103") & (panel.year == 2019)].iloc[0]
    assert row["Y_1_a_80p"] == 60.0 and row["Y_5_ialt"] == 21.0 and row["covers"] == "1103"
    assert panel.attrs["file"] == "kostra.csv"


@pytest.mark.parametrize("symbol", ["", ".", ":", "..", "..."])
def test_suppressed_cells_are_missing(tmp_path, symbol):
    frame = _panel()
    frame.loc[0, "Y_1_a_67_79"] = symbol
    frame.loc[1, "Y_2_ialt"] = symbol
    frame.loc[2, "Y_5_ialt"] = "-"  # SSB's nil
    panel = KO.read_kostra(_write(tmp_path, frame))
    assert np.isnan(panel.loc[0, "Y_1_a_67_79"]) and np.isnan(panel.loc[1, "Y_2_ialt"])
    assert panel.loc[2, "Y_5_ialt"] == 0.0


def test_missing_file_and_column(tmp_path):
    assert "file not found" in _problem(tmp_path / "nope.csv")
    line = _problem(_write(tmp_path, _panel().drop(columns="Y_5_ialt")))
    assert line.startswith("kostra.csv: missing column 'Y_5_ialt'")


def test_malformed_values(tmp_path):
    frame = _panel()
    frame.loc[3, "Y_3_a_80p"] = "12,5"
    assert _problem(_write(tmp_path, frame)).startswith(
        "kostra.csv: row 5: column 'Y_3_a_80p': '12,5' is not a number")
    frame = _panel()
    frame.loc[0, "Y_1_a_ialt"] = "-3"
    assert _problem(_write(tmp_path, frame)) == "kostra.csv: row 2: column 'Y_1_a_ialt': '-3' is negative"
    frame = _panel()
    frame.loc[4, "folk_80p"] = ":"
    assert _problem(_write(tmp_path, frame)).startswith(
        "kostra.csv: row 6: column 'folk_80p': population is missing (':')")
    frame = _panel()
    frame.loc[1, KO.YEAR] = "2019.5"
    assert _problem(_write(tmp_path, frame)) == "kostra.csv: row 3: column 'år': '2019.5' is not a year"
    frame = _panel()
    frame.loc[1, KO.CODE] = "110"
    assert _problem(_write(tmp_path, frame)) == (
        "kostra.csv: row 3: column 'kommunenr_2024': '110' is not a 4-digit municipality code")


def test_duplicate_rows(tmp_path):
    frame = pd.concat([_panel(), _panel().iloc[[2]]], ignore_index=True)
    assert _problem(_write(tmp_path, frame)) == (
        "kostra.csv: rows 4 and 12: duplicate row for kommunenr_2024='1106', år=2018")


def test_unknown_and_retired_codes(tmp_path):
    frame = _panel(codes=CODES + ("9999",))
    assert _problem(_write(tmp_path, frame), regions=CODES) == (
        "kostra.csv: row 7: column 'kommunenr_2024': unknown code '9999' (not among the 5 2024 municipality "
        "codes given)")
    frame = _panel(codes=("3001",) + CODES)
    assert _problem(_write(tmp_path, frame)) == (
        "kostra.csv: row 2: column 'kommunenr_2024': code '3001' is not a 2024 code: Halden was replaced on "
        "1 January 2024 (2024 code: 3101 Halden)")


def test_file_for_the_wrong_years(tmp_path):
    path = _write(tmp_path, _panel(years=(2005, 2006)))
    with pytest.raises(ImportDataError) as info:
        KO.read_kostra(path, years=range(2018, 2020))
    lines = info.value.problems
    assert lines == [
        "kostra.csv: row 2: column 'år': year 2005 is outside the expected years 2018-2019 (5 rows; the file "
        "is for 2005-2006)",
        "kostra.csv: row 7: column 'år': year 2006 is outside the expected years 2018-2019 (5 rows; the file "
        "is for 2005-2006)",
        "kostra.csv: column 'år': no rows for year 2018 (expected 2018-2019)",
        "kostra.csv: column 'år': no rows for year 2019 (expected 2018-2019)",
    ]
    assert _problem(_write(tmp_path, _panel(years=(2018,))), years=(2018, 2019)) == (
        "kostra.csv: column 'år': no rows for year 2019 (expected 2018-2019)")


def test_history_column_is_checked_against_the_table(tmp_path):
    frame = _panel(codes=("1103", "1506"), years=(2019,))
    frame.loc[0, KO.HIST] = "1103+1141+1142"  # Stavanger, Finnøy, Rennesøy: fine
    frame.loc[1, KO.HIST] = "1502+1534"  # Haram did not join Molde
    assert _problem(_write(tmp_path, frame)) == (
        "kostra.csv: row 3: column 'kommunenr_hist_kilder': '1534' (a code of 2019, in '1502+1534') leads to 1580 "
        "in 2024, not to '1506', under the correspondence table (helsemod_py.data.regions)")
    frame.loc[1, KO.HIST] = "1502;1543"
    assert _problem(_write(tmp_path, frame)) == (
        "kostra.csv: row 3: column 'kommunenr_hist_kilder': '1502;1543' is not a list of 4-digit codes joined by '+'")
    frame = _panel(codes=("1508",), years=(2022,))
    frame.loc[0, KO.HIST] = "1507"
    panel = KO.read_kostra(_write(tmp_path, frame))
    assert panel.loc[0, "covers"] == "1508+1580"


# --- age groups and rates ----------------------------------------------------------------------
def test_suppressed_age_groups_are_derived_from_the_total(tmp_path):
    frame = _panel(years=(2019,))
    frame.loc[0, "Y_1_a_67_79"] = ""  # one group missing: the residual
    frame.loc[1, ["Y_3_a_0_66", "Y_3_a_67_79"]] = ""  # two missing: shared by county rates
    frame.loc[2, "Y_2_ialt"] = ":"  # 24-hour housing imputed at the county level
    panel = KO.read_kostra(_write(tmp_path, frame))
    users = KO.service_users(panel)
    assert users["home_care"][0].tolist() == [20.0, 12.0, 30.0]
    assert users["home_care_derived"][0].tolist() == [False, True, False]
    inst_part = users["nursing_home"][1] - 8 * np.array([2, 6, 24]) / 32  # Y_2 spread like Y_3
    assert inst_part.sum() == pytest.approx(32.0) and inst_part[2] == pytest.approx(24.0)
    assert users["nursing_home"][2].sum() > 3 * 16  # Y_3 plus an imputed Y_2
    assert users["nursing_home_derived"][2].all()


def _shrink_panel(tmp_path, small_80: int) -> pd.DataFrame:
    frame = _panel(codes=("1101", "1103", "1106"), years=(2018, 2019))
    big = frame[KO.CODE].isin(["1101", "1103"])
    frame.loc[big, ["folk_0_66", "folk_67_79", "folk_80p"]] = ["20000", "3000", "1000"]
    frame.loc[big, ["Y_1_a_0_66", "Y_1_a_67_79", "Y_1_a_80p", "Y_1_a_ialt"]] = ["200", "300", "300", "800"]
    small = ~big
    frame.loc[small, ["folk_0_66", "folk_67_79", "folk_80p"]] = ["150", "30", "10"]
    frame.loc[small, ["Y_1_a_0_66", "Y_1_a_67_79", "Y_1_a_80p"]] = ["1", "3", str(small_80)]
    frame.loc[small, "Y_1_a_ialt"] = str(4 + small_80)
    return KO.read_kostra(_write(tmp_path, frame))


def test_shrinkage_pulls_small_municipalities_toward_the_county(tmp_path):
    panel = _shrink_panel(tmp_path, small_80=6)  # 60 % of the small one's 80+ use home care, 30 % in the county
    rates = KO.estimate_user_rates(panel, (2018, 2019))["home_care"]
    raw, weight, county = rates.attrs["raw"], rates.attrs["weight"], rates.attrs["county"]
    assert raw.loc["1106", "80+"] == pytest.approx(0.6)
    county_80 = county.loc["11", "80+"]
    assert county_80 == pytest.approx(606 / 2010)
    shrunk = rates.loc["1106", "80+"]
    assert county_80 < shrunk < 0.6
    assert weight.loc["1106", "80+"] < 0.5 < weight.loc["1101", "80+"]
    # the credibility formula: (O + k) / (E + k) times the county rate
    expected = 10 * county_80
    assert shrunk == pytest.approx((6 + KO.K_CREDIBILITY) / (expected + KO.K_CREDIBILITY) * county_80)
    # the big municipalities barely move, k = 0 gives the raw rates, a huge k the county's
    assert abs(rates.loc["1101", "80+"] - 0.3) < 0.01
    assert KO.estimate_user_rates(panel, (2018, 2019), k=0)["home_care"].loc["1106", "80+"] == pytest.approx(0.6)
    assert KO.estimate_user_rates(panel, (2018, 2019), k=1e9)["home_care"].loc["1106", "80+"] == pytest.approx(
        county_80, rel=1e-6)


def test_rates_for_missing_municipalities_and_years(tmp_path):
    panel = _shrink_panel(tmp_path, small_80=6)
    rates = KO.estimate_user_rates(panel, (2019,), regions=["1101", "1106", "1108"])["nursing_home"]
    assert rates.attrs["from_county"] == ["1108"]
    assert rates.loc["1108"].tolist() == rates.attrs["county"].loc["11"].tolist()
    with pytest.raises(ImportDataError, match="no rows for years 2010-2011"):
        KO.estimate_user_rates(panel, (2010, 2011))


def test_one_year_rates_keep_shape_match_groups_and_stay_below_one():
    rng = np.random.default_rng(1)
    pop = rng.uniform(0, 50, size=(3, 2, len(D.AGES)))
    profile = np.broadcast_to(np.linspace(0.001, 0.6, len(D.AGES)), (3, 2, len(D.AGES))).copy()
    group_rates = np.array([[0.01, 0.1, 0.5], [0.02, 0.2, 0.9], [0.0, 0.05, 0.3]])
    out = KO.one_year_rates(profile, pop, group_rates)
    assert (out >= 0).all() and (out <= 1).all()
    for g, (lo, hi) in enumerate(KO.AGE_BOUNDS):
        ages = (D.AGES >= lo) & (D.AGES <= hi)
        users = (out[:, :, ages] * pop[:, :, ages]).sum(axis=(1, 2))
        np.testing.assert_allclose(users, group_rates[:, g] * pop[:, :, ages].sum(axis=(1, 2)), rtol=1e-9)
    ages = (D.AGES >= 67) & (D.AGES <= 79)  # uncapped: the shape is kept exactly
    ratio = out[0][:, ages] / profile[0][:, ages]
    np.testing.assert_allclose(ratio, ratio[0, 0])


# --- calibration on a small dataset --------------------------------------------------------------
def _dataset() -> Dataset:
    regions = D.Regions(CODES, tuple(f"K {c}" for c in CODES), tuple(c[:2] for c in CODES),
                        {"11": "Rogaland", "15": "Møre og Romsdal"})
    arrays = make_arrays(regions, np.random.default_rng(3))
    return Dataset(regions, 2019, arrays, {"sex_ratio_at_birth": 1.05, "workforce_migration_factor": 1.0,
                                           "workforce_local_migration_factor": 1.0},
                   name="small", version="1", meta={"synthetic": True, "parameters": {
                       "user_rate": {"source": "test profile", "synthetic": True},
                       "base_demand_fte": {"source": "test demand", "synthetic": True}}}).validate()


def _care_nurses(ds: Dataset, what: str) -> np.ndarray:
    """Base-year FTE of the nurse groups in municipal care per municipality: supply or demand."""
    import helsemod_py as hm

    p = hm.project(ds, end_year=ds.base_year + 1).data.sel(year=ds.base_year, group=list(D.NURSE_GROUPS))
    if what == "supply":
        return p["supply_fte"].sel(sector="care").sum("group").values
    return p["demand_fte"].where(p["service_sector"] == "care").sum(["group", "service"]).values


def test_calibrate_small_dataset(tmp_path):
    frame = _panel(codes=CODES[:4], years=(2018, 2019))  # 1506 has no rows: county values
    panel = KO.read_kostra(_write(tmp_path, frame))
    ds = _dataset()
    cal = KO.calibrate_dataset(ds, panel, 2019)
    assert isinstance(cal, Dataset) and not cal.problems()
    ur = cal["user_rate"]
    assert (ur >= 0).all() and (ur <= 1).all()
    # untouched services
    others = [i for i, s in enumerate(D.SERVICES) if s not in KO.SERVICES]
    np.testing.assert_array_equal(ur[:, others], ds["user_rate"][:, others])
    # home-care users per age group follow the KOSTRA rates (equal for all rows here)
    hc = D.SERVICES.index("home_care")
    rates = KO.estimate_user_rates(panel, (2018, 2019), regions=CODES)["home_care"]
    for g, (lo, hi) in enumerate(KO.AGE_BOUNDS):
        ages = (D.AGES >= lo) & (D.AGES <= hi)
        users = (cal["population"][:, :, ages] * ur[:, hc][:, :, ages]).sum(axis=(1, 2))
        np.testing.assert_allclose(users, rates.iloc[:, g].to_numpy() * cal["population"][:, :, ages].sum(axis=(1, 2)))
    # nurse supply in municipal care is KOSTRA's Y_5 (measured); demand adds the county's vacancies
    supply, demand = _care_nurses(cal, "supply"), _care_nurses(cal, "demand")
    y5 = panel[panel.year == 2019].set_index("region")["Y_5_ialt"]
    np.testing.assert_allclose(supply[:4], y5[list(CODES[:4])].to_numpy(), rtol=1e-9)
    assert supply[4] > 0 and (demand > supply).all()
    source = cal["supply_source"][:, D.SECTORS.index("care")][:, [D.GROUPS.index(g) for g in D.NURSE_GROUPS]]
    assert (source[:4] == 2).all() and (source[4] == 1).all()  # measured / estimated (county ratio)
    assert cal.meta["regional_supply"]["care_nurses_from_county_ratio"] == ["1506"]
    meta = cal.meta["parameters"]
    assert meta["user_rate"]["kostra"]["rates_from_county"] == ["1506"]
    assert "KOSTRA" in meta["user_rate"]["source"] and "test profile" in meta["user_rate"]["source"]
    assert "Y_5" in meta["stock"]["source"] and meta["stock"]["synthetic"] is False
    assert cal.meta["calibration"]["kostra"]["rate_years"] == [2018, 2019]
    assert ds.meta["parameters"]["user_rate"]["source"] == "test profile"  # the input is left alone
    cal.save(tmp_path / "calibrated")  # metadata is plain YAML
    assert Dataset.load(tmp_path / "calibrated").hash == cal.hash


def test_calibration_needs_real_codes_and_the_year(tmp_path, small_dataset):
    panel = KO.read_kostra(_write(tmp_path, _panel()))
    with pytest.raises(ImportDataError) as info:
        KO.calibrate_dataset(small_dataset.subset(["0101"]), panel, 2019)
    assert info.value.problems == [
        "kostra.csv: column 'region': none of the dataset's 1 region codes (e.g. '0101') is in the KOSTRA "
        "panel; calibration needs real 2024 municipality codes"]
    with pytest.raises(ImportDataError, match="no rows for year 2023"):
        KO.calibrate_dataset(_dataset(), panel, 2023)


def test_measured_nurses_beyond_the_national_facts_are_refused(tmp_path):
    """Y_5 larger than the facts' national nurse FTE is one line naming the file, not a negative stock."""
    frame = _panel(codes=CODES[:4], years=(2018, 2019))
    frame["Y_5_ialt"] = "50000"
    panel = KO.read_kostra(_write(tmp_path, frame))
    with pytest.raises(ImportDataError) as info:
        KO.calibrate_dataset(_dataset(), panel, 2019)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("kostra.csv: measured nurse FTE in municipal care (2")
    assert "exceed 95% of the nurse groups' national FTE" in info.value.problems[0]


# --- real data -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ssb_dir() -> Path:
    if not (SSB_DIR / PANEL_FILE).is_file():
        pytest.skip(f"SSB data not found at {SSB_DIR.resolve()}")
    return SSB_DIR


@pytest.fixture(scope="module")
def real(ssb_dir):
    regions = ssb.read_municipalities(ssb_dir / "kommuner_2024.csv")
    history = ssb.read_population(ssb_dir / "population_kommune_age_sex_2015_2024.csv", regions)
    panel = KO.read_kostra(ssb_dir / PANEL_FILE, regions, years=range(2015, 2024))
    return regions, history, panel


@pytest.mark.realdata
def test_real_panel(real):
    _, _, panel = real
    assert len(panel) == 3184
    assert panel.groupby("year").size().tolist() == [352] * 5 + [356] * 4
    assert (panel.loc[panel.year >= 2020, "covers"] == "1508+1580").sum() == 4
    with pytest.raises(ImportDataError) as info:
        KO.read_kostra(SSB_DIR / PANEL_FILE, years=range(2005, 2015))
    assert all(line.startswith(f"{PANEL_FILE}: ") and "'år'" in line for line in info.value.problems)


@pytest.mark.realdata
def test_real_calibration_2019(real):
    regions, history, panel = real
    bt = _load_backtest()
    ds = bt.base_dataset(history, 2015, 2019)
    cal = KO.calibrate_dataset(ds, panel, 2019, rate_years=range(2015, 2020))
    assert not cal.problems()
    ur = cal["user_rate"]
    assert (ur >= 0).all() and (ur <= 1).all()
    meta = cal.meta["parameters"]
    missing = ["1806", "1875", "5055", "5056", "5059"]  # no KOSTRA rows 2015-2019 (README quirks)
    assert meta["user_rate"]["kostra"]["rates_from_county"] == missing
    assert cal.meta["regional_supply"]["care_nurses_from_county_ratio"] == missing
    nurses = pd.Series(_care_nurses(cal, "supply"), index=regions.codes)
    y5 = panel[panel.year == 2019].set_index("region")["Y_5_ialt"]
    np.testing.assert_allclose(nurses[y5.index], y5, rtol=1e-9)
    assert (nurses[missing] > 0).all()


@pytest.mark.realdata
def test_real_calibration_2023_shares_alesund_haram(real):
    regions, history, panel = real
    part = ssb.population_dataset_part(history, 2023, 2019, 2023)
    from helsemod_py.data.default import dataset_from_population

    ds = dataset_from_population(regions, part, 2023, name="t", version="1")
    cal = KO.calibrate_dataset(ds, panel, 2023)
    assert cal.meta["parameters"]["user_rate"]["kostra"]["shared_units"] == {"1508": "1508+1580", "1580": "1508+1580"}
    nurses = _care_nurses(cal, "supply")
    i, j = regions.codes.index("1508"), regions.codes.index("1580")
    y5 = panel[(panel.year == 2023) & (panel.region == "1508")]["Y_5_ialt"].iloc[0]
    assert nurses[i] + nurses[j] == pytest.approx(y5)
    assert 0 < nurses[j] < nurses[i]


def _load_backtest():
    spec = importlib.util.spec_from_file_location("backtest_demand", ROOT / "benchmarks" / "backtest_demand.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.realdata
def test_demand_backtest_runs_and_reports_consistent_numbers(real):
    _, history, panel = real
    bt = _load_backtest()
    errors = bt.backtest(history, panel)
    assert np.isfinite(errors[["base", "actual", "predicted", "ape"]].to_numpy()).all()
    assert set(errors.method) == set(bt.METHODS) and set(errors.measure) == set(bt.MEASURES)
    summary = bt.summarise(errors)
    for (measure, level, method), row in summary.iterrows():
        sel = errors[(errors.measure == measure) & (errors.level == level) & (errors.method == method)]
        ape = 100 * np.abs(sel.predicted - sel.actual) / sel.actual
        assert row["n"] == len(sel) and row["mean"] == pytest.approx(ape.mean())
        assert row["median"] == pytest.approx(ape.median()) and row["worst"] == pytest.approx(ape.max())
    for measure in bt.MEASURES:
        m = errors[errors.measure == measure]
        same = m[m.method == "no change"]
        np.testing.assert_array_equal(same.predicted, same.base)
        for method in bt.METHODS:  # county and nation sum the municipalities kept
            by_level = m[m.method == method].groupby("level")[["actual", "predicted"]].sum()
            np.testing.assert_allclose(by_level.loc["county"], by_level.loc["municipality"])
            np.testing.assert_allclose(by_level.loc["nation"], by_level.loc["municipality"])
    assert summary.loc[("nurse FTEs", "county", "no change"), "n"] == 15
    assert summary.loc[("home care users", "municipality", "no change"), "n"] >= 340
    text = bt.markdown(summary, errors, KO.K_CREDIBILITY, None, "python benchmarks/backtest_demand.py")
    row = summary.loc[("home care users", "county", "model, real population")]
    assert f"| home care users | county | model, real population | 15 | {row['mean']:.2f} |" in text
    for verdict in bt.verdicts(summary).values():
        assert verdict in text
    # the default coverage trend is the one the backtest scores best, and the trends change the projection
    from helsemod_py import trends as TR

    modes, best = bt.trend_modes(summary)
    assert best == TR.DEFAULT_COVERAGE_TREND
    assert f"The default `{TR.DEFAULT_COVERAGE_TREND}`" in text and "is the assumption with the lowest sum" in text
    nh = errors[(errors.measure == "24-hour care residents") & (errors.level == "nation")].set_index("method")
    assert nh.loc["model, trend none", "predicted"] > nh.loc["model, real population", "predicted"] > nh.loc[
        "model, trend constant", "predicted"]


def test_calibrate_from_file_takes_the_last_year_up_to_the_base_year(tmp_path):
    path = _write(tmp_path, _panel(years=(2017, 2018)))
    cal = KO.calibrate_from_file(_dataset(), path)
    assert cal.meta["calibration"]["kostra"]["fte_year"] == 2018
    assert cal.meta["calibration"]["kostra"]["rate_years"] == [2017, 2018]
    bad = _panel()
    bad.loc[0, "Y_5_ialt"] = "n/a"
    with pytest.raises(ImportDataError, match="'n/a' is not a number"):
        KO.calibrate_from_file(_dataset(), _write(tmp_path, bad, "bad.csv"))


def test_real_build_keeps_national_facts_and_makes_base_year_gaps_regional():
    """After calibration each group's national FTE and vacancies are the facts'; the base-year
    nurse gap in municipal care differs by county (NAV's county pattern), not one uniform share."""
    SSB = SSB_DIR
    if not (SSB / PANEL_FILE).is_file():
        pytest.skip(f"SSB data not found at {SSB}")
    import helsemod_py as hm
    from helsemod_py.data.default import load_facts, national_supply
    from helsemod_py.data.ssb import dataset_from_ssb

    ds = dataset_from_ssb(SSB / "population_kommune_age_sex_2015_2024.csv", SSB / "kommuner_2024.csv")
    cal = KO.calibrate_from_file(ds, SSB / "kostra_care_panel_2015_2023.csv")
    after = hm.project(cal, end_year=2025)
    facts = load_facts()
    nat = national_supply(facts)
    for group in ("nurse", "specialist_nurse", "health_worker"):
        g = D.GROUPS.index(group)
        supply = float(after.supply_fte.sel(year=2024, group=group).sum())
        assert supply == pytest.approx(nat.fte()[g], rel=1e-6)
        gap = float(after.gap.sel(year=2024, group=group).sum())
        assert gap == pytest.approx(-facts["vacancies"]["values"][group], rel=1e-6)
    county = after.aggregate("county")
    nurses = list(D.NURSE_GROUPS)
    gap = county.gap.sel(year=2024, sector="care", group=nurses).sum("group")
    dem = county.demand_fte.sel(year=2024, group=nurses).where(county.data["service_sector"] == "care").sum(
        ["group", "service"])
    rel = (gap / dem).to_series()
    assert rel.max() - rel.min() > 0.04  # e.g. Finnmark and Østfold far shorter than Oslo
    assert rel["56"] < rel["03"]


# --- coverage trends ------------------------------------------------------------------------------
TREND_YEARS = (2015, 2016, 2017, 2018, 2019)


def _trend_panel(tmp_path, trends: dict[str, float], years=TREND_YEARS, noise: int | None = None) -> pd.DataFrame:
    """A panel whose users change by exp(beta (year - 2017)) per municipality, from ``trends``
    (code -> beta of every group and service); exact counts unless ``noise`` seeds Poisson draws."""
    rng = np.random.default_rng(noise) if noise is not None else None
    rows = []
    for y in years:
        for i, (code, beta) in enumerate(trends.items()):
            f = 1 + i
            pop = np.array([20000, 3000, 1000]) * f
            factor = np.exp(beta * (y - 2017))
            home = pop * np.array([0.02, 0.1, 0.3]) * factor
            inst = pop * np.array([0.001, 0.02, 0.15]) * factor
            if rng is not None:
                home, inst = rng.poisson(home).astype(float), rng.poisson(inst).astype(float)
            rows.append({
                KO.CODE: code, KO.YEAR: y, KO.HIST: code, "folk_0_66": pop[0], "folk_67_79": pop[1], "folk_80p": pop[2],
                "Y_1_a_ialt": home.sum(), "Y_1_a_0_66": home[0], "Y_1_a_67_79": home[1], "Y_1_a_80p": home[2],
                "Y_2_ialt": 0, "Y_3_a_ialt": inst.sum(), "Y_3_a_0_66": inst[0], "Y_3_a_67_79": inst[1],
                "Y_3_a_80p": inst[2], "Y_5_ialt": 10.5 * f,
            })
    return KO.read_kostra(_write(tmp_path, pd.DataFrame(rows).astype(str), "trend.csv"))


def test_coverage_trends_recover_a_common_trend(tmp_path):
    panel = _trend_panel(tmp_path, {c: -0.03 for c in CODES})
    trends = KO.estimate_coverage_trends(panel, TREND_YEARS, regions=list(CODES) + ["1108"])
    for service, frame in trends.items():
        np.testing.assert_allclose(frame.to_numpy(), -0.03, atol=1e-6)  # 1108 has no rows: its county's
        np.testing.assert_allclose(frame.attrs["national"], -0.03, atol=1e-6)
        assert frame.attrs["years"] == list(TREND_YEARS)
    assert set(trends["nursing_home"].attrs["tau2"]) == {"0-66, 67-79", "80+"}  # 24-hour care 0-79 is one group
    with pytest.raises(ImportDataError, match="at least 3 years"):
        KO.estimate_coverage_trends(panel, (2018, 2019))


def test_coverage_trends_shrink_toward_county_and_nation(tmp_path):
    betas = {"1101": -0.06, "1103": -0.02, "1106": -0.04, "1505": 0.02, "1506": 0.0}
    panel = _trend_panel(tmp_path, betas, noise=1)
    full = KO.estimate_coverage_trends(panel, TREND_YEARS, credibility=(1.0, 1.0))["home_care"]
    county = KO.estimate_coverage_trends(panel, TREND_YEARS, credibility=(1.0, 0.0))["home_care"]
    nation = KO.estimate_coverage_trends(panel, TREND_YEARS, credibility=(0.0, 0.0))["home_care"]
    nat = full.attrs["national"]["80+"]
    assert -0.04 < nat < 0.0 and np.isfinite(full.attrs["se"].loc["1101", "80+"])
    np.testing.assert_allclose(nation["80+"], nat)  # complete pooling: the nation's trend
    shrunk_c = county.attrs["county"]["80+"]
    for code in betas:  # municipalities take their county's (shrunk toward the nation)
        assert county.loc[code, "80+"] == pytest.approx(shrunk_c[code[:2]])
    raw_c = full.attrs["county_raw"]["80+"]
    for c in ("11", "15"):  # a county's trend lies between the nation's and its own
        assert min(nat, raw_c[c]) - 1e-12 <= shrunk_c[c] <= max(nat, raw_c[c]) + 1e-12
    raw = full.attrs["raw"]["80+"]
    assert raw["1101"] == pytest.approx(-0.06, abs=0.01)  # the big ones follow their own data
    for code in betas:
        c = shrunk_c[code[:2]]
        assert min(c, raw[code]) - 1e-12 <= full.loc[code, "80+"] <= max(c, raw[code]) + 1e-12
    assert (full.attrs["weight"]["80+"] > 0).all() and (county.attrs["weight"]["80+"] == 0).all()


def test_trend_units_join_codes_that_share_a_row():
    from helsemod_py.data.kostra_estimate import _trend_units

    units = _trend_units([["1508"], ["1580"], ["1508", "1580"], ["1101"]])
    assert units == {"1508": "1508+1580", "1580": "1508+1580", "1101": "1101"}


def test_coverage_trend_array_and_dataset(tmp_path):
    ds = _dataset()
    panel = _trend_panel(tmp_path, {c: -0.02 + 0.01 * i for i, c in enumerate(CODES)}, noise=2)
    trends = KO.estimate_coverage_trends(panel, TREND_YEARS, regions=ds.regions.codes)
    arr = KO.coverage_trend_array(trends, ds.regions.codes)
    hc, nh = D.SERVICES.index("home_care"), D.SERVICES.index("nursing_home")
    a80, a70, a10 = (np.flatnonzero(D.AGES == a)[0] for a in (85, 70, 10))
    assert arr[2, hc, a80] == trends["home_care"].loc[CODES[2], "80+"]
    assert arr[2, nh, a70] == trends["nursing_home"].loc[CODES[2], "67-79"] == arr[2, nh, a10]
    others = [k for k in range(len(D.SERVICES)) if k not in (hc, nh)]
    assert not arr[:, others].any()
    out = KO.add_coverage_trends(ds, panel)  # every panel year up to the base year 2019
    np.testing.assert_array_equal(out["coverage_trend"], arr)
    info = out.meta["parameters"]["coverage_trend"]
    assert "KOSTRA" in info["source"] and info["kostra"]["years"] == list(TREND_YEARS)
    assert info["kostra"]["credibility"] == list(KO.TREND_CREDIBILITY) and not info["kostra"]["standardised"]
    assert not ds["coverage_trend"].any()  # the input is left alone
    back = Dataset.load(out.save(tmp_path / "with_trend"))  # the folder carries trend and sources
    np.testing.assert_array_equal(back["coverage_trend"], arr)
    assert back.meta["parameters"]["coverage_trend"]["kostra"]["tau2"] == info["kostra"]["tau2"]


def test_calibrate_from_file_adds_trends_given_three_years(tmp_path):
    path = _write(tmp_path, _panel(years=(2017, 2018, 2019)))
    cal = KO.calibrate_from_file(_dataset(), path)
    assert cal.meta["parameters"]["coverage_trend"]["kostra"]["years"] == [2017, 2018, 2019]
    short = KO.calibrate_from_file(_dataset(), _write(tmp_path, _panel(years=(2018, 2019)), "short.csv"))
    assert short.meta["parameters"]["coverage_trend"]["source"].startswith("none: the KOSTRA panel has 2 year(s)")
    assert not short["coverage_trend"].any()


@pytest.mark.realdata
def test_real_coverage_trends(real):
    regions, history, panel = real
    bt = _load_backtest()
    ds = bt.base_dataset(history, 2015, 2019)
    out = KO.add_coverage_trends(ds, panel, years=range(2015, 2020), history=history.between(2015, 2019))
    info = out.meta["parameters"]["coverage_trend"]["kostra"]
    assert info["standardised"] and info["years"] == [2015, 2016, 2017, 2018, 2019]
    nat = info["national"]
    # the published direction (KOSTRA): home care and 24-hour care of the 80+ fell, home care 0-66 rose
    assert nat["home_care"]["80+"] < -0.005 and nat["nursing_home"]["80+"] < -0.005
    assert nat["home_care"]["0-66"] > 0.01
    arr = out["coverage_trend"]
    assert np.abs(arr).max() <= 0.2 and arr[:, D.SERVICES.index("home_care")].std() > 0
    # with the default credibility every municipality has its county's trend
    hc = arr[:, D.SERVICES.index("home_care"), -1]
    county = np.array(regions.county_codes)
    for c in set(county):
        assert np.ptp(hc[county == c]) == 0
    # standardising for ageing within the age groups changes the 80+ trend
    plain = KO.add_coverage_trends(ds, panel, years=range(2015, 2020))
    assert plain.meta["parameters"]["coverage_trend"]["kostra"]["national"]["nursing_home"]["80+"] != pytest.approx(
        nat["nursing_home"]["80+"], abs=1e-4)


@pytest.mark.realdata
def test_holdouts_never_see_a_scored_year_and_agree_with_the_constants(real):
    _, history, panel = real
    bt = _load_backtest()
    scored = 2023
    assert all(test < scored and max(fit) <= 2019 for fit, test in bt.K_SPLITS)
    assert max(bt.TREND_ORIGINS) < bt.TREND_LAST <= 2019
    holdout = bt.choose_damping(panel, history)
    assert holdout["year"].max() <= 2019 and holdout["origin"].max() <= 2018
    _, (phi, cred) = bt.damping_table(holdout)
    from helsemod_py import trends as TR

    assert phi == pytest.approx(TR.COVERAGE_DAMPING)
    assert cred == f"{KO.TREND_CREDIBILITY[0]:g}/{KO.TREND_CREDIBILITY[1]:g}"
    k_table = bt.choose_k(panel)
    assert k_table.sum(axis=1).idxmin() == KO.K_CREDIBILITY


def test_staff_table_cells_are_measured_supply(tmp_path):
    """Cells of an imported staff table (SSB 11924/14534/11996) become the measured base-year supply;
    each group's national total stays the facts', so its unmeasured cells make room."""
    import helsemod_py as hm
    from helsemod_py.data.default import load_facts, national_supply
    from helsemod_py.data.staff import read_staff_table

    panel = KO.read_kostra(_write(tmp_path, _panel(codes=CODES[:4], years=(2018, 2019))))
    rows = pd.DataFrame({"level": "municipality", "region": ["1101", "1103", "1106", "1101"],
                         "year": [2019, 2019, 2019, 2017], "sector": ["care", "care", "primary", "care"],
                         "group": ["health_worker", "health_worker", "gp", "health_worker"],
                         "fte": [41.5, 88.0, 7.25, 1.0], "table": ["11924", "11924", "11996", "11924"]})
    rows.to_csv(tmp_path / "staff.csv", index=False)
    staff = read_staff_table(tmp_path / "staff.csv")
    cal = KO.calibrate_dataset(_dataset(), panel, 2019, staff=staff)
    p = hm.project(cal, end_year=2020).data.sel(year=2019)
    sup = p["supply_fte"]
    assert float(sup.sel(region="1101", sector="care", group="health_worker")) == pytest.approx(41.5)  # 2019, not 2017
    assert float(sup.sel(region="1103", sector="care", group="health_worker")) == pytest.approx(88.0)
    assert float(sup.sel(region="1106", sector="primary", group="gp")) == pytest.approx(7.25)
    src = cal["supply_source"]
    q, g = D.SECTORS.index("care"), D.GROUPS.index("health_worker")
    assert src[0, q, g] == src[1, q, g] == 2 and src[2, q, g] == 1
    nat = national_supply(load_facts())
    assert float(sup.sel(group="health_worker").sum()) == pytest.approx(nat.fte()[g], rel=1e-9)
    assert any("staff table staff.csv 2019" in s for s in cal.meta["regional_supply"]["sources"])
    late = staff[staff["year"] > 2018]
    late.attrs["file"] = "staff.csv"
    with pytest.raises(ImportDataError, match="staff.csv: column 'year': no rows for 2018 or earlier"):
        from helsemod_py.data.regional import Measured, with_staff

        with_staff(Measured(), late, 2018)
