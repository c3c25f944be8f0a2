"""SSB tables: download through PxWebApi, import files downloaded by hand, build a dataset.

``helsemod data fetch`` -> :func:`fetch`; ``helsemod data import`` -> :func:`import_files`;
``helsemod data build`` from an import folder -> :func:`build_dataset`.

The API: SSB's **PxWebApi v2** (``https://data.ssb.no/api/pxwebapi/v2``), SSB's current API
(the older v0 answers POST queries at ``https://data.ssb.no/api/v0/en/table/{id}``). v2 takes
the whole query in the URL of a plain GET, which keeps the one function that talks to the
network (:func:`_http_get`) small::

    GET {API}/tables/07459/metadata?lang=en&outputFormat=json-stat2
    GET {API}/tables/07459/data?lang=en&outputFormat=json-stat2
        &codelist[Region]=agg_KommSummer&outputValues[Region]=aggregated&valueCodes[Region]=*
        &valueCodes[Kjonn]=1,2&valueCodes[Alder]=000,001,...&valueCodes[ContentsCode]=Personer1
        &valueCodes[Tid]=from(2015)

Each table is fetched in two steps: its metadata (dimension ids and codes, as JSON-stat2),
then the data, split into queries of at most :data:`CELL_LIMIT` cells (SSB's limit per
query) along one dimension (:attr:`TableSpec.chunk`), with a pause of :data:`PAUSE_S`
between requests (SSB allows about 30 queries a minute). Failures are retried with
exponential backoff; without a network, one line tells the user to download by hand and
use :func:`import_files`. The dimension codes of :data:`TABLES` are SSB's as far as they
are known here (see :mod:`helsemod_py.data.jsonstat` and, for the health-personnel tables,
:mod:`helsemod_py.data.staff`, which says which codes are verified and which assumed); a wrong
one fails with SSB's own message (HTTP 400) or as a missing dimension in the metadata, never
silently. The personnel tables are fetched with Norwegian labels (``lang=no``): their
categories are read by label where the code is not verified.

Cache layout (``fetch(..., cache_dir)``)::

    <cache>/<table>/<UTC timestamp>.json          raw response (or <stamp>-part01.json, ...)
    <cache>/<table>/<UTC timestamp>-metadata.json raw metadata response
    <cache>/<table>/query.json                    the queries of the latest download
    <cache>/<table>/meta.json                     table, API, URLs, queries, download dates, sha256

Nothing is written for a table until all its responses have arrived and parse as JSON-stat2.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import http.client
import itertools
import json
import math
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from ..errors import ImportDataError, quote
from . import jsonstat as J
from . import staff as S

API = "https://data.ssb.no/api/pxwebapi/v2"
LANG = "en"
#: SSB's limit on the number of cells in one query.
CELL_LIMIT = 800_000
#: Seconds between two requests (SSB allows about 30 queries per minute and IP address).
PAUSE_S = 2.1
TIMEOUT_S = 60.0
OFFLINE_HINT = "check your network or use `helsemod data import` with files downloaded by hand"

AGE_CODES = tuple(f"{a:03d}" for a in range(105)) + ("105+",)  #: Alder codes of 07459


@dataclass(frozen=True)
class TableSpec:
    """One SSB table the model uses: what it is, how to query it, how to convert it.

    ``select``: dimension -> value codes (``"*"``, ``"from(2015)"``, ``"top(3)"`` or a tuple of
    codes); dimensions not named get ``"*"``. ``codelist``/``output_values``: PxWebApi v2's
    ``codelist[...]`` and ``outputValues[...]`` (e.g. SSB's aggregation to today's
    municipalities). ``chunk``: the dimension along which a query is split when it would
    exceed :data:`CELL_LIMIT`. ``kind``: ``population``, ``projection``, ``kostra``, ``staff``
    or ``employed`` (which converter :func:`import_files` uses). ``lang``: the labels' language.
    """

    id: str
    description: str
    used_for: str
    kind: str
    select: dict = field(default_factory=dict)
    codelist: dict = field(default_factory=dict)
    output_values: dict = field(default_factory=dict)
    chunk: str = "Tid"
    lang: str = LANG

    @property
    def converter(self) -> Callable:
        """The function turning the parsed table into the project's table."""
        return {"population": J.population_from_jsonstat, "projection": J.projection_from_jsonstat,
                "staff": S.staff_from_jsonstat, "employed": S.employed_from_jsonstat}.get(self.kind, J.long_table)

    def queries(self, metadata: dict[str, list[str]], cell_limit: int = CELL_LIMIT) -> list[dict[str, str]]:
        """The URL parameters of the data queries, given the table's metadata (dimension ->
        codes); split along :attr:`chunk` so each query has at most ``cell_limit`` cells
        (counted on the metadata's codes: an upper bound where a codelist aggregates)."""
        for d in list(self.select) + list(self.codelist):
            if d not in metadata:
                raise ImportDataError(f"table {self.id}: SSB's metadata has no dimension {d!r} "
                                      f"(dimensions: {', '.join(metadata)}); the query in TABLES needs updating")
        chosen = {d: _resolve(self.select.get(d, "*"), codes, self.id, d) for d, codes in metadata.items()}
        pieces = _split_plan(chosen, self.chunk, cell_limit)
        out = []
        for combo in itertools.product(*(pieces[d] for d in metadata)):
            params = {"lang": self.lang, "outputFormat": "json-stat2"}
            for d, piece in zip(metadata, combo):
                if d in self.codelist:
                    params[f"codelist[{d}]"] = self.codelist[d]
                if d in self.output_values:
                    params[f"outputValues[{d}]"] = self.output_values[d]
                sel = self.select.get(d, "*")
                if piece is not None:
                    params[f"valueCodes[{d}]"] = ",".join(piece)
                else:
                    params[f"valueCodes[{d}]"] = sel if isinstance(sel, str) else ",".join(sel)
            out.append(params)
        return out


