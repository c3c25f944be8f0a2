"""Named positions in the supply kernels' arrays (flows, totals, draw factors, ensemble outputs;
numba reads module-level ints as constants) and :func:`_at`, the index of a compact input. Shared by the
kernels of :mod:`.supply` and the lane kernels of :mod:`.supply_lanes`."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..dims import SEXES

#: Columns of the flows output (persons per step); inflows add, outflows subtract.
SUPPLY_FLOWS = ("deaths", "exits", "net_migration", "transfers_out", "transfers_in", "graduates",
                "immigrants", "aged_out", "recruits")
#: Sign of each flow in the mass balance ``N[t+1] = N[t] + sum(sign * flow)``.
FLOW_SIGNS = np.array([-1.0, -1.0, 1.0, -1.0, 1.0, 1.0, 1.0, -1.0, 1.0])
#: Columns of the totals output (per 1 January).
SUPPLY_TOTALS = ("persons", "employed", "headcount", "fte")
#: Parameters that draws scale by a factor per region and group (uncertainty).
FACTORS = ("exit_rate", "avg_fte", "participation", "share_in_health_care", "sick_leave", "graduates",
           "immigrants")
# Named positions (numba reads module-level ints as constants): factors, flows, totals.
F_EXIT, F_FTE, F_PART, F_SHARE, F_SICK, F_GRAD, F_IMM = range(len(FACTORS))
(DEATHS, EXITS, MIGRATION, TRANSFERS_OUT, TRANSFERS_IN, GRADUATES, IMMIGRANTS, AGED_OUT,
 RECRUITS) = range(len(SUPPLY_FLOWS))
PERSONS, EMPLOYED, HEADCOUNT, FTE = range(len(SUPPLY_TOTALS))
#: Demand factors of a draw (``dfac[..., j]``): FTE per user (phased in by ``wdem``), growth per year.
D_USE, D_GROWTH = 0, 1
#: Positions of the sexes along the sex axes (``dims.SEXES``).
MALE, FEMALE = SEXES.index("male"), SEXES.index("female")
#: Columns of the ensemble's nation and county outputs (FTE), and their positions.
ENSEMBLE_VARIABLES = ("supply_fte", "demand_fte", "gap")
E_SUPPLY, E_DEMAND, E_GAP = range(len(ENSEMBLE_VARIABLES))


@njit(cache=True, nogil=True, inline="always")
def _at(arr, i, axis=0):
    """Index ``i`` along ``axis`` of a compact input, or 0 where the input is the same for all."""
    return i if arr.shape[axis] > 1 else 0
