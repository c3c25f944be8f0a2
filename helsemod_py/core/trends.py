"""Mortality and fertility along the projection years under a trend (pure arrays, no I/O).

The dataset holds base-year rates and their trend parameters; these functions expand them to
the ``[T, ...]`` inputs of :func:`~helsemod_py.core.population.project_population`, step
``t`` being the step from year ``base + t``::

    mortality   q[t, r, s, a] = min(1, q0[r, s, a] · exp(−k · d[r, s, a] · t))
    fertility   f[t, r, a]    = min(f_max, f0[r, a] · exp(k · g[r] · c(t))),
                c(t) = 1 + φ + … + φ^(t−1)   (c(0) = 0; c(t) = t when φ = 1)

``d`` is the yearly rate of mortality decline (``mortality_decline``), ``g`` the yearly change
of log fertility at the base year (``fertility_trend``), damped by ``φ`` (``fertility_damping``)
each further year, and ``k`` a scenario's scale on the trend (1 = as estimated). Without a trend
(all ``d`` or ``g`` zero) the result is a read-only broadcast view of the base-year rates.
"""

from __future__ import annotations

import numpy as np

#: Upper bound of fertility (births per woman per year), as in the dataset schema.
FERTILITY_MAX = 0.5


def damped_sum(damping: float, n_steps: int) -> np.ndarray:
    """``c(t) = 1 + φ + … + φ^(t−1)`` for ``t = 0..n_steps−1`` (``c(0) = 0``)."""
    powers = float(damping) ** np.arange(max(n_steps - 1, 0))
    return np.concatenate([[0.0], np.cumsum(powers)])[:n_steps]


def mortality_path(q0, decline, n_steps: int, scale: float = 1.0) -> np.ndarray:
    """Death probabilities ``[T, R, S, A]`` (/1 per year) from base-year ``q0`` ``[R, S, A]`` and
    yearly rates of decline ``decline`` (/1 per year, broadcastable to ``q0``)."""
    q0 = np.asarray(q0, dtype=np.float64)
    decline = np.broadcast_to(np.asarray(decline, dtype=np.float64), q0.shape)
    if scale == 0.0 or not decline.any():
        return np.broadcast_to(q0, (n_steps,) + q0.shape)
    if decline.shape[0] > 1 and (decline == decline[:1]).all():
        decline = decline[:1]  # the same in every region: one factor for all
    t = np.arange(n_steps, dtype=np.float64).reshape((-1,) + (1,) * decline.ndim)
    factor = np.exp(-scale * decline[None] * t)
    return np.minimum(q0[None] * factor, 1.0)


def fertility_path(f0, rate, damping: float, n_steps: int, scale: float = 1.0) -> np.ndarray:
    """Births per woman per year ``[T, R, A]`` from base-year ``f0`` ``[R, A]``, the yearly change of
    log fertility ``rate`` (/1 per year, ``[R]`` or scalar) and its ``damping`` (/1)."""
    f0 = np.asarray(f0, dtype=np.float64)
    rate = np.asarray(rate, dtype=np.float64)
    if scale == 0.0 or not rate.any():
        return np.broadcast_to(f0, (n_steps,) + f0.shape)
    rate = np.broadcast_to(rate, f0.shape[:1])
    c = damped_sum(damping, n_steps)
    factor = np.exp(scale * rate[None, :] * c[:, None])  # [T, R]
    return np.minimum(f0[None] * factor[:, :, None], FERTILITY_MAX)
