"""Mortality decline and fertility trend estimated from population stocks (SSB table 07459).

SSB's population tables hold stocks on 1 January, not deaths or births. The estimates here use
what stocks reveal:

**Death probabilities at old ages from cohort losses.** From age :data:`MIN_AGE` (75) on,
national net migration is small beside deaths (a few per thousand against 3 % and more a
year), so the national death probability of age *a* in year *y* is the cohort's loss
``q = 1 − P(a+1, y+1) / P(a, y)`` (ages 104 and 105+ pooled into the open group). Below that
age migration swamps deaths; there the Gompertz–Makeham model schedule gives the age shape
(:mod:`helsemod_py.data.demography`), scaled to meet the data at :data:`MIN_AGE`.

**Rates of decline: age-specific log-linear trends, smoothed over age.** For each sex and age
from :data:`MIN_AGE`, ``log q(a, y) = α_a − d_a · y`` is fitted by least squares weighted by the
precision of ``log q`` (deaths / (1 − q)) over the national series (1986–2024 in the shared
data); the slopes ``d_a`` are smoothed over age by kernel-weighted local linear regression
(triangular kernel of half-width :data:`TREND_HALFWIDTH`, weighted by each slope's precision), held at the value of
:data:`MIN_AGE` below it, and limited to :data:`DECLINE_LIMITS`. This is the Lee–Carter
forecast's rate of decline ``b_a · drift`` without its one-factor constraint; with one series
of 38 years the per-age trends are estimated well, and smoothing removes the noise of the
oldest ages where Lee–Carter would carry it into ``b_a``.

**Levels from the calibration window, regions shrunk to county and nation.** The national
level is the pooled ratio of losses to exposure over the window's years, each year's exposure
weighted by the trend (so the level refers to the window's middle year and is moved to any
year by the trend). A region's relative mortality ``θ`` (per sex, ages ≥ :data:`MIN_AGE`) is
its losses over those expected at the national rates, shrunk toward the county and the county
toward the nation with credibility weight ``E / (E + k)`` (``E`` expected deaths,
``k`` = :data:`K_MORTALITY`), the Poisson–gamma estimate also used for care use.

**Fertility: effective total fertility per year, damped recent trend.** Children aged 0 on
1 January per woman-weighted exposure (the fixed age pattern of
:func:`helsemod_py.data.ssb.fertility_shape`) gives an effective total fertility for every year.
Its trend is the least-squares slope of its logarithm over the last :data:`FERTILITY_WINDOW`
years, damped by :data:`FERTILITY_DAMPING` each further year (the long-run change is
``slope · φ / (1 − φ)``). Window and damping were chosen by rolling-origin forecasts of the
national series 1986–2019 (origins 1996–2013, five years ahead; benchmarks/backtest_population.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import dims as D
from ..core.trends import damped_sum
from ..errors import ImportDataError
from .demography import MALE_SHARE_AT_BIRTH

MIN_AGE = 75  #: years; death probabilities from cohort losses from this age on
TREND_HALFWIDTH = 5  #: years of age; kernel half-width smoothing the rates of decline
LEVEL_HALFWIDTH = 2  #: years of age; kernel half-width smoothing log death probabilities
DECLINE_LIMITS = (-0.01, 0.05)  #: /1 per year; the smoothed rates of decline are held within
K_MORTALITY = 200.0  #: expected deaths; credibility constant of regional relative mortality
THETA_LIMITS = (0.5, 2.0)  #: relative mortality of a region is held within
FERTILITY_WINDOW = 5  #: years; the fertility trend is the slope over this many last years
FERTILITY_DAMPING = 0.5  #: /1; each further year keeps this share of the previous year's change
MIN_TREND_YEARS = 3  #: transitions (years of change) needed to fit a trend


# --- cohort losses -----------------------------------------------------------------------------
def departures(pop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exposure and survivors by age on 1 January: ``[Y-1, ..., A-1]`` each.

    Index ``a`` holds those aged ``a`` on 1 January of a year and those of them counted one
    year older on the next 1 January; the last index pools ages 104 and 105+ (both end in the
    open group). ``pop`` is ``[Y, ..., A]`` persons.
    """
    exposure = pop[:-1, ..., :-1].copy()
    exposure[..., -1] += pop[:-1, ..., -1]
    return exposure, pop[1:, ..., 1:]


