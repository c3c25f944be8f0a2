"""Norwegian names of groups, services and levels: one table, accepted wherever ids are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import helsemod_py as hm
from helsemod_py import aliases as A
from helsemod_py import dims as D
from helsemod_py.cli import main
from helsemod_py.errors import HelsemodError

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize("kind,text,code", [
    ("group", "sykepleier", "nurse"), ("group", "Sykepleiere", "nurse"), ("group", "helsefagarbeider", "health_worker"),
    ("group", "helsefagarbeidere", "health_worker"), ("group", "jordmødre", "midwife"), ("group", "jordmodre", "midwife"),
    ("group", "fastleger", "gp"), ("group", "Health workers", "health_worker"), ("group", "health-worker", "health_worker"),
    ("service", "hjemmetjenester", "home_care"), ("service", "institusjon", "nursing_home"),
    ("service", "sykehjem", "nursing_home"), ("level", "fylke", "county"), ("level", "kommune", "municipality"),
    ("level", "nasjon", "nation"), ("level", "land", "nation"), ("level", "helseforetak", "trust"),
])
def test_names_resolve_to_ids(kind, text, code):
    assert A.resolve(kind, text) == code


def test_every_id_and_its_norwegian_name_resolve():
    for kind, labels in (("group", D.GROUP_LABELS), ("service", D.SERVICE_LABELS)):
        for lbl in labels:
            assert A.canonical(kind, lbl.code) == lbl.code
            assert A.canonical(kind, lbl.nb) == lbl.code and A.canonical(kind, lbl.en) == lbl.code
    assert set(A.ALIASES["group"]) <= set(D.GROUPS) and set(A.ALIASES["service"]) <= set(D.SERVICES)


def test_unknown_and_not_allowed_names_are_one_line_each():
    with pytest.raises(HelsemodError) as exc:
        A.resolve_all("group", ["sykepleiere", "sykepleir", "lærer"], what="--groups")
    assert len(exc.value.problems) == 2
    assert exc.value.problems[0].startswith("--groups 'sykepleir': unknown group (allowed: physician (leger),")
    with pytest.raises(HelsemodError, match="allowed: municipality"):
        A.resolve("level", "helseforetak", D.REGION_LEVELS)


def test_cli_accepts_norwegian_names():
    runner = CliRunner()
    res = runner.invoke(main, ["run", "--end-year", "2026", "--groups", "sykepleiere,helsefagarbeider", "--json"])
    assert res.exit_code == 0, res.output
    assert list(json.loads(res.output)["groups"]) == ["nurse", "health_worker"]
    res = runner.invoke(main, ["intake", "sykepleier", "--level", "fylke", "--target-year", "2027",
                               "--start-year", "2025"])
    assert res.exit_code == 0, res.output
    assert "Innlandet" in res.output and "nurse" in res.output
    res = runner.invoke(main, ["intake", "nurze"])
    assert res.exit_code == 2 and "unknown group (allowed: physician (leger)" in res.output
    res = runner.invoke(main, ["intake", "nurse", "--level", "bydel"])
    assert res.exit_code == 2 and "nation (nasjon)" in res.output


def test_scenario_files_and_the_api_accept_norwegian_names(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("name: x\nmeasures:\n  - id: a\n    parameter: avg_fte\n    multiply: {value: 1.01, unit: /1}\n"
                 "    path: {start: 2025}\n    target: {groups: [sykepleiere, helsefagarbeider]}\n"
                 "  - id: b\n    parameter: fte_per_user\n    multiply: {value: 0.99, unit: /1}\n"
                 "    path: {start: 2025}\n    target: {services: [hjemmetjenester, institusjon]}\n")
    scn = hm.Scenario.from_yaml(f)
    assert scn.measures[0].target.groups == ["nurse", "health_worker"]
    assert scn.measures[1].target.services == ["home_care", "nursing_home"]
    ds = hm.load_dataset()
    res = hm.project(ds, end_year=2026)
    sel = res.select("Innlandet", groups=["sykepleiere", "helsefagarbeider"])
    assert list(sel.data["group"].values) == ["nurse", "health_worker"] and sel.level == "county"
    assert res.aggregate("fylke").level == "county" and res.aggregate("nasjon").level == "nation"
    with pytest.raises(ValueError, match="unknown group"):
        res.select(groups=["lærere"])
