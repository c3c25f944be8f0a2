"""Demand kernel (numba): users from population and user rates, FTE demand per service and group.

For year t, region r, service k and group g::

    users[t, r, k]     = sum_{s,a} pop[t, r, s, a] * user_rate[t, r, k, s, a]
    demand[t, r, k, g] = base_fte[r, k, g] * users[t, r, k] / users[0, r, k]
                         * intensity[t, r, k] * mix[t, r, k, g]

``intensity`` carries standard growth (FTE per user) and productivity; ``mix`` the change in
staff mix (task shifting). Where a region has no users of a service in the base year the
user ratio is taken as 1.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

from ._types import inp, out


@njit(types.void(inp(4), inp(5), inp(3), inp(3), inp(4), out(3), out(4)), cache=True, nogil=True)
def project_demand_kernel(pop, user_rate, base_fte, intensity, mix, users_out, demand_out):
    """Fill ``users_out[t, r, k]`` (users) and ``demand_out[t, r, k, g]`` (FTE).

    pop: persons [T+1, R, S, A]; user_rate: users per person [T+1, R, K, S, A];
    base_fte: FTE [R, K, G]; intensity: /1 (1 in the base year) [T+1, R, K];
    mix: /1 [T+1, R, K, G].
    """
    n_years, n_reg, n_sex, n_age = pop.shape
    n_srv = user_rate.shape[2]
    n_grp = base_fte.shape[2]
    for t in range(n_years):
        for r in range(n_reg):
            for k in range(n_srv):
                u = 0.0
                for s in range(n_sex):
                    for a in range(n_age):
                        u += pop[t, r, s, a] * user_rate[t, r, k, s, a]
                users_out[t, r, k] = u
    for t in range(n_years):
        for r in range(n_reg):
            for k in range(n_srv):
                u0 = users_out[0, r, k]
                ratio = users_out[t, r, k] / u0 if u0 > 0.0 else 1.0
                f = ratio * intensity[t, r, k]
                for g in range(n_grp):
                    demand_out[t, r, k, g] = base_fte[r, k, g] * f * mix[t, r, k, g]


def project_demand(pop, user_rate, base_fte, intensity, mix):
    """Users ``[T+1, R, K]`` and FTE demand ``[T+1, R, K, G]``; see :func:`project_demand_kernel`."""
    n_years, n_reg, n_sex, n_age = pop.shape
    n_srv, n_grp = base_fte.shape[1:]
    want = {"user_rate": (n_years, n_reg, n_srv, n_sex, n_age), "base_fte": (n_reg, n_srv, n_grp),
            "intensity": (n_years, n_reg, n_srv), "mix": (n_years, n_reg, n_srv, n_grp)}
    for name, arr in (("user_rate", user_rate), ("base_fte", base_fte), ("intensity", intensity), ("mix", mix)):
        if np.shape(arr) != want[name]:
            raise ValueError(f"{name} has shape {np.shape(arr)}, expected {want[name]}")
    users = np.empty((n_years, n_reg, n_srv))
    demand = np.empty((n_years, n_reg, n_srv, n_grp))
    project_demand_kernel(pop, user_rate, base_fte, intensity, mix, users, demand)
    return users, demand
