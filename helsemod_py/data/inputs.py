"""Input files of the importers: a regular file within the size limit, or one line that says why not.

Below every importer (:mod:`.jsonstat`, :mod:`.ssb`, :mod:`.staff`, :mod:`.fetch`).
"""

from __future__ import annotations

from pathlib import Path

from .. import _paths
from ..errors import ImportDataError

#: Largest file read by the importers (JSON-stat2 or CSV).
MAX_FILE_BYTES = 1024 * 2 ** 20


def read_input(path: Path) -> bytes:
    """The bytes of an input file: a regular file of at most :data:`MAX_FILE_BYTES` (one line
    otherwise, never reading more)."""
    try:
        return _paths.read_limited(path, MAX_FILE_BYTES)
    except ValueError as exc:
        raise ImportDataError(str(exc)) from None


def check_input(path: Path) -> Path:
    """``path`` when it is a regular file of at most :data:`MAX_FILE_BYTES`; one line otherwise."""
    try:
        size = _paths.regular_file(path).stat().st_size
    except (ValueError, OSError) as exc:
        raise ImportDataError(str(exc) if isinstance(exc, ValueError) else f"{path}: {_paths.reason(exc)}") from None
    if size > MAX_FILE_BYTES:
        raise ImportDataError(f"{_paths.show(path)}: {size / 2 ** 20:.0f} MiB is larger than the limit of "
                              f"{MAX_FILE_BYTES / 2 ** 20:.0f} MiB for one input file")
    return path
