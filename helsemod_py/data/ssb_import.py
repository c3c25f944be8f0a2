"""SSB tables downloaded by hand (or by :func:`~.fetch.fetch`) imported into one folder
(:func:`import_files`, ``helsemod data import``) and a dataset built from that folder
(:func:`build_dataset`, ``helsemod data build``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from ..errors import ImportDataError, quote
from . import jsonstat as J
from . import staff as S
from .ssb_tables import EXTRA_PROJECTION_TABLES, TABLES, _sha, _stamp

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
