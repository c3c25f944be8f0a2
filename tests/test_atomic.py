"""Crash safety of result folders: killed writers, SIGTERM, concurrent writers, --force.

A writer runs in a child process (the snippet below) that writes a folder through
``write_atomic_dir`` and stops inside a file writer until the test kills it or lets it go, so
kills land at a known point: while files are being written into the temporary folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helsemod_py import _atomic
from helsemod_py._atomic import clean_stale, is_ours, write_atomic_dir
from helsemod_py.errors import HelsemodError

WRITER = r"""
import json, sys, time
from pathlib import Path
from helsemod_py._atomic import write_atomic_dir
from helsemod_py.errors import HelsemodError

out, gate, tag, force = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "force"

def slow(p):
    p.write_text("partial " * 1000)
    (gate.parent / f"{gate.name}.{tag}.ready").write_text("")
    while not gate.exists():  # hold here until the test opens the gate (or kills us)
        time.sleep(0.01)
    p.write_text(f"complete {tag}")

try:
    write_atomic_dir(out, {"results.csv": slow,
                           "manifest.json": lambda p: p.write_text(json.dumps({"package": "helsemod_py"}))},
                     force=force)
except HelsemodError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(1)
"""


def writer(out: Path, gate: Path, tag: str, force: bool = False) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(out), str(gate), tag, "force" if force else "-"],
                            stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    t0 = time.monotonic()
    while not path.exists():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the writer ended early: {proc.stderr.read()}")
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{path} did not appear")
        time.sleep(0.01)


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".helsemod-" in p.name)


def results(folder: Path, text: str = "old") -> Path:
    write_atomic_dir(folder, {"results.csv": lambda p: p.write_text(text),
                              "manifest.json": lambda p: p.write_text(json.dumps({"package": "helsemod_py"}))},
                     force=folder.exists())
    return folder


@pytest.fixture
def no_grace(monkeypatch):
    """Leftovers count as stale at once (the grace period guards a writer's first instant)."""
    monkeypatch.setattr(_atomic, "STALE_AGE_S", 0.0)


def test_kill_9_while_writing_leaves_old_results_and_the_next_write_cleans_up(tmp_path, no_grace):
    out, gate = results(tmp_path / "res"), tmp_path / "gate"
    proc = writer(out, gate, "a", force=True)
    wait_for(tmp_path / "gate.a.ready", proc)
    assert len(leftovers(tmp_path)) == 1  # the kill's temporary folder, with a partial results.csv
    proc.kill()
    proc.wait(timeout=30)
    assert (out / "results.csv").read_text() == "old"  # the previous results are whole
    (left,) = leftovers(tmp_path)
    assert (tmp_path / left / "results.csv").read_text().startswith("partial")
    results(out, "new")  # the next write to that parent removes the leftover
    assert leftovers(tmp_path) == [] and (out / "results.csv").read_text() == "new"


def test_sigterm_while_writing_removes_the_temporary_folder(tmp_path):
    out, gate = results(tmp_path / "res"), tmp_path / "gate"
    proc = writer(out, gate, "a", force=True)
    wait_for(tmp_path / "gate.a.ready", proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) != 0
    assert leftovers(tmp_path) == []  # cleaned by the writer itself
    assert (out / "results.csv").read_text() == "old"


def test_a_live_writers_temporary_folder_is_never_cleaned(tmp_path, no_grace):
    out, gate = tmp_path / "res", tmp_path / "gate"
    proc = writer(out, gate, "a")
    try:
        wait_for(tmp_path / "gate.a.ready", proc)
        assert clean_stale(tmp_path) == []  # locked by the live writer
        assert len(leftovers(tmp_path)) == 1
    finally:
        gate.write_text("")
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    assert (out / "results.csv").read_text() == "complete a" and leftovers(tmp_path) == []


def test_two_concurrent_writers_of_a_new_folder_exactly_one_wins(tmp_path):
    out, gate = tmp_path / "res", tmp_path / "gate"
    procs = {tag: writer(out, gate, tag) for tag in ("a", "b")}
    for tag, proc in procs.items():
        wait_for(tmp_path / f"gate.{tag}.ready", proc)
    gate.write_text("")  # both have written half their files; now both finish
    codes = {tag: proc.wait(timeout=60) for tag, proc in procs.items()}
    assert sorted(codes.values()) == [0, 1], codes
    winner = next(t for t, c in codes.items() if c == 0)
    loser = procs[next(t for t, c in codes.items() if c == 1)]
    assert "was created by another process while this one ran; left as it is" in loser.stderr.read()
    assert (out / "results.csv").read_text() == f"complete {winner}"
    assert leftovers(tmp_path) == []


def test_two_concurrent_force_writers_exactly_one_wins(tmp_path):
    out, gate = results(tmp_path / "res"), tmp_path / "gate"
    first = writer(out, gate, "a", force=True)
    wait_for(tmp_path / "gate.a.ready", first)  # `a` holds the folder it replaces
    second = writer(out, gate, "b", force=True)
    assert second.wait(timeout=60) == 1
    assert "being replaced by another process" in second.stderr.read()
    gate.write_text("")
    assert first.wait(timeout=60) == 0
    assert (out / "results.csv").read_text() == "complete a" and leftovers(tmp_path) == []


def test_replacing_swaps_in_one_step_on_linux(tmp_path, monkeypatch):
    if _atomic._libc_renameat2() is None:
        pytest.fail("Linux with renameat2 expected on this test machine")
    out = results(tmp_path / "res")
    old_inode = out.stat().st_ino

    def no_two_step(*args):
        raise AssertionError("os.rename used: the replace window would be open")

    monkeypatch.setattr(os, "rename", no_two_step)
    results(out, "new")
    assert (out / "results.csv").read_text() == "new" and out.stat().st_ino != old_inode
    assert leftovers(tmp_path) == []


def test_without_renameat2_a_writer_killed_between_renames_is_recovered(tmp_path, no_grace):
    """Where the system has no renameat2 the old folder is moved aside first; if the writer dies
    then, the final name is absent until the next write puts the old folder back."""
    out = results(tmp_path / "res")
    aside = tmp_path / ".res.helsemod-old-abcd1234"
    os.rename(out, aside)  # the state a kill between the two renames leaves
    assert not out.exists()
    assert clean_stale(tmp_path) == [aside]
    assert (out / "results.csv").read_text() == "old" and leftovers(tmp_path) == []


def test_without_renameat2_replacing_still_works(tmp_path, monkeypatch):
    monkeypatch.setattr(_atomic, "_rename2", lambda src, dst, flags: False)
    out = results(tmp_path / "res")
    results(out, "new")
    assert (out / "results.csv").read_text() == "new" and leftovers(tmp_path) == []


def test_force_replaces_only_helsemods_folders(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "draft.txt").write_text("keep me")
    with pytest.raises(HelsemodError, match="holds no helsemod manifest"):
        write_atomic_dir(mine, {"x.csv": lambda p: p.write_text("x")}, force=True)
    assert [p.name for p in mine.iterdir()] == ["draft.txt"]
    link = tmp_path / "link"
    link.symlink_to(results(tmp_path / "res"))
    with pytest.raises(HelsemodError, match="link: is a symbolic link"):
        write_atomic_dir(link, {"x.csv": lambda p: p.write_text("x")}, force=True)
    assert (tmp_path / "res" / "results.csv").read_text() == "old"


def test_what_counts_as_helsemods(tmp_path):
    import helsemod_py as hm

    hm.load_dataset().subset(["K0301"]).save(tmp_path / "ds")
    assert is_ours(tmp_path / "ds")
    assert is_ours(results(tmp_path / "res"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text('{"package": "other"}')
    assert not is_ours(tmp_path / "other")
    (tmp_path / "other" / "manifest.json").write_text("not json")
    assert not is_ours(tmp_path / "other")
    assert not is_ours(tmp_path / "nothing")


def test_killing_the_command_mid_write_then_running_again(tmp_path):
    """The real command: kill -9 while it writes its results, then run it again. The kill must land
    in the write (the temporary folder exists for about a second); three tries at most."""
    exe = Path(sys.executable).parent / "helsemod"
    for attempt in range(3):
        parent = tmp_path / f"try{attempt}"
        parent.mkdir()
        out = parent / "res"
        args = [str(exe), "run", "--end-year", "2030", "--out", str(out), "-q"]
        proc = subprocess.Popen(args, stderr=subprocess.PIPE)
        t0 = time.monotonic()
        while not leftovers(parent):  # the temporary folder appears when the tables are written
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() - t0 < 240
            time.sleep(0.002)
        proc.kill()
        proc.wait(timeout=30)
        if not out.exists():
            break
    else:
        pytest.fail("the command finished before it could be killed, three times")
    assert len(leftovers(parent)) == 1
    time.sleep(_atomic.STALE_AGE_S)
    done = subprocess.run(args, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert (out / "results.csv").is_file() and leftovers(parent) == []
