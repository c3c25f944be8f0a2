"""SSB download (PxWebApi v2, never the real network here), JSON-stat2 parsing, import and build.

The JSON-stat2 fixtures in ``tests/fixtures/jsonstat`` follow the layout of SSB's responses
with made-up numbers. Tests on the real SSB files read ``../shared/data/ssb`` by path and
skip cleanly where it is absent.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import urllib.error
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest

import helsemod_py as hm
from helsemod_py import dims as D
from helsemod_py.data import fetch as F
from helsemod_py.data import jsonstat as J
from helsemod_py.data import ssb
from helsemod_py.errors import HelsemodError, ImportDataError
from helsemod_py.scenario.driver import read_population_projection

FIX = Path(__file__).parent / "fixtures" / "jsonstat"
POP = FIX / "07459_population.json"
META = FIX / "07459_metadata.json"
PROJ = FIX / "14288_projection.json"
SSB_DIR = Path(__file__).parents[1] / ".." / "shared" / "data" / "ssb"
NOW = dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
TELEMARK = D.Regions(("4001", "4003", "4010"), ("Porsgrunn", "Skien", "Siljan"), ("40", "40", "40"),
                     {"40": "Telemark"})


@pytest.fixture
def muni_csv(tmp_path) -> Path:
    """A municipality list in SSB's format for the three municipalities of the fixtures."""
    path = tmp_path / "kommuner.csv"
    path.write_text("kommune_nr,kommune_navn,fylke_nr,fylke_navn\n4001,Porsgrunn,40,Telemark\n"
                    "4003,Skien,40,Telemark\n4010,Siljan,40,Telemark\n")
    return path


# --- a stand-in for urllib.request.urlopen --------------------------------------------------
def _subset(obj: dict, dim: str, codes: list[str]) -> dict:
    """The JSON-stat2 dataset ``obj`` restricted to ``codes`` of ``dim`` (as SSB would answer)."""
    out = json.loads(json.dumps(obj))
    k = obj["id"].index(dim)
    index = obj["dimension"][dim]["category"]["index"]
    keep = [index[c] for c in codes]
    values = np.array(obj["value"], dtype=object).reshape(obj["size"]).take(keep, axis=k)
    out["size"][k] = len(codes)
    cat = out["dimension"][dim]["category"]
    cat["index"] = {c: i for i, c in enumerate(codes)}
    cat["label"] = {c: cat["label"][c] for c in codes}
    out["value"] = values.ravel().tolist()
    out.pop("status", None)
    return out


class FakeOpener:
    """Answers v2 metadata and data URLs from the fixtures; fails the first ``fail`` calls."""

    def __init__(self, fail: int = 0, error=None, data: bytes | None = None):
        self.fail, self.error, self.data = fail, error, data
        self.urls: list[str] = []

    def __call__(self, req, timeout=None):
        url = req.full_url
        self.urls.append(url)
        if self.fail:
            self.fail -= 1
            raise self.error or urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        if "/metadata" in url:
            return io.BytesIO(META.read_bytes())
        if self.data is not None:
            return io.BytesIO(self.data)
        params = parse_qs(urlsplit(url).query)
        ages = params["valueCodes[Alder]"][0]
        obj = json.loads(POP.read_text())
        if ages != "*":
            obj = _subset(obj, "Alder", ages.split(","))
        return io.BytesIO(json.dumps(obj).encode())


def _http_error(code: int, body: bytes = b"") -> urllib.error.HTTPError:
    return urllib.error.HTTPError("https://data.ssb.no/x", code, "Error", {}, io.BytesIO(body))


