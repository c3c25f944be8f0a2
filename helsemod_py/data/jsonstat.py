"""SSB tables as JSON-stat2 (or SSB's long CSV): a small parser and converters to the model's tables.

JSON-stat2 (https://json-stat.org/full/) is what SSB's PxWebApi returns with
``outputFormat=json-stat2`` (v2) or ``"response": {"format": "json-stat2"}`` (v0). A response
is one *dataset*::

    {"class": "dataset", "version": "2.0", "label": "07459: ...", "updated": "...",
     "id": ["Region", "Kjonn", "Alder", "ContentsCode", "Tid"], "size": [357, 2, 106, 1, 10],
     "role": {"geo": ["Region"], "time": ["Tid"], "metric": ["ContentsCode"]},
     "dimension": {"Region": {"label": "region",
                              "category": {"index": {"K-3101": 0, ...}, "label": {"K-3101": "Halden", ...}}},
                   ...},
     "value": [...], "status": {"12": ":"}, "extension": {"px": {"tableid": "07459", ...}}}

``value`` holds the cells in row-major order of ``id`` (the last dimension varies fastest),
as a list of ``product(size)`` entries or a sparse object ``{"position": value}``; ``null``
is a missing cell. ``status`` (a string for every cell, a list, or a sparse object) carries
SSB's symbols: ``.`` not applicable, ``..`` not available, ``...`` not yet published, ``:``
suppressed (confidential) -- these cells are read as missing (NaN) -- and ``-`` nil (read
as 0). :func:`parse_jsonstat2` checks the structure and returns one row per cell, one
column per dimension (category codes, as text) plus ``value`` and ``status``.

The SSB tables' dimension codes, as assumed here (and written out in the constants below):

* **07459** (population 1 January): ``Region`` (municipality codes; with the aggregation
  ``agg_KommSummer`` -- "municipalities summed to today's borders" -- as ``K-3101``),
  ``Kjonn`` (``1`` male, ``2`` female), ``Alder`` (``000`` .. ``104``, ``105+``),
  ``ContentsCode`` (``Personer1``: persons), ``Tid`` (year, ``2024``).
* **14288** / **14746** (population projections): ``Region``, ``Kjonn``, ``Alder`` as above,
  ``ContentsCode`` holding the *alternatives* (labels such as "Hovedalternativet (MMMM)" /
  "Main alternative (MMMM)"; the four letters are fertility, life expectancy, internal
  and immigration assumptions, M = medium), ``Tid``. The alternative is therefore found by
  its label (the letters in parentheses) or its code, not by a fixed code.
* SSB's long CSV (downloaded by hand from the statbank, e.g. the projection samples
  ``projection_telemark_ssb12882_2020-2050.csv``): columns ``region``, ``kjønn`` (if any),
  ``alder``, ``år``, ``statistikkvariabel``, ``value`` with *labels* ("Porsgrunn (2020-2023)",
  "1-5 år", "90 år eller eldre", "Hovedalternativet (MMMM)"); ``Tabell`` names the table.

Regions are mapped to the 2024 municipalities (:mod:`helsemod_py.data.regions`): codes with
the aggregation prefix ``K-`` are 2024 codes already; plain historical codes go through
:func:`helsemod_py.data.regions.targets` for the year of the row (merges summed, splits
shared by population); a label "Name (2020-2023)" is the municipality of that name whose
code was in use in 2020-2023. Rows for the nation (``0``, "Hele landet"), counties
(two-digit codes, county names), Svalbard, Jan Mayen and the continental shelf (``21xx``,
``22xx``, ``23xx``) and SSB's ``Rest`` are not municipalities: they are dropped and listed
in the notes. Any other code is an error naming the table, dimension and code.

Every problem is reported as one line (:class:`~helsemod_py.errors.ImportDataError`),
e.g. ``07459.json: dimension 'Region': unknown code '9999'``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _paths
from .. import dims as D
from ..errors import ImportDataError, quote
from .inputs import MAX_FILE_BYTES, check_input, read_input  # noqa: F401  (re-exported)
from .schema import YEARS

# --- SSB's symbols and the tables' dimension codes ------------------------------------------
SUPPRESSED = (".", "..", "...", ":")  #: status symbols read as missing
NIL = "-"  #: status symbol for nil, read as 0

REGION, SEX, AGE, CONTENTS, TIME = "Region", "Kjonn", "Alder", "ContentsCode", "Tid"
#: Kjonn codes of 07459/14288/14746 (``0`` = both sexes is skipped where present).
SEX_CODES = {"1": "male", "2": "female"}
#: ContentsCode of 07459 for persons on 1 January.
POPULATION_CONTENTS = "Personer1"
#: Aggregation prefixes of SSB region codes (``agg_KommSummer``: K-, counties: F-).
REGION_PREFIXES = ("K-", "F-")
NATION_CODES = ("0", "00")
NATION_NAMES = ("hele landet", "the whole country", "norge", "norway", "i alt", "total", "landet")
#: Not municipalities: Svalbard (21xx), Jan Mayen (22xx), the continental shelf (23xx), SSB's
#: remainder of merged municipalities (``Rest``).
NON_MUNICIPAL = re.compile(r"^(2[123]\d\d|Rest|K-Rest)$")
TOTAL_LABELS = ("alle aldre", "all ages", "i alt", "total", "begge kjønn", "both sexes", "totalt")

#: SSB's long CSV: column name (lower case) -> the dimension code used here.
CSV_COLUMNS = {
    "region": REGION, "kommune": REGION, "fylke": REGION,
    "kjønn": SEX, "kjonn": SEX, "sex": SEX,
    "alder": AGE, "age": AGE,
    "år": TIME, "tid": TIME, "year": TIME,
    "statistikkvariabel": CONTENTS, "contents": CONTENTS, "statistic": CONTENTS,
}
CSV_VALUE_COLUMNS = ("value", "verdi")

_MAX_SHOWN = 5
#: Most cells one JSON-stat2 dataset may declare (the product of ``size``), checked before anything
#: is allocated: a full 14288 projection, every alternative, has 18 million.
MAX_CELLS = 25_000_000


# --- loading and parsing ---------------------------------------------------------------------
def load_json(obj_or_path, label: str | None = None) -> tuple[dict, str]:
    """``(object, label)`` from a dict, JSON text/bytes or a path; the label (default: the
    file name) names it in errors."""
    if isinstance(obj_or_path, dict):
        return obj_or_path, label or "JSON-stat"
    if isinstance(obj_or_path, (bytes, bytearray)):
        text, label = bytes(obj_or_path).decode("utf-8-sig", errors="replace"), label or "response"
    elif isinstance(obj_or_path, str) and obj_or_path.lstrip().startswith(("{", "[")):
        text, label = obj_or_path, label or "response"
    else:
        path = Path(obj_or_path)
        label = label or _paths.show(path.name)
        text = read_input(path).decode("utf-8-sig", errors="replace")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportDataError(f"{label}: malformed JSON, not JSON-stat2 ({exc.msg} at line {exc.lineno} "
                              f"column {exc.colno}; cut off or not a JSON file?)") from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, nesting thousands deep
        why = "nested too deeply" if isinstance(exc, RecursionError) else quote(str(exc), 80)
        raise ImportDataError(f"{label}: not JSON-stat2 ({why})") from None
    if not isinstance(obj, dict):
        raise ImportDataError(f"{label}: not JSON-stat2: the top level is a {type(obj).__name__}, not an object")
    return obj, label


def table_of(obj: dict) -> str | None:
    """SSB's table id of a JSON-stat2 dataset (``extension.px.tableid``, else the label's
    leading number, e.g. ``"07459: Befolkning ..."``), or None."""
    ext = obj.get("extension")
    if isinstance(ext, dict) and isinstance(ext.get("px"), dict):
        tid = ext["px"].get("tableid") or ext["px"].get("tableId")
        m = re.search(r"\d{5}", str(tid or ""))
        if m:
            return m.group(0)
    m = re.match(r"\s*(?:TAB)?(\d{5})\b", str(obj.get("label") or ""))
    return m.group(1) if m else None


def _categories(dim_id: str, spec, label: str) -> tuple[list[str], dict[str, str]]:
    """Category codes in index order, and their labels, of one dimension."""
    where = f"{label}: dimension {dim_id!r}"
    if not isinstance(spec, dict) or not isinstance(spec.get("category"), dict):
        raise ImportDataError(f"{where}: missing 'category'")
    cat = spec["category"]
    labels = cat.get("label") or {}
    if not isinstance(labels, dict):
        raise ImportDataError(f"{where}: 'category.label' is not an object")
    index = cat.get("index")
    if index is None:
        if len(labels) != 1:
            raise ImportDataError(f"{where}: 'category.index' missing (allowed only for a single category)")
        codes = [str(next(iter(labels)))]
    elif isinstance(index, list):
        codes = [str(c) for c in index]
        if len(set(codes)) != len(codes):  # linear: one set, not a count per code
            seen: set = set()
            dup = next(c for c in codes if c in seen or seen.add(c))
            raise ImportDataError(f"{where}: duplicate code {quote(dup)} in 'category.index'")
    elif isinstance(index, dict):
        pos = {}
        for code, p in index.items():
            if not isinstance(p, int) or isinstance(p, bool) or not 0 <= p < len(index):
                raise ImportDataError(f"{where}: code {quote(code)} has position {quote(p)}, not 0..{len(index) - 1}")
            if p in pos:
                raise ImportDataError(f"{where}: codes {quote(pos[p])} and {quote(code)} share position {p} "
                                      "(duplicate)")
            pos[p] = str(code)
        codes = [pos[i] for i in range(len(index))]
    else:
        raise ImportDataError(f"{where}: 'category.index' is neither a list nor an object")
    return codes, {str(k): str(v) for k, v in labels.items()}


def metadata_dimensions(obj_or_path, label: str | None = None) -> tuple[list[str], dict[str, list[str]]]:
    """Dimension ids and category codes of a JSON-stat2 dataset, values not needed
    (PxWebApi v2's ``/tables/{id}/metadata?outputFormat=json-stat2``)."""
    obj, label = load_json(obj_or_path, label)
    ids = obj.get("id")
    dims = obj.get("dimension")
    if not isinstance(ids, list) or not isinstance(dims, dict):
        missing = "id" if not isinstance(ids, list) else "dimension"
        raise ImportDataError(f"{label}: not JSON-stat2 metadata: missing {missing!r}")
    out = {}
    for d in ids:
        if d not in dims:
            raise ImportDataError(f"{label}: not JSON-stat2: 'id' names {quote(d)}, which is not in 'dimension'")
        out[d] = _categories(d, dims[d], label)[0]
    return [str(d) for d in ids], out


def parse_jsonstat2(obj_or_path, table: str | None = None, label: str | None = None) -> pd.DataFrame:
    """One row per cell of a JSON-stat2 dataset: a column per dimension (category codes as
    text), ``value`` (float; NaN for ``null`` and suppressed cells) and ``status`` (SSB's
    symbol, ``""`` where none).

    ``table``: the SSB table the file must hold (e.g. ``"07459"``); another table is an
    error. ``frame.attrs`` keeps ``table``, ``label`` (the dataset's title), ``file`` (the
    name used in messages), ``dims``, ``labels`` (dimension -> code -> label), ``roles``
    and ``updated``.
    """
    obj, name = load_json(obj_or_path, label)
    if "dataset" in obj and "class" not in obj:
        raise ImportDataError(f"{name}: not JSON-stat2: looks like JSON-stat 1 (a top-level 'dataset'); "
                              "download with format json-stat2")
    cls = obj.get("class")
    if cls is not None and cls != "dataset":
        raise ImportDataError(f"{name}: not JSON-stat2: 'class' is {quote(cls)}, expected 'dataset'")
    for key in ("id", "size", "dimension", "value"):
        if key not in obj:
            raise ImportDataError(f"{name}: not JSON-stat2: missing {key!r}")
    found = table_of(obj)
    if table is not None and found is not None and found != str(table):
        raise ImportDataError(f"{name}: wrong table: the file holds table {found} "
                              f"({str(obj.get('label', '')).strip()[:80]!r}), expected {table}")
    ids, size, dims = obj["id"], obj["size"], obj["dimension"]
    if not isinstance(ids, list) or not all(isinstance(d, str) for d in ids):
        raise ImportDataError(f"{name}: not JSON-stat2: 'id' is not a list of dimension names")
    if not isinstance(size, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                             for s in size):
        raise ImportDataError(f"{name}: not JSON-stat2: 'size' is not a list of whole numbers")
    if len(ids) != len(size):
        raise ImportDataError(f"{name}: 'id' has {len(ids)} dimensions but 'size' {len(size)}")
    if not ids:
        raise ImportDataError(f"{name}: not JSON-stat2: 'id' names no dimension")
    if not isinstance(dims, dict):
        raise ImportDataError(f"{name}: not JSON-stat2: 'dimension' is not an object")
    if len(set(ids)) != len(ids):
        raise ImportDataError(f"{name}: 'id' names a dimension twice")
    codes, labels = {}, {}
    for d, n in zip(ids, size):
        if d not in dims:
            raise ImportDataError(f"{name}: not JSON-stat2: 'id' names {quote(d)}, which is not in 'dimension'")
        codes[d], labels[d] = _categories(d, dims[d], name)
        if len(codes[d]) != n:
            raise ImportDataError(f"{name}: dimension {quote(d)}: {len(codes[d])} categories, but 'size' says {n}")
    n_cells = math.prod(size)
    if n_cells > MAX_CELLS:  # before allocating anything of that size
        raise ImportDataError(f"{name}: 'size' declares {n_cells:,} cells, more than the {MAX_CELLS:,} one file may "
                              "hold; download the table in parts (helsemod data fetch splits it)")
    values = _values(obj["value"], n_cells, name)
    status = _status(obj.get("status"), n_cells, name)
    sup = np.isin(status, SUPPRESSED)
    values[sup] = np.nan
    values[(status == NIL) & np.isnan(values)] = 0.0
    positions = np.unravel_index(np.arange(n_cells), size) if n_cells else [np.zeros(0, int)] * len(ids)
    frame = pd.DataFrame({d: pd.Categorical.from_codes(pos, categories=pd.Index(codes[d], dtype=object))
                          .astype(object) if n_cells else pd.Series([], dtype=object)
                          for d, pos in zip(ids, positions)})
    frame["value"] = values
    frame["status"] = status
    role = obj.get("role") if isinstance(obj.get("role"), dict) else {}
    frame.attrs.update(table=found or (str(table) if table else None), label=str(obj.get("label", "")),
                       file=name, dims=list(ids), labels=labels, roles=role, updated=obj.get("updated"))
    return frame


def _values(raw, n: int, name: str) -> np.ndarray:
    if isinstance(raw, list):
        if len(raw) != n:
            raise ImportDataError(f"{name}: 'value' has {len(raw)} entries, expected {n} (product of size)")
        if all(type(v) in (int, float, type(None)) for v in raw):  # the usual case, vectorised
            return np.array(raw, dtype=float) if n else np.zeros(0)
        items = enumerate(raw)
        out = np.full(n, np.nan)
    elif isinstance(raw, dict):
        out = np.full(n, np.nan)
        items = []
        for k, v in raw.items():
            if not str(k).isdigit() or not 0 <= int(k) < n:
                raise ImportDataError(f"{name}: 'value' has position {quote(k)}, outside 0..{n - 1} (product of size)")
            items.append((int(k), v))
    else:
        raise ImportDataError(f"{name}: not JSON-stat2: 'value' is neither a list nor an object")
    bad = []
    for i, v in items:
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            bad.append((i, v))
            continue
        out[i] = float(v)
    if bad:
        raise ImportDataError([f"{name}: 'value' entry {i}: {quote(v)} is not a number or null"
                               for i, v in bad[:_MAX_SHOWN]])
    return out


def _status(raw, n: int, name: str) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    if raw is None:
        return out
    if isinstance(raw, str):
        out[:] = raw
    elif isinstance(raw, list):
        if len(raw) == 1:
            out[:] = str(raw[0] or "")
        elif len(raw) == n:
            out[:] = [str(s or "") for s in raw]
        else:
            raise ImportDataError(f"{name}: 'status' has {len(raw)} entries, expected {n} (product of size) or 1")
    elif isinstance(raw, dict):
        for k, v in raw.items():
            if not str(k).isdigit() or not 0 <= int(k) < n:
                raise ImportDataError(f"{name}: 'status' has position {quote(k)}, outside 0..{n - 1}")
            out[int(k)] = str(v or "")
    else:
        raise ImportDataError(f"{name}: 'status' is neither a string, a list nor an object")
    return out


# --- SSB's long CSV ------------------------------------------------------------------------
def read_ssb_csv(path) -> pd.DataFrame:
    """SSB's long CSV (statbank download: labels in columns ``region``, ``kjønn``, ``alder``,
    ``år``, ``statistikkvariabel`` and the numbers in ``value``) as a frame like
    :func:`parse_jsonstat2`'s: dimension columns renamed to SSB's codes (``Region``, ``Kjonn``,
    ``Alder``, ``Tid``, ``ContentsCode``; holding labels), ``value`` (NaN where suppressed:
    ``.``, ``..``, ``...``, ``:`` or empty; ``-`` is 0) and ``status``. A ``Tabell`` column
    names the table (``attrs['table']``); other columns must be constant (e.g. ``Framskriving``).
    Comma or semicolon separated.
    """
    path = Path(path)
    name = path.name
    check_input(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=None,
                            engine="python")
    except Exception as exc:  # noqa: BLE001 - any parser failure is a file problem
        raise ImportDataError(f"{name}: cannot be read as CSV ({type(exc).__name__}: {quote(str(exc), 80)})") from None
    value_col = next((c for c in frame.columns if c.strip().lower() in CSV_VALUE_COLUMNS), None)
    if value_col is None:
        raise ImportDataError(f"{name}: missing column 'value' (SSB's long CSV has one number per row)")
    rename, extra = {}, []
    for c in frame.columns:
        key = c.strip().lower()
        if c == value_col:
            continue
        if key in CSV_COLUMNS:
            if CSV_COLUMNS[key] in rename.values():
                raise ImportDataError(f"{name}: columns {c!r} and another both give dimension {CSV_COLUMNS[key]!r}")
            rename[c] = CSV_COLUMNS[key]
        else:
            extra.append(c)
    table = None
    for c in extra:
        vals = frame[c].str.strip().unique()
        if c.strip().lower() in ("tabell", "table"):
            if len(vals) != 1:
                shown = ", ".join(quote(v) for v in vals[:5])
                raise ImportDataError(f"{name}: column {c!r}: several tables in one file ({shown})")
            table = vals[0].zfill(5) if vals[0].isdigit() else vals[0]
        elif len(vals) > 1:
            raise ImportDataError(f"{name}: column {c!r}: unknown dimension with {len(vals)} values "
                                  f"(known: {', '.join(sorted(set(CSV_COLUMNS)))})")
    out = frame[list(rename)].rename(columns=rename).apply(lambda s: s.str.strip())
    text = frame[value_col].str.strip()
    values = pd.to_numeric(text.str.replace("\u00a0", "").str.replace(" ", ""), errors="coerce")
    suppressed = text.isin(SUPPRESSED + ("",))
    nil = text == NIL
    bad = np.flatnonzero((values.isna() & ~suppressed & ~nil).to_numpy())
    if len(bad):
        raise ImportDataError([f"{name}: row {i + 2}: column {value_col!r}: {quote(text.iloc[i])} is not a number"
                               for i in bad[:_MAX_SHOWN]])
    out["value"] = np.where(nil, 0.0, values.to_numpy(dtype=float))
    out["status"] = np.where(suppressed | nil, text, "")
    dims = list(out.columns[:-2])
    out.attrs.update(table=table, label=name, file=name, dims=dims, labels={}, roles={}, updated=None,
                     constant={c: frame[c].iloc[0] for c in extra if len(frame)})
    return out


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


# --- population (07459) -----------------------------------------------------------------------
def population_from_jsonstat(frame: pd.DataFrame, regions: D.Regions | None = None, years=None,
                             label: str | None = None, notes: list | None = None):
    """A :class:`~helsemod_py.data.ssb.PopulationHistory` of the 2024 municipalities from
    SSB table 07459 (:func:`parse_jsonstat2` or :func:`read_ssb_csv` output; several files
    of the same table may be concatenated, with a ``_file`` column naming each).

    Dimensions: ``Region`` (see :class:`RegionResolver`; the nation, counties and other
    non-municipal rows are dropped), ``Kjonn`` (``1`` male, ``2`` female; ``0`` both is
    skipped), ``Alder`` (``000``..``105+``, one-year; totals skipped), ``ContentsCode``
    (``Personer1`` where there are several), ``Tid``. ``regions``: the 2024 municipalities;
    every one must be present, other codes are errors. ``years``: the years the file must
    cover (other years are dropped); else the years must be consecutive. Historical codes
    are mapped to 2024 for the year of each row (split units shared by the 2024 codes'
    population in the latest year). A cell with no value after mapping (only suppressed or
    missing cells) is an error. ``notes`` (a list), if given, receives one line per
    dropped group of regions.
    """
    from .ssb import PopulationHistory, _merged_groups

    name = _label(frame, label)
    if frame.empty:
        raise ImportDataError(f"{name}: no cells")
    rc, sc, ac, tc = (_dim(frame, d, name) for d in (REGION, SEX, AGE, TIME))
    cc = _dim(frame, CONTENTS, name, required=False)
    known = {rc, sc, ac, tc, cc, "value", "status", "_file"}
    for d in [c for c in frame.columns if c not in known]:
        if frame[d].nunique() > 1:
            raise ImportDataError(f"{name}: unexpected dimension {d!r} with {frame[d].nunique()} categories "
                                  f"(07459 has {REGION}, {SEX}, {AGE}, {CONTENTS}, {TIME})")
    if cc is not None:
        frame = _choose(frame, cc, POPULATION_CONTENTS, name)
    _check_duplicates(frame, [c for c in (rc, sc, ac, cc, tc) if c], name)
    year = _years(frame, tc, name)
    if years is not None:
        _check_years(year, years, name, tc)
        keep = np.isin(year, list(years))
        frame, year = frame[keep], year[keep]
    sex = _map_unique(frame, sc, parse_sex, name, "sex")
    lo, hi = _ages(frame, ac, name)
    keep = (sex != None) & (lo >= 0)  # noqa: E711 - elementwise
    frame, year, sex, lo, hi = frame[keep], year[keep], sex[keep], lo[keep], hi[keep]
    if (lo != hi).any():
        bad = frame[ac].to_numpy()[np.flatnonzero(lo != hi)[0]]
        raise ImportDataError(f"{name}: dimension {ac!r}: age group {bad!r} is not a one-year age "
                              "(07459 is read by one-year age 000..105+)")
    work = pd.DataFrame({"_code": frame[rc].astype(str).to_numpy(), "year": year, "sex": sex, "age": lo,
                         "value": frame["value"].to_numpy(), "status": _status_col(frame)})
    resolver = RegionResolver(regions, _latest_totals(work))
    long, new_notes = _expand_regions(work, resolver, name, rc)
    if notes is not None:
        notes.extend(new_notes)
    cells = long.groupby(["region", "year", "sex", "age"], sort=False)["value"].sum(min_count=1)
    if cells.isna().any():
        r, y, s, a = cells.index[np.flatnonzero(cells.isna().to_numpy())[0]]
        n = int(cells.isna().sum())
        src = long[(long["region"] == r) & (long["year"] == y) & (long["sex"] == s) & (long["age"] == a)]
        raise ImportDataError(f"{name}: dimension {rc!r}: code {r!r}: {_missing_what(src)} for {tc}={y}, "
                              f"{sc}={s}, {ac}={a}" + (f" (and {n - 1} more cells)" if n > 1 else "")
                              + " (the population must have every cell)")
    if (cells < 0).any():
        r, y, s, a = cells.index[np.flatnonzero((cells < 0).to_numpy())[0]]
        raise ImportDataError(f"{name}: dimension {rc!r}: code {r!r}: negative value for year {y}, {s}, age {a}")
    idx = cells.index
    all_years = np.array(sorted(int(y) for y in idx.levels[idx.names.index("year")]))
    if years is None:
        _check_years(all_years, None, name, tc)
    if regions is not None:
        present = set(idx.levels[idx.names.index("region")])
        missing = [c for c in regions.codes if c not in present]
        if missing:
            raise ImportDataError([f"{name}: dimension {rc!r}: no data for municipality {c!r} "
                                   f"({regions.name_of(c)})" for c in missing[:_MAX_SHOWN]]
                                  + ([f"{name}: dimension {rc!r}: ... and {len(missing) - _MAX_SHOWN} more "
                                      "municipalities missing"] if len(missing) > _MAX_SHOWN else []))
        expected = regions
    else:
        codes = tuple(sorted(idx.levels[idx.names.index("region")]))
        expected = D.Regions(codes, codes, tuple(c[:2] for c in codes), {})
    shape = (len(all_years), len(expected), len(D.SEXES), len(D.AGES))
    pos_r = {c: i for i, c in enumerate(expected.codes)}
    flat = np.ravel_multi_index((_level(idx, "year", lambda y: int(np.searchsorted(all_years, int(y)))),
                                 _level(idx, "region", pos_r.__getitem__),
                                 _level(idx, "sex", D.SEXES.index),
                                 _level(idx, "age", int)), shape)
    have = np.zeros(int(np.prod(shape)), dtype=bool)
    have[flat] = True
    if not have.all():
        y, r, s, a = np.unravel_index(int(np.flatnonzero(~have)[0]), shape)
        raise ImportDataError(f"{name}: {int((~have).sum())} missing cell(s), first {rc}={expected.codes[r]!r}, "
                              f"{tc}={all_years[y]}, {sc}={D.SEXES[s]}, age {a} (need every municipality, "
                              f"year, sex and age 0-{D.MAX_AGE})")
    pop = np.zeros(int(np.prod(shape)))
    pop[flat] = cells.to_numpy(dtype=float)
    return PopulationHistory(all_years, expected, pop.reshape(shape), "municipality",
                             _merged_groups(expected, all_years, "municipality"))


def _status_col(frame: pd.DataFrame) -> np.ndarray:
    return frame["status"].to_numpy() if "status" in frame.columns else np.full(len(frame), "", dtype=object)


def _missing_what(rows: pd.DataFrame) -> str:
    symbols = [str(v) for v in rows.get("status", pd.Series(dtype=object)) if str(v) in SUPPRESSED]
    return f"suppressed cell (status {symbols[0]!r})" if symbols else "missing value (null or empty)"


def _level(idx: pd.MultiIndex, name: str, fn) -> np.ndarray:
    """``fn`` of a MultiIndex level's values, per row (computed once per distinct value)."""
    k = idx.names.index(name)
    table = np.array([fn(v) for v in idx.levels[k]], dtype=np.int64)
    return table[idx.codes[k]]


def _latest_totals(work: pd.DataFrame) -> dict[str, float]:
    """Population by 2024 code (prefix dropped) in the latest year, to share out splits."""
    if not len(work):
        return {}
    sel = (work["year"] == work["year"].max()).to_numpy()
    codes = work.loc[sel, "_code"].str.replace(r"^(K-|F-)", "", regex=True)
    tot = work.loc[sel, "value"].groupby(codes.to_numpy()).sum()
    return {c: float(v) for c, v in tot.items() if len(c) == 4 and v > 0}


def write_population_csv(history, path) -> None:
    """Write a municipal :class:`~helsemod_py.data.ssb.PopulationHistory` in the format
    :func:`helsemod_py.data.ssb.read_population` reads (``kommune_nr, year, age, male,
    female, total``); whole numbers are written without decimals."""
    T, R, S, A = history.population.shape
    pop = history.population
    idx = pd.MultiIndex.from_product([range(R), range(T), range(A)], names=["r", "t", "a"]).to_frame(index=False)
    male = pop[:, :, 0, :].transpose(1, 0, 2).ravel()
    female = pop[:, :, 1, :].transpose(1, 0, 2).ravel()
    out = pd.DataFrame({
        "kommune_nr": np.asarray(history.regions.codes, dtype=object)[idx["r"].to_numpy()],
        "year": history.years[idx["t"].to_numpy()],
        "age": D.AGES[idx["a"].to_numpy()],
        "male": male, "female": female, "total": male + female,
    })
    whole = all(np.allclose(out[c], np.round(out[c]), rtol=0, atol=1e-9) for c in ("male", "female"))
    if whole:
        for c in ("male", "female", "total"):
            out[c] = np.round(out[c]).astype(np.int64)
    out.to_csv(path, index=False)


# --- projections (14288, 14746, SSB's long CSV) ---------------------------------------------
def alternatives(frame: pd.DataFrame) -> dict[str, str]:
    """Alternative id (the letters in parentheses of the label, e.g. ``MMMM``, else the code)
    -> code, of a projection table's ``ContentsCode`` (or the dimension holding them)."""
    col = _alternative_dim(frame)
    if col is None:
        return {}
    labels = frame.attrs.get("labels", {}).get(col, {})
    out = {}
    for code in pd.unique(frame[col]):
        text = labels.get(code, code)
        m = re.search(r"\(([A-Z0-9]{3,6})\)", str(text)) or re.search(r"\(([A-Z0-9]{3,6})\)", str(code))
        out[m.group(1) if m else str(code)] = code
    return out


def _alternative_dim(frame: pd.DataFrame) -> str | None:
    for c in frame.columns:
        if c.lower() == CONTENTS.lower():
            return c
    for c in frame.columns:
        if c in ("value", "status", "_file"):
            continue
        labels = frame.attrs.get("labels", {}).get(c, {})
        if any(re.search(r"\([A-Z]{4}\)", str(labels.get(v, v))) for v in pd.unique(frame[c])):
            return c
    return None


def projection_from_jsonstat(frame: pd.DataFrame, alternative: str = "MMMM", regions: D.Regions | None = None,
                             base=None, base_year: int | None = None, label: str | None = None) -> pd.DataFrame:
    """A population projection in the scenario driver's long format: columns ``region``,
    ``year``, ``sex``, ``age``, ``value`` (persons, one-year ages 0..105, 2024 municipalities).

    ``frame``: a projection table (14288, 14746, or SSB's long CSV such as the 12882/13600
    samples, from :func:`parse_jsonstat2` / :func:`read_ssb_csv`) with ``Region``, ``Alder``,
    ``Tid``, optionally ``Kjonn``, and the alternatives in ``ContentsCode``; ``alternative``
    picks one by its letters (``MMMM`` = SSB's main alternative) or code.

    Age groups and missing sexes are split into one-year ages and sexes in proportion to a
    *base population*: ``base`` (a :class:`~helsemod_py.data.ssb.PopulationHistory` of the
    2024 municipalities), year ``base_year`` (default its last year). A region's group total
    of year *t* is shared out like the region's own persons of those ages (and sex) on
    1 January ``base_year`` -- the same shares in every projection year (an assumption: the
    age structure inside a group is held at the base year's); where the region has nobody in
    the group, the shares of all regions of ``base`` are used, and uniform shares where they
    too are empty. One-year ages by sex need no base. Historical regions map to 2024 as in
    :class:`RegionResolver` (splits shared by the base population); rows of the nation and
    counties are dropped (``attrs['notes']``).
    """
    name = _label(frame, label)
    if frame.empty:
        raise ImportDataError(f"{name}: no cells")
    rc, ac, tc = (_dim(frame, d, name) for d in (REGION, AGE, TIME))
    sc = _dim(frame, SEX, name, required=False)
    alt_col = _alternative_dim(frame)
    known = {rc, ac, tc, sc, alt_col, "value", "status", "_file"}
    for d in [c for c in frame.columns if c not in known]:
        if frame[d].nunique() > 1:
            raise ImportDataError(f"{name}: unexpected dimension {d!r} with {frame[d].nunique()} categories")
    if alt_col is not None:
        alts = alternatives(frame)
        code = alts.get(alternative, alternative if alternative in set(frame[alt_col]) else None)
        if code is None:
            raise ImportDataError(f"{name}: dimension {alt_col!r}: alternative {alternative!r} not found "
                                  f"(alternatives: {', '.join(alts)})")
        frame = frame[frame[alt_col] == code]
    _check_duplicates(frame, [c for c in (rc, sc, ac, tc) if c], name)
    year = _years(frame, tc, name)
    lo, hi = _ages(frame, ac, name)
    sex = _map_unique(frame, sc, parse_sex, name, "sex") if sc else np.full(len(frame), None, dtype=object)
    keep = (lo >= 0) & ((sex != None) if sc else True)  # noqa: E711 - elementwise
    frame, year, lo, hi, sex = frame[keep], year[keep], lo[keep], hi[keep], sex[keep]
    groups = sorted(set(zip(lo.tolist(), hi.tolist())))
    _check_age_cover(groups, name, ac)
    base_pop, base_codes = _base_array(base, base_year)
    weights = {c: float(base_pop[i].sum()) for i, c in enumerate(base_codes)} if base is not None else None
    resolver = RegionResolver(regions if regions is not None else (base.regions if base is not None else None),
                              weights)
    work = pd.DataFrame({"_code": frame[rc].astype(str).to_numpy(), "year": year, "lo": lo, "hi": hi,
                         "sex": sex, "value": frame["value"].to_numpy(), "status": _status_col(frame)})
    long, notes = _expand_regions(work, resolver, name, rc)
    if long["value"].isna().any():
        r = long.loc[long["value"].isna()].iloc[0]
        raise ImportDataError(f"{name}: dimension {rc!r}: code {r['region']!r}: {_missing_what(long.loc[[r.name]])} "
                              f"for {tc}={r['year']}, {ac}={r['lo']}-{r['hi']} (a projection must have every cell)")
    if (long["value"] < 0).any():
        r = long.loc[long["value"] < 0].iloc[0]
        raise ImportDataError(f"{name}: dimension {rc!r}: code {r['region']!r}: negative value in year {r['year']}")
    needs_split = (long["lo"] != long["hi"]).any() or not sc
    if needs_split and base is None:
        example = next((g for g in groups if g[0] != g[1]), None)
        what = (f"dimension {ac!r}: age groups such as {example[0]}-{example[1]}" if example
                else f"no dimension {SEX!r} (sex)")
        raise ImportDataError(f"{name}: {what}: splitting into one-year ages and sexes needs a base population "
                              "(import a 07459 population file with it)")
    out = _split(long, base_pop, base_codes, name) if needs_split else long.rename(columns={"lo": "age"})[
        ["region", "year", "sex", "age", "value"]]
    out = out.groupby(["region", "year", "sex", "age"], sort=False, as_index=False)["value"].sum()
    listed = regions if regions is not None else (base.regions if base is not None else None)
    order = {c: i for i, c in enumerate(listed.codes)} if listed is not None else None
    out["_r"] = out["region"].map(order) if order else out["region"]
    out["_s"] = out["sex"].map(D.SEXES.index)
    out = out.sort_values(["_r", "year", "_s", "age"], kind="stable").drop(columns=["_r", "_s"]).reset_index(drop=True)
    _check_complete(out, name)
    out.attrs["notes"] = notes + ([f"{name}: age groups and sexes split in proportion to the base population of "
                                   f"{base_year or int(base.years[-1])}"] if needs_split else [])
    out.attrs["alternative"] = alternative
    return out


def _check_age_cover(groups, name: str, col: str) -> None:
    ages = np.zeros(len(D.AGES), dtype=int)
    for lo, hi in groups:
        ages[lo:hi + 1] += 1
    if (ages > 1).any():
        a = int(np.flatnonzero(ages > 1)[0])
        over = [f"{lo}-{hi}" for lo, hi in groups if lo <= a <= hi]
        raise ImportDataError(f"{name}: dimension {col!r}: age groups overlap at age {a} ({', '.join(over)})")
    if (ages == 0).any():
        a = int(np.flatnonzero(ages == 0)[0])
        raise ImportDataError(f"{name}: dimension {col!r}: no age group covers age {a} (need 0-{D.MAX_AGE})")


def _base_array(base, base_year):
    if base is None:
        return None, ()
    year = base_year or int(base.years[-1])
    return base.at(year), tuple(base.regions.codes)


def _split(long: pd.DataFrame, base_pop: np.ndarray, base_codes, name: str) -> pd.DataFrame:
    """One-year ages and sexes of group totals, in proportion to the base population."""
    pos = {c: i for i, c in enumerate(base_codes)}
    missing = sorted(set(long["region"]) - set(pos))
    if missing:
        raise ImportDataError(f"{name}: dimension 'Region': no base population for municipality {missing[0]!r} "
                              "(the population file must include every projected municipality)")
    national = base_pop.sum(axis=0)  # [S, A]
    pieces = []
    work = long.assign(_sex=long["sex"].where(long["sex"].isin(D.SEXES), "both"))
    for _, rows in work.groupby(["region", "_sex", "lo", "hi"], sort=False):
        first = rows.iloc[0]
        r, lo, hi = pos[first["region"]], int(first["lo"]), int(first["hi"])
        sexes = [D.SEXES.index(first["_sex"])] if first["_sex"] in D.SEXES else [0, 1]
        w = base_pop[r][np.ix_(sexes, range(lo, hi + 1))]
        if w.sum() <= 0:
            w = national[np.ix_(sexes, range(lo, hi + 1))]
        w = w / w.sum() if w.sum() > 0 else np.full(w.shape, 1.0 / w.size)
        n_cells = w.size
        vals = rows["value"].to_numpy()[:, None] * w.ravel()[None, :]
        sex_lab = np.repeat([D.SEXES[s] for s in sexes], hi - lo + 1)
        age_lab = np.tile(np.arange(lo, hi + 1), len(sexes))
        pieces.append(pd.DataFrame({
            "region": first["region"],
            "year": np.repeat(rows["year"].to_numpy(), n_cells),
            "sex": np.tile(sex_lab, len(rows)),
            "age": np.tile(age_lab, len(rows)),
            "value": vals.ravel(),
        }))
    return pd.concat(pieces, ignore_index=True)


def _check_complete(out: pd.DataFrame, name: str) -> None:
    years = sorted(set(out["year"]))
    n_reg = out["region"].nunique()
    want = n_reg * len(years) * len(D.SEXES) * len(D.AGES)
    if len(out) != want:
        have = out.groupby("region").size()
        short = have[have != len(years) * len(D.SEXES) * len(D.AGES)]
        r = short.index[0] if len(short) else out["region"].iloc[0]
        ry = sorted(set(out.loc[out["region"] == r, "year"]))
        raise ImportDataError(f"{name}: dimension 'Region': code {r!r} has years {_span(ry)}, others "
                              f"{_span(years)} (every municipality needs every year)")


def read_projection_csv(path, regions: D.Regions | None = None, base=None, alternative: str = "MMMM",
                        base_year: int | None = None) -> pd.DataFrame:
    """SSB's long projection CSV (e.g. ``projection_telemark_ssb12882_2020-2050.csv``) in the
    driver's long format; see :func:`projection_from_jsonstat` for the mapping and splitting.

    Region labels are names with the period their code was in use ("Porsgrunn (2020-2023)"):
    they are looked up in ``regions`` (the 2024 municipality list) and, for a period that ended
    before 2024, in the change log, so "Porsgrunn (2020-2023)" (code 3806) becomes 4001.
    """
    frame = read_ssb_csv(path)
    return projection_from_jsonstat(frame, alternative=alternative, regions=regions, base=base,
                                    base_year=base_year, label=Path(path).name)


def write_projection(long: pd.DataFrame, path) -> None:
    """Write the driver's long format (``region, year, sex, age, value``), as read by
    :func:`helsemod_py.scenario.driver.read_population_projection`."""
    long[["region", "year", "sex", "age", "value"]].to_csv(path, index=False)


def long_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A parsed table as it is, with dimension labels added (``<dim>_label``); for tables the
    model does not convert (KOSTRA, employment)."""
    out = frame.drop(columns=[c for c in ("_file",) if c in frame.columns]).copy()
    for d, labels in frame.attrs.get("labels", {}).items():
        if d in out.columns and labels and any(str(k) != str(v) for k, v in labels.items()):
            out.insert(out.columns.get_loc(d) + 1, f"{d}_label", out[d].map(labels))
    return out
