"""The ``helsemod`` command line.

Domain errors print one line per problem and exit 1 (no traceback unless ``--debug``);
wrong calls are usage errors (exit 2).
"""

from __future__ import annotations

import functools
import os
import sys

import click

from ._version import __version__
from . import dims as D
from ._atomic import check_target
from ._clikit import (DRAWS, SEED, Alias, OneLineGroup, check_year, listed, nonempty_path, progress_bar,
                      report_unexpected, scheduler_address, skip_dask_probe, ticking)
from .cli_text import Localized, LocalizedCommand, current_lang, tr
from .cli_summary import band_table as _band_table
from .cli_summary import gap_table as _gap_table
from .cli_summary import json_summary as _json_summary
from .cli_summary import region_view as _region_view
from .errors import HelsemodError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class State:
    debug = False
    allow_outside = False  # --allow-outside of the command being run


def _handle_errors(fn):
    """Turn domain errors into one line per problem on stderr and exit code 1; anything else
    (an OS error, memory running out, a bug) into one line too (``--debug``: the traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except HelsemodError as exc:
            if State.debug:
                raise
            for line in exc.problems:
                click.echo(f"error: {line}", err=True)
            sys.exit(1)
        except click.ClickException:
            raise
        except BrokenPipeError:  # the reader went away (`helsemod list groups | head`): stop quietly
            try:
                sys.stdout = open(os.devnull, "w")  # no second error when Python flushes stdout at exit
            except OSError:
                pass
            sys.exit(0)
        except Exception as exc:  # noqa: BLE001 - the last resort: never a traceback without --debug
            if State.debug:
                raise
            click.echo(f"error: {report_unexpected(exc)}", err=True)
            sys.exit(1)

    return wrapper


class LocalizedGroup(Localized, OneLineGroup):
    """The ``helsemod`` group: one-line usage errors, help in the CLI's language."""

    command_class = LocalizedCommand
    group_class = type


def _outside_option(fn):
    def remember(ctx, param, value):
        State.allow_outside = bool(value)

    return click.option("--allow-outside", is_flag=True, expose_value=False, callback=remember,
                        help="Let extends: and population driver files lie outside the scenario file's folder.")(fn)


@click.group(cls=LocalizedGroup, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="helsemod")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.option("--lang", type=click.Choice(["en", "nb"]), default=None, envvar="HELSEMOD_LANG", is_eager=True,
              help="Language of the command line's tables, messages and help (en or nb; also HELSEMOD_LANG). "
                   "plot and report have their own --lang for the documents.")
def main(debug: bool, lang: str | None) -> None:
    """Project supply of and demand for health and care personnel per municipality.

    Norwegian: helsemod --lang nb COMMAND, or HELSEMOD_LANG=nb.

    \b
    Example:
        helsemod run                       # baseline on the embedded default data
        helsemod run --out results/base    # ... and write tables and a manifest
        helsemod info
    """
    State.debug = debug
    State.allow_outside = False


def _data_option(fn):
    return click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
                        help="Dataset folder (default: the embedded Norway-like dataset).")(fn)


def _lang_option_factory():
    return click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True,
                        help="Language of labels and text.")


def _load(data_dir):
    import helsemod_py as hm

    return hm.load_dataset(data_dir)


def _scenario(path):
    from .scenario import Scenario

    return Scenario.from_yaml(path, allow_outside=State.allow_outside) if path else Scenario("baseline")


@main.command(context_settings=CONTEXT)
@click.argument("scenario_file", required=False, type=click.Path(dir_okay=False))
@_data_option
@click.option("--end-year", type=int, default=None, help="Last projected year (default: the scenario's, else 2035; "
                                                         "at most 2050).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, callback=nonempty_path,
              help="Write results.csv and manifest.json to this folder.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "xlsx"]), default="csv", show_default=True,
              help="Table format (xlsx: one sheet per region level, plus results.csv).")
