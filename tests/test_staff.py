"""The staff table: SSB's health-personnel tables (11924, 14534, 11996, 13953, 07940) as one tidy table.

Fixtures: ``tests/fixtures/jsonstat/*_staff.json`` and ``07940_employed.json`` (synthetic numbers in
SSB's JSON-stat2 layout, written by ``make_staff_fixtures.py``).
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest

from helsemod_py import dims as D
from helsemod_py.data import fetch as F
from helsemod_py.data import jsonstat as J
from helsemod_py.data import regions as RG
from helsemod_py.data import staff as S
from helsemod_py.errors import ImportDataError
from test_fetch import muni_csv  # noqa: F401 - the fixture: a municipality list of the Telemark codes

FIX = Path(__file__).parent / "fixtures" / "jsonstat"
CARE_11924, CARE_14534 = FIX / "11924_staff.json", FIX / "14534_staff.json"
GP_11996, TRUST_13953, EMPLOYED_07940 = FIX / "11996_staff.json", FIX / "13953_staff.json", FIX / "07940_employed.json"
TELEMARK = D.Regions(("4001", "4003", "4010"), ("Porsgrunn", "Skien", "Siljan"), ("40", "40", "40"),
                     {"40": "Telemark"})


def _obj(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _frame(obj, name: str = "t.json") -> pd.DataFrame:
    return J.parse_jsonstat2(obj, label=name)


def _at(obj: dict, **codes) -> int:
    """Position in ``value`` of the cell with these codes."""
    pos = [obj["dimension"][d]["category"]["index"][codes[d]] for d in obj["id"]]
    return int(np.ravel_multi_index(pos, obj["size"]))


def _raw(path: Path) -> pd.DataFrame:
    return J.parse_jsonstat2(path)


def _sum(frame: pd.DataFrame, **where) -> float:
    """Sum of ``value`` over the rows whose columns hold the given code (or one of the given codes)."""
    keep = np.ones(len(frame), dtype=bool)
    for col, want in where.items():
        keep &= frame[col].isin(want if isinstance(want, (list, tuple)) else [want]).to_numpy()
    return float(frame.loc[keep, "value"].sum())


def _problem(fn, *args, **kwargs) -> str:
    with pytest.raises(ImportDataError) as info:
        fn(*args, **kwargs)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


# --- converters: mapping, harmonisation, no double counting ----------------------------------------
def test_11924_education_becomes_groups_and_sums_are_not_counted():
    out = S.staff_from_jsonstat(_raw(CARE_11924))
    assert tuple(out.columns) == S.STAFF_COLUMNS
    assert set(out["level"]) == {"municipality"} and set(out["sector"]) == {"care"} and set(out["table"]) == {"11924"}
    assert set(out["group"]) == {"nurse", "specialist_nurse", "health_worker", "social_educator", "unskilled"}
    raw = _raw(CARE_11924)
    fte = raw[(raw["ContentsCode"] == "KOSARBAARSVERKST0000") & raw["KOKkommuneregion0000"].str.fullmatch(r"\d{4}")]
    counted = fte[fte["KOKkyrk200000"].isin([f"KF0{i}" for i in range(1, 9)])]["value"].sum()
    assert math.isclose(out["fte"].sum(), counted)  # the total KF00, KOSTRA's aggregates and the per-10 000 rows not
    assert out["fte"].sum() < fte[fte["KOKkyrk200000"] == "KF00"]["value"].sum()  # physicians, admin are dropped
    # KF01-KF03 (psychiatric, geriatric, other further education) are specialist nurses, KF04 plain nurses
    spec = out[(out["region"] == "4001") & (out["year"] == 2019) & (out["group"] == "specialist_nurse")]["fte"].item()
    assert math.isclose(spec, fte.query("KOKkommuneregion0000 == '0805' and Tid == '2019' and "
                                        "KOKkyrk200000 in ['KF01', 'KF02', 'KF03']")["value"].sum())
    assert out.attrs["sums"] == ["KOKkyrk200000=KF00 (Omsorgstjenestene i alt): sum of all categories"]
    assert out.attrs["dropped"] == [
        "KOKkyrk200000=KF09 (Lege): no model group here (physicians in care are taken from 11996)",
        "KOKkyrk200000=KF10 (Administrativt personell): no model group (administration, service or unspecified)"]


def test_retired_municipality_codes_are_harmonised_to_2024():
    """Porsgrunn was 0805 until 2019 and 3806 in 2020-2023 (Skien 0806, 3807); both become 4001 (4003)."""
    raw = _raw(CARE_11924)
    out = S.staff_from_jsonstat(raw, regions=TELEMARK)
    assert sorted(out["region"].unique()) == ["4001", "4003"] and sorted(out["year"].unique()) == [2019, 2020]
    nurse = out.set_index(["region", "year", "group"])["fte"]
    cell = raw.set_index(["KOKkommuneregion0000", "KOKkyrk200000", "ContentsCode", "Tid"])["value"]
    assert nurse["4001", 2019, "nurse"] == cell["0805", "KF04", "KOSARBAARSVERKST0000", "2019"]
    assert nurse["4001", 2020, "nurse"] == cell["3806", "KF04", "KOSARBAARSVERKST0000", "2020"]
    assert nurse["4003", 2020, "nurse"] == cell["3807", "KF04", "KOSARBAARSVERKST0000", "2020"]
    assert out.attrs["notes"] == ["11924_staff.json: dropped KOSTRA aggregate(s) and city districts EAK, EKG13"]
    # a retired code with a value after its last year is an error naming it
    obj = _obj(CARE_11924)
    i = _at(obj, KOKkommuneregion0000="0805", KOKkyrk200000="KF04", ContentsCode="KOSARBAARSVERKST0000", Tid="2020")
    obj["value"][i] = 3.0
    obj["status"].pop(str(i))
    assert _problem(S.staff_from_jsonstat, _frame(obj)) == (
        "t.json: dimension 'KOKkommuneregion0000': unknown code '0805' (not a 2024 municipality; Porsgrunn was "
        "replaced on 1 January 2020 (2024 code: 4001 Porsgrunn))")


def test_years_before_the_correspondence_are_dropped_and_noted():
    obj = _obj(CARE_11924)
    obj["dimension"]["Tid"]["category"] = {"index": {"2014": 0, "2015": 1}, "label": {"2014": "2014", "2015": "2015"}}
    out = S.staff_from_jsonstat(_frame(obj))
    assert out["year"].unique().tolist() == [2015]
    assert ("t.json: dropped the years before 2015 (2014): municipality codes are mapped from 2015 on"
            in out.attrs["notes"])


def test_split_municipality_is_shared_out_and_sums_kept():
    """Ålesund 1507 (2020-2023) is 1508 Ålesund + 1580 Haram in 2024: documented shares, or weights."""
    raw = _raw(CARE_14534)
    out = S.staff_from_jsonstat(raw)
    shares = RG.targets("1507", 2023)
    cell = raw.set_index(["KOKkommuneregion0000", "KOKstillingkode0000", "KOKutdanningoms0000", "Tid"])["value"]
    got = out.set_index(["region", "year", "group"])["fte"]
    for code in ("1508", "1580"):
        assert math.isclose(got[code, 2023, "midwife"], cell["1507", "TOT", "01c", "2023"] * shares[code])
    assert math.isclose(out.loc[out["year"] == 2023, "fte"].sum(),
                        _sum(raw, KOKkommuneregion0000=["1507", "4001"], KOKstillingkode0000="TOT", Tid="2023",
                             KOKutdanningoms0000=["01a", "01b", "01c", "01d", "02", "03", "04"]))
    assert set(out["group"]) == {"nurse", "specialist_nurse", "public_health_nurse", "midwife", "health_worker",
                                 "social_educator", "unskilled"}
    assert out.attrs["sums"] == ["KOKutdanningoms0000=01 (Sykepleiere i alt): sum of the nurse categories"]
    weighted = S.staff_from_jsonstat(raw, weights={"1508": 3.0, "1580": 1.0}).set_index(["region", "year", "group"])
    assert math.isclose(weighted.loc[("1580", 2023, "nurse"), "fte"], cell["1507", "TOT", "01a", "2023"] / 4)


def test_11996_functions_become_gps_and_physicians():
    raw = _raw(GP_11996)
    out = S.staff_from_jsonstat(raw)
    cell = raw.set_index(["KOKkommuneregion0000", "KOKfunksjon0000", "Tid"])["value"]
    got = out.set_index(["region", "year", "sector", "group"])["fte"]
    assert got["4003", 2024, "primary", "gp"] == cell["4003", "241", "2024"]
    assert got["4003", 2024, "care", "physician"] == cell["4003", "253", "2024"]  # nursing-home physicians
    assert math.isclose(got["4003", 2024, "primary", "physician"],
                        _sum(raw, KOKkommuneregion0000="4003", KOKfunksjon0000=["120", "232", "233", "256"],
                             Tid="2024"))
    assert math.isclose(out["fte"].sum(), _sum(raw, KOKkommuneregion0000=["4001", "4003"], KOKfunksjon0000="FGK10"))
    assert set(out["table"]) == {"11996"} and out.attrs["dropped"] == []


def test_13953_trusts_by_organisation_number_and_occupations():
    raw = _raw(TRUST_13953)
    out = S.staff_from_jsonstat(raw)
    assert set(out["level"]) == {"trust"} and set(out["sector"]) == {"specialist"}
    assert sorted(out["region"].unique()) == ["bergen", "finnmark"]
    cell = raw[raw["HelseTjenomr"] == "TOT"].set_index(["HelseReg", "Yrke"])["value"]
    got = out.set_index(["region", "group"])["fte"]
    assert got["finnmark", "physician"] == cell["983974880", "05"] + cell["983974880", "06"]
    assert got["bergen", "nurse"] == cell["983974724", "02"] + cell["984027737", "02"]  # Haraldsplass in Bergen
    dropped = ("16", "18", "20a", "20b", "21", "22", "23", "24", "25", "26", "27", "99")
    units = ["983974880", "983974724", "984027737"]
    tot = raw[raw["HelseTjenomr"] == "TOT"]
    counted = _sum(tot, HelseReg=units, Yrke="TOT") - _sum(tot, HelseReg=units, Yrke=dropped)
    assert math.isclose(out["fte"].sum(), counted)
    notes = out.attrs["notes"]
    assert notes[0] == ("13953_staff.json: dropped units that are no trust of trusts_2024.yaml: H00 (Hele landet), "
                        "H05 (Helseregion Nord), 883658752 (Helse Nord RHF (2002-)), 883971752 (Sunnaas Sykehus HF "
                        "(2002-))")
    assert notes[1] == "13953_staff.json: trust 'bergen' is the sum of 983974724 + 984027737"
    assert "Yrke=16 (Ambulansepersonell): no model group (ambulance personnel)" in out.attrs["dropped"]


def test_trusts_by_name_and_unknown_trust():
    assert S.resolve_trust("999999999", "Oslo Universitetssykehus HF (2009-)") == "ous"
    assert S.resolve_trust("123456789", "Lovisenberg diakonale sykehus AS") == "lovisenberg"
    assert S.resolve_trust("H12", "Helseregion Sør-Øst") is None
    assert S.resolve_trust("991324968") is None
    assert S.resolve_trust("999999998", "Sykehusapotekene HF (2002-)") is None  # a support unit, no patients
    assert set(S.TRUST_ORGNR.values()) == set(S.trust_codes())  # every trust of trusts_2024.yaml
    obj = _obj(TRUST_13953)
    obj["dimension"]["HelseReg"]["category"]["label"]["983974880"] = "Sykehuset Utopia HF"
    obj["dimension"]["HelseReg"]["category"]["index"] = {("111111111" if c == "983974880" else c): i for c, i in
                                                         obj["dimension"]["HelseReg"]["category"]["index"].items()}
    obj["dimension"]["HelseReg"]["category"]["label"]["111111111"] = "Sykehuset Utopia HF"
    assert _problem(S.staff_from_jsonstat, _frame(obj)) == (
        "t.json: dimension 'HelseReg': unknown trust '111111111' (Sykehuset Utopia HF): not a trust of "
        "trusts_2024.yaml by organisation number or name, nor a health region, RHF or support unit (add it to "
        "TRUST_ORGNR or NOT_TRUSTS in staff.py)")


def test_07940_employed_persons_by_education():
    raw = _raw(EMPLOYED_07940)
    out = S.employed_from_jsonstat(raw, regions=TELEMARK)
    assert tuple(out.columns) == S.EMPLOYED_COLUMNS and set(out["table"]) == {"07940"}
    assert sorted(out["region"].unique()) == ["4001", "4003", "4010"]
    cell = raw.set_index(["Region", "UtdHelse", "Tid"])["value"]
    got = out.set_index(["region", "year", "group"])["persons"]
    assert got["4010", 2024, "physician"] == cell["K-4010", "35", "2024"] + cell["K-4010", "36", "2024"]
    assert got["4001", 2023, "health_worker"] == cell["K-4001", "02", "2023"] + cell["K-4001", "03", "2023"]
    assert math.isclose(out["persons"].sum(), _sum(raw, UtdHelse="00") - _sum(raw, UtdHelse="01"))  # total once
    assert out.attrs["dropped"] == ["UtdHelse=01 (Helsesekretær): no model group (upper-secondary or other education)"]


def _dataset(table: str, dims, value) -> dict:
    """A JSON-stat2 dataset: ``dims`` = [(id, [(code, label), ...])], ``value(codes) -> number``."""
    ids = [d for d, _ in dims]
    combos = np.array(np.meshgrid(*[range(len(c)) for _, c in dims], indexing="ij")).reshape(len(dims), -1).T
    return {"version": "2.0", "class": "dataset", "label": f"{table}: test", "id": ids,
            "size": [len(c) for _, c in dims], "extension": {"px": {"tableid": table}},
            "dimension": {d: {"label": d, "category": {"index": {c: i for i, (c, _) in enumerate(cats)},
                                                       "label": dict(cats)}} for d, cats in dims},
            "value": [value({d: dims[k][1][i][0] for k, (d, i) in enumerate(zip(ids, combo))}) for combo in combos]}


def test_07944_totals_and_contents_found_by_label():
    """The closed 07944: its sector and sex dimensions are reduced to the category labelled as the total."""
    dims = [("Region", [("0805", "Porsgrunn (-2019)"), ("0", "Hele landet")]),
            ("Sektor", [("ALLE", "Alle sektorer"), ("KOMM", "Kommunal forvaltning")]),
            ("Kjonn", [("0", "Begge kjønn"), ("1", "Menn"), ("2", "Kvinner")]),
            ("UtdHelse", [("00", "Helse- og sosialfagutdanning i alt"), ("17", "Sykepleier"),
                          ("03", "Helsefagarbeider")]),
            ("ContentsCode", [("Syss", "Sysselsatte personer"), ("Aarsv", "Avtalte årsverk")]),
            ("Tid", [("2018", "2018"), ("2019", "2019")])]
    parts = {"17": 30, "03": 50}

    def value(c):
        v = sum(parts.values()) if c["UtdHelse"] == "00" else parts[c["UtdHelse"]]
        return v * (2 if c["Sektor"] == "ALLE" else 1) * (1 if c["Kjonn"] == "0" else 0.5) + int(c["Tid"]) - 2018 \
            + (100 if c["ContentsCode"] == "Aarsv" else 0)
    out = S.employed_from_jsonstat(_frame(_dataset("07944", dims, value)))
    assert out.to_dict("list") == {"region": ["4001"] * 4, "year": [2018, 2018, 2019, 2019],
                                   "group": ["nurse", "health_worker"] * 2, "persons": [60.0, 100.0, 61.0, 101.0],
                                   "table": ["07944"] * 4}
    assert ("t.json: dimension 'Sektor': kept the total 'ALLE' (Alle sektorer)" in out.attrs["notes"]
            and "t.json: dimension 'Kjonn': kept the total '0' (Begge kjønn)" in out.attrs["notes"])
    no_total = [(d, [c for c in cats if c[0] != "ALLE"]) if d == "Sektor" else (d, cats) for d, cats in dims]
    assert _problem(S.employed_from_jsonstat, _frame(_dataset("07944", no_total, value))) == (
        "t.json: dimension 'Sektor' has 1 categories and no total(s) (codes: KOMM): select its total (the table is "
        "read by region, year and category only)")
    only_admin = _only(_obj(CARE_11924), "KOKkyrk200000", ["KF10"])
    assert _problem(S.staff_from_jsonstat, _frame(only_admin)) == (
        "t.json: no cells left: every category is a sum or has no model group, or every value is missing")


def test_suppressed_part_leaves_the_2024_cell_out():
    obj = _obj(CARE_11924)
    i = _at(obj, KOKkommuneregion0000="0805", KOKkyrk200000="KF04", ContentsCode="KOSARBAARSVERKST0000", Tid="2019")
    obj["value"][i] = None
    obj["status"][str(i)] = ":"
    out = S.staff_from_jsonstat(_frame(obj))
    cells = set(zip(out["region"], out["year"], out["group"]))
    assert ("4001", 2019, "nurse") not in cells and ("4001", 2020, "nurse") in cells and len(out) == 19
    assert "t.json: left out 1 cell(s) with a part suppressed by SSB (':', '..' or '...')" in out.attrs["notes"]


def _relabel(obj, dim, code, label):
    obj["dimension"][dim]["category"]["label"][code] = label
    return obj


def _recode(obj, dim, old, new):
    cat = obj["dimension"][dim]["category"]
    cat["index"] = {(new if c == old else c): i for c, i in cat["index"].items()}
    cat["label"] = {(new if c == old else c): v for c, v in cat["label"].items()}
    return obj


def _only(obj, dim, codes):
    k = obj["id"].index(dim)
    index = obj["dimension"][dim]["category"]["index"]
    keep = [index[c] for c in codes]
    values = np.array(obj["value"], dtype=object).reshape(obj["size"]).take(keep, axis=k)
    obj["size"][k] = len(codes)
    obj["dimension"][dim]["category"]["index"] = {c: i for i, c in enumerate(codes)}
    obj["value"] = values.ravel().tolist()
    obj.pop("status", None)
    return obj


ERRORS = [
    ("unknown label", CARE_11924, lambda o: _relabel(o, "KOKkyrk200000", "KF05", "Fotballspiller"),
     "t.json: dimension 'KOKkyrk200000': unknown code 'KF05' (Fotballspiller): not in the code table of staff.py "
     "(known: KF01, KF02, KF03, KF04) and its label matches no education of EDUCATION_LABELS"),
    ("verified nurse code reads otherwise", CARE_11924, lambda o: _relabel(o, "KOKkyrk200000", "KF01", "Vernepleier"),
     "t.json: dimension 'KOKkyrk200000': code 'KF01' is one of SSB's nurse/specialist_nurse/aks/public_health_nurse/"
     "midwife categories, but its label 'Vernepleier' reads as social_educator (check the code table of staff.py)"),
    ("verified nurse code with an unknown label", CARE_11924, lambda o: _relabel(o, "KOKkyrk200000", "KF02", "Fotball"),
     "t.json: dimension 'KOKkyrk200000': code 'KF02' is one of SSB's nurse/specialist_nurse/aks/public_health_nurse/"
     "midwife categories, but its label 'Fotball' reads as no education of EDUCATION_LABELS (check the code table "
     "of staff.py)"),
    ("unknown occupation code", TRUST_13953, lambda o: _recode(o, "Yrke", "99", "28"),
     "t.json: dimension 'Yrke': unknown code '28' (Annet): not in the code table of staff.py (known: TOT, 01, 02, "
     "03, 04, 05, 06, 07, 08, 09, 10, 11)"),
    ("missing dimension", CARE_11924, lambda o: _rename_dim(o, "KOKkyrk200000", "Utdanning"),
     "t.json: missing dimension 'KOKkyrk200000' (found: KOKkommuneregion0000, Utdanning, ContentsCode, Tid)"),
    ("no total of another dimension", TRUST_13953, lambda o: _only(o, "HelseTjenomr", ["SOM"]),
     "t.json: dimension 'HelseTjenomr': code 'TOT' not found (codes: SOM); the table needs it"),
    ("contents missing", GP_11996, lambda o: _recode(o, "ContentsCode", "KOSlegeaarsverk0000", "KOSlegeper10k"),
     "t.json: dimension 'ContentsCode': code 'KOSlegeaarsverk0000' not found (codes: KOSlegeper10k)"),
    ("sum without its parts", CARE_14534, lambda o: _only(o, "KOKutdanningoms0000", ["01", "02"]),
     "t.json: dimension 'KOKutdanningoms0000': code '01' (Sykepleiere i alt) is a sum of the nurse categories, but "
     "the file has none of them: download every category (it is never counted itself)"),
    ("other dimension without a total", EMPLOYED_07940, lambda o: _recode(o, "Alder", "999A", "15-74"),
     "t.json: dimension 'Alder': code '999A' not found (codes: 15-74); the table needs it"),
]


def _rename_dim(obj, old, new):
    obj["id"] = [new if d == old else d for d in obj["id"]]
    obj["dimension"][new] = obj["dimension"].pop(old)
    return obj


@pytest.mark.parametrize("what,path,change,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_conversion_errors_are_one_line(what, path, change, message):
    convert = S.employed_from_jsonstat if "employed" in path.name else S.staff_from_jsonstat
    assert _problem(convert, _frame(change(_obj(path)))) == message


def test_a_sub_total_read_as_a_group_is_double_counting():
    """KF05 relabelled "Sykepleier" and given the totals' values: the groups exceed the total KF00."""
    obj = _relabel(_obj(CARE_11924), "KOKkyrk200000", "KF05", "Sykepleier")
    for combo in np.ndindex(*obj["size"]):
        codes = {d: list(obj["dimension"][d]["category"]["index"])[k] for d, k in zip(obj["id"], combo)}
        if codes["KOKkyrk200000"] == "KF05" and obj["value"][_at(obj, **codes)] is not None:
            obj["value"][_at(obj, **codes)] = obj["value"][_at(obj, **{**codes, "KOKkyrk200000": "KF00"})]
    line = _problem(S.staff_from_jsonstat, _frame(obj))
    assert re.fullmatch(r"t\.json: dimension 'KOKkyrk200000': the categories read as physician, gp, nurse\.\.\. add "
                        r"up to [\d,.]+, more than their sum 'KF00' \(Omsorgstjenestene i alt, [\d,.]+\): a sub-total "
                        r"is read as a group \(double counting\); check the code table of staff\.py", line), line


