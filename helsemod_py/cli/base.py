"""The ``helsemod`` click group (:func:`main`) and what its commands share: error handling, the
common options, loading the dataset and scenario, and choosing regions."""

from __future__ import annotations

import functools
import os
import sys

import click

from .._version import __version__
from .._clikit import OneLineGroup, report_unexpected
from ..cli_text import Localized, LocalizedCommand
from ..errors import HelsemodError

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
    from ..scenario import Scenario

    return Scenario.from_yaml(path, allow_outside=State.allow_outside) if path else Scenario("baseline")


_lang_option = _lang_option_factory()


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


