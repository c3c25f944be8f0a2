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

The parser lives in :mod:`.jsonstat_parse`, the reading of region, age, sex and year codes in
:mod:`.jsonstat_codes`; this module converts the parsed tables and re-exports both.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import dims as D
from ..errors import ImportDataError
from .inputs import MAX_FILE_BYTES, check_input, read_input  # noqa: F401  (re-exported)
# The parser and the code readers, re-exported: callers use them as ``jsonstat.NAME``.
from .jsonstat_codes import (RegionResolver, _ages, _check_duplicates, _check_years, _choose, _dim,  # noqa: F401
                             _expand_regions, _label, _map_unique, _span, _years, parse_age, parse_sex)
from .jsonstat_parse import (AGE, CONTENTS, CSV_COLUMNS, CSV_VALUE_COLUMNS, MAX_CELLS, NATION_CODES,  # noqa: F401
                             NATION_NAMES, NIL, NON_MUNICIPAL, POPULATION_CONTENTS, REGION, REGION_PREFIXES, SEX,
                             SEX_CODES, SUPPRESSED, TIME, TOTAL_LABELS, _MAX_SHOWN, load_json, metadata_dimensions,
                             parse_jsonstat2, read_ssb_csv, table_of)


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