def test_wrong_table_negative_value_and_unknown_municipality():
    assert _problem(S.staff_from_jsonstat, _raw(FIX / "12292_kostra.json")) == (
        "12292_kostra.json: table 12292 is not a staff table (known: 11924, 14534, 11996, 13953)")
    assert _problem(S.employed_from_jsonstat, _raw(GP_11996)) == (
        "11996_staff.json: table 11996 is not an employed table (known: 07940, 07944)")
    obj = _obj(GP_11996)
    obj["value"][_at(obj, KOKkommuneregion0000="4001", KOKavtaleform0000="sum", KOKfunksjon0000="241",
                     ContentsCode="KOSlegeaarsverk0000", Tid="2024")] = -2
    assert _problem(S.staff_from_jsonstat, _frame(obj)) == (
        "t.json: dimension 'KOKfunksjon0000': code '241': negative value -2 for KOKkommuneregion0000='4001', Tid=2024")
    only_skien = D.Regions(("4003",), ("Skien",), ("40",), {"40": "Telemark"})
    assert _problem(S.staff_from_jsonstat, _raw(GP_11996), regions=only_skien) == (
        "11996_staff.json: dimension 'KOKkommuneregion0000': unknown code '4001' (not among the 1 municipalities "
        "of the list given)")


def test_every_label_of_the_vocabulary_examples():
    """Labels as SSB writes them (Norwegian and English) and what they become."""
    cases = {"Omsorgstjenestene i alt": "sum", "Sykepleiere i alt": "sum", "Psykiatrisk sykepleier": "specialist_nurse",
             "Sykepleier med annen videreutdanning": "specialist_nurse", "Sykepleier": "nurse", "Nurse": "nurse",
             "Helsesøster": "public_health_nurse", "Health visitor": "public_health_nurse", "Jordmor": "midwife",
             "Midwives": "midwife", "Hjelpepleier": "health_worker", "Auxilliary Nurse": "health_worker",
             "Helsefagarbeider1": "health_worker", "Vernepleier": "social_educator", "Tannpleier": "dental_hygienist",
             "Pleiemedarbeidere uten helse- og sosialfaglig utdanning": "unskilled",
             "Lege med spesialitet": "physician",
             "Specialised physician": "physician", "Radiograf": "other_university", "Paramedic": None,
             "Helsesekretær": None, "Administrativt personell": None, "Alle sektorer": "sum", "Begge kjønn": "sum",
             "Universitetsnivå": "sum"}
    for label, want in cases.items():
        rule = S.rule_for_label(label)
        got = "sum" if rule.is_sum else rule.group
        assert got == want, (label, got)
    assert S.rule_for_label("Helsesøster og jordmor") is None  # two groups in one category: an error, not a guess


