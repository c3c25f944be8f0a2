"""Region harmonisation: historical municipality and county codes mapped to the 2024 structure.

Norwegian municipality (kommune) and county (fylke) codes change with reforms. This module
holds the project's own correspondence table, written by hand from SSB's classification of
municipalities and counties (KLASS classifications 131 and 104, "Endringer i kommune- og
fylkesinndelingen", and the Storting's decisions behind them), and maps data in any
historical structure since 2015 to the structure of 1 January 2024:

* 2017: Sandefjord (0706) with Andebu (0719) and Stokke (0720) -> 0710 Sandefjord;
* 2018: Sør- and Nord-Trøndelag (16, 17) -> Trøndelag (50), every municipality recoded 50xx,
  Rissa and Leksvik -> 5054 Indre Fosen; in Vestfold Larvik+Lardal, Holmestrand+Hof,
  Nøtterøy+Tjøme merged;
* 2019: Rindal (1567) moved from Møre og Romsdal to Trøndelag (5061);
* 2020: the municipal and regional reform: 422 -> 356 municipalities, 18 -> 11 counties
  (Viken 30 from 01/02/06, Innlandet 34 from 04/05, Vestfold og Telemark 38 from 07/08, Agder 42
  from 09/10, Vestland 46 from 12/14, Troms og Finnmark 54 from 19/20);
* 2024: Viken, Vestfold og Telemark and Troms og Finnmark split again (31/32/33, 39/40,
  55/56, every municipality in them recoded) and Ålesund (1507) split into 1508 Ålesund and
  1580 Haram: 356 -> 357 municipalities, 11 -> 15 counties.

A change in force from 1 January of year ``Y`` applies to data of years before ``Y`` (data for
year ``y`` use the structure in force on 1 January ``y``; KOSTRA and SSB's population tables
follow this). Merges and recodes are exact (counts are summed). Where one code splits into
several, its counts are shared out:

* a *whole-unit* split (Ålesund 2024; the counties Viken, Vestfold og Telemark, Troms og
  Finnmark) uses documented population shares of 1 January 2024 (or, if given, weights of the
  target codes such as their populations);
* parts that were earlier separate municipalities go back to their own unit whole (Haram's
  data of 2015-2019, code 1534, belong to 1580 Haram only; Østfold's of 2019 to 31 only);
* *border* splits (Tysfjord 2020, Snillfjord 2020) use rough documented shares of the
  parts' inhabitants: they are approximations (about 1 000 persons each), marked as such.

Small border adjustments that moved few inhabitants and no whole municipality are ignored,
as in KOSTRA's own history on 2024 borders.

The change log itself is in :mod:`.region_changes`; this module maps codes and data with it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping

import numpy as np
import pandas as pd

from ..errors import ImportDataError
# The change log, re-exported: callers use ``regions.Change``, ``regions.HARAM_SHARE``, ...
from .region_changes import HARAM_SHARE, Change, county_changes, municipality_changes  # noqa: F401

TARGET = "2024"  #: the only target structure supported
TARGET_YEAR = 2024
FIRST_YEAR = 2015  #: the table covers data from this year on (earlier changes are not listed)
SOURCE = ("SSB, classification of municipalities (KLASS 131) and of counties (KLASS 104), changes 2017-2024; "
          "Prop. 96 S (2016-2017) on the municipal reform of 2020; the Storting's decisions of 2022 to divide "
          "Viken, Vestfold og Telemark and Troms og Finnmark and to re-establish Haram from 1 January 2024")


def _changes(level: str) -> tuple[Change, ...]:
    if level == "municipality":
        return municipality_changes()
    if level == "county":
        return county_changes()
    raise ValueError(f"unknown level {level!r} (municipality or county)")


# --- the correspondence -----------------------------------------------------------------
@lru_cache(maxsize=None)
def _retired(level: str) -> dict[str, int]:
    """Codes that cease to exist, with the year (1 January) from which they are no longer used."""
    out: dict[str, int] = {}
    changes = _changes(level)
    for ch in changes:
        for o in ch.old:
            if o not in ch.new:
                out[o] = ch.year
    # a code that is created again later (none so far) would be live again
    for ch in changes:
        for n in ch.new:
            if n in out and out[n] < ch.year:  # pragma: no cover - no reuse in 2017-2024
                del out[n]
    return out


def _weighted_shares(ch: Change, row: int, weights: Mapping[str, float] | None) -> tuple[float, ...]:
    shares = ch.shares[row]
    if ch.kind != "split" or not weights or not all(c in weights for c in ch.new):
        return shares
    w = np.array([float(weights[c]) for c in ch.new])
    if not np.isfinite(w).all() or w.sum() <= 0 or (w < 0).any():
        return shares
    return tuple(w / w.sum())


def targets(code: str, year: int, level: str = "municipality",
            weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The 2024 code(s) of ``code`` as used in data for ``year``, with the share of its counts.

    Codes that no change touches map to themselves. ``weights`` (e.g. 2024 populations by
    code) replace the documented shares of whole-unit splits.
    """
    current = {code: 1.0}
    lineage = {code: {code}}
    for ch in _changes(level):
        if ch.year <= year:
            continue
        nxt: dict[str, float] = {}
        nxt_lineage: dict[str, set] = {}
        for c, w in current.items():
            if c not in ch.old:
                nxt[c] = nxt.get(c, 0.0) + w
                nxt_lineage.setdefault(c, set()).update(lineage[c])
                continue
            row = ch.old.index(c)
            back = sorted(e for e in lineage[c] if e in ch.restores)
            if back:
                parts = ch.restores[back[0]]
            else:
                parts = dict(zip(ch.new, _weighted_shares(ch, row, weights)))
            for n, s in parts.items():
                if s <= 0:
                    continue
                nxt[n] = nxt.get(n, 0.0) + w * s
                nxt_lineage.setdefault(n, set()).update(lineage[c] | {n})
        current, lineage = nxt, nxt_lineage
    return current


