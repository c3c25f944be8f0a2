"""Names of a package loaded on first use (PEP 562): the one loader :mod:`helsemod_py` and
:mod:`helsemod_py.scenario` share, so that a command imports only what it uses."""

from __future__ import annotations

import importlib
import sys


def lazy_getattr(package: str, table: dict[str, str]):
    """A module ``__getattr__`` for ``package``: ``name`` in ``table`` is imported from the module
    ``table[name]`` (relative to ``package``) on first use and kept in the package's namespace."""
    def __getattr__(name: str):
        if name in table:
            value = getattr(importlib.import_module(table[name], package), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
