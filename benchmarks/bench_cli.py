"""Planner-time speed of the command line (issue 16): `helsemod run` cold and warm, 1 000 draws
end to end against the same draws in-process, and `helsemod compare` against one run.

Run:  python benchmarks/bench_cli.py --data DIR [--before DIR] [--repeat 3] [--draws 1000] [--compare]
                                     [--out benchmarks/bench_cli.md]

Every figure is the wall time of a fresh process running the command a planner types, results
written (``--out`` to a temporary folder), all measured in this one run on this machine:

* **cold**: the dataset cache emptied first (the folder's CSV files are parsed and the cache filled);
* **warm**: the same command again (the dataset read from the cache); the least of ``--repeat`` runs,
  with the median beside it (a shared machine's other work only ever adds time);
* **draws**: ``helsemod run scenarios/uncertainty.yaml --draws N --seed 1`` through the command line,
  and ``project_ensemble`` for the same draws inside one process that has loaded everything before
  the clock starts, so their difference is what the command line adds;
* **floor**: a fresh Python importing the libraries ``run`` imports, calling one cached numba
  function and exiting as ``helsemod`` does (no teardown), which no ``run`` can go below;
* **compare**: ``helsemod compare scenarios/baseline.yaml scenarios/k2025_all.yaml`` (``--compare``),
  results written, the least of ``--repeat`` runs, as a multiple of one warm run; with ``--before``
  its attribution, cost effectiveness and comparison tables of both trees are checked byte for byte.

``--before DIR`` runs the same commands with the package found in ``DIR`` (an earlier commit:
``git archive <commit> helsemod_py | tar -x -C DIR``) in the same run, and checks that both write
the same ``results.csv``, byte for byte. Each tree's numba cache is filled by unmeasured runs first
(a plain run and a few draws), so no figure includes compiling.
The dataset cache of this run lives in a temporary folder (``HELSEMOD_CACHE_DIR``), never the
user's.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
#: What ``compare`` writes of the attribution (checked the same in both trees with ``--before``).
COMPARE_FILES = ("attribution.csv", "cost_effectiveness.csv", "comparison.csv")


#: Where the measured processes keep Python's bytecode (set by :func:`main` to the run's temporary folder).
BYTECODE: dict[str, str] = {}


def child_env(**extra) -> dict:
    """The environment of a measured process: Python's bytecode cached as a normal install has it
    (``PYTHONDONTWRITEBYTECODE``, which some machines set, lifted; the bytecode kept under the
    run's temporary folder, ``PYTHONPYCACHEPREFIX``, the same for both trees), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **BYTECODE, **extra}


def timed(args: list[str], package_dir: Path, cache_dir: Path) -> float:
    """Wall seconds of ``python -m helsemod_py.cli ARGS`` with the package in ``package_dir``."""
    env = child_env(PYTHONPATH=str(package_dir), HELSEMOD_CACHE_DIR=str(cache_dir))
    cmd = [sys.executable, "-m", "helsemod_py.cli", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=package_dir, capture_output=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return wall


def in_process_draws(data: Path, draws: int, cache_dir: Path) -> float:
    """Seconds of ``project_ensemble`` for ``draws`` draws once the dataset, scenario and kernels are loaded."""
    code = (
        "import time, helsemod_py as hm\n"
        "from helsemod_py.uncertainty import project_ensemble\n"
        f"ds = hm.load_dataset({str(data)!r}); scn = hm.Scenario.from_yaml({str(SCENARIOS / 'uncertainty.yaml')!r})\n"
        "project_ensemble(ds, scn, draws=2, seed=1)\n"
        f"t = time.perf_counter(); project_ensemble(ds, scn, draws={draws}, seed=1); print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=child_env(PYTHONPATH=str(ROOT), HELSEMOD_CACHE_DIR=str(cache_dir)))
    return float(out.stdout.strip().splitlines()[-1])


#: What a fresh process needs before `helsemod run` can do any work: the libraries it imports, and
#: numba's CPU target, which loading any cached kernel starts; it ends as `helsemod` ends, without
#: the interpreter's teardown (``_clikit.exit_now``).
FLOOR_CODE = ("import os, pandas, xarray, pyarrow.csv, click, yaml\nimport floor_kernel\nfloor_kernel.one(1.0)\n"
              "os._exit(0)\n")


def startup_floor(tmp: Path, repeat: int) -> float:
    """Least wall seconds of a fresh Python importing the libraries `run` uses and calling one numba
    function from numba's cache (filled by an unmeasured call first)."""
    folder = tmp / "floor"
    folder.mkdir()
    (folder / "floor_kernel.py").write_text("from numba import njit\n\n\n@njit(cache=True)\ndef one(x):\n"
                                            "    return x + 1.0\n")
    cmd = [sys.executable, "-c", FLOOR_CODE]
    subprocess.run(cmd, cwd=folder, check=True, env=child_env())
    walls = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=folder, check=True, env=child_env())
        walls.append(time.perf_counter() - t0)
    return min(walls)


def run_times(package_dir: Path, data: Path, tmp: Path, tag: str, repeat: int) -> dict:
    """Cold and warm times of `helsemod run` (baseline, real data, results written)."""
    cache = tmp / f"cache-{tag}"
    out = tmp / f"out-{tag}"
    args = ["run", "--data", str(data), "--out", str(out), "--force", "-q"]
    cold = timed(args, package_dir, cache)
    warm = [timed(args, package_dir, cache) for _ in range(repeat)]
    return {"cold": cold, "warm": min(warm), "warm_median": statistics.median(warm), "out": out, "cache": cache}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a real-size dataset folder (helsemod data build)")
    parser.add_argument("--before", type=Path, default=None, help="folder holding an earlier helsemod_py")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--compare", action="store_true", help="also time helsemod compare baseline k2025_all")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("bench_cli.md"))
    args = parser.parse_args()
    load = [os.getloadavg()[0]]
    trees = [("now", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    res: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        BYTECODE["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        for tag, tree in trees:  # numba's cache of this tree, for the run and for the draws' kernels
            timed(["run", "--end-year", "2026", "-q"], tree, tmp / "warmup")
            timed(["run", str(SCENARIOS / "uncertainty.yaml"), "--end-year", "2026", "--draws", "40", "--seed", "1",
                   "--out", str(tmp / f"warmup-{tag}"), "-q"], tree, tmp / "warmup")
        for tag, tree in trees:
            res[tag] = run_times(tree, args.data, tmp, tag, args.repeat)
            print(tag, {k: v for k, v in res[tag].items() if isinstance(v, float)}, file=sys.stderr)
        res["now"]["floor"] = startup_floor(tmp, args.repeat)
        draw_args = ["run", str(SCENARIOS / "uncertainty.yaml"), "--data", str(args.data), "--draws",
                     str(args.draws), "--seed", "1", "--force", "-q"]
        for tag, tree in trees:
            res[tag]["draws_cli"] = timed([*draw_args, "--out", str(tmp / f"mc-{tag}")], tree, res[tag]["cache"])
        draws_inproc = in_process_draws(args.data, args.draws, res["now"]["cache"])
        if args.compare:
            cmp_args = ["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "k2025_all.yaml"), "--data",
                        str(args.data), "-q"]
            for tag, tree in trees:  # least of --repeat, as the warm run: other work only ever adds time
                res[tag]["compare"] = min(timed([*cmp_args, "--out", str(tmp / f"cmp-{tag}"), "--force"], tree,
                                                res[tag]["cache"]) for _ in range(args.repeat))
        same = same_compare = None
        if args.before:
            same = (res["now"]["out"] / "results.csv").read_bytes() == (res["before"]["out"] / "results.csv").read_bytes()
            if args.compare:  # the attribution and its costs, as compare writes them
                same_compare = all((tmp / "cmp-now" / f).read_bytes() == (tmp / "cmp-before" / f).read_bytes()
                                   for f in COMPARE_FILES)
    load.append(os.getloadavg()[0])
    args.out.write_text(_table(res, trees, args, draws_inproc, same, load, same_compare))
    print(args.out.read_text())


def _table(res, trees, args, draws_inproc, same, load, same_compare=None) -> str:
    import numba

    tags = [t for t, _ in trees]
    head = "| | " + " | ".join(tags) + (" | before / now |" if len(tags) > 1 else " |")
    lines = [
        "# Command-line speed (issue 16)",
        "",
        f"`python benchmarks/bench_cli.py --data DIR{' --before DIR' if args.before else ''}"
        f"{' --compare' if args.compare else ''}` on {platform.node()} ({os.cpu_count()} cores, numba "
        f"{numba.get_num_threads()} threads, Python {platform.python_version()}; load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end): fresh processes, results written, all in one run. "
        f"Dataset: {args.data.name} (real-size Norway, 357 municipalities, 2024-2035). Seconds.",
        "",
        head,
        "|" + "---|" * (len(tags) + 1 + (len(tags) > 1)),
    ]
    rows = [("`helsemod run`, cold (dataset cache empty)", "cold"),
            (f"`helsemod run`, warm (least of {args.repeat})", "warm"),
            (f"`helsemod run`, warm (median of {args.repeat})", "warm_median"),
            (f"`helsemod run uncertainty.yaml --draws {args.draws}`", "draws_cli")]
    if args.compare:
        rows.append((f"`helsemod compare baseline k2025_all` (least of {args.repeat})", "compare"))
    for label, key in rows:
        cells = [f"{res[t][key]:.2f}" for t in tags]
        if len(tags) > 1:
            cells.append(f"{res['before'][key] / res['now'][key]:.1f}x")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    now = res["now"]
    lines += [
        "",
        f"- {args.draws} draws in-process (`project_ensemble`, everything loaded): {draws_inproc:.2f} s; through the "
        f"command line {now['draws_cli']:.2f} s, so the command line adds {now['draws_cli'] - draws_inproc:.2f} s.",
    ]
    lines.append("- Every measured process caches Python's bytecode as a normal install does (this machine's "
                 "`PYTHONDONTWRITEBYTECODE=1` lifted, the bytecode under the run's temporary folder, both trees "
                 "alike); the unmeasured first runs write it.")
    lines.append(f"- Startup floor: a fresh Python that imports what a plain `run` needs (pandas, xarray, pyarrow, "
                 f"click, PyYAML, numba; not pydantic, which only a scenario file loads), calls one numba function from numba's cache and exits as `helsemod` does "
                 f"(without the interpreter's teardown) takes {now['floor']:.2f} s "
                 f"(least of {args.repeat}); the warm `run` does its own work in the {now['warm'] - now['floor']:.2f} s "
                 "on top.")
    if args.compare:
        lines.append(f"- `compare` takes {now['compare'] / now['warm']:.1f}x one warm `run` (least of {args.repeat}).")
    if same is not None:
        lines.append(f"- results.csv of both trees byte for byte the same: {'yes' if same else 'NO'}.")
    if same_compare is not None:
        lines.append(f"- {', '.join(COMPARE_FILES)} of `compare` in both trees byte for byte the same: "
                     f"{'yes' if same_compare else 'NO'}.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
