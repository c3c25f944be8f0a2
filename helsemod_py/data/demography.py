"""Model schedules for demography: a Gompertz-Makeham life table and a fertility schedule.

Used where no register data on deaths or births is at hand: the embedded default dataset,
and the mortality under rate estimation from population stocks (SSB's population tables
carry stocks, not deaths, so cohort change is split into model mortality plus a residual
net migration).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from .. import dims as D

SEX_RATIO_AT_BIRTH = 1.05  #: boys per girl (SSB, long-run Norwegian value)
MALE_SHARE_AT_BIRTH = SEX_RATIO_AT_BIRTH / (1.0 + SEX_RATIO_AT_BIRTH)  #: /1 of births

#: Gompertz slope per year of age (assumption; typical of Nordic adult mortality).
GOMPERTZ_SLOPE = 0.105
#: Age-independent (Makeham) hazard per year (assumption).
MAKEHAM = 0.00015
#: Probability of dying in the first year of life (assumption, ~2 per 1000 as in Norway).
INFANT_Q = 0.002


def gompertz_q(level: float, slope: float = GOMPERTZ_SLOPE, makeham: float = MAKEHAM,
               infant_q: float = INFANT_Q) -> np.ndarray:
    """One-year death probabilities q(age) for ages 0..105 (105 = open group).

    Hazard ``makeham + level * exp(slope * age)`` integrated over each year of age;
    ``infant_q`` at age 0. Returns /1 per year, shape [106].
    """
    ages = D.AGES.astype(float)
    # integral of the hazard from x to x+1
    integral = makeham + level * np.exp(slope * ages) * (np.exp(slope) - 1.0) / slope
    q = 1.0 - np.exp(-integral)
    q[0] = infant_q
    q[-1] = max(q[-1], 0.5)
    return np.clip(q, 0.0, 1.0)


def life_expectancy(q: np.ndarray) -> float:
    """Period life expectancy at birth (years) from one-year q's with an open last age.

    Deaths are assumed mid-year; the open group lives ``1/q`` more years on average.
    """
    q = np.asarray(q, dtype=float)
    alive = np.concatenate([[1.0], np.cumprod(1.0 - q[:-1])])
    years = (alive[:-1] * (1.0 - 0.5 * q[:-1])).sum()
    return float(years + alive[-1] / q[-1])


def mortality_for_life_expectancy(e0: float, **kw) -> np.ndarray:
    """Gompertz-Makeham q(age) whose life expectancy at birth is ``e0`` years."""
    f = lambda lv: life_expectancy(gompertz_q(lv, **kw)) - e0  # noqa: E731
    level = brentq(f, 1e-8, 1e-2, xtol=1e-14)
    return gompertz_q(level, **kw)


def fertility_schedule(tfr: float, mean_age: float = 31.0, sd: float = 5.3) -> np.ndarray:
    """Births per woman per year by age 0..105 (nonzero 15-49), summing to ``tfr``.

    A gamma-shaped schedule with the given mean and standard deviation of mothers' age.
    """
    ages = D.AGES.astype(float) + 0.5
    k = (mean_age / sd) ** 2
    theta = sd**2 / mean_age
    dens = np.where((D.AGES >= D.FERTILE_AGE_MIN) & (D.AGES <= D.FERTILE_AGE_MAX),
                    ages ** (k - 1) * np.exp(-ages / theta), 0.0)
    return tfr * dens / dens.sum()
