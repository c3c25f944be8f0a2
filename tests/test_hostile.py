"""Issue 15's reproducers: every hostile input ends in one ``error:`` line (exit 1; usage errors
exit 2), never a traceback, and reads no more of a foreign file than a short fragment.

The command-line cases run through click's test runner; the file-level ones call the loaders
and importers directly. Folders the commands must not touch are checked to be untouched.
"""

from __future__ import annotations

import errno
import json
import os
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

import helsemod_py as hm
from helsemod_py.cli import main
from helsemod_py.data import jsonstat as J
from helsemod_py.errors import ImportDataError, ScenarioError

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "scenarios"
UNC = str(SCEN / "uncertainty.yaml")
FAST = ["--end-year", "2026", "--regions", "K0301,K3401", "-q"]


@pytest.fixture
def runner():
    return CliRunner()


def one_error(res, code: int, *words: str) -> str:
    """The run failed with ``code`` and printed exactly one line, ``error: ...``, holding ``words``."""
    assert res.exit_code == code, (res.exit_code, res.output)
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "unexpected" not in lines[0], lines[0]  # a specific message, not the last resort
    return lines[0]


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


# --- scenario files ------------------------------------------------------------------------------
def test_control_characters_and_nul(runner, tmp_path):
    f = write(tmp_path / "nul.yaml", b"name: x\x00y\n")
    one_error(runner.invoke(main, ["run", str(f), *FAST]), 1, "nul.yaml:1: not valid YAML: control character U+0000")
    f = write(tmp_path / "bell.yaml", b'name: "x\x07y"\n')
    one_error(runner.invoke(main, ["run", str(f), *FAST]), 1, "bell.yaml:1:", "U+0007 in column 9")


def test_an_integer_of_5000_digits(runner, tmp_path):
    f = write(tmp_path / "big.yaml", "name: x\nassumptions: {end_year: " + "1" * 5000 + "}\n")
    one_error(runner.invoke(main, ["run", str(f), *FAST]), 1, "big.yaml:2: number of 5000 characters is too long")


