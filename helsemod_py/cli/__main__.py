"""``python -m helsemod_py.cli``: the ``helsemod`` command."""

from . import entry

if __name__ == "__main__":  # pragma: no cover
    entry()
