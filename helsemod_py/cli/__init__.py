"""The ``helsemod`` command line.

Domain errors print one line per problem and exit 1 (no traceback unless ``--debug``);
wrong calls are usage errors (exit 2).

The group and what its commands share are in :mod:`.base`; the commands in :mod:`.run`
(``run``, ``sensitivity``, ``intake``), :mod:`.documents` (``plot``, ``report``, ``compare``),
:mod:`.tools` (``validate``, ``bench``, ``list``, ``info``) and :mod:`.data` (``data ...``), each
registered on :func:`main` when imported here.
"""

from __future__ import annotations

from .._clikit import exit_now
from . import data, documents, run, tools  # noqa: F401  (register the commands)
from .base import main

__all__ = ["main", "entry"]


def entry() -> None:
    """The ``helsemod`` program: :func:`main`, then the exit without the interpreter's teardown
    (:func:`helsemod_py._clikit.exit_now`). Calling :func:`main` itself (click's test runner, a
    notebook) exits as usual."""
    try:
        main()
    except SystemExit as exc:
        exit_now(exc.code)
    exit_now(0)