# --- staff.csv and employed.csv --------------------------------------------------------------------
def _staff_rows(*rows) -> str:
    return "level,region,year,sector,group,fte,table\n" + "".join(r + "\n" for r in rows)


GOOD = "municipality,4001,2024,care,nurse,30.5,14534"


def test_staff_csv_round_trip(tmp_path):
    out = S.staff_from_jsonstat(_raw(TRUST_13953))
    path = tmp_path / "staff.csv"
    S.write_table(out, path)
    back = S.read_staff_table(path)
    pd.testing.assert_frame_equal(back, out, check_dtype=False)
    assert back["year"].dtype == np.int64 and back["fte"].dtype == np.float64
    (tmp_path / "e.csv").write_text("table,persons,group,year,region\n07940, 1200 ,nurse,2024,0301\n")
    back = S.read_employed_table(tmp_path / "e.csv")  # columns in any order, spaces around values
    assert tuple(back.columns) == S.EMPLOYED_COLUMNS and back.iloc[0].tolist() == ["0301", 2024, "nurse", 1200.0,
                                                                                 "07940"]


STAFF_ERRORS = [
    ("empty", "",
     "staff.csv: empty file (need a header level,region,year,sector,group,fte,table and one row per cell)"),
    ("header only", _staff_rows(), "staff.csv: no rows (only a header)"),
    ("missing column", "level,region,year,sector,group,table\nmunicipality,4001,2024,care,nurse,14534\n",
     "staff.csv: missing column 'fte' (need level, region, year, sector, group, fte, table)"),
    ("unexpected column", _staff_rows(GOOD + ",x").replace("table\n", "table,note\n"),
     "staff.csv: unexpected column 'note' (allowed: level, region, year, sector, group, fte, table)"),
    ("level", _staff_rows("county,40,2024,care,nurse,1,14534"),
     "staff.csv: row 2: column 'level': 'county' is not allowed (allowed: municipality, trust)"),
    ("sector", _staff_rows("municipality,4001,2024,hospital,nurse,1,14534"),
     "staff.csv: row 2: column 'sector': 'hospital' is not allowed (allowed: care, primary, specialist)"),
    ("group", _staff_rows("municipality,4001,2024,care,nurses,1,14534"),
     "staff.csv: row 2: column 'group': 'nurses' is not allowed (allowed: " + ", ".join(D.GROUPS) + ")"),
    ("unknown municipality", _staff_rows("municipality,4099,2024,care,nurse,1,14534"),
     "staff.csv: row 2: column 'region': '4099' is not a 2024 municipality code (allowed: the 357 codes of 2024, "
     "e.g. 0301)"),
    ("retired municipality", _staff_rows("municipality,1507,2023,care,nurse,1,14534"),
     "staff.csv: row 2: column 'region': '1507' is not a 2024 municipality code (Ålesund was replaced on 1 January "
     "2024 (2024 code: 1508 Ålesund, 1580 Haram)) (allowed: the 357 codes of 2024, e.g. 0301)"),
    ("unknown trust", _staff_rows("trust,haukeland,2024,specialist,nurse,1,13953"),
     "staff.csv: row 2: column 'region': 'haukeland' is not a trust code (allowed: " + ", ".join(S.trust_codes())
     + ")"),
    ("sector of the level", _staff_rows("trust,bergen,2024,care,nurse,1,13953"),
     "staff.csv: row 2: column 'sector': 'care' does not go with level 'trust' (allowed: specialist at trust level, "
     "care or primary at municipality level)"),
    ("negative", _staff_rows("municipality,4001,2024,care,nurse,-1,14534"),
     "staff.csv: row 2: column 'fte': '-1' is negative (allowed: >= 0)"),
    ("not a number", _staff_rows("municipality,4001,2024,care,nurse,many,14534"),
     "staff.csv: row 2: column 'fte': 'many' is not a number"),
    ("year", _staff_rows("municipality,4001,24,care,nurse,1,14534"),
     "staff.csv: row 2: column 'year': '24' is not a year"),
    ("table", _staff_rows("municipality,4001,2024,care,nurse,1,KOSTRA"),
     "staff.csv: row 2: column 'table': 'KOSTRA' is not an SSB table id (allowed: five digits, e.g. 11924)"),
    ("duplicate", _staff_rows(GOOD, "municipality,4001,2024,care,nurse,2,11924"),
     "staff.csv: row 3: duplicate of row 2 (level='municipality', region='4001', year='2024', sector='care', "
     "group='nurse'): one row per cell"),
]


