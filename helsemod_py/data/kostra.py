"""KOSTRA care panel: import, user rates by age group with shrinkage, and dataset calibration.

The panel (``kostra_care_panel_2015_2023.csv``, SSB tables 04686, 12292, 11645, 11924, 14534
and 07459) has one row per municipality (2024 structure, ``kommunenr_2024``) and year
(``år``): population by age group (``folk_0_66``, ``folk_67_79``, ``folk_80p``; SSB 07459 on
1 January of the year), users of home-based services by age group (``Y_1_a_*``), residents
of housing with 24-hour staff (``Y_2_ialt``), long-term residents of institutions by age
group (``Y_3_a_*``), weekly hours of home nursing per user (``Y_4_ialt``) and contracted
nurse FTEs in municipal care (``Y_5_ialt``). ``kommunenr_hist_kilder`` names the historical
codes each row was built from; it is checked against :mod:`helsemod_py.data.regions`.

Definitions used by the model (services of :mod:`helsemod_py.dims`):

* ``home_care`` users = users of home-based services, ``Y_1`` (by age group);
* ``nursing_home`` users ("24-hour care") = long-term institution residents ``Y_3`` plus
  residents of 24-hour staffed housing ``Y_2``; ``Y_2`` has no age groups and is given those
  of the same row's ``Y_3`` (else the county's);
* nurse FTEs in municipal care = ``Y_5`` (contracted FTEs, filled positions): the measured
  base-year supply of the nurse groups (:data:`helsemod_py.dims.NURSE_GROUPS`) in the sector
  ``care`` (the services :data:`NURSE_SERVICES`); demand adds the county's vacancies
  (:mod:`helsemod_py.data.regional`).

Suppressed or missing cells (empty, ``.``, ``..``, ``...``, ``:``) are missing values; ``-``
is SSB's symbol for nil (0). A suppressed age group is derived from the total where only one
group is missing, or shared out in proportion to the county's rates where several are.
Every problem in a file is reported as one line naming the file, row, column and value
(:class:`~helsemod_py.errors.ImportDataError`).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from .. import dims as D
from ..errors import ImportDataError
from . import regions as RG
from .dataset import Dataset
from .regional import Measured, with_tables

# --- the file -------------------------------------------------------------------------------
CODE = "kommunenr_2024"
YEAR = "år"
HIST = "kommunenr_hist_kilder"
AGE_GROUPS = ("0-66", "67-79", "80+")
AGE_BOUNDS = ((0, 66), (67, 79), (80, D.MAX_AGE))  #: first and last one-year age of each group
POP_COLUMNS = ("folk_0_66", "folk_67_79", "folk_80p")
HOME_COLUMNS = ("Y_1_a_0_66", "Y_1_a_67_79", "Y_1_a_80p")
HOME_TOTAL = "Y_1_a_ialt"
INST_COLUMNS = ("Y_3_a_0_66", "Y_3_a_67_79", "Y_3_a_80p")
INST_TOTAL = "Y_3_a_ialt"
HOUSING_TOTAL = "Y_2_ialt"
NURSE_FTE = "Y_5_ialt"
VALUE_COLUMNS = HOME_COLUMNS + (HOME_TOTAL, HOUSING_TOTAL) + INST_COLUMNS + (INST_TOTAL, NURSE_FTE)
REQUIRED_COLUMNS = (CODE, YEAR) + POP_COLUMNS + VALUE_COLUMNS
OPTIONAL_COLUMNS = ("folk_ialt", "Y_4_ialt")  #: read and checked when present
SUPPRESSED = ("", ".", "..", "...", ":")  #: SSB symbols read as missing
NIL = "-"  #: SSB's symbol for nil, read as 0

# --- model mapping and assumptions -------------------------------------------------------------
SERVICES = ("home_care", "nursing_home")  #: services whose user rates KOSTRA calibrates
NURSE_SERVICES = ("nursing_home", "home_care")
#: Credibility constant (expected users, per year) of the shrinkage toward the county: a
#: municipality's relative rate is ``(O + k) / (E + k)`` times the county's, ``O`` its mean
#: yearly users in the age group and ``E`` those expected at the county's rate (Poisson-gamma
#: empirical Bayes; weight of its own data ``E / (E + k)``). Chosen by a holdout check on the
#: panel (``python benchmarks/backtest_demand.py --choose-k``) inside the demand backtest's
#: calibration years, never a year it scores: rates from 2015-2016 predicting 2018 users, and
#: 2015-2017 predicting 2019, in the 100 smallest municipalities. The summed error is lowest at
#: k = 5 (nursing_home 27.9 % / 34.8 % of users, against 29.4 % / 36.3 % unshrunk and 37.8 % /
#: 43.9 % with county rates only), and grows beyond k = 10.
K_CREDIBILITY = 5.0
_MAX_SHOWN = 5


# --- import ---------------------------------------------------------------------------------
def read_kostra(path, regions=None, years=None) -> pd.DataFrame:
    """Read and check the KOSTRA care panel; one row per municipality and year.

    ``regions``: the 2024 municipalities (:class:`~helsemod_py.dims.Regions` or codes);
    other codes are errors. Without it, codes that no longer exist in 2024 (e.g. ``3001``)
    are still errors. ``years``: the years the file must cover exactly (e.g.
    ``range(2015, 2024)``); a file for other years is an error.

    Returns columns ``region`` (text), ``year`` (int), the population and value columns as
    floats (NaN where suppressed), ``hist`` (historical codes, text) and ``covers``: the 2024
    codes the row's unit covers, joined by ``+`` (``1508+1580`` for Ålesund in 2020-2023,
    when Haram was part of it), else the row's own code.
    """
    from .ssb import _read_csv  # the shared CSV reader (text, no NA guessing)

    path = Path(path)
    name = path.name
    frame = _read_csv(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ImportDataError([f"{name}: missing column {c!r} (need {', '.join(REQUIRED_COLUMNS)})"
                               for c in missing])
    if frame.empty:
        raise ImportDataError(f"{name}: no data rows")
    problems: list[str] = []
    codes = frame[CODE].str.strip()
    bad = np.flatnonzero(~codes.str.fullmatch(r"\d{4}").to_numpy(dtype=bool))
    problems += _capped([f"{name}: row {i + 2}: column {CODE!r}: {frame[CODE].iloc[i]!r} is not a 4-digit "
                         "municipality code" for i in bad], name, CODE)
    year_values = pd.to_numeric(frame[YEAR].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(year_values) | (year_values != np.round(year_values)))
    problems += _capped([f"{name}: row {i + 2}: column {YEAR!r}: {frame[YEAR].iloc[i]!r} is not a year"
                         for i in bad], name, YEAR)
    numbers = {}
    for col in POP_COLUMNS + VALUE_COLUMNS + tuple(c for c in OPTIONAL_COLUMNS if c in frame.columns):
        values, probs = _values(frame[col], name, col, allow_missing=col not in POP_COLUMNS)
        numbers[col] = values
        problems += probs
    if problems:
        raise ImportDataError(problems)
    years_i = year_values.astype(np.int64)
    code_lines, bad_codes = _code_problems(codes, regions, name)
    problems += code_lines
    problems += _year_problems(years_i, years, name)
    problems += _duplicate_problems(codes, years_i, name)
    covers, hist, probs = _hist_problems(frame, codes, years_i, name, skip=bad_codes)
    problems += probs
    if problems:
        raise ImportDataError(problems)
    out = pd.DataFrame({"region": codes.to_numpy(), "year": years_i})
    for col, values in numbers.items():
        out[col] = values
    out["hist"] = hist
    out["covers"] = covers
    out = out.sort_values(["year", "region"], kind="stable").reset_index(drop=True)
    out.attrs["file"] = name
    return out


def _capped(lines: list[str], name: str, col: str) -> list[str]:
    if len(lines) <= _MAX_SHOWN:
        return lines
    return lines[:_MAX_SHOWN] + [f"{name}: column {col!r}: ... and {len(lines) - _MAX_SHOWN} more like these"]


def _values(series: pd.Series, name: str, col: str, allow_missing: bool) -> tuple[np.ndarray, list[str]]:
    text = series.str.strip()
    suppressed = text.isin(SUPPRESSED).to_numpy()
    nil = (text == NIL).to_numpy()
    values = pd.to_numeric(text.where(~(suppressed | nil)), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    values[nil] = 0.0
    problems = []
    bad = np.flatnonzero(~suppressed & ~nil & ~np.isfinite(values))
    problems += _capped([f"{name}: row {i + 2}: column {col!r}: {series.iloc[i]!r} is not a number "
                         f"(suppressed cells may be empty, '.', '..', '...' or ':')" for i in bad], name, col)
    neg = np.flatnonzero(np.isfinite(values) & (values < 0))
    problems += _capped([f"{name}: row {i + 2}: column {col!r}: {series.iloc[i]!r} is negative" for i in neg],
                        name, col)
    if not allow_missing:
        miss = np.flatnonzero(suppressed)
        problems += _capped([f"{name}: row {i + 2}: column {col!r}: population is missing ({series.iloc[i]!r}); "
                             "rates need it in every row" for i in miss], name, col)
    values[suppressed] = np.nan
    return values, problems


def _code_problems(codes: pd.Series, regions, name: str) -> tuple[list[str], set]:
    known = None
    if regions is not None:
        known = set(regions.codes if isinstance(regions, D.Regions) else regions)
    lines, bad = [], set()
    first_rows = pd.Series(np.arange(len(codes)), index=codes.to_numpy()).groupby(level=0, sort=False).first()
    for code, i in first_rows.items():
        note = RG.retired_code_note(code)
        if note is not None:
            lines.append(f"{name}: row {i + 2}: column {CODE!r}: code {code!r} is not a 2024 code: {note}")
            bad.add(code)
        elif known is not None and code not in known:
            lines.append(f"{name}: row {i + 2}: column {CODE!r}: unknown code {code!r} "
                         f"(not among the {len(known)} 2024 municipality codes given)")
            bad.add(code)
    return _capped(lines, name, CODE), bad


def _year_problems(years_i: np.ndarray, years, name: str) -> list[str]:
    if years is None:
        return []
    want = sorted({int(y) for y in years})
    have = sorted(set(years_i.tolist()))
    span = f"{want[0]}-{want[-1]}" if want == list(range(want[0], want[-1] + 1)) else ", ".join(map(str, want))
    lines = []
    for y in sorted(set(have) - set(want)):
        rows = np.flatnonzero(years_i == y)
        lines.append(f"{name}: row {rows[0] + 2}: column {YEAR!r}: year {y} is outside the expected years {span} "
                     f"({len(rows)} rows; the file is for {have[0]}-{have[-1]})")
    for y in sorted(set(want) - set(have)):
        lines.append(f"{name}: column {YEAR!r}: no rows for year {y} (expected {span})")
    return _capped(lines, name, YEAR)


def _duplicate_problems(codes: pd.Series, years_i: np.ndarray, name: str) -> list[str]:
    keys = pd.DataFrame({"c": codes.to_numpy(), "y": years_i})
    dup = np.flatnonzero(keys.duplicated().to_numpy())
    lines = []
    first = {}
    for i, (c, y) in enumerate(zip(keys.c, keys.y)):
        first.setdefault((c, y), i)
    for j in dup:
        c, y = keys.c.iloc[j], keys.y.iloc[j]
        lines.append(f"{name}: rows {first[(c, y)] + 2} and {j + 2}: duplicate row for {CODE}={c!r}, {YEAR}={y}")
    return _capped(lines, name, CODE)


def _hist_problems(frame: pd.DataFrame, codes: pd.Series, years_i: np.ndarray, name: str, skip=frozenset()):
    n = len(frame)
    if HIST not in frame.columns:
        return codes.to_numpy().copy(), np.full(n, "", dtype=object), []
    hist = frame[HIST].str.strip().to_numpy()
    covers = np.empty(n, dtype=object)
    lines = []
    cache: dict[tuple[str, int], tuple[set, str | None]] = {}
    for i, (code, year, h) in enumerate(zip(codes.to_numpy(), years_i, hist)):
        if code in skip:  # already reported
            covers[i] = code
            continue
        key = (h, int(year))
        if key not in cache:
            parts = [p.strip() for p in h.split("+")] if h else []
            if not parts or not all(len(p) == 4 and p.isdigit() for p in parts):
                cache[key] = (set(), f"{h!r} is not a list of 4-digit codes joined by '+'")
            else:
                union: set = set()
                per_part = {}
                for p in parts:
                    per_part[p] = set(RG.targets(p, int(year)))
                    union |= per_part[p]
                cache[key] = (union, per_part)
        union, per_part = cache[key]
        err = per_part if isinstance(per_part, str) else None
        if err is None:
            stray = [p for p, t in per_part.items() if code not in t]
            if stray:
                p = stray[0]
                err = (f"{p!r} (a code of {year}, in {h!r}) leads to {'+'.join(sorted(per_part[p]))} in 2024, "
                       f"not to {code!r}, under the correspondence table (helsemod_py.data.regions)")
        if err is not None:
            lines.append(f"{name}: row {i + 2}: column {HIST!r}: {err}")
            covers[i] = code
            continue
        covers[i] = "+".join(sorted(union)) if union != {code} else code
    return covers, hist.astype(object), _capped(lines, name, HIST)


# --- user counts by age group ------------------------------------------------------------------
def _county_of(codes) -> np.ndarray:
    return np.array([str(c)[:2] for c in codes], dtype=object)


def _fill_groups(groups: np.ndarray, total: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Age-group counts [n, 3] with suppressed groups derived from the total.

    One missing group: the residual of the total (at least 0). Several missing: the residual
    shared in proportion to ``expected`` [n, 3] (county rate times population). No total and a
    missing group: that group stays NaN. Returns the counts and a flag [n, 3] of derived cells.
    """
    out = groups.copy()
    derived = np.zeros(groups.shape, dtype=bool)
    miss = ~np.isfinite(groups)
    n_miss = miss.sum(axis=1)
    rows = np.flatnonzero((n_miss > 0) & np.isfinite(total))
    for i in rows:
        m = miss[i]
        residual = max(total[i] - np.nansum(np.where(m, 0.0, groups[i])), 0.0)
        w = expected[i] * m
        w = w / w.sum() if w.sum() > 0 else m / m.sum()
        out[i, m] = residual * w[m]
        derived[i, m] = True
    return out, derived