@click.option("--force", is_flag=True, help="Overwrite an existing --out folder.")
@click.option("--region", "region", default=None,
              help="Show this municipality or county (code or name) instead of the nation, and write only it "
                   "with its county and the nation (see --all-regions).")
@click.option("--regions", default=None, metavar="CODES|NAMES", callback=listed,
              help="Show and write only these municipalities and/or counties (comma-separated codes or names), "
                   "with their counties and the nation. The whole country is always projected.")
@click.option("--all-regions", is_flag=True, help="Write every municipality and county even with --region/--regions.")
@click.option("--groups", default=None, metavar="GROUPS", callback=listed,
              help="Only these personnel groups in the outputs (comma-separated ids or Norwegian names, "
                   "e.g. nurse,helsefagarbeidere).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table.")
@click.option("--draws", type=DRAWS, default=0, show_default=True,
              help="Monte Carlo draws of the scenario's uncertainty (0: deterministic only).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the draws (reproducible).")
@click.option("--noise", is_flag=True, help="Poisson noise on flows of small municipalities in draws.")
@click.option("--scheduler", "--dask", "scheduler", default=None, metavar="ADDRESS|local",
              callback=scheduler_address,
              help="Run chunks of draws on a Dask cluster (scheduler address, or 'local' for a LocalCluster).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@_outside_option
@_handle_errors
def run(scenario_file, data_dir, end_year, out_dir, fmt, force, region, regions, all_regions, groups, as_json, draws,
        seed, noise, scheduler, quiet):
    """Project a scenario (default: the baseline) and print the gap by personnel group.

    The whole country is always projected, so a municipality's numbers are the same whether or not
    it is selected; --region/--regions only choose what is shown and written.

    \b
    Example:
        helsemod run                                  # baseline, embedded default data
        helsemod run scenarios/torn_full_time.yaml --region Innlandet --out results/torn
    """
    import helsemod_py as hm

    from .outputs import write_results

    if scheduler is None:
        skip_dask_probe()
    if out_dir:
        check_target(out_dir, force)  # fail now, not after the projection
    ds = _load(data_dir)
    selection = _selection(ds, region, regions)
    group_list = _select_groups(groups)
    scn = _scenario(scenario_file)
    lang = current_lang()
    from .labels import scenario_name

    with progress_bar(tr("projecting", lang, name=scenario_name(scn.name, lang)), 1, quiet or as_json) as tick:
        res = hm.project(ds, scn, end_year=end_year)
        tick()
    if group_list:
        res = type(res)(res.data.sel(group=group_list), res.scenario, res.level, res.dataset_name, res.dataset_hash,
                        res.catchment)
    ens = None
    if draws:
        from .checks import check_scenario
        from .uncertainty import project_ensemble, quantile_table

        check_scenario(ds, scn, end_year)  # the draws' ranges, before the progress bar starts

        with click.progressbar(length=draws, label=tr("n_draws", lang, n=draws), file=sys.stderr,
                               hidden=quiet or as_json) as bar:
            ens = project_ensemble(ds, scn, draws=draws, seed=seed, end_year=end_year, noise=noise,
                                   scheduler=scheduler, progress=bar.update)
    written = None if all_regions else selection
    if out_dir:
        extra = {"quantiles.csv": _keep_quantiles(quantile_table(ens), res, written)} if ens is not None else None
        with progress_bar(tr("writing", lang, out=out_dir), 1, quiet or as_json) as tick:
            write_results(res, out_dir, force=force, fmt=fmt, scenario_hash=scn.hash, seed=seed if draws else None,
                          manifest_extra={"scenario_file": scenario_file, "draws": draws, "noise": noise},
                          extra_tables=extra, municipalities=written)
            tick()
    view, label = _region_view(res, ds, regions or region, selection, lang)
    if as_json:
        click.echo(_json_summary(view, label, ens, ds, regions or region, group_list))
    elif not quiet:
        click.echo(_gap_table(view, label, lang))
        if ens is not None:
            click.echo(_band_table(ens, lang, ds, regions or region, group_list))
        if out_dir:
            extra = tr("and_quantiles", lang) if ens is not None else ""
            click.echo(tr("wrote_run", lang, out=out_dir, fmt=fmt, extra=extra))


def _selection(ds, region: str | None, regions: str | None) -> list[str] | None:
    """Municipality codes chosen by --region (one) or --regions (several), or None for none."""
    if region and regions:
        raise HelsemodError("--region and --regions: give one of them (--regions takes a comma-separated list)")
    if not (region or regions):
        return None
    return _select_regions(ds, regions or region, "--regions" if regions else "--region")


def _select_regions(ds, spec: str, option: str = "--regions") -> list[str]:
    """Municipality codes for comma-separated municipality/county codes or names (did you mean…)."""
    codes: list[str] = []
    problems = []
    items = [x.strip() for x in spec.split(",") if x.strip()] if option == "--regions" else [spec.strip()]
    for item in items:
        hit = ds.regions.lookup(item)
        if hit is None:
            several = option == "--region" and "," in item
            problems.append(f"--region {item!r}: one region only; for several use --regions {item}" if several
                            else ds.regions.unknown_message(item, option))
        elif hit[0] == "municipality":
            codes.append(hit[1])
        else:
            codes += [c for c, cc in zip(ds.regions.codes, ds.regions.county_codes) if cc == hit[1]]
    if problems:
        raise HelsemodError(problems)
    return list(dict.fromkeys(codes))


def _keep_quantiles(table, res, municipalities):
    """The draws' quantile table restricted to the selection's municipalities, counties and nation."""
    from .outputs import context

    keep = context(res, municipalities)
    if keep is None:
        return table
    mask = [r in keep.get(lv, set()) for lv, r in zip(table["level"], table["region"])]
    return table[mask]


def _select_groups(spec: str | None) -> list[str] | None:
    if not spec:
        return None
    from .aliases import resolve_all

    return resolve_all("group", [g.strip() for g in spec.split(",") if g.strip()], what="--groups")


@main.command(context_settings=CONTEXT)
@click.argument("scenario_file", type=click.Path(dir_okay=False))
@_data_option
@click.option("--params", default=None, callback=listed,
              help="Comma-separated ids of the scenario's uncertainty entries (default: all).")
@click.option("--method", type=click.Choice(["sobol", "morris"]), default="sobol", show_default=True)
@click.option("--samples", type=click.IntRange(2, None), default=64, show_default=True,
              help="Base samples (Sobol) or trajectories (Morris).")
@click.option("--year", type=int, default=None, help="Year of the national gap analysed (default: last).")
@click.option("--group", type=Alias("group"), default=None, help="One group's gap (default: all groups).")
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, callback=nonempty_path,
              help="Write sensitivity.csv, a tornado plot and manifest.json here.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out folder.")
