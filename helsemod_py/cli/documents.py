"""``helsemod plot``, ``report`` and ``compare``: figures and reports from a results folder, and
scenarios compared side by side."""

from __future__ import annotations

import click

from .._atomic import check_target
from .._clikit import check_year, listed, nonempty_path, progress_bar, skip_dask_probe, ticking
from ..cli_summary import region_view as _region_view
from ..cli_text import current_lang, tr
from .base import (CONTEXT, _data_option, _handle_errors, _lang_option, _load, _outside_option, _scenario,
                   _selection, main)

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
    from ..report import plots_from_folder
    from ..report.plots import load_folder, map_note

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
    from ..report import excel_from_folder, report_from_folder

    with progress_bar(tr("writing_report"), 2 if excel_file else 1) as tick:
        path = report_from_folder(results_dir, out_file, lang=lang, region=region)
        tick()
        excel = excel_from_folder(results_dir, excel_file, lang=lang, region=region) if excel_file else None
        tick()
    click.echo(tr("wrote", what=path))
    if excel:
        click.echo(tr("wrote", what=excel))


@main.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_data_option
@click.option("--year", type=int, default=None, help="Year to compare (default: the last projected year).")
@click.option("--end-year", type=int, default=None, help="Last projected year (default: the first scenario's).")
@click.option("--attribution/--no-attribution", default=True, show_default=True,
              help="Attribute each scenario's change to its measures (Shapley) with cost per FTE.")
@click.option("--samples", type=click.IntRange(1, 10_000), default=24, show_default=True,
              help="Random orders for sampled Shapley values (where values are not exact: see the methodology).")
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

    from .._csv import to_csv, write_arrow
    from ..compare import compare as run_compare
    from ..compare import region_change_lines
    from ..outputs import long_arrow, manifest, provenance_table, write_atomic_dir

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
            import pyarrow as pa

            write_arrow(pa.concat_tables([long_arrow(x, municipalities=written) for x in projections]), p)

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
