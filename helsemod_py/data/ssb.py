"""SSB population tables: import, and rates for the cohort-component kernel from stocks.

Reads SSB's population by region, year, sex and one-year age (table 07459 as CSV:
``kommune_nr`` or ``fylke_nr``, ``year``, ``age`` 0..105 with 105 = 105+, ``male``,
``female``, ``total``) and the municipality list (``kommuner_2024.csv``). Every problem in
a file is reported as one line naming the file, row, column and value
(:class:`~helsemod_py.errors.ImportDataError`), never as a traceback.

SSB's tables hold stocks, not births or deaths, so rates are estimated from the change of
cohorts between 1 January of consecutive years: mortality is a model life table (an
assumption, see :data:`E0_MALE`), net migration the residual, and fertility an *effective*
fertility (children aged 0 on the next 1 January per woman, so it includes the infants'
migration). Small municipalities are shrunk toward their county, counties toward the nation
(credibility weights), and local deviations are smoothed over age.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import dims as D
from ..errors import ImportDataError, quote
from .demography import MALE_SHARE_AT_BIRTH, SEX_RATIO_AT_BIRTH  # noqa: F401  (re-exported)
from .demography import fertility_schedule, mortality_for_life_expectancy
from .inputs import check_input
from .schema import PARAMETERS, YEARS

# --- assumptions ----------------------------------------------------------------------
E0_MALE = 81.0  #: years; life expectancy at birth, men
E0_FEMALE = 84.5  #: years; life expectancy at birth, women
E0_SOURCE = "SSB life expectancy about 2019-2023, rounded"
#: Mean and standard deviation (years) of mothers' age in the fertility age pattern
#: (Norway: mean age of mothers at birth about 31, SSB); only the shape is used.
FERTILITY_MEAN_AGE = 31.0
FERTILITY_SD_AGE = 5.3

#: Municipalities that were one in some years of SSB's 2024-border tables, which then
#: split that unit's population evenly among them (see ../shared/data/ssb/README.md).
MERGED_MUNICIPALITIES: dict[tuple[str, ...], tuple[int, int]] = {("1508", "1580"): (2015, 2023)}

MUNICIPALITY_COLUMNS = ("kommune_nr", "kommune_navn", "fylke_nr", "fylke_navn")
LEVEL_COLUMN = {"municipality": "kommune_nr", "county": "fylke_nr", "nation": None}
COUNT_COLUMNS = ("male", "female")  #: in the order of ``dims.SEXES``
_MAX_SHOWN = 5


# --- municipality list ----------------------------------------------------------------
def read_municipalities(path) -> D.Regions:
    """Municipalities with their counties from SSB's list (``kommuner_2024.csv``).

    Codes are kept as text; SSB's names are kept as given (bilingual names included).
    """
    path = Path(path)
    frame = _read_csv(path)
    _require_columns(frame, MUNICIPALITY_COLUMNS, path)
    problems = []
    for col, digits in (("kommune_nr", 4), ("fylke_nr", 2)):
        bad = np.flatnonzero(~frame[col].str.fullmatch(rf"\d{{{digits}}}").to_numpy(dtype=bool))
        problems += _capped([f"{path.name}: row {i + 2}: column {col!r}: {frame[col].iloc[i]!r} "
                             f"is not a {digits}-digit code" for i in bad], path, col)
    for col in ("kommune_navn", "fylke_navn"):
        empty = np.flatnonzero((frame[col].str.strip() == "").to_numpy())
        problems += _capped([f"{path.name}: row {i + 2}: column {col!r}: empty name" for i in empty], path, col)
    dup = np.flatnonzero(frame["kommune_nr"].duplicated().to_numpy())
    problems += _capped([f"{path.name}: row {i + 2}: column 'kommune_nr': duplicate code "
                         f"{frame['kommune_nr'].iloc[i]!r}" for i in dup], path, "kommune_nr")
    if problems:
        raise ImportDataError(problems)
    return D.Regions(
        codes=tuple(frame["kommune_nr"]),
        names=tuple(frame["kommune_navn"]),
        county_codes=tuple(frame["fylke_nr"]),
        county_names=dict(zip(frame["fylke_nr"], frame["fylke_navn"])),
    )


def county_regions(regions: D.Regions) -> D.Regions:
    """The counties of ``regions`` as regions of their own (each its own county)."""
    codes = regions.counties
    names = tuple(regions.county_names.get(c, c) for c in codes)
    return D.Regions(codes, names, codes, dict(zip(codes, names)))


def nation_regions() -> D.Regions:
    """The nation as a single region."""
    return D.Regions((D.NATION_CODE,), (D.NATION_NAME,), (D.NATION_CODE,), {D.NATION_CODE: D.NATION_NAME})


# --- population history ---------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PopulationHistory:
    """Population on 1 January of consecutive years.

    ``population[y, r, s, a]``: persons in ``years[y]``, region ``regions.codes[r]``, sex
    ``dims.SEXES[s]``, age ``dims.AGES[a]`` (105 = 105+). ``merged`` lists groups of region
    codes that were one municipality in some of the years: their split is then SSB's even
    split, not real, and :meth:`combine_merged` sums them.
    """

    years: np.ndarray
    regions: D.Regions
    population: np.ndarray
    level: str = "municipality"
    merged: tuple[tuple[str, ...], ...] = ()

    def at(self, year: int) -> np.ndarray:
        """Population [R, S, A] (persons) on 1 January of ``year``."""
        return self.population[self._year_index(year)]

    def between(self, first_year: int, last_year: int) -> "PopulationHistory":
        """The history restricted to ``first_year..last_year``."""
        lo, hi = self._year_index(first_year), self._year_index(last_year)
        if hi <= lo:
            raise ImportDataError(f"population history: last year {last_year} must be after first year {first_year}")
        return PopulationHistory(self.years[lo:hi + 1], self.regions, self.population[lo:hi + 1],
                                 self.level, self.merged)

    def combine_merged(self) -> tuple["PopulationHistory", np.ndarray]:
        """History with each merged group as one region, and each old region's new index.

        A combined region's code joins the codes with ``+`` (``1508+1580``), its name the
        names with `` + ``; it keeps the county of the first.
        """
        codes = self.regions.codes
        unit_of = np.arange(len(codes))
        for group in self.merged:
            first = codes.index(group[0])
            for c in group[1:]:
                unit_of[codes.index(c)] = first
        keep, unit_index = np.unique(unit_of, return_inverse=True)
        groups = {codes.index(g[0]): g for g in self.merged}
        new_codes = tuple("+".join(groups.get(i, (codes[i],))) for i in keep)
        new_names = tuple(" + ".join(self.regions.name_of(c) for c in groups.get(i, (codes[i],))) for i in keep)
        regions = D.Regions(new_codes, new_names, tuple(self.regions.county_codes[i] for i in keep),
                            dict(self.regions.county_names))
        pop = np.zeros(self.population.shape[:1] + (len(keep),) + self.population.shape[2:])
        np.add.at(pop, (slice(None), unit_index), self.population)
        return PopulationHistory(self.years, regions, pop, self.level), unit_index

    def to_counties(self) -> "PopulationHistory":
        """County sums (the region axis becomes the counties of ``regions``)."""
        counties = county_regions(self.regions)
        pop = np.zeros(self.population.shape[:1] + (len(counties),) + self.population.shape[2:])
        np.add.at(pop, (slice(None), self.regions.county_index()), self.population)
        return PopulationHistory(self.years, counties, pop, "county")

    def _year_index(self, year: int) -> int:
        hits = np.flatnonzero(self.years == year)
        if not len(hits):
            raise ImportDataError(f"population history: year {year} not in {self.years[0]}-{self.years[-1]}")
        return int(hits[0])


def read_population(path, regions: D.Regions | None = None, level: str | None = None) -> PopulationHistory:
    """Read SSB's population by region, year, sex and age into a :class:`PopulationHistory`.

    ``level`` is ``municipality`` (column ``kommune_nr``), ``county`` (``fylke_nr``) or
    ``nation`` (no region column); by default it follows the columns. With ``regions``
    (municipalities, e.g. from :func:`read_municipalities`) every code must be known and
    every region present, in that order (county level: the counties of ``regions``);
    without, the regions are the file's codes in order of appearance. Counts are persons;
    ``total`` is ignored (SSB's male + female may differ from it by 1).
    """
    path = Path(path)
    frame = _read_csv(path)
    level = level or _detect_level(frame)
    if level not in LEVEL_COLUMN:
        raise ImportDataError(f"{path.name}: unknown level {level!r} (allowed: {', '.join(LEVEL_COLUMN)})")
    region_col = LEVEL_COLUMN[level]
    _require_columns(frame, tuple(c for c in (region_col, "year", "age") + COUNT_COLUMNS if c), path)
    if region_col is None:
        region_col = "_region"
        frame[region_col] = D.NATION_CODE
    expected = _expected_regions(frame[region_col], regions, level)
    years, year_probs = _whole_numbers(frame, "year", path)
    ages, age_probs = _whole_numbers(frame, "age", path)
    counts, count_probs = _counts(frame, path)
    problems = year_probs + age_probs + count_probs
    problems += _outside_ages(frame, ages, path)
    region_pos, region_probs = _region_positions(frame[region_col], expected, path, region_col)
    problems += region_probs
    if problems:
        raise ImportDataError(problems)
    first, last = int(np.min(years)), int(np.max(years))
    if first < YEARS[0] or last > YEARS[1]:  # before any range of years is built
        raise ImportDataError(f"{path.name}: column 'year': {first if first < YEARS[0] else last} is not a year "
                              f"({YEARS[0]}-{YEARS[1]})")
    problems += _missing_years(years, first, last, path)
    if problems:
        raise ImportDataError(problems)
    shape = (last - first + 1, len(expected), len(D.AGES))
    flat = np.ravel_multi_index((years.astype(np.int64) - first, region_pos, ages.astype(np.int64)), shape)
    problems += _duplicates(frame, flat, path, region_col)
    problems += _missing_rows(flat, shape, expected, first, path, region_col)
    if problems:
        raise ImportDataError(problems)
    pop = np.empty((int(np.prod(shape)), len(D.SEXES)))
    pop[flat] = counts
    pop = pop.reshape(shape + (len(D.SEXES),)).transpose(0, 1, 3, 2).copy()
    year_range = np.arange(first, last + 1)
    return PopulationHistory(year_range, expected, pop, level, _merged_groups(expected, year_range, level))


# --- reading helpers ------------------------------------------------------------------
def _read_csv(path: Path) -> pd.DataFrame:
    check_input(Path(path))  # a regular file within the importers' size limit
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:  # noqa: BLE001 - any parser failure is a file problem
        raise ImportDataError(f"{path.name}: cannot be read as CSV ({type(exc).__name__}: {quote(str(exc), 80)})") \
            from None


def _require_columns(frame: pd.DataFrame, need, path: Path) -> None:
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ImportDataError([f"{path.name}: missing column {c!r} (need {', '.join(need)})" for c in missing])


def _capped(lines: list[str], path: Path, col: str) -> list[str]:
    if len(lines) <= _MAX_SHOWN:
        return lines
    return lines[:_MAX_SHOWN] + [f"{path.name}: column {col!r}: ... and {len(lines) - _MAX_SHOWN} more like these"]


def _detect_level(frame: pd.DataFrame) -> str:
    for level, col in LEVEL_COLUMN.items():
        if col in frame.columns:
            return level
    return "nation"


def _expected_regions(codes: pd.Series, regions: D.Regions | None, level: str) -> D.Regions:
    if level == "nation":
        return nation_regions()
    if regions is not None:
        return county_regions(regions) if level == "county" else regions
    found = tuple(pd.unique(codes))
    if level == "county":
        return D.Regions(found, found, found, {})
    return D.Regions(found, found, tuple(c[:2] for c in found), {})


def _numbers(frame: pd.DataFrame, col: str, path: Path) -> tuple[np.ndarray, list[str]]:
    values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    return values, _capped([f"{path.name}: row {i + 2}: column {col!r}: {frame[col].iloc[i]!r} is not a number"
                            for i in bad], path, col)


def _whole_numbers(frame: pd.DataFrame, col: str, path: Path) -> tuple[np.ndarray, list[str]]:
    values, problems = _numbers(frame, col, path)
    frac = np.flatnonzero(np.isfinite(values) & (values != np.round(values)))
    problems += _capped([f"{path.name}: row {i + 2}: column {col!r}: {frame[col].iloc[i]!r} is not a whole number"
                         for i in frac], path, col)
    return values, problems


def _counts(frame: pd.DataFrame, path: Path) -> tuple[np.ndarray, list[str]]:
    columns, problems = [], []
    for col in COUNT_COLUMNS:
        values, probs = _numbers(frame, col, path)
        neg = np.flatnonzero(values < 0)
        probs += _capped([f"{path.name}: row {i + 2}: column {col!r}: {frame[col].iloc[i]!r} is negative"
                          for i in neg], path, col)
        columns.append(values)
        problems += probs
    return np.stack(columns, axis=1), problems


def _outside_ages(frame: pd.DataFrame, ages: np.ndarray, path: Path) -> list[str]:
    bad = np.flatnonzero(np.isfinite(ages) & ((ages < 0) | (ages > D.MAX_AGE)))
    return _capped([f"{path.name}: row {i + 2}: column 'age': {frame['age'].iloc[i]!r} is outside 0-{D.MAX_AGE} "
                    f"({D.MAX_AGE} = {D.MAX_AGE} and older)" for i in bad], path, "age")


def _region_positions(codes: pd.Series, expected: D.Regions, path: Path, col: str) -> tuple[np.ndarray, list[str]]:
    lookup = {c: i for i, c in enumerate(expected.codes)}
    pos = codes.map(lookup)
    unknown = np.flatnonzero(pos.isna().to_numpy())
    first_rows = pd.Series(unknown, index=codes.iloc[unknown].to_numpy()).groupby(level=0, sort=False).first()
    problems = _capped([f"{path.name}: row {i + 2}: column {col!r}: unknown code {code!r} "
                        f"(not among the {len(expected)} region codes given)" for code, i in first_rows.items()],
                       path, col)
    return pos.fillna(-1).to_numpy(dtype=np.int64), problems


def _missing_years(years: np.ndarray, first: int, last: int, path: Path) -> list[str]:
    absent = sorted(set(range(first, last + 1)) - set(years.astype(np.int64).tolist()))
    return [f"{path.name}: column 'year': no rows for year {y} (years must be consecutive, {first}-{last})"
            for y in absent]


def _duplicates(frame: pd.DataFrame, flat: np.ndarray, path: Path, col: str) -> list[str]:
    order = np.argsort(flat, kind="stable")
    same = np.flatnonzero(np.diff(flat[order]) == 0)
    lines = []
    for k in same:
        i, j = sorted((order[k], order[k + 1]))
        lines.append(f"{path.name}: rows {i + 2} and {j + 2}: duplicate row for {col}={frame[col].iloc[i]!r}, "
                     f"year={frame['year'].iloc[i]}, age={frame['age'].iloc[i]}")
    return _capped(lines, path, col)


def _missing_rows(flat: np.ndarray, shape, expected: D.Regions, first: int, path: Path, col: str) -> list[str]:
    have = np.zeros(int(np.prod(shape)), dtype=bool)
    have[flat] = True
    have = have.reshape(shape)
    absent = [f"{path.name}: column {col!r}: no rows for region {expected.codes[r]!r} ({expected.names[r]})"
              for r in np.flatnonzero(~have.any(axis=(0, 2)))]
    partial = ~have & have.any(axis=(0, 2))[None, :, None]
    gaps = [f"{path.name}: missing row for {col}={expected.codes[r]!r}, year={first + y}, age={a} "
            f"(need every age 0-{D.MAX_AGE} in every year {first}-{first + shape[0] - 1})"
            for y, r, a in np.argwhere(partial)[:_MAX_SHOWN + 1]]
    if partial.sum() > _MAX_SHOWN:
        gaps = gaps[:_MAX_SHOWN] + [f"{path.name}: ... and {int(partial.sum()) - _MAX_SHOWN} more missing rows"]
    return _capped(absent, path, col) + gaps


def _merged_groups(regions: D.Regions, years: np.ndarray, level: str) -> tuple[tuple[str, ...], ...]:
    if level != "municipality":
        return ()
    return tuple(g for g, (lo, hi) in MERGED_MUNICIPALITIES.items()
                 if all(c in regions.codes for c in g) and ((years >= lo) & (years <= hi)).any())


# --- rate estimation --------------------------------------------------------------------
@dataclass(frozen=True)
class Shrinkage:
    """How rates of small regions borrow strength from larger ones.

    A region's deviation from its parent (municipality from county, county from nation) is
    weighted by ``w = E / (E + k)``, with ``E`` its exposure: for net migration the survivors
    (persons, summed over the transitions) within the triangular age kernel of half-width
    ``age_halfwidth`` years (weights 1 at the age, falling linearly); for fertility the
    expected children aged 0. The deviations are smoothed over age with the same kernel;
    the nation's own age pattern is not smoothed.
    """

    k_migration: float = 300.0  #: person-years
    k_fertility: float = 30.0  #: expected children aged 0
    age_halfwidth: int = 2  #: years
    k_mortality: float = 200.0  #: expected deaths at ages 75+ (regional relative mortality)


def mortality_from_life_expectancy(e0_male: float = E0_MALE, e0_female: float = E0_FEMALE) -> np.ndarray:
    """Model death probabilities [S, A] (/1 per year) with the given life expectancies (years)."""
    return np.stack([mortality_for_life_expectancy(e0_male), mortality_for_life_expectancy(e0_female)])


def fertility_shape() -> np.ndarray:
    """Age pattern [A] of fertility summing to 1 (mean age :data:`FERTILITY_MEAN_AGE`)."""
    return fertility_schedule(1.0, mean_age=FERTILITY_MEAN_AGE, sd=FERTILITY_SD_AGE)


def estimate_population_rates(history: PopulationHistory, first_year: int, last_year: int, mortality_q,
                              shrink: Shrinkage = Shrinkage()) -> tuple[np.ndarray, np.ndarray]:
    """Effective fertility [R, A] and net migration [R, S, A] from stocks ``first_year..last_year``.

    ``mortality_q``: death probabilities (/1 per year), [S, A] or [R, S, A], or one per step
    [Y-1, R, S, A] (the steps from ``first_year`` to ``last_year - 1``), taken as known.
    Each transition t -> t+1 is compared with the kernel's equations; net migration is the
    pooled residual ``sum(observed) / sum(expected survivors) - 1`` (one rate for ages 104
    and 105+, which both end in the open group), fertility the national age pattern
    scaled per region so the children aged 0 on the next 1 January are matched. Merged
    municipalities (see :class:`PopulationHistory`) are estimated together and share rates.
    Returns births per woman per year [R, A] and /1 per year [R, S, A] clipped to the schema.
    """
    sub = history.between(first_year, last_year)
    q = np.asarray(mortality_q, dtype=np.float64)
    per_step = q.ndim == 4
    q_full = np.broadcast_to(q, ((len(sub.years) - 1,) if per_step else ()) + sub.population.shape[1:])
    combined, unit_of = sub.combine_merged()
    _, first_of_unit = np.unique(unit_of, return_index=True)
    q = q_full[:, first_of_unit] if per_step else q_full[first_of_unit]
    county = combined.regions.county_index()
    fert = _estimate_fertility(combined.population, q, county, shrink)
    mig = _estimate_migration(combined.population, q, county, shrink)
    lo, hi = PARAMETERS["net_migration"].lo, PARAMETERS["net_migration"].hi
    f_lo, f_hi = PARAMETERS["fertility"].lo, PARAMETERS["fertility"].hi
    return np.clip(fert[unit_of], f_lo, f_hi), np.clip(mig[unit_of], lo, hi)


def _cohort_flows(pop: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected (survivors, no migration) persons by arrival cohort.

    Returns two arrays [R, S, A-1] summed over transitions: index j holds those aged j on
    1 January who are j+1 one year later; the last index joins ages A-2 and A-1 (open group).
    """
    survivors = pop[:-1] * (1.0 - q if q.ndim == pop.ndim else (1.0 - q)[None])
    expected = survivors[..., :-1].copy()
    expected[..., -1] += survivors[..., -1]
    observed = pop[1:, ..., 1:]
    return observed.sum(axis=0), expected.sum(axis=0)


def _age_kernel(x: np.ndarray, halfwidth: int) -> np.ndarray:
    """Triangular-kernel sum along the last axis (weight 1 at the age, edges truncated)."""
    if halfwidth <= 0:
        return x
    weights = 1.0 - np.abs(np.arange(-halfwidth, halfwidth + 1)) / (halfwidth + 1.0)
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(halfwidth, halfwidth)])
    out = np.zeros_like(x)
    n = x.shape[-1]
    for k, w in enumerate(weights):
        out += w * padded[..., k:k + n]
    return out