@pytest.mark.parametrize("what,text,message", STAFF_ERRORS, ids=[e[0] for e in STAFF_ERRORS])
def test_staff_csv_errors_are_one_line_each(tmp_path, what, text, message):
    path = tmp_path / "staff.csv"
    path.write_text(text, encoding="utf-8")
    assert _problem(S.read_staff_table, path) == message


def test_staff_csv_lists_every_problem_capped_per_column(tmp_path):
    rows = [f"municipality,4001,{2010 + i},care,nurse{i},1,14534" for i in range(7)] + ["trust,ous,2024,care,gp,-3,1"]
    path = tmp_path / "staff.csv"
    path.write_text(_staff_rows(*rows))
    with pytest.raises(ImportDataError) as info:
        S.read_staff_table(path)
    lines = info.value.problems
    assert sum("column 'group'" in line for line in lines) == 6
    assert "staff.csv: column 'group': ... and 2 more like these" in lines
    assert "staff.csv: row 9: column 'fte': '-3' is negative (allowed: >= 0)" in lines
    assert "staff.csv: row 9: column 'table': '1' is not an SSB table id (allowed: five digits, e.g. 11924)" in lines
    assert any(line.startswith("staff.csv: row 9: column 'sector': 'care' does not go with level 'trust'")
               for line in lines)
    assert _problem(S.read_staff_table, tmp_path / "none.csv") == f"{tmp_path / 'none.csv'}: file not found"