# --- parsing ---------------------------------------------------------------------------------
def test_parse_jsonstat2_one_row_per_cell_with_codes_and_status():
    frame = J.parse_jsonstat2(POP)
    assert list(frame.columns) == ["Region", "Kjonn", "Alder", "ContentsCode", "Tid", "value", "status"]
    assert len(frame) == 3 * 2 * 106 * 2
    assert frame.attrs["table"] == "07459"
    assert frame["Region"].iloc[0] == "K-4001" and frame["Alder"].iloc[-1] == "105+"
    nil = frame[frame["status"] == "-"]
    assert len(nil) == 1 and nil["value"].iloc[0] == 0.0  # SSB's '-' is nil
    # the last dimension varies fastest
    assert frame[["Alder", "Tid"]].iloc[:3].values.tolist() == [["000", "2023"], ["000", "2024"], ["001", "2023"]]


def test_parse_sparse_values_and_suppressed_status():
    obj = json.loads(POP.read_text())
    obj = _subset(obj, "Alder", ["000"])
    obj["value"] = {str(i): v for i, v in enumerate(obj["value"]) if i != 2}  # sparse, position 2 absent
    obj["status"] = {"5": ":", "7": ".."}
    frame = J.parse_jsonstat2(obj)
    assert frame["value"].isna().sum() == 3
    assert frame.loc[5, "status"] == ":" and np.isnan(frame.loc[5, "value"])


def test_population_from_jsonstat_maps_codes_and_keeps_totals():
    frame = J.parse_jsonstat2(POP)
    hist = J.population_from_jsonstat(frame, TELEMARK)
    assert hist.years.tolist() == [2023, 2024]
    assert hist.regions.codes == TELEMARK.codes
    assert hist.population.shape == (2, 3, 2, len(D.AGES))
    assert hist.population.sum() == frame["value"].sum()
    # Skien (K-4003), female, age 3, 2024 in the fixture: 100*2 + 10 + 3 + 1
    assert hist.at(2024)[1, 1, 3] == 214


def test_projection_from_jsonstat_drops_aggregates_and_picks_the_alternative():
    frame = J.parse_jsonstat2(PROJ)
    assert J.alternatives(frame) == {"MMMM": "Personer1", "LLML": "Personer2", "HHMH": "Personer3"}
    out = J.projection_from_jsonstat(frame, "LLML", TELEMARK)
    assert list(out.columns) == ["region", "year", "sex", "age", "value"]
    assert sorted(out["region"].unique()) == list(TELEMARK.codes)
    assert len(out) == 3 * 3 * 2 * 106
    sel = frame[frame["Region"].isin(TELEMARK.codes) & (frame["ContentsCode"] == "Personer2")]
    assert out["value"].sum() == sel["value"].sum()
    assert any("dropped non-municipal region(s) 0, 40" in n for n in out.attrs["notes"])
    with pytest.raises(ImportDataError, match=r"alternative 'XXXX' not found \(alternatives: MMMM, LLML, HHMH\)"):
        J.projection_from_jsonstat(frame, "XXXX", TELEMARK)


def _dataset(table: str, dims: list[tuple[str, list[str]]], values, status=None) -> dict:
    """A JSON-stat2 dataset as SSB writes it (labels = codes)."""
    out = {"version": "2.0", "class": "dataset", "label": f"{table}: test", "id": [d for d, _ in dims],
           "size": [len(c) for _, c in dims], "extension": {"px": {"tableid": table}},
           "dimension": {d: {"label": d, "category": {"index": {c: i for i, c in enumerate(codes)},
                                                      "label": {c: c for c in codes}}} for d, codes in dims},
           "value": values}
    if status:
        out["status"] = status
    return out