def _shrunk_ratio(observed, expected, parent_ratio, k: float, halfwidth: int) -> np.ndarray:
    """Ratio observed/expected: parent's ratio plus the credibility-weighted smoothed deviation."""
    excess = _age_kernel(observed - expected * parent_ratio, halfwidth)
    exposure = _age_kernel(expected, halfwidth)
    return parent_ratio + excess / np.maximum(exposure + k, 1e-12)


def _estimate_migration(pop: np.ndarray, q: np.ndarray, county: np.ndarray, shrink: Shrinkage) -> np.ndarray:
    """Net migration [R, S, A] (/1 per year, unclipped) for regions ``pop[:, R]``."""
    observed, expected = _cohort_flows(pop, q)
    n_county = county.max() + 1
    obs_c = np.zeros((n_county,) + observed.shape[1:])
    exp_c = np.zeros_like(obs_c)
    np.add.at(obs_c, county, observed)
    np.add.at(exp_c, county, expected)
    obs_n, exp_n = obs_c.sum(axis=0), exp_c.sum(axis=0)
    ratio_n = np.divide(obs_n, exp_n, out=np.ones_like(obs_n), where=exp_n > 0)
    ratio_c = _shrunk_ratio(obs_c, exp_c, ratio_n[None], shrink.k_migration, shrink.age_halfwidth)
    ratio_r = _shrunk_ratio(observed, expected, ratio_c[county], shrink.k_migration, shrink.age_halfwidth)
    rate = ratio_r - 1.0
    return np.concatenate([rate, rate[..., -1:]], axis=-1)  # age 105+ shares the rate of 104