def correspondence(level: str = "municipality") -> pd.DataFrame:
    """The correspondence table: every historical code with its last year and 2024 code(s).

    Columns ``code``, ``name``, ``last_year`` (last year of data in which the code is used),
    ``code_2024``, ``name_2024``, ``share`` (of the old code's counts), ``kind`` of the first
    change it goes through, ``note``.
    """
    names: dict[str, str] = {}
    for ch in _changes(level):
        names.update(ch.names)
    rows = []
    first_change = {}
    for ch in _changes(level):
        for o in ch.old:
            first_change.setdefault((o, ch.year), ch)
    for code, until in sorted(_retired(level).items()):
        ch = first_change[(code, until)]
        for new, share in targets(code, until - 1, level).items():
            rows.append((code, names.get(code, ""), until - 1, new, names.get(new, ""), share, ch.kind, ch.note))
    return pd.DataFrame(rows, columns=["code", "name", "last_year", "code_2024", "name_2024", "share", "kind", "note"])


def retired_code_note(code: str, level: str = "municipality") -> str | None:
    """A one-line note if ``code`` is no longer used in 2024 ("Halden until 2023, now 3101"), else None."""
    until = _retired(level).get(code)
    if until is None:
        return None
    names: dict[str, str] = {}
    for ch in _changes(level):
        names.update(ch.names)
    now = ", ".join(f"{c} {names.get(c, '')}".strip() for c in targets(code, until - 1, level))
    return f"{names.get(code, code)} was replaced on 1 January {until} (2024 code: {now})"