def _pooled_rates(users: np.ndarray, pop: np.ndarray, keys: np.ndarray) -> tuple[dict, np.ndarray]:
    """Pooled rate per key and age group: sum of known users / sum of their population."""
    out = {}
    known = np.isfinite(users)
    for key in np.unique(keys):
        sel = keys == key
        u = np.where(known[sel], users[sel], 0.0).sum(axis=0)
        p = np.where(known[sel], pop[sel], 0.0).sum(axis=0)
        out[key] = np.divide(u, p, out=np.full(3, np.nan), where=p > 0)
    u = np.where(known, users, 0.0).sum(axis=0)
    p = np.where(known, pop, 0.0).sum(axis=0)
    national = np.divide(u, p, out=np.zeros(3), where=p > 0)
    return out, national


def _county_rates(users, pop, county) -> tuple[np.ndarray, np.ndarray]:
    """Rates [n, 3] of each row's county (national where the county has none), and the national."""
    by_county, national = _pooled_rates(users, pop, county)
    rates = np.array([by_county[c] for c in county]).reshape(len(county), 3)
    return np.where(np.isfinite(rates), rates, national), national


def service_users(panel: pd.DataFrame) -> dict[str, np.ndarray]:
    """Users [n, 3] by age group of each panel row for :data:`SERVICES` (NaN = unknown).

    Suppressed age groups are derived (see :func:`_fill_groups`); for ``nursing_home`` a
    suppressed ``Y_2`` (24-hour housing) is imputed at the county's ``Y_2`` per inhabitant
    aged 67+ and ``Y_2`` is spread over age groups like the row's ``Y_3``. The flags of
    derived or imputed cells are in ``out["<service>_derived"]``.
    """
    pop = panel[list(POP_COLUMNS)].to_numpy(dtype=np.float64)
    county = _county_of(panel["covers"].str.split("+").str[0])
    out = {}
    for service, cols, total in (("home_care", HOME_COLUMNS, HOME_TOTAL), ("institution", INST_COLUMNS, INST_TOTAL)):
        groups = panel[list(cols)].to_numpy(dtype=np.float64)
        complete = np.isfinite(groups).all(axis=1)
        rate, _ = _county_rates(np.where(complete[:, None], groups, np.nan), pop, county)
        filled, derived = _fill_groups(groups, panel[total].to_numpy(dtype=np.float64), rate * pop)
        out[service], out[f"{service}_derived"] = filled, derived
    inst, inst_derived = out.pop("institution"), out.pop("institution_derived")
    housing = panel[HOUSING_TOTAL].to_numpy(dtype=np.float64).copy()
    old = pop[:, 1:].sum(axis=1)
    h_known = np.isfinite(housing)
    per_old = {}
    for c in np.unique(county):
        sel = (county == c) & h_known
        per_old[c] = housing[sel].sum() / old[sel].sum() if old[sel].sum() > 0 else np.nan
    nat = housing[h_known].sum() / old[h_known].sum() if old[h_known].sum() > 0 else 0.0
    imputed = ~h_known
    housing[imputed] = [old[i] * (per_old[county[i]] if np.isfinite(per_old[county[i]]) else nat)
                        for i in np.flatnonzero(imputed)]
    inst_known = np.isfinite(inst).all(axis=1) & (np.nansum(inst, axis=1) > 0)
    shares = np.full(inst.shape, np.nan)
    shares[inst_known] = inst[inst_known] / inst[inst_known].sum(axis=1, keepdims=True)
    county_shares = {}
    for c in np.unique(county):
        sel = (county == c) & inst_known
        s = inst[sel].sum(axis=0)
        county_shares[c] = s / s.sum() if s.sum() > 0 else None
    nat_s = inst[inst_known].sum(axis=0)
    nat_s = nat_s / nat_s.sum() if nat_s.sum() > 0 else np.array([0.1, 0.2, 0.7])
    for i in np.flatnonzero(~inst_known):
        shares[i] = county_shares[county[i]] if county_shares[county[i]] is not None else nat_s
    out["nursing_home"] = inst + housing[:, None] * shares
    out["nursing_home_derived"] = inst_derived | imputed[:, None]
    return out