def test_employed_csv_errors(tmp_path):
    path = tmp_path / "employed.csv"
    path.write_text("region,year,group,persons,table\n0301,2024,nurse,1200,07940\n0301,2024,nurse,5,07944\n")
    assert _problem(S.read_employed_table, path) == (
        "employed.csv: row 3: duplicate of row 2 (region='0301', year='2024', group='nurse'): one row per cell")
    path.write_text("region,year,group,persons,table\n301,2024,nurse,1200,07940\n")
    assert _problem(S.read_employed_table, path) == (
        "employed.csv: row 2: column 'region': '301' is not a 2024 municipality code (allowed: the 357 codes of "
        "2024, e.g. 0301)")


# --- import and fetch ------------------------------------------------------------------------------
def test_import_writes_staff_and_employed(tmp_path, muni_csv):
    out = F.import_files([CARE_11924, GP_11996, TRUST_13953, EMPLOYED_07940], tmp_path / "imp", municipalities=muni_csv)
    assert sorted(p.name for p in out.iterdir()) == ["employed.csv", "manifest.json", "municipalities.csv", "staff.csv"]
    staff = S.read_staff_table(out / "staff.csv")
    assert sorted(staff["table"].unique()) == ["11924", "11996", "13953"]
    expected = pd.concat([S.staff_from_jsonstat(_raw(p)) for p in (CARE_11924, GP_11996, TRUST_13953)])
    assert len(staff) == len(expected) and math.isclose(staff["fte"].sum(), expected["fte"].sum())
    # physicians in care come from 11996 only, so 11924 and 11996 never give the same cell
    assert set(staff.loc[staff["table"] == "11924", "group"]) & {"physician", "gp"} == set()
    employed = S.read_employed_table(out / "employed.csv")
    assert set(employed["table"]) == {"07940"} and len(employed) == 48
    manifest = json.loads((out / "manifest.json").read_text())
    assert {i["name"]: i["output"] for i in manifest["inputs"]}["13953_staff.json"] == "staff.csv"
    assert manifest["outputs"]["staff.csv"]["years"] == [2019, 2024]
    assert "13953_staff.json: not counted: Yrke=TOT (I alt): sum of all categories" in manifest["notes"]