def _local_linear(x: np.ndarray, w: np.ndarray, halfwidth: int) -> np.ndarray:
    """Kernel-weighted local linear smooth of ``x`` along the last axis (weights ``w``, triangular
    kernel): unlike a kernel mean it has no first-order bias at the edges of the data (the
    lowest and highest ages), where ``x`` rises with age. Falls back to the kernel mean where
    only one age in reach has weight."""
    if halfwidth <= 0:
        return x
    n = x.shape[-1]
    pad = [(0, 0)] * (x.ndim - 1) + [(halfwidth, halfwidth)]
    xp, wp = np.pad(x, pad), np.pad(w, pad)
    s0 = s1 = s2 = t0 = t1 = 0.0
    for i in range(2 * halfwidth + 1):
        d = i - halfwidth
        kw = (1.0 - abs(d) / (halfwidth + 1.0)) * wp[..., i:i + n]
        xs = xp[..., i:i + n]
        s0, s1, s2 = s0 + kw, s1 + kw * d, s2 + kw * d * d
        t0, t1 = t0 + kw * xs, t1 + kw * d * xs
    det = s0 * s2 - s1 * s1
    ok = det > 1e-9 * np.maximum(s0 * s2, 1e-300)
    linear = np.divide(s2 * t0 - s1 * t1, det, out=np.zeros_like(det), where=ok)
    mean = np.divide(t0, s0, out=np.zeros_like(s0), where=s0 > 0)
    return np.where(ok, linear, mean)


def _national(history) -> np.ndarray:
    """Persons ``[Y, S, A]`` of the history summed over its regions."""
    return history.population.sum(axis=1)


def _window(history, first_year: int | None, last_year: int | None, what: str, allow_short: bool = False):
    """The history ``first_year..last_year``, and whether it is long enough for a trend (an error
    unless ``allow_short``)."""
    first = int(history.years[0]) if first_year is None else int(first_year)
    last = int(history.years[-1]) if last_year is None else int(last_year)
    long_enough = last - first >= MIN_TREND_YEARS
    if not long_enough and not allow_short:
        raise ImportDataError(f"{what}: years {first}-{last}: need at least {MIN_TREND_YEARS + 1} years of "
                              f"population (allowed: {history.years[0]}-{history.years[-1]})")
    return history.between(first, last), long_enough


def _too_short(sub) -> str:
    return (f"none: the history {sub.years[0]}-{sub.years[-1]} is too short for a trend (at least "
            f"{MIN_TREND_YEARS + 1} years needed); rates are constant")


# --- mortality ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MortalityTrend:
    """Yearly rates of decline of death probabilities ``decline[S, A]`` (/1 per year), fitted
    to the national stocks ``first_year..last_year`` (1 January)."""

    decline: np.ndarray
    first_year: int
    last_year: int
    min_age: int = MIN_AGE
    halfwidth: int = TREND_HALFWIDTH
    note: str = ""  #: why there is no trend, where there is none

    def describe(self) -> dict:
        """Plain-data summary for dataset metadata (rates in % a year at chosen ages)."""
        if self.note:
            return {"method": self.note, "years": [self.first_year, self.last_year]}
        ages = (self.min_age, 80, 85, 90, 95, 100)
        return {
            "method": "age-specific log-linear trends of national death probabilities from cohort losses "
                      f"(ages {self.min_age}+), weighted least squares, smoothed over age (local linear, triangular "
                      f"kernel of half-width {self.halfwidth}); held at the age-{self.min_age} rate below",
            "years": [self.first_year, self.last_year],
            "decline_percent_per_year": {str(a): {s: round(100 * float(self.decline[i, a]), 2)
                                                  for i, s in enumerate(D.SEXES)} for a in ages},
        }


def fit_mortality_trend(history, first_year: int | None = None, last_year: int | None = None,
                        min_age: int = MIN_AGE, halfwidth: int = TREND_HALFWIDTH,
                        allow_short: bool = False) -> MortalityTrend:
    """Rates of mortality decline by sex and age from a population history (summed to the nation).

    A history under :data:`MIN_TREND_YEARS` + 1 years is an error, or with ``allow_short`` gives
    no decline (and says so in :meth:`MortalityTrend.describe`).
    """
    sub, long_enough = _window(history, first_year, last_year, "mortality trend", allow_short)
    if not long_enough:
        return MortalityTrend(np.zeros((len(D.SEXES), len(D.AGES))), int(sub.years[0]), int(sub.years[-1]),
                              min_age, halfwidth, _too_short(sub))
    exposure, survivors = departures(_national(sub))  # [Y-1, S, A-1]
    deaths = np.maximum(exposure - survivors, 0.0)
    q = np.clip(np.divide(deaths, exposure, out=np.zeros_like(deaths), where=exposure > 0), 1e-6, 0.999)
    years = sub.years[:-1].astype(np.float64)
    t = (years - years.mean())[:, None, None]
    w = np.maximum(deaths, 0.5) / (1.0 - q)  # precision of log q
    w_sum = w.sum(axis=0)
    t_mean = (w * t).sum(axis=0) / w_sum
    lq = np.log(q)
    lq_mean = (w * lq).sum(axis=0) / w_sum
    sxx = (w * (t - t_mean) ** 2).sum(axis=0)
    slope = -(w * (t - t_mean) * (lq - lq_mean)).sum(axis=0) / sxx  # [S, A-1]
    old = np.arange(slope.shape[-1]) >= min_age
    smooth = _local_linear(np.where(old, slope, 0.0), np.where(old, sxx, 0.0), halfwidth)
    decline = np.empty((len(D.SEXES), len(D.AGES)))
    decline[:, :-1] = np.where(old, smooth, smooth[:, [min_age]])
    decline[:, -1] = decline[:, -2]  # the open group follows 104
    decline = np.clip(decline, *DECLINE_LIMITS)
    return MortalityTrend(decline, int(sub.years[0]), int(sub.years[-1]), min_age, halfwidth)