# --- rates --------------------------------------------------------------------------------------
def estimate_user_rates(panel: pd.DataFrame, years, k: float = K_CREDIBILITY, regions=None) -> dict[str, pd.DataFrame]:
    """User rates (users per inhabitant) by municipality and age group, shrunk toward the county.

    For ``home_care`` and ``nursing_home`` (see the module's definitions) and each age group of
    :data:`AGE_GROUPS`: the rows of ``years`` covering a municipality are pooled (sum of users
    over sum of population, years with unknown users left out), and the municipality's rate
    relative to its county's is shrunk, ``(O + k) / (E + k)``, with ``O`` and ``E`` its mean
    yearly observed and county-expected users (:data:`K_CREDIBILITY`). Rows that cover several
    2024 municipalities (Ålesund with Haram, 2020-2023) count for each of them. Municipalities
    without any row (``regions`` lists the ones wanted; default those in the panel) get their
    county's rate (the national one where the county has none).

    Returns ``{service: DataFrame}``: index the 2024 codes, columns :data:`AGE_GROUPS`. Each
    frame's ``attrs`` hold ``raw`` (unshrunk rates), ``weight`` (credibility ``E/(E+k)``),
    ``county`` (county rates), ``years_used``, ``from_county`` (codes without data),
    ``shared`` (code -> unit it shares data with), ``k`` and ``years``.
    """
    years = sorted({int(y) for y in years})
    sub = panel[panel["year"].isin(years)].reset_index(drop=True)
    name = panel.attrs.get("file", "kostra panel")
    if sub.empty:
        raise ImportDataError(f"{name}: column 'year': no rows for years {years[0]}-{years[-1]} "
                              f"(the panel has {panel['year'].min()}-{panel['year'].max()})")
    if k < 0:
        raise ValueError("credibility constant k must be >= 0")
    users = service_users(sub)
    pop = sub[list(POP_COLUMNS)].to_numpy(dtype=np.float64)
    covers = sub["covers"].str.split("+").to_list()
    row_county = _county_of([c[0] for c in covers])
    codes = sorted({c for cov in covers for c in cov}) if regions is None else list(
        regions.codes if isinstance(regions, D.Regions) else regions)
    shared = {c: "+".join(cov) for cov in covers if len(cov) > 1 for c in cov}
    member_rows: dict[str, list[int]] = {}
    for i, cov in enumerate(covers):
        for c in cov:
            member_rows.setdefault(c, []).append(i)
    result = {}
    for service in SERVICES:
        u = users[service]
        by_county, national = _pooled_rates(u, pop, row_county)
        rates = np.empty((len(codes), 3))
        raw = np.full((len(codes), 3), np.nan)
        weight = np.zeros((len(codes), 3))
        n_years = np.zeros((len(codes), 3), dtype=np.int64)
        for j, code in enumerate(codes):
            c_rate = by_county.get(code[:2], national)
            c_rate = np.where(np.isfinite(c_rate), c_rate, national)
            rows = member_rows.get(code, [])
            if not rows:
                rates[j] = c_rate
                continue
            uu, pp = u[rows], pop[rows]
            known = np.isfinite(uu)
            n = known.sum(axis=0)
            obs = np.where(known, uu, 0.0).sum(axis=0) / np.maximum(n, 1)
            exposure = np.where(known, pp, 0.0).sum(axis=0) / np.maximum(n, 1)
            expected = exposure * c_rate
            raw[j] = np.divide(obs, exposure, out=np.full(3, np.nan), where=(n > 0) & (exposure > 0))
            theta = np.divide(obs + k, expected + k, out=np.ones(3), where=expected + k > 0)
            rates[j] = np.where(n > 0, np.minimum(theta * c_rate, 1.0), c_rate)
            weight[j] = np.where(n > 0, np.divide(expected, expected + k, out=np.ones(3),
                                                  where=expected + k > 0), 0.0)
            n_years[j] = n
        frame = pd.DataFrame(rates, index=pd.Index(codes, name="region"), columns=list(AGE_GROUPS))
        frame.attrs.update(
            raw=pd.DataFrame(raw, index=frame.index, columns=list(AGE_GROUPS)),
            weight=pd.DataFrame(weight, index=frame.index, columns=list(AGE_GROUPS)),
            county=pd.DataFrame.from_dict({c: v for c, v in by_county.items()}, orient="index",
                                          columns=list(AGE_GROUPS)).fillna(pd.Series(national, index=list(AGE_GROUPS))),
            years_used=pd.DataFrame(n_years, index=frame.index, columns=list(AGE_GROUPS)),
            from_county=[c for c in codes if c not in member_rows],
            shared={c: v for c, v in shared.items() if c in set(codes)},
            k=float(k), years=years)
        result[service] = frame
    return result


