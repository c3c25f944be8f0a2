"""``helsemod run``, ``sensitivity`` and ``intake``: project a scenario, analyse its sensitivity,
and the intake that closes a group's gap."""

from __future__ import annotations

import sys

import click

from .. import dims as D
from .._atomic import check_target
from .._clikit import (DRAWS, SEED, Alias, check_year, listed, nonempty_path, progress_bar, scheduler_address,
                        skip_dask_probe)
from ..cli_summary import band_table as _band_table
from ..cli_summary import gap_table as _gap_table
from ..cli_summary import json_summary as _json_summary
from ..cli_summary import region_view as _region_view
from ..cli_text import current_lang, tr
from .base import (CONTEXT, _data_option, _handle_errors, _lang_option_factory, _load, _outside_option, _scenario,
                   _selection, main)

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

    from ..outputs import write_results

    if scheduler is None:
        skip_dask_probe()
    if out_dir:
        check_target(out_dir, force)  # fail now, not after the projection
    ds = _load(data_dir)
    selection = _selection(ds, region, regions)
    group_list = _select_groups(groups)
    # the baseline without draws is the model's own (no scenario to load, validate or apply)
    scn = _scenario(scenario_file) if scenario_file or draws else None
    lang = current_lang()
    from ..labels import scenario_name

    name = scn.name if scn is not None else "baseline"
    with progress_bar(tr("projecting", lang, name=scenario_name(name, lang)), 1, quiet or as_json) as tick:
        res = hm.project(ds, scn, end_year=end_year)
        tick()
    if group_list:
        res = type(res)(res.data.sel(group=group_list), res.scenario, res.level, res.dataset_name, res.dataset_hash,
                        res.catchment)
    ens = None
    if draws:
        from ..checks import check_scenario
        from ..uncertainty import project_ensemble, quantile_table

        check_scenario(ds, scn, end_year)  # the draws' ranges, before the progress bar starts

        with click.progressbar(length=draws, label=tr("n_draws", lang, n=draws), file=sys.stderr,
                               hidden=quiet or as_json) as bar:
            ens = project_ensemble(ds, scn, draws=draws, seed=seed, end_year=end_year, noise=noise,
                                   scheduler=scheduler, progress=bar.update)
    written = None if all_regions else selection
    if out_dir:
        extra = {"quantiles.csv": _keep_quantiles(quantile_table(ens), res, written)} if ens is not None else None
        with progress_bar(tr("writing", lang, out=out_dir), 1, quiet or as_json) as tick:
            write_results(res, out_dir, force=force, fmt=fmt, scenario_hash=_scenario_hash(scn),
                          seed=seed if draws else None,
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

    from ..outputs import write_atomic_dir
    from ..uncertainty import sensitivity as run_sensitivity

    if out_dir:
        check_target(out_dir, force)
    ds = _load(data_dir)
    scn = _scenario(scenario_file)
    if year is not None:
        from ..model import DEFAULT_END_YEAR

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
        from ..report.plots import plot_sensitivity

        man = {"package": "helsemod_py", "scenario": scn.name, "scenario_hash": scn.hash, "dataset_hash": ds.hash,
               "seed": seed, "method": method, "samples": samples, **{k: v for k, v in a.items()}}
        fig = plot_sensitivity(table, lang=lang)
        write_atomic_dir(out_dir, {
            "sensitivity.csv": lambda p: table.to_csv(p, index=False),
            f"tornado_{lang}.png": lambda p: fig.savefig(p, dpi=120, format="png"),
            "manifest.json": lambda p: p.write_text(json.dumps(man, indent=2, ensure_ascii=False)),
        }, force=force)
        click.echo(f"wrote {out_dir}")


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
    from ..analysis import required_intake

    from ..model import MAX_END_YEAR

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
    from ..labels import group_name

    name = group_name(group, "nb").lower() if nb else group
    click.echo(tr("intake_head", channel=tr(channel) if channel in ("graduates", "recruits") else channel, group=name,
                  start=res.start_year, year=target_year))
    for _, row in res.table.iterrows():
        numbers = tr("intake_row", gap=row.gap_before_fte, extra=row.extra_per_year)
        if nb:  # Norwegian number style: thin space for thousands, a real minus sign
            numbers = numbers.replace(",", "\u00a0").replace("-", "\u2212")
        click.echo(f"  {row.region_name:<36}{numbers}")


def _scenario_hash(scn) -> str:
    """The scenario's hash, or the baseline's where there is none."""
    if scn is not None:
        return scn.hash
    from ..scenario.hashing import BASELINE_HASH

    return BASELINE_HASH


def _keep_quantiles(table, res, municipalities):
    """The draws' quantile table restricted to the selection's municipalities, counties and nation."""
    from ..outputs import context

    keep = context(res, municipalities)
    if keep is None:
        return table
    mask = [r in keep.get(lv, set()) for lv, r in zip(table["level"], table["region"])]
    return table[mask]


def _select_groups(spec: str | None) -> list[str] | None:
    if not spec:
        return None
    from ..aliases import resolve_all

    return resolve_all("group", [g.strip() for g in spec.split(",") if g.strip()], what="--groups")