def test_a_symlink_loop_as_scenario_and_as_driver(runner, tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    one_error(runner.invoke(main, ["run", str(tmp_path / "a.yaml"), *FAST]), 1, "a.yaml: symbolic link loop")
    (tmp_path / "p1.csv").symlink_to(tmp_path / "p2.csv")
    (tmp_path / "p2.csv").symlink_to(tmp_path / "p1.csv")
    f = write(tmp_path / "drv.yaml", "name: d\nassumptions:\n  population_driver: {source: file, file: p1.csv}\n")
    one_error(runner.invoke(main, ["run", str(f), *FAST]), 1, "drv.yaml:3: assumptions.population_driver.file",
              "symbolic link loop")


def test_a_path_too_long(runner, tmp_path):
    long = tmp_path / ("a" * 300) / ("b" * 5000 + ".yaml")
    line = one_error(runner.invoke(main, ["run", str(long), *FAST]), 1, "path or file name too long")
    assert len(line) < 400  # the path is shown shortened


def test_a_pipe_as_scenario_is_refused_without_waiting(runner, tmp_path):
    os.mkfifo(tmp_path / "fifo.yaml")
    one_error(runner.invoke(main, ["run", str(tmp_path / "fifo.yaml"), *FAST]), 1,
              "fifo.yaml: scenario file is not a regular file (a device, pipe or socket)")


def test_truncation_without_probability_mass_is_refused_by_validate_and_run(runner, tmp_path):
    f = write(tmp_path / "t.yaml", "name: t\nuncertainty:\n  - id: u\n    parameter: exit_rate\n    unit: /1\n"
                                   "    distribution: {type: normal, mean: 1.0, sd: 0.01, truncate: [50, 60]}\n")
    res = runner.invoke(main, ["validate", str(f)])
    assert res.exit_code == 1 and "holds 0 of the normal distribution's probability" in res.output
    one_error(runner.invoke(main, ["run", str(f), "--draws", "2", *FAST]), 1, "t.yaml:6:", "holds 0 of")


def test_extends_and_driver_outside_the_folder_need_allow_outside(runner, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "mine").mkdir()
    write(tmp_path / "lib" / "base.yaml", "name: base\nassumptions: {end_year: 2027}\n")
    f = write(tmp_path / "mine" / "s.yaml", "name: s\nextends: ../lib/base.yaml\n")
    one_error(runner.invoke(main, ["run", str(f), *FAST]), 1, "s.yaml:2: extends: '../lib/base.yaml' is outside the "
              "scenario's folder", "--allow-outside")
    res = runner.invoke(main, ["run", str(f), "--allow-outside", "--regions", "K0301", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["years"][-1] == 2027
    one_error(runner.invoke(main, ["run", str(f), *FAST]), 1, "is outside")  # the option does not stick


def test_a_foreign_file_is_quoted_by_a_fragment_at_most(tmp_path):
    secret = "TOKEN=" + "s3cr3t" * 40
    (tmp_path / "sub").mkdir()
    write(tmp_path / "foreign.yaml", f"name: x\nmeasures: {secret}\n")
    f = write(tmp_path / "sub" / "s.yaml", "name: s\nextends: ../foreign.yaml\n")
    with pytest.raises(ScenarioError) as info:
        hm.Scenario.from_yaml(f, allow_outside=True)
    assert "s3cr3ts3cr3t" in str(info.value) and len(str(info.value)) < 400  # a fragment
    assert secret not in str(info.value)


def test_a_driver_file_over_the_size_limit(tmp_path, monkeypatch):
    from helsemod_py.scenario import driver

    monkeypatch.setattr(driver, "MAX_BYTES", 1000)
    write(tmp_path / "p.csv", "region,year,sex,age,value\n" + "K0301,2024,male,0,1\n" * 100)
    f = write(tmp_path / "s.yaml", "name: s\nassumptions:\n  population_driver: {source: file, file: p.csv}\n")
    ds = hm.load_dataset().subset(["K0301"])
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match=r"p.csv: population projection file of 0 MiB is larger than the limit"):
        hm.project(ds, hm.Scenario.from_yaml(f), end_year=2026)
    assert time.perf_counter() - t0 < 5


# --- datasets ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("d") / "ds"
    hm.load_dataset().subset(["K0301", "K3401"]).save(out)
    return out


@pytest.mark.parametrize("content, words", [
    (b"\xff\xfe format: x\n", ["dataset.yaml: not UTF-8 text (byte 0xff at offset 0)"]),
    (b"[" * 5000 + b"]" * 5000 + b"\n", ["dataset.yaml:1: nested more than 20 levels deep"]),
])
def test_hostile_dataset_yaml(runner, tmp_path, data_dir, content, words):
    import shutil

    ds = tmp_path / "ds"
    shutil.copytree(data_dir, ds)
    (ds / "dataset.yaml").write_bytes(content)
    one_error(runner.invoke(main, ["info", "--data", str(ds)]), 1, *words)


def test_a_parameter_file_pointing_at_the_environment(runner, tmp_path, data_dir):
    import shutil

    ds = tmp_path / "ds"
    shutil.copytree(data_dir, ds)
    meta = (ds / "dataset.yaml").read_text().replace("file: exit_rate.csv", "file: /proc/self/environ")
    (ds / "dataset.yaml").write_text(meta)
    os.environ["HELSEMOD_TEST_SECRET"] = "do-not-print-me"
    try:
        line = one_error(runner.invoke(main, ["info", "--data", str(ds)]), 1,
                         "parameters.exit_rate.file: '/proc/self/environ' is not a file name inside the dataset")
    finally:
        del os.environ["HELSEMOD_TEST_SECRET"]
    assert "do-not-print-me" not in line


# --- options ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (["run", "--seed", "-1", "--draws", "2"], ["'--seed': -1 is not in the range 0<=x<=4294967295"]),
    (["run", "--seed", str(2 ** 70), "--draws", "2"], ["'--seed': 1180591620717411303424 is not in the range"]),
    (["run", "--regions", ","], ["'--regions': ',' names nothing"]),
    (["run", "--regions", "K0301,,K3401"], ["'--regions': 'K0301,,K3401' has an empty item"]),
    (["run", "--groups", ","], ["'--groups': ',' names nothing"]),
    (["run", "--out", ""], ["'--out': empty path"]),
    (["run", "--scheduler", "junk:::", "--draws", "2"], ["'junk:::' is not a scheduler address"]),
    (["run", "--draws", "2000000"], ["'--draws': 2000000 is not in the range 0<=x<=1000000"]),
    (["compare", str(SCEN / "baseline.yaml"), str(SCEN / "baseline.yaml"), "--samples", "0"], ["'--samples'"]),
    (["data", "fetch", "--tables", ","], ["'--tables': ',' names nothing"]),
])
def test_usage_errors_are_one_line_exit_2(runner, args, words):
    line = one_error(runner.invoke(main, args, prog_name="helsemod"), 2, *words)
    assert line.endswith(f"(see 'helsemod {args[0]}{' ' + args[1] if args[0] == 'data' else ''} -h')")