@click.option("--scheduler", "--dask", "scheduler", default=None, metavar="ADDRESS|local",
              callback=scheduler_address,
              help="Run chunks of design points on a Dask cluster (scheduler address, or 'local').")
@_lang_option_factory()
@_outside_option
@_handle_errors
def sensitivity(scenario_file, data_dir, params, method, samples, year, group, seed, out_dir, force, scheduler,
                lang):
    """Global sensitivity (SALib Sobol or Morris) of the national gap to uncertain parameters.

    \b
    Example:
        helsemod sensitivity scenarios/uncertainty.yaml --method sobol --samples 128 --out results/sens
    """
    import json

    from .outputs import write_atomic_dir
    from .uncertainty import sensitivity as run_sensitivity

    if out_dir:
        check_target(out_dir, force)
    ds = _load(data_dir)
    scn = _scenario(scenario_file)
    if year is not None:
        from .model import DEFAULT_END_YEAR

        check_year(year, ds.base_year, scn.end_year or DEFAULT_END_YEAR)
    names = [p.strip() for p in params.split(",")] if params else None
    k = len(names) if names else len(scn.uncertainty)
    runs = samples * (k + 2) if method == "sobol" else samples * (k + 1)
    with click.progressbar(length=runs, label=f"{method}: {runs} runs", file=sys.stderr) as bar:
        table = run_sensitivity(ds, scn, params=names, method=method, samples=samples, seed=seed, year=year,
                                group=group, progress=bar.update, scheduler=scheduler)
    a = table.attrs
    click.echo(f"{method} sensitivity of the national gap {a['year']} ({a['group']}), {a['runs']} runs; "
               f"mean {a['output_mean']:,.0f} FTE, sd {a['output_sd']:,.0f}")
    click.echo(table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    if out_dir:
        from .report.plots import plot_sensitivity

        man = {"package": "helsemod_py", "scenario": scn.name, "scenario_hash": scn.hash, "dataset_hash": ds.hash,
               "seed": seed, "method": method, "samples": samples, **{k: v for k, v in a.items()}}
        fig = plot_sensitivity(table, lang=lang)
        write_atomic_dir(out_dir, {
            "sensitivity.csv": lambda p: table.to_csv(p, index=False),
            f"tornado_{lang}.png": lambda p: fig.savefig(p, dpi=120, format="png"),
            "manifest.json": lambda p: p.write_text(json.dumps(man, indent=2, ensure_ascii=False)),
        }, force=force)
        click.echo(f"wrote {out_dir}")


_lang_option = _lang_option_factory()


@main.command(context_settings=CONTEXT)
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for the PNG files (default: RESULTS_DIR/plots).")
@_lang_option
@click.option("--region", default=None, help="Municipality or county (code or name) for the regional plots.")
@_handle_errors
def plot(results_dir, out_dir, lang, region):
    """Draw PNG plots from a results folder written by `run` or `compare`.

    \b
    Example:
        helsemod run scenarios/k2025_all.yaml --out results/k2025 && helsemod plot results/k2025 --lang en
    """
    from .report import plots_from_folder
    from .report.plots import load_folder, map_note

    with progress_bar(tr("drawing"), 1) as tick:
        paths = plots_from_folder(results_dir, out_dir, lang=lang, region=region)
        tick()
    for p in paths:
        click.echo(tr("wrote", what=p))
    note = map_note(load_folder(results_dir).main, lang)
    if note:
        click.echo(note)


@main.command(context_settings=CONTEXT)
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="HTML file (default: RESULTS_DIR/report_<lang>.html).")
@click.option("--excel", "excel_file", type=click.Path(dir_okay=False), default=None,
              help="Also write the report's tables to this Excel file.")