def test_import_refuses_a_cell_from_two_tables(tmp_path):
    obj = _obj(CARE_14534)  # as if 14534 were for 2019-2020: its cells collide with 11924's
    obj["dimension"]["Tid"]["category"] = {"index": {"2019": 0, "2020": 1}, "label": {"2019": "2019", "2020": "2020"}}
    other = tmp_path / "14534_early.json"
    other.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ImportDataError) as info:
        F.import_files([CARE_11924, other], tmp_path / "imp")
    assert info.value.problems == ["staff.csv: 10 cell(s) of 2019-2020 come from both tables 11924 and 14534, first "
                                   "level='municipality', region='4001', year=2019, sector='care', group='nurse': give "
                                   "one table per cell and year"]
    assert not (tmp_path / "imp").exists()
    copy = tmp_path / "11924_again.json"
    copy.write_bytes(CARE_11924.read_bytes())
    assert "duplicate rows" in _problem(F.import_files, [CARE_11924, copy], tmp_path / "imp")


def test_import_reads_personnel_tables_as_jsonstat_only(tmp_path):
    csv = tmp_path / "13953_arsverk.csv"
    csv.write_text("region;år;statistikkvariabel;value;Tabell\nHelse Bergen HF;2024;Avtalte årsverk;100;13953\n")
    assert _problem(F.import_files, [csv], tmp_path / "imp") == (
        "13953_arsverk.csv: table 13953 is read as JSON-stat2 only (its categories are mapped by code): download it "
        "with format json-stat2")


