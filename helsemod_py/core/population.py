"""Cohort-component population projection kernel (numba).

Arrays, not labels: ``pop0[region, sex, age]`` with sexes ``(male, female)`` and one-year
ages 0..A-1 where the last age is open (A-1 and older). Rates have a leading step axis
``t`` for the step from year ``base+t`` to ``base+t+1``.

The equations of one step are in :mod:`.population_equations` (shared with the ensemble's
users per draw).
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

from ._types import F64, inp, out
from .population_equations import birth_share, net_migrants, newborns, survivors
from .supply_layout import FEMALE, MALE

#: Columns of ``flows_out``: births, deaths, net migrants (persons per step).
POP_FLOWS = ("births", "deaths", "net_migration")
BIRTHS, DEATHS, NET_MIGRATION = range(len(POP_FLOWS))


@njit(types.void(inp(3), inp(3), inp(4), inp(4), F64, out(4), out(3)), cache=True, nogil=True)
def project_population_kernel(pop0, fertility, mortality, net_migration, male_share, pop_out, flows_out):
    """Fill ``pop_out[t, r, s, a]`` (persons, 1 January) and ``flows_out[t, r, f]``.

    pop0: persons [R, S, A]; fertility: births per woman per year [T, R, A];
    mortality, net_migration: /1 per year [T, R, S, A]; male_share: /1 of births.
    pop_out: [T+1, R, S, A]; flows_out: [T, R, 3] (see ``POP_FLOWS``).
    """
    n_steps = fertility.shape[0]
    n_reg, n_sex, n_age = pop0.shape
    last = n_age - 1
    for r in range(n_reg):
        for s in range(n_sex):
            for a in range(n_age):
                pop_out[0, r, s, a] = pop0[r, s, a]
    for t in range(n_steps):
        for r in range(n_reg):
            births = 0.0
            for a in range(n_age):
                births += fertility[t, r, a] * pop_out[t, r, FEMALE, a]
            deaths = 0.0
            migrants = 0.0
            for s in range(n_sex):
                for a in range(n_age):
                    pop_out[t + 1, r, s, a] = 0.0
                for a in range(n_age):
                    x = pop_out[t, r, s, a]
                    surv = survivors(x, mortality[t, r, s, a])
                    m = net_migrants(surv, net_migration[t, r, s, a], 1.0)
                    deaths += x * mortality[t, r, s, a]  # what survivors() takes away
                    migrants += m
                    dst = a + 1 if a < last else last
                    pop_out[t + 1, r, s, dst] += surv + m
                born = births * birth_share(male_share, s == MALE)
                alive = newborns(born, mortality[t, r, s, 0])
                deaths += born * 0.5 * mortality[t, r, s, 0]  # what newborns() takes away
                pop_out[t + 1, r, s, 0] += alive
            flows_out[t, r, BIRTHS] = births
            flows_out[t, r, DEATHS] = deaths
            flows_out[t, r, NET_MIGRATION] = migrants


def project_population(pop0, fertility, mortality, net_migration, male_share):
    """Project the population; returns ``(pop[T+1, R, S, A], flows[T, R, 3])``.

    Inputs may be broadcast views; see :func:`project_population_kernel` for units.
    """
    pop0 = np.asarray(pop0, dtype=np.float64)
    n_steps = fertility.shape[0]
    n_reg, n_sex, n_age = pop0.shape
    _check_shapes(pop0, fertility, mortality, net_migration)
    pop_out = np.empty((n_steps + 1, n_reg, n_sex, n_age))
    flows = np.empty((n_steps, n_reg, len(POP_FLOWS)))
    project_population_kernel(pop0, fertility, mortality, net_migration, float(male_share), pop_out, flows)
    return pop_out, flows


def _check_shapes(pop0, fertility, mortality, net_migration):
    n_steps = fertility.shape[0]
    r, s, a = pop0.shape
    if s != 2:
        raise ValueError(f"pop0 needs 2 sexes (male, female), got {s}")
    if fertility.shape != (n_steps, r, a):
        raise ValueError(f"fertility shape {fertility.shape} != {(n_steps, r, a)}")
    for name, arr in (("mortality", mortality), ("net_migration", net_migration)):
        if arr.shape != (n_steps, r, s, a):
            raise ValueError(f"{name} shape {arr.shape} != {(n_steps, r, s, a)}")