@_lang_option
@click.option("--region", default=None, help="Municipality or county (code or name) for the regional parts.")
@_handle_errors
def report(results_dir, out_file, excel_file, lang, region):
    """Write one self-contained HTML report (tables, plots, sources) from a results folder.

    \b
    Example:
        helsemod compare scenarios/baseline.yaml scenarios/k2025_all.yaml --out results/cmp
        helsemod report results/cmp --lang nb --excel results/cmp/tabeller.xlsx
    """
    from .report import excel_from_folder, report_from_folder

    with progress_bar(tr("writing_report"), 2 if excel_file else 1) as tick:
        path = report_from_folder(results_dir, out_file, lang=lang, region=region)
        tick()
        excel = excel_from_folder(results_dir, excel_file, lang=lang, region=region) if excel_file else None
        tick()
    click.echo(tr("wrote", what=path))
    if excel:
        click.echo(tr("wrote", what=excel))


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
    from .errors import HelsemodError
    from .scenario import Scenario
    from .checks import check_scenario

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


@main.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_data_option
@click.option("--year", type=int, default=None, help="Year to compare (default: the last projected year).")
@click.option("--end-year", type=int, default=None, help="Last projected year (default: the first scenario's).")
@click.option("--attribution/--no-attribution", default=True, show_default=True,
              help="Attribute each scenario's change to its measures (Shapley) with cost per FTE.")
