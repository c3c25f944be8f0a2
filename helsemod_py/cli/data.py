"""``helsemod data``: fetch and import SSB tables, build, write and check dataset folders."""

from __future__ import annotations

import click

from .._clikit import listed, nonempty_path
from ..errors import HelsemodError
from .base import CONTEXT, _handle_errors, _load, main

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
    from ..data.fetch import TABLES, fetch

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
    from ..data.fetch import import_files

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
    from ..data.ssb import dataset_from_ssb

    if import_dir:
        from ..data.fetch import build_dataset

        ds = build_dataset(import_dir, municipalities=municipalities_csv, base_year=base_year, first_year=first_year,
                           kostra_year=kostra_year, national_csv=national_csv, trend_first_year=trend_first_year)
    elif population_csv and municipalities_csv:
        ds = dataset_from_ssb(population_csv, municipalities_csv, base_year=base_year, first_year=first_year,
                              national_csv=national_csv, trend_first_year=trend_first_year)
    else:
        raise click.UsageError("give --from-import DIR, or both --population and --municipalities")
    staff = employed = None
    if staff_csv:
        from ..data.staff import read_staff_table

        staff = read_staff_table(staff_csv)
    if employed_csv:
        from ..data.staff import read_employed_table

        employed = read_employed_table(employed_csv)
    if kostra_csv:
        from ..data.kostra import calibrate_from_file

        history = None
        if population_csv and not import_dir:  # one-year ages standardise the coverage trends
            from ..data.ssb import read_population

            history = read_population(population_csv, ds.regions)
        ds = calibrate_from_file(ds, kostra_csv, year=kostra_year, history=history, staff=staff, employed=employed)
    elif staff is not None or employed is not None:
        from ..data.default import with_measured
        from ..data.regional import Measured, with_tables

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
