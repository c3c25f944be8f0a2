"""JSON-stat2 and SSB's long CSV read into one row per cell (see :mod:`.jsonstat` for the format
and the SSB tables' dimension codes): SSB's symbols, the dimension codes, :func:`load_json`,
:func:`parse_jsonstat2` and :func:`read_ssb_csv`."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _paths
from ..errors import ImportDataError, quote
from .inputs import check_input, read_input

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