@click.option("--samples", type=click.IntRange(1, 10_000), default=24, show_default=True,
              help="Random orders for sampled Shapley values (more than 6 measures).")
@click.option("--outcome", type=click.Choice(["gap", "shortage"]), default="gap", show_default=True,
              help="What the attribution shares out: the net gap, or the shortage (negative gaps only, so "
                   "moving tasks to a group with spare staff counts).")
@click.option("--region", "region", default=None,
              help="Also show the gap change in this municipality or county (code or name), and write only it "
                   "with its county and the nation (see --all-regions).")
@click.option("--regions", default=None, metavar="CODES|NAMES", callback=listed,
              help="As --region for several municipalities and/or counties (comma-separated), shown as one sum.")
@click.option("--all-regions", is_flag=True, help="Write every municipality and county even with --region/--regions.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, callback=nonempty_path,
              help="Write comparison.csv, attribution.csv, cost_effectiveness.csv and manifest.json here.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out folder.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@_outside_option
@_handle_errors
def compare(files, data_dir, year, end_year, attribution, samples, outcome, region, regions, all_regions, out_dir,
            force, quiet):
    """Compare scenarios with the first: gap and shortage by group and county, attribution, cost per FTE.

    Cost per FTE gained is shown on two bases: the programme cost alone, and the total cost
    (programme + wages and employer's costs of the FTE gained + other costs). Measures whose
    effect has no published source and range are marked *assumption.

    \b
    Example:
        helsemod compare scenarios/baseline.yaml scenarios/k2025_all.yaml --year 2035
        helsemod compare scenarios/baseline.yaml scenarios/aks.yaml --outcome shortage
    """
    import contextlib
    import json

    import pandas as pd

    import helsemod_py as hm

    from ._csv import to_csv
    from .compare import compare as run_compare
    from .compare import region_change_lines
    from .outputs import long_table, manifest, provenance_table, write_atomic_dir

    skip_dask_probe()
    if len(files) < 2:
        raise click.UsageError("give at least two scenario files; the others are compared with the first")
    if out_dir:
        check_target(out_dir, force)
    ds = _load(data_dir)
    selection = _selection(ds, region, regions)
    scenarios = [_scenario(f) for f in files]
    end_year = end_year or scenarios[0].end_year or hm.DEFAULT_END_YEAR
    year = year or end_year
    check_year(year, ds.base_year, end_year)
    projections = []
    lang = current_lang()
    with progress_bar(tr("projecting_n", lang, n=len(scenarios)), len(scenarios), quiet) as tick:
        for s in scenarios:
            projections.append(hm.project(ds, s, end_year=end_year))
            tick()
    with contextlib.ExitStack() as stack:
        def progress(label, n):
            return stack.enter_context(progress_bar(label, n, quiet))

        if not quiet and projections[0].data.attrs.get("synthetic"):
            click.echo(tr("synthetic_line", lang, dataset=ds.name))

        result = run_compare(ds, scenarios, projections, year, end_year, attribution, samples, outcome, progress,
                             lang)
    if not quiet:
        click.echo("\n".join(result.lines).lstrip("\n"))
        if selection is not None:
            views = [_region_view(p, ds, regions or region, selection, lang) for p in projections]
            click.echo("\n".join(region_change_lines([v for v, _ in views], views[0][1], year, lang)))
    written = None if all_regions else selection
    if out_dir:
        def comparison(p):
            comp = pd.concat([long_table(x, municipalities=written) for x in projections], ignore_index=True)
            to_csv(comp, p)

        prov = provenance_table(projections[-1], municipalities=written)
        files_out = {"comparison.csv": comparison, "provenance.csv": lambda p: to_csv(prov, p)}
        if result.attribution:
            at = pd.concat(result.attribution, ignore_index=True)
            ce = pd.concat(result.cost_effectiveness, ignore_index=True)
            files_out["attribution.csv"] = lambda p: to_csv(at, p)
            files_out["cost_effectiveness.csv"] = lambda p: to_csv(ce, p)
        extra = {"scenarios": [str(f) for f in files], "year": year, "outcome": outcome}
        if written is not None:
            extra["selection"] = sorted(written)
        man = manifest(projections[-1], scenario_hash=",".join(s.hash for s in scenarios), extra=extra)
        files_out["manifest.json"] = lambda p: p.write_text(json.dumps(man, indent=2, ensure_ascii=False))
        with progress_bar(tr("writing", lang, out=out_dir), len(files_out), quiet) as tick:
            write_atomic_dir(out_dir, {k: ticking(f, tick) for k, f in files_out.items()}, force=force)
        if not quiet:
            click.echo("\n" + tr("wrote", lang, what=out_dir))


@main.command(context_settings=CONTEXT)
@click.argument("group", type=Alias("group"))  # an id or a Norwegian name (sykepleiere)
@_data_option
@click.option("--target-year", type=int, default=2035, show_default=True, help="Year the gap should be closed.")
@click.option("--start-year", type=int, default=None, help="First year of extra intake (default: base year).")
@click.option("--level", type=Alias("level", D.REGION_LEVELS), default="nation", show_default=True,
              help="nation (nasjon, land), county (fylke) or municipality (kommune).")
@click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False), default=None,
              help="Solve on top of this scenario (default: baseline).")
