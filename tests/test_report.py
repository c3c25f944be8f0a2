"""Figures, Excel workbooks and HTML reports: from projections and from saved results folders.

PNG files must be real images of a sensible size (signature, IHDR width and height) with
content; the HTML report must be self-contained and hold the expected tables, numbers and
labels in both languages; workbooks must open with openpyxl with one sheet per table, a
frozen header row and units in the headers.
"""

from __future__ import annotations

import json
import re
import struct

import matplotlib.text
import numpy as np
import pandas as pd
import pytest

import helsemod_py as hm
from helsemod_py import dims as D
from helsemod_py.analysis import attribute
from helsemod_py.errors import HelsemodError
from helsemod_py.outputs import provenance_table, long_table, manifest, write_atomic_dir, write_results
from helsemod_py.report import (
    excel_from_folder,
    load_folder,
    plot_attribution_waterfall,
    plot_gap_by_county,
    plot_gap_heatmap,
    plot_population_pyramids,
    plot_scenario_comparison,
    plot_supply_demand,
    plots_from_folder,
    report_from_folder,
    report_tables,
    save_plots,
    write_excel,
    write_excel_report,
    write_html_report,
)
from helsemod_py import labels as L
from helsemod_py.report.plots import ResultSet, figure_png
from helsemod_py.report.plots_compare import waterfall_frame

openpyxl = pytest.importorskip("openpyxl")

CODES = ["K0301", "K3401", "K3402", "K5601"]
END = 2030


def _measure(mid, param, op, value, unit, groups, cost=None):
    m = {"id": mid, "parameter": param, op: {"value": value, "unit": unit}, "path": {"start": 2025},
         "target": {"groups": groups}}
    if cost is not None:
        m["cost"] = {"value": cost, "unit": "MNOK per year"}
    return m


SCN = hm.Scenario("full time", measures=[
    _measure("torn_health_workers", "avg_fte", "multiply", 1.05, "/1", ["health_worker"], cost=15),
    _measure("torn_nurses", "avg_fte", "multiply", 1.03, "/1", ["nurse"], cost=5),
])


@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset().subset(CODES)


@pytest.fixture(scope="module")
def runs(ds):
    base = hm.project(ds, end_year=END)
    res = hm.project(ds, SCN, end_year=END)
    att = attribute(ds, SCN, end_year=END)
    return base, res, att


@pytest.fixture(scope="module")
def folders(tmp_path_factory, runs):
    """A ``helsemod run`` folder and a ``helsemod compare`` folder, written like the CLI does."""
    base, res, att = runs
    root = tmp_path_factory.mktemp("results")
    run_dir = write_results(res, root / "run", scenario_hash="abc")
    comp = pd.concat([long_table(p) for p in (base, res)], ignore_index=True)
    wf = att.waterfall(END, level="county")
    wf.insert(0, "scenario", SCN.name)
    ce = att.cost_effectiveness(END)
    ce.insert(0, "scenario", SCN.name)
    man = manifest(res, scenario_hash="a,b", extra={"scenarios": ["baseline.yaml", "full.yaml"], "year": END})
    compare_dir = write_atomic_dir(root / "compare", {
        "comparison.csv": lambda p: comp.to_csv(p, index=False, float_format="%.6g"),
        "provenance.csv": lambda p: provenance_table(res).to_csv(p, index=False, float_format="%.6g"),
        "attribution.csv": lambda p: wf.to_csv(p, index=False, float_format="%.6g"),
        "cost_effectiveness.csv": lambda p: ce.to_csv(p, index=False, float_format="%.6g"),
        "manifest.json": lambda p: p.write_text(json.dumps(man, ensure_ascii=False)),
    })
    return run_dir, compare_dir


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after checking the signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def check_png(data: bytes, min_bytes: int = 15_000) -> None:
    w, h = png_size(data)
    assert 400 <= w <= 3000 and 400 <= h <= 3000, (w, h)
    assert len(data) > min_bytes, len(data)  # real content, not a blank canvas
    assert data.rstrip().endswith(b"IEND\xaeB`\x82")


def nation_gap(proj, year, group=None):
    g = proj.aggregate("nation").gap.sel(year=year, region=D.NATION_CODE).sum("sector")
    return float(g.sel(group=group)) if group else float(g.sum())


