"""Pieces of the ``helsemod`` command that make every failure one line.

* :class:`OneLineGroup` prints click's usage errors as one ``error:`` line (exit 2) instead of
  the usage text, and turns SIGTERM into a clean exit (temporary folders removed, exit 143);
* :func:`report_unexpected` is the last resort of ``_handle_errors``: an OS error, memory
  running out or an exception nobody expected is still one line (``--debug`` shows the
  traceback);
* option callbacks and types refuse what would otherwise be ignored or crash deep inside:
  an empty ``--out``, ``--regions ,``, a seed outside 0..2**32-1, a malformed scheduler address.
"""

from __future__ import annotations

import contextlib
import re
import signal
import sys
import threading

import click

from . import _paths
from .errors import HelsemodError, Terminated, quote

#: Seeds are unsigned 32-bit numbers (numba's generator takes no more).
SEED = click.IntRange(0, 2 ** 32 - 1)
#: Most Monte Carlo draws of one run (their values are streamed; see uncertainty.py).
MAX_DRAWS = 1_000_000
DRAWS = click.IntRange(0, MAX_DRAWS)
EXIT_TERMINATED = 128 + signal.SIGTERM
#: click 8.2+ signals a group called without a command by this error (its text is the help).
_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", None)


def _on_sigterm(signum, frame):
    raise Terminated()