def test_a_command_group_alone_still_shows_its_help(runner):
    for args in ([], ["data"]):
        res = runner.invoke(main, args, prog_name="helsemod")
        assert "Commands:" in res.output and "error:" not in res.output, res.output
    one_error(runner.invoke(main, ["nosuch"], prog_name="helsemod"), 2, "No such command 'nosuch'")


def test_an_unreachable_scheduler_fails_fast(runner):
    t0 = time.perf_counter()
    one_error(runner.invoke(main, ["run", UNC, "--draws", "2", "--scheduler", "tcp://127.0.0.1:1", *FAST]), 1,
              "scheduler 'tcp://127.0.0.1:1': cannot connect")
    assert time.perf_counter() - t0 < 30


def test_years_outside_the_projection(runner):
    one_error(runner.invoke(main, ["sensitivity", UNC, "--year", "1900", "--samples", "2"]), 1,
              "--year 1900: outside the projected years 2024-2035")
    one_error(runner.invoke(main, ["compare", str(SCEN / "baseline.yaml"), str(SCEN / "torn_full_time.yaml"),
                                   "--year", "1999", "--end-year", "2027", "--no-attribution"]), 1,
              "--year 1999: outside the projected years 2024-2027")


def test_json_is_strict_json(runner):
    res = runner.invoke(main, ["run", UNC, "--draws", "40", "--seed", "3", "--json", "--end-year", "2027",
                               "--regions", "K0301,K3401"])
    assert res.exit_code == 0, res.output

    def refuse(name):
        raise AssertionError(f"{name} in --json output")

    out = json.loads(res.stdout, parse_constant=refuse)
    assert out["draws"]["n"] == 40


# --- --out and --force ------------------------------------------------------------------------------
def test_out_below_a_file(runner, tmp_path):
    write(tmp_path / "afile", "x")
    one_error(runner.invoke(main, ["run", "--out", str(tmp_path / "afile" / "res"), *FAST]), 1,
              "cannot create its folder", "afile is a file, not a folder")


@pytest.mark.parametrize("code, words", [
    (errno.EACCES, "permission denied"),
    (errno.EROFS, "read-only file system"),
    (errno.EPERM, "operation not permitted (immutable or protected)"),
])
def test_out_in_a_folder_that_refuses_writes(runner, tmp_path, monkeypatch, code, words):
    """Root writes into read-only folders, so the refusal is simulated where the temporary folder is made."""
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code), kwargs.get("dir"))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    one_error(runner.invoke(main, ["run", "--out", str(tmp_path / "res"), *FAST]), 1, "res: cannot write there",
              words)
    assert list(tmp_path.iterdir()) == []


def test_out_in_a_folder_one_may_not_enter(runner, tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    real_stat = os.stat

    def stat(path, *args, **kwargs):  # root enters every folder: the refusal is simulated
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    one_error(runner.invoke(main, ["run", "--out", str(locked / "res"), *FAST]), 1,
              "locked/res: cannot reach its folder (permission denied)")


def test_out_in_proc(runner):
    if not Path("/proc/self").is_dir():
        pytest.fail("this test needs Linux's /proc")
    one_error(runner.invoke(main, ["run", "--out", "/proc/helsemod-res", *FAST]), 1, "/proc/helsemod-res: cannot")


def test_force_keeps_a_folder_that_is_not_helsemods(runner, tmp_path):
    keep = tmp_path / "keep"
    (keep / "sub").mkdir(parents=True)
    write(keep / "draft.txt", "my draft")
    write(keep / "manifest.json", json.dumps({"package": "someone-else"}))
    one_error(runner.invoke(main, ["run", "--out", str(keep), "--force", *FAST]), 1,
              "keep: holds no helsemod manifest", "--force replaces only a folder written by helsemod")
    assert sorted(p.name for p in keep.iterdir()) == ["draft.txt", "manifest.json", "sub"]
    assert (keep / "draft.txt").read_text() == "my draft"


def test_force_on_the_current_folder_and_a_mount_point(runner, tmp_path, monkeypatch):
    res_dir = tmp_path / "res"
    assert runner.invoke(main, ["run", "--out", str(res_dir), *FAST]).exit_code == 0
    monkeypatch.chdir(res_dir)
    one_error(runner.invoke(main, ["run", "--out", ".", "--force", *FAST]), 1, ".: is the current folder or holds it")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == res_dir)
    one_error(runner.invoke(main, ["run", "--out", str(res_dir), "--force", *FAST]), 1, "res: is a mount point")
    assert (res_dir / "results.csv").is_file()