def test_historical_codes_are_mapped_to_2024_by_year():
    """Plain codes as SSB's 'all regions' query returns them: Porsgrunn was 0805 until 2019,
    3806 in 2020-2023 and is 4001 from 2024; cells outside a code's lifetime are '.'."""
    years = [str(y) for y in range(2019, 2025)]
    codes = ["0805", "3806", "4001", "0"]
    alive = {"0805": {"2019"}, "3806": {"2020", "2021", "2022", "2023"}, "4001": {"2024"}, "0": set(years)}
    values, status = [], {}
    for code in codes:
        for s in range(2):
            for a in range(106):
                for y in years:
                    if y in alive[code]:
                        values.append(1000 + 10 * int(y[-1]) + s + a % 3)
                    else:
                        status[str(len(values))] = "."
                        values.append(None)
    obj = _dataset("07459", [("Region", codes), ("Kjonn", ["1", "2"]), ("Alder", list(F.AGE_CODES)),
                             ("ContentsCode", ["Personer1"]), ("Tid", years)], values, status)
    frame = J.parse_jsonstat2(obj, table="07459", label="07459.json")
    one = D.Regions(("4001",), ("Porsgrunn",), ("40",), {"40": "Telemark"})
    notes: list[str] = []
    hist = J.population_from_jsonstat(frame, one, notes=notes)
    assert hist.years.tolist() == list(range(2019, 2025))
    assert [hist.at(y)[0, 1, 4] for y in range(2019, 2025)] == [1000 + 10 * (y % 10) + 1 + 1 for y in range(2019, 2025)]
    assert any("dropped non-municipal region(s) 0" in n for n in notes)
    assert any("historical code(s) after their last year" in n for n in notes)
    # a retired code with a number after its last year is an error naming the code
    i = ((1 * 2 + 0) * 106 + 0) * 6 + 5  # 3806, male, age 0, 2024: a number, not '.'
    values[i] = 5
    status.pop(str(i))
    with pytest.raises(ImportDataError, match=r"^07459\.json: dimension 'Region': unknown code '3806' \(not a 2024 "
                                              r"municipality; Porsgrunn was replaced on 1 January 2024"):
        J.population_from_jsonstat(J.parse_jsonstat2(obj, label="07459.json"), one)


def test_ssb_csv_with_labels_imports_like_jsonstat(tmp_path, muni_csv):
    """07459 as SSB's statbank CSV (labels, semicolons) gives the same population as JSON-stat2."""
    frame = J.parse_jsonstat2(POP)
    labels = {"Kjonn": {"1": "Menn", "2": "Kvinner"}, "Region": {"K-4001": "K-4001 Porsgrunn",
                                                                 "K-4003": "K-4003 Skien", "K-4010": "K-4010 Siljan"}}
    rows = ["region;kjønn;alder;statistikkvariabel;år;value"]
    for r in frame.itertuples():
        age = "105 år eller eldre" if r.Alder == "105+" else f"{int(r.Alder)} år"
        value = "-" if r.status == "-" else f"{r.value:.0f}"
        rows.append(f"{labels['Region'][r.Region]};{labels['Kjonn'][r.Kjonn]};{age};Personer;{r.Tid};{value}")
    path = tmp_path / "07459_befolkning.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = F.import_files([path], tmp_path / "out", municipalities=muni_csv)
    got = ssb.read_population(out / "population.csv", TELEMARK)
    assert np.array_equal(got.population, J.population_from_jsonstat(frame, TELEMARK).population)
    assert json.loads((out / "manifest.json").read_text())["inputs"][0]["format"] == "ssb-csv"


def test_kostra_tables_pass_through(tmp_path, muni_csv):
    out = F.import_files([FIX / "12292_kostra.json"], tmp_path / "out", municipalities=muni_csv)
    table = pd.read_csv(out / "kostra_12292.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["Region", "Region_label", "ContentsCode", "ContentsCode_label", "Tid", "value",
                                   "status"]
    assert len(table) == 12 and table["Region_label"].iloc[0] == "Porsgrunn"
    assert table["value"].iloc[11] == "" and table["status"].iloc[11] == ":"  # suppressed stays missing
    panel = tmp_path / "kostra_panel.csv"
    panel.write_text("kommunenr_2024,år\n4001,2023\n")
    with pytest.raises(ImportDataError, match=r"^kostra_panel\.csv: missing column 'folk_0_66'"):
        F.import_files([panel], tmp_path / "out2", municipalities=muni_csv)
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize("code,span", [("000", (0, 0)), ("105+", (105, 105)), ("1-5 år", (1, 5)),
                                       ("90 år eller eldre", (90, 105)), ("090-094", (90, 94)),
                                       ("0 år", (0, 0)), ("80 years or older", (80, 105)), ("Alle aldre", None)])