class OneLineGroup(click.Group):
    """A click group whose usage errors are one line: ``error: <what> (see 'helsemod run -h')``."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            if _NO_ARGS is not None and isinstance(exc, _NO_ARGS):  # `helsemod` alone: its help, as always
                exc.show()
            else:
                click.echo(f"error: {usage_line(exc)}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        except Terminated:
            click.echo("error: terminated (SIGTERM); temporary files removed", err=True)
            sys.exit(EXIT_TERMINATED)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        sys.exit(rv if isinstance(rv, int) else 0)


def exit_now(code=0) -> None:
    """End the program with ``code`` (as :func:`sys.exit` takes it) without the interpreter's
    teardown: freeing pandas, xarray and numba at exit takes a third of a second, longer than most
    of a warm ``helsemod run``'s own work. Everything is written by then (results are written
    atomically before a command returns); standard output and error are flushed and logging shut
    down here. Where something may still need the usual exit -- dask (its clusters close at exit),
    a thread still running -- it exits the usual way."""
    import logging
    import os

    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    busy = any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
    if busy or any(m in sys.modules for m in ("dask", "distributed")):
        sys.exit(code)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe (`helsemod run | head`): nothing more to say
        pass
    logging.shutdown()
    os._exit(code & 0xFF)


def usage_line(exc: click.ClickException) -> str:
    """A click error as one line, with where to find help for a usage error."""
    text = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        text += f" (see '{ctx.command_path} -h')"
    return text


def report_unexpected(exc: BaseException) -> str:
    """One line for an exception that is not a :class:`HelsemodError`."""
    if isinstance(exc, MemoryError):
        return "out of memory: the run needs more memory than this machine has (fewer draws or regions?)"
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else ""
        where = f"{_paths.show(name)}: " if name != "" else ""
        return f"{where}{_paths.reason(exc)}"
    return (f"unexpected {type(exc).__name__}: {quote(str(exc), 160)} (a bug in helsemod; "
            "run with --debug for the traceback and report it)")


# --- option callbacks ----------------------------------------------------------------------------
def listed(ctx, param, value):
    """A comma-separated option: refused when it names nothing (``--regions ,``) or has empty items."""
    if value is None:
        return None
    items = [x.strip() for x in value.split(",")]
    if not any(items):
        raise click.BadParameter(f"{quote(value)} names nothing (give comma-separated names)")
    if not all(items):
        raise click.BadParameter(f"{quote(value)} has an empty item (remove the extra comma)")
    return value


def nonempty_path(ctx, param, value):
    """A path option: refused when given empty (``--out ""`` would silently write nothing)."""
    if value is not None and not str(value).strip():
        raise click.BadParameter("empty path (give a folder, or leave the option out)")
    return value


_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:[A-Za-z0-9][A-Za-z0-9.\-]*|\[[0-9A-Fa-f:.]+\])"
                      r":(\d{1,5})$")


def scheduler_address(ctx, param, value):
    """``local`` or a Dask scheduler address ``[tcp://]host:port`` (checked before any connection)."""
    if value is None or value == "local":
        return value
    m = _ADDRESS.match(value)
    if not m or not 0 < int(m.group(1)) < 65536:
        raise click.BadParameter(f"{quote(value)} is not a scheduler address (give 'local' or "
                                 "[tcp://]host:port, e.g. tcp://10.0.0.5:8786)")
    return value


def skip_dask_probe() -> None:
    """Tell xarray that no dask arrays will come (half a second of ``helsemod run``).

    xarray imports ``dask.array`` on the first labelled array whenever dask is installed, to
    recognise dask arrays; a command that builds its arrays from numpy only (no ``--scheduler``)
    has none. Nothing happens where dask is already imported or xarray's cache of array modules
    is not where this expects it.
    """
    if "dask" in sys.modules:
        return
    try:
        from xarray.namedarray import pycompat

        cache, module = pycompat._cached_duck_array_modules, pycompat.DuckArrayModule
    except (ImportError, AttributeError):
        return
    if "dask" in cache or not isinstance(cache, dict):
        return
    entry = module.__new__(module)
    entry.module, entry.version, entry.type, entry.available = None, pycompat.Version("0.0.0"), (), False
    cache["dask"] = entry
    _ask_dask_only_once_imported()


def _ask_dask_only_once_imported() -> None:
    """xarray's ``is_dask_collection`` imports ``dask.base`` (a twentieth of a second) to ask of
    every index it builds whether it is a dask collection; nothing is one before dask is imported,
    so ask dask only from then on."""
    try:
        from xarray.namedarray import utils
    except ImportError:
        return
    ask = getattr(utils, "is_dask_collection", None)
    if ask is None or getattr(ask, "_helsemod", False):
        return

    def is_dask_collection(x):
        return "dask" in sys.modules and ask(x)

    is_dask_collection._helsemod = True
    utils.is_dask_collection = is_dask_collection


def check_year(year: int, first: int, last: int, option: str = "--year") -> None:
    """Refuse a year outside the projection (the base year to the last projected year)."""
    if not first <= year <= last:
        raise HelsemodError(f"{option} {year}: outside the projected years {first}-{last}")


class Alias(click.ParamType):
    """A group, service or level id given by its id or any name in :mod:`helsemod_py.aliases`
    (``sykepleiere``, ``fylke``, ``hjemmetjenester``); converted to the id."""

    def __init__(self, kind: str, allowed=None):
        from .aliases import IDS

        self.kind = kind
        self.name = kind
        self.allowed = tuple(IDS[kind] if allowed is None else allowed)

    def get_metavar(self, *args, **kwargs) -> str:
        return self.kind.upper()

    def convert(self, value, param, ctx):
        from .aliases import canonical, examples

        code = canonical(self.kind, value)
        if code is None or code not in self.allowed:
            self.fail(f"{str(value)!r}: unknown {self.kind} (allowed: {examples(self.kind, self.allowed)})", param,
                      ctx)
        return code


def show_progress() -> bool:
    """Progress bars are drawn on a terminal, or anywhere with ``HELSEMOD_PROGRESS=1`` (``0``: never),
    so that piped output and error messages stay clean."""
    import os

    flag = os.environ.get("HELSEMOD_PROGRESS")
    if flag in ("0", "1"):
        return flag == "1"
    import sys

    return bool(getattr(sys.stderr, "isatty", lambda: False)())


@contextlib.contextmanager
def progress_bar(label: str, length: int, hidden: bool = False):
    """A progress bar on stderr for a step of ``length`` parts; yields ``tick(n=1)``. Hidden when
    ``hidden`` or where :func:`show_progress` says no."""
    hidden = hidden or not show_progress()
    with click.progressbar(length=max(1, int(length)), label=label, file=sys.stderr, hidden=hidden,
                           show_pos=length > 1) as bar:
        yield lambda n=1: bar.update(n)


def ticking(write, tick):
    """``write`` (a function of a path) that calls ``tick()`` when done: one step of a progress bar."""
    def run(path):
        write(path)
        tick()

    return run
