"""A fast CSV writer that writes exactly what ``DataFrame.to_csv(path, index=False,
float_format=...)`` writes, byte for byte.

pandas formats a results table of half a million rows in seconds, most of it converting its
string columns row by row; pyarrow's writer takes a tenth of that. Floats are formatted as
Python's ``%`` operator formats them, as pandas does (NaN as an empty field; ``%.Ng`` through
pyarrow, see :func:`_rounded`), then pyarrow writes the table without quotes. Tables pyarrow
would write differently go to pandas unchanged: a text field that needs quotes (a comma, a
quote, a line break, or an empty text in a one-column table), a column name that needs them, or
a column neither text, integer nor float64.
"""

from __future__ import annotations

import functools
import os
import re

import numpy as np
import pandas as pd

_SPECIAL = (",", '"', "\n", "\r")
#: Rows formatted and converted to text at a time by :func:`write_arrow`, in :data:`THREADS` threads.
CHUNK_ROWS = 1 << 16
THREADS = 2
#: Rows pyarrow's CSV writer converts at a time (its default, 1 024, takes a third longer).
BATCH_ROWS = 1 << 14


def to_csv(frame: pd.DataFrame, path, float_format: str = "%.6g") -> None:
    """Write ``frame`` (no index) to ``path`` as ``frame.to_csv(path, index=False,
    float_format=float_format)`` would."""
    table = _arrow_table(frame, float_format)
    if table is None:
        frame.to_csv(path, index=False, float_format=float_format)
        return
    import pyarrow.csv as pcsv

    with open(path, "wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode("utf-8"))
        pcsv.write_csv(table, fh, pcsv.WriteOptions(include_header=False, quoting_style="none",
                                                    batch_size=BATCH_ROWS))


def write_arrow(table, path, float_format: str = "%.6g") -> None:
    """Write a pyarrow table (text, dictionary-encoded text, integer and float64 columns) as
    :func:`to_csv` writes the same table as a DataFrame, byte for byte; a table pyarrow would write
    differently goes through pandas.

    Chunks of rows are formatted (floats by :func:`_format_floats`) and converted to CSV text by
    pyarrow in :data:`THREADS` threads at once (numpy and pyarrow let go of the interpreter while
    they work), and written to the file in order."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = table.column_names
    writable = all(_arrow_column(table.column(i), pa) for i in range(table.num_columns))
    if os.linesep != "\n" or len(names) < 2 or len(set(names)) < len(names) or not writable or \
            not all(isinstance(c, str) and c and not any(ch in c for ch in _SPECIAL) for c in names):
        to_csv(table.to_pandas(), path, float_format)
        return
    floats = [i for i in range(table.num_columns) if table.column(i).type == pa.float64()]
    schema = pa.schema([pa.field(n, pa.string() if i in floats else table.schema.field(i).type)
                        for i, n in enumerate(names)])
    options = pcsv.WriteOptions(include_header=False, quoting_style="none", batch_size=BATCH_ROWS)

    def text(start: int):
        part = table.slice(start, CHUNK_ROWS)
        columns = [_format_floats(part.column(i).to_numpy(), float_format, pa) if i in floats else part.column(i)
                   for i in range(part.num_columns)]
        sink = pa.BufferOutputStream()
        pcsv.write_csv(pa.table(columns, schema=schema), sink, options)
        return sink.getvalue()

    with open(path, "wb") as fh, ThreadPoolExecutor(THREADS) as pool:
        fh.write((",".join(names) + "\n").encode("utf-8"))
        for chunk in pool.map(text, range(0, table.num_rows, CHUNK_ROWS)):
            fh.write(chunk)


def _arrow_column(col, pa) -> bool:
    """Whether pyarrow writes the chunked column ``col`` as pandas would (floats once formatted)."""
    import pyarrow.compute as pc

    typ = col.type
    if typ == pa.float64():
        return True
    if col.null_count:
        return False
    if pa.types.is_integer(typ):
        return True
    if pa.types.is_dictionary(typ) and pa.types.is_string(typ.value_type):
        texts = [chunk.dictionary for chunk in col.chunks]
    elif pa.types.is_string(typ) or pa.types.is_large_string(typ):
        texts = [pc.unique(col)]
    else:
        return False
    return not any(t.null_count or pc.any(pc.match_substring_regex(t, r'[,"\r\n]')).as_py() for t in texts)


#: ``%.Ng`` formats (N at most 9), written from the values rounded to N significant digits (:func:`_rounded`).
_G = re.compile(r"%\.([1-9])g")
#: 1, 10, ..., 10**19, each read from its decimal text: exact.
_POWERS_OF_TEN = np.array([float(f"1e{k}") for k in range(20)])


def _format_floats(values: np.ndarray, float_format: str, pa):
    """``float_format % v`` of every value as a pyarrow string array (NaN: null).

    A ``%.Ng`` format (``%.6g``, the tables' own) is written as pyarrow writes the values rounded to
    N significant digits, several times faster than Python formats them one by one; the values
    :func:`_rounded` leaves out (NaN, infinite, exponent form, a near tie) are formatted by Python."""
    g = _G.fullmatch(float_format)
    if g is None or not _arrow_writes_fixed():
        return _format_each(values, float_format, pa)
    import pyarrow.compute as pc

    rounded, done = _rounded(values, int(g.group(1)))
    text = pc.cast(pa.array(rounded), pa.string())
    if not done.all():
        text = pc.replace_with_mask(text, pa.array(~done), _format_each(values[~done], float_format, pa))
    return text


@functools.cache
def _arrow_writes_fixed() -> bool:
    """Whether pyarrow writes floats from 1e-4 to below 1e9 in fixed notation and shortest form, as
    :func:`_rounded` needs (where a version does not, Python formats every value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    probe = [0.0001, 0.000123456, 1.5, -0.25, 100000.0, 123456.0, 999999999.0]
    return pc.cast(pa.array(probe), pa.string()).to_pylist() == ["%.9g" % x for x in probe]


def _format_each(values: np.ndarray, float_format: str, pa):
    text = [float_format % v for v in values.tolist()]
    if np.isnan(values).any():
        for i in np.flatnonzero(np.isnan(values)):
            text[i] = None
    return pa.array(text, type=pa.string())


def _rounded(values: np.ndarray, digits: int) -> tuple[np.ndarray, np.ndarray]:
    """``values`` rounded to ``digits`` significant digits, and where the shortest form of the
    rounded value (pyarrow's text of a float) is what ``%.{digits}g`` writes.

    ``%g`` writes a value of exponent -4 to ``digits - 1`` as its correctly rounded digits in
    fixed notation, trailing zeros dropped; pyarrow writes a float of that size (below 1e9:
    ``digits`` at most 9) in fixed notation too, with the fewest digits that read back as the same
    float. These are the same digits: the nearest float to a decimal of at most 15 significant
    digits is the nearest to no other such decimal. Rounding is done on ``|v| * 10**k`` (an exact power of ten: one rounding error, at most
    half a unit in the last place); a value whose product lies within four such errors of a half
    (where that error could change the rounding, or an exact tie) is left to Python, as are values
    ``%g`` writes in exponent form, infinities and NaN. Zeros (and -0) are written as they are."""
    v = np.asarray(values, dtype=np.float64)
    size = np.abs(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(size))
        done = (exponent >= -4) & (exponent < digits)  # False for 0, inf and NaN
        scale = _POWERS_OF_TEN[np.where(done, digits - 1 - exponent, 0).astype(np.intp)]
        scaled = size * scale
        whole = np.rint(scaled)
        done &= (scaled >= _POWERS_OF_TEN[digits - 1]) & (whole < _POWERS_OF_TEN[digits])  # the exponent was right
        done &= np.abs(scaled - np.floor(scaled) - 0.5) > _POWERS_OF_TEN[digits] * 2.0 ** -50  # not near a half
        rounded = np.copysign(whole / scale, v)
    zero = v == 0
    rounded[zero] = v[zero]
    return rounded, done | zero


def _arrow_table(frame: pd.DataFrame, float_format: str):
    """The frame as a pyarrow table of text and integer columns, or None where pandas must write it."""
    if os.linesep != "\n" or frame.shape[1] < 2 or not frame.columns.is_unique:
        return None
    names = [c for c in frame.columns]
    if not all(isinstance(c, str) and c and not any(ch in c for ch in _SPECIAL) for c in names):
        return None
    if not isinstance(frame.index, pd.RangeIndex):  # column access stays positional either way
        frame = frame.reset_index(drop=True)
    try:
        import pyarrow as pa
    except ImportError:
        return None
    columns = []
    for name in names:
        col = frame[name]
        arr = _column(col, float_format, pa)
        if arr is None:
            return None
        columns.append(arr)
    return pa.table(columns, names=names)


def _column(col: pd.Series, float_format: str, pa):
    dtype = col.dtype
    if dtype == np.float64:
        return _format_floats(col.to_numpy(), float_format, pa)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pa.array(col.to_numpy())
    if isinstance(dtype, pd.StringDtype) or dtype == object:
        import pyarrow.compute as pc

        try:  # an object column of anything but text (and missing values) is refused here
            arr = pa.array(col, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            return None
        if arr.type not in (pa.string(), pa.large_string()) and arr.null_count != len(arr):
            return None
        arr = arr.cast(pa.string())
        if pc.any(pc.match_substring_regex(arr.unique(), r'[,"\r\n]')).as_py():
            return None
        return arr
    return None