def test_age_codes_and_labels(code, span):
    assert J.parse_age(code) == span


# --- fetch -----------------------------------------------------------------------------------
def test_fetch_caches_raw_response_with_query_and_meta(tmp_path):
    opener = FakeOpener()
    paths = F.fetch(["07459"], tmp_path / "cache", opener=opener, pause=0, sleep=lambda s: None, now=NOW)
    folder = tmp_path / "cache" / "07459"
    assert paths == [folder / "20240301T120000Z.json"]
    assert sorted(p.name for p in folder.iterdir()) == ["20240301T120000Z-metadata.json", "20240301T120000Z.json",
                                                        "meta.json", "query.json"]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["table"] == "07459" and meta["downloaded"] == "2024-03-01T12:00:00Z"
    assert meta["api"] == F.API
    raw = paths[0].read_bytes()
    assert meta["files"][0]["sha256"] == F._sha(raw)
    url = meta["files"][0]["url"]
    assert url.startswith("https://data.ssb.no/api/pxwebapi/v2/tables/07459/data?lang=en&outputFormat=json-stat2")
    assert "codelist[Region]=agg_KommSummer" in url and "valueCodes[Kjonn]=1,2" in url
    assert "valueCodes[Tid]=from(2015)" in url and "valueCodes[ContentsCode]=Personer1" in url
    query = json.loads((folder / "query.json").read_text())
    assert query["queries"][0]["params"]["valueCodes[Alder]"] == "*"
    assert opener.urls[0].endswith("/tables/07459/metadata?lang=en&outputFormat=json-stat2")
    # a second download keeps the first and records both
    F.fetch(["07459"], tmp_path / "cache", opener=FakeOpener(), pause=0, sleep=lambda s: None,
            now=NOW + dt.timedelta(days=1))
    meta = json.loads((folder / "meta.json").read_text())
    assert [d["downloaded"][:10] for d in meta["downloads"]] == ["2024-03-01", "2024-03-02"]
    assert (folder / "20240301T120000Z.json").is_file()


def test_fetch_splits_large_queries_and_the_parts_import_as_one(tmp_path, muni_csv):
    limit = 3 * 2 * 1 * 2 * 40  # cells of 40 ages (3 regions, 2 sexes, 2 years in the metadata)
    opener = FakeOpener()
    paths = F.fetch(["07459"], tmp_path / "cache", opener=opener, cell_limit=limit, pause=0,
                    sleep=lambda s: None, now=NOW)
    assert [p.name for p in paths] == [f"20240301T120000Z-part0{i}.json" for i in (1, 2, 3)]
    ages = [parse_qs(urlsplit(u).query)["valueCodes[Alder]"][0].split(",") for u in opener.urls[1:]]
    assert [len(a) for a in ages] == [40, 40, 26] and ages[2][-1] == "105+"
    out = F.import_files(paths, tmp_path / "imported", municipalities=muni_csv)
    whole = J.population_from_jsonstat(J.parse_jsonstat2(POP), TELEMARK)
    parts = ssb.read_population(out / "population.csv", TELEMARK)
    assert np.array_equal(parts.population, whole.population)


def test_fetch_retries_with_backoff_then_succeeds(tmp_path):
    waits = []
    opener = FakeOpener(fail=2)
    paths = F.fetch(["07459"], tmp_path, opener=opener, retries=3, backoff=1.5, pause=0, sleep=waits.append,
                    now=NOW)
    assert len(paths) == 1 and paths[0].is_file()
    assert waits == [1.5, 3.0]
    assert len(opener.urls) == 4  # metadata 3 times (2 failures), data once


