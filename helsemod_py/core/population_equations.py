"""The cohort-component equations, written once: scalar step functions of one cell (sex, age) and
one draw, inlined into both population kernels -- the deterministic projection
(:func:`helsemod_py.core.population.project_population_kernel`, with flows) and the ensemble's
users per draw (:func:`helsemod_py.core.supply_lanes._users_lanes`, ``LANES`` draws side by side,
net migration scaled per draw).

For one step (a year) and region::

    births    = sum_a fertility[a] * women[a]
    survivors = pop[s, a] - pop[s, a] * mortality[s, a]
    next[s, min(a + 1, A - 1)] += survivors + survivors * net_migration[s, a] * f_mig
    next[s, 0] += born - born * mortality[s, 0] / 2      (born = births * share of sex s)

Newborns are exposed to half a year of infant mortality; their migration in the birth year is part
of (effective) fertility. Units: persons, /1 per year for rates, births per woman per year.

As with :mod:`.supply_equations`, numba's cache does not see edits of this file: touch
``population.py`` and ``supply_lanes.py`` after editing it.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True, inline="always")
def survivors(persons, mortality):
    """Persons of a cell alive at the end of the year (mortality /1 per year)."""
    return persons - persons * mortality


@njit(cache=True, nogil=True, inline="always")
def net_migrants(surv, net_migration, f_mig):
    """Net migrants (persons, negative for net emigration) among the survivors of a cell: net
    migration (/1 per year) times a draw's factor ``f_mig`` (1 in the deterministic projection)."""
    return surv * net_migration * f_mig


@njit(cache=True, nogil=True, inline="always")
def newborns(born, mortality_age0):
    """Newborns alive on 1 January of the ``born`` during the year: half a year of infant mortality."""
    return born - born * 0.5 * mortality_age0


@njit(cache=True, nogil=True, inline="always")
def birth_share(male_share, is_male):
    """The share of births of a sex (/1)."""
    return male_share if is_male else 1.0 - male_share
