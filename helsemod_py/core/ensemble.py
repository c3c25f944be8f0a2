"""Monte Carlo ensemble kernel: many draws of supply, demand and gap in parallel (numba prange).

Draws run in blocks of ``LANES`` (32) side by side: the supply state of a municipality is
``[group, sex, age, draw]`` and the innermost loops run over the draws, so every input is read
once per block and the arithmetic fills whole SIMD registers (:func:`~helsemod_py.core.supply._supply_block`,
with the step functions of :mod:`helsemod_py.core.supply_equations` that the deterministic run uses too).
Blocks run in parallel (``prange``). Every lane runs the same instructions, so a draw's result does
not depend on which block or lane it lands in: results are the same bit for bit whatever the
number of threads or the chunking. Factors that no draw of the run changes take a shared path
(one staying share or FTE per person for all lanes). With ``noise`` on, the small municipalities
run one draw at a time through :func:`~helsemod_py.core.supply._supply_run`, draw ``d`` seeding
numba's generator with its own 32-bit seed from the run's seed tree (:mod:`helsemod_py.seeds`).

Each draw writes only aggregates: the gap, supply and demand per year and group for the nation
and each county, and the gap per municipality in chosen years.

Demand of draw d, for year t, region r, service k and group g::

    demand0[t, r, k, g] * (1 + wdem[t] (dfac[d, r, k, 0] - 1)) * dfac[d, r, k, 1] ** t

    demand0 = base_fte[r, k, g] * users_ratio[t, r, k] * intensity[t, r, k] * mix[t, r, k, g]

(``dfac[..., 0]``: FTE per user; ``dfac[..., 1]``: standard growth ratio (1+g_d)/(1+g)).
"""

from __future__ import annotations

# The kernel lives in supply.py beside the supply run it calls. numba's on-disk cache is keyed
# on the source file of the function it compiles only, not on the files of the functions it
# calls (supply_lanes.py, supply_equations.py, supply_layout.py): after editing those, touch
# supply.py and supply_lanes.py (or remove core/__pycache__/*.nbi) so no stale compiled kernel
# is loaded.
from .supply import ENSEMBLE_VARIABLES, LANES, ensemble_kernel  # noqa: F401

__all__ = ["ENSEMBLE_VARIABLES", "LANES", "ensemble_kernel"]