# --- importers --------------------------------------------------------------------------------------
def _jsonstat(sizes, value) -> dict:
    dims = {f"D{i}": {"category": {"index": {f"c{j}": j for j in range(n)}}} for i, n in enumerate(sizes)}
    return {"class": "dataset", "version": "2.0", "id": list(dims), "size": list(sizes), "dimension": dims,
            "value": value}


def test_a_small_file_declaring_billions_of_cells_is_refused_before_allocating():
    obj = _jsonstat([400, 400, 400, 400], {})  # 25.6 billion cells in a few kB
    tracemalloc.start()
    try:
        with pytest.raises(ImportDataError, match=r"'size' declares 25,600,000,000 cells, more than the 25,000,000"):
            J.parse_jsonstat2(json.dumps(obj), label="big.json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2 ** 20


def test_a_year_code_of_thirty_million_is_not_a_year():
    obj = _jsonstat([1, 2], [1.0, 2.0])
    obj["id"] = ["Region", "Tid"]
    obj["dimension"] = {"Region": {"category": {"index": {"K-3401": 0}}},
                        "Tid": {"category": {"index": {"2024": 0, "30000000": 1}}}}
    frame = J.parse_jsonstat2(json.dumps(obj), label="years.json")
    with pytest.raises(ImportDataError, match=r"years.json: dimension 'Tid': '30000000' is not a year \(1800-2200\)"):
        J._years(frame, "Tid", "years.json")


def test_a_population_csv_with_a_year_of_thirty_million(tmp_path):
    from helsemod_py.data import ssb

    rows = ["kommune_nr,year,age,male,female,total"]
    rows += [f"0301,{y},{a},1,1,2" for y in (2024, 30000000) for a in range(106)]
    write(tmp_path / "pop.csv", "\n".join(rows) + "\n")
    with pytest.raises(ImportDataError, match=r"pop.csv: column 'year': 30000000 is not a year \(1800-2200\)"):
        ssb.read_population(tmp_path / "pop.csv")


def test_forty_thousand_categories_parse_in_linear_time():
    codes = [f"c{i}" for i in range(40_000)]
    obj = {"class": "dataset", "id": ["D"], "size": [len(codes)], "value": [1.0] * len(codes),
           "dimension": {"D": {"category": {"index": codes}}}}
    text = json.dumps(obj)
    t0 = time.perf_counter()
    assert len(J.parse_jsonstat2(text, label="many.json")) == 40_000
    obj["dimension"]["D"]["category"]["index"] = codes + ["c0"]
    obj["size"], obj["value"] = [len(codes) + 1], [1.0] * (len(codes) + 1)
    with pytest.raises(ImportDataError, match="duplicate code 'c0'"):
        J.parse_jsonstat2(json.dumps(obj), label="many.json")
    assert time.perf_counter() - t0 < 5  # the quadratic count took 32 s


@pytest.mark.parametrize("text, words", [
    ('{"value": [' + "1" * 5000 + "]}", "not JSON-stat2 ('Exceeds the limit (4300 digits)"),
    ("[" * 100_000 + "]" * 100_000, "not JSON-stat2 (nested too deeply)"),
])
def test_json_numbers_and_nesting_beyond_what_python_reads(text, words):
    with pytest.raises(ImportDataError) as info:
        J.parse_jsonstat2(text, label="x.json")
    assert str(info.value).startswith(f"x.json: {words}") and "\n" not in str(info.value)


def test_a_results_folder_whose_manifest_is_not_json(runner, tmp_path):
    assert runner.invoke(main, ["run", "--out", str(tmp_path / "res"), *FAST]).exit_code == 0
    (tmp_path / "res" / "manifest.json").write_bytes(b"\xff" + b"[" * 100_000)
    one_error(runner.invoke(main, ["plot", str(tmp_path / "res")]), 1, "manifest.json: not a manifest written by")


def test_an_input_file_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    from helsemod_py.data import inputs

    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 100)  # the importers' one limit
    write(tmp_path / "big.json", "{" + " " * 200 + "}")
    with pytest.raises(ImportDataError, match=r"big.json: file is larger than the limit"):
        J.parse_jsonstat2(tmp_path / "big.json")
