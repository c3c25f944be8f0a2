"""Monte Carlo ensemble kernel: many draws of supply, demand and gap in parallel (numba prange).

Each draw runs the supply projection of :func:`helsemod_py.core.supply._supply_run` with its
own factors, then demand from the (deterministic) users ratio, and writes only aggregates:
the gap, supply and demand per year and group for the nation and each county, and the gap
per municipality in chosen years. Draws are independent: with ``noise`` on, draw ``d``
seeds numba's generator with ``seed + draw_ids[d]`` before it starts, so results do not depend on the
number of threads or on how draws are split into chunks (``draw_ids`` are global).

Demand of draw d, for year t, region r, service k and group g::

    base_fte[r, k, g] * users_ratio[t, r, k] * intensity[t, r, k] * mix[t, r, k, g]
        * (1 + wdem[t] (dfac[d, r, k, 0] - 1)) * dfac[d, r, k, 1] ** t

(``dfac[..., 0]``: FTE per user; ``dfac[..., 1]``: standard growth ratio (1+g_d)/(1+g)).
"""

from __future__ import annotations

# The kernel lives in supply.py beside the supply run it calls: numba's on-disk cache is keyed
# on the source file of the function it compiles, so keeping them in one file means an edit of
# the supply equations can never leave a stale compiled ensemble behind.
from .supply import ENSEMBLE_VARIABLES, ensemble_kernel  # noqa: F401

__all__ = ["ENSEMBLE_VARIABLES", "ensemble_kernel"]
