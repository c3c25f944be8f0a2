"""Years as positions in a projection: a year outside the projected years is one line, never an
index that wraps around to the other end of an array."""

from __future__ import annotations

import numpy as np

from .errors import HelsemodError, quote


def year_index(year, years, what: str = "year") -> int:
    """Position of ``year`` in ``years`` (consecutive, ascending: a projection's years); a
    :class:`HelsemodError` of one line when it is not a whole number inside them."""
    ys = np.asarray(years).astype(np.int64).ravel()
    first, last = int(ys[0]), int(ys[-1])
    whole = isinstance(year, (int, np.integer)) and not isinstance(year, (bool, np.bool_))
    if not whole and isinstance(year, (float, np.floating)) and float(year).is_integer():
        year, whole = int(year), True
    if not whole:
        raise HelsemodError(f"{what} {quote(year)}: must be a year (a whole number, {first}-{last})")
    if not first <= int(year) <= last:
        raise HelsemodError(f"{what} {int(year)}: outside the projected years {first}-{last}")
    return int(year) - first