class StaffOpener:
    """Answers v2 metadata and data URLs of table 13953 from the fixture (as SSB would)."""

    def __init__(self):
        self.urls: list[str] = []

    def __call__(self, req, timeout=None):
        self.urls.append(req.full_url)
        obj = _obj(TRUST_13953)
        if "/metadata" not in req.full_url:
            params = parse_qs(urlsplit(req.full_url).query)
            for dim in obj["id"]:
                codes = params[f"valueCodes[{dim}]"][0]
                if codes != "*":
                    obj = _only(obj, dim, codes.split(","))
        return io.BytesIO(json.dumps(obj).encode())


def test_fetch_13953_then_import(tmp_path):
    opener = StaffOpener()
    paths = F.fetch(["13953"], tmp_path / "cache", opener=opener, pause=0, sleep=lambda s: None)
    assert opener.urls[0].endswith("/tables/13953/metadata?lang=no&outputFormat=json-stat2")
    query = parse_qs(urlsplit(opener.urls[1]).query)
    assert query["lang"] == ["no"] and query["valueCodes[HelseTjenomr]"] == ["TOT"]
    assert query["valueCodes[ContentsCode]"] == ["Arsverk"] and query["valueCodes[Yrke]"] == ["*"]
    out = F.import_files(paths, tmp_path / "imp")
    staff = S.read_staff_table(out / "staff.csv")
    pd.testing.assert_frame_equal(staff, S.staff_from_jsonstat(_raw(TRUST_13953)), check_dtype=False)
    # a code the spec asks for that SSB's metadata lacks fails loudly, before any download
    _, meta = J.metadata_dimensions(_only(_obj(TRUST_13953), "HelseTjenomr", ["SOM"]))
    assert _problem(F.TABLES["13953"].queries, meta) == ("table 13953: dimension 'HelseTjenomr': SSB's metadata has "
                                                         "no code 'TOT'")
    _, meta = J.metadata_dimensions(_rename_dim(_obj(CARE_11924), "KOKkyrk200000", "Utdanning"))
    assert _problem(F.TABLES["11924"].queries, meta) == (
        "table 11924: SSB's metadata has no dimension 'KOKkyrk200000' (dimensions: KOKkommuneregion0000, Utdanning, "
        "ContentsCode, Tid); the query in TABLES needs updating")


def test_table_specs_of_the_personnel_tables():
    kinds = {t: F.TABLES[t].kind for t in ("11924", "14534", "11996", "13953", "07940", "07944")}
    assert kinds == {"11924": "staff", "14534": "staff", "11996": "staff", "13953": "staff", "07940": "employed",
                     "07944": "employed"}
    assert F.TABLES["13953"].converter is S.staff_from_jsonstat
    assert F.TABLES["07940"].converter is S.employed_from_jsonstat
    assert set(S.CONFS) == set(kinds)
    for t in kinds:
        spec = F.TABLES[t]
        assert spec.lang == "no" and ("Verified" in spec.description or "Assumed" in spec.description)
    assert "not verified" in F.TABLES["11924"].description
    assert F.metadata_url("11924", "no").endswith("lang=no&outputFormat=json-stat2")