def _estimate_fertility(pop: np.ndarray, q: np.ndarray, county: np.ndarray, shrink: Shrinkage) -> np.ndarray:
    """Effective fertility [R, A] (births per woman per year) for regions ``pop[:, R]``."""
    shape_a = fertility_shape()
    shares = np.array([MALE_SHARE_AT_BIRTH, 1.0 - MALE_SHARE_AT_BIRTH])
    infant_q = q[..., 0] if q.ndim == pop.ndim else q[None, :, :, 0]  # [Y-1 or 1, R, S]
    infant_survival = (shares * (1.0 - 0.5 * infant_q)).sum(axis=-1)  # [Y-1 or 1, R]
    per_unit = ((pop[:-1, :, 1, :] * shape_a).sum(axis=2) * infant_survival).sum(axis=0)  # children per unit scale
    children = pop[1:, :, :, 0].sum(axis=(0, 2))
    n_county = county.max() + 1
    per_unit_c = np.bincount(county, per_unit, n_county)
    children_c = np.bincount(county, children, n_county)
    scale_n = children.sum() / per_unit.sum()
    scale_c = _shrunk_scale(children_c, per_unit_c, scale_n, shrink.k_fertility)
    scale_r = _shrunk_scale(children, per_unit, scale_c[county], shrink.k_fertility)
    return scale_r[:, None] * shape_a[None, :]