# --- coverage trends -----------------------------------------------------------------------------
#: Age groups (indices into :data:`AGE_GROUPS`) that share one coverage trend, per service. Since
#: 2017 SSB suppresses the 0-66 group of institution residents in most municipalities and the
#: 67-79 group is often derived, so their split is partly imputed: 24-hour care gets one trend
#: for 0-79 (its users standardised by the national rates of the two groups) and one for 80+.
#: Home-care users 67-79 are the exact residual of the total and the two published groups.
TREND_GROUPS = {"home_care": ((0,), (1,), (2,)), "nursing_home": ((0, 1), (2,))}
#: Fewest years with users a unit needs for a trend of its own (else it takes its county's).
MIN_TREND_YEARS = 3
#: Scale (county, municipality) of the empirical-Bayes weights of the coverage trends: 1 keeps
#: the weight ``τ² / (τ² + var)`` of a unit's own deviation, 0 pools completely (a county takes
#: the nation's trend, a municipality its county's). The between-unit variance of fitted
#: trends also holds deviations that do not last, so the weights are scaled by a holdout on
#: KOSTRA years before any year the demand backtest scores
#: (``python benchmarks/backtest_demand.py --choose-damping``).
TREND_CREDIBILITY = (1.0, 0.0)


def _trend_units(covers: list[list[str]]) -> dict[str, str]:
    """Unit label of every 2024 code: codes that ever share a panel row form one unit
    (Ålesund and Haram, one municipality in 2020-2023), labelled by their codes joined with ``+``."""
    parent: dict[str, str] = {}

    def find(c):
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for cov in covers:
        for c in cov[1:]:
            a, b = find(cov[0]), find(c)
            if a != b:
                parent[max(a, b)] = min(a, b)
        find(cov[0])
    members: dict[str, list[str]] = {}
    for c in parent:
        members.setdefault(find(c), []).append(c)
    return {c: "+".join(sorted(m)) for m in members.values() for c in m}


def _loglinear_trends(obs: np.ndarray, offset: np.ndarray, x: np.ndarray, kappa: float = 0.0):
    """Log-linear trend of ``obs [n, Y]`` against ``offset [n, Y]`` (expected at constant rates).

    Quasi-likelihood fit of ``obs ~ offset · exp(α + β x)`` with variance ``μ (1 + κ μ)``
    (Poisson for κ = 0, negative-binomial type otherwise), by Fisher scoring, per row; NaN
    ``obs`` are left out. Returns ``beta``, its variance ``var`` (inf where a row has fewer than
    :data:`MIN_TREND_YEARS` years or no users), the fitted ``mu`` and the mask of years used.
    """
    ok = np.isfinite(obs) & (offset > 0)
    o = np.where(ok, obs, 0.0)
    e = np.where(ok, offset, 0.0)
    total_o, total_e = o.sum(axis=1), e.sum(axis=1)
    valid = (ok.sum(axis=1) >= MIN_TREND_YEARS) & (total_o > 0)
    alpha = np.log(np.divide(total_o, total_e, out=np.ones(len(o)), where=valid & (total_e > 0)))
    beta = np.zeros(len(o))
    for _ in range(50):
        mu = e * np.exp(alpha[:, None] + beta[:, None] * x[None, :])
        w = 1.0 / (1.0 + kappa * mu)
        r = (o - mu) * w
        s_a, s_b = r.sum(axis=1), (r * x).sum(axis=1)
        wm = mu * w
        i_aa, i_ab, i_bb = wm.sum(axis=1), (wm * x).sum(axis=1), (wm * x * x).sum(axis=1)
        det = i_aa * i_bb - i_ab ** 2
        good = valid & (det > 0)
        d_a = np.divide(i_bb * s_a - i_ab * s_b, det, out=np.zeros(len(o)), where=good)
        d_b = np.divide(i_aa * s_b - i_ab * s_a, det, out=np.zeros(len(o)), where=good)
        alpha += np.clip(d_a, -1.0, 1.0)
        beta += np.clip(d_b, -0.5, 0.5)
        if np.all(np.abs(d_b[good]) < 1e-10):
            break
    mu = e * np.exp(alpha[:, None] + beta[:, None] * x[None, :])
    wm = mu / (1.0 + kappa * mu)
    i_aa, i_ab, i_bb = wm.sum(axis=1), (wm * x).sum(axis=1), (wm * x * x).sum(axis=1)
    det = i_aa * i_bb - i_ab ** 2
    good = valid & (det > 0)
    var = np.divide(i_aa, det, out=np.full(len(o), np.inf), where=good)
    return np.where(good, beta, 0.0), var, mu, ok & good[:, None]


def _overdispersion(obs: np.ndarray, mu: np.ndarray, used: np.ndarray) -> float:
    """Moment estimate of κ in ``var = μ (1 + κ μ)``, pooled over rows (2 parameters per row)."""
    rows = used.any(axis=1)
    n_obs, n_par = used.sum(), 2 * rows.sum()
    if n_obs <= n_par:
        return 0.0
    resid = np.where(used, (np.nan_to_num(obs) - mu) ** 2 * n_obs / (n_obs - n_par) - mu, 0.0)
    return max(0.0, float(resid.sum() / np.where(used, mu * mu, 0.0).sum()))


def _fit(obs, offset, x):
    """Two passes: Poisson, then with the pooled overdispersion. Returns beta, var, kappa."""
    _, _, mu, used = _loglinear_trends(obs, offset, x)
    kappa = _overdispersion(obs, mu, used)
    beta, var, _, _ = _loglinear_trends(obs, offset, x, kappa)
    return beta, var, kappa


