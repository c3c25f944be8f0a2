"""``helsemod bench``, ``list``, ``info`` and ``validate``: run the benchmarks, list what a dataset
and the package know, describe a dataset, check scenario files."""

from __future__ import annotations

import sys

import click

from .. import dims as D
from ..cli_text import current_lang, tr
from ..errors import HelsemodError
from .base import CONTEXT, State, _data_option, _handle_errors, _load, _outside_option, main

BENCHMARKS = {
    "core": ["bench_core.py"],
    "ensemble": ["bench_ensemble.py"],
    "backtest": ["backtest_population.py"],
    "demand": ["backtest_demand.py", "--choose-k", "--choose-damping"],
    "regional": ["backtest_regional.py", "--calibrate"],
    "helsemod": ["helsemod_side_by_side.py"],
    "memory": ["bench_memory.py"],
}


@main.command(context_settings=CONTEXT)
@click.argument("which", nargs=-1, type=click.Choice(list(BENCHMARKS)))
@click.option("--dir", "bench_dir", type=click.Path(file_okay=False), default=None,
              help="The benchmarks/ folder of a source checkout (default: found next to the package or here).")
@_handle_errors
def bench(which, bench_dir):
    """Run the benchmark suite (speed, ensemble, backtests) and print its tables.

    Each benchmark writes its table to benchmarks/<name>.md. Default: core and ensemble.

    \b
    Example:
        helsemod bench core ensemble
    """
    import subprocess
    from pathlib import Path

    candidates = [Path(bench_dir)] if bench_dir else [Path(__file__).resolve().parents[1] / "benchmarks",
                                                      Path.cwd() / "benchmarks"]
    folder = next((c for c in candidates if (c / BENCHMARKS["core"][0]).is_file()), None)
    if folder is None:
        raise HelsemodError("benchmarks/ not found: run `helsemod bench` in a source checkout of helsemod_py "
                            "or give --dir")
    for name in which or ("core", "ensemble"):
        script, *args = BENCHMARKS[name]
        click.echo(f"== {name}: {folder / script}", err=True)
        proc = subprocess.run([sys.executable, str(folder / script), *args], cwd=folder.parent)
        if proc.returncode:
            raise HelsemodError(f"benchmark {name} failed (exit {proc.returncode})")


@main.command("list", context_settings=CONTEXT)
@click.argument("what", type=click.Choice(["groups", "services", "regions", "scenarios", "measures"]))
@_data_option
@click.option("--county", default=None, help="Only the municipalities of this county (code or name).")
@click.option("--dir", "scenario_dir", type=click.Path(file_okay=False), default="scenarios", show_default=True)
@_handle_errors
def list_(what, data_dir, county, scenario_dir):
    """List personnel groups, services, regions, scenario files or measure parameters.

    \b
    Example:
        helsemod list regions --county Innlandet
    """
    from pathlib import Path

    from ..scenario.schema import MEASURE_LEVERS

    if what == "groups":
        for lbl in D.GROUP_LABELS:
            click.echo(f"{lbl.code:<24}{lbl.nb} / {lbl.en}" if current_lang() == "nb" else
                       f"{lbl.code:<24}{lbl.en} / {lbl.nb}")
    elif what == "services":
        for lbl in D.SERVICE_LABELS:
            click.echo(f"{lbl.code:<18}{lbl.nb} / {lbl.en}" if current_lang() == "nb" else
                       f"{lbl.code:<18}{lbl.en} / {lbl.nb}")
    elif what == "measures":
        for name, lever in MEASURE_LEVERS.items():
            click.echo(f"{name:<22}{'/'.join(lever.operations):<20}{lever.description}")
    elif what == "regions":
        ds = _load(data_dir)
        reg = ds.regions
        wanted = None
        if county:
            key = county.strip().lower()
            wanted = next((c for c, n in reg.county_names.items() if key in (c.lower(), n.lower())), None)
            if wanted is None:
                raise HelsemodError(f"--county {county!r}: unknown (allowed: " +
                                    ", ".join(f"{c} {n}" for c, n in reg.county_names.items()) + ")")
        for code, name, cc in zip(reg.codes, reg.names, reg.county_codes):
            if wanted is None or cc == wanted:
                click.echo(f"{code:<8}{name:<40}{cc} {reg.county_names.get(cc, '')}")
    else:
        from ..scenario import Scenario

        files = sorted(Path(scenario_dir).glob("*.yaml"))
        if not files:
            raise HelsemodError(f"{scenario_dir}: no scenario files (*.yaml)")
        for f in files:
            scn = Scenario.from_yaml(f)
            click.echo(f"{str(f):<44}{tr('n_measures', n=len(scn.measures))}  {scn.name}")


@main.command(context_settings=CONTEXT)
@_data_option
@_handle_errors
def info(data_dir):
    """Summarise a dataset: vintage, size, sources and what is synthetic.

    \b
    Example:
        helsemod info --data mydata/
    """
    from ..data.schema import PARAMETERS

    ds = _load(data_dir)
    click.echo(repr(ds))
    desc = ds.meta.get(f"description_{current_lang()}") or ds.meta.get("description")
    if desc:
        click.echo(desc)
    click.echo(tr("dataset_hash", h=ds.hash[:16]))
    params = ds.meta.get("parameters", {})
    for name, spec in PARAMETERS.items():
        pm = params.get(name, {})
        flag = tr("synthetic_flag") if pm.get("synthetic") else ""
        click.echo(f"  {name:<24} {spec.unit:<26}{flag} {pm.get('source', '')}")


@main.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path())
@_data_option
@_outside_option
@_handle_errors
def validate(files, data_dir):
    """Check scenario files (schema, units, codes, extends) without running them.

    \b
    Example:
        helsemod validate scenarios/*.yaml
    """
    from ..errors import HelsemodError
    from ..scenario import Scenario
    from ..checks import check_scenario

    ds = _load(data_dir)
    failed = 0
    for f in files:
        try:
            scn = Scenario.from_yaml(f, allow_outside=State.allow_outside)
            check_scenario(ds, scn)  # everything `run` would refuse: targets, ranges, draws
        except HelsemodError as exc:
            failed += 1
            for line in exc.problems:
                click.echo(f"error: {line}", err=True)
            continue
        click.echo(tr("valid_ok", file=f, name=scn.name, n=len(scn.measures)))
    if failed:
        raise HelsemodError(tr("invalid_files", bad=failed, n=len(files)))
