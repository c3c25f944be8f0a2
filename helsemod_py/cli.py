"""The ``helsemod`` command line.

Domain errors print one line per problem and exit 1 (no traceback unless ``--debug``);
wrong calls are usage errors (exit 2).
"""

from __future__ import annotations

import functools
import sys

import click

from . import __version__
from . import dims as D
from .errors import HelsemodError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class State:
    debug = False


def _handle_errors(fn):
    """Turn domain errors into one line per problem on stderr and exit code 1."""

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

    return wrapper


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="helsemod")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
def main(debug: bool) -> None:
    """Project supply of and demand for health and care personnel per municipality.

    \b
    Example:
        helsemod run                       # baseline on the embedded default data
        helsemod run --out results/base    # ... and write tables and a manifest
        helsemod info
    """
    State.debug = debug


def _data_option(fn):
    return click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
                        help="Dataset folder (default: the embedded Norway-like dataset).")(fn)


def _load(data_dir):
    import helsemod_py as hm

    return hm.load_dataset(data_dir)


@main.command(context_settings=CONTEXT)
@_data_option
@click.option("--end-year", type=int, default=2035, show_default=True, help="Last projected year (at most 2050).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write results.csv and manifest.json to this folder.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing --out folder.")
@click.option("--region", "region", default=None,
              help="Show this municipality or county (code or name) instead of the nation.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@_handle_errors
def run(data_dir, end_year, out_dir, fmt, force, region, quiet):
    """Run the baseline projection and print the gap by personnel group.

    \b
    Example:
        helsemod run --end-year 2040 --out results/base
    """
    import helsemod_py as hm

    from .outputs import write_results

    ds = _load(data_dir)
    res = hm.project(ds, end_year=end_year)
    if out_dir:
        write_results(res, out_dir, force=force, fmt=fmt)
    if not quiet:
        view, label = _region_view(res, ds, region)
        click.echo(_gap_table(view, label))
        if out_dir:
            click.echo(f"\nwrote {out_dir}/results.{fmt} and manifest.json")


def _region_view(res, ds, region):
    if region is None:
        return res.aggregate("nation"), "Norge"
    key = region.strip().lower()
    for level, proj in (("municipality", res), ("county", res.aggregate("county"))):
        codes = [str(c) for c in proj.data["region"].values]
        names = [str(n) for n in proj.data["region_name"].values]
        for c, n in zip(codes, names):
            if key in (c.lower(), n.lower()):
                return proj.data.sel(region=[c]).pipe(lambda d: type(proj)(d, proj.scenario, level,
                                                                           proj.dataset_name,
                                                                           proj.dataset_hash)), f"{n} ({c})"
    import difflib

    choices = [*ds.regions.codes, *ds.regions.names, *ds.regions.county_names.values()]
    near = difflib.get_close_matches(region, choices, n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise HelsemodError(f"--region {region!r}: no municipality or county with that code or name{hint}")


def _gap_table(proj, label) -> str:
    """Supply, demand and gap (FTE) by group in the first and last year, as text."""
    years = proj.years
    y0, y1 = int(years[0]), int(years[-1])
    sup = proj.supply_fte.sum("region")
    dem = proj.demand_fte.sum(["region", "service"])
    lines = [f"{label}: supply, demand and gap in FTE (negative gap = shortage), scenario {proj.scenario}",
             f"{'group':<24}{'supply ' + str(y0):>14}{'demand ' + str(y0):>14}{'supply ' + str(y1):>14}"
             f"{'demand ' + str(y1):>14}{'gap ' + str(y1):>12}"]
    for g in D.GROUPS:
        s0, d0 = float(sup.sel(year=y0, group=g)), float(dem.sel(year=y0, group=g))
        s1, d1 = float(sup.sel(year=y1, group=g)), float(dem.sel(year=y1, group=g))
        lines.append(f"{g:<24}{s0:>14,.0f}{d0:>14,.0f}{s1:>14,.0f}{d1:>14,.0f}{s1 - d1:>12,.0f}")
    s0, d0 = float(sup.sel(year=y0).sum()), float(dem.sel(year=y0).sum())
    s1, d1 = float(sup.sel(year=y1).sum()), float(dem.sel(year=y1).sum())
    lines.append(f"{'all groups':<24}{s0:>14,.0f}{d0:>14,.0f}{s1:>14,.0f}{d1:>14,.0f}{s1 - d1:>12,.0f}")
    return "\n".join(lines)


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
    if ds.meta.get("description"):
        click.echo(ds.meta["description"])
    click.echo(f"dataset hash: {ds.hash[:16]}")
    params = ds.meta.get("parameters", {})
    for name, spec in PARAMETERS.items():
        pm = params.get(name, {})
        flag = " [synthetic]" if pm.get("synthetic") else ""
        click.echo(f"  {name:<24} {spec.unit:<26}{flag} {pm.get('source', '')}")


@main.group(context_settings=CONTEXT)
def data():
    """Dataset tools: write the default dataset, check a dataset folder.

    \b
    Example:
        helsemod data default --out mydata
        helsemod data check mydata
    """


@data.command("default", context_settings=CONTEXT)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
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


@data.command("build", context_settings=CONTEXT)
@click.option("--population", "population_csv", type=click.Path(dir_okay=False), required=True,
              help="SSB population CSV (kommune_nr, year, age, male, female, total).")
@click.option("--municipalities", "municipalities_csv", type=click.Path(dir_okay=False), required=True,
              help="SSB municipality list CSV (kommune_nr, kommune_navn, fylke_nr, fylke_navn, ...).")
@click.option("--base-year", type=int, default=None, help="Base year (default: last year in the file).")
@click.option("--from-year", "first_year", type=int, default=None,
              help="First year of the history used for rates (default: first in the file).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True)
@click.option("--force", is_flag=True, help="Overwrite an existing folder.")
@_handle_errors
def data_build(population_csv, municipalities_csv, base_year, first_year, out_dir, force):
    """Build a dataset for the real municipalities from SSB population files.

    \b
    Example:
        helsemod data build --population population_kommune_age_sex_2015_2024.csv \\
            --municipalities kommuner_2024.csv --out norway2024
        helsemod run --data norway2024 --region Bergen
    """
    from .data.ssb import dataset_from_ssb

    ds = dataset_from_ssb(population_csv, municipalities_csv, base_year=base_year, first_year=first_year)
    ds.save(out_dir, force=force)
    click.echo(f"wrote {out_dir}: {ds!r}")


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