@click.option("--channel", type=click.Choice(["graduates", "recruits"]), default="graduates", show_default=True)
@_outside_option
@_handle_errors
def intake(group, data_dir, target_year, start_year, level, scenario_file, channel):
    """Extra graduates (or recruits) a year needed to close a group's gap by a target year.

    GROUP: a personnel group's id or Norwegian name (nurse, sykepleiere; `helsemod list groups`).

    \b
    Example:
        helsemod intake nurse --target-year 2035 --start-year 2026 --level county
    """
    from .analysis import required_intake

    from .model import MAX_END_YEAR

    ds = _load(data_dir)
    check_year(target_year, ds.base_year + 1, MAX_END_YEAR, "--target-year")
    if start_year is not None:
        check_year(start_year, ds.base_year, target_year - 1, "--start-year")
    units = {"nation": 1, "county": len(ds.regions.counties), "municipality": len(ds.regions)}[level]
    with click.progressbar(length=units, label=tr("solving", n=units), file=sys.stderr) as bar:
        res = required_intake(ds, group, target_year, start_year=start_year, level=level,
                              scenario=_scenario(scenario_file) if scenario_file else None, channel=channel,
                              progress=bar.update)
    nb = current_lang() == "nb"
    from .labels import group_name

    name = group_name(group, "nb").lower() if nb else group
    click.echo(tr("intake_head", channel=tr(channel) if channel in ("graduates", "recruits") else channel, group=name,
                  start=res.start_year, year=target_year))
    for _, row in res.table.iterrows():
        numbers = tr("intake_row", gap=row.gap_before_fte, extra=row.extra_per_year)
        if nb:  # Norwegian number style: thin space for thousands, a real minus sign
            numbers = numbers.replace(",", "\u00a0").replace("-", "\u2212")
        click.echo(f"  {row.region_name:<36}{numbers}")


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

    from .scenario.schema import MEASURE_LEVERS

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
        from .scenario import Scenario

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
    from .data.schema import PARAMETERS

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


@main.group(context_settings=CONTEXT)
def data():
    """Dataset tools: fetch and import SSB tables, build, write and check dataset folders.

    \b
    Example:
        helsemod data default --out mydata
        helsemod data check mydata
    """


