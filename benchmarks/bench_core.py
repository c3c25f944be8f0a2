"""Speed of the deterministic projection: numba kernels vs the numpy reference, and CLI start-up.

Run:  python benchmarks/bench_core.py [--repeat 5] [--out benchmarks/bench_core.md]

Measures, side by side in one run on this machine:
- the default dataset (357 municipalities x 17 groups x 2 sexes x one-year ages, 2024-2035):
  kernels only (numba vs ``core.reference``), and the whole ``hm.project`` call;
- the CLI: ``helsemod run`` with an empty numba cache (compiles) and again (cache hit).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def best_of(fn, repeat: int) -> float:
    """Fastest wall time (s) of ``repeat`` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def kernels(inputs, impl):
    """Run population, supply and demand with ``impl`` (a module with the three functions)."""
    from helsemod_py import dims as D

    w0, w1 = D.WORK_AGE_MIN, D.WORK_AGE_MAX + 1
    pop, _ = impl.project_population(inputs.population0, inputs.fertility, inputs.mortality, inputs.net_migration,
                                     inputs.male_share_at_birth)
    src, dst = D.transition_index()
    impl.project_supply(inputs.stock0, inputs.mortality[..., w0:w1], inputs.workforce_migration(),
                        inputs.exit_rate, src, dst, inputs.transition_rate, inputs.graduates,
                        inputs.graduate_age_dist, inputs.immigrants, inputs.immigrant_age_dist,
                        inputs.participation, inputs.share_in_health_care, inputs.avg_fte, inputs.sick_leave,
                        keep_stock=False, recruits=inputs.recruits)
    impl.project_demand(pop, inputs.user_rate, inputs.base_demand_fte, inputs.intensity, inputs.staff_mix)


def cli_times() -> tuple[float, float]:
    """Wall time of ``helsemod run`` with a fresh numba cache, then with the cache filled."""
    exe = shutil.which("helsemod", path=str(Path(sys.executable).parent)) or shutil.which("helsemod")
    cache = tempfile.mkdtemp(prefix="numba-cache-")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    out = []
    try:
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run([exe, "run", "-q"], env=env, check=True)
            out.append(time.perf_counter() - t0)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("bench_core.md"))
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI start-up measurement")
    args = parser.parse_args()

    import helsemod_py as hm
    from helsemod_py import core
    from helsemod_py.core import reference

    ds = hm.load_dataset()
    inputs = hm.build_inputs(ds, 2035)
    n_cells = len(ds.regions) * 17 * 2 * 59 * (len(inputs.years) - 1)
    t_numba = best_of(lambda: kernels(inputs, core), args.repeat)
    t_numpy = best_of(lambda: kernels(inputs, reference), max(1, args.repeat // 2))
    t_project = best_of(lambda: hm.project(ds, end_year=2035), args.repeat)
    t_build = best_of(lambda: hm.load_dataset(), args.repeat)
    rows = [
        ("kernels, numba (population + supply + demand)", t_numba),
        ("kernels, numpy reference", t_numpy),
        ("hm.project (inputs + kernels + labelled result)", t_project),
        ("hm.load_dataset() (copy of the cached default)", t_build),
    ]
    if not args.no_cli:
        cold, warm = cli_times()
        rows += [("helsemod run, empty numba cache (compiles)", cold), ("helsemod run, cached kernels", warm)]
    lines = [
        "# Deterministic projection speed",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}. Default dataset: {len(ds.regions)} municipalities, "
        f"17 groups, 2 sexes, ages 16-74 (supply) / 0-105 (population), {inputs.years[0]}-{inputs.years[-1]}: "
        f"{n_cells / 1e6:.1f} M supply cell-years. Best of {args.repeat}.",
        "",
        "| what | seconds |",
        "|---|---:|",
        *[f"| {name} | {t:.3f} |" for name, t in rows],
        "",
        f"numba / numpy reference speed-up: **{t_numpy / t_numba:.1f}x** "
        f"({n_cells / t_numba / 1e6:.0f} M supply cell-years per second with numba).",
        "",
        "Command: `python benchmarks/bench_core.py`",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
