"""The command line in Norwegian (helsemod --lang nb, HELSEMOD_LANG=nb), progress bars on the long
steps, and the synthetic default said in every summary."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from helsemod_py.cli import main

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


def test_run_summary_in_norwegian_says_the_data_are_synthetic():
    res = CliRunner().invoke(main, ["--lang", "nb", "run", "--end-year", "2026", "--region", "Innlandet"],
                             env={"HELSEMOD_PROGRESS": "1"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert "framskriver Referansebane" in res.stderr  # the progress bar
    assert lines[0].startswith("MERK: SYNTETISKE data")
    assert lines[1].startswith("Innlandet (34): årsverk etter personellgruppe (negativ differanse = mangel), "
                               "scenario Referansebane")
    assert any(x.startswith("Sykepleiere") for x in lines) and any(x.startswith("alle grupper") for x in lines)
    assert "tilbud 2024" in res.stdout and "differanse 2026" in res.stdout
    assert "gap" not in res.output and "baseline" not in res.output
    en = CliRunner().invoke(main, ["run", "--end-year", "2026"])
    assert en.stdout.startswith("NOTE: SYNTHETIC data") and "FTE by personnel group" in en.output
    js = json.loads(CliRunner().invoke(main, ["run", "--end-year", "2026", "--json"]).stdout)
    assert js["synthetic"] is True


def test_help_in_norwegian_from_the_option_or_the_environment():
    runner = CliRunner()
    for args, env in ((["--lang", "nb", "run", "--help"], {}), (["run", "--help"], {"HELSEMOD_LANG": "nb"})):
        res = runner.invoke(main, args, env=env)
        assert res.exit_code == 0, res.output
        assert res.output.startswith("Bruk: ") and " run [OPTIONS]" in res.output and "Valg:" in res.output
        assert "Framskriv et scenario" in res.output and "Vis denne hjelpen og avslutt." in res.output
    res = runner.invoke(main, ["--help"], env={"HELSEMOD_LANG": "nb"})
    assert "Kommandoer:" in res.output and "Sammenlign scenarioer" in res.output
    res = runner.invoke(main, ["--lang", "nb", "compare", "--help"])  # click's own bracket words too
    assert "[standard: 24" in res.output and "default" not in res.output
    res = runner.invoke(main, ["--lang", "nb", "data", "build", "--help"])
    assert "[påkrevd]" in res.output and "required" not in res.output
    res = runner.invoke(main, ["run", "--help"])
    assert res.output.startswith("Usage: ") and "Project a scenario" in res.output


def test_compare_has_progress_on_every_long_step_and_norwegian_tables(tmp_path):
    res = CliRunner().invoke(main, ["--lang", "nb", "compare", str(SCEN / "baseline.yaml"),
                                    str(SCEN / "sick_leave.yaml"), "--end-year", "2027", "--out", str(tmp_path / "c")],
                             env={"HELSEMOD_PROGRESS": "1"})
    assert res.exit_code == 0, res.output
    for label in ("framskriver 2 scenarioer", "fordeler på tiltak: Lavere sykefravær",
                  "spenn i virkning: Lavere sykefravær", f"skriver {tmp_path / 'c'}"):
        assert label in res.stderr, label
    assert "Lavere sykefravær mot Referansebane, 2027 (årsverk, + = mindre mangel)" in res.stdout
    assert "fossefall 2027" in res.stdout and "kr/årsverk samlet" in res.stdout
    assert "(Shapley (eksakt))" in res.stdout  # the method named in Norwegian too
    assert res.stdout.startswith("MERK: SYNTETISKE data")
    quiet = CliRunner().invoke(main, ["run", "--end-year", "2099"])  # not a terminal: no bar before an error
    assert quiet.output.strip().splitlines() == ["error: end year 2099: must be after the base year 2024 and at "
                                                 "most 2050"]


def test_the_other_commands_in_norwegian_too():
    """validate, list, info, intake and the data group's help speak Norwegian with --lang nb."""
    run = CliRunner().invoke
    val = run(main, ["--lang", "nb", "validate", str(SCEN / "k2025_all.yaml")])
    assert val.exit_code == 0 and val.stdout.rstrip().endswith("17 tiltak"), val.output
    lst = run(main, ["--lang", "nb", "list", "scenarios", "--dir", str(SCEN)])
    assert "tiltak" in lst.stdout and "measure(s)" not in lst.stdout
    assert run(main, ["--lang", "nb", "list", "groups"]).stdout.splitlines()[2].startswith("nurse")
    assert "Sykepleiere / Nurses" in run(main, ["--lang", "nb", "list", "groups"]).stdout
    info = run(main, ["--lang", "nb", "info"]).stdout
    assert "datasettets hash" in info and "[syntetisk]" in info and "[synthetic]" not in info
    helps = run(main, ["--lang", "nb", "data", "--help"]).stdout
    assert "Kommandoer:" in helps and "Bygg et datasett" in helps and "Build a dataset" not in helps
    intake = run(main, ["--lang", "nb", "intake", "sykepleiere", "--target-year", "2030"])
    assert intake.exit_code == 0, intake.output
    assert "ekstra uteksaminerte (sykepleiere) per år fra 2024" in intake.stdout
    assert "årsverk differanse →" in intake.stdout and "per år" in intake.stdout
    en = run(main, ["intake", "nurse", "--target-year", "2030"]).stdout
    assert "extra graduates of nurse per year" in en and "FTE gap ->" in en