@data.command("default", context_settings=CONTEXT)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, callback=nonempty_path)
@click.option("--force", is_flag=True, help="Overwrite an existing folder.")
@_handle_errors
def data_default(out_dir, force):
    """Write the embedded default dataset to a folder (to inspect or edit it).

    \b
    Example:
        helsemod data default --out mydata && helsemod run --data mydata
    """
    _load(None).save(out_dir, force=force)
    click.echo(f"wrote {out_dir}")


@data.command("fetch", context_settings=CONTEXT)
@click.option("--tables", default="07459,14288", show_default=True, callback=listed,
              help="Comma-separated SSB table ids (`all` for every table the model knows).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False), default="ssb-cache", show_default=True,
              help="Folder for the raw responses, their queries and download dates.")
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True)
@_handle_errors
def data_fetch(tables, cache_dir, retries):
    """Download SSB tables through the PxWebApi (JSON-stat2) into a cache folder.

    Then `helsemod data import CACHE/*/*.json --out imported` and `helsemod data build`.

    \b
    Example:
        helsemod data fetch --tables 07459,14288 --cache ssb-cache
    """
    from .data.fetch import TABLES, fetch

    ids = list(TABLES) if tables.strip() == "all" else [t.strip() for t in tables.split(",") if t.strip()]
    unknown = [t for t in ids if t not in TABLES]
    if unknown:
        raise HelsemodError([f"--tables {t!r}: unknown table (allowed: {', '.join(TABLES)}, all)" for t in unknown])
    for path in fetch(ids, cache_dir, retries=retries):
        click.echo(f"wrote {path}")


@data.command("import", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, callback=nonempty_path)
@click.option("--municipalities", type=click.Path(dir_okay=False), default=None,
              help="SSB municipality list CSV (kommuner_2024.csv) for names and counties.")
@click.option("--alternatives", default="MMMM", show_default=True, callback=listed,
              help="Projection alternatives to keep (comma-separated, or `all`).")
@click.option("--force", is_flag=True, help="Overwrite an existing folder.")
@_handle_errors
def data_import(files, out_dir, municipalities, alternatives, force):
    """Convert SSB files downloaded by hand or by `fetch` (JSON-stat2 or SSB CSV) to an import folder.

    \b
    Example:
        helsemod data import 07459.json kostra_care_panel_2015_2023.csv --municipalities kommuner_2024.csv \\
            --out imported && helsemod data build --from-import imported --out norway
    """
    from .data.fetch import import_files

    alts = "all" if alternatives.strip() == "all" else tuple(a.strip() for a in alternatives.split(","))
    path = import_files(files, out_dir, force=force, municipalities=municipalities, alternatives=alts)
    click.echo(f"wrote {path}")


@data.command("build", context_settings=CONTEXT)
@click.option("--from-import", "import_dir", type=click.Path(file_okay=False), default=None,
              help="An import folder written by `helsemod data import` (instead of --population/--municipalities).")
@click.option("--population", "population_csv", type=click.Path(dir_okay=False), default=None,
              help="SSB population CSV (kommune_nr, year, age, male, female, total).")
@click.option("--municipalities", "municipalities_csv", type=click.Path(dir_okay=False), default=None,
              help="SSB municipality list CSV (kommune_nr, kommune_navn, fylke_nr, fylke_navn, ...).")
@click.option("--base-year", type=int, default=None, help="Base year (default: last year in the file).")
@click.option("--from-year", "first_year", type=int, default=None,
              help="First year of the history used for rates (default: first in the file).")
@click.option("--national", "national_csv", type=click.Path(dir_okay=False), default=None,
              help="SSB population CSV for the nation (year, age, male, female, total; e.g. 1986-2024): the "
                   "series the mortality and fertility trends are estimated from (default: the municipal "
                   "history summed).")
@click.option("--trend-from", "trend_first_year", type=int, default=None,
              help="First year of the national series used for the trends (default: its first year).")
@click.option("--kostra", "kostra_csv", type=click.Path(dir_okay=False), default=None,
              help="KOSTRA care panel CSV: calibrate home-care and 24-hour-care user rates and nurse FTEs.")