@dataclass(frozen=True)
class MortalityLevels:
    """Death probabilities of each region in any year: ``θ[r, s] · level[s, a] · exp(−decline · (year −
    ref_year))`` (capped at 1); ``level`` is the national level of ``ref_year`` (the calibration
    window's middle year)."""

    level: np.ndarray  # [S, A] /1 per year
    decline: np.ndarray  # [S, A] /1 per year
    ref_year: float
    theta: np.ndarray  # [R, S] relative mortality
    first_year: int
    last_year: int

    def national(self, year) -> np.ndarray:
        """National death probabilities ``[S, A]`` of the step from ``year``."""
        return np.minimum(self.level * np.exp(-self.decline * (float(year) - self.ref_year)), 1.0)

    def at(self, year) -> np.ndarray:
        """Death probabilities ``[R, S, A]`` (/1 per year) of the step from ``year``."""
        return np.minimum(self.theta[:, :, None] * self.national(year)[None], 1.0)

    def steps(self, first_year: int, last_year: int) -> np.ndarray:
        """``[Y-1, R, S, A]``: the steps from ``first_year`` to ``last_year − 1``."""
        return np.stack([self.at(y) for y in range(int(first_year), int(last_year))])


def estimate_mortality(history, first_year: int, last_year: int, trend: MortalityTrend, young_shape,
                       k: float = K_MORTALITY, level_years: int | None = None) -> MortalityLevels:
    """National level and regional relative mortality from the history ``first_year..last_year``.

    ``young_shape`` ``[S, A]``: a model schedule whose age shape is used below
    ``trend.min_age`` (scaled to meet the estimated level there). Merged municipalities (see
    :class:`~helsemod_py.data.ssb.PopulationHistory`) are estimated together and share ``θ``.
    """
    sub = history.between(first_year, last_year)
    combined, unit_of = sub.combine_merged()
    pop = combined.population  # [Y, R, S, A]
    steps = sub.years[:-1].astype(np.float64)
    ref = float(steps.mean())
    shift = np.exp(-trend.decline[None, :, :-1] * (steps - ref)[:, None, None])  # [Y-1, S, A-1]
    exposure, survivors = departures(pop.sum(axis=1))
    deaths = np.maximum(exposure - survivors, 0.0)
    if level_years:  # the national level from the last years only
        exposure, deaths, shift = exposure[-level_years:], deaths[-level_years:], shift[-level_years:]
    old = np.arange(len(D.AGES) - 1) >= trend.min_age
    weighted = (exposure * shift).sum(axis=0)
    raw = np.divide(deaths.sum(axis=0), weighted, out=np.zeros_like(weighted), where=weighted > 0)
    log_level = _local_linear(np.log(np.clip(raw, 1e-6, 0.999)), np.where(old, deaths.sum(axis=0), 0.0),
                              LEVEL_HALFWIDTH)
    level = np.empty((len(D.SEXES), len(D.AGES)))
    level[:, :-1] = np.exp(log_level)
    level[:, -1] = level[:, -2]
    young = np.asarray(young_shape, dtype=np.float64)
    m = trend.min_age
    level[:, :m] = young[:, :m] * (level[:, [m]] / young[:, [m]])
    level = np.clip(level, 0.0, 1.0)
    theta = _relative_mortality(pop, combined.regions.county_index(), level, trend, steps, ref, k)
    return MortalityLevels(level, trend.decline, ref, theta[unit_of], int(sub.years[0]), int(sub.years[-1]))