def harmonise(frame: pd.DataFrame, code_col: str, year_col: str, target: str = TARGET,
              value_cols=None, weights: Mapping[str, float] | None = None, known=None,
              table: str = "data") -> pd.DataFrame:
    """Map ``frame``'s historical region codes to the 2024 structure.

    Each row's code, used in data for the year in ``year_col``, is replaced by its 2024
    code(s) (:func:`targets`); the numeric ``value_cols`` (default: every numeric column but
    the year) are multiplied by each target's share and summed over rows that land on the
    same code, year and remaining columns (merges are sums; splits share out). A sum with a
    missing part (suppressed cell) stays missing. Four-digit codes are municipalities,
    two-digit codes counties. ``weights`` (2024 code -> weight, e.g. population) replace the
    documented shares of whole-unit splits. ``known`` (2024 codes) makes any other code after
    mapping an error. Problems raise :class:`ImportDataError`, one line each, naming
    ``table``, the column and the code. Codes are kept as text.
    """
    if str(target) != TARGET:
        raise ImportDataError(f"{table}: target structure {target!r} is not supported (only {TARGET})")
    for col in (code_col, year_col):
        if col not in frame.columns:
            raise ImportDataError(f"{table}: missing column {col!r}")
    codes = frame[code_col].astype(str)
    years = pd.to_numeric(frame[year_col], errors="coerce")
    problems = []
    bad_year = np.flatnonzero(~np.isfinite(years.to_numpy(dtype=float)))
    problems += [f"{table}: row {i + 2}: column {year_col!r}: {frame[year_col].iloc[i]!r} is not a year"
                 for i in bad_year[:5]]
    lengths = set(codes.str.len())
    if not codes.str.fullmatch(r"\d{2}|\d{4}").all():
        i = int(np.flatnonzero(~codes.str.fullmatch(r"\d{2}|\d{4}").to_numpy())[0])
        problems.append(f"{table}: row {i + 2}: column {code_col!r}: {codes.iloc[i]!r} is not a 2- or 4-digit code")
    elif len(lengths) > 1:
        problems.append(f"{table}: column {code_col!r}: mixes county (2-digit) and municipality (4-digit) codes")
    if problems:
        raise ImportDataError(problems)
    level = "county" if lengths == {2} else "municipality"
    if value_cols is None:
        value_cols = [c for c in frame.columns if c not in (code_col, year_col)
                      and pd.api.types.is_numeric_dtype(frame[c])]
    value_cols = list(value_cols)
    keys = [c for c in frame.columns if c not in value_cols and c not in (code_col, year_col)]
    retired = _retired(level)
    cache: dict[tuple[str, int], dict[str, float]] = {}
    rows_idx, new_codes, shares = [], [], []
    seen_late = set()
    for i, (code, year) in enumerate(zip(codes.to_numpy(), years.to_numpy(dtype=np.int64))):
        until = retired.get(code)
        if until is not None and year >= until and code not in seen_late:
            seen_late.add(code)
            problems.append(f"{table}: row {i + 2}: column {code_col!r}: code {code!r} is used in {year}, but "
                            f"{retired_code_note(code, level)}")
            continue
        key = (code, int(year))
        if key not in cache:
            cache[key] = targets(code, int(year), level, weights)
        for new, share in cache[key].items():
            rows_idx.append(i)
            new_codes.append(new)
            shares.append(share)
    if known is not None:
        known = set(known)
        unknown = sorted(set(new_codes) - known)
        for code in unknown[:10]:
            i = rows_idx[new_codes.index(code)]
            problems.append(f"{table}: row {i + 2}: column {code_col!r}: unknown code {codes.iloc[i]!r} "
                            f"(not a 2024 {level} code, and no change in the table leads from it to one)")
    if problems:
        raise ImportDataError(problems)
    out = frame.iloc[rows_idx].reset_index(drop=True).copy()
    out[code_col] = new_codes
    share = np.asarray(shares)
    for col in value_cols:
        out[col] = pd.to_numeric(out[col], errors="coerce") * share
    group = [code_col, year_col] + keys
    grouped = out.groupby(group, sort=False, dropna=False)
    summed = grouped[value_cols].sum(min_count=1)
    missing = out[value_cols].isna().groupby([out[c] for c in group], sort=False, dropna=False).any()
    summed = summed.mask(missing)
    result = summed.reset_index()
    return result[[c for c in frame.columns if c in result.columns]]
