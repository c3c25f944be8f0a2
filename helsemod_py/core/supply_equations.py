"""The supply equations, written once: small scalar step functions of one cell (group, sex, age)
and one draw, called by both supply kernels -- the deterministic run
(:func:`helsemod_py.core.supply._supply_run`, one draw, regions in sequence, with flows, totals and
stock) and the ensemble's lane kernel (:func:`helsemod_py.core.supply_lanes._supply_block`, ``LANES``
draws side by side, FTE only). The kernels differ only in their loops, in what they record and in
the Poisson noise of :func:`~helsemod_py.core.supply._supply_run` (draws of the same means).

Every function is inlined into its caller (``inline="always"``, at numba's IR level), so it is
compiled with the caller's ``fastmath`` and its scalar arithmetic vectorises in the caller's
innermost loop (over ages or over lanes). The FTE chain is three functions of one number each
(:func:`employed`, :func:`headcount`, :func:`cell_fte`), not one returning a tuple: the
deterministic kernel sums all three over ages, and a tuple there made LLVM vectorise those sums
differently (other last bits, half the vector width).

Units: persons for stocks and flows (per step of one year), /1 per year for rates, /1 for
shares and factors, FTE per person for ``avg_fte``.

numba's on-disk cache is keyed on the source file of the compiled kernel, not on the files it
calls: after editing this file, touch ``supply.py`` and ``supply_lanes.py`` (or remove
``core/__pycache__/*.nbi``) so their cached machine code is compiled again.
"""

from __future__ import annotations

from numba import njit

#: Position of the stayers in the tuple of :func:`leavers`, and of all entrants in that of :func:`entrants`.
STAYERS = 3
ALL_ENTRANTS = 3


@njit(cache=True, nogil=True, inline="always")
def phase_in(w, f):
    """A draw's or a measure's factor ``f`` on a parameter, phased in by the weight ``w`` of the
    year (0: not yet, 1: in full): ``1 + w (f - 1)`` (/1)."""
    return 1.0 + w * (f - 1.0)


@njit(cache=True, nogil=True, inline="always")
def capped(rate, f):
    """A rate or share times its factor, capped at 1 (/1)."""
    return min(1.0, rate * f)


@njit(cache=True, nogil=True, inline="always")
def exits(alive, exit_rate, f_exit):
    """Exits (persons) of the ``alive`` persons of a cell: the exit rate (/1 per year) times its
    phased-in factor, capped at 1."""
    return alive * capped(exit_rate, f_exit)


@njit(cache=True, nogil=True, inline="always")
def migrants(stay, net_migration, f_mig):
    """Net migrants (persons, negative for net emigration) of the ``stay`` persons of a cell
    left after deaths and exits: net migration (/1 per year) times its phased-in factor."""
    return stay * net_migration * f_mig


@njit(cache=True, nogil=True, inline="always")
def leavers(n, mortality, exit_rate, f_exit, net_migration, f_mig):
    """Deaths, exits and net migrants (persons) of a cell of ``n`` persons in one year, in this
    order, and the persons then in the cell: ``(deaths, exits, migrants, stayers)``.

    mortality: /1 per year; see :func:`exits` and :func:`migrants` for the others.
    """
    deaths = n * mortality
    ex = exits(n - deaths, exit_rate, f_exit)
    stay = n - deaths - ex
    mig = migrants(stay, net_migration, f_mig)
    return deaths, ex, mig, stay + mig


@njit(cache=True, nogil=True, inline="always")
def moved(stayers, rate, rate_out):
    """Persons moved by one transition out of a cell of ``stayers`` persons: its capped rate
    ``rate`` (/1 per year, :func:`capped`) scaled down where ``rate_out``, the sum of the capped
    rates out of the cell, exceeds 1 (so nobody leaves twice)."""
    return stayers * rate / max(1.0, rate_out)


@njit(cache=True, nogil=True, inline="always")
def kept(stayers, rate_out):
    """The stayers of a cell that no transition moves out (persons, never below zero, even where
    the capped rates out of the cell sum to 1 or more)."""
    return stayers * max(0.0, 1.0 - rate_out)


@njit(cache=True, nogil=True, inline="always")
def aged(stayers, rate_out, inflow):
    """Persons of a cell on the next 1 January, one year older, before entrants: the stayers
    :func:`kept` plus ``inflow``, the persons moved in by transitions."""
    return kept(stayers, rate_out) + inflow


@njit(cache=True, nogil=True, inline="always")
def entrants(graduates, graduate_share, immigrants, immigrant_share, recruits):
    """Entrants of a cell (persons per year): ``(graduates, immigrants, recruits, all)``, the
    group's graduates and immigrants (persons per year, after their factors) times the cell's
    share of them (/1, by sex and age), plus the recruits placed by measures."""
    gr = graduates * graduate_share
    im = immigrants * immigrant_share
    return gr, im, recruits, gr + im + recruits


@njit(cache=True, nogil=True, inline="always")
def employed(n, participation, f_part):
    """Employed persons of a cell of ``n`` persons: participation (/1, capped at 1 after its factor)."""
    return n * capped(participation, f_part)


@njit(cache=True, nogil=True, inline="always")
def headcount(emp, share, f_share):
    """Employed persons of a cell working in health and care: the share in health care (/1,
    capped at 1 after its factor) of the ``emp`` employed (:func:`employed`)."""
    return emp * capped(share, f_share)


@njit(cache=True, nogil=True, inline="always")
def cell_fte(head, avg_fte):
    """FTE of a cell's headcount (:func:`headcount`): avg_fte in FTE per person, before the
    group's factor on avg_fte and sick leave (:func:`net_fte`)."""
    return head * avg_fte


@njit(cache=True, nogil=True, inline="always")
def net_fte(fte, f_fte, sick_leave, f_sick):
    """FTE at work: a group's FTE (the sum of :func:`cell_fte`) times its factor on avg_fte and
    ``1 - sick_leave`` (/1, capped at 1 after its factor)."""
    return fte * f_fte * (1.0 - capped(sick_leave, f_sick))
