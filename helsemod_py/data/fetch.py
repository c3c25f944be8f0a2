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

The tables are described in :mod:`.ssb_tables`, files imported and datasets built in
:mod:`.ssb_import`; this module downloads and re-exports both.
"""

from __future__ import annotations

import datetime as _dt
import http.client
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

from ..errors import ImportDataError
from . import jsonstat as J
# The tables and the importer, re-exported: callers use them as ``fetch.NAME``.
from .ssb_import import (KINDS, KOSTRA_PANEL_FILE, MANIFEST_FILE, MUNICIPALITIES_FILE,  # noqa: F401
                         POPULATION_FILE, build_dataset, import_files)
from .ssb_tables import (AGE_CODES, CELL_LIMIT, EXTRA_PROJECTION_TABLES, LANG, TABLES, TableSpec,  # noqa: F401
                         _sha, _stamp)

API = "https://data.ssb.no/api/pxwebapi/v2"
#: Seconds between two requests (SSB allows about 30 queries per minute and IP address).
PAUSE_S = 2.1
TIMEOUT_S = 60.0
OFFLINE_HINT = "check your network or use `helsemod data import` with files downloaded by hand"


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