def _between_variance(beta: np.ndarray, var: np.ndarray, group: np.ndarray) -> float:
    """DerSimonian-Laird estimate of the variance of true trends around their group's mean."""
    ok = np.isfinite(var)
    if ok.sum() < 2:
        return 0.0
    w = 1.0 / var[ok]
    b, g = beta[ok], group[ok]
    q, c, n_groups = 0.0, 0.0, 0
    for key in np.unique(g):
        sel = g == key
        ws, bs = w[sel], b[sel]
        m = (ws * bs).sum() / ws.sum()
        q += (ws * (bs - m) ** 2).sum()
        c += ws.sum() - (ws ** 2).sum() / ws.sum()
        n_groups += 1
    df = ok.sum() - n_groups
    return max(0.0, (q - df) / c) if c > 0 else 0.0


def standardised_exposure(history, dataset: Dataset, years=None) -> dict[str, pd.DataFrame]:
    """Age-standardised population of each KOSTRA age group, by municipality and year.

    ``E[r, y, b] = Σ_{s, a in b} P[r, y, s, a] · shape[s, a] / c_b``: the one-year population
    of a :class:`~helsemod_py.data.ssb.PopulationHistory` weighted by the dataset's national
    one-year profile of use of each service (population-weighted mean of ``user_rate``), with
    ``c_b`` making the national sum of the first year equal its population. A trend fitted
    against it is net of ageing within an age group (e.g. a younger 80+ population), which the
    model's one-year rates already carry. Returns ``{service: DataFrame}`` indexed by
    ``(region, year)`` with columns :data:`AGE_GROUPS`.
    """
    codes = list(history.regions.codes)
    hist_years = [int(y) for y in history.years]
    years = hist_years if years is None else [int(y) for y in years if int(y) in hist_years]
    idx = [hist_years.index(y) for y in years]
    pop = np.asarray(history.population, dtype=np.float64)[idx]  # [Y, R, S, A]
    base = dataset["population"]
    out = {}
    index = pd.MultiIndex.from_product([codes, years], names=["region", "year"])
    for service in SERVICES:
        rate = dataset["user_rate"][:, D.SERVICES.index(service)]  # [R, S, A]
        shape = (base * rate).sum(axis=0) / np.maximum(base.sum(axis=0), 1e-300)  # national [S, A]
        cols = []
        for lo, hi in AGE_BOUNDS:
            ages = (D.AGES >= lo) & (D.AGES <= hi)
            e = (pop[:, :, :, ages] * shape[None, None, :, ages]).sum(axis=(2, 3))  # [Y, R]
            p0 = pop[0][:, :, ages].sum()
            cols.append(e * (p0 / e[0].sum() if e[0].sum() > 0 else 1.0))
        arr = np.stack(cols, axis=-1).transpose(1, 0, 2).reshape(len(codes) * len(years), 3)  # [(R, Y), 3]
        out[service] = pd.DataFrame(arr, index=index, columns=list(AGE_GROUPS))
    return out


def _shrunk_trends(o, e, x, unit_county, counties, credibility) -> dict:
    """Trends of one trend group fitted for the nation, each county (sums over the units known in
    each year) and each unit, then shrunk: a county toward the nation and a unit toward its county
    by ``λ = τ² / (τ² + var)`` (DerSimonian-Laird ``τ²``) scaled by ``credibility``."""
    oc = np.array([np.nansum(o[unit_county == c], axis=0) for c in counties])
    ec = np.array([e[unit_county == c].sum(axis=0) for c in counties])
    b_n, _, k_n = _fit(np.nansum(o, axis=0)[None], e.sum(axis=0)[None], x)
    b_c, v_c, k_c = _fit(oc, ec, x)
    b_r, v_r, k_r = _fit(o, e, x)
    t2_c = _between_variance(b_c, v_c, np.zeros(len(counties)))
    t2_r = _between_variance(b_r, v_r, unit_county)
    lam_c = credibility[0] * np.where(np.isfinite(v_c), t2_c / (t2_c + v_c), 0.0)
    bc_star = b_n[0] + lam_c * (b_c - b_n[0])
    county_star = dict(zip(counties, bc_star))
    lam_r = credibility[1] * np.where(np.isfinite(v_r), np.divide(t2_r, t2_r + v_r, out=np.zeros(len(b_r)),
                                                                     where=(t2_r + v_r) > 0), 0.0)
    base = np.array([county_star[c] for c in unit_county])
    return {"b_n": b_n, "b_c": b_c, "bc_star": bc_star, "b_r": b_r, "v_r": v_r, "lam_r": lam_r,
            "br_star": base + lam_r * (b_r - base), "kappa": {"nation": k_n, "county": k_c, "municipality": k_r},
            "tau2": {"county": t2_c, "municipality": t2_r}}


