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


def _read_csv(path, what: str) -> tuple[pd.DataFrame, str]:
    """A CSV read as text, and the file's name for messages; a missing, unreadable, special
    (pipe, device, link loop) or too large file is one line (larger than :data:`MAX_BYTES`:
    refused before reading)."""
    path = Path(path)
    label = _paths.show(path.name)
    try:
        size = _paths.regular_file(path, f"{what} file").stat().st_size
    except (ValueError, OSError) as exc:
        raise ScenarioError(str(exc) if isinstance(exc, ValueError) else f"{label}: {_paths.reason(exc)}") from None
    if size > MAX_BYTES:
        raise ScenarioError(f"{label}: {what} file of {size / 2 ** 20:.0f} MiB is larger than the limit "
                            f"of {MAX_BYTES / 2 ** 20:.0f} MiB")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False), label
    except Exception as exc:  # noqa: BLE001 - any parser failure is a file problem
        raise ScenarioError(f"{label}: cannot be read ({type(exc).__name__}: {quote(str(exc), 80)})") from None


def _numbers(frame: pd.DataFrame, columns, label: str) -> tuple[dict, list[str]]:
    """The columns as numbers (NaN where not), and one line per cell that is not a number."""
    nums = {c: pd.to_numeric(frame[c], errors="coerce") for c in columns}
    problems = [f"{label}: row {i + 2}: column {c!r}: {quote(frame[c].iloc[i])} is not a number"
                for c, num in nums.items() for i in np.flatnonzero(num.isna().to_numpy())[:_MAX_SHOWN]]
    return nums, problems


def _codes(frame: pd.DataFrame, lookups: dict, label: str) -> tuple[dict, list[str]]:
    """Positions of each code column's values (``lookups``: column -> code -> position), and one
    line per unknown code with the allowed codes."""
    idx, problems = {}, []
    for col, lookup in lookups.items():
        pos = frame[col].map(lookup)
        bad = list(dict.fromkeys(frame[col][pos.isna()]))
        allowed = ", ".join(lookup) if len(lookup) <= 10 else "the region codes of the dataset"
        problems += [f"{label}: column {col!r}: unknown code {quote(v)} (allowed: {allowed})" for v in bad[:_MAX_SHOWN]]
        idx[col] = pos
    return idx, problems


def read_population_projection(path, dataset, years) -> np.ndarray:
    """Persons ``[years, regions, sexes, ages]`` from a long CSV for the dataset's regions.

    Columns ``region, year, sex, age, value``: every region of the dataset, every year of
    ``years``, sexes male/female, ages 0..105 (105 = 105+). Rows for other years are
    ignored. Problems are reported one per line naming the file, row, column and value (a short
    quotation of it at most). Files over :data:`MAX_BYTES` are refused before reading.
    """
    frame, label = _read_csv(path, "population projection")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ScenarioError(f"{label}: missing column(s) {', '.join(missing)} (need {', '.join(COLUMNS)})")
    nums, problems = _numbers(frame, ("value", "year", "age"), label)
    value, year, age = nums["value"], nums["year"], nums["age"]
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
    idx, unknown = _codes(frame, lookups, label)
    problems += unknown
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


# --- external mortality and fertility ----------------------------------------------------------
#: kind -> (columns besides an optional ``region``, ages allowed, value range, unit)
RATE_FILES = {
    "mortality": (("year", "sex", "age", "value"), (0, D.MAX_AGE), (0.0, 1.0), "/1 per year"),
    "fertility": (("year", "age", "value"), (D.FERTILE_AGE_MIN, D.FERTILE_AGE_MAX), (0.0, 0.5),
                  "births per woman per year"),
}