def test_fetch_offline_gives_one_line_and_writes_nothing(tmp_path):
    opener = FakeOpener(fail=99)
    with pytest.raises(ImportDataError) as err:
        F.fetch(["07459"], tmp_path / "cache", opener=opener, retries=2, pause=0, sleep=lambda s: None)
    assert len(err.value.problems) == 1
    line = err.value.problems[0]
    assert line.startswith("SSB PxWebApi not reachable (URLError: [Errno -3] Temporary failure in name resolution")
    assert "check your network or use `helsemod data import` with files downloaded by hand" in line
    assert len(opener.urls) == 3
    assert not (tmp_path / "cache").exists()


def test_fetch_http_errors(tmp_path):
    busy = FakeOpener(fail=99, error=_http_error(503))
    with pytest.raises(ImportDataError, match=r"^table 07459: SSB PxWebApi answered HTTP 503 Error after 2 attempts"):
        F.fetch(["07459"], tmp_path, opener=busy, retries=1, pause=0, sleep=lambda s: None)
    refused = FakeOpener(fail=99, error=_http_error(400, b'{"error": "Parameter error: valueCodes[Kjonn]"}'))
    with pytest.raises(ImportDataError, match=r"refused the query \(HTTP 400 Error: .*valueCodes\[Kjonn\]"):
        F.fetch(["07459"], tmp_path, opener=refused, retries=3, pause=0, sleep=lambda s: None)
    assert len(refused.urls) == 1  # a refused query is not retried


def test_fetch_rejects_a_bad_response_and_an_unknown_table(tmp_path):
    bad = FakeOpener(data=(FIX / "bad_truncated.json").read_bytes())
    with pytest.raises(ImportDataError, match=r"table 07459 \(response of https://.*\): malformed JSON"):
        F.fetch(["07459"], tmp_path / "c", opener=bad, pause=0, sleep=lambda s: None)
    assert not (tmp_path / "c").exists()
    with pytest.raises(ImportDataError, match=r"unknown table '99999' \(known: 07459, 14288"):
        F.fetch(["99999"], tmp_path / "c", opener=FakeOpener())


def test_table_registry_and_query_plan():
    assert {"07459", "14288", "14746", "04686", "12292", "11645", "11924", "14534"} <= set(F.TABLES)
    for spec in F.TABLES.values():
        assert spec.description and spec.used_for and callable(spec.converter)
    assert F.TABLES["07459"].converter is J.population_from_jsonstat
    _, meta = J.metadata_dimensions(META)
    (q,) = F.TABLES["07459"].queries(meta)
    assert q["valueCodes[Region]"] == "*" and q["outputValues[Region]"] == "aggregated"
    with pytest.raises(ImportDataError, match=r"table 14288: SSB's metadata has no dimension 'ContentsCode'"):
        F.TABLES["14288"].queries({k: v for k, v in meta.items() if k != "ContentsCode"})


# --- import ----------------------------------------------------------------------------------------
def test_import_round_trip_population_and_projection(tmp_path, muni_csv):
    out = F.import_files([POP, PROJ], tmp_path / "imported", municipalities=muni_csv)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "municipalities.csv", "population.csv",
                                                     "projection_14288_MMMM.csv"]
    hist = ssb.read_population(out / "population.csv", ssb.read_municipalities(out / "municipalities.csv"))
    frame = J.parse_jsonstat2(POP)
    assert hist.population.sum() == frame["value"].sum()
    assert hist.years.tolist() == [2023, 2024]
    manifest = json.loads((out / "manifest.json").read_text())
    first = manifest["inputs"][0]
    assert first["name"] == POP.name and first["sha256"] == F._sha(POP.read_bytes())
    assert first["table"] == "07459" and first["years"] == [2023, 2024] and first["output"] == "population.csv"
    assert manifest["inputs"][1]["table"] == "14288" and manifest["inputs"][1]["years"] == [2024, 2026]
    # the projection in the driver's format is read by the scenario driver
    ds = SimpleNamespace(regions=TELEMARK)
    arr = read_population_projection(out / "projection_14288_MMMM.csv", ds, [2024, 2025, 2026])
    proj = J.parse_jsonstat2(PROJ)
    mmmm = proj[proj["Region"].isin(TELEMARK.codes) & (proj["ContentsCode"] == "Personer1")]
    assert arr.shape == (3, 3, 2, 106) and arr.sum() == mmmm["value"].sum()
    # all alternatives on request
    out2 = F.import_files([PROJ, POP], tmp_path / "all", municipalities=muni_csv, alternatives="all")
    assert {p.name for p in out2.glob("projection_*")} == {f"projection_14288_{a}.csv" for a in ("MMMM", "LLML",
                                                                                                    "HHMH")}