def estimate_coverage_trends(panel: pd.DataFrame, years, regions=None,
                             exposure: dict[str, pd.DataFrame] | None = None,
                             credibility: tuple[float, float] = TREND_CREDIBILITY) -> dict[str, pd.DataFrame]:
    """Coverage trends (yearly log change of users per inhabitant) by municipality and age group.

    For ``home_care`` and ``nursing_home`` and each trend group of :data:`TREND_GROUPS`, over
    the panel's ``years``: a log-linear trend in users against the users expected at constant
    national rates (``β``, /1 per year), fitted per municipality unit, per county (summed) and
    for the nation, with variance ``μ (1 + κ μ)`` (κ pooled per level: Poisson noise plus
    year-to-year variation that grows with size). Shrinkage (empirical Bayes, normal-normal):
    a county's trend is the nation's plus ``λ_c`` of its own deviation and a municipality's its
    county's plus ``λ_r`` of its deviation, ``λ = τ² / (τ² + var)``, with the between-unit
    variances ``τ²`` estimated by DerSimonian-Laird (municipalities around their county's mean,
    counties around the nation's). Units with fewer than :data:`MIN_TREND_YEARS` years or no
    users take their county's trend, as do municipalities without rows (``regions``).
    ``exposure`` (:func:`standardised_exposure`) replaces the panel's group populations by
    age-standardised ones, so the trend is net of ageing within each age group; without it
    the trend also carries that ageing. ``credibility`` scales ``λ_c`` and ``λ_r``
    (:data:`TREND_CREDIBILITY`).

    Returns ``{service: DataFrame}``: index the 2024 codes, columns :data:`AGE_GROUPS` (groups
    sharing a trend have the same value). Each frame's ``attrs``: ``raw`` (unshrunk municipal
    trends, NaN without a fit), ``weight`` (``λ_r``), ``se`` (standard error of ``raw``),
    ``county`` (shrunk county trends, by county code), ``county_raw``, ``national``, ``kappa``,
    ``tau2`` (``{"county": ..., "municipality": ...}`` per trend group) and ``years``.
    """
    years = sorted({int(y) for y in years})
    name = panel.attrs.get("file", "kostra panel")
    sub = panel[panel["year"].isin(years)].reset_index(drop=True)
    if len(set(sub["year"])) < MIN_TREND_YEARS:
        raise ImportDataError(f"{name}: column 'year': a coverage trend needs at least {MIN_TREND_YEARS} years "
                              f"of the panel; {years[0]}-{years[-1]} has {len(set(sub['year']))} "
                              f"(the panel has {panel['year'].min()}-{panel['year'].max()})")
    users = service_users(sub)
    pop = sub[list(POP_COLUMNS)].to_numpy(dtype=np.float64)
    covers = sub["covers"].str.split("+").to_list()
    unit_of = _trend_units(covers)
    units = sorted(set(unit_of.values()))
    u_index = {u: i for i, u in enumerate(units)}
    yrs = sorted(set(sub["year"]))
    y_index = {y: i for i, y in enumerate(yrs)}
    x = np.array(yrs, dtype=np.float64) - np.mean(yrs)
    row_unit = np.array([u_index[unit_of[c[0]]] for c in covers])
    row_year = np.array([y_index[y] for y in sub["year"]])
    unit_county = np.array([u[:2] for u in units])
    counties = sorted(set(unit_county))
    codes = sorted(unit_of) if regions is None else list(regions.codes if isinstance(regions, D.Regions) else regions)
    result = {}
    for service in SERVICES:
        u_rows = users[service]
        n_u, n_y = len(units), len(yrs)
        obs = np.zeros((n_u, n_y, 3))
        exp_pop = np.zeros((n_u, n_y, 3))
        np.add.at(obs, (row_unit, row_year), u_rows)  # NaN propagates: a unit-year with a gap is unknown
        np.add.at(exp_pop, (row_unit, row_year), pop if exposure is None else _row_exposure(
            exposure[service], covers, sub["year"].to_numpy(), name))
        seen = np.zeros((n_u, n_y), dtype=bool)
        seen[row_unit, row_year] = True
        obs[~seen] = np.nan
        known = np.isfinite(u_rows)
        nat_rate = np.where(known, u_rows, 0.0).sum(axis=0) / np.maximum(np.where(known, pop, 0.0).sum(axis=0), 1e-300)
        frame = np.zeros((len(codes), 3))
        raw = np.full((len(codes), 3), np.nan)
        weight = np.zeros((len(codes), 3))
        se = np.full((len(codes), 3), np.nan)
        c_shrunk = {c: np.zeros(3) for c in counties}
        c_raw = {c: np.full(3, np.nan) for c in counties}
        national, kappa, tau2 = np.zeros(3), {}, {}
        for group in TREND_GROUPS[service]:
            g = list(group)
            o = obs[:, :, g].sum(axis=2)  # NaN if any member group unknown
            e = (exp_pop[:, :, g] * nat_rate[g]).sum(axis=2)
            e = np.where(np.isfinite(o), e, 0.0)
            fit = _shrunk_trends(o, e, x, unit_county, counties, credibility)
            b_n, b_c, bc_star, b_r, v_r, lam_r = (fit[k] for k in ("b_n", "b_c", "bc_star", "b_r", "v_r", "lam_r"))
            county_star = dict(zip(counties, bc_star))
            unit_value = dict(zip(units, fit["br_star"]))
            for j, code in enumerate(codes):
                unit = unit_of.get(code)
                if unit is None:
                    frame[j, g] = county_star.get(code[:2], b_n[0])
                    continue
                i = u_index[unit]
                frame[j, g] = unit_value[unit]
                weight[j, g] = lam_r[i]
                if np.isfinite(v_r[i]):
                    raw[j, g], se[j, g] = b_r[i], np.sqrt(v_r[i])
            for c, bs, br in zip(counties, bc_star, b_c):
                c_shrunk[c][g], c_raw[c][g] = bs, br
            national[g] = b_n[0]
            label = ", ".join(AGE_GROUPS[i] for i in g)
            kappa[label] = fit["kappa"]
            tau2[label] = fit["tau2"]
        out = pd.DataFrame(np.clip(frame, -0.2, 0.2), index=pd.Index(codes, name="region"), columns=list(AGE_GROUPS))
        cols = list(AGE_GROUPS)
        out.attrs.update(
            raw=pd.DataFrame(raw, index=out.index, columns=cols),
            weight=pd.DataFrame(weight, index=out.index, columns=cols),
            se=pd.DataFrame(se, index=out.index, columns=cols),
            county=pd.DataFrame.from_dict(c_shrunk, orient="index", columns=cols),
            county_raw=pd.DataFrame.from_dict(c_raw, orient="index", columns=cols),
            national=pd.Series(national, index=cols), kappa=kappa, tau2=tau2, years=yrs,
            clipped=int((np.abs(frame) > 0.2).sum()))
        result[service] = out
    return result


def _row_exposure(exposure: pd.DataFrame, covers, years, name) -> np.ndarray:
    """Standardised population [n, 3] of each panel row (summed over the codes it covers)."""
    keys = [(c, int(y)) for cov, y in zip(covers, years) for c in cov]
    missing = [k for k in dict.fromkeys(keys) if k not in exposure.index]
    if missing:
        c, y = missing[0]
        raise ImportDataError(f"{name}: row for {CODE}={c!r}, {YEAR}={y}: no population history for this "
                              f"municipality and year ({len(missing)} such rows); give a history covering the "
                              "panel's years")
    values = exposure.loc[keys].to_numpy()
    ends = np.cumsum([len(c) for c in covers])
    return np.add.reduceat(values, np.concatenate([[0], ends[:-1]]), axis=0)


def _plain(values: dict) -> dict:
    """Nested numbers as plain floats (6 significant digits) for the dataset's YAML."""
    return {k: _plain(v) if isinstance(v, dict) else float(f"{float(v):.6g}") for k, v in values.items()}


def coverage_trend_array(trends: dict[str, pd.DataFrame], codes) -> np.ndarray:
    """The dataset parameter ``coverage_trend`` [R, K, A] (/1 per year) from
    :func:`estimate_coverage_trends`: each age group's trend at its one-year ages, 0 for the
    services KOSTRA does not cover."""
    from ..trends import band_of_ages

    band = band_of_ages(AGE_BOUNDS)
    out = np.zeros((len(codes), len(D.SERVICES), len(D.AGES)))
    for service, frame in trends.items():
        out[:, D.SERVICES.index(service), :] = frame.loc[list(codes)].to_numpy()[:, band]
    return out