def _shrunk_scale(children, per_unit, parent_scale, k: float) -> np.ndarray:
    """Credibility-weighted fertility scale: parent's plus w * (own - parent's)."""
    expected = per_unit * parent_scale
    return parent_scale + (children - expected) / np.maximum(per_unit + k / parent_scale, 1e-12)


# --- projection and dataset parts --------------------------------------------------------
def project_constant_rates(pop0, fertility, mortality, net_migration, n_steps: int) -> np.ndarray:
    """Project ``pop0`` [R, S, A] ``n_steps`` years with constant rates; persons [T+1, R, S, A].

    Rates as from :func:`estimate_population_rates` ([R, A], [R, S, A]; mortality [S, A] or
    [R, S, A]); boys are :data:`MALE_SHARE_AT_BIRTH` of births. Uses the numba kernel.
    """
    return project_rates(pop0, fertility, mortality, net_migration, n_steps)


def project_rates(pop0, fertility, mortality, net_migration, n_steps: int, mortality_decline=0.0,
                  fertility_trend=0.0, fertility_damping: float = 1.0) -> np.ndarray:
    """Project ``pop0`` [R, S, A] ``n_steps`` years; persons [T+1, R, S, A].

    Base-year rates as in :func:`project_constant_rates`, moved along the years by the trends
    of :mod:`helsemod_py.core.trends` (zero: constant rates). Uses the numba kernel.
    """
    from ..core import project_population  # the numba kernel, compiled on first use
    from ..core.trends import fertility_path, mortality_path

    pop0 = np.asarray(pop0, dtype=np.float64)
    n_reg = pop0.shape[0]
    f0 = np.broadcast_to(np.asarray(fertility, dtype=np.float64), (n_reg, pop0.shape[2]))
    q0 = np.broadcast_to(np.asarray(mortality, dtype=np.float64), pop0.shape)
    m = np.broadcast_to(np.asarray(net_migration, dtype=np.float64), (n_steps,) + pop0.shape)
    f = fertility_path(f0, np.broadcast_to(np.asarray(fertility_trend, dtype=np.float64), (n_reg,)),
                       fertility_damping, n_steps)
    q = mortality_path(q0, mortality_decline, n_steps)
    pop, _ = project_population(pop0, f, q, m, MALE_SHARE_AT_BIRTH)
    return pop