# --- figures ----------------------------------------------------------------------------------
def test_every_plot_from_projection_is_a_real_image(runs):
    """Norwegian here; the English figures are checked through save_plots and the HTML report."""
    base, res, att = runs
    lang = "nb"
    figs = {
        "supply_demand": plot_supply_demand(res, lang=lang),
        "supply_demand_region": plot_supply_demand(res, region="Innlandet", lang=lang, groups=["nurse", "gp"]),
        "county": plot_gap_by_county(res, lang=lang),
        "county_group": plot_gap_by_county(res, year=2028, lang=lang, group="nurse"),
        "heatmap": plot_gap_heatmap(res, lang=lang),
        "pyramids": plot_population_pyramids(res, lang=lang),
        "pyramids_muni": plot_population_pyramids(res, lang=lang, region="K0301"),
        "comparison": plot_scenario_comparison(res, base, lang=lang),
        "waterfall": plot_attribution_waterfall(att, lang=lang, dataset=res.dataset_name),
    }
    for name, fig in figs.items():
        check_png(figure_png(fig))
        texts = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
        assert f"helsemod_py {hm.__version__}" in texts, name  # caption line
        assert "helsemod-default" in texts, name
    unit = "årsverk"
    for name in ("supply_demand", "county", "comparison", "waterfall"):
        texts = " ".join(t.get_text() for t in figs[name].findobj(lambda a: hasattr(a, "get_text")))
        assert unit in texts, name
    sd = " ".join(t.get_text() for t in figs["supply_demand"].findobj(lambda a: hasattr(a, "get_text")))
    assert L.group_name("nurse", lang) in sd and "Tilbud" in sd and "Supply" not in sd


def test_save_plots_writes_all_six(tmp_path, runs):
    base, res, att = runs
    paths = save_plots(res, tmp_path / "png", lang="en", baseline=base, attribution=att)
    assert [p.name for p in paths] == ["supply_demand_en.png", "gap_by_county_en.png", "gap_heatmap_en.png",
                                       "population_pyramids_en.png", "scenario_comparison_en.png",
                                       "attribution_waterfall_en.png"]
    for p in paths:
        check_png(p.read_bytes())
    assert sorted(x.name for x in (tmp_path / "png").iterdir()) == sorted(p.name for p in paths)  # no temp files


def test_waterfall_adds_up_and_folder_rows_match(runs, folders):
    _, _, att = runs
    wf, year, scn = waterfall_frame(att)
    assert year == END and scn == SCN.name
    total = float(att.total.sel(year=END).sum())
    assert wf["change_fte"].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    saved = pd.read_csv(folders[1] / "attribution.csv")
    wf2, _, _ = waterfall_frame(saved)
    assert wf2["change_fte"].sum() == pytest.approx(total, rel=1e-4)
    assert wf2.attrs["outcome"] == "gap" and set(wf2["evidence"]) == {"assumption"}  # no sources in SCN
    ratio = wf["cost_total_nok"] / wf["change_fte"]  # total cost includes the wages of the FTE gained
    assert np.allclose(wf["nok_per_fte_total"], ratio) and (ratio > 5e5).all()
    assert (wf["nok_per_fte_programme"] < 0.1 * wf["nok_per_fte_total"]).all()
    fig = plot_attribution_waterfall(saved, year=END, lang="nb")
    bar_widths = sorted(round(p.get_width(), 6) for p in fig.axes[0].patches)
    assert round(total, 6) in [pytest.approx(w, rel=1e-4) for w in bar_widths]


def test_plots_from_folders(tmp_path, folders):
    run_dir, compare_dir = folders
    paths = plots_from_folder(run_dir, tmp_path / "run", lang="nb")
    assert [p.name for p in paths] == ["supply_demand_nb.png", "gap_by_county_nb.png", "gap_heatmap_nb.png",
                                       "population_pyramids_nb.png"]  # from population_by_age.csv
    paths = plots_from_folder(compare_dir, lang="en")  # default: <folder>/plots
    names = [p.name for p in paths]
    assert "scenario_comparison_en.png" in names and "attribution_waterfall_en.png" in names
    assert all(p.parent == compare_dir / "plots" for p in paths)
    for p in paths:
        check_png(p.read_bytes())


