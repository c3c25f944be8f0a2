"""Multi-state stock-flow kernel for personnel supply (numba).

Stock ``N[region, group, sex, age]`` of persons with the group's education at working ages
(ages index 0..A-1, e.g. 16..74). For one step, region, sex and age, in this order::

    deaths      = N * mortality                       (the population's mortality)
    exits       = (N - deaths) * exit_rate[g]
    migrants    = (N - deaths - exits) * net_migration
    x[g]        = N - deaths - exits + migrants
    moved[k]    = x[src[k]] * transition_rate[k]      (group src[k] -> dst[k]; scaled down where
                                                       the rates out of a cell sum to more than 1)
    next[g, a+1] = x[g] * (1 - sum of rates out of g) + sum moved into g   (leaves at the last age)
    next[g, a]  += graduates[g] * graduate_dist[g, s, a] + immigrants[g] * immigrant_dist[g, s, a]
                   + recruits[g, s, a]                (extra entrants placed by measures)

and, for the stock at every 1 January::

    employed  = N * participation
    headcount = employed * share_in_health_care
    fte       = headcount * avg_fte * (1 - sick_leave[g])

Rates and shares are capped at 1 after their factors; a factor ``f`` of a draw or measure is
phased in by the year's weight ``w`` as ``1 + w (f - 1)``.

These equations are written once, as scalar step functions in :mod:`.supply_equations`, which
both kernels inline: :func:`_supply_run` here (one draw, regions in sequence, flows, totals and
stock, and Poisson noise for small municipalities), behind :func:`project_supply_kernel` and the
noisy municipalities of :func:`ensemble_kernel`; and the ensemble's lane kernel
:func:`~.supply_lanes._supply_block` (``LANES`` draws side by side, FTE only). The named
positions in the arrays are in :mod:`.supply_layout`; they and the lane kernels of
:mod:`.supply_lanes` are re-exported here. The plain-numpy reference :mod:`.reference` is an
independent implementation of the same equations for the tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types

from ._types import BOOL, cin, idx, out
# The array layout and the lane kernels, re-exported: callers use them as ``supply.NAME``.
from .supply_lanes import LANES, _aggregate_block, _fte_pass, _stay_pass, _supply_block, _users_lanes  # noqa: F401
from .supply_layout import (AGED_OUT, D_GROWTH, D_USE, DEATHS, E_DEMAND, E_GAP, E_SUPPLY,  # noqa: F401
                            EMPLOYED, ENSEMBLE_VARIABLES, EXITS, F_EXIT, F_FTE, F_GRAD, F_IMM, F_PART, F_SHARE,
                            F_SICK, FACTORS, FEMALE, FLOW_SIGNS, FTE, GRADUATES, HEADCOUNT, IMMIGRANTS, MALE,
                            MIGRATION, PERSONS, RECRUITS, SUPPLY_FLOWS, SUPPLY_TOTALS, TRANSFERS_IN, TRANSFERS_OUT,
                            _at)
from .supply_equations import (aged, capped, cell_fte, employed, entrants, exits, headcount, kept, leavers, migrants,
                               moved, net_fte, phase_in)


@njit(cache=True, nogil=True, fastmath=True)
def _supply_run(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                graduates, graduate_dist, immigrants, immigrant_dist,
                participation, share_in_health_care, avg_fte, sick_leave, recruits,
                fac, wfac, tfac, wtr, mfac, wmig, noisy, regions, keep_stock, stock_out, flows_out, totals_out):
    """The supply projection of one draw for ``regions`` (indices; the deterministic kernel and
    the noisy municipalities of the ensemble): the step functions of :mod:`.supply_equations`
    over ages in the innermost loops, recording flows, totals and stock.

    Inputs are compact (see :func:`compact`): a leading year or region axis of length 1
    means "the same for all". ``fac[r, g, j]`` are multiplicative factors (/1) on exit_rate, avg_fte,
    participation, share_in_health_care, sick_leave, graduates and immigrants (``FACTORS``),
    phased in by ``wfac[t, j]`` (factor ``1 + w (f - 1)``); ``tfac[r, k]`` with ``wtr[t]`` on
    transition rates; ``mfac[r]`` with ``wmig[t]`` on net migration. Rates are capped at 1.
    ``noisy[r]`` draws deaths, exits, migration, transitions and entrants of region r as Poisson
    counts with the equations' means (seed numba's generator before calling).
    """
    n_steps = flows_out.shape[0]  # inputs may be compact along time
    n_reg, n_grp, n_sex, n_age = stock0.shape
    n_tr = trans_src.shape[0]
    last = n_age - 1
    # Regions are independent: project one region through all years with its stock in cache.
    cur = np.empty((n_grp, n_sex, n_age))
    nxt = np.empty((n_grp, n_sex, n_age))
    xbuf = np.empty((n_grp, n_sex, n_age))  # stayers after deaths, exits and migration
    orate = np.empty((n_grp, n_sex, n_age))  # sum of capped transition rates out of each cell
    inflow = np.empty((n_grp, n_sex, n_age))  # persons moved into each cell by transitions
    for ri in range(regions.shape[0]):
        r = regions[ri]
        noise = noisy[r]
        for g in range(n_grp):
            for s in range(n_sex):
                for a in range(n_age):
                    cur[g, s, a] = stock0[r, g, s, a]
        for t in range(n_steps + 1):
            # the (year, region) blocks of every input: C-contiguous, so inner loops vectorise
            pa_b = participation[_at(participation, t), _at(participation, r, 1)]
            sh_b = share_in_health_care[_at(share_in_health_care, t), _at(share_in_health_care, r, 1)]
            fe_b = avg_fte[_at(avg_fte, t), _at(avg_fte, r, 1)]
            sk_b = sick_leave[_at(sick_leave, t), _at(sick_leave, r, 1)]
            if keep_stock or t == n_steps:
                slot = t if keep_stock else 0
                for g in range(n_grp):
                    for s in range(n_sex):
                        for a in range(n_age):
                            stock_out[slot, r, g, s, a] = cur[g, s, a]
            # totals of the stock on 1 January of year t
            for g in range(n_grp):
                f_fte = phase_in(wfac[t, F_FTE], fac[r, g, F_FTE])
                f_part = phase_in(wfac[t, F_PART], fac[r, g, F_PART])
                f_share = phase_in(wfac[t, F_SHARE], fac[r, g, F_SHARE])
                f_sick = phase_in(wfac[t, F_SICK], fac[r, g, F_SICK])
                persons = 0.0
                n_employed = 0.0
                n_headcount = 0.0
                fte = 0.0
                for s in range(n_sex):
                    for a in range(n_age):
                        n = cur[g, s, a]
                        e = employed(n, pa_b[g, s, a], f_part)
                        h = headcount(e, sh_b[g, s, a], f_share)
                        persons += n
                        n_employed += e
                        n_headcount += h
                        fte += cell_fte(h, fe_b[g, s, a])
                totals_out[t, r, g, PERSONS] = persons
                totals_out[t, r, g, EMPLOYED] = n_employed
                totals_out[t, r, g, HEADCOUNT] = n_headcount
                totals_out[t, r, g, FTE] = net_fte(fte, f_fte, sk_b[g], f_sick)
            if t == n_steps:
                break
            q_b = mortality[_at(mortality, t), _at(mortality, r, 1)]
            m_b = net_migration[_at(net_migration, t), _at(net_migration, r, 1)]
            ex_b = exit_rate[_at(exit_rate, t), _at(exit_rate, r, 1)]
            tr_b = trans_rate[_at(trans_rate, t), _at(trans_rate, r, 1)]
            gr_b = graduates[_at(graduates, t), _at(graduates, r, 1)]
            im_b = immigrants[_at(immigrants, t), _at(immigrants, r, 1)]
            rc_b = recruits[_at(recruits, t), _at(recruits, r, 1)]
            # 1. deaths, exits and net migration, cell by cell
            f_mig = phase_in(wmig[t], mfac[r])
            for g in range(n_grp):
                f_exit = phase_in(wfac[t, F_EXIT], fac[r, g, F_EXIT])
                deaths = 0.0
                exited = 0.0
                migrated = 0.0
                for s in range(n_sex):
                    qv = q_b[s]
                    ev = ex_b[g, s]
                    mgv = m_b[s]
                    xv = xbuf[g, s]
                    cv = cur[g, s]
                    if noise:  # Poisson counts, each at most what is left of the cell
                        for a in range(n_age):
                            n = cv[a]
                            d = min(n, float(np.random.poisson(n * qv[a])))
                            ex = min(n - d, float(np.random.poisson(exits(n - d, ev[a], f_exit))))
                            stay = n - d - ex
                            mig = migrants(stay, mgv[a], f_mig)
                            mig = float(np.random.poisson(mig)) if mig >= 0.0 else -min(
                                stay, float(np.random.poisson(-mig)))
                            xv[a] = stay + mig
                            deaths += d
                            exited += ex
                            migrated += mig
                    else:
                        for a in range(n_age):
                            d, ex, mig, xv[a] = leavers(cv[a], qv[a], ev[a], f_exit, mgv[a], f_mig)
                            deaths += d
                            exited += ex
                            migrated += mig
                    for a in range(n_age):
                        orate[g, s, a] = 0.0
                        inflow[g, s, a] = 0.0
                flows_out[t, r, g, DEATHS] = deaths
                flows_out[t, r, g, EXITS] = exited
                flows_out[t, r, g, MIGRATION] = migrated
                flows_out[t, r, g, TRANSFERS_OUT] = 0.0
                flows_out[t, r, g, TRANSFERS_IN] = 0.0
            # 2. transitions between groups at the same sex and age; where the (capped) rates out
            # of a cell sum to more than 1, they are scaled to sum to 1, so nobody leaves twice
            if not noise:
                for k in range(n_tr):
                    f_tr = phase_in(wtr[t], tfac[r, k])
                    for s in range(n_sex):
                        tv = tr_b[k, s]
                        os_ = orate[trans_src[k], s]
                        for a in range(n_age):
                            os_[a] += capped(tv[a], f_tr)
            for k in range(n_tr):
                src = trans_src[k]
                dst = trans_dst[k]
                f_tr = phase_in(wtr[t], tfac[r, k])
                total = 0.0
                for s in range(n_sex):
                    tv = tr_b[k, s]
                    xs = xbuf[src, s]
                    os_ = orate[src, s]
                    ind = inflow[dst, s]
                    if noise:  # draws in turn (unscaled means), each at most what is left of the cell
                        for a in range(n_age):
                            mv = min(kept(xs[a], os_[a]), float(np.random.poisson(xs[a] * capped(tv[a], f_tr))))
                            os_[a] += mv / xs[a] if xs[a] > 0.0 else 0.0
                            ind[a] += mv
                            total += mv
                    else:
                        for a in range(n_age):
                            mv = moved(xs[a], capped(tv[a], f_tr), os_[a])
                            ind[a] += mv
                            total += mv
                flows_out[t, r, src, TRANSFERS_OUT] += total
                flows_out[t, r, dst, TRANSFERS_IN] += total
            # 3. one year older, plus entrants at their age on the next 1 January
            for g in range(n_grp):
                grads = 0.0
                imms = 0.0
                recs = 0.0
                gr_n = gr_b[g] * phase_in(wfac[t, F_GRAD], fac[r, g, F_GRAD])
                im_n = im_b[g] * phase_in(wfac[t, F_IMM], fac[r, g, F_IMM])
                aged_out = 0.0
                for s in range(n_sex):
                    gdv = graduate_dist[g, s]
                    idist = immigrant_dist[g, s]
                    rv = rc_b[g, s]
                    xv = xbuf[g, s]
                    ov = orate[g, s]
                    iv = inflow[g, s]
                    nv = nxt[g, s]
                    # stayers of age a-1 are now age a
                    nv[0] = 0.0
                    for a in range(1, n_age):
                        nv[a] = aged(xv[a - 1], ov[a - 1], iv[a - 1])
                    aged_out += aged(xv[last], ov[last], iv[last])
                    if noise:
                        for a in range(n_age):
                            gr_m, im_m, rc_m, _ = entrants(gr_n, gdv[a], im_n, idist[a], rv[a])
                            gr = float(np.random.poisson(gr_m))
                            im = float(np.random.poisson(im_m))
                            rc = float(np.random.poisson(rc_m))
                            nv[a] += gr + im + rc
                            grads += gr
                            imms += im
                            recs += rc
                    else:
                        for a in range(n_age):
                            gr, im, rc, e = entrants(gr_n, gdv[a], im_n, idist[a], rv[a])
                            nv[a] += e
                            grads += gr
                            imms += im
                            recs += rc
                flows_out[t, r, g, GRADUATES] = grads
                flows_out[t, r, g, IMMIGRANTS] = imms
                flows_out[t, r, g, AGED_OUT] = aged_out
                flows_out[t, r, g, RECRUITS] = recs
            cur, nxt = nxt, cur


@njit(types.void(cin(4), cin(4), cin(4), cin(5), idx(), idx(), cin(5), cin(3), cin(3), cin(3), cin(3),
                 cin(5), cin(5), cin(5), cin(3), cin(5), BOOL, out(5), out(4), out(4)),
      cache=True, nogil=True)
def project_supply_kernel(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                          graduates, graduate_dist, immigrants, immigrant_dist,
                          participation, share_in_health_care, avg_fte, sick_leave, recruits,
                          keep_stock, stock_out, flows_out, totals_out):
    """Project supply; fill ``stock_out``, ``flows_out[t, r, g, f]`` and ``totals_out[t, r, g, c]``.

    stock0: persons [R, G, S, A]; mortality, net_migration: /1 per year [T, R, S, A];
    exit_rate: /1 per year [T, R, G, S, A]; trans_src/trans_dst: group index per transition [K];
    trans_rate: /1 per year [T, R, K, S, A]; graduates, immigrants: persons per year [T, R, G];
    graduate_dist, immigrant_dist: /1 [G, S, A]; participation, share_in_health_care: /1 and
    avg_fte: FTE per person [T+1, R, G, S, A]; sick_leave: /1 [T+1, R, G];
    recruits: persons per year [T, R, G, S, A] (extra entrants from measures).
    stock_out: [T+1, R, G, S, A] if keep_stock else [1, R, G, S, A] (the last year only);
    flows_out: persons per year [T, R, G, len(SUPPLY_FLOWS)]; totals_out: persons, and FTE in the
    last column, on 1 January [T+1, R, G, len(SUPPLY_TOTALS)].
    """
    n_reg, n_grp = stock0.shape[:2]
    n_years = totals_out.shape[0]
    fac = np.ones((n_reg, n_grp, len(FACTORS)))
    wfac = np.zeros((n_years, len(FACTORS)))
    tfac = np.ones((n_reg, trans_src.shape[0]))
    wtr = np.zeros(n_years)
    noisy = np.zeros(n_reg, dtype=np.bool_)
    _supply_run(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                graduates, graduate_dist, immigrants, immigrant_dist,
                participation, share_in_health_care, avg_fte, sick_leave, recruits,
                fac, wfac, tfac, wtr, np.ones(n_reg), np.zeros(n_years), noisy, np.arange(n_reg), keep_stock,
                stock_out, flows_out, totals_out)


def compact(arr, leading: int = 2) -> np.ndarray:
    """C-contiguous float64 copy of ``arr`` with its first ``leading`` axes (year, region)
    reduced to length 1 where ``arr`` does not vary along them (stride 0 of a broadcast view).

    The kernels index such axes at 0; the other axes are made contiguous, so inner loops over
    ages run over contiguous memory.
    """
    arr = np.asarray(arr, dtype=np.float64)
    index = tuple(slice(0, 1) if ax < leading and arr.strides[ax] == 0 and arr.shape[ax] > 1 else slice(None)
                  for ax in range(arr.ndim))
    return np.ascontiguousarray(arr[index])


def project_supply(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                   graduates, graduate_dist, immigrants, immigrant_dist,
                   participation, share_in_health_care, avg_fte, sick_leave, keep_stock=True, recruits=None):
    """Project supply; returns ``(stock, flows, totals)`` (see :func:`project_supply_kernel`).

    ``recruits`` (persons per year ``[T, R, G, S, A]``) defaults to none.

    With ``keep_stock=False`` only the last year's stock is kept (``stock[0]``).
    """
    stock0 = np.asarray(stock0, dtype=np.float64)
    n_steps = exit_rate.shape[0]
    n_reg, n_grp, n_sex, n_age = stock0.shape
    n_tr = len(trans_src)
    if recruits is None:
        recruits = np.broadcast_to(np.zeros(1), (n_steps, n_reg, n_grp, n_sex, n_age))
    want = {
        "mortality": (n_steps, n_reg, n_sex, n_age), "net_migration": (n_steps, n_reg, n_sex, n_age),
        "exit_rate": (n_steps, n_reg, n_grp, n_sex, n_age), "trans_rate": (n_steps, n_reg, n_tr, n_sex, n_age),
        "graduates": (n_steps, n_reg, n_grp), "graduate_dist": (n_grp, n_sex, n_age),
        "immigrants": (n_steps, n_reg, n_grp), "immigrant_dist": (n_grp, n_sex, n_age),
        "participation": (n_steps + 1, n_reg, n_grp, n_sex, n_age),
        "share_in_health_care": (n_steps + 1, n_reg, n_grp, n_sex, n_age),
        "avg_fte": (n_steps + 1, n_reg, n_grp, n_sex, n_age), "sick_leave": (n_steps + 1, n_reg, n_grp),
        "recruits": (n_steps, n_reg, n_grp, n_sex, n_age),
    }
    given = dict(mortality=mortality, net_migration=net_migration, exit_rate=exit_rate, trans_rate=trans_rate,
                 graduates=graduates, graduate_dist=graduate_dist, immigrants=immigrants,
                 immigrant_dist=immigrant_dist, participation=participation,
                 share_in_health_care=share_in_health_care, avg_fte=avg_fte, sick_leave=sick_leave,
                 recruits=recruits)
    for name, shp in want.items():
        if np.shape(given[name]) != shp:
            raise ValueError(f"{name} has shape {np.shape(given[name])}, expected {shp}")
    if len(trans_dst) != n_tr or (n_tr and (max(trans_src) >= n_grp or max(trans_dst) >= n_grp)):
        raise ValueError("trans_src/trans_dst must be group indices of equal length")
    c = compact
    stock = np.empty((n_steps + 1 if keep_stock else 1, n_reg, n_grp, n_sex, n_age))
    flows = np.empty((n_steps, n_reg, n_grp, len(SUPPLY_FLOWS)))
    totals = np.empty((n_steps + 1, n_reg, n_grp, len(SUPPLY_TOTALS)))
    project_supply_kernel(c(stock0, 0), c(mortality), c(net_migration), c(exit_rate),
                          np.asarray(trans_src, dtype=np.int64), np.asarray(trans_dst, dtype=np.int64), c(trans_rate),
                          c(graduates), c(graduate_dist, 0), c(immigrants), c(immigrant_dist, 0),
                          c(participation), c(share_in_health_care), c(avg_fte), c(sick_leave), c(recruits),
                          bool(keep_stock), stock, flows, totals)
    return stock, flows, totals


# --- Monte Carlo ensemble (see helsemod_py.core.ensemble) --------------------------------
@njit(parallel=True, cache=True)
def ensemble_kernel(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                    graduates, graduate_dist, immigrants, immigrant_dist,
                    participation, share_in_health_care, avg_fte, sick_leave, recruits,
                    fac, wfac, tfac, wtr, mfac, wmig, varies, mig_varies, demand0, dfac, wdem,
                    population, male_share, pop_varies,
                    county_index, noisy, noise_seeds, mun_years, muni_share, muni_service, out_nation, out_county,
                    out_mun):
    """Fill ``out_nation[d, t, g, v]``, ``out_county[d, t, c, g, v]`` (FTE; v: ``ENSEMBLE_VARIABLES``)
    and ``out_mun[d, y, r, g]`` (FTE).

    Draws run in blocks of ``LANES`` side by side (:func:`_supply_block`), blocks in parallel.
    fac: [D, R, G, len(FACTORS)]; wfac: [T+1, len(FACTORS)]; tfac: [D, R, K]; wtr: [T+1];
    mfac: [D, R] factors on net migration, phased in by wmig: [T+1];
    varies: [G, len(FACTORS)] bool, factors that differ from 1 in some draw; mig_varies: bool;
    demand0: FTE demand before draw factors [T+1, R, S_k, G]; dfac: [D, R, S_k, 2];
    population: (pop0 [R, S, A], fertility [T, R, A], mortality, net_migration [T, R, S, A],
    user_rate [T+1, R, S_k, S, A], users [T+1, R, S_k] of the deterministic projection), all ages,
    compact; male_share: /1 of births; pop_varies: project each draw's population and users
    (net migration drawn and demand driven by the projected population);
    wdem: [T+1]; county_index: [R] int; noisy: [R] bool; noise_seeds: [D] uint32, the seed of
    numba's generator for the noise of each draw (:func:`helsemod_py.seeds.noise_seeds`); noisy
    municipalities run one draw at a time through :func:`_supply_run`); mun_years: year
    indices [Y] for ``out_mun`` (municipal gap, FTE: supply times ``muni_share`` [T+1 or 1, R, G]
    less the demand of services with ``muni_service`` [K] bool); nation and county hold all sectors.
    Other inputs as in the supply kernel.
    """
    n_draws = fac.shape[0]
    n_reg, n_grp, n_sex, n_age = stock0.shape
    n_years = wfac.shape[0]
    n_loud = 0
    for r in range(n_reg):
        if noisy[r]:
            n_loud += 1
    quiet = np.empty(n_reg - n_loud, dtype=np.int64)
    loud = np.empty(n_loud, dtype=np.int64)
    i = 0
    j = 0
    for r in range(n_reg):
        if noisy[r]:
            loud[j] = r
            j += 1
        else:
            quiet[i] = r
            i += 1
    n_blocks = (n_draws + LANES - 1) // LANES
    for b in prange(n_blocks):
        d0 = b * LANES
        nd = min(LANES, n_draws - d0)
        fte = np.zeros((n_years, n_reg, n_grp, LANES))
        _supply_block(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                      graduates, graduate_dist, immigrants, immigrant_dist,
                      participation, share_in_health_care, avg_fte, sick_leave, recruits,
                      fac, wfac, tfac, wtr, mfac, wmig, varies, mig_varies, d0, nd, quiet, fte)
        if n_loud > 0:
            stock = np.empty((1, n_reg, n_grp, n_sex, n_age))
            flows = np.empty((n_years - 1, n_reg, n_grp, len(SUPPLY_FLOWS)))
            totals = np.empty((n_years, n_reg, n_grp, len(SUPPLY_TOTALS)))
            for w in range(nd):
                np.random.seed(noise_seeds[d0 + w])
                _supply_run(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                            graduates, graduate_dist, immigrants, immigrant_dist,
                            participation, share_in_health_care, avg_fte, sick_leave, recruits,
                            fac[d0 + w], wfac, tfac[d0 + w], wtr, mfac[d0 + w], wmig, noisy, loud, False, stock,
                            flows, totals)
                for t in range(n_years):
                    for li in range(n_loud):
                        for g in range(n_grp):
                            fte[t, loud[li], g, w] = totals[t, loud[li], g, FTE]
        n_srv = demand0.shape[2]
        if pop_varies:
            pop0, fertility, mortality_all, migration_all, user_rate, users = population
            umult = np.empty((n_years, n_reg, n_srv, LANES))
            users_lane = np.empty((n_years, n_srv, LANES))
            for r in range(n_reg):
                _users_lanes(r, pop0, fertility, mortality_all, migration_all, male_share, user_rate, mfac, wmig,
                             d0, nd, users_lane)
                for t in range(n_years):
                    for k in range(n_srv):
                        u = users[t, r, k]
                        for w in range(LANES):
                            # base-year users of none: ratio 1 in every draw (as in the demand kernel)
                            umult[t, r, k, w] = users_lane[t, k, w] / u if u > 0.0 and users[0, r, k] > 0.0 else 1.0
        else:
            umult = np.ones((1, 1, 1, 1))
        _aggregate_block(fte, demand0, dfac, wdem, umult, pop_varies, d0, nd, county_index, mun_years, muni_share,
                         muni_service, out_nation, out_county, out_mun)