@dataclass(frozen=True, eq=False)
class PopulationEstimate:
    """Base-year population rates of a history and the trends behind them.

    ``arrays``: ``population`` [R, S, A] (persons), ``fertility`` [R, A], ``mortality``,
    ``mortality_decline``, ``net_migration`` [R, S, A], ``fertility_trend`` [R]; ``damping``:
    the fertility trend's damping (/1); ``mortality`` and ``fertility_trend_fit`` the
    estimates (:mod:`helsemod_py.data.trends`) for metadata and diagnostics.
    """

    arrays: dict
    damping: float
    mortality: object
    mortality_trend: object
    fertility_trend_fit: object
    years: tuple[int, int]

    def describe(self) -> dict:
        """What the rates are and which years they come from (for dataset metadata)."""
        m = self.mortality_trend.describe()
        m["levels"] = (f"national death probabilities at ages {self.mortality_trend.min_age}+ pooled over "
                       f"{self.years[0]}-{self.years[1]} (cohort losses), younger ages Gompertz-Makeham shape; "
                       "regional relative mortality shrunk toward county and nation; moved to the base year "
                       "by the trend")
        trend = not (self.mortality_trend.note and self.fertility_trend_fit.note)
        return {"mortality": m, "fertility": self.fertility_trend_fit.describe(),
                "default_assumption": "trend" if trend else "constant"}


