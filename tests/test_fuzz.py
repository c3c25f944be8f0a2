"""Fuzzing (hypothesis) of everything that reads a user's input: scenario files, scenarios built
in Python, dataset folders, SSB importers and command-line options.

The property is always the same: the input is either accepted -- and then the results are finite
numbers -- or refused with the package's own error, one line per problem, never another
exception. Example counts follow the hypothesis profile (``HYPOTHESIS_PROFILE``: ``default`` a
quick look, ``ci`` the budgets below, within about a minute and a half on two cores, ``thorough``
ten times more).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st

import helsemod_py as hm
from helsemod_py._clikit import scheduler_address
from helsemod_py.checks import check_scenario
from helsemod_py.cli import main
from helsemod_py.data import jsonstat as J
from helsemod_py.data.dataset import Dataset
from helsemod_py.errors import DatasetError, HelsemodError, ImportDataError
from helsemod_py.scenario.schema import MEASURE_LEVERS as LEVERS
from helsemod_py.scenario.loader import read_scenario_file
from helsemod_py.scenario.schema import UNCERTAIN as SCHEMA_UNCERTAIN
from helsemod_py.uncertainty import project_ensemble

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted((ROOT / "scenarios").glob("*.yaml"))
_SCALE = {"ci": 1.0, "thorough": 10.0}.get(os.environ.get("HYPOTHESIS_PROFILE", "default"), 0.25)
_HC = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
       HealthCheck.filter_too_much]


def budget(n: int):
    """``n`` examples in the ci profile (a quarter by default, ten times as many in thorough)."""
    return settings(max_examples=max(3, int(n * _SCALE)), deadline=None, suppress_health_check=_HC)


def one_line_each(exc: HelsemodError) -> None:
    assert exc.problems and all(isinstance(p, str) and p and "\n" not in p for p in exc.problems), exc.problems
    assert all("Traceback" not in p for p in exc.problems)


@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset().subset(["K0301", "K3401", "K5601"])


NASTY = ["1e999", "-1e308", "1e308", "-1", "0", "1" * 60, ".nan", ".inf", "!!python/object:os.system", "&a x",
         "*a", "[[[[[[", "]]", "{", "}", "\x00", "\x07", "\t", "'", '"', "~", "null", "é", "\u202e", "2**70",
         "- - -", ": :", "? x", "%YAML 1.1", "---", "...", "|", ">", "@", "`", "#", "[]", "{}", "yes", "0x1F",
         "1_000", "2024-01-01", "2024-13-45", "2024-02-30 25:61:00", "../../etc/passwd", "/proc/self/environ", "a" * 300]


@st.composite
def mutated_library_file(draw) -> bytes:
    """A library scenario with a few random edits: a nasty token in place of a span, a byte
    inserted, a span deleted."""
    text = draw(st.sampled_from(LIBRARY)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 12)))
        kind = draw(st.sampled_from(["token", "char", "delete"]))
        new = draw(st.sampled_from(NASTY)) if kind == "token" else (
            draw(st.characters(max_codepoint=0x2FFF)) if kind == "char" else "")
        text = text[:i] + new + text[j:]
    return text.encode("utf-8", errors="surrogatepass")


@budget(200)
@given(data=st.one_of(mutated_library_file(), st.binary(max_size=600)))
def test_scenario_files_load_or_give_one_line_each(tmp_path, ds, data):
    f = tmp_path / "s.yaml"
    f.write_bytes(data)
    for base in LIBRARY:  # extends: resolves next to the file
        if not (tmp_path / base.name).exists():
            shutil.copy(base, tmp_path / base.name)
    try:
        read_scenario_file(f)
        scn = hm.Scenario.from_yaml(f)
        check_scenario(ds, scn)
    except HelsemodError as exc:
        one_line_each(exc)


# --- scenarios built in Python: the range rule keeps every result finite -------------------------
FLOATS = st.one_of(st.floats(0.8, 1.2), st.floats(0.0, 2.0), st.floats(-2.0, 3.0),
                   st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from([0.0, 1e-300, 1e6, 1e7, 1e308, -1e308]))


@st.composite
def measure(draw, i: int) -> dict:
    name = draw(st.sampled_from(sorted(LEVERS)))
    op = draw(st.sampled_from(LEVERS[name].operations))
    unit = "/1" if op in ("multiply", "shift") else LEVERS[name].unit
    value = {"value": draw(FLOATS), "unit": unit}
    if op == "shift":
        value["to_group"] = "health_worker"
    out = {"id": f"m{i}", "parameter": name, op: value, "path": {"start": draw(st.integers(2024, 2030))}}
    if op == "shift":
        out["target"] = {"groups": ["unskilled"]}
    return out


DISTS = st.one_of(
    st.builds(lambda m, s: {"type": "normal", "mean": m, "sd": s}, FLOATS, st.floats(1e-6, 1e6)),
    st.builds(lambda m, s: {"type": "lognormal", "median": m, "sd_log": s}, st.floats(1e-6, 1e6),
              st.floats(1e-6, 1e4)),
    st.builds(lambda lo, w: {"type": "uniform", "low": lo, "high": lo + w}, FLOATS, st.floats(1e-6, 1e7)),
    st.builds(lambda a, b, t: {"type": "beta", "alpha": a, "beta": b, "truncate": t}, st.floats(0.01, 100),
              st.floats(0.01, 100), st.one_of(st.none(), st.tuples(st.floats(-1, 1), st.floats(0, 2)))),
)
UNCERTAIN = list(SCHEMA_UNCERTAIN)  # every drawable lever of the registry


@budget(60)
@given(data=st.data())
def test_accepted_scenarios_give_finite_results(ds, data):
    measures = [data.draw(measure(i)) for i in range(data.draw(st.integers(0, 3)))]
    uncertain = [{"id": f"u{i}", "parameter": p, "distribution": data.draw(DISTS),
                  "unit": "/1 per year" if p == "standard_growth" else "/1"}
                 for i, p in enumerate(data.draw(st.lists(st.sampled_from(UNCERTAIN), max_size=2, unique=True)))]
    try:
        scn = hm.Scenario("fuzz", measures=measures, uncertainty=uncertain)
        check_scenario(ds, scn, end_year=2028)
    except HelsemodError as exc:
        one_line_each(exc)
        event("refused")
        return
    event("accepted, with draws" if uncertain else "accepted")
    res = hm.project(ds, scn, end_year=2028)  # the checks passed: the run must too, with finite numbers
    for name in ("supply_fte", "demand_fte", "gap", "population"):
        assert np.isfinite(getattr(res, name).values).all(), name
    if uncertain:
        ens = project_ensemble(ds, scn, draws=33, seed=data.draw(st.integers(0, 2 ** 32 - 1)), end_year=2028)
        assert np.isfinite(ens.nation.values).all() and np.isfinite(ens.municipality.values).all()


# --- dataset folders ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory, ds):
    folder = tmp_path_factory.mktemp("fuzzds") / "ds"
    ds.subset(["K0301", "K3401"]).save(folder)
    return folder


@budget(50)
@given(data=st.data())
def test_damaged_dataset_folders_load_or_give_one_line_each(tmp_path, saved, data):
    folder = tmp_path / "ds"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(saved, folder)
    victim = folder / data.draw(st.sampled_from(sorted(p.name for p in folder.iterdir())))
    text = victim.read_bytes()
    kind = data.draw(st.sampled_from(["token", "truncate", "bytes", "line"]))
    i = data.draw(st.integers(0, len(text)))
    if kind == "token":
        text = text[:i] + data.draw(st.sampled_from(NASTY)).encode() + text[i + data.draw(st.integers(0, 8)):]
    elif kind == "truncate":
        text = text[:i]
    elif kind == "bytes":
        text = text[:i] + data.draw(st.binary(min_size=1, max_size=20)) + text[i:]
    else:
        text = text + b"\n" + ",".join(data.draw(st.lists(st.sampled_from(NASTY), min_size=1, max_size=6))).encode()
    victim.write_bytes(text)
    try:
        loaded = Dataset.load(folder)
    except DatasetError as exc:
        one_line_each(exc)
        return
    assert loaded.problems() == []


# --- importers ------------------------------------------------------------------------------------
CODES = st.lists(st.sampled_from(["0301", "K-3401", "0", "2024", "2025", "1", "2", "000", "105+", "Personer1",
                                  "x", "", "30000000", "K-9999", "21", "Rest"]), min_size=0, max_size=4)


@st.composite
def jsonstat(draw) -> dict:
    names = draw(st.lists(st.sampled_from(["Region", "Kjonn", "Alder", "ContentsCode", "Tid", "X"]), min_size=0,
                          max_size=5, unique=True))
    dims, sizes = {}, []
    for d in names:
        codes = draw(CODES)
        index = draw(st.sampled_from(["list", "dict", "none"]))
        cat = {"label": {c: c for c in codes}}
        if index == "list":
            cat["index"] = codes
        elif index == "dict":
            cat["index"] = {c: draw(st.integers(-1, 5)) for c in codes}
        dims[d] = {"category": cat}
        sizes.append(draw(st.one_of(st.just(len(codes)), st.integers(0, 10 ** 12))))
    n = math.prod(sizes) if sizes and max(sizes) < 10 ** 6 else 0
    value = draw(st.one_of(
        st.lists(st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-5, 5), st.text(max_size=3)),
                 min_size=min(n, 50), max_size=min(n, 50)),
        st.dictionaries(st.sampled_from(["0", "1", "5", "-1", "x", "99999999999"]), st.floats(allow_nan=False),
                        max_size=4)))
    obj = {"class": draw(st.sampled_from(["dataset", "collection"])), "id": names, "size": sizes,
           "dimension": dims, "value": value}
    if draw(st.booleans()):
        obj["status"] = draw(st.one_of(st.text(max_size=3), st.lists(st.sampled_from(["", ":", "..", "-"]),
                                                                     max_size=3)))
    return obj


@budget(300)
@given(obj=jsonstat())
def test_jsonstat_parses_or_gives_one_line_each(obj):
    try:
        frame = J.parse_jsonstat2(json.dumps(obj), label="fuzz.json")
    except ImportDataError as exc:
        one_line_each(exc)
        return
    try:
        J.population_from_jsonstat(frame, label="fuzz.json")
    except ImportDataError as exc:
        one_line_each(exc)


@budget(150)
@given(data=st.one_of(st.binary(max_size=400), st.lists(st.lists(st.sampled_from(NASTY + ["value", "region", "år",
                                                                                          "alder", "12"]),
                                                                  min_size=1, max_size=5),
                                                         min_size=1, max_size=6).map(
    lambda rows: "\n".join(",".join(r) for r in rows).encode())))
def test_ssb_files_import_or_give_one_line_each(tmp_path, data):
    from helsemod_py.data import fetch

    f = tmp_path / "07459_in.csv"
    f.write_bytes(data)
    try:
        fetch.import_files([f], tmp_path / "out", force=True)
    except HelsemodError as exc:
        one_line_each(exc)


# --- command-line options ---------------------------------------------------------------------------
OPTION_VALUES = st.one_of(st.sampled_from(NASTY), st.text(max_size=30).filter(lambda s: "\x00" not in s),
                          st.integers(-2 ** 80, 2 ** 80).map(str))


@budget(40)
@given(option=st.sampled_from(["--seed", "--regions", "--groups", "--region", "--end-year", "--draws", "--out",
                               "--format"]), value=OPTION_VALUES)
def test_run_options_end_in_success_or_one_error_line(tmp_path, option, value):
    assume(not (option == "--draws" and value.isdigit() and int(value) > 50))
    out = tmp_path / "res"
    if out.exists():
        shutil.rmtree(out)
    args = ["run", "--end-year", "2025", "--regions", "K0301", "-q"]
    if option == "--out":
        value = str(tmp_path / value.replace("/", "_")[:100]) if value.strip() else value
    args += [option, value]
    res = CliRunner().invoke(main, args)
    assert res.exit_code in (0, 1, 2), (args, res.exit_code, res.output)
    assert "Traceback" not in res.output and (res.exception is None or isinstance(res.exception, SystemExit)), args
    if res.exit_code:
        lines = res.stderr.strip().splitlines()
        assert lines and all(x.startswith("error: ") for x in lines), (args, res.output)
        assert not any("unexpected" in x for x in lines), (args, res.output)
        if res.exit_code == 2:
            assert len(lines) == 1, lines


@budget(300)
@given(value=OPTION_VALUES)
def test_scheduler_addresses_are_checked_before_connecting(value):
    import click

    try:
        got = scheduler_address(None, None, value)
    except click.BadParameter as exc:
        assert "\n" not in str(exc)
        return
    assert got == "local" or ":" in got
