"""A `helsemod compare` folder as a planner reads it: every scenario side by side, costs drawn and
filled from the cost-effectiveness table, measures by their titles, Norwegian words throughout,
the region asked for, and synthetic data said on every output."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from helsemod_py.cli import main
from helsemod_py import labels as L
from helsemod_py.report.figures import folder_figures
from helsemod_py.report.plots import load_folder
from helsemod_py.report.plots_compare import waterfall_frame

openpyxl = pytest.importorskip("openpyxl")
SCEN = Path(__file__).resolve().parents[1] / "scenarios"
NAMES = ("Referansebane", "TØRN / heltidskultur", "Lavere sykefravær")


@pytest.fixture(scope="module")
def cmp_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "c"
    res = CliRunner().invoke(main, ["compare", str(SCEN / "baseline.yaml"), str(SCEN / "torn_full_time.yaml"),
                                    str(SCEN / "sick_leave.yaml"), "--end-year", "2030", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def test_costs_come_from_the_cost_effectiveness_table(cmp_dir):
    folder = load_folder(cmp_dir)
    ce = folder.cost_effectiveness
    assert "title" in folder.attribution and "title" in ce
    for scn in ("TØRN / heltidskultur", "Lavere sykefravær"):
        wf, _, _ = waterfall_frame(folder.attribution, scenario=scn, cost_effectiveness=ce)
        want = ce[(ce.scenario == scn) & (ce.measure != "total")].set_index("measure")
        got = wf.set_index("measure")
        assert got["cost_total_nok"].notna().all()
        assert np.allclose(got.loc[want.index, "nok_per_fte_total"], want["nok_per_fte_total"])
        assert np.allclose(got.loc[want.index, "change_fte"], want["fte_gained"], rtol=1e-4)


def test_plots_show_every_scenario_with_costs_titles_and_norwegian_words(cmp_dir):
    figs = {name: fig for name, _, fig in folder_figures(load_folder(cmp_dir), "nb")}
    torn = _texts(figs["attribution_waterfall_torn_heltidskultur"])
    assert any("TØRN – heltidskultur for sykepleiere" in t for t in torn)  # the title, not the id
    assert not any("torn_nurses" in t or "torn nurses" in t for t in torn)
    assert sum(L.t("kr_per_fte_short", "nb") in t for t in torn) == 3  # two measures and the total
    legend = [t.get_text() for t in figs["supply_demand"].legends[0].get_texts()] if figs["supply_demand"].legends \
        else [t.get_text() for ax in figs["supply_demand"].axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert all(any(n in t for t in legend) for n in NAMES), legend
    county = figs["gap_by_county"].axes[0]
    assert [t.get_text() for t in county.get_legend().get_texts()] == list(NAMES)
    assert len(county.containers) == 3
    for name, fig in figs.items():  # Norwegian plots never say gap or baseline
        for t in _texts(fig):
            assert not re.search(r"\bgap\b|baseline", t, re.I), (name, t)


def test_report_and_excel_for_a_region_with_costs_and_synthetic_flags(cmp_dir, tmp_path):
    runner = CliRunner()
    html, xlsx = tmp_path / "r.html", tmp_path / "r.xlsx"
    res = runner.invoke(main, ["report", str(cmp_dir), "--region", "innlandet", "--out", str(html),
                               "--excel", str(xlsx)])
    assert res.exit_code == 0, res.output
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "IMG", html.read_text(encoding="utf-8"))
    assert 'id="synthetic-banner"' in text and "SYNTETISKE DATA" in text
    assert re.search(r'<p class="headline">Innlandet, 2030: tilbud [\d\u00a0]+, etterspørsel', text)
    table1 = re.search(r'<h3 id="table-1">(.*?)</h3>(.*?)</table>', text, re.S)
    assert table1.group(1).endswith("etter personellgruppe, Innlandet")
    for name in NAMES:
        assert f"Differanse 2030: {name} (årsverk)" in table1.group(2)
    assert "Endring i differansen mot «Referansebane», 2030, Innlandet" in text
    assert not re.search(r"\bgap\b|baseline", re.sub(r"<[^>]+>|scenarios/\S+", " ", text), re.I)
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[:2] == ["Om tallene", "Innlandet"]
    assert str(wb["Om tallene"]["A2"].value).startswith("SYNTETISKE DATA")
    tiltak = pd.DataFrame(list(wb["Tiltak"].values)[1:], columns=[c.value for c in wb["Tiltak"][1]])
    cost = [c for c in tiltak.columns if c.startswith("Samlet kostnad per årsverk")][0]
    assert tiltak[cost].notna().all() and (tiltak[cost] > 0).all()
    assert "TØRN – heltidskultur for helsefagarbeidere" in set(tiltak["Tiltak"])