def _relative_mortality(pop, county, level, trend, steps, ref, k) -> np.ndarray:
    """``θ[R, S]``: losses at ages ≥ ``min_age`` over those expected at national rates, shrunk."""
    q_nat = np.minimum(level[None] * np.exp(-trend.decline[None] * (steps - ref)[:, None, None]), 1.0)
    exposure, survivors = departures(pop)  # [Y-1, R, S, A-1]
    ages = slice(trend.min_age, None)
    observed = np.maximum(exposure - survivors, 0.0)[..., ages].sum(axis=(0, 3))  # [R, S]
    expected = (exposure * q_nat[:, None, :, :-1])[..., ages].sum(axis=(0, 3))
    n_county = county.max() + 1
    obs_c = np.zeros((n_county, observed.shape[1]))
    exp_c = np.zeros_like(obs_c)
    np.add.at(obs_c, county, observed)
    np.add.at(exp_c, county, expected)
    theta_n = observed.sum(axis=0) / np.maximum(expected.sum(axis=0), 1e-12)
    theta_c = theta_n + (obs_c - theta_n * exp_c) / (exp_c + k)
    theta = theta_c[county] + (observed - theta_c[county] * expected) / (expected + k)
    return np.clip(theta / theta_n, *THETA_LIMITS)  # relative to the nation's level


# --- fertility ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class FertilityTrend:
    """Effective total fertility ``levels`` (children per woman) of the step ``years`` and its damped
    trend: the slope ``rate`` (/1 per year) of log fertility at the last year ``L``; the change from
    year ``L + n - 1`` to ``L + n`` is ``rate · damping^n``."""

    years: np.ndarray
    levels: np.ndarray
    rate: float
    damping: float
    window: int
    note: str = ""  #: why there is no trend, where there is none

    def level_at(self, year: int) -> float:
        """Effective total fertility of the step from ``year`` (observed, or extrapolated by the trend)."""
        last = int(self.years[-1])
        if year <= last:
            hits = np.flatnonzero(self.years == year)
            if not len(hits):
                raise ImportDataError(f"fertility trend: year {year} not in {self.years[0]}-{last}")
            return float(self.levels[hits[0]])
        ahead = year - last
        return float(self.levels[-1] * np.exp(self.rate * self.damping * damped_sum(self.damping, ahead + 1)[-1]))

    def rate_at(self, year: int) -> float:
        """Log change of fertility from the step of ``year`` to the next (/1 per year), for a year
        from the last observed one on."""
        return float(self.rate * self.damping ** (max(year - int(self.years[-1]), 0) + 1))

    def describe(self) -> dict:
        if self.note:
            return {"method": self.note, "years": [int(self.years[0]), int(self.years[-1]) + 1],
                    "slope_years": [], "last_level": round(float(self.levels[-1]), 3)}
        return {
            "method": f"effective total fertility (children aged 0 per woman-year of the fixed age pattern) per "
                      f"year; least-squares slope of its logarithm over the last {self.window} years, damped by "
                      f"{self.damping:g} each further year",
            "years": [int(self.years[0]), int(self.years[-1]) + 1],
            "slope_years": [int(self.years[-self.window]), int(self.years[-1])],
            "rate_percent_per_year": round(100 * self.rate, 2),
            "damping": self.damping,
            "last_level": round(float(self.levels[-1]), 3),
        }


def effective_fertility(pop: np.ndarray, shape, infant_q) -> np.ndarray:
    """Children aged 0 on the next 1 January per unit of ``shape``-weighted women, per step: ``[Y-1]``.

    ``pop`` ``[Y, S, A]`` (nation), ``shape`` ``[A]`` fertility age pattern summing to 1,
    ``infant_q`` ``[S]`` death probabilities at age 0 (newborns are exposed to half of it).
    """
    shares = np.array([MALE_SHARE_AT_BIRTH, 1.0 - MALE_SHARE_AT_BIRTH])
    survival = float((shares * (1.0 - 0.5 * np.asarray(infant_q, dtype=np.float64))).sum())
    per_unit = (pop[:-1, 1, :] * shape).sum(axis=1) * survival
    return pop[1:, :, 0].sum(axis=1) / np.maximum(per_unit, 1e-12)


def fit_fertility_trend(history, shape, infant_q, first_year: int | None = None, last_year: int | None = None,
                        window: int = FERTILITY_WINDOW, damping: float = FERTILITY_DAMPING,
                        allow_short: bool = False) -> FertilityTrend:
    """Effective fertility per year and its damped trend from a history (summed to the nation);
    a short history as in :func:`fit_mortality_trend`."""
    sub, long_enough = _window(history, first_year, last_year, "fertility trend", allow_short)
    levels = effective_fertility(_national(sub), shape, infant_q)
    years = sub.years[:-1]
    if not long_enough:
        return FertilityTrend(years, levels, 0.0, float(damping), 0, _too_short(sub))
    n = min(window, len(years))
    rate = float(np.polyfit(years[-n:].astype(float), np.log(levels[-n:]), 1)[0])
    return FertilityTrend(years, levels, rate, float(damping), n)
