"""The ``helsemod`` command line.

Domain errors print one line per problem and exit 1 (no traceback unless ``--debug``);
wrong calls are usage errors (exit 2).

The group and what its commands share are in :mod:`.base`; the commands in :mod:`.run`
(``run``, ``sensitivity``, ``intake``), :mod:`.documents` (``plot``, ``report``, ``compare``),
:mod:`.tools` (``validate``, ``bench``, ``list``, ``info``) and :mod:`.data` (``data ...``), each
registered on :func:`main` when imported here.
"""

from __future__ import annotations

from . import data, documents, run, tools  # noqa: F401  (register the commands)
from .base import main

__all__ = ["main"]