def read_rate_file(path, dataset, step_years, kind: str) -> np.ndarray:
    """Rates for the projection steps from an external CSV: mortality ``[T, R, S, A]`` (death
    probability before the next 1 January, by age on 1 January) or fertility ``[T, R, A]``
    (births per woman per year, ages 15-49; zero at other ages).

    Columns ``year, sex, age, value`` (mortality) or ``year, age, value`` (fertility), and an
    optional ``region`` (codes of the dataset; without it the rates apply to every region).
    ``year`` is the year a step starts: every year of ``step_years`` is needed, other years are
    ignored. Problems are one line each, naming the file, the column and the allowed values.
    """
    columns, (a_lo, a_hi), (v_lo, v_hi), unit = RATE_FILES[kind]
    frame, label = _read_csv(path, kind)
    missing = [c for c in columns if c not in frame.columns]
    extra = [c for c in frame.columns if c not in columns + ("region",)]
    if missing or extra:
        raise ScenarioError([f"{label}: missing column {c!r} (need {', '.join(columns)}; optional region)"
                             for c in missing]
                            + [f"{label}: unknown column {c!r} (allowed: {', '.join(columns)}, region)" for c in extra])
    nums, problems = _numbers(frame, ("year", "age", "value"), label)
    for col in ("year", "age"):
        num = nums[col]
        for i in np.flatnonzero((num.notna() & (num != num.round())).to_numpy())[:_MAX_SHOWN]:
            problems.append(f"{label}: row {i + 2}: column {col!r}: {quote(frame[col].iloc[i])} is not a whole number")
    if problems:
        raise ScenarioError(problems)
    value, year, age = nums["value"], nums["year"].astype(int), nums["age"].astype(int)
    bad_age = sorted(set(age[(age < a_lo) | (age > a_hi)]))
    problems += [f"{label}: column 'age': {a} is outside {a_lo}-{a_hi} (allowed: {a_lo}-{a_hi}"
                 + ("; fertility is zero at other ages)" if kind == "fertility" else f", {a_hi} = {a_hi} and older)")
                 for a in bad_age[:_MAX_SHOWN]]
    out_of_range = np.flatnonzero(((value < v_lo) | (value > v_hi)).to_numpy())
    problems += [f"{label}: row {i + 2}: column 'value': {value.iloc[i]:g} is outside {v_lo:g} to {v_hi:g} "
                 f"({unit})" for i in out_of_range[:_MAX_SHOWN]]
    step_years = [int(y) for y in step_years]
    span = f"{step_years[0]}-{step_years[-1]}"
    absent = [y for y in step_years if y not in set(year)]
    if absent:
        listed = ", ".join(str(y) for y in absent[:_MAX_SHOWN]) + (", ..." if len(absent) > _MAX_SHOWN else "")
        problems.append(f"{label}: column 'year': no rows for {listed} (allowed: the years each projection step "
                        f"starts; every year {span} is needed)")
    lookups = {"sex": {s: i for i, s in enumerate(D.SEXES)}} if "sex" in columns else {}
    if "region" in frame.columns:
        lookups["region"] = {c: i for i, c in enumerate(dataset.regions.codes)}
    keep = year.isin(step_years).to_numpy()
    idx, unknown = _codes(frame, lookups, label)
    problems += unknown
    if problems:
        raise ScenarioError(problems)
    n_reg = len(dataset.regions) if "region" in frame.columns else 1
    sexes = len(D.SEXES) if "sex" in columns else 1
    ages = np.arange(a_lo, a_hi + 1)
    shape = (len(step_years), n_reg, sexes, len(ages))
    year_pos = {y: i for i, y in enumerate(step_years)}
    zeros = np.zeros(int(keep.sum()), dtype=int)
    flat = np.ravel_multi_index((year[keep].map(year_pos).to_numpy(),
                                 idx["region"][keep].to_numpy().astype(int) if "region" in idx else zeros,
                                 idx["sex"][keep].to_numpy().astype(int) if "sex" in idx else zeros,
                                 age[keep].to_numpy() - a_lo), shape)
    uniq, counts = np.unique(flat, return_counts=True)
    names = ["year", "region", "sex", "age"]

    def cell(k):
        y, r, s, a = np.unravel_index(k, shape)
        parts = {"year": step_years[y], "region": dataset.regions.codes[r] if n_reg > 1 else None,
                 "sex": D.SEXES[s] if sexes > 1 else None, "age": int(ages[a])}
        return ", ".join(f"{n}={parts[n]}" for n in names if parts[n] is not None)

    if (counts > 1).any():
        raise ScenarioError(f"{label}: duplicate rows for {cell(uniq[counts > 1][0])}")
    if len(uniq) < np.prod(shape):
        have = np.zeros(int(np.prod(shape)), dtype=bool)
        have[uniq] = True
        parts = ["year " + span] + (["region"] if n_reg > 1 else []) + (["sex"] if sexes > 1 else [])
        need = "every " + ", ".join(parts + [f"age {a_lo}-{a_hi}"])
        raise ScenarioError(f"{label}: {int((~have).sum())} missing row(s), first {cell(np.flatnonzero(~have)[0])} "
                            f"(the file needs {need})")
    rates = np.empty(int(np.prod(shape)))
    rates[flat] = value[keep].to_numpy(dtype=float)
    rates = rates.reshape(shape)
    full = np.zeros((len(step_years), len(dataset.regions), sexes, len(D.AGES)))
    full[..., a_lo:a_hi + 1] = rates  # broadcasts a national file over the regions
    return full if kind == "mortality" else full[:, :, 0, :]
