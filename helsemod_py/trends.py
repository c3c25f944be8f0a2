"""Demand trends over the horizon: coverage trends, healthier ageing and a staff-mix trend.

Plain array functions that turn base-year rates into time paths for
:class:`~helsemod_py.model.ModelInputs` (``user_rate`` [T+1, R, K, S, A], ``staff_mix``
[T+1, R, K, G]); :func:`~helsemod_py.model.build_inputs` and the scenario's assumptions
(:mod:`helsemod_py.scenario.apply`) call them.

Coverage trend (``coverage_trend`` of the dataset, β in /1 per year, by region, service and
age): users per inhabitant of each age change by ``exp(β · g(h))`` after ``h`` years, with

* ``none``:     g(h) = 0 (rates held at their base-year level);
* ``constant``: g(h) = h (the trend goes on unchanged);
* ``damped``:   g(h) = φ + φ² + … + φʰ (the yearly change β·φʲ shrinks toward zero; the total
  change approaches β·φ/(1 − φ)). φ is :data:`COVERAGE_DAMPING`.

Healthier ageing (SSB's "bedre helse"): the age profile of use shifts to older ages by a share
of the gain in remaining life expectancy at 67 computed from the mortality path.

Staff-mix trend: each group's FTE per user in every service changes by (1 + δ_g) a year
relative to the others, the service's total FTE per user kept (that is the standard growth's
part).
"""

from __future__ import annotations

import numpy as np

from . import dims as D

#: The coverage trend a projection applies unless a scenario says otherwise. Chosen by the
#: demand backtest (``benchmarks/backtest_demand.md``: ``none``, ``damped`` and ``constant``
#: scored on 2019 -> 2023 with trends estimated from 2015-2019).
DEFAULT_COVERAGE_TREND = "damped"
COVERAGE_TRENDS = ("none", "damped", "constant")
#: Damping factor φ of the yearly coverage trend (/1; the trend of year h after the base year is
#: β·φʰ). Chosen by a holdout on KOSTRA years before any year the backtest scores
#: (``python benchmarks/backtest_demand.py --choose-damping``: trends from 2015-2017 and
#: 2015-2018 predicting the users of 2018 and 2019). See :data:`DAMPING_NOTE`.
COVERAGE_DAMPING = 0.6
DAMPING_NOTE = "holdout on KOSTRA 2015-2019 (fits ending 2017/2018, users of 2018-2019 predicted)"
#: Age from which healthier ageing shifts the profile of use (remaining life expectancy at this age).
HEALTHIER_AGEING_FROM_AGE = 67


def trend_path(n_years: int, mode: str, damping: float = COVERAGE_DAMPING) -> np.ndarray:
    """Cumulative trend years g(h) for h = 0 .. n_years - 1 (g(0) = 0); see the module doc."""
    h = np.arange(n_years, dtype=np.float64)
    if mode == "none":
        return np.zeros(n_years)
    if mode == "constant":
        return h
    if mode == "damped":
        if not 0.0 <= damping <= 1.0:
            raise ValueError(f"coverage damping {damping:g} is outside 0 to 1 (/1)")
        return np.concatenate([[0.0], np.cumsum(damping ** h[1:])])
    raise ValueError(f"unknown coverage trend {mode!r} (allowed: {', '.join(COVERAGE_TRENDS)})")


def coverage_user_rate(user_rate: np.ndarray, trend: np.ndarray, path: np.ndarray) -> np.ndarray:
    """User rates ``[T+1, R, K, S, A]``: ``min(1, user_rate · exp(trend · g(t)))``.

    ``user_rate`` [R, K, S, A] users per person; ``trend`` [R, K, A] /1 per year (the same for
    both sexes); ``path`` [T+1] from :func:`trend_path`. Without any trend the result is a
    read-only broadcast view of ``user_rate`` (no copy).
    """
    n1 = len(path)
    if not np.any(trend) or not np.any(path):
        return np.broadcast_to(user_rate, (n1,) + user_rate.shape)
    out = np.empty((n1,) + user_rate.shape)
    np.minimum(user_rate, 1.0, out=out[0])
    for t in range(1, n1):  # a year at a time: each year's rates capped while still in the cache
        np.multiply(user_rate, np.exp(trend * path[t])[:, :, None, :], out=out[t])
        np.minimum(out[t], 1.0, out=out[t])
    return out