def test_results_read_back_match_the_projection(runs, folders):
    _, res, _ = runs
    run = load_folder(folders[0])
    assert run.kind == "run" and run.main.scenario == SCN.name and run.baseline is None
    got = run.main.region_series("gap", D.NATION_CODE).loc[END, "nurse"]
    assert got == pytest.approx(nation_gap(res, END, "nurse"), rel=1e-5)
    assert run.main.county_of == {"K0301": "03", "K3401": "34", "K3402": "34", "K5601": "56"}
    comp = load_folder(folders[1])
    assert comp.kind == "compare" and [r.scenario for r in comp.results] == ["baseline", SCN.name]
    assert comp.year == END and comp.attribution is not None and comp.cost_effectiveness is not None
    rs = ResultSet.from_projection(res)
    assert rs.has_population and rs.resolve_region("oslo") == "K0301" and rs.resolve_region(None) == "0"
    with pytest.raises(HelsemodError, match="no municipality"):
        rs.resolve_region("Atlantis")


# --- HTML -------------------------------------------------------------------------------------
def _strip_images(text: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "IMG", text)


def _self_contained(text: str) -> None:
    assert "<script" not in text.lower()
    assert not re.search(r'(src|href)="(?!data:|#)', text), "external reference"
    for b64 in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text):
        import base64

        check_png(base64.b64decode(b64), min_bytes=5_000)


def test_html_report_from_projection_both_languages(tmp_path, ds, runs):
    base, res, att = runs
    nb = write_html_report(res, tmp_path / "r_nb.html", lang="nb", baseline=base, attribution=att, dataset=ds)
    en = write_html_report(res, tmp_path / "r_en.html", lang="en", baseline=base, attribution=att, dataset=ds)
    tnb, ten = nb.read_text(encoding="utf-8"), en.read_text(encoding="utf-8")
    for text in (tnb, ten):
        _self_contained(text)
        assert text.count("data:image/png;base64,") == 6
        assert "helsemod-default" in text and SCN.name in text and "torn_nurses" in text
    snb, sen = _strip_images(tnb), _strip_images(ten)
    # group names (full in tables), county names, headers with units
    for g in ("nurse", "health_worker", "dentist"):
        assert L.group_name(g, "nb", short=False) in snb
        assert L.group_name(g, "en", short=False) in sen
    for county in ("Oslo", "Innlandet", "Finnmark"):
        assert f"<td>{county}</td>" in snb and f"<td>{county}</td>" in sen
    # with a baseline, every scenario side by side: the column names its scenario
    assert f"Etterspørsel {END}: {SCN.name} (årsverk)" in snb and f"Demand {END}: {SCN.name} (FTE)" in sen
    assert f"Etterspørsel {END}: Referansebane (årsverk)" in snb and f"Demand {END}: baseline (FTE)" in sen
    assert f"Demand {END}" not in snb and f"Etterspørsel {END}" not in sen
    assert "Hva er syntetisk" in snb and "What is synthetic" in sen and "Kilder" in snb and "Sources" in sen
    assert "Kompetanseløft 2025" in snb and "HELSEMOD" in sen
    # numbers: the national nurse gap in the horizon year and the all-group total, formatted per language
    for lang, text in (("nb", snb), ("en", sen)):
        assert L.fmt_num(nation_gap(res, END, "nurse"), lang) in text
        assert L.fmt_num(nation_gap(res, END), lang) in text
        change = nation_gap(res, END) - nation_gap(base, END)
        assert L.fmt_num(change, lang) in text
    assert "\u2212" in snb and "\u00a0" in snb  # true minus, non-breaking thousands separator


def test_html_report_from_folders(tmp_path, folders, runs):
    base, res, _ = runs
    run_dir, compare_dir = folders
    out = report_from_folder(run_dir, tmp_path / "run.html", lang="en")
    text = out.read_text(encoding="utf-8")
    _self_contained(text)
    assert text.count("data:image/png;base64,") == 4  # supply/demand, counties, heat map, pyramids
    assert "Gap by county" in text and "per 1,000 inh." in text  # results carry the population
    out = report_from_folder(compare_dir, lang="nb")  # default: <folder>/report_nb.html
    assert out == compare_dir / "report_nb.html"
    text = _strip_images(out.read_text(encoding="utf-8"))
    for needle in ("Endring i differansen mot «Referansebane»", "Bidrag fra tiltak", "Kostnadseffektivitet", "torn_health_workers",
                   "Sykepleiere", "Innlandet", L.fmt_num(nation_gap(res, END) - nation_gap(base, END), "nb")):
        assert needle in text, needle
    assert text.count("IMG") == 5
    # a subset of the embedded default: recognised by name, flagged as not the default itself
    assert "syntetiske" in text and "annen hash" in text