def test_import_refuses_an_existing_folder_without_force(tmp_path, muni_csv):
    out = tmp_path / "imported"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(HelsemodError, match="already exists; use --force"):
        F.import_files([POP], out, municipalities=muni_csv)
    with pytest.raises(ImportDataError):  # a failing import leaves the old folder as it was
        F.import_files([FIX / "bad_unknown_region.json"], out, force=True, municipalities=muni_csv)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    with pytest.raises(HelsemodError, match="holds no helsemod manifest"):  # --force replaces only helsemod's folders
        F.import_files([POP], out, force=True, municipalities=muni_csv)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    (out / "keep.txt").unlink()
    out.rmdir()
    F.import_files([POP], out, municipalities=muni_csv)
    (out / "mine.txt").write_text("x")
    F.import_files([POP], out, force=True, municipalities=muni_csv)  # an import folder is replaced, all of it
    assert (out / "population.csv").is_file() and not (out / "mine.txt").exists()
    assert not [p for p in tmp_path.iterdir() if "helsemod-" in p.name]  # no temporary folder left


BAD = [
    ("bad_truncated.json", r"^bad_truncated\.json: malformed JSON, not JSON-stat2 \("),
    ("bad_no_dimension.json", r"^bad_no_dimension\.json: not JSON-stat2: missing 'dimension'$"),
    ("bad_size_mismatch.json", r"^bad_size_mismatch\.json: 'value' has 10 entries, expected 12 \(product of size\)$"),
    ("bad_wrong_table.json", r"^bad_wrong_table\.json: wrong table: 11342 is not one the model reads \(known: "),
    ("bad_unknown_region.json", r"^bad_unknown_region\.json: dimension 'Region': unknown code '9999' "),
    ("bad_suppressed.json", r"^bad_suppressed\.json: dimension 'Region': code '4001': suppressed cell "
                            r"\(status ':'\) for Tid=2024, Kjonn=female, Alder=1"),
    ("bad_duplicate_code.json", r"^bad_duplicate_code\.json: dimension 'Tid': duplicate code '2024'"),
    ("bad_year_gap.json", r"^bad_year_gap\.json: dimension 'Tid': no data for year 2023 \(years must be consecutive"),
]


