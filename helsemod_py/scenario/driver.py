"""External population projections as the demand driver (e.g. SSB's main alternative MMMM)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import _paths
from .. import dims as D
from ..errors import ScenarioError, quote

COLUMNS = ("region", "year", "sex", "age", "value")
_MAX_SHOWN = 5
#: Largest driver file read (every municipality, 2024-2050, one-year ages is about 90 MB).
MAX_BYTES = 128 * 2 ** 20


def read_population_projection(path, dataset, years) -> np.ndarray:
    """Persons ``[years, regions, sexes, ages]`` from a long CSV for the dataset's regions.

    Columns ``region, year, sex, age, value``: every region of the dataset, every year of
    ``years``, sexes male/female, ages 0..105 (105 = 105+). Rows for other years are
    ignored. Problems are reported one per line naming the file, row, column and value (a short
    quotation of it at most). Files over :data:`MAX_BYTES` are refused before reading.
    """
    path = Path(path)
    label = _paths.show(path.name)
    try:
        size = _paths.regular_file(path, "population projection file").stat().st_size
    except (ValueError, OSError) as exc:
        raise ScenarioError(str(exc) if isinstance(exc, ValueError) else f"{label}: {_paths.reason(exc)}") from None
    if size > MAX_BYTES:
        raise ScenarioError(f"{label}: population projection file of {size / 2 ** 20:.0f} MiB is larger than the limit "
                            f"of {MAX_BYTES / 2 ** 20:.0f} MiB")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a file problem
        raise ScenarioError(f"{label}: cannot be read ({type(exc).__name__}: {quote(str(exc), 80)})") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ScenarioError(f"{label}: missing column(s) {', '.join(missing)} (need {', '.join(COLUMNS)})")
    problems = []
    value = pd.to_numeric(frame["value"], errors="coerce")
    year = pd.to_numeric(frame["year"], errors="coerce")
    age = pd.to_numeric(frame["age"], errors="coerce")
    for col, num in (("value", value), ("year", year), ("age", age)):
        for i in np.flatnonzero(num.isna().to_numpy())[:_MAX_SHOWN]:
            problems.append(f"{label}: row {i + 2}: column {col!r}: {quote(frame[col].iloc[i])} is not a number")
    for i in np.flatnonzero((value < 0).to_numpy())[:_MAX_SHOWN]:
        problems.append(f"{label}: row {i + 2}: column 'value': {quote(frame['value'].iloc[i])} is negative")
    if problems:
        raise ScenarioError(problems)
    keep = year.isin(years).to_numpy()
    frame, value, year, age = frame[keep], value[keep], year[keep].astype(int), age[keep].astype(int)
    lookups = {
        "region": {c: i for i, c in enumerate(dataset.regions.codes)},
        "sex": {s: i for i, s in enumerate(D.SEXES)},
    }
    idx = {}
    for col, lookup in lookups.items():
        pos = frame[col].map(lookup)
        bad = list(dict.fromkeys(frame[col][pos.isna()]))
        allowed = ", ".join(lookup) if len(lookup) <= 10 else "the region codes of the dataset"
        problems += [f"{label}: column {col!r}: unknown code {quote(v)} (allowed: {allowed})" for v in bad[:_MAX_SHOWN]]
        idx[col] = pos
    bad_age = sorted(set(age[(age < 0) | (age > D.MAX_AGE)]))
    problems += [f"{label}: column 'age': {a} is outside 0..{D.MAX_AGE}" for a in bad_age[:_MAX_SHOWN]]
    if problems:
        raise ScenarioError(problems)
    year_pos = {int(y): i for i, y in enumerate(years)}
    shape = (len(years), len(dataset.regions), len(D.SEXES), len(D.AGES))
    flat = np.ravel_multi_index((year.map(year_pos).to_numpy(), idx["region"].to_numpy().astype(int),
                                 idx["sex"].to_numpy().astype(int), age.to_numpy()), shape)
    uniq, counts = np.unique(flat, return_counts=True)
    if (counts > 1).any():
        y, r, s, a = np.unravel_index(uniq[counts > 1][0], shape)
        raise ScenarioError(f"{label}: duplicate rows for region={dataset.regions.codes[r]}, year={years[y]}, "
                            f"sex={D.SEXES[s]}, age={a}")
    if len(uniq) < np.prod(shape):
        have = np.zeros(int(np.prod(shape)), dtype=bool)
        have[uniq] = True
        y, r, s, a = np.unravel_index(np.flatnonzero(~have)[0], shape)
        raise ScenarioError(f"{label}: {int((~have).sum())} missing row(s), first region="
                            f"{dataset.regions.codes[r]}, year={years[y]}, sex={D.SEXES[s]}, age={a} (the file needs "
                            f"every region, year {years[0]}-{years[-1]}, sex and age)")
    out = np.empty(int(np.prod(shape)))
    out[flat] = value.to_numpy(dtype=float)
    return out.reshape(shape)


def write_population_projection(path, population: np.ndarray, regions, years) -> None:
    """Write persons ``[years, regions, sexes, ages]`` in the format read above."""
    index = pd.MultiIndex.from_product([list(regions.codes), list(years), list(D.SEXES), list(D.AGES)],
                                       names=["region", "year", "sex", "age"])
    frame = index.to_frame(index=False)
    frame["value"] = np.transpose(population, (1, 0, 2, 3)).ravel()
    frame.to_csv(path, index=False, float_format="%.17g")
