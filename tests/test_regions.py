"""Region harmonisation: the project's correspondence table and ``harmonise``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helsemod_py.data import regions as RG
from helsemod_py.errors import ImportDataError

SSB_DIR = Path(__file__).parents[1] / ".." / "shared" / "data" / "ssb"
SPLIT_COUNTIES = ("31", "32", "33", "39", "40", "55", "56")


# --- known cases ------------------------------------------------------------------------
def test_alesund_splits_into_alesund_and_haram_in_2024():
    assert RG.targets("1507", 2023) == pytest.approx({"1508": 1 - RG.HARAM_SHARE, "1580": RG.HARAM_SHARE})
    assert RG.targets("1507", 2020) == RG.targets("1507", 2023)
    # earlier data go back to their own unit whole: Haram (1534) and old Ålesund's parts
    assert RG.targets("1534", 2019) == {"1580": 1.0}
    for code in ("1504", "1523", "1529", "1546"):
        assert RG.targets(code, 2019) == {"1508": 1.0}, code
    # the 2024 codes themselves are untouched
    assert RG.targets("1508", 2024) == {"1508": 1.0} and RG.targets("1580", 2015) == {"1580": 1.0}


def test_weights_replace_documented_shares_of_whole_unit_splits():
    assert RG.targets("1507", 2022, weights={"1508": 3.0, "1580": 1.0}) == pytest.approx({"1508": 0.75, "1580": 0.25})
    # weights do not apply to border splits (Tysfjord), whose parts are not whole units
    assert RG.targets("1850", 2019, weights={"1806": 9.0, "1875": 1.0}) == pytest.approx({"1806": 0.5, "1875": 0.5})


@pytest.mark.parametrize("old, year, new", [
    ("3001", 2023, "3101"), ("3024", 2020, "3201"), ("3005", 2021, "3301"),  # Viken -> 31/32/33
    ("3801", 2022, "3901"), ("3807", 2020, "4003"),  # Vestfold og Telemark -> 39/40
    ("5401", 2023, "5501"), ("5444", 2020, "5605"),  # Troms og Finnmark -> 55/56
    ("0101", 2019, "3101"), ("0220", 2019, "3203"), ("0627", 2019, "3203"), ("0711", 2019, "3301"),
    ("0121", 2019, "3226"), ("0532", 2019, "3236"),  # moved between counties in 2020
    ("0720", 2016, "3907"), ("0728", 2017, "3909"),  # Vestfold 2017/2018 mergers
    ("1601", 2017, "5001"), ("1662", 2017, "5001"), ("5030", 2019, "5001"),  # Trøndelag 2018 and 2020
    ("1567", 2018, "5061"), ("1571", 2019, "5055"), ("1444", 2019, "1577"),
    ("1913", 2019, "5512"), ("1852", 2019, "5512"), ("2017", 2019, "5603"),
    ("1141", 2019, "1103"), ("1129", 2019, "1108"), ("0301", 2015, "0301"),
])
def test_known_recodes_and_merges(old, year, new):
    assert RG.targets(old, year) == {new: 1.0}


def test_county_reforms():
    assert RG.targets("30", 2023, "county").keys() == {"31", "32", "33"}
    assert RG.targets("38", 2020, "county").keys() == {"39", "40"}
    assert RG.targets("54", 2021, "county").keys() == {"55", "56"}
    for code in ("30", "38", "54"):
        assert sum(RG.targets(code, 2022, "county").values()) == pytest.approx(1.0)
    # 2019 counties go to their own 2024 county (and a small part where municipalities moved)
    assert RG.targets("01", 2019, "county") == pytest.approx({"31": 0.998, "32": 0.002})
    assert RG.targets("06", 2019, "county") == pytest.approx({"33": 0.889, "32": 0.111})  # Røyken, Hurum
    assert RG.targets("05", 2019, "county") == pytest.approx({"34": 0.916, "32": 0.084})  # Jevnaker, Lunner
    assert RG.targets("08", 2019, "county") == {"40": 1.0}
    assert RG.targets("19", 2019, "county") == {"55": 1.0} and RG.targets("20", 2019, "county") == {"56": 1.0}
    assert RG.targets("07", 2019, "county") == pytest.approx({"39": 0.974, "33": 0.026})
    assert RG.targets("16", 2017, "county") == {"50": 1.0}
    assert RG.targets("03", 2015, "county") == {"03": 1.0}


def test_every_historical_code_is_shared_out_completely():
    table = RG.correspondence()
    sums = table.groupby("code")["share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    assert set(table.loc[table.kind == "border", "code"]) == {"1850", "5012"}
    assert table.code.str.fullmatch(r"\d{4}").all() and table.code_2024.str.fullmatch(r"\d{4}").all()
    # no historical code survives into 2024
    assert not set(table.code_2024) & set(table.code)
    counties = RG.correspondence("county")
    np.testing.assert_allclose(counties.groupby("code")["share"].sum().to_numpy(), 1.0)


# --- harmonise ---------------------------------------------------------------------------
def _frame():
    return pd.DataFrame({
        "kommune": ["1507", "1534", "1504", "1523", "1102", "1129", "3001", "0301"],
        "year": [2022, 2019, 2019, 2019, 2019, 2019, 2021, 2021],
        "users": [100.0, 10.0, 50.0, 5.0, 30.0, np.nan, 7.0, 9.0],
        "fte": [10.0, 1.0, 4.0, 1.0, 3.0, 0.5, 1.0, 2.0],
    })


def test_harmonise_sums_merges_and_shares_splits():
    out = harm = RG.harmonise(_frame(), "kommune", "year").set_index(["kommune", "year"])
    assert out.loc[("1508", 2022), "users"] == pytest.approx(100 * (1 - RG.HARAM_SHARE))
    assert out.loc[("1580", 2022), "users"] == pytest.approx(100 * RG.HARAM_SHARE)
    assert out.loc[("1580", 2019), "users"] == 10.0
    assert out.loc[("1508", 2019), "users"] == 55.0  # Ålesund + Ørskog
    assert out.loc[("3101", 2021), "users"] == 7.0 and out.loc[("0301", 2021), "fte"] == 2.0
    # a sum with a suppressed part stays missing; other columns still sum
    assert np.isnan(out.loc[("1108", 2019), "users"]) and out.loc[("1108", 2019), "fte"] == 3.5
    assert harm["fte"].sum() == pytest.approx(_frame()["fte"].sum())
    assert list(RG.harmonise(_frame(), "kommune", "year").columns) == ["kommune", "year", "users", "fte"]


def test_harmonise_keeps_other_keys_and_counties():
    frame = pd.DataFrame({"fylke": ["30", "30", "02", "31"], "year": [2021, 2021, 2019, 2024],
                          "sex": ["m", "f", "m", "m"], "n": [100.0, 200.0, 5.0, 7.0]})
    out = RG.harmonise(frame, "fylke", "year", weights={"31": 1, "32": 1, "33": 2})
    got = out.set_index(["fylke", "year", "sex"])["n"]
    assert got[("33", 2021, "f")] == pytest.approx(100.0)
    assert got[("31", 2021, "m")] == pytest.approx(25.0)
    assert got[("32", 2019, "m")] == 5.0 and got[("31", 2024, "m")] == 7.0
    assert out["n"].sum() == pytest.approx(frame["n"].sum())


def _one_problem(*args, **kwargs) -> str:
    with pytest.raises(ImportDataError) as info:
        RG.harmonise(*args, **kwargs)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


def test_harmonise_errors_name_table_column_and_code():
    late = pd.DataFrame({"k": ["0301", "1507"], "y": [2024, 2024], "v": [1.0, 2.0]})
    assert _one_problem(late, "k", "y", table="users.csv") == (
        "users.csv: row 3: column 'k': code '1507' is used in 2024, but Ålesund was replaced on 1 January 2024 "
        "(2024 code: 1508 Ålesund, 1580 Haram)")
    unknown = pd.DataFrame({"k": ["0301", "9999"], "y": [2020, 2020], "v": [1.0, 2.0]})
    assert _one_problem(unknown, "k", "y", table="users.csv", known=["0301"]).startswith(
        "users.csv: row 3: column 'k': unknown code '9999'")
    mixed = pd.DataFrame({"k": ["0301", "03"], "y": [2020, 2020], "v": [1.0, 2.0]})
    assert "mixes county (2-digit) and municipality (4-digit) codes" in _one_problem(mixed, "k", "y")
    bad = pd.DataFrame({"k": ["301"], "y": [2020], "v": [1.0]})
    assert _one_problem(bad, "k", "y", table="t") == "t: row 2: column 'k': '301' is not a 2- or 4-digit code"
    assert "not supported" in _one_problem(unknown, "k", "y", target="2020")
    assert _one_problem(unknown, "kommune", "y", table="t") == "t: missing column 'kommune'"


# --- against SSB's files (read at test time, never copied) ---------------------------------
@pytest.fixture(scope="module")
def kommuner() -> pd.DataFrame:
    path = SSB_DIR / "kommuner_2024.csv"
    if not path.is_file():
        pytest.skip(f"SSB data not found at {SSB_DIR.resolve()}")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.realdata
def test_table_leads_only_to_real_2024_codes(kommuner):
    known = set(kommuner.kommune_nr)
    assert len(known) == 357
    assert set(RG.correspondence().code_2024) <= known
    assert not known & set(RG.correspondence().code)  # no 2024 code is listed as retired


@pytest.mark.realdata
def test_split_counties_codes_are_all_reached_one_to_one(kommuner):
    new = set(kommuner.loc[kommuner.fylke_nr.isin(SPLIT_COUNTIES), "kommune_nr"])
    assert len(new) == 12 + 21 + 18 + 6 + 17 + 21 + 18
    old = RG.correspondence()
    recoded = old[(old.last_year == 2023) & old.code.str[:2].isin(("30", "38", "54"))]
    assert recoded.code.is_unique and (recoded.share == 1.0).all()
    assert set(recoded.code_2024) == new and recoded.code_2024.is_unique
    # the county of each municipality's 2024 code matches SSB's list
    county = dict(zip(kommuner.kommune_nr, kommuner.fylke_nr))
    assert all(county[c] == c[:2] for c in recoded.code_2024)


@pytest.mark.realdata
def test_documented_shares_match_2024_populations(kommuner):
    pop = dict(zip(kommuner.kommune_nr, kommuner.pop_2024_01_01.astype(int)))
    assert pop["1580"] / (pop["1508"] + pop["1580"]) == pytest.approx(RG.HARAM_SHARE, abs=0.01)
    by_county = kommuner.assign(p=kommuner.pop_2024_01_01.astype(int)).groupby("fylke_nr")["p"].sum()
    for old, new in (("30", ("31", "32", "33")), ("38", ("39", "40")), ("54", ("55", "56"))):
        shares = RG.targets(old, 2023, "county")
        for c in new:
            assert shares[c] == pytest.approx(by_county[c] / by_county[list(new)].sum(), abs=0.005), c


@pytest.mark.realdata
def test_kostra_history_column_agrees_with_the_table():
    path = SSB_DIR / "kostra_care_panel_2015_2023.csv"
    if not path.is_file():
        pytest.skip(f"SSB data not found at {SSB_DIR.resolve()}")
    panel = pd.read_csv(path, dtype=str, keep_default_na=False)
    pairs = panel[["kommunenr_2024", "år", "kommunenr_hist_kilder"]].drop_duplicates()
    checked = 0
    for code, year, hist in pairs.itertuples(index=False):
        union = {}
        for h in hist.split("+"):
            for c, s in RG.targets(h, int(year)).items():
                union[c] = union.get(c, 0.0) + s
        if int(year) >= 2020 and hist == "1507":
            assert set(union) == {"1508", "1580"}  # Haram inside Ålesund, 2020-2023
        else:
            assert set(union) == {code}, (code, year, hist, union)
            assert sum(union.values()) == pytest.approx(len(hist.split("+")))
        checked += 1
    assert checked > 3000


@pytest.mark.realdata
def test_oppland_share_moved_to_viken_matches_the_population_file():
    path = SSB_DIR / "population_kommune_age_sex_2015_2024.csv"
    if not path.is_file():
        pytest.skip(f"SSB data not found at {SSB_DIR.resolve()}")
    pop = pd.read_csv(path, dtype={"kommune_nr": str}, usecols=["kommune_nr", "year", "total"])
    total = pop[pop.year == 2019].groupby("kommune_nr")["total"].sum()
    table = RG.correspondence()
    old_counties = table[table.last_year == 2019].groupby("code_2024")["code"].agg(lambda s: {c[:2] for c in s})
    oppland = [c for c, counties in old_counties.items() if counties == {"05"}]  # whole Oppland municipalities
    share = total[["3234", "3236"]].sum() / total[oppland].sum()
    assert share == pytest.approx(RG.targets("05", 2019, "county")["32"], abs=0.002)


# --- looking regions up by name ---------------------------------------------------------------------
def _real_regions():
    from helsemod_py.data.ssb import read_municipalities

    path = Path(__file__).parents[1] / ".." / "shared" / "data" / "ssb" / "kommuner_2024.csv"
    if not path.is_file():
        pytest.skip(f"SSB data not found at {path}")
    return read_municipalities(path)


@pytest.mark.realdata
@pytest.mark.parametrize("text, want", [
    ("Oslo", ("municipality", "0301")), ("oslove", ("municipality", "0301")), ("0301", ("municipality", "0301")),
    ("Innlandet", ("county", "34")), ("Sisdajven", ("county", "34")), ("innlandet-sisdajven", ("county", "34")),
    ("Kautokeino", ("municipality", "5612")), ("Guovdageaidnu", ("municipality", "5612")),
    ("Tromso", ("municipality", "5501")), ("ÅLESUND", ("municipality", "1508")), ("Nord-Fron", ("municipality", "3436")),
    ("Karasjok", ("municipality", "5610")), ("Kárášjohka", ("municipality", "5610")), ("Finnmark", ("county", "56")),
    ("  Bergen ", ("municipality", "4601")),
])
def test_real_names_in_every_official_form(text, want):
    assert _real_regions().lookup(text) == want


@pytest.mark.realdata
def test_shared_names_ask_for_the_code_and_typos_get_suggestions():
    regions = _real_regions()
    for name in ("Herøy", "Våler", "Fron"):
        assert regions.lookup(name) is None
        msg = regions.unknown_message(name, "--region")
        assert "municipalities match" in msg and "give the code" in msg
    assert "Herøy 1515 (Møre og Romsdal), Herøy 1818 (Nordland-Nordlándda)" in regions.unknown_message("Herøy", "x")
    msg = regions.unknown_message("Olso", "--region")
    assert "did you mean Oslo" in msg
    near = regions.suggestions("Olso")
    assert len(near) == len(set(near))


def test_synthetic_names_suggest_each_name_once():
    import helsemod_py as hm

    regions = hm.load_dataset().regions
    assert regions.lookup("oslo") == ("municipality", "K0301")  # municipality before the county of that name
    assert regions.suggestions("Olso") == ["Oslo"]