def add_coverage_trends(dataset: Dataset, panel: pd.DataFrame, years=None, history=None,
                        credibility: tuple[float, float] = TREND_CREDIBILITY) -> Dataset:
    """A new dataset whose ``coverage_trend`` is estimated from the KOSTRA panel.

    ``years``: the panel years to fit (default: every panel year up to the dataset's base
    year). ``history``: the population by one-year age over those years
    (:class:`~helsemod_py.data.ssb.PopulationHistory`), to standardise the trend for ageing
    within each age group (:func:`standardised_exposure`); without it the panel's group
    populations are used. See :func:`estimate_coverage_trends`; ``dataset.meta`` records the
    source, the national trends and the shrinkage (``parameters.coverage_trend``).
    """
    if years is None:
        years = [y for y in sorted(panel["year"].unique()) if y <= dataset.base_year]
    codes = dataset.regions.codes
    exposure = None if history is None else standardised_exposure(history, dataset, years)
    trends = estimate_coverage_trends(panel, years, regions=codes, exposure=exposure, credibility=credibility)
    yrs = trends["home_care"].attrs["years"]
    span = f"{yrs[0]}-{yrs[-1]}"
    meta = copy.deepcopy(dataset.meta)
    name = panel.attrs.get("file", "kostra panel")
    national = {s: {g: round(float(v), 5) for g, v in f.attrs["national"].items()} for s, f in trends.items()}
    meta.setdefault("parameters", {})["coverage_trend"] = {
        "source": (f"home_care and nursing_home: KOSTRA care panel ({name}; SSB KOSTRA) {span}, log-linear trend "
                   "of users per inhabitant by age group (24-hour care 0-79 as one group)"
                   + (", age-standardised within each group with the one-year population (SSB 07459)"
                      if history is not None else "") +
                   ", per municipality shrunk toward the county and the county toward the nation (empirical "
                   "Bayes); other services: none"),
        "synthetic": False,
        "kostra": {"years": list(map(int, yrs)), "national": national, "standardised": history is not None,
                   "credibility": list(map(float, credibility)),
                   "tau2": {s: _plain(f.attrs["tau2"]) for s, f in trends.items()},
                   "kappa": {s: _plain(f.attrs["kappa"]) for s, f in trends.items()},
                   "clipped": {s: int(f.attrs["clipped"]) for s, f in trends.items()}},
    }
    arrays = {**dataset.arrays, "coverage_trend": coverage_trend_array(trends, codes)}
    return Dataset(dataset.regions, dataset.base_year, arrays, dict(dataset.scalars), dataset.name,
                   dataset.version, meta).validate()


# --- one-year profiles ---------------------------------------------------------------------------
def _scale_capped(profile: np.ndarray, pop: np.ndarray, target: float, cap: float = 1.0) -> np.ndarray:
    """``min(cap, c * profile)`` with ``sum(pop * rate) = target`` (water-filling over capped cells).

    ``profile`` and ``pop`` have the same shape (sex x ages of one group). A zero profile is
    replaced by a flat one; where the population is zero the plain scale of the profile's mean
    is used; an infeasible target leaves every cell at ``cap``.
    """
    if not (profile > 0).any():
        profile = np.ones_like(profile)
    total_pop = pop.sum()
    if total_pop <= 0 or target <= 0:
        mean_rate = target / total_pop if total_pop > 0 else 0.0
        scale = mean_rate / profile.mean() if profile.mean() > 0 else 0.0
        return np.minimum(profile * scale, cap)
    capped = np.zeros(profile.shape, dtype=bool)
    rate = profile.copy()
    for _ in range(profile.size + 1):
        fixed = (pop * cap)[capped].sum()
        free = (pop * profile)[~capped].sum()
        if free <= 0:
            return np.where(profile > 0, cap, 0.0) if fixed <= target else rate
        c = (target - fixed) / free
        rate = np.where(capped, cap, c * profile)
        over = ~capped & (rate > cap)
        if not over.any():
            return np.clip(rate, 0.0, cap)
        capped |= over
    return np.clip(rate, 0.0, cap)  # pragma: no cover - the loop caps at least one cell each round


def one_year_rates(profile: np.ndarray, population: np.ndarray, group_rates: np.ndarray) -> np.ndarray:
    """One-year user rates [R, S, A] whose users per age group match ``group_rates`` [R, 3].

    Keeps the shape of ``profile`` [R, S, A] within each age group of :data:`AGE_BOUNDS`
    (scaled, capped at 1): ``sum over the group of population * rate = group rate * group
    population`` for every municipality.
    """
    out = np.array(profile, dtype=np.float64, copy=True)
    for g, (lo, hi) in enumerate(AGE_BOUNDS):
        ages = (D.AGES >= lo) & (D.AGES <= hi)
        for r in range(out.shape[0]):
            pop = population[r][:, ages]
            out[r][:, ages] = _scale_capped(profile[r][:, ages], pop, group_rates[r, g] * pop.sum())
    return out


# --- calibration ----------------------------------------------------------------------------------
def calibrate_dataset(dataset: Dataset, panel: pd.DataFrame, year: int, rate_years=None,
                      k: float = K_CREDIBILITY, facts: dict | None = None, staff: pd.DataFrame | None = None,
                      employed: pd.DataFrame | None = None) -> Dataset:
    """A new dataset whose municipal care demand and nurse supply follow KOSTRA.

    * ``user_rate`` of ``home_care`` and ``nursing_home``: the dataset's one-year age/sex shape
      within each age group 0-66, 67-79, 80+, scaled per municipality so its base-year users
      per group equal the KOSTRA rate (:func:`estimate_user_rates` over ``rate_years``,
      default the five years up to ``year``) times the dataset's population of the group;
    * supply and demand (:func:`helsemod_py.data.default.supply_arrays`): KOSTRA's contracted
      nurse FTE in municipal care (``Y_5`` of ``year``) is the *measured* base-year FTE of the
      nurse groups in the sector ``care`` of each municipality (a municipality without it takes
      its county's FTE per weighted user, flagged estimated); every other cell is estimated by
      the documented rules of :mod:`helsemod_py.data.regional` from the national facts; base-year
      demand is filled FTE plus the county's vacancies.

    A row covering several municipalities (Ålesund with Haram, 2020-2023) shares its rates, and
    its FTE by weighted users. Population and rates are unchanged. ``dataset.meta`` records what
    was measured and what estimated (``regional_supply``, ``calibration``).
    """
    from .default import load_facts, national_supply, supply_arrays

    facts = facts or load_facts()
    name = panel.attrs.get("file", "kostra panel")
    codes = dataset.regions.codes
    year = int(year)
    if rate_years is None:
        rate_years = [y for y in sorted(panel["year"].unique()) if year - 4 <= y <= year]
    rate_years = sorted({int(y) for y in rate_years})
    in_panel = set(panel["covers"].str.split("+").explode())
    if not any(c in in_panel for c in codes):
        raise ImportDataError(f"{name}: column 'region': none of the dataset's {len(codes)} region codes "
                              f"(e.g. {codes[0]!r}) is in the KOSTRA panel; calibration needs real 2024 "
                              "municipality codes")
    fte_rows = panel[panel["year"] == year]
    if fte_rows.empty:
        raise ImportDataError(f"{name}: column 'year': no rows for year {year} (the panel has "
                              f"{panel['year'].min()}-{panel['year'].max()})")
    rates = estimate_user_rates(panel, rate_years, k=k, regions=codes)
    pop = dataset["population"]
    new_rate = dataset["user_rate"].copy()
    for service in SERVICES:
        kk = D.SERVICES.index(service)
        new_rate[:, kk] = one_year_rates(new_rate[:, kk], pop, rates[service].to_numpy())
    weight = _nurse_weight(national_supply(facts), np.einsum("rsa,rksa->rk", pop, new_rate))
    fte, shared_fte = care_nurse_fte(fte_rows, codes, weight)
    source = f"{name}: KOSTRA contracted nurse FTE in municipal care (Y_5, SSB 11924/14534) {year}"
    measured = Measured(care_nurses=fte, sources=[source])
    measured = with_tables(measured, year, staff, employed)
    supply, notes = supply_arrays(dataset.regions, pop, new_rate, facts, measured=measured, source_name=name)
    meta = _calibrated_meta(dataset, name, rates, rate_years, year, k, notes, shared_fte)
    return Dataset(dataset.regions, dataset.base_year, {**dataset.arrays, **supply, "user_rate": new_rate},
                   dict(dataset.scalars), dataset.name, dataset.version, meta).validate()


