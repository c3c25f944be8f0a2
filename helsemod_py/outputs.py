"""Writing results: tidy tables and a manifest, atomically, never over existing results unasked."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import sys
from pathlib import Path

import pandas as pd

from ._version import __version__
from . import dims as D
from .errors import HelsemodError
from ._csv import to_csv, write_arrow
from ._atomic import write_atomic_dir  # noqa: F401  (re-exported: outputs.write_atomic_dir)
from .results import Projection

MANIFEST = "manifest.json"


RESULT_VARIABLES = ("supply_fte", "demand_fte", "gap", "care_nurse_fte", "population")


def _levels(projection: Projection) -> tuple[str, ...]:
    """Levels of a results table: trusts only where the projection has a catchment."""
    return tuple(lv for lv in D.RESULT_LEVELS if lv != "trust" or projection.catchment is not None)


def context(projection: Projection, municipalities=None) -> dict[str, set] | None:
    """The regions to keep at each level for a selection of municipalities (None: all): the
    municipalities, the trusts that serve them, their counties and the nation."""
    if municipalities is None:
        return None
    codes = list(map(str, projection.data["region"].values))
    chosen = [codes.index(c) for c in municipalities]
    out = {"municipality": set(municipalities), "nation": {D.NATION_CODE},
           "county": {str(projection.data["county"].values[i]) for i in chosen}}
    if projection.catchment is not None:
        w = projection.catchment.weights[:, chosen].sum(axis=1)
        out["trust"] = {t for t, x in zip(projection.catchment.codes, w) if x > 0}
    return out


def _keep(frame: pd.DataFrame, level: str, keep: dict | None) -> pd.DataFrame:
    return frame if keep is None else frame[frame["region"].isin(keep.get(level, set()))]


def long_table(projection: Projection, variables=RESULT_VARIABLES, municipalities=None) -> pd.DataFrame:
    """Tidy table of a projection at municipality, trust, county and nation level (one frame);
    each level holds the sectors it reports (a trust only its specialist services). With
    ``municipalities`` (codes), only those, the trusts serving them, their counties and the
    nation: the projection itself is always of the whole dataset."""
    keep = context(projection, municipalities)
    frames = []
    for level in _levels(projection):
        agg = projection.aggregate(level)
        names = [v for v in variables if level != "trust" or "sector" in agg.data[v].dims or v == "demand_fte"]
        frames.append(_keep(agg.to_frame(names), level, keep))
    return pd.concat(frames, ignore_index=True)


def long_arrow(projection: Projection, variables=RESULT_VARIABLES, municipalities=None):
    """:func:`long_table` as a :class:`pyarrow.Table` (the same rows in the same order), built
    without pandas: what ``results.csv`` is written from."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keep = context(projection, municipalities)
    tables = []
    for level in _levels(projection):
        agg = projection.aggregate(level)
        names = [v for v in variables if level != "trust" or "sector" in agg.data[v].dims or v == "demand_fte"]
        table = agg.to_arrow(names)
        if keep is not None:
            wanted = pa.array(sorted(keep.get(level, set())), type=pa.string())
            table = table.filter(pc.is_in(pc.cast(table["region"], pa.string()), value_set=wanted))
        tables.append(table)
    return pa.concat_tables(tables)


def provenance_table(projection: Projection, municipalities=None) -> pd.DataFrame:
    """Base-year FTE by provenance (measured, estimated, synthetic) at every level."""
    keep = context(projection, municipalities)
    return pd.concat([_keep(projection.aggregate(level).provenance(), level, keep) for level in _levels(projection)],
                     ignore_index=True)


def population_by_age(projection: Projection, municipalities=None) -> pd.DataFrame:
    """Population by sex and age for the nation and each county (of the selection) in the first
    and last year."""
    years = [int(projection.years[0]), int(projection.years[-1])]
    keep = context(projection, municipalities)
    frames = []
    for level in ("county", "nation"):
        agg = projection.aggregate(level)
        da = agg.population.sel(year=years)
        df = da.to_dataframe(name="value").reset_index()[["region", "year", "sex", "age", "value"]]
        df.insert(1, "region_level", level)
        frames.append(_keep(df, level, keep))
    return pd.concat(frames, ignore_index=True)


def manifest(projection: Projection, scenario_hash: str | None = None, seed: int | None = None,
             command: list[str] | None = None, extra: dict | None = None) -> dict:
    """What is needed to reproduce a result: data, scenario, seed, versions, command line."""
    import numba
    import numpy as np

    out = {
        "package": "helsemod_py",
        "package_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "scenario": projection.scenario,
        "scenario_hash": scenario_hash or hashlib.sha256(projection.scenario.encode()).hexdigest(),
        "dataset": projection.dataset_name,
        "dataset_hash": projection.dataset_hash,
        "synthetic": bool(projection.data.attrs.get("synthetic", False)),
        "seed": seed,
        "years": [int(projection.years[0]), int(projection.years[-1])],
        "command": command if command is not None else sys.argv,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
    }
    out.update(extra or {})
    meta = projection.data.attrs.get("dataset_meta")
    if meta:  # last: the long part (synthetic flags and sources), so a folder describes its data
        out["dataset_meta"] = json.loads(json.dumps(meta, default=str))
    return out


def write_results(projection: Projection, out_dir, force: bool = False, fmt: str = "csv",
                  manifest_extra: dict | None = None, scenario_hash: str | None = None,
                  seed: int | None = None, extra_tables: dict | None = None, municipalities=None) -> Path:
    """Write the long table (``results.csv``/``.parquet``/``.xlsx``), any ``extra_tables``
    (name -> DataFrame, as CSV) and ``manifest.json`` atomically. ``municipalities``: write only
    those with their trusts, counties and the nation (see :func:`long_table`)."""
    writers = {}
    if fmt == "csv":  # straight from the arrays to pyarrow: a fifth of a second for half a million rows
        arrow = long_arrow(projection, municipalities=municipalities)
        writers["results.csv"] = lambda p: write_arrow(arrow, p)
    elif fmt not in ("parquet", "xlsx"):
        raise HelsemodError(f"format {fmt!r}: allowed csv, parquet, xlsx")
    else:
        table = long_table(projection, municipalities=municipalities)
    if fmt == "parquet":
        writers["results.parquet"] = lambda p: table.to_parquet(p, index=False)
    elif fmt == "xlsx":
        from ._xlsx import write_excel

        sheets = {level: table[table.region_level == level] for level in _levels(projection)}
        writers["results.xlsx"] = lambda p: write_excel(sheets, p)
        # the CSV beside it keeps the folder readable by `helsemod plot` / `report`
        writers["results.csv"] = lambda p: to_csv(table, p)
    pyramid = population_by_age(projection, municipalities)
    writers["population_by_age.csv"] = lambda p: to_csv(pyramid, p)
    prov = provenance_table(projection, municipalities)
    writers["provenance.csv"] = lambda p: to_csv(prov, p)
    for name, frame in (extra_tables or {}).items():
        writers[name] = lambda p, f=frame: to_csv(f, p)
    extra = dict(manifest_extra or {})
    if municipalities is not None:
        extra["selection"] = sorted(municipalities)
    man = manifest(projection, scenario_hash=scenario_hash, seed=seed, extra=extra)
    writers[MANIFEST] = lambda p: p.write_text(json.dumps(man, indent=2, ensure_ascii=False), encoding="utf-8")
    return write_atomic_dir(out_dir, writers, force=force)