# --- Excel ------------------------------------------------------------------------------------
def test_write_excel_generic(tmp_path, runs):
    _, res, _ = runs
    long = res.aggregate("county").to_frame()
    gap = long[long["variable"] == "gap"].drop(columns="unit")
    path = write_excel({"results": long, "gap/county?": gap, "x" * 40: pd.DataFrame({"a": [1, 2]})},
                       tmp_path / "out" / "t.xlsx", units={"gap/county?": {"value": "FTE"}, "a": "persons"})
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["results", "gap-county-", "x" * 31]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(ws.column_dimensions[c].width >= 8 for c in "AB")
    headers = [[c.value for c in ws[1]] for ws in wb.worksheets]
    assert "value (FTE)" in headers[0] and "value (FTE)" in headers[1] and headers[2] == ["a (persons)"]
    assert wb["results"].max_row == len(long) + 1
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["t.xlsx"]  # atomic: no temp file left


@pytest.mark.parametrize("lang,unit", [("nb", "(årsverk)"), ("en", "(FTE)")])
def test_excel_report_one_sheet_per_table(tmp_path, runs, folders, lang, unit):
    base, res, att = runs
    tables = report_tables(res, lang, baseline=base, attribution=att)
    path = write_excel_report(res, tmp_path / "r.xlsx", lang=lang, baseline=base, attribution=att)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [L.t("sheet_about", lang)] + [t.key for t in tables] and len(tables) == 7
    about = [c.value for c in wb.worksheets[0]["A"]]  # synthetic data said first
    assert about[0] == L.t("col_note", lang) and about[1] == L.t("synthetic_note", lang, dataset=res.dataset_name)
    for ws, tab in zip(wb.worksheets[1:], tables):
        assert ws.freeze_panes == "A2"
        header = [c.value for c in ws[1]]
        want = "(%)" if tab.key == L.t("sheet_provenance", lang) else unit
        assert any(want in str(h) for h in header), header
        assert ws.max_row == len(tab.frame) + 1
    nation = wb.worksheets[1]
    row = [c.value for c in nation[4]]  # nurses: the third group
    assert row[0] == L.group_name("nurse", lang, short=False)
    assert row[-1] == pytest.approx(nation_gap(res, END, "nurse"))
    path = excel_from_folder(folders[1], tmp_path / "f.xlsx", lang=lang)
    assert len(openpyxl.load_workbook(path).sheetnames) == 8
    prov = tables[[t.key for t in tables].index(L.t("sheet_provenance", lang))].frame
    assert prov.iloc[-1, 1] == L.t("nation", lang) and prov.iloc[:, 4].max() == pytest.approx(100.0)  # synthetic


# --- labels and errors ------------------------------------------------------------------------
def test_number_formats_and_labels():
    assert L.fmt_num(-1234.56, "nb", 1) == "\u22121\u00a0234,6"
    assert L.fmt_num(-1234.56, "en", 1) == "\u22121,234.6"
    assert L.fmt_num(12.0, "en", sign=True) == "+12" and L.fmt_num(-0.2, "nb") == "0"
    assert L.fmt_num(float("nan"), "nb") == "–"
    for key, texts in L.TEXT.items():
        assert set(texts) == set(L.LANGS) and all(texts.values()), key
    for g in D.GROUPS:
        assert L.group_name(g, "nb") and L.group_name(g, "en") and L.group_name(g, "en", short=False)


def test_errors(tmp_path, runs):
    _, res, _ = runs
    with pytest.raises(HelsemodError, match="language"):
        plot_supply_demand(res, lang="de")
    with pytest.raises(HelsemodError, match="year"):
        plot_gap_by_county(res, year=1999)
    with pytest.raises(HelsemodError, match="no results.csv"):
        report_from_folder(tmp_path)
    with pytest.raises(HelsemodError, match="not a folder"):
        plots_from_folder(tmp_path / "missing")
    rs = ResultSet.from_long(res.to_frame())
    with pytest.raises(HelsemodError, match="Projection"):
        plot_population_pyramids(rs)
    assert np.isfinite(rs.pivot("gap", "municipality", END).values).all()