def _nurse_weight(nat, users: np.ndarray) -> np.ndarray:
    """Expected nurse FTE in municipal care per municipality [R] from its users [R, K]: users of
    each care service times the nation's nurse FTE per user of that service (the facts)."""
    gs = [D.GROUPS.index(g) for g in D.NURSE_GROUPS]
    ks = [D.SERVICES.index(s) for s in NURSE_SERVICES]
    fte_k = (nat.fte()[gs, None] * nat.service_shares[gs][:, ks]).sum(axis=0)  # [2]
    per_user = np.divide(fte_k, users[:, ks].sum(axis=0), out=np.zeros(len(ks)), where=users[:, ks].sum(axis=0) > 0)
    return users[:, ks] @ per_user


def care_nurse_fte(rows: pd.DataFrame, codes, weight: np.ndarray) -> tuple[np.ndarray, dict]:
    """KOSTRA's nurse FTE in municipal care (``Y_5``) per municipality [R] (NaN where absent).

    A row covering several municipalities shares its FTE in proportion to ``weight`` [R].
    Returns the FTE and ``{code: unit}`` of the shared ones.
    """
    index = {c: i for i, c in enumerate(codes)}
    fte = np.full(len(codes), np.nan)
    shared = {}
    for row in rows.itertuples(index=False):
        value = getattr(row, NURSE_FTE)
        members = [c for c in row.covers.split("+") if c in index]
        if not members or not np.isfinite(value):
            continue
        w = np.array([weight[index[c]] for c in members])
        w = w / w.sum() if w.sum() > 0 else np.full(len(members), 1.0 / len(members))
        for c, s in zip(members, w):
            fte[index[c]] = value * s
        if len(members) > 1:
            shared.update({c: row.covers for c in members})
    return fte, shared


def _calibrated_meta(dataset, name, rates, rate_years, year, k, notes, shared_fte) -> dict:
    from .default import _jsonable

    meta = copy.deepcopy(dataset.meta)
    params = meta.setdefault("parameters", {})
    span = f"{rate_years[0]}-{rate_years[-1]}"
    rate_from_county = sorted(set(rates["home_care"].attrs["from_county"]) | set(rates["nursing_home"].attrs["from_county"]))
    shared_rates = dict(sorted(rates["home_care"].attrs["shared"].items()))
    ur = dict(params.get("user_rate", {}))
    old_source = ur.get("source", "previous dataset")
    ur["source"] = (f"home_care and nursing_home: KOSTRA care panel ({name}; SSB KOSTRA) users per "
                    f"inhabitant by age group 0-66/67-79/80+, {span}, per municipality, shrunk toward the county "
                    f"(credibility k = {k:g} expected users); home_care = users of home-based services (Y_1), "
                    "nursing_home = long-term institution residents (Y_3) + residents of 24-hour staffed housing "
                    f"(Y_2); one-year age and sex shape within each group, and all other services: {old_source}")
    ur["synthetic"] = bool(ur.get("synthetic", False))
    ur["kostra"] = {"services": list(SERVICES), "years": list(rate_years), "k": float(k),
                    "rates_from_county": rate_from_county, "shared_units": shared_rates}
    params["user_rate"] = ur
    from_county = list(notes.get("care_nurses_from_county_ratio", []))
    regional = (f"nurse groups in municipal care: measured, KOSTRA Y_5 {year} ({name}); {len(from_county)} "
                "municipalities without it: county FTE per weighted user (estimated); other cells estimated from the "
                "national facts by the rules of helsemod_py.data.regional (users, trust catchments, county vacancies)")
    for pname in ("stock", "sector_share", "supply_source", "base_demand_fte", "graduate_region_share",
                  "immigrant_region_share"):
        pm = dict(params.get(pname, {}))
        pm.update(source=regional, synthetic=False)
        params[pname] = pm
    meta["regional_supply"] = _jsonable(notes)
    meta["calibration"] = {"kostra": {
        "file": name, "rate_years": list(rate_years), "fte_year": year, "k": float(k),
        "note": (f"{len(rate_from_county)} municipalities without KOSTRA rows in {span} take county rates; "
                 f"{len(from_county)} without nurse FTEs in {year} take the county's FTE per weighted user"
                 + (f"; {', '.join(sorted(set(shared_fte.values())))} reported as one unit share its data"
                    if shared_fte else "")),
    }}
    desc = meta.get("description", "")
    meta["description"] = (desc + " " if desc else "") + (
        f"Municipal care demand (home care and 24-hour care user rates {span}) and nurse supply in municipal care "
        f"(FTE {year}) measured per municipality by KOSTRA.")
    desc_nb = meta.get("description_nb", "")
    meta["description_nb"] = (desc_nb + " " if desc_nb else "") + (
        f"Etterspørsel i de kommunale omsorgstjenestene (brukerandeler i hjemmetjenester og heldøgnsomsorg {span}) "
        f"og sykepleiere i omsorgstjenestene (årsverk {year}) målt per kommune av KOSTRA.")
    return meta


def calibrate_from_file(dataset: Dataset, path, year: int | None = None, rate_years=None,
                        k: float = K_CREDIBILITY, history=None, staff: pd.DataFrame | None = None,
                        employed: pd.DataFrame | None = None) -> Dataset:
    """Read the KOSTRA panel at ``path``, :func:`calibrate_dataset` with it and add its coverage
    trends (:func:`add_coverage_trends`, every panel year up to the base year; ``history``, the
    population by one-year age, standardises them for ageing within the age groups).

    ``year`` (of the nurse FTEs) defaults to the dataset's base year, or the panel's last
    year if that is earlier (a 2024 dataset takes KOSTRA 2023). Raises
    :class:`ImportDataError` for any problem in the file, before anything is built.
    """
    panel = read_kostra(path)
    if year is None:
        year = min(int(dataset.base_year), int(panel["year"].max()))
    calibrated = calibrate_dataset(dataset, panel, year, rate_years=rate_years, k=k, staff=staff, employed=employed)
    trend_years = [y for y in sorted(panel["year"].unique()) if y <= calibrated.base_year]
    if len(trend_years) >= MIN_TREND_YEARS:
        if history is not None:
            have = {int(y) for y in history.years}
            history = history if all(y in have for y in trend_years) else None
        return add_coverage_trends(calibrated, panel, trend_years, history=history)
    meta = copy.deepcopy(calibrated.meta)
    meta.setdefault("parameters", {})["coverage_trend"] = {
        "source": (f"none: the KOSTRA panel has {len(trend_years)} year(s) up to the base year "
                   f"{calibrated.base_year}; a coverage trend needs at least {MIN_TREND_YEARS}"),
        "synthetic": False}
    return Dataset(calibrated.regions, calibrated.base_year, dict(calibrated.arrays), dict(calibrated.scalars),
                   calibrated.name, calibrated.version, meta)