@click.option("--kostra-year", type=int, default=None, help="KOSTRA year for base-year staff (default: latest "
                                                            "not after the base year).")
@click.option("--staff", "staff_csv", type=click.Path(dir_okay=False), default=None,
              help="Staff table (staff.csv from `helsemod data import`: FTE by municipality or trust, sector and "
                   "group): measured base-year supply where it has cells.")
@click.option("--employed", "employed_csv", type=click.Path(dir_okay=False), default=None,
              help="Employed table (employed.csv from `helsemod data import`, SSB 07940/07944: persons with each "
                   "health education employed in health and care by municipality): where each group's "
                   "unmeasured FTE are.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, callback=nonempty_path)
@click.option("--force", is_flag=True, help="Overwrite an existing folder.")
@_handle_errors
def data_build(import_dir, population_csv, municipalities_csv, base_year, first_year, national_csv,
               trend_first_year, kostra_csv, kostra_year, staff_csv, employed_csv, out_dir, force):
    """Build a dataset for the real municipalities from SSB population files.

    Mortality falls and fertility follows its recent damped trend by default (estimated from
    --national, recorded in the dataset's metadata); a scenario may hold them constant.

    \b
    Example:
        helsemod data build --population population_kommune_age_sex_2015_2024.csv \\
            --municipalities kommuner_2024.csv --national population_norway_age_sex_1986_2024.csv \\
            --kostra kostra_care_panel_2015_2023.csv --out norway2024
        helsemod run --data norway2024 --region Bergen
    """
    from .data.ssb import dataset_from_ssb

    if import_dir:
        from .data.fetch import build_dataset

        ds = build_dataset(import_dir, municipalities=municipalities_csv, base_year=base_year, first_year=first_year,
                           kostra_year=kostra_year, national_csv=national_csv, trend_first_year=trend_first_year)
    elif population_csv and municipalities_csv:
        ds = dataset_from_ssb(population_csv, municipalities_csv, base_year=base_year, first_year=first_year,
                              national_csv=national_csv, trend_first_year=trend_first_year)
    else:
        raise click.UsageError("give --from-import DIR, or both --population and --municipalities")
    staff = employed = None
    if staff_csv:
        from .data.staff import read_staff_table

        staff = read_staff_table(staff_csv)
    if employed_csv:
        from .data.staff import read_employed_table

        employed = read_employed_table(employed_csv)
    if kostra_csv:
        from .data.kostra import calibrate_from_file

        history = None
        if population_csv and not import_dir:  # one-year ages standardise the coverage trends
            from .data.ssb import read_population

            history = read_population(population_csv, ds.regions)
        ds = calibrate_from_file(ds, kostra_csv, year=kostra_year, history=history, staff=staff, employed=employed)
    elif staff is not None or employed is not None:
        from .data.default import with_measured
        from .data.regional import Measured, with_tables

        ds = with_measured(ds, with_tables(Measured(), kostra_year or ds.base_year, staff, employed))
    ds.save(out_dir, force=force)
    click.echo(f"wrote {out_dir}: {ds!r}")
    trends = ds.meta.get("population_trends")
    if trends:
        m, f = trends["mortality"], trends["fertility"]
        slope = f"{f['slope_years'][0]}-{f['slope_years'][1]}" if f.get("slope_years") else "none"
        click.echo(f"trends ({trends['source']}): mortality decline {m['years'][0]}-{m['years'][1]}, fertility "
                   f"slope {slope}; default assumption: {trends['default_assumption']}")


@data.command("check", context_settings=CONTEXT)
@click.argument("data_dir", type=click.Path())
@_handle_errors
def data_check(data_dir):
    """Validate a dataset folder; print every problem, one per line.

    \b
    Example:
        helsemod data check mydata
    """
    ds = _load(data_dir)
    click.echo(f"ok: {ds!r}")


if __name__ == "__main__":  # pragma: no cover
    main()