# --- maps ---------------------------------------------------------------------------------------------
def test_maps_of_real_municipalities_and_why_the_default_has_none(tmp_path):
    """Real 2024 codes are mapped from the shipped boundaries (credit on the figure); the synthetic
    default gets no map and the report says why, in the report's language."""
    from helpers import make_arrays

    from helsemod_py.data.dataset import Dataset
    from helsemod_py.report import maps
    from helsemod_py.report.plots import map_note, plot_maps

    codes = ("0301", "3403", "4601", "5601")
    regions = D.Regions(codes, ("Oslo", "Hamar", "Bergen", "Alta"), ("03", "34", "46", "56"),
                        {"03": "Oslo", "34": "Innlandet", "46": "Vestland", "56": "Finnmark"})
    ds = Dataset(regions, 2024, make_arrays(regions, np.random.default_rng(2)),
                 {"sex_ratio_at_birth": 1.05, "workforce_migration_factor": 1.0,
                  "workforce_local_migration_factor": 1.0}).validate()
    res = hm.project(ds, end_year=2027)
    assert map_note(res) is None
    for what in ("gap", "supply_change", "demand_change"):
        fig = plot_maps(res, lang="en", what=what)
        w, h = png_size(figure_png(fig))
        assert w > 600 and h > 400
        texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
        assert any(maps.CREDIT in t for t in texts)
        faces = fig.axes[0].collections[0].get_facecolors()
        assert len(faces) >= 4 and len({tuple(np.round(f, 3)) for f in faces}) > 1
    html = write_html_report(res, tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert "Map: the gap as a percentage of demand" in html and "No map" not in html
    default = hm.project(hm.load_dataset(), end_year=2026)
    assert "standarddatasettets kommuner er syntetiske" in map_note(default, "nb")
    html = write_html_report(default, tmp_path / "d.html", lang="nb").read_text(encoding="utf-8")
    assert "Ingen kart" in html and "Kart: gap" not in html
    with pytest.raises(HelsemodError, match="No map"):
        plot_maps(default, lang="en")


def test_compact_boundaries_of_a_geojson():
    from helsemod_py.report.maps import compact_boundaries

    square = [[10.0, 60.0], [10.00001, 60.0], [10.5, 60.0], [10.5, 60.5], [10.0, 60.5], [10.0, 60.0]]
    gj = {"type": "FeatureCollection", "features": [
        {"properties": {"kommunenummer": "9999"}, "geometry": {"type": "Polygon", "coordinates": [square]}},
        {"properties": {"kommunenummer": "9998"}, "geometry": {"type": "MultiPolygon",
                                                               "coordinates": [[square], [square[:3]]]}}]}
    out = compact_boundaries(gj, "municipality")
    assert out["credit"].startswith("©") and sorted(out["regions"]) == ["9998", "9999"]
    assert len(out["regions"]["9999"][0]) == 5  # the repeated point after rounding is dropped
    assert len(out["regions"]["9998"]) == 1  # a ring of under four points is dropped
    with pytest.raises(HelsemodError, match="fylkesnummer"):
        compact_boundaries(gj, "county")


def test_results_folder_carries_its_datasets_metadata(tmp_path):
    """A projection of a dataset made in memory (no dataset folder to find) still tells the report
    what is synthetic and where its facts come from: the manifest carries the dataset's metadata."""
    import dataclasses

    ds = hm.load_dataset().subset(["K3401", "K3403", "K3405"])
    ds = dataclasses.replace(ds, name="my-notebook-data",
                             meta=dict(ds.meta, description="Three municipalities from a notebook, checked by hand.",
                                       description_nb="Tre kommuner fra en notatbok, sjekket for hånd."))
    out = write_results(hm.project(ds, end_year=2027), tmp_path / "run")
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["dataset_meta"]["name"] == "my-notebook-data"
    assert man["dataset_meta"]["synthetic"] == ds.meta["synthetic"]
    text = _strip_images(report_from_folder(out, lang="en").read_text(encoding="utf-8"))
    assert "Three municipalities from a notebook, checked by hand." in text
    assert L.t("syn_unknown", "en")[:40] not in text
    # the Norwegian report gives the Norwegian description where the dataset has one
    text = _strip_images(report_from_folder(out, lang="nb").read_text(encoding="utf-8"))
    assert ds.meta["description_nb"] in text and "checked by hand" not in text