def estimate_population(history: PopulationHistory, base_year: int, first_year: int, last_year: int,
                        e0_male: float = E0_MALE, e0_female: float = E0_FEMALE, shrink: Shrinkage = Shrinkage(),
                        national: PopulationHistory | None = None,
                        trend_first_year: int | None = None) -> PopulationEstimate:
    """Base-year rates and trends from the stocks ``first_year..last_year`` (see :mod:`~.trends`).

    Mortality trend and fertility trend come from ``national`` (the national series, e.g. SSB
    07459 1986-2024; default: ``history`` summed) from ``trend_first_year`` (default: its first
    year) to ``last_year``; levels, regional mortality, fertility and net migration from
    ``history`` over ``first_year..last_year``. The model schedule with life expectancy
    ``e0_male``/``e0_female`` gives the age shape of mortality below :data:`~.trends.MIN_AGE`.
    A national history under five years gives no trends (constant rates, said in the
    metadata), unless ``trend_first_year`` asked for one (then it is an error).
    Net migration is the residual of each year's cohort change after that year's deaths.
    """
    from . import trends as TR

    young = mortality_from_life_expectancy(e0_male, e0_female)
    nat = national if national is not None else history
    short_ok = trend_first_year is None  # a short history gives constant rates unless a trend was asked for
    m_trend = TR.fit_mortality_trend(nat, trend_first_year, last_year, allow_short=short_ok)
    f_trend = TR.fit_fertility_trend(nat, fertility_shape(), young[:, 0], trend_first_year, last_year,
                                     allow_short=short_ok)
    levels = TR.estimate_mortality(history, first_year, last_year, m_trend, young, k=shrink.k_mortality)
    q_steps = levels.steps(first_year, last_year)
    fertility, migration = estimate_population_rates(history, first_year, last_year, q_steps, shrink)
    # regional fertility relative to the nation's over the window, at the nation's base-year level
    in_window = history.between(first_year, last_year).population.sum(axis=1)  # [Y, S, A] nation
    levels_window = TR.effective_fertility(in_window, fertility_shape(), young[:, 0])
    children = in_window[1:, :, 0].sum(axis=1)
    window_level = children.sum() / (children / levels_window).sum()  # pooled over the window's years
    f_lo, f_hi = PARAMETERS["fertility"].lo, PARAMETERS["fertility"].hi
    fertility = np.clip(fertility * f_trend.level_at(base_year) / window_level, f_lo, f_hi)
    n_reg = len(history.regions)
    arrays = {
        "population": history.at(base_year).copy(),
        "fertility": fertility,
        "fertility_trend": np.full(n_reg, f_trend.rate_at(base_year)),
        "mortality": levels.at(base_year),
        "mortality_decline": np.ascontiguousarray(np.broadcast_to(m_trend.decline, (n_reg,) + m_trend.decline.shape)),
        "net_migration": migration,
    }
    return PopulationEstimate(arrays, f_trend.damping, levels, m_trend, f_trend, (first_year, last_year))