@pytest.mark.parametrize("name,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_gives_one_specific_line_and_no_output(tmp_path, muni_csv, name, message):
    out = tmp_path / "imported"
    with pytest.raises(ImportDataError) as err:
        F.import_files([FIX / name], out, municipalities=muni_csv)
    assert len(err.value.problems) == 1, err.value.problems
    assert re.search(message, err.value.problems[0]), err.value.problems[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kommuner.csv"]  # no folder, no temporary left


def test_duplicate_rows_and_wrong_years(tmp_path, muni_csv):
    copy = tmp_path / "07459_again.json"
    copy.write_bytes(POP.read_bytes())
    with pytest.raises(ImportDataError, match=r"duplicate rows, first Region='K-4001', Kjonn='1', Alder='000', "
                                              r"ContentsCode='Personer1', Tid='2023' \(in 07459_again\.json and "
                                              r"07459_population\.json\)"):
        F.import_files([POP, copy], tmp_path / "out", municipalities=muni_csv)
    with pytest.raises(ImportDataError, match=r"07459_population\.json: dimension 'Tid': the file is for the wrong "
                                              r"years: it has 2023-2024, needs 2015-2024 \(no data for 2015-2022\)"):
        F.import_files([POP], tmp_path / "out", municipalities=muni_csv, years=range(2015, 2025))
    assert not (tmp_path / "out").exists()
    # a municipality missing from the population
    (tmp_path / "k4.csv").write_text(muni_csv.read_text() + "4012,Bamble,40,Telemark\n")
    with pytest.raises(ImportDataError, match=r"no data for municipality '4012' \(Bamble\)"):
        F.import_files([POP], tmp_path / "out", municipalities=tmp_path / "k4.csv")


def test_projection_needs_a_base_population_to_split_groups(tmp_path, muni_csv):
    csv = tmp_path / "projection_ssb12882.csv"
    rows = ["region,statistikkvariabel,år,alder,value,Framskriving,Tabell"]
    for name in ("Porsgrunn (2020-2023)", "Skien (2020-2023)", "Siljan (2020-2023)", "Hele landet"):
        for age in ("0-66 år", "67 år eller eldre"):
            rows.append(f"{name},Hovedalternativet (MMMM),2024,{age},1000,2020,12882")
    csv.write_text("\n".join(rows) + "\n")
    with pytest.raises(ImportDataError, match=r"needs a base population"):
        F.import_files([csv], tmp_path / "out", municipalities=muni_csv)
    out = F.import_files([csv, POP], tmp_path / "out", municipalities=muni_csv)
    long = pd.read_csv(out / "projection_12882_MMMM.csv", dtype={"region": str})
    assert sorted(long["region"].unique()) == ["4001", "4003", "4010"]  # 38xx names of 2020-2023 -> 2024 codes
    assert long.groupby("region")["value"].sum().round(9).tolist() == [2000.0, 2000.0, 2000.0]
    # split like the base population of 2024: Siljan, age 0-66 by sex and age
    base = J.population_from_jsonstat(J.parse_jsonstat2(POP), TELEMARK).at(2024)[2, :, :67]
    got = long[(long["region"] == "4010") & (long["age"] <= 66)].pivot(index="sex", columns="age", values="value")
    assert np.allclose(got.loc[["male", "female"]].to_numpy(), 1000 * base / base.sum())


def test_build_from_an_import_folder(tmp_path, muni_csv):
    with pytest.raises(ImportDataError, match=r"no population\.csv"):
        F.build_dataset(tmp_path)
    out = F.import_files([POP], tmp_path / "imported", municipalities=muni_csv)
    ds = F.build_dataset(out)
    assert ds.regions.codes == TELEMARK.codes and ds.base_year == 2024
    assert ds["population"].sum() == J.parse_jsonstat2(POP).query("Tid == '2024'")["value"].sum()
    assert ds.meta["import"]["inputs"][0]["sha256"] == F._sha(POP.read_bytes())


# --- the real SSB files ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not (SSB_DIR / "population_kommune_age_sex_2015_2024.csv").is_file():
        pytest.skip(f"SSB data not found at {SSB_DIR.resolve()}")
    tmp = tmp_path_factory.mktemp("real")
    out = F.import_files([SSB_DIR / "population_kommune_age_sex_2015_2024.csv",
                          SSB_DIR / "projection_telemark_ssb12882_2020-2050.csv",
                          SSB_DIR / "kostra_care_panel_2015_2023.csv"],
                         tmp / "imported", municipalities=SSB_DIR / "kommuner_2024.csv")
    return SimpleNamespace(dir=out, tmp=tmp)


@pytest.mark.realdata
def test_real_import_then_build_keeps_the_national_total(real):
    assert (real.dir / "kostra_care_panel.csv").read_bytes() == \
        (SSB_DIR / "kostra_care_panel_2015_2023.csv").read_bytes()  # passed through unchanged
    ds = F.build_dataset(real.dir)
    assert len(ds.regions) == 357
    assert ds["population"].sum() == 5_550_203
    assert "KOSTRA" in json.dumps(ds.meta)  # calibrated with the imported panel
    manifest = json.loads((real.dir / "manifest.json").read_text())
    assert manifest["outputs"]["population.csv"]["persons_last_year"] == 5_550_203


@pytest.mark.realdata
def test_real_projection_sample_drives_the_model_for_telemark(real):
    raw = pd.read_csv(SSB_DIR / "projection_telemark_ssb12882_2020-2050.csv", dtype=str)
    mmmm = raw[raw["statistikkvariabel"].str.contains("(MMMM)", regex=False)
               & raw["region"].str.endswith("(2020-2023)") & ~raw["region"].str.startswith("Vestfold og Telemark")]
    path = real.dir / "projection_12882_MMMM.csv"
    long = pd.read_csv(path, dtype={"region": str})
    assert long.groupby("year")["value"].sum().round(6).to_dict() == \
        mmmm.assign(v=mmmm["value"].astype(float)).groupby(mmmm["år"].astype(int))["v"].sum().to_dict()
    regions = ssb.read_municipalities(SSB_DIR / "kommuner_2024.csv")
    telemark = [c for c, k in zip(regions.codes, regions.county_codes) if k == "40"]
    assert sorted(long["region"].unique()) == sorted(telemark) and len(telemark) == 17
    ds = ssb.dataset_from_ssb(SSB_DIR / "population_kommune_age_sex_2015_2024.csv",
                              SSB_DIR / "kommuner_2024.csv").subset(telemark)
    scn_file = real.tmp / "mmmm.yaml"
    scn_file.write_text(f"name: ssb_mmmm\nassumptions:\n  end_year: 2035\n  population_driver:\n"
                        f"    source: file\n    file: {path}\n    reference: SSB 12882 MMMM (2020 projections)\n")
    res = hm.project(ds, hm.Scenario.from_yaml(scn_file))
    years = list(range(2024, 2036))
    want = read_population_projection(path, ds, years)
    assert np.allclose(res.demand_population.values, want)
    assert math.isclose(float(want[0].sum()), float(long.loc[long["year"] == 2024, "value"].sum()))
    base = hm.project(ds, end_year=2035)
    assert not np.allclose(res.demand_fte.values, base.demand_fte.values)  # the driver changes demand


@pytest.mark.realdata
def test_real_population_as_jsonstat2_round_trip(real):
    """The national 07459 in JSON-stat2 layout (built here in a temporary folder from the shared
    CSV, as agg_KommSummer codes) imports to the same population, 5 550 203 on 1 January 2024."""
    regions = ssb.read_municipalities(SSB_DIR / "kommuner_2024.csv")
    hist = ssb.read_population(SSB_DIR / "population_kommune_age_sex_2015_2024.csv", regions)
    dims = [("Region", ["K-" + c for c in regions.codes]), ("Kjonn", ["1", "2"]), ("Alder", list(F.AGE_CODES)),
            ("ContentsCode", ["Personer1"]), ("Tid", [str(y) for y in hist.years])]
    values = hist.population.transpose(1, 2, 3, 0).ravel().tolist()
    path = real.tmp / "07459.json"
    path.write_text(json.dumps(_dataset("07459", dims, values)))
    out = F.import_files([path], real.tmp / "from_json", municipalities=SSB_DIR / "kommuner_2024.csv")
    got = ssb.read_population(out / "population.csv", regions)
    assert np.array_equal(got.population, hist.population) and got.merged == (("1508", "1580"),)
    assert got.at(2024).sum() == 5_550_203
