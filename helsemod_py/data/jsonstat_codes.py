"""Codes of SSB's tables read into the model's dimensions: regions mapped to the 2024
municipalities (:class:`RegionResolver`), ages and sexes (:func:`parse_age`, :func:`parse_sex`),
years, and the helpers the converters of :mod:`.jsonstat` and :mod:`.staff` share."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import dims as D
from ..errors import ImportDataError, quote
from .jsonstat_parse import _MAX_SHOWN, NATION_CODES, NATION_NAMES, NON_MUNICIPAL, SEX_CODES, TOTAL_LABELS
from .schema import YEARS

# --- regions -------------------------------------------------------------------------------
def _norm(name: str) -> str:
    text = re.sub(r"\s*-\s*", "-", str(name))
    return re.sub(r"\s+", " ", text).strip().casefold()


class RegionResolver:
    """Maps SSB region codes or labels (for a year) to 2024 municipality codes with shares.

    ``regions``: the 2024 municipalities (:class:`~helsemod_py.dims.Regions`, e.g. from
    ``kommuner_2024.csv``); without, any four-digit code that is a 2024 code or maps to
    one is accepted, and names are looked up in the change log of
    :mod:`~helsemod_py.data.regions` only. ``weights`` (2024 code -> population) share out
    split municipalities.
    """

    def __init__(self, regions: D.Regions | None = None, weights=None):
        from . import regions as RG

        self.RG = RG
        self.regions = regions
        self.weights = dict(weights or {})
        self.known = set(regions.codes) if regions is not None else None
        self.names: dict[str, list[str]] = {}
        self.aliases: dict[str, list[str]] = {}  # parts of bilingual names ("Oslo-Oslove")
        if regions is not None:
            for c, n in zip(regions.codes, regions.names):
                self.names.setdefault(_norm(n), []).append(c)
                for part in re.split(r"\s*-\s*", n) if "-" in n else []:
                    self.aliases.setdefault(_norm(part), []).append(c)
        self.old_names: dict[str, list[tuple[str, int]]] = {}  # name -> (code, last year in use)
        retired = RG._retired("municipality")
        all_names: dict[str, str] = {}
        for ch in RG.municipality_changes():
            all_names.update(ch.names)
        for code, until in retired.items():
            if code in all_names:
                self.old_names.setdefault(_norm(all_names[code]), []).append((code, until - 1))
        self.county_names = {_norm(n) for ch in RG.county_changes() for n in ch.names.values()}
        if regions is not None:
            self.county_names |= {_norm(n) for n in regions.county_names.values()}

    def resolve(self, text: str, year: int) -> dict[str, float] | None:
        """2024 codes with shares, ``None`` for a non-municipal unit (nation, county, Svalbard,
        ...), or raises ``KeyError(reason)`` for an unknown code or name."""
        text = str(text).strip()
        m = re.match(r"^(K-|F-)?(\d{1,4}|Rest)(?:\s+(.*))?$", text)
        if m:
            prefix, code = m.group(1), m.group(2)
            if code in NATION_CODES or NON_MUNICIPAL.match(code) or len(code) == 2 or prefix == "F-":
                return None
            if len(code) != 4:
                raise KeyError("not a municipality code")
            return self._code(code, year, harmonised=prefix == "K-")
        name, period = text, None
        pm = re.match(r"^(.*?)\s*\((\d{4})?\s*-\s*(\d{4})?\)\s*$", text)
        if pm:
            name, period = pm.group(1), (pm.group(2), pm.group(3))
        county = None
        qm = re.match(r"^(.*?)\s*\(([^()\d]+)\)$", name)  # "Herøy (Nordland)": a county to tell names apart
        if qm:
            name, county = qm.group(1), _norm(qm.group(2))
        key = _norm(name)
        if key in NATION_NAMES:
            return None
        last = int(period[1]) if period and period[1] else None
        if last is not None and last < self.RG.TARGET_YEAR and key in self.old_names:
            olds = [c for c, until in self.old_names[key] if until == last]
            if len(olds) == 1:
                return self._code(olds[0], last, harmonised=False)
        hits = self.names.get(key, [])
        if county is not None and self.regions is not None:
            hits = [c for c in hits if county in self._county_keys(c)]
        if len(hits) > 1:
            raise KeyError(f"name matches several municipalities ({', '.join(hits)})")
        if hits:
            return {hits[0]: 1.0}
        if key in self.county_names:
            return None
        hits = self.aliases.get(key, [])
        if len(hits) == 1:  # one half of a bilingual name ("Oslo" for "Oslo-Oslove")
            return {hits[0]: 1.0}
        if self.regions is None and key in self.old_names and len(self.old_names[key]) == 1:
            code, until = self.old_names[key][0]
            return self._code(code, until, harmonised=False)
        raise KeyError("unknown name" + (" (give the municipality list)" if self.regions is None else ""))

    def _county_keys(self, code: str) -> set[str]:
        """The county name of a municipality, whole and each half of a bilingual name."""
        county = self.regions.county_codes[self.regions.codes.index(code)]
        full = _norm(self.regions.county_names.get(county, ""))
        return {full, *full.split("-")}

    def _code(self, code: str, year: int, harmonised: bool) -> dict[str, float]:
        if harmonised:
            out = {code: 1.0}
        else:
            out = self.RG.targets(code, year, "municipality", weights=self.weights or None)
        if self.known is not None:
            bad = [c for c in out if c not in self.known]
            if bad:
                note = self.RG.retired_code_note(code)
                raise KeyError(f"not a 2024 municipality; {note}" if note else
                               f"not among the {len(self.known)} municipalities of the list given")
        return out


# --- ages and sexes ---------------------------------------------------------------------------
_AGE_CODE = re.compile(r"^(\d{1,3})(?:\s*-\s*(\d{1,3}))?(\+)?$")
_AGE_LABEL = re.compile(r"^(\d{1,3})(?:\s*-\s*(\d{1,3}))?\s*(?:år|years?|year)?\s*"
                        r"(eller eldre|or older|and over|\+)?$", re.IGNORECASE)


def parse_age(code: str) -> tuple[int, int] | None:
    """``(first, last)`` one-year ages of an SSB age code or label (``105`` = 105 and older),
    ``None`` for a total ("Alle aldre", ``999``, ``999A``); raises ``KeyError`` otherwise.

    ``000`` -> (0, 0); ``105+`` -> (105, 105); ``090-094`` -> (90, 94); ``"1-5 år"`` -> (1, 5);
    ``"90 år eller eldre"`` -> (90, 105). Ages above 105 fold into 105.
    """
    text = str(code).strip()
    if _norm(text) in TOTAL_LABELS or re.fullmatch(r"999[A-Z]?|F999|T", text):
        return None
    m = _AGE_CODE.match(text) or _AGE_LABEL.match(text)
    if not m:
        raise KeyError("not an age or age group")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    if m.group(3):
        hi = D.MAX_AGE
    if hi < lo:
        raise KeyError("age group ends before it starts")
    return min(lo, D.MAX_AGE), min(hi, D.MAX_AGE)


def parse_sex(code: str) -> str | None:
    """``male``/``female`` from an SSB Kjonn code or label; ``None`` for both sexes."""
    text = _norm(code)
    if text in SEX_CODES:
        return SEX_CODES[text]
    if text in ("menn", "mann", "males", "male", "men", "m", "gutter"):
        return "male"
    if text in ("kvinner", "kvinne", "females", "female", "women", "k", "f", "jenter"):
        return "female"
    if text in ("0", "begge kjønn", "both sexes", "i alt", "total", "alle"):
        return None
    raise KeyError("not a sex")


# --- helpers shared by the converters ------------------------------------------------------
def _label(frame: pd.DataFrame, label) -> str:
    return label or frame.attrs.get("file") or (f"table {frame.attrs['table']}" if frame.attrs.get("table")
                                                else "table")


def _dim(frame: pd.DataFrame, code: str, name: str, required: bool = True) -> str | None:
    """The column of dimension ``code`` (case-insensitive)."""
    for c in frame.columns:
        if c.lower() == code.lower():
            return c
    if required:
        dims = [c for c in frame.columns if c not in ("value", "status", "_file")]
        raise ImportDataError(f"{name}: missing dimension {code!r} (found: {', '.join(dims)})")
    return None


def _map_unique(frame: pd.DataFrame, col: str, fn, name: str, what: str) -> np.ndarray:
    """``fn`` of each value of ``col`` (computed once per distinct value), as an object
    array; unknown values are errors, one line each."""
    codes, uniq = pd.factorize(frame[col], use_na_sentinel=False)
    out, bad = [], []
    for v in uniq:
        try:
            out.append(fn(v))
        except KeyError as exc:
            out.append(None)
            bad.append(f"{name}: dimension {col!r}: unknown code {quote(v)} ({exc.args[0] if exc.args else what})")
    if bad:
        raise ImportDataError(bad[:_MAX_SHOWN] + ([f"{name}: dimension {col!r}: ... and {len(bad) - _MAX_SHOWN} "
                                                   "more unknown codes"] if len(bad) > _MAX_SHOWN else []))
    table = np.empty(len(out), dtype=object)
    table[:] = out
    return table[codes]


def _ages(frame: pd.DataFrame, col: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """First and last one-year age (:func:`parse_age`) of each row's ``col``; -1 for a total
    (to be skipped). Unknown codes are errors, one line each."""
    codes, uniq = pd.factorize(frame[col], use_na_sentinel=False)
    lo, hi = np.full(len(uniq), -1, dtype=np.int64), np.full(len(uniq), -1, dtype=np.int64)
    bad = []
    for i, v in enumerate(uniq):
        try:
            span = parse_age(v)
        except KeyError as exc:
            bad.append(f"{name}: dimension {col!r}: unknown code {quote(v)} ({exc.args[0]})")
            continue
        if span is not None:
            lo[i], hi[i] = span
    if bad:
        raise ImportDataError(bad[:_MAX_SHOWN] + ([f"{name}: dimension {col!r}: ... and {len(bad) - _MAX_SHOWN} "
                                                   "more unknown codes"] if len(bad) > _MAX_SHOWN else []))
    return lo[codes], hi[codes]


def _years(frame: pd.DataFrame, col: str, name: str) -> np.ndarray:
    codes, uniq = pd.factorize(frame[col].astype(str), use_na_sentinel=False)
    y = pd.to_numeric(pd.Series(uniq).str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = [u for u, v in zip(uniq, y) if not np.isfinite(v) or v != np.round(v) or not YEARS[0] <= v <= YEARS[1]]
    if bad:
        raise ImportDataError([f"{name}: dimension {quote(col)}: {quote(v)} is not a year ({YEARS[0]}-{YEARS[1]})"
                               for v in bad[:_MAX_SHOWN]])
    return y.astype(np.int64)[codes]


def _check_duplicates(frame: pd.DataFrame, keys: list[str], name: str) -> None:
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        rows = frame[dup]
        first = rows.iloc[0]
        where = ", ".join(f"{k}={first[k]!r}" for k in keys)
        files = sorted(set(rows.loc[(rows[keys] == first[keys]).all(axis=1), "_file"])) if "_file" in rows else []
        src = f" (in {' and '.join(files)})" if len(files) > 1 else ""
        raise ImportDataError(f"{name}: {int(dup.sum())} duplicate rows, first {where}{src}")


def _choose(frame: pd.DataFrame, col: str, wanted: str, name: str) -> pd.DataFrame:
    codes = list(pd.unique(frame[col]))
    if len(codes) == 1 and wanted not in codes:
        return frame
    if wanted not in codes:
        raise ImportDataError(f"{name}: dimension {col!r}: code {wanted!r} not found (codes: {', '.join(codes[:8])})")
    return frame[frame[col] == wanted]


def _check_years(years: np.ndarray, wanted, name: str, col: str) -> None:
    have = sorted(set(int(y) for y in years))
    if wanted is not None:
        wanted = sorted(set(int(y) for y in wanted))
        missing = [y for y in wanted if y not in have]
        if missing:
            raise ImportDataError(f"{name}: dimension {col!r}: the file is for the wrong years: it has "
                                  f"{_span(have)}, needs {_span(wanted)} (no data for {_span(missing)})")
        return
    gaps = sorted(set(range(have[0], have[-1] + 1)) - set(have))
    if gaps:
        raise ImportDataError(f"{name}: dimension {col!r}: no data for year {gaps[0]} (years must be consecutive, "
                              f"{have[0]}-{have[-1]})")


def _span(years) -> str:
    years = sorted(years)
    if not years:
        return "none"
    if years == list(range(years[0], years[-1] + 1)):
        return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    return ", ".join(map(str, years[:8])) + (" ..." if len(years) > 8 else "")


def _expand_regions(work: pd.DataFrame, resolver: RegionResolver, name: str,
                    col: str) -> tuple[pd.DataFrame, list[str]]:
    """``work`` (columns ``_code``, ``year``, ``value``, ...) with each row repeated for each
    2024 code of its region (column ``region``) and ``value`` times its share; non-municipal
    rows dropped (returned as notes). ``col`` names the dimension in messages."""
    empty = work["value"].fillna(0.0).eq(0.0).groupby([work["_code"], work["year"]]).all()
    retired = resolver.RG._retired("municipality")
    mapping, bad, dropped, gone = {}, {}, set(), set()
    for (r, y), is_empty in empty.items():
        code = re.sub(r"^(K-|F-)", "", str(r))
        if code in retired and int(y) >= retired[code] and is_empty:
            gone.add(r)  # a code after its last year: SSB fills it with '.', null or 0
            continue
        try:
            t = resolver.resolve(r, int(y))
        except KeyError as exc:
            bad.setdefault(r, exc.args[0] if exc.args else "unknown")
            continue
        if t is None:
            dropped.add(r)
        else:
            mapping[(r, int(y))] = t
    if bad:
        lines = [f"{name}: dimension {col!r}: unknown code {quote(r)} ({why})" for r, why in bad.items()]
        raise ImportDataError(lines[:_MAX_SHOWN] + ([f"{name}: dimension {col!r}: ... and "
                                                     f"{len(lines) - _MAX_SHOWN} more unknown codes"]
                                                    if len(lines) > _MAX_SHOWN else []))
    pairs = [(r, y, c, s) for (r, y), t in mapping.items() for c, s in t.items()]
    links = pd.DataFrame(pairs, columns=["_code", "year", "region", "_share"])
    out = work.merge(links, on=["_code", "year"], how="inner")
    out["value"] = out["value"] * out["_share"]
    notes = [f"{name}: dropped non-municipal region(s) {', '.join(sorted(dropped)[:10])}"
             + (" ..." if len(dropped) > 10 else "")] if dropped else []
    if gone:
        notes.append(f"{name}: dropped the empty cells of {len(gone)} historical code(s) after their last year")
    return out.drop(columns=["_code", "_share"]), notes
