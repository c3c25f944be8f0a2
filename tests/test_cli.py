"""The helsemod command: output, files, errors without tracebacks."""

import importlib.util
import json

import numpy as np
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from helsemod_py import dims as D
from helsemod_py.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_every_command_has_help_with_example(runner):
    def walk(cmd, path):
        res = runner.invoke(main, [*path, "--help"])
        assert res.exit_code == 0, path
        if path:
            assert "Example:" in res.output, path
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(main, [])


def test_run_prints_gap_table(runner):
    res = runner.invoke(main, ["run", "--end-year", "2030"])
    assert res.exit_code == 0, res.output
    assert "Norge" in res.output and "gap 2030" in res.output
    for g in D.GROUPS:
        assert g in res.output


def test_run_writes_results_and_manifest(runner, tmp_path):
    out = tmp_path / "res"
    res = runner.invoke(main, ["run", "--end-year", "2027", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "results.csv", dtype={"region": str})
    assert list(table.columns) == list(D.LONG_COLUMNS)
    assert set(table["region_level"]) == set(D.RESULT_LEVELS)
    assert set(table["year"]) == {2024, 2025, 2026, 2027}
    gap = table[table.variable == "gap"]
    nat, mun = gap[gap.region_level == "nation"], gap[gap.region_level == "municipality"]
    assert set(mun.sector) == set(D.MUNICIPAL_SECTORS)  # municipalities never show a specialist gap
    assert nat[nat.sector != "specialist"].value.sum() == pytest.approx(mun.value.sum(), rel=1e-4)
    trust, county = gap[gap.region_level == "trust"], gap[gap.region_level == "county"]
    assert set(trust.sector) == {"specialist"}
    assert trust.value.sum() == pytest.approx(county[county.sector == "specialist"].value.sum(), rel=1e-4)
    nurses = table[table.variable == "care_nurse_fte"]
    assert set(nurses.region_level) == {"municipality", "county", "nation"} and set(nurses.year) == set(table.year)
    prov = pd.read_csv(out / "provenance.csv", dtype={"region": str})
    assert set(prov.source) == {"synthetic", "estimated", "measured"}
    assert prov[prov.source == "synthetic"].fte.sum() > 0 and prov[prov.source == "measured"].fte.sum() == 0
    man = json.loads((out / "manifest.json").read_text())
    for key in ("scenario_hash", "dataset_hash", "seed", "package_version", "command"):
        assert key in man
    # an existing folder is not overwritten without --force
    before = (out / "results.csv").read_bytes()
    res = runner.invoke(main, ["run", "--end-year", "2026", "--out", str(out)])
    assert res.exit_code == 1
    assert "already exists; use --force" in res.output
    assert (out / "results.csv").read_bytes() == before
    res = runner.invoke(main, ["run", "--end-year", "2026", "--out", str(out), "--force", "-q"])
    assert res.exit_code == 0
    assert set(pd.read_csv(out / "results.csv")["year"]) == {2024, 2025, 2026}


def test_failed_write_leaves_previous_results(tmp_path, monkeypatch):
    from helsemod_py import outputs
    import helsemod_py as hm

    out = tmp_path / "res"
    res = hm.project(hm.load_dataset(), end_year=2026)
    outputs.write_results(res, out)
    before = (out / "results.csv").read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(outputs, "manifest", boom)
    with pytest.raises(OSError):
        outputs.write_results(res, out, force=True)
    assert (out / "results.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_region_selection_and_did_you_mean(runner):
    res = runner.invoke(main, ["run", "--end-year", "2026", "--region", "innlandet"])
    assert res.exit_code == 0 and "Innlandet (34)" in res.output
    res = runner.invoke(main, ["run", "--end-year", "2026", "--region", "Innlandt"])
    assert res.exit_code == 1
    assert "did you mean Innlandet" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("old, told", [
    ("Viken", "split in 2024 into Østfold, Akershus and Buskerud: give one of them or several "
              "(Østfold,Akershus,Buskerud)"),
    ("troms og finnmark", "into Troms and Finnmark"),
    ("Hedmark", "merged in 2020; its municipalities are in Innlandet: give Innlandet"),
    ("Sør-Trøndelag", "in Trøndelag: give Trøndelag"),
])
def test_former_county_names_point_to_todays(runner, old, told):
    """Planners still write the counties of 2019 or 2020-2023; the message names today's."""
    res = runner.invoke(main, ["run", "--end-year", "2026", "--region", old])
    assert res.exit_code == 1 and told in res.output and len(res.output.strip().splitlines()) == 1
    told_next = runner.invoke(main, ["run", "--end-year", "2026", "--regions", told.split("(")[-1].rstrip(")")]
                              if "(" in told else ["run", "--end-year", "2026", "--region", told.split()[-1]])
    assert told_next.exit_code == 0, told_next.output


def test_bad_end_year_is_one_line(runner):
    res = runner.invoke(main, ["run", "--end-year", "2099"])
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [
        "error: end year 2099: must be after the base year 2024 and at most 2050"]


def test_bad_dataset_gives_lines_per_problem(runner, tmp_path):
    data = tmp_path / "d"
    assert runner.invoke(main, ["data", "default", "--out", str(data)]).exit_code == 0
    er = pd.read_csv(data / "exit_rate.csv", dtype=str)
    er.loc[3, "value"] = "1.7"
    er.to_csv(data / "exit_rate.csv", index=False)
    (data / "sick_leave.csv").unlink()
    res = runner.invoke(main, ["data", "check", str(data)])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert any("sick_leave.csv: file not found" in x for x in lines)
    assert "Traceback" not in res.output
    res = runner.invoke(main, ["run", "--data", str(tmp_path / "nope")])
    assert res.exit_code == 1 and "dataset folder not found" in res.output


def test_info_says_what_is_synthetic(runner):
    res = runner.invoke(main, ["info"])
    assert res.exit_code == 0
    assert "SYNTHETIC" in res.output and "[synthetic]" in res.output


def test_installed_console_script_runs(tmp_path):
    exe = shutil.which("helsemod", path=str(Path(sys.executable).parent))
    assert exe, "the helsemod console script is not installed next to this Python"
    out = tmp_path / "r"
    proc = subprocess.run([exe, "run", "--end-year", "2026", "--out", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "health_worker" in proc.stdout
    assert (out / "manifest.json").is_file()
    proc = subprocess.run([exe, "run", "--end-year", "1999"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_a_reader_that_stops_early_is_no_error():
    """`helsemod list groups | head -1`: the closed pipe ends the command quietly, exit code 0."""
    exe = shutil.which("helsemod", path=str(Path(sys.executable).parent))
    proc = subprocess.Popen([exe, "list", "groups"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # before the command writes anything
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and err == b"", err


SCEN = Path(__file__).parents[1] / "scenarios"


def test_baseline_run_writes_the_baseline_hash_without_loading_the_schema(tmp_path):
    """`helsemod run` of the baseline writes Scenario("baseline").hash, and never loads pydantic."""
    import subprocess
    import sys

    from helsemod_py.scenario import Scenario

    out = tmp_path / "base"
    code = ("import sys\nfrom helsemod_py.cli import main\n"
            f"main(['run', '--end-year', '2026', '--out', {str(out)!r}, '-q'], standalone_mode=False)\n"
            "print('pydantic' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    man = json.loads((out / "manifest.json").read_text())
    assert man["scenario"] == "baseline" and man["scenario_hash"] == Scenario("baseline").hash


def test_run_scenario_writes_its_hash(runner, tmp_path):
    from helsemod_py.scenario import Scenario

    out = tmp_path / "torn"
    res = runner.invoke(main, ["run", str(SCEN / "torn_full_time.yaml"), "--end-year", "2030", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "TØRN" in res.output
    man = json.loads((out / "manifest.json").read_text())
    assert man["scenario_hash"] == Scenario.from_yaml(SCEN / "torn_full_time.yaml").hash
    table = pd.read_csv(out / "results.csv")
    assert set(table.scenario) == {man["scenario"]}


def test_validate_reports_each_bad_file(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmeasures:\n  - id: a\n    parameter: avg_fte\n    multiply: {value: 1.1, unit: /1}\n"
                   "    path: {start: 2025}\n    target: {groups: [nurce]}\n")
    res = runner.invoke(main, ["validate", str(SCEN / "baseline.yaml"), str(bad)])
    assert res.exit_code == 1
    assert f"ok: {SCEN / 'baseline.yaml'}" in res.output
    assert f"error: {bad}:7: measures[0].target.groups" in res.output
    assert "unknown group 'nurce' (allowed: physician, gp, nurse," in res.output
    assert "1 of 2 file(s) invalid" in res.output and "Traceback" not in res.output


def test_compare_prints_and_writes_attribution(runner, tmp_path):
    out = tmp_path / "cmp"
    res = runner.invoke(main, ["compare", str(SCEN / "baseline.yaml"), str(SCEN / "torn_full_time.yaml"),
                               "--end-year", "2030", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "vs baseline, 2030" in res.output and "waterfall 2030, change in the gap" in res.output
    assert "shortage reduction" in res.output and "*assumption" in res.output and "scaled_up" in res.output
    att = pd.read_csv(out / "attribution.csv")
    ce = pd.read_csv(out / "cost_effectiveness.csv")
    comp = pd.read_csv(out / "comparison.csv")
    parts = att[(att.measure != "total")].groupby("region").gap_change_fte.sum()
    totals = att[att.measure == "total"].set_index("region").gap_change_fte
    assert np.allclose(parts.sort_index(), totals.sort_index())
    total = ce.set_index("measure").loc["total"]
    assert total.cost_programme_nok > 0 and total.cost_total_nok > total.cost_programme_nok
    assert set(ce.evidence.dropna()) == {"assumption"} and (ce.fte_low.dropna() <= ce.fte_high.dropna()).all()
    # the shortage outcome: task shifting to a group with spare staff counts there, not on the net gap
    res = runner.invoke(main, ["compare", str(SCEN / "baseline.yaml"), str(SCEN / "aks.yaml"), "--end-year", "2030",
                               "--outcome", "shortage", "--out", str(tmp_path / "short")])
    assert res.exit_code == 0, res.output
    assert "waterfall 2030, shortage reduction" in res.output
    att = pd.read_csv(tmp_path / "short" / "attribution.csv")
    nation = att.groupby("measure").shortage_reduction_fte.sum()
    assert nation["aks_task_shift"] > 1 and nation["aks_salary_grant"] < 0
    res = runner.invoke(main, ["compare", str(SCEN / "baseline.yaml"), str(SCEN / "aks.yaml"), "--outcome", "surplus"])
    assert res.exit_code == 2 and "'surplus' is not one of 'gap', 'shortage'" in res.output
    assert set(comp.scenario) == {"baseline", "TØRN / heltidskultur"}
    res = runner.invoke(main, ["compare", str(SCEN / "baseline.yaml")])
    assert res.exit_code == 2 and "at least two scenario files" in res.output


def test_intake_and_list(runner):
    res = runner.invoke(main, ["intake", "nurse", "--target-year", "2030", "--start-year", "2025"])
    assert res.exit_code == 0, res.output
    assert "Norge" in res.output and "per year" in res.output
    res = runner.invoke(main, ["intake", "nurze"])
    assert res.exit_code == 2 and "nurse" in res.output
    res = runner.invoke(main, ["list", "regions", "--county", "finnmark"])
    lines = res.output.strip().splitlines()
    assert res.exit_code == 0 and len(lines) == 18 and all("56 Finnmark" in x for x in lines)
    res = runner.invoke(main, ["list", "scenarios", "--dir", str(SCEN)])
    assert res.exit_code == 0 and "k2025_all.yaml" in res.output
    for what in ("groups", "services", "measures"):
        assert runner.invoke(main, ["list", what]).exit_code == 0


def test_xlsx_plot_and_report_from_a_results_folder(runner, tmp_path):
    import openpyxl

    out = tmp_path / "k"
    res = runner.invoke(main, ["run", str(SCEN / "torn_full_time.yaml"), "--end-year", "2028", "--out", str(out),
                               "--format", "xlsx", "-q"])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out / "results.xlsx", read_only=True)
    assert wb.sheetnames == list(D.RESULT_LEVELS)
    header = [c.value for c in next(wb["nation"].iter_rows(max_row=1))]
    assert "region" in header and any(str(h).startswith("value") for h in header)
    res = runner.invoke(main, ["plot", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    pngs = sorted((out / "plots").glob("*_en.png"))
    assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    res = runner.invoke(main, ["report", str(out), "--lang", "en", "--excel", str(tmp_path / "t.xlsx")])
    assert res.exit_code == 0, res.output
    html = (out / "report_en.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    assert "Health workers" in html and "Innlandet" in html
    assert (tmp_path / "t.xlsx").is_file()
    res = runner.invoke(main, ["report", str(tmp_path / "missing")])
    assert res.exit_code == 2


def test_data_build_with_kostra(runner, tmp_path):
    ssb = Path(__file__).parents[1] / ".." / "shared" / "data" / "ssb"
    if not ssb.is_dir():
        pytest.skip(f"{ssb} not found")
    out = tmp_path / "nor"
    res = runner.invoke(main, ["data", "build", "--population", str(ssb / "population_kommune_age_sex_2015_2024.csv"),
                               "--municipalities", str(ssb / "kommuner_2024.csv"),
                               "--kostra", str(ssb / "kostra_care_panel_2015_2023.csv"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["run", "--data", str(out), "--region", "Bergen", "--end-year", "2026"])
    assert res.exit_code == 0 and "Bergen (4601)" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("kommunenr_2024,år\n0301,2015\n")
    res = runner.invoke(main, ["data", "build", "--population", str(ssb / "population_kommune_age_sex_2015_2024.csv"),
                               "--municipalities", str(ssb / "kommuner_2024.csv"), "--kostra", str(bad),
                               "--out", str(tmp_path / "nor2")])
    assert res.exit_code == 1 and "bad.csv" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "nor2").exists()


def test_draws_show_the_band_of_the_region_asked_for(runner, tmp_path):
    """--region with --draws gives that county's (all sectors) or municipality's (municipal sectors)
    band, matching quantiles.csv, and only the groups asked for; JSON says where too."""
    out = tmp_path / "mc"
    res = runner.invoke(main, ["run", str(SCEN / "uncertainty.yaml"), "--end-year", "2028", "--draws", "12",
                               "--region", "Innlandet", "--groups", "sykepleiere", "--out", str(out), "--all-regions"])
    assert res.exit_code == 0, res.output
    head = [ln for ln in res.output.splitlines() if "over 12 draws" in ln]
    assert head == ["Innlandet (34): gap 2028 (all sectors) over 12 draws (seed 0): median [5%, 95%] FTE"]
    band = res.output.split(head[0])[1].strip().split("\n\n")[0].splitlines()
    assert len(band) == 1 and band[0].split()[0] == "nurse"
    q = pd.read_csv(out / "quantiles.csv", dtype={"region": str})
    want = q[(q.level == "county") & (q.region == "34") & (q.group == "nurse") & (q.year == 2028) &
             (q.variable == "gap") & (q["quantile"] == 0.5)]["value"].item()
    assert float(band[0].split()[1].replace(",", "")) == pytest.approx(want, abs=0.5)
    res = runner.invoke(main, ["run", str(SCEN / "uncertainty.yaml"), "--end-year", "2028", "--draws", "12",
                               "--region", "K3401", "--json"])
    draws = json.loads(res.output)["draws"]
    assert draws["region"].endswith("(K3401)") and draws["sectors"] == "municipal sectors"
    res = runner.invoke(main, ["--lang", "nb", "run", str(SCEN / "uncertainty.yaml"), "--end-year", "2028",
                               "--draws", "12", "--regions", "K3401,K3402"])
    assert "Norge: differanse 2028 (alle sektorer) over 12 trekninger" in res.output  # parts do not add up


def test_run_with_draws_and_sensitivity(runner, tmp_path):
    out = tmp_path / "mc"
    res = runner.invoke(main, ["run", str(SCEN / "uncertainty.yaml"), "--end-year", "2028", "--draws", "12",
                               "--seed", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "over 12 draws (seed 3)" in res.output
    q = pd.read_csv(out / "quantiles.csv", dtype={"region": str})
    assert set(q.level) == {"nation", "county", "municipality"} and set(q["quantile"]) >= {0.05, 0.5, 0.95}
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 3 and man["draws"] == 12
    again = tmp_path / "mc2"
    runner.invoke(main, ["run", str(SCEN / "uncertainty.yaml"), "--end-year", "2028", "--draws", "12", "--seed", "3",
                         "--out", str(again), "-q"])
    assert (out / "quantiles.csv").read_bytes() == (again / "quantiles.csv").read_bytes()
    res = runner.invoke(main, ["plot", str(out), "--lang", "en"])
    assert res.exit_code == 0 and (out / "plots" / "fan_chart_en.png").read_bytes()[:4] == b"\x89PNG"
    if importlib.util.find_spec("distributed"):  # the same draws on a local Dask cluster of 2 processes
        cluster = tmp_path / "mc3"
        res = runner.invoke(main, ["run", str(SCEN / "uncertainty.yaml"), "--end-year", "2028", "--draws", "12",
                                   "--seed", "3", "--scheduler", "local", "--out", str(cluster), "-q"])
        assert res.exit_code == 0, res.output
        assert (out / "quantiles.csv").read_bytes() == (cluster / "quantiles.csv").read_bytes()
    sens = tmp_path / "sens"
    res = runner.invoke(main, ["sensitivity", str(SCEN / "uncertainty.yaml"), "--samples", "8", "--year", "2028",
                               "--out", str(sens), "--lang", "en"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(sens / "sensitivity.csv")
    assert set(table.parameter) == {"standard_growth", "exit_rates", "average_position", "nurse_graduates",
                                    "net_migration"}
    assert (sens / "tornado_en.png").read_bytes()[:4] == b"\x89PNG"
    res = runner.invoke(main, ["sensitivity", str(SCEN / "baseline.yaml")])
    assert res.exit_code == 1 and "has no uncertainty entries" in res.output


def test_run_regions_groups_and_json(runner, tmp_path):
    out = tmp_path / "sel"
    res = runner.invoke(main, ["run", "--regions", "finnmark,K0301", "--groups", "nurse,health_worker",
                               "--end-year", "2027", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "19 selected municipalities" in res.output
    table = pd.read_csv(out / "results.csv", dtype={"region": str})
    mun = table[table.region_level == "municipality"]
    assert set(mun.region) == {"K0301", *(f"K56{i:02d}" for i in range(1, 19))}
    assert set(table.group) - {"all"} == {"nurse", "health_worker"}
    # the selected municipalities project exactly as in the full run
    import helsemod_py as hm

    full = hm.project(hm.load_dataset(), end_year=2027).gap.sel(region="K5601", year=2027, group="nurse",
                                                                sector="care")
    row = mun[(mun.region == "K5601") & (mun.year == 2027) & (mun.group == "nurse") & (mun.variable == "gap")
              & (mun.sector == "care")]
    assert float(row.value.iloc[0]) == pytest.approx(float(full), rel=1e-5)
    res = runner.invoke(main, ["run", "--groups", "nurse", "--json", "--end-year", "2026"])
    data = json.loads(res.output)
    assert data["years"] == [2024, 2025, 2026] and list(data["groups"]) == ["nurse"]
    assert data["groups"]["nurse"]["gap"][0] == pytest.approx(-3300, abs=1)  # NAV-based vacancies (facts)
    res = runner.invoke(main, ["run", "--regions", "Finnmrk", "--groups", "nurce"])
    assert res.exit_code == 1
    assert "did you mean Finnmark?" in res.output and "--groups 'nurce': unknown group" not in res.output


def test_data_import_and_build_from_import(runner, tmp_path):
    ssb = Path(__file__).parents[1] / ".." / "shared" / "data" / "ssb"
    res = runner.invoke(main, ["data", "fetch", "--tables", "99999"])
    assert res.exit_code == 1 and "--tables '99999': unknown table" in res.output
    res = runner.invoke(main, ["data", "build", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "--from-import" in res.output
    if not ssb.is_dir():
        pytest.skip(f"{ssb} not found")
    imp = tmp_path / "imp"
    res = runner.invoke(main, ["data", "import", str(ssb / "population_kommune_age_sex_2015_2024.csv"),
                               str(ssb / "projection_telemark_ssb13600_2022-2050.csv"),
                               "--municipalities", str(ssb / "kommuner_2024.csv"), "--out", str(imp)])
    assert res.exit_code == 0, res.output
    assert (imp / "population.csv").is_file() and (imp / "projection_13600_MMMM.csv").is_file()
    out = tmp_path / "nor"
    national = str(ssb / "population_norway_age_sex_1986_2024.csv")
    res = runner.invoke(main, ["data", "build", "--from-import", str(imp), "--national", national, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "population 5,550,203" in res.output
    assert ("trends (SSB 07459: population_norway_age_sex_1986_2024.csv): mortality decline 1986-2024, "
            "fertility slope 2019-2023; default assumption: trend") in res.output
    meta = yaml.safe_load((out / "dataset.yaml").read_text())
    assert meta["population_trends"]["mortality"]["years"] == [1986, 2024]
    assert meta["sources"]["national_population"] == "population_norway_age_sex_1986_2024.csv"
    res = runner.invoke(main, ["data", "build", "--from-import", str(imp), "--national", national, "--trend-from",
                               "2023", "--out", str(tmp_path / "short")])
    assert res.exit_code == 1
    assert res.output.strip() == ("error: mortality trend: years 2023-2024: need at least 4 years of population "
                                  "(allowed: 1986-2024)")


# --- the exit without teardown (helsemod_py._clikit.exit_now) ---------------------------------
def test_the_program_writes_and_prints_everything_before_its_quick_exit(runner, tmp_path):
    """`python -m helsemod_py.cli` ends with os._exit: the results and the printed table are whole,
    the same as from the command called in-process."""
    out = tmp_path / "sub"
    proc = subprocess.run([sys.executable, "-m", "helsemod_py.cli", "run", "--end-year", "2027", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = runner.invoke(main, ["run", "--end-year", "2027", "--out", str(tmp_path / "inproc")])
    assert res.exit_code == 0, res.output
    # flushed to the last line
    assert proc.stdout.replace(str(out), "OUT") == res.stdout.replace(str(tmp_path / "inproc"), "OUT")
    for name in ("results.csv", "population_by_age.csv", "provenance.csv"):
        assert (out / name).read_bytes() == (tmp_path / "inproc" / name).read_bytes(), name


@pytest.mark.parametrize("code, rc, err", [(None, 0, ""), (3, 3, ""), ("something failed", 1, "something failed")])
def test_exit_now_exits_with_the_code_sys_exit_would(code, rc, err):
    proc = subprocess.run([sys.executable, "-c", f"from helsemod_py._clikit import exit_now\n"
                                                 f"print('before', flush=False)\nexit_now({code!r})\nprint('after')"],
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr.strip()) == (rc, "before\n", err)


def test_exit_now_exits_the_usual_way_while_something_still_runs(monkeypatch):
    import threading

    from helsemod_py._clikit import exit_now

    gate = threading.Event()
    worker = threading.Thread(target=gate.wait)  # not a daemon: the usual exit waits for it
    worker.start()
    try:
        with pytest.raises(SystemExit) as info:
            exit_now(4)
        assert info.value.code == 4
    finally:
        gate.set()
        worker.join()
    monkeypatch.setitem(sys.modules, "distributed", object())  # a dask cluster closes at exit
    with pytest.raises(SystemExit) as info:
        exit_now(0)
    assert info.value.code == 0