def population_dataset_part(history: PopulationHistory, base_year: int, first_year: int, last_year: int,
                            e0_male: float = E0_MALE, e0_female: float = E0_FEMALE,
                            shrink: Shrinkage = Shrinkage(), national: PopulationHistory | None = None,
                            trend_first_year: int | None = None) -> dict[str, np.ndarray]:
    """The population parameters of a dataset from SSB stocks (:func:`estimate_population`).

    Returns ``population`` [R, S, A] (persons, 1 January ``base_year``; for merged
    municipalities in a year before their split, SSB's even split), ``fertility`` [R, A] and
    ``fertility_trend`` [R], ``mortality``, ``mortality_decline`` and ``net_migration``
    [R, S, A] for the step from ``base_year``. The sex ratio at birth for the dataset is
    :data:`SEX_RATIO_AT_BIRTH`; the fertility trend's damping is
    :data:`~helsemod_py.data.trends.FERTILITY_DAMPING`.
    """
    return estimate_population(history, base_year, first_year, last_year, e0_male, e0_female, shrink, national,
                               trend_first_year).arrays


def dataset_from_ssb(population_csv, municipalities_csv, base_year: int | None = None,
                     first_year: int | None = None, name: str = "ssb", shrink: Shrinkage = Shrinkage(),
                     national_csv=None, trend_first_year: int | None = None):
    """A full dataset for the real municipalities from SSB's population table.

    Population, fertility, mortality and net migration come from the SSB files (levels
    estimated over ``first_year..base_year``, default: the whole history); the trends of
    mortality and fertility from ``national_csv`` (SSB 07459 for the nation, e.g.
    ``population_norway_age_sex_1986_2024.csv``; without it, the municipal history summed)
    from ``trend_first_year`` (default: its first year) to the base year. The dataset projects
    with these trends unless a scenario says otherwise (``assumptions.mortality`` /
    ``fertility``); its metadata (``population_trends``) records what was estimated from which
    years. Personnel supply and demand take the national levels of the default facts, spread
    over municipalities by their base-year users (see
    :func:`helsemod_py.data.default.dataset_from_population`) — until the KOSTRA importers
    calibrate them.
    """
    from .default import dataset_from_population

    regions = read_municipalities(municipalities_csv)
    history = read_population(population_csv, regions)
    base_year = base_year or int(history.years[-1])
    first_year = first_year or int(history.years[0])
    national = None
    if national_csv is not None:
        national = read_population(national_csv, level="nation")
        if base_year not in national.years:
            raise ImportDataError(f"{Path(national_csv).name}: column 'year': no rows for the base year {base_year} "
                                  f"(allowed: a national history ending at the base year; file has "
                                  f"{national.years[0]}-{national.years[-1]})")
        national = national.between(int(national.years[0]), base_year)
    trend_source = Path(national_csv).name if national_csv is not None else Path(population_csv).name + " (summed)"
    est = estimate_population(history, base_year, first_year, base_year, shrink=shrink, national=national,
                              trend_first_year=trend_first_year)
    trends = est.describe()
    trends["source"] = f"SSB 07459: {trend_source}"
    m_years, f_years = trends["mortality"]["years"], trends["fertility"]["slope_years"]
    f_source = (f"damped trend of national effective fertility {f_years[0]}-{f_years[1]} (SSB 07459, {trend_source})"
                if f_years else trends["fertility"]["method"])
    m_source = (f"age-specific log-linear trends of national death probabilities {m_years[0]}-{m_years[1]} "
                f"(SSB 07459, {trend_source}), smoothed" if not est.mortality_trend.note else est.mortality_trend.note)
    meta = {
        "description": f"Population of {len(regions)} real municipalities from SSB 07459 ({first_year}-{base_year}); "
                       "personnel supply and demand from the national facts, made regional by the documented rules "
                       "of helsemod_py.data.regional (estimated; measured where KOSTRA or staff tables are given).",
        "description_nb": f"Befolkningen i {len(regions)} ekte kommuner fra SSB 07459 ({first_year}-{base_year}); "
                          "tilbud og etterspørsel av personell fra de nasjonale faktaene, fordelt på kommuner etter "
                          "de dokumenterte reglene i helsemod_py.data.regional (anslått; målt der KOSTRA- eller "
                          "personelltabeller er gitt).",
        "synthetic": False,
        "sources": {"population": str(Path(population_csv).name), "municipalities": str(Path(municipalities_csv).name),
                    **({"national_population": str(Path(national_csv).name)} if national_csv is not None else {})},
        "population_trends": trends,
        "parameters": {
            "population": {"source": f"SSB 07459, 1 January {base_year}", "synthetic": False},
            "fertility": {"source": f"effective fertility of {base_year}: regional level estimated from SSB 07459 "
                                    f"{first_year}-{base_year}, national level of the last year moved by the trend",
                          "synthetic": False},
            "fertility_trend": {"source": f_source, "synthetic": False},
            "mortality": {"source": f"death probabilities of {base_year}: cohort losses at ages 75+ in SSB 07459 "
                                    f"{first_year}-{base_year} moved by the trend, regions shrunk toward county and "
                                    f"nation; Gompertz-Makeham shape below 75 (e0 {E0_MALE}/{E0_FEMALE})",
                          "synthetic": False},
            "mortality_decline": {"source": m_source, "synthetic": False},
            "net_migration": {"source": f"residual cohort change in SSB 07459 {first_year}-{base_year} after each "
                                        "year's deaths, shrunk toward county and nation", "synthetic": False},
        },
    }
    from .default import _metadata, load_facts

    facts = load_facts()
    defaults = _metadata(facts)["parameters"]
    from .schema import PARAMETERS

    estimated = {n: {**defaults[n], "synthetic": False,
                     "source": "national level from default_facts.yaml (each fact with its source), made regional "
                               "for the real municipalities by the documented rules of helsemod_py.data.regional "
                               "(estimated)"}
                 for n, spec in PARAMETERS.items() if spec.part == "supply" or n == "base_demand_fte"}
    meta["parameters"] = {**defaults, **estimated, **meta["parameters"]}
    return dataset_from_population(regions, est.arrays, base_year, name=name, version=str(base_year), meta=meta,
                                   facts=facts, sex_ratio_at_birth=SEX_RATIO_AT_BIRTH,
                                   fertility_damping=est.damping)