def remaining_life_expectancy(q: np.ndarray, age: int) -> np.ndarray:
    """Period remaining life expectancy (years) at ``age`` from one-year death probabilities
    ``q[..., A]`` (ages 0..105, the last open). Deaths mid-year; the open group lives 1/q."""
    q = np.asarray(q, dtype=np.float64)[..., age:]
    alive = np.cumprod(np.concatenate([np.ones(q.shape[:-1] + (1,)), 1.0 - q[..., :-1]], axis=-1), axis=-1)
    years = (alive[..., :-1] * (1.0 - 0.5 * q[..., :-1])).sum(axis=-1)
    return years + alive[..., -1] / np.maximum(q[..., -1], 1e-12)


def life_expectancy_gain(mortality: np.ndarray, n_years: int, age: int = HEALTHIER_AGEING_FROM_AGE) -> np.ndarray:
    """Gain in remaining life expectancy at ``age`` since the base year, ``[T+1, R, S]`` (years).

    ``mortality`` [T, R, S, A] is the death probability during each step; year t's life table
    is step t's (the last year takes the last step's). A mortality path held constant gives 0.
    """
    mortality = np.asarray(mortality)
    steps = np.minimum(np.arange(n_years), mortality.shape[0] - 1)
    if mortality.strides[0] == 0:  # the same table every year
        return np.zeros((n_years,) + mortality.shape[1:3])
    e = remaining_life_expectancy(mortality[steps], age)
    return e - e[:1]


def healthier_ageing_user_rate(user_rate: np.ndarray, gain: np.ndarray, share: float,
                               from_age: int = HEALTHIER_AGEING_FROM_AGE) -> np.ndarray:
    """User rates ``[T+1, R, K, S, A]`` whose profile from ``from_age`` on shifts to older ages.

    At ages ``a >= from_age`` in year t the rate is the base-year rate at age ``a - d``, with
    ``d = share · gain[t, r, s]`` years (linear interpolation between one-year ages; the open
    last age is held), so a person gains ``d`` years before reaching the use of today's
    ``a``-year-olds. ``user_rate`` [R, K, S, A]; ``gain`` [T+1, R, S] (years, from
    :func:`life_expectancy_gain`); ``share`` 0..1. Without any gain the result is a broadcast view.
    """
    n1 = gain.shape[0]
    shift = share * np.asarray(gain, dtype=np.float64)
    if not np.any(shift):
        return np.broadcast_to(user_rate, (n1,) + user_rate.shape)
    n_age = user_rate.shape[-1]
    ages = np.arange(n_age)
    old = ages >= from_age
    whole = np.floor(shift)
    frac = shift - whole  # [T+1, R, S]
    src = ages[None, None, None, :] - whole[..., None]  # [T+1, R, S, A]
    i0 = np.clip(src, 0, n_age - 1).astype(np.int64)
    i1 = np.clip(src - 1, 0, n_age - 1).astype(np.int64)
    out = np.empty((n1,) + user_rate.shape)
    for t in range(n1):
        for k in range(user_rate.shape[1]):
            u = user_rate[:, k]  # [R, S, A]
            moved = ((1.0 - frac[t])[..., None] * np.take_along_axis(u, i0[t], axis=-1)
                     + frac[t][..., None] * np.take_along_axis(u, i1[t], axis=-1))
            out[t, :, k] = np.where(old, moved, u)
    return out


def staff_mix_path(rates: np.ndarray, base_fte: np.ndarray, n_years: int) -> np.ndarray:
    """Staff-mix factors ``[T+1, 1, K, G]`` of a yearly trend ``rates`` [G] (/1 per year).

    Group g's FTE per user in service k is multiplied by ``(1 + δ_g)^t / Σ_g' w[k, g'] (1 +
    δ_g')^t`` with ``w`` the national base-year share of each group in the service's FTE
    (``base_fte`` [R, K, G] summed over regions), so every service's total FTE per user stays
    that of the base year (its growth is the standard growth's). Broadcast over regions.
    """
    rates = np.asarray(rates, dtype=np.float64)
    nat = np.asarray(base_fte).sum(axis=0)  # [K, G]
    tot = nat.sum(axis=1, keepdims=True)
    w = np.divide(nat, tot, out=np.full(nat.shape, 1.0 / nat.shape[1]), where=tot > 0)
    growth = (1.0 + rates)[None, :] ** np.arange(n_years)[:, None]  # [T+1, G]
    norm = growth @ w.T  # [T+1, K]
    return (growth[:, None, :] / norm[:, :, None])[:, None, :, :]


def band_of_ages(bounds) -> np.ndarray:
    """Index of the age band of every one-year age 0..105 for bands ``[(lo, hi), ...]``."""
    out = np.full(len(D.AGES), -1, dtype=np.int64)
    for b, (lo, hi) in enumerate(bounds):
        out[(D.AGES >= lo) & (D.AGES <= hi)] = b
    if (out < 0).any():
        raise ValueError(f"age bands {bounds} do not cover ages 0-{D.MAX_AGE}")
    return out
