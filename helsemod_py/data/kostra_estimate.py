"""Estimates from the KOSTRA care panel (:func:`~.kostra_read.read_kostra`): users by service and
age group, user rates shrunk toward the county, and coverage trends shrunk toward the county and
the nation (:mod:`.kostra` calibrates a dataset with them)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from .. import dims as D
from ..errors import ImportDataError
from .dataset import Dataset
from .kostra_read import (AGE_BOUNDS, AGE_GROUPS, CODE, HOME_COLUMNS, HOME_TOTAL, HOUSING_TOTAL, INST_COLUMNS,
                          INST_TOTAL, POP_COLUMNS, YEAR)

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
    layout = _trend_layout(sub, regions)
    return {service: _service_trends(service, users[service], pop, sub, layout, exposure, name, credibility)
            for service in SERVICES}


def _trend_layout(sub: pd.DataFrame, regions) -> dict:
    """Where each panel row of ``sub`` goes in the trend fits: the units (:func:`_trend_units`) and
    years, each row's unit and year index, the centred years ``x``, each unit's county, and the
    2024 codes to report (``regions``, else every code of the panel)."""
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
    return {"covers": covers, "unit_of": unit_of, "units": units, "u_index": u_index, "yrs": yrs, "x": x,
            "row_unit": row_unit, "row_year": row_year, "unit_county": unit_county, "counties": counties,
            "codes": codes}


def _service_trends(service: str, u_rows: np.ndarray, pop: np.ndarray, sub: pd.DataFrame, layout: dict,
                    exposure, name: str, credibility) -> pd.DataFrame:
    """The coverage trends of one service (see :func:`estimate_coverage_trends`): users and
    expected users summed per unit and year, a shrunk fit per trend group, written out per 2024
    code with the fit's details in ``attrs``."""
    covers, unit_of, units, u_index, yrs, x = (layout[k] for k in ("covers", "unit_of", "units", "u_index",
                                                                   "yrs", "x"))
    row_unit, row_year, unit_county, counties, codes = (layout[k] for k in ("row_unit", "row_year", "unit_county",
                                                                            "counties", "codes"))
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
    return out


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