def _split_plan(chosen: dict[str, list[str]], first: str, limit: int) -> dict[str, list]:
    """Pieces of each dimension's codes (``[None]`` = not split) so every query has at most
    ``limit`` cells: split ``first`` first, then the largest other dimensions as needed."""
    sizes = {d: max(1, len(v)) for d, v in chosen.items()}
    pieces: dict[str, list] = {d: [None] for d in chosen}
    cells = math.prod(sizes.values())
    order = ([first] if first in chosen else []) + sorted((d for d in chosen if d != first), key=lambda d: -sizes[d])
    for d in order:
        if cells <= limit:
            break
        others = cells // sizes[d]
        per = max(1, limit // max(1, others))
        if per < sizes[d]:
            codes = chosen[d]
            pieces[d] = [codes[i:i + per] for i in range(0, len(codes), per)]
            cells = others * per
    return pieces


def _resolve(sel, codes: list[str], table: str, dim: str) -> list[str]:
    if isinstance(sel, (tuple, list)):
        missing = [c for c in sel if c not in codes]
        if missing:
            raise ImportDataError(f"table {table}: dimension {dim!r}: SSB's metadata has no code {missing[0]!r}")
        return list(sel)
    sel = str(sel).strip()
    if sel == "*":
        return list(codes)
    m = re.fullmatch(r"from\((.+)\)", sel)
    if m:
        return [c for c in codes if c >= m.group(1)]
    m = re.fullmatch(r"top\((\d+)\)", sel)
    if m:
        return list(codes[-int(m.group(1)):])
    return [sel]


_POP = dict(select={"Region": "*", "Kjonn": ("1", "2"), "Alder": "*", "ContentsCode": ("Personer1",),
                    "Tid": "from(2015)"},
            codelist={"Region": "agg_KommSummer"}, output_values={"Region": "aggregated"}, chunk="Alder")
_PROJ = dict(select={"Region": "*", "Kjonn": ("1", "2"), "Alder": "*", "ContentsCode": "*", "Tid": "*"},
             chunk="Alder")
_KOSTRA = dict(select={"Tid": "from(2015)"}, chunk="Tid")
_STAFF = "staff.csv: agreed FTE by level, region, year, sector and personnel group (see helsemod_py.data.staff)"
_UNVERIFIED = "codes not verified against SSB's metadata are read by their labels (staff.py says which)"


def _personnel(table: str, **select) -> dict:
    """The query of a personnel table: every code of its region and category dimensions (named, so
    that a wrong dimension id fails against SSB's metadata before any download), Norwegian labels."""
    conf = S.CONFS[table]
    return dict(select={conf.region: "*", conf.category: "*", **select}, lang="no")

#: The SSB tables the model uses (id -> :class:`TableSpec`).
TABLES: dict[str, TableSpec] = {s.id: s for s in (
    TableSpec("07459", "Population 1 January by region, sex, one-year age and year (municipalities summed to "
                       "today's borders: agg_KommSummer)",
              "population history: base-year population, fertility and net migration (data build)",
              "population", **_POP),
    TableSpec("14288", "Projected population 1 January by region, sex, age and year, all alternatives "
                       "(2024 projections)",
              "external population projection as the demand driver (scenario population_driver: source: file)",
              "projection", **_PROJ),
    TableSpec("14746", "Projected population 1 January by region, sex, age and year, all alternatives "
                       "(assumed the same layout as 14288)",
              "external population projection as the demand driver", "projection", **_PROJ),
    TableSpec("04686", "KOSTRA: municipal health and care services (kept as a long table)",
              "KOSTRA care panel: users of home-based services", "kostra", **_KOSTRA),
    TableSpec("12292", "KOSTRA: residents of institutions and users of home-based services by need and age",
              "KOSTRA care panel: nursing-home residents and home-care users by age", "kostra", **_KOSTRA),
    TableSpec("11645", "KOSTRA: municipal care services (kept as a long table)",
              "KOSTRA care panel", "kostra", **_KOSTRA),
    TableSpec("11924", "KOSTRA: agreed FTE in municipal care services by education, municipalities, 2015-2023 "
                       "(closed). Verified: KOKkommuneregion0000, KOKkyrk200000 (KF01-KF04 nurse categories), "
                       f"ContentsCode KOSARBAARSVERKST0000; {_UNVERIFIED}",
              _STAFF + ", sector care", "staff",
              **_personnel("11924", ContentsCode=("KOSARBAARSVERKST0000",), Tid="from(2015)")),
    TableSpec("14534", "KOSTRA: FTE in municipal care services by position type and education, 2015-. Verified: "
                       "KOKkommuneregion0000, KOKstillingkode0000 (TOT), KOKutdanningoms0000 (01 = all nurses), "
                       f"ContentsCode KOSARBAARSVERKST0000; {_UNVERIFIED}",
              _STAFF + ", sector care", "staff",
              **_personnel("14534", KOKstillingkode0000=("TOT",), ContentsCode=("KOSARBAARSVERKST0000",),
                           Tid="from(2015)")),
    TableSpec("11996", "KOSTRA: physician FTE in municipal health and care services by agreement and function. "
                       "Verified: KOKkommuneregion0000, KOKavtaleform0000 (sum), KOKfunksjon0000 (FGK10, 120, 232, "
                       "233, 241, 253, 256), ContentsCode KOSlegeaarsverk0000",
              _STAFF + ": GPs (function 241) and other physicians, sectors primary and care", "staff",
              **_personnel("11996", KOKavtaleform0000=("sum",), ContentsCode=("KOSlegeaarsverk0000",),
                           Tid="from(2015)")),
    TableSpec("13953", "Agreed FTE in the specialist health service by health trust, occupation and service area. "
                       "Verified: HelseReg (organisation numbers), Yrke (TOT, 01-19, 20a, 20b, 21-27, 99), "
                       "HelseTjenomr (TOT), ContentsCode Arsverk",
              _STAFF + ", level trust, sector specialist", "staff",
              **_personnel("13953", HelseTjenomr=("TOT",), ContentsCode=("Arsverk",))),
    TableSpec("07940", "Employed persons with health and social education by municipality (summed to today's "
                       "borders), education, age and industry. Verified (a public client's query): Region with "
                       "agg_KommSummer, UtdHelse, Alder 999A, NACE2007 86-87, ContentsCode Sysselsatte; the UtdHelse "
                       "codes are read by their labels",
              "employed.csv: employed persons with each health education by municipality and year, in human "
              "health and residential care (NACE 86-87)", "employed",
              codelist={"Region": "agg_KommSummer"}, output_values={"Region": "aggregated"},
              **_personnel("07940", Alder=("999A",), NACE2007=("86-87",), ContentsCode=("Sysselsatte",),
                           Tid="from(2015)")),
    TableSpec("07944", "Employed persons in health and social services with health education by sector and "
                       "municipality, 2008-2019 (closed). Assumed: dimensions Region and UtdHelse (as 07940); the "
                       "contents and the totals of the other dimensions (sector, sex) are found by their labels",
              "employed.csv (2015-2019: municipality codes are mapped from 2015 on)", "employed",
              **_personnel("07944", Tid="from(2015)")),
)}
#: Projection tables read from SSB's long CSV (earlier vintages: 2020 and 2022 projections).
EXTRA_PROJECTION_TABLES = ("12882", "13600")


# --- HTTP -------------------------------------------------------------------------------------
def data_url(table: str, params: dict[str, str]) -> str:
    """The v2 data URL of one query."""
    return f"{API}/tables/{table}/data?" + _encode(params)


def metadata_url(table: str, lang: str = LANG) -> str:
    return f"{API}/tables/{table}/metadata?" + _encode({"lang": lang, "outputFormat": "json-stat2"})


def _encode(params: dict[str, str]) -> str:
    return "&".join(f"{urllib.parse.quote(k, safe='[]')}={urllib.parse.quote(str(v), safe=',()*-:')}"
                    for k, v in params.items())


def _http_get(url: str, opener, timeout: float) -> bytes:
    """The one real HTTP call: GET ``url`` and return the body."""
    from .._version import __version__

    req = urllib.request.Request(url, headers={"Accept": "application/json",
                                               "User-Agent": f"helsemod/{__version__}"})
    with opener(req, timeout=timeout) as resp:
        return resp.read()


def _download(url: str, table: str, opener, retries: int, backoff: float, sleep, timeout: float) -> bytes:
    """GET with retries: network errors, HTTP 429 and 5xx are retried after ``backoff * 2**k``
    seconds; other HTTP errors are final. Raises :class:`ImportDataError` with one line."""
    last = None
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            return _http_get(url, opener, timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                last = ("http", exc.code, exc.reason)
                continue
            body = ""
            try:
                body = exc.read().decode("utf-8", errors="replace").strip().replace("\n", " ")[:200]
            except Exception:  # noqa: BLE001 - the body is only a hint
                pass
            raise ImportDataError(f"table {table}: SSB PxWebApi refused the query (HTTP {exc.code} {exc.reason}"
                                  f"{': ' + body if body else ''}): {url}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            last = ("net", type(exc).__name__, str(reason))
    attempts = f"{retries + 1} attempt{'s' if retries else ''}"
    if last and last[0] == "http":
        raise ImportDataError(f"table {table}: SSB PxWebApi answered HTTP {last[1]} {last[2]} after {attempts}: "
                              f"try again later or use `helsemod data import` with files downloaded by hand")
    raise ImportDataError(f"SSB PxWebApi not reachable ({last[1]}: {last[2]}; {attempts}): {OFFLINE_HINT}")


def _stamp(now: _dt.datetime | None) -> tuple[str, str]:
    now = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ"), now.isoformat(timespec="seconds").replace("+00:00", "Z")


def _write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (temporary file in the same folder, then rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fetch(tables=None, cache_dir="ssb-cache", opener=urllib.request.urlopen, retries: int = 3,
          backoff: float = 2.0, *, cell_limit: int = CELL_LIMIT, pause: float = PAUSE_S,
          sleep: Callable[[float], None] = time.sleep, timeout: float = TIMEOUT_S,
          now: _dt.datetime | None = None) -> list[Path]:
    """Download SSB tables (ids of :data:`TABLES`; default all) into ``cache_dir``.

    For each table: its metadata, then the data queries of :meth:`TableSpec.queries`; every
    response must parse as JSON-stat2 of that table. Returns the paths of the raw data files
    (several per table where the query was split), ready for :func:`import_files`.
    ``opener``: ``urllib.request.urlopen`` or a stand-in (tests); ``retries`` extra attempts
    per request, waiting ``backoff * 2**k`` seconds; ``sleep`` does the waiting.
    """
    ids = list(TABLES) if not tables else [str(t).strip() for t in tables]
    unknown = [t for t in ids if t not in TABLES]
    if unknown:
        raise ImportDataError([f"unknown table {t!r} (known: {', '.join(TABLES)})" for t in unknown])
    cache = Path(cache_dir)
    out: list[Path] = []
    first = True
    for tid in ids:
        spec = TABLES[tid]
        got = []

        def get(url):
            nonlocal first
            if not first and pause:
                sleep(pause)
            first = False
            return _download(url, tid, opener, retries, backoff, sleep, timeout)

        murl = metadata_url(tid, spec.lang)
        mraw = get(murl)
        _, metadata = J.metadata_dimensions(mraw, label=f"table {tid} (metadata from {murl})")
        for params in spec.queries(metadata, cell_limit):
            url = data_url(tid, params)
            raw = get(url)
            J.parse_jsonstat2(raw, table=tid, label=f"table {tid} (response of {url})")
            got.append((params, url, raw))
        stamp, iso = _stamp(now)
        folder = cache / tid
        folder.mkdir(parents=True, exist_ok=True)
        names = [f"{stamp}.json"] if len(got) == 1 else [f"{stamp}-part{i + 1:02d}.json" for i in range(len(got))]
        for name, (_, _, raw) in zip(names, got):
            _write_bytes(folder / name, raw)
        _write_bytes(folder / f"{stamp}-metadata.json", mraw)
        queries = [{"url": url, "params": params} for params, url, _ in got]
        _write_bytes(folder / "query.json", json.dumps({"table": tid, "api": API, "queries": queries},
                                                       indent=2, ensure_ascii=False).encode())
        meta_path = folder / "meta.json"
        history = []
        if meta_path.is_file():
            try:
                history = json.loads(meta_path.read_text()).get("downloads", [])
            except (ValueError, AttributeError, RecursionError):
                history = []
        record = {
            "downloaded": iso,
            "metadata": {"file": f"{stamp}-metadata.json", "url": murl, "sha256": _sha(mraw)},
            "files": [{"file": n, "url": url, "query": params, "sha256": _sha(raw), "bytes": len(raw)}
                      for n, (params, url, raw) in zip(names, got)],
        }
        meta = {"table": tid, "description": spec.description, "used_for": spec.used_for, "api": API,
                "downloaded": iso, "files": record["files"], "downloads": history + [record]}
        _write_bytes(meta_path, json.dumps(meta, indent=2, ensure_ascii=False).encode())
        out += [folder / n for n in names]
    return out


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- import -----------------------------------------------------------------------------------
#: Table id -> kind, for files of tables not fetched through :data:`TABLES`.
KINDS = {**{t: s.kind for t, s in TABLES.items()}, **{t: "projection" for t in EXTRA_PROJECTION_TABLES}}
_CACHE_FILES = re.compile(r"^(meta|query)\.json$|-metadata\.json$")
POPULATION_FILE = "population.csv"
MUNICIPALITIES_FILE = "municipalities.csv"
KOSTRA_PANEL_FILE = "kostra_care_panel.csv"
MANIFEST_FILE = "manifest.json"


@dataclass
class _Input:
    path: Path
    sha256: str
    fmt: str  # json-stat2 | ssb-csv | population-csv | kostra-panel
    table: str | None
    kind: str
    frame: pd.DataFrame | None = None
    years: list = field(default_factory=list)


def _identify(path: Path) -> _Input | None:
    """Read one file and tell what it is; None for a cache bookkeeping file (skipped)."""
    if _CACHE_FILES.search(path.name):
        return None
    data = J.read_input(path)
    sha = _sha(data)
    head = data[:4096].decode("utf-8-sig", errors="replace").lstrip()
    if head.startswith("{") or head.startswith("["):
        frame = J.parse_jsonstat2(data, label=path.name)
        table = frame.attrs.get("table") or _table_from_name(path)
        if table is None:
            raise ImportDataError(f"{path.name}: cannot tell which SSB table this is (no 'extension.px.tableid', "
                                  "no table number in the label, the file name or its folder)")
        kind = _kind(table, path.name)
        frame["_file"] = path.name
        return _Input(path, sha, "json-stat2", table, kind, frame, _frame_years(frame))
    header = [c.strip().lower() for c in re.split(r"[,;]", head.splitlines()[0] if head else "")]
    header = [c.strip('"') for c in header]
    if "kommunenr_2024" in header:
        return _Input(path, sha, "kostra-panel", None, "kostra-panel")
    if {"year", "age", "male", "female"} <= set(header):
        if "kommune_nr" not in header:
            level = "county" if "fylke_nr" in header else "nation"
            raise ImportDataError(f"{path.name}: population by {level}: the dataset needs municipalities "
                                  "(column 'kommune_nr')")
        return _Input(path, sha, "population-csv", "07459", "population")
    if any(c in J.CSV_VALUE_COLUMNS for c in header):
        frame = J.read_ssb_csv(path)
        table = frame.attrs.get("table") or _table_from_name(path)
        if table is None:
            kind = "projection" if J.alternatives(frame) and "MMMM" in J.alternatives(frame) else None
            if kind is None:
                raise ImportDataError(f"{path.name}: cannot tell which SSB table this is (no 'Tabell' column, no "
                                      "table number in the file name)")
        else:
            kind = _kind(table, path.name)
        frame["_file"] = path.name
        return _Input(path, sha, "ssb-csv", table, kind, frame, _frame_years(frame))
    raise ImportDataError(f"{path.name}: neither JSON-stat2 nor an SSB CSV this tool reads "
                          f"(first line: {quote(', '.join(header[:8]))})")


def _table_from_name(path: Path) -> str | None:
    for text in (path.name, path.parent.name):
        m = re.search(r"(?<!\d)(\d{5})(?!\d)", text)
        if m and (m.group(1) in KINDS or text == path.parent.name):
            return m.group(1)
    m = re.search(r"ssb(\d{5})", path.name)
    return m.group(1) if m else None


def _kind(table: str, name: str) -> str:
    if table not in KINDS:
        raise ImportDataError(f"{name}: wrong table: {table} is not one the model reads "
                              f"(known: {', '.join(sorted(KINDS))})")
    return KINDS[table]


def _frame_years(frame: pd.DataFrame) -> list[int]:
    col = next((c for c in frame.columns if c.lower() == "tid"), None)
    if col is None:
        return []
    y = pd.to_numeric(pd.Series(pd.unique(frame[col])).astype(str).str[:4], errors="coerce").dropna()
    return sorted(int(v) for v in y)


def import_files(files, out_dir, force: bool = False, *, municipalities=None, years=None,
                 alternatives=("MMMM",), base_population=None, base_year: int | None = None) -> Path:
    """Convert SSB files (JSON-stat2 or SSB CSV, downloaded by hand or by :func:`fetch`) into
    an import folder, written atomically (nothing is left behind on any error):

    * ``population.csv`` -- 07459 as ``kommune_nr, year, age, male, female, total`` (what
      :func:`helsemod_py.data.ssb.read_population` reads); from JSON-stat2 / SSB CSV (several
      files of 07459, e.g. the parts of one download, are joined; a row twice is an error) or
      from a population CSV in that format (checked and copied);
    * ``projection_<table>_<ALT>.csv`` -- each projection table and alternative
      (``alternatives``; ``"all"`` for every one in the file) in the scenario driver's format
      (``region, year, sex, age, value``); age groups and missing sexes are split in
      proportion to the imported population (or ``base_population``, a population CSV) of
      ``base_year`` (default its last year), see :func:`~helsemod_py.data.jsonstat.projection_from_jsonstat`;
    * ``kostra_care_panel.csv`` -- the KOSTRA panel, checked and passed through unchanged;
      ``kostra_<table>.csv`` -- other KOSTRA tables as long tables (one row per cell, codes and
      labels);
    * ``staff.csv`` -- the personnel tables 11924, 14534, 11996 and 13953 (JSON-stat2) as one
      staff table, and ``employed.csv`` -- 07940 / 07944, see :mod:`helsemod_py.data.staff`
      (several tables are joined; a cell given by two tables is an error). Split municipalities
      are shared out by the imported population where there is one;
    * ``municipalities.csv`` -- the municipality list (``municipalities``), checked and copied;
    * ``manifest.json`` -- every input (name, sha256, format, table, years), the outputs, and
      notes (dropped regions, splitting assumptions).

    ``municipalities``: SSB's municipality list (``kommuner_2024.csv``): region codes are
    checked against it, every municipality must be in the population, and projection CSVs
    with region names need it. ``years``: the years the population must cover.
    """
    from .._atomic import write_atomic_dir
    from .ssb import read_municipalities

    paths = [Path(f) for f in files]
    if not paths:
        raise ImportDataError("no input files given")
    inputs = [i for i in (_identify(p) for p in paths) if i is not None]
    if not inputs:
        raise ImportDataError("no input files left (only cache bookkeeping files: meta.json, query.json, metadata)")
    regions = read_municipalities(municipalities) if municipalities else None
    writers: dict[str, Callable] = {}
    outputs: dict[str, dict] = {}
    notes: list[str] = []
    produced: dict[int, str] = {}
    history = _import_population(inputs, regions, years, writers, outputs, notes, produced)
    _import_projections(inputs, regions, history, alternatives, base_population, base_year, writers, outputs, notes,
                        produced)
    _import_personnel(inputs, regions, history, writers, outputs, notes, produced)
    _import_kostra(inputs, regions, writers, outputs, produced)
    if regions is not None:
        src = Path(municipalities)
        writers[MUNICIPALITIES_FILE] = lambda p: p.write_bytes(src.read_bytes())
        outputs[MUNICIPALITIES_FILE] = {"content": "municipality list (checked, copied)",
                                        "municipalities": len(regions)}
    manifest = _import_manifest(inputs, municipalities if regions is not None else None, outputs, notes, produced)
    writers[MANIFEST_FILE] = lambda p: p.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return write_atomic_dir(out_dir, writers, force=force)


def _import_population(inputs, regions, years, writers, outputs, notes, produced):
    """``population.csv`` from the 07459 inputs (JSON-stat2 / SSB CSV parts, or one population CSV);
    returns the population history (None without population inputs)."""
    from .ssb import read_population

    pop_inputs = [i for i in inputs if i.kind == "population"]
    if not pop_inputs:
        return None
    csvs = [i for i in pop_inputs if i.fmt == "population-csv"]
    others = [i for i in pop_inputs if i.fmt != "population-csv"]
    if csvs and others or len(csvs) > 1:
        raise ImportDataError(f"{pop_inputs[1].path.name}: a second population source "
                              f"(with {pop_inputs[0].path.name}); give one population table")
    if csvs:
        history = read_population(csvs[0].path, regions, level="municipality")
        csvs[0].years = [int(y) for y in history.years]
        if years is not None:
            J._check_years(history.years, years, csvs[0].path.name, "year")
        writers[POPULATION_FILE] = lambda p, src=csvs[0].path: p.write_bytes(src.read_bytes())
    else:
        frame = pd.concat([i.frame for i in others], ignore_index=True)
        frame.attrs = dict(others[0].frame.attrs)
        label = " + ".join(i.path.name for i in others) if len(others) <= 3 else \
            f"table 07459 ({len(others)} files)"
        history = J.population_from_jsonstat(frame, regions, years=years, label=label, notes=notes)
        writers[POPULATION_FILE] = lambda p, h=history: J.write_population_csv(h, p)
    for i in pop_inputs:
        produced[id(i)] = POPULATION_FILE
    outputs[POPULATION_FILE] = {"content": "population 1 January by municipality, year, sex and age (07459)",
                                "years": [int(history.years[0]), int(history.years[-1])],
                                "municipalities": len(history.regions),
                                "persons_last_year": float(history.at(int(history.years[-1])).sum())}
    return history


def _import_projections(inputs, regions, history, alternatives, base_population, base_year, writers, outputs, notes,
                        produced) -> None:
    """``projection_<table>_<ALT>.csv`` for each projection table and wanted alternative."""
    from .ssb import read_population

    proj_inputs = [i for i in inputs if i.kind == "projection"]
    if not proj_inputs:
        return
    base = history
    if base_population is not None:
        base = read_population(base_population, regions, level="municipality")
    by_table: dict[str, list[_Input]] = {}
    for i in proj_inputs:
        by_table.setdefault(i.table or "projection", []).append(i)
    for table, group in by_table.items():
        frame = pd.concat([i.frame for i in group], ignore_index=True)
        frame.attrs = dict(group[0].frame.attrs)
        label = " + ".join(i.path.name for i in group)
        found = J.alternatives(frame) or {"": ""}
        wanted = list(found) if alternatives == "all" or alternatives == ("all",) else list(alternatives)
        if base is not None and history is not None:
            last = int(history.years[-1]) if base_year is None else base_year
            have = set(_frame_years(frame))
            if have and last not in have:
                raise ImportDataError(f"{label}: dimension 'Tid': the file is for the wrong years: it has "
                                      f"{J._span(have)}, which does not include the population's base year "
                                      f"{last}")
        for alt in wanted:
            if alt and found != {"": ""} and alt not in found:
                raise ImportDataError(f"{label}: alternative {alt!r} not found "
                                      f"(alternatives: {', '.join(found)})")
            long = J.projection_from_jsonstat(frame, alternative=alt or "MMMM", regions=regions, base=base,
                                              base_year=base_year, label=label)
            notes += long.attrs.get("notes", [])
            name = f"projection_{table}_{alt or 'main'}.csv"
            writers[name] = lambda p, d=long: J.write_projection(d, p)
            outputs[name] = {"content": f"population projection {table}, alternative {alt or '(only one)'}, "
                                        "scenario driver format (region, year, sex, age, value)",
                             "years": [int(long["year"].min()), int(long["year"].max())],
                             "municipalities": int(long["region"].nunique())}
        for i in group:
            produced[id(i)] = ", ".join(f"projection_{table}_{a or 'main'}.csv" for a in wanted)


def _import_kostra(inputs, regions, writers, outputs, produced) -> None:
    """``kostra_care_panel.csv`` (checked, passed through) and other KOSTRA tables as long tables."""
    panels = [i for i in inputs if i.kind == "kostra-panel"]
    if len(panels) > 1:
        raise ImportDataError(f"{panels[1].path.name}: a second KOSTRA care panel (with {panels[0].path.name}); "
                              "give one")
    for i in panels:
        from .kostra import read_kostra

        panel = read_kostra(i.path, regions)
        i.years = sorted(int(y) for y in panel["year"].unique())
        writers[KOSTRA_PANEL_FILE] = lambda p, src=i.path: p.write_bytes(src.read_bytes())
        outputs[KOSTRA_PANEL_FILE] = {"content": "KOSTRA care panel (checked, passed through unchanged)",
                                      "years": [i.years[0], i.years[-1]]}
        produced[id(i)] = KOSTRA_PANEL_FILE
    tables: dict[tuple[str, str], list[_Input]] = {}
    for i in inputs:
        if i.kind == "kostra":
            tables.setdefault((i.kind, i.table), []).append(i)
    for (kind, table), group in tables.items():
        name = f"{kind}_{table}.csv"
        frame = pd.concat([i.frame for i in group], ignore_index=True)
        frame.attrs = dict(group[0].frame.attrs)
        dims = [c for c in frame.columns if c not in ("value", "status", "_file")]
        J._check_duplicates(frame, dims, " + ".join(i.path.name for i in group))
        writers[name] = lambda p, t=J.long_table(frame): t.to_csv(p, index=False)
        yrs = sorted({y for i in group for y in i.years})
        outputs[name] = {"content": f"SSB table {table} as a long table (one row per cell, codes and labels)",
                         "years": [yrs[0], yrs[-1]] if yrs else []}
        for i in group:
            produced[id(i)] = name


def _import_manifest(inputs, municipalities, outputs, notes, produced) -> dict:
    """The import folder's manifest: every input (name, sha256, format, table, years), outputs, notes."""
    _, iso = _stamp(None)
    listed = [{"name": i.path.name, "sha256": i.sha256, "format": i.fmt, "table": i.table, "kind": i.kind,
               "years": [min(i.years), max(i.years)] if i.years else [], "output": produced.get(id(i))}
              for i in inputs]
    if municipalities is not None:
        listed.append({"name": Path(municipalities).name, "sha256": _sha(Path(municipalities).read_bytes()),
                       "format": "csv", "table": None, "kind": "municipalities", "years": [],
                       "output": MUNICIPALITIES_FILE})
    return {"package": "helsemod_py", "created": iso, "tool": "helsemod data import", "inputs": listed,
            "outputs": outputs, "notes": notes}


def _import_personnel(inputs, regions, history, writers, outputs, notes, produced) -> None:
    """``staff.csv`` and ``employed.csv`` from the inputs of kind ``staff`` / ``employed``."""
    weights = None
    if history is not None:
        last = history.at(int(history.years[-1]))
        weights = {c: float(last[i].sum()) for i, c in enumerate(history.regions.codes)}
    for kind, name in (("staff", S.STAFF_FILE), ("employed", S.EMPLOYED_FILE)):
        group = [i for i in inputs if i.kind == kind]
        if not group:
            continue
        for i in (i for i in group if i.fmt != "json-stat2"):
            raise ImportDataError(f"{i.path.name}: table {i.table} is read as JSON-stat2 only (its categories "
                                  "are mapped by code): download it with format json-stat2")
        frames: dict[str, list] = {}
        for i in group:
            frames.setdefault(i.table, []).append(i.frame)
            produced[id(i)] = name
        table, more = S.import_tables(frames, kind, regions=regions, weights=weights)
        notes += more
        writers[name] = lambda p, t=table, k=kind: S.write_table(t, p, k)
        outputs[name] = {"content": f"{kind} table of SSB {', '.join(table.attrs['tables'])} ({name})",
                         "years": [int(table["year"].min()), int(table["year"].max())], "rows": len(table)}


# --- build -------------------------------------------------------------------------------------
def build_dataset(import_dir, municipalities=None, base_year: int | None = None, first_year: int | None = None,
                  kostra_year: int | None = None, name: str = "ssb", national_csv=None,
                  trend_first_year: int | None = None):
    """A :class:`~helsemod_py.data.dataset.Dataset` from an import folder (:func:`import_files`):
    :func:`~helsemod_py.data.ssb.dataset_from_ssb` on its ``population.csv`` and municipality
    list (``municipalities``, else the folder's ``municipalities.csv``; trends from
    ``national_csv`` where given), calibrated with its KOSTRA panel where there is one. The
    import manifest is recorded in the dataset's metadata. The caller saves it (``dataset.save(out_dir, force=...)``, atomic).
    """
    from .ssb import dataset_from_ssb

    folder = Path(import_dir)
    if not folder.is_dir():
        raise ImportDataError(f"{folder}: import folder not found (run `helsemod data import` first)")
    pop = folder / POPULATION_FILE
    if not pop.is_file():
        raise ImportDataError(f"{folder}: no {POPULATION_FILE} (import a 07459 population file)")
    muni = Path(municipalities) if municipalities else folder / MUNICIPALITIES_FILE
    if not muni.is_file():
        raise ImportDataError(f"{folder}: no {MUNICIPALITIES_FILE}: give the municipality list "
                              "(kommuner_2024.csv) to the import or the build")
    ds = dataset_from_ssb(pop, muni, base_year=base_year, first_year=first_year, name=name, national_csv=national_csv,
                          trend_first_year=trend_first_year)
    staff_file, employed_file = folder / S.STAFF_FILE, folder / S.EMPLOYED_FILE
    staff = S.read_staff_table(staff_file) if staff_file.is_file() else None
    employed = S.read_employed_table(employed_file) if employed_file.is_file() else None
    kostra = folder / KOSTRA_PANEL_FILE
    if kostra.is_file():
        from .kostra import calibrate_from_file
        from .ssb import read_population

        ds = calibrate_from_file(ds, kostra, year=kostra_year, history=read_population(pop, ds.regions), staff=staff,
                                 employed=employed)
    elif staff is not None or employed is not None:
        from .default import with_measured
        from .regional import Measured, with_tables

        ds = with_measured(ds, with_tables(Measured(), kostra_year or ds.base_year, staff, employed))
    manifest = folder / MANIFEST_FILE
    if manifest.is_file():
        try:
            info = json.loads(manifest.read_text())
        except (ValueError, RecursionError):
            raise ImportDataError(f"{manifest}: not valid JSON") from None
        ds.meta = dict(ds.meta)
        ds.meta["import"] = {"folder": folder.name, "created": info.get("created"),
                             "inputs": [{k: i.get(k) for k in ("name", "sha256", "table", "years")}
                                        for i in info.get("inputs", [])]}
    return ds
