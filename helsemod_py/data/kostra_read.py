"""The KOSTRA care panel file (see :mod:`.kostra` for its columns and the definitions used):
:func:`read_kostra` reads and checks it, one line per problem naming the file, row, column and
value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import dims as D
from ..errors import ImportDataError
from . import regions as RG

# --- the file -------------------------------------------------------------------------------
CODE = "kommunenr_2024"
YEAR = "år"
HIST = "kommunenr_hist_kilder"
AGE_GROUPS = ("0-66", "67-79", "80+")
AGE_BOUNDS = ((0, 66), (67, 79), (80, D.MAX_AGE))  #: first and last one-year age of each group
POP_COLUMNS = ("folk_0_66", "folk_67_79", "folk_80p")
HOME_COLUMNS = ("Y_1_a_0_66", "Y_1_a_67_79", "Y_1_a_80p")
HOME_TOTAL = "Y_1_a_ialt"
INST_COLUMNS = ("Y_3_a_0_66", "Y_3_a_67_79", "Y_3_a_80p")
INST_TOTAL = "Y_3_a_ialt"
HOUSING_TOTAL = "Y_2_ialt"
NURSE_FTE = "Y_5_ialt"
VALUE_COLUMNS = HOME_COLUMNS + (HOME_TOTAL, HOUSING_TOTAL) + INST_COLUMNS + (INST_TOTAL, NURSE_FTE)
REQUIRED_COLUMNS = (CODE, YEAR) + POP_COLUMNS + VALUE_COLUMNS
OPTIONAL_COLUMNS = ("folk_ialt", "Y_4_ialt")  #: read and checked when present
SUPPRESSED = ("", ".", "..", "...", ":")  #: SSB symbols read as missing
NIL = "-"  #: SSB's symbol for nil, read as 0
_MAX_SHOWN = 5


# --- import ---------------------------------------------------------------------------------
def read_kostra(path, regions=None, years=None) -> pd.DataFrame:
    """Read and check the KOSTRA care panel; one row per municipality and year.

    ``regions``: the 2024 municipalities (:class:`~helsemod_py.dims.Regions` or codes);
    other codes are errors. Without it, codes that no longer exist in 2024 (e.g. ``3001``)
    are still errors. ``years``: the years the file must cover exactly (e.g.
    ``range(2015, 2024)``); a file for other years is an error.

    Returns columns ``region`` (text), ``year`` (int), the population and value columns as
    floats (NaN where suppressed), ``hist`` (historical codes, text) and ``covers``: the 2024
    codes the row's unit covers, joined by ``+`` (``1508+1580`` for Ålesund in 2020-2023,
    when Haram was part of it), else the row's own code.
    """
    from .ssb import _read_csv  # the shared CSV reader (text, no NA guessing)

    path = Path(path)
    name = path.name
    frame = _read_csv(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ImportDataError([f"{name}: missing column {c!r} (need {', '.join(REQUIRED_COLUMNS)})"
                               for c in missing])
    if frame.empty:
        raise ImportDataError(f"{name}: no data rows")
    problems: list[str] = []
    codes = frame[CODE].str.strip()
    bad = np.flatnonzero(~codes.str.fullmatch(r"\d{4}").to_numpy(dtype=bool))
    problems += _capped([f"{name}: row {i + 2}: column {CODE!r}: {frame[CODE].iloc[i]!r} is not a 4-digit "
                         "municipality code" for i in bad], name, CODE)
    year_values = pd.to_numeric(frame[YEAR].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(year_values) | (year_values != np.round(year_values)))
    problems += _capped([f"{name}: row {i + 2}: column {YEAR!r}: {frame[YEAR].iloc[i]!r} is not a year"
                         for i in bad], name, YEAR)
    numbers = {}
    for col in POP_COLUMNS + VALUE_COLUMNS + tuple(c for c in OPTIONAL_COLUMNS if c in frame.columns):
        values, probs = _values(frame[col], name, col, allow_missing=col not in POP_COLUMNS)
        numbers[col] = values
        problems += probs
    if problems:
        raise ImportDataError(problems)
    years_i = year_values.astype(np.int64)
    code_lines, bad_codes = _code_problems(codes, regions, name)
    problems += code_lines
    problems += _year_problems(years_i, years, name)
    problems += _duplicate_problems(codes, years_i, name)
    covers, hist, probs = _hist_problems(frame, codes, years_i, name, skip=bad_codes)
    problems += probs
    if problems:
        raise ImportDataError(problems)
    out = pd.DataFrame({"region": codes.to_numpy(), "year": years_i})
    for col, values in numbers.items():
        out[col] = values
    out["hist"] = hist
    out["covers"] = covers
    out = out.sort_values(["year", "region"], kind="stable").reset_index(drop=True)
    out.attrs["file"] = name
    return out


def _capped(lines: list[str], name: str, col: str) -> list[str]:
    if len(lines) <= _MAX_SHOWN:
        return lines
    return lines[:_MAX_SHOWN] + [f"{name}: column {col!r}: ... and {len(lines) - _MAX_SHOWN} more like these"]


def _values(series: pd.Series, name: str, col: str, allow_missing: bool) -> tuple[np.ndarray, list[str]]:
    text = series.str.strip()
    suppressed = text.isin(SUPPRESSED).to_numpy()
    nil = (text == NIL).to_numpy()
    values = pd.to_numeric(text.where(~(suppressed | nil)), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    values[nil] = 0.0
    problems = []
    bad = np.flatnonzero(~suppressed & ~nil & ~np.isfinite(values))
    problems += _capped([f"{name}: row {i + 2}: column {col!r}: {series.iloc[i]!r} is not a number "
                         f"(suppressed cells may be empty, '.', '..', '...' or ':')" for i in bad], name, col)
    neg = np.flatnonzero(np.isfinite(values) & (values < 0))
    problems += _capped([f"{name}: row {i + 2}: column {col!r}: {series.iloc[i]!r} is negative" for i in neg],
                        name, col)
    if not allow_missing:
        miss = np.flatnonzero(suppressed)
        problems += _capped([f"{name}: row {i + 2}: column {col!r}: population is missing ({series.iloc[i]!r}); "
                             "rates need it in every row" for i in miss], name, col)
    values[suppressed] = np.nan
    return values, problems


def _code_problems(codes: pd.Series, regions, name: str) -> tuple[list[str], set]:
    known = None
    if regions is not None:
        known = set(regions.codes if isinstance(regions, D.Regions) else regions)
    lines, bad = [], set()
    first_rows = pd.Series(np.arange(len(codes)), index=codes.to_numpy()).groupby(level=0, sort=False).first()
    for code, i in first_rows.items():
        note = RG.retired_code_note(code)
        if note is not None:
            lines.append(f"{name}: row {i + 2}: column {CODE!r}: code {code!r} is not a 2024 code: {note}")
            bad.add(code)
        elif known is not None and code not in known:
            lines.append(f"{name}: row {i + 2}: column {CODE!r}: unknown code {code!r} "
                         f"(not among the {len(known)} 2024 municipality codes given)")
            bad.add(code)
    return _capped(lines, name, CODE), bad


def _year_problems(years_i: np.ndarray, years, name: str) -> list[str]:
    if years is None:
        return []
    want = sorted({int(y) for y in years})
    have = sorted(set(years_i.tolist()))
    span = f"{want[0]}-{want[-1]}" if want == list(range(want[0], want[-1] + 1)) else ", ".join(map(str, want))
    lines = []
    for y in sorted(set(have) - set(want)):
        rows = np.flatnonzero(years_i == y)
        lines.append(f"{name}: row {rows[0] + 2}: column {YEAR!r}: year {y} is outside the expected years {span} "
                     f"({len(rows)} rows; the file is for {have[0]}-{have[-1]})")
    for y in sorted(set(want) - set(have)):
        lines.append(f"{name}: column {YEAR!r}: no rows for year {y} (expected {span})")
    return _capped(lines, name, YEAR)


def _duplicate_problems(codes: pd.Series, years_i: np.ndarray, name: str) -> list[str]:
    keys = pd.DataFrame({"c": codes.to_numpy(), "y": years_i})
    dup = np.flatnonzero(keys.duplicated().to_numpy())
    lines = []
    first = {}
    for i, (c, y) in enumerate(zip(keys.c, keys.y)):
        first.setdefault((c, y), i)
    for j in dup:
        c, y = keys.c.iloc[j], keys.y.iloc[j]
        lines.append(f"{name}: rows {first[(c, y)] + 2} and {j + 2}: duplicate row for {CODE}={c!r}, {YEAR}={y}")
    return _capped(lines, name, CODE)


def _hist_problems(frame: pd.DataFrame, codes: pd.Series, years_i: np.ndarray, name: str, skip=frozenset()):
    n = len(frame)
    if HIST not in frame.columns:
        return codes.to_numpy().copy(), np.full(n, "", dtype=object), []
    hist = frame[HIST].str.strip().to_numpy()
    covers = np.empty(n, dtype=object)
    lines = []
    cache: dict[tuple[str, int], tuple[set, str | None]] = {}
    for i, (code, year, h) in enumerate(zip(codes.to_numpy(), years_i, hist)):
        if code in skip:  # already reported
            covers[i] = code
            continue
        key = (h, int(year))
        if key not in cache:
            parts = [p.strip() for p in h.split("+")] if h else []
            if not parts or not all(len(p) == 4 and p.isdigit() for p in parts):
                cache[key] = (set(), f"{h!r} is not a list of 4-digit codes joined by '+'")
            else:
                union: set = set()
                per_part = {}
                for p in parts:
                    per_part[p] = set(RG.targets(p, int(year)))
                    union |= per_part[p]
                cache[key] = (union, per_part)
        union, per_part = cache[key]
        err = per_part if isinstance(per_part, str) else None
        if err is None:
            stray = [p for p, t in per_part.items() if code not in t]
            if stray:
                p = stray[0]
                err = (f"{p!r} (a code of {year}, in {h!r}) leads to {'+'.join(sorted(per_part[p]))} in 2024, "
                       f"not to {code!r}, under the correspondence table (helsemod_py.data.regions)")
        if err is not None:
            lines.append(f"{name}: row {i + 2}: column {HIST!r}: {err}")
            covers[i] = code
            continue
        covers[i] = "+".join(sorted(union)) if union != {code} else code
    return covers, hist.astype(object), _capped(lines, name, HIST)
