"""Multi-state stock-flow kernel for personnel supply (numba).

Stock ``N[region, group, sex, age]`` of persons with the group's education at working ages
(ages index 0..A-1, e.g. 16..74). For one step, region, sex and age, in this order::

    deaths      = N * mortality                       (the population's mortality)
    exits       = (N - deaths) * exit_rate[g]
    migrants    = (N - deaths - exits) * net_migration
    x[g]        = N - deaths - exits + migrants
    moved[k]    = x[src[k]] * transition_rate[k]      (group src[k] -> dst[k])
    next[g, a+1] = x[g] * (1 - sum of rates out of g) + sum moved into g   (leaves at the last age)
    next[g, a]  += graduates[g] * graduate_dist[g, s, a] + immigrants[g] * immigrant_dist[g, s, a]
                   + recruits[g, s, a]                (extra entrants placed by measures)

and, for the stock at every 1 January::

    employed  = N * participation
    headcount = employed * share_in_health_care
    fte       = headcount * avg_fte * (1 - sick_leave[g])
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types

from ._types import BOOL, cin, idx, out

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


@njit(cache=True, nogil=True, inline="always")
def _at(arr, i, axis=0):
    """Index ``i`` along ``axis`` of a compact input, or 0 where the input is the same for all."""
    return i if arr.shape[axis] > 1 else 0


@njit(cache=True, nogil=True, fastmath=True)
def _supply_run(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                graduates, graduate_dist, immigrants, immigrant_dist,
                participation, share_in_health_care, avg_fte, sick_leave, recruits,
                fac, wfac, tfac, wtr, mfac, wmig, noisy, regions, keep_stock, stock_out, flows_out, totals_out):
    """The supply projection of one draw for ``regions`` (indices; the deterministic kernel and
    the noisy municipalities of the ensemble).

    Inputs are compact (see :func:`compact`): a leading year or region axis of length 1
    means "the same for all". ``fac[r, g, j]`` are multiplicative factors on exit_rate, avg_fte,
    participation, share_in_health_care, sick_leave, graduates and immigrants (``FACTORS``),
    phased in by ``wfac[t, j]`` (factor ``1 + w (f - 1)``); ``tfac[r, k]`` with ``wtr[t]`` on
    transition rates; ``mfac[r]`` with ``wmig[t]`` on net migration. Rates are capped at 1.
    ``noisy[r]`` draws deaths, exits, migration, transitions and entrants of region r as Poisson
    counts (seed numba's generator before calling).
    """
    n_steps = flows_out.shape[0]  # inputs may be compact along time
    n_reg, n_grp, n_sex, n_age = stock0.shape
    n_tr = trans_src.shape[0]
    # Regions are independent: project one region through all years with its stock in cache.
    cur = np.empty((n_grp, n_sex, n_age))
    nxt = np.empty((n_grp, n_sex, n_age))
    xbuf = np.empty((n_grp, n_sex, n_age))  # stayers after deaths, exits and migration
    orate = np.empty((n_grp, n_sex, n_age))  # sum of transition rates out of each cell
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
                f_fte = 1.0 + wfac[t, 1] * (fac[r, g, 1] - 1.0)
                f_part = 1.0 + wfac[t, 2] * (fac[r, g, 2] - 1.0)
                f_share = 1.0 + wfac[t, 3] * (fac[r, g, 3] - 1.0)
                f_sick = 1.0 + wfac[t, 4] * (fac[r, g, 4] - 1.0)
                persons = 0.0
                employed = 0.0
                headcount = 0.0
                fte = 0.0
                for s in range(n_sex):
                    for a in range(n_age):
                        n = cur[g, s, a]
                        e = n * min(1.0, pa_b[g, s, a] * f_part)
                        h = e * min(1.0, sh_b[g, s, a] * f_share)
                        persons += n
                        employed += e
                        headcount += h
                        fte += h * fe_b[g, s, a]
                totals_out[t, r, g, 0] = persons
                totals_out[t, r, g, 1] = employed
                totals_out[t, r, g, 2] = headcount
                totals_out[t, r, g, 3] = fte * f_fte * (1.0 - min(1.0, sk_b[g] * f_sick))
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
            f_mig = 1.0 + wmig[t] * (mfac[r] - 1.0)
            for g in range(n_grp):
                f_exit = 1.0 + wfac[t, 0] * (fac[r, g, 0] - 1.0)
                deaths = 0.0
                exits = 0.0
                migrants = 0.0
                for s in range(n_sex):
                    qv = q_b[s]
                    ev = ex_b[g, s]
                    mgv = m_b[s]
                    xv = xbuf[g, s]
                    cv = cur[g, s]
                    if noise:
                        for a in range(n_age):
                            n = cv[a]
                            d = min(n, float(np.random.poisson(n * qv[a])))
                            ex = min(n - d, float(np.random.poisson((n - d) * min(1.0, ev[a] * f_exit))))
                            stay = n - d - ex
                            mig = stay * mgv[a] * f_mig
                            mig = float(np.random.poisson(mig)) if mig >= 0.0 else -min(
                                stay, float(np.random.poisson(-mig)))
                            xv[a] = stay + mig
                            deaths += d
                            exits += ex
                            migrants += mig
                    else:
                        for a in range(n_age):
                            n = cv[a]
                            d = n * qv[a]
                            ex = (n - d) * min(1.0, ev[a] * f_exit)
                            stay = n - d - ex
                            mig = stay * mgv[a] * f_mig
                            xv[a] = stay + mig
                            deaths += d
                            exits += ex
                            migrants += mig
                    for a in range(n_age):
                        orate[g, s, a] = 0.0
                        inflow[g, s, a] = 0.0
                flows_out[t, r, g, 0] = deaths
                flows_out[t, r, g, 1] = exits
                flows_out[t, r, g, 2] = migrants
                flows_out[t, r, g, 3] = 0.0
                flows_out[t, r, g, 4] = 0.0
            # 2. transitions between groups at the same sex and age; where the (capped) rates out
            # of a cell sum to more than 1, they are scaled to sum to 1, so nobody leaves twice
            f_tr_w = wtr[t]
            if not noise:
                for k in range(n_tr):
                    f_tr = 1.0 + f_tr_w * (tfac[r, k] - 1.0)
                    for s in range(n_sex):
                        tv = tr_b[k, s]
                        os_ = orate[trans_src[k], s]
                        for a in range(n_age):
                            os_[a] += min(1.0, tv[a] * f_tr)
            for k in range(n_tr):
                src = trans_src[k]
                dst = trans_dst[k]
                f_tr = 1.0 + f_tr_w * (tfac[r, k] - 1.0)
                total = 0.0
                for s in range(n_sex):
                    tv = tr_b[k, s]
                    xs = xbuf[src, s]
                    os_ = orate[src, s]
                    ind = inflow[dst, s]
                    if noise:  # draws in turn, each at most what is left of the cell
                        for a in range(n_age):
                            left = xs[a] * max(0.0, 1.0 - os_[a])
                            mv = min(left, float(np.random.poisson(xs[a] * min(1.0, tv[a] * f_tr))))
                            os_[a] += mv / xs[a] if xs[a] > 0.0 else 0.0
                            ind[a] += mv
                            total += mv
                    else:
                        for a in range(n_age):
                            mv = xs[a] * min(1.0, tv[a] * f_tr) / max(1.0, os_[a])
                            ind[a] += mv
                            total += mv
                flows_out[t, r, src, 3] += total
                flows_out[t, r, dst, 4] += total
            # 3. one year older, plus entrants at their age on the next 1 January
            for g in range(n_grp):
                aged_out = 0.0
                grads = 0.0
                imms = 0.0
                recs = 0.0
                gr_n = gr_b[g] * (1.0 + wfac[t, 5] * (fac[r, g, 5] - 1.0))
                im_n = im_b[g] * (1.0 + wfac[t, 6] * (fac[r, g, 6] - 1.0))
                for s in range(n_sex):
                    gdv = graduate_dist[g, s]
                    idist = immigrant_dist[g, s]
                    rv = rc_b[g, s]
                    xv = xbuf[g, s]
                    ov = orate[g, s]
                    iv = inflow[g, s]
                    nv = nxt[g, s]
                    # stayers of age a-1 are now age a; never below zero, even when rates out sum to one
                    nv[0] = 0.0
                    for a in range(1, n_age):
                        nv[a] = xv[a - 1] * max(0.0, 1.0 - ov[a - 1]) + iv[a - 1]
                    aged_out += xv[n_age - 1] * max(0.0, 1.0 - ov[n_age - 1]) + iv[n_age - 1]
                    if noise:
                        for a in range(n_age):
                            gr = float(np.random.poisson(gr_n * gdv[a]))
                            im = float(np.random.poisson(im_n * idist[a]))
                            rc = float(np.random.poisson(rv[a]))
                            nv[a] += gr + im + rc
                            grads += gr
                            imms += im
                            recs += rc
                    else:
                        for a in range(n_age):
                            gr = gr_n * gdv[a]
                            im = im_n * idist[a]
                            rc = rv[a]
                            nv[a] += gr + im + rc
                            grads += gr
                            imms += im
                            recs += rc
                flows_out[t, r, g, 5] = grads
                flows_out[t, r, g, 6] = imms
                flows_out[t, r, g, 7] = aged_out
                flows_out[t, r, g, 8] = recs
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
    flows_out: [T, R, G, 9] (``SUPPLY_FLOWS``); totals_out: [T+1, R, G, 4] (``SUPPLY_TOTALS``).
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
#: Columns of the nation/county outputs.
ENSEMBLE_VARIABLES = ("supply_fte", "demand_fte", "gap")
#: Draws projected side by side, one per lane of the innermost loops (a multiple of the
#: SIMD width, so every lane runs the same vector instructions: a draw's result does not
#: depend on its neighbours or on where a chunk starts).
LANES = 32


@njit(cache=True, nogil=True, fastmath=True)
def _fte_pass(cur, pa_b, sh_b, fe_b, f, vary, acc):
    """``acc[w]``: FTE of one group's stock ``cur[s, a, w]`` before sick leave and average position.

    ``f[j, w]``: this year's factors of lane w; ``vary``: participation or share in health
    care differ between draws (else one FTE per person serves every lane).
    Separate small functions keep each loop nest simple enough for LLVM to vectorise.
    """
    n_sex, n_age, nw = cur.shape
    for w in range(nw):
        acc[w] = 0.0
    if vary:
        for s in range(n_sex):
            for a in range(n_age):
                pa = pa_b[s, a]
                sh = sh_b[s, a]
                fe = fe_b[s, a]
                for w in range(nw):
                    acc[w] += cur[s, a, w] * min(1.0, pa * f[2, w]) * min(1.0, sh * f[3, w]) * fe
    else:
        for s in range(n_sex):
            for a in range(n_age):
                per = min(1.0, pa_b[s, a]) * min(1.0, sh_b[s, a]) * fe_b[s, a]
                for w in range(nw):
                    acc[w] += cur[s, a, w] * per


@njit(cache=True, nogil=True, fastmath=True)
def _stay_pass(cur, q_b, ex_b, m_b, f, fm, vary, xbuf):
    """``xbuf[s, a, w]``: one group's stayers after deaths, exits and net migration.

    ``fm[w]``: factor on net migration; ``vary``: exit rates or net migration differ between
    draws (else one staying share serves every lane).
    """
    n_sex, n_age, nw = cur.shape
    if vary:
        for s in range(n_sex):
            for a in range(n_age):
                q = q_b[s, a]
                ev = ex_b[s, a]
                mg = m_b[s, a]
                for w in range(nw):
                    n = cur[s, a, w]
                    d = n * q
                    ex = (n - d) * min(1.0, ev * f[0, w])
                    stay = n - d - ex
                    xbuf[s, a, w] = stay + stay * mg * fm[w]
    else:
        for s in range(n_sex):
            for a in range(n_age):
                keep = (1.0 - q_b[s, a]) * (1.0 - min(1.0, ex_b[s, a])) * (1.0 + m_b[s, a])
                for w in range(nw):
                    xbuf[s, a, w] = cur[s, a, w] * keep


@njit(cache=True, nogil=True, fastmath=True)
def _supply_block(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                  graduates, graduate_dist, immigrants, immigrant_dist,
                  participation, share_in_health_care, avg_fte, sick_leave, recruits,
                  fac, wfac, tfac, wtr, mfac, wmig, varies, mig_varies, d0, nd, regions, fte_out):
    """Supply FTE of the draws ``d0 .. d0+nd-1`` side by side: ``fte_out[t, r, g, w]`` for ``regions``.

    ``varies[g, j]``: factor j of group g differs from 1 in some draw of the run, and
    ``mig_varies`` the net migration factor ``mfac[d, r]`` (phased in by ``wmig[t]``): properties of
    the scenario, never of the block, so a draw's arithmetic does not depend on its neighbours.

    The equations of :func:`_supply_run` (without noise and without flows), with the state
    ``[group, sex, age, lane]`` so the innermost loops run over the lanes (draws) and every
    input is read once for all of them. ``fte_out.shape[3]`` lanes (``LANES``; lanes from
    ``nd`` on are padding with factor 1). The lane count is a run-time value on purpose: a
    loop of constant length is unrolled before numba's loop vectoriser can see it.
    """
    n_steps = fte_out.shape[0] - 1
    nw = fte_out.shape[3]
    n_grp, n_sex, n_age = stock0.shape[1:]
    n_tr = trans_src.shape[0]
    n_fac = wfac.shape[1]
    has_out = np.zeros(n_grp, dtype=np.bool_)
    has_in = np.zeros(n_grp, dtype=np.bool_)
    for k in range(n_tr):
        has_out[trans_src[k]] = True
        has_in[trans_dst[k]] = True
    cur = np.empty((n_grp, n_sex, n_age, nw))
    nxt = np.empty((n_grp, n_sex, n_age, nw))
    xbuf = np.empty((n_grp, n_sex, n_age, nw))  # stayers after deaths, exits and migration
    orate = np.zeros((n_grp, n_sex, n_age, nw))  # sum of transition rates out of each cell
    inflow = np.zeros((n_grp, n_sex, n_age, nw))  # persons moved into each cell by transitions
    f = np.empty((n_grp, n_fac, nw))  # this year's factor of each draw on each parameter
    fdelta = np.empty((n_grp, n_fac, nw))  # factor - 1 of each draw (0 in padding lanes)
    tdelta = np.empty((n_tr, nw))
    ftr = np.empty((n_tr, nw))
    mdelta = np.empty(nw)
    fm = np.empty(nw)
    acc = np.empty(nw)
    for ri in range(regions.shape[0]):
        r = regions[ri]
        for g in range(n_grp):
            for s in range(n_sex):
                for a in range(n_age):
                    v = stock0[r, g, s, a]
                    for w in range(nw):
                        cur[g, s, a, w] = v
        for g in range(n_grp):
            for j in range(n_fac):
                for w in range(nw):
                    fdelta[g, j, w] = fac[d0 + w, r, g, j] - 1.0 if w < nd else 0.0
        for k in range(n_tr):
            for w in range(nw):
                tdelta[k, w] = tfac[d0 + w, r, k] - 1.0 if w < nd else 0.0
        for w in range(nw):
            mdelta[w] = mfac[d0 + w, r] - 1.0 if w < nd else 0.0
        for t in range(n_steps + 1):
            for g in range(n_grp):
                for j in range(n_fac):
                    wt = wfac[t, j]
                    for w in range(nw):
                        f[g, j, w] = 1.0 + wt * fdelta[g, j, w]
            # totals of the stock on 1 January of year t (FTE only)
            pa_b = participation[_at(participation, t), _at(participation, r, 1)]
            sh_b = share_in_health_care[_at(share_in_health_care, t), _at(share_in_health_care, r, 1)]
            fe_b = avg_fte[_at(avg_fte, t), _at(avg_fte, r, 1)]
            sk_b = sick_leave[_at(sick_leave, t), _at(sick_leave, r, 1)]
            for g in range(n_grp):
                _fte_pass(cur[g], pa_b[g], sh_b[g], fe_b[g], f[g], varies[g, 2] or varies[g, 3], acc)
                sk = sk_b[g]
                for w in range(nw):
                    fte_out[t, r, g, w] = acc[w] * f[g, 1, w] * (1.0 - min(1.0, sk * f[g, 4, w]))
            if t == n_steps:
                break
            q_b = mortality[_at(mortality, t), _at(mortality, r, 1)]
            m_b = net_migration[_at(net_migration, t), _at(net_migration, r, 1)]
            ex_b = exit_rate[_at(exit_rate, t), _at(exit_rate, r, 1)]
            tr_b = trans_rate[_at(trans_rate, t), _at(trans_rate, r, 1)]
            gr_b = graduates[_at(graduates, t), _at(graduates, r, 1)]
            im_b = immigrants[_at(immigrants, t), _at(immigrants, r, 1)]
            rc_b = recruits[_at(recruits, t), _at(recruits, r, 1)]
            # 1. deaths, exits and net migration
            for w in range(nw):
                fm[w] = 1.0 + wmig[t] * mdelta[w]
            for g in range(n_grp):
                _stay_pass(cur[g], q_b, ex_b[g], m_b, f[g], fm, varies[g, 0] or mig_varies, xbuf[g])
            # 2. transitions between groups at the same sex and age
            for k in range(n_tr):
                wt = wtr[t]
                for w in range(nw):
                    ftr[k, w] = 1.0 + wt * tdelta[k, w]
            for g in range(n_grp):
                if has_out[g]:
                    orate[g] = 0.0
                if has_in[g]:
                    inflow[g] = 0.0
            for k in range(n_tr):  # rates out of a cell summing to more than 1 are scaled to 1
                src = trans_src[k]
                for s in range(n_sex):
                    for a in range(n_age):
                        tv = tr_b[k, s, a]
                        for w in range(nw):
                            orate[src, s, a, w] += min(1.0, tv * ftr[k, w])
            for k in range(n_tr):
                src = trans_src[k]
                dst = trans_dst[k]
                for s in range(n_sex):
                    for a in range(n_age):
                        tv = tr_b[k, s, a]
                        for w in range(nw):
                            inflow[dst, s, a, w] += (xbuf[src, s, a, w] * min(1.0, tv * ftr[k, w])
                                                     / max(1.0, orate[src, s, a, w]))
            # 3. one year older, plus entrants at their age on the next 1 January
            for g in range(n_grp):
                gr = gr_b[g]
                im = im_b[g]
                ho = has_out[g]
                hi = has_in[g]
                for s in range(n_sex):
                    gd = graduate_dist[g, s, 0] * gr
                    idd = immigrant_dist[g, s, 0] * im
                    rc = rc_b[g, s, 0]
                    for w in range(nw):
                        nxt[g, s, 0, w] = gd * f[g, 5, w] + idd * f[g, 6, w] + rc
                    for a in range(1, n_age):
                        gd = graduate_dist[g, s, a] * gr
                        idd = immigrant_dist[g, s, a] * im
                        rc = rc_b[g, s, a]
                        if ho and hi:
                            for w in range(nw):
                                nxt[g, s, a, w] = (xbuf[g, s, a - 1, w] * max(0.0, 1.0 - orate[g, s, a - 1, w])
                                                   + inflow[g, s, a - 1, w] + gd * f[g, 5, w] + idd * f[g, 6, w] + rc)
                        elif ho:
                            for w in range(nw):
                                nxt[g, s, a, w] = (xbuf[g, s, a - 1, w] * max(0.0, 1.0 - orate[g, s, a - 1, w])
                                                   + gd * f[g, 5, w] + idd * f[g, 6, w] + rc)
                        elif hi:
                            for w in range(nw):
                                nxt[g, s, a, w] = (xbuf[g, s, a - 1, w] + inflow[g, s, a - 1, w]
                                                   + gd * f[g, 5, w] + idd * f[g, 6, w] + rc)
                        else:
                            for w in range(nw):
                                nxt[g, s, a, w] = xbuf[g, s, a - 1, w] + gd * f[g, 5, w] + idd * f[g, 6, w] + rc
            cur, nxt = nxt, cur


@njit(cache=True, nogil=True, fastmath=True)
def _users_lanes(r, pop0, fertility, mortality, net_migration, male_share, user_rate, mfac, wmig, d0, nd,
                 users_out):
    """Users ``users_out[t, k, w]`` of region r with its net migration scaled for draw ``d0 + w``.

    The cohort-component equations of :func:`helsemod_py.core.population.project_population_kernel`
    with the population held as ``[sex, age, lane]``, then users as in the demand kernel
    (``sum_{s,a} pop * user_rate``). Inputs are compact (see :func:`compact`); lanes from ``nd``
    on are padding with factor 1.
    """
    n_years, n_srv, nw = users_out.shape
    n_sex, n_age = pop0.shape[1:]
    last = n_age - 1
    pop = np.empty((n_sex, n_age, nw))
    nxt = np.empty((n_sex, n_age, nw))
    births = np.empty(nw)
    mdelta = np.empty(nw)
    fm = np.empty(nw)
    for w in range(nw):
        mdelta[w] = mfac[d0 + w, r] - 1.0 if w < nd else 0.0
    for s in range(n_sex):
        for a in range(n_age):
            v = pop0[r, s, a]
            for w in range(nw):
                pop[s, a, w] = v
    for t in range(n_years):
        ur = user_rate[_at(user_rate, t), _at(user_rate, r, 1)]
        for k in range(n_srv):
            for w in range(nw):
                users_out[t, k, w] = 0.0
            for s in range(n_sex):
                for a in range(n_age):
                    c = ur[k, s, a]
                    if c != 0.0:
                        for w in range(nw):
                            users_out[t, k, w] += pop[s, a, w] * c
        if t == n_years - 1:
            break
        fe = fertility[_at(fertility, t), _at(fertility, r, 1)]
        q_b = mortality[_at(mortality, t), _at(mortality, r, 1)]
        m_b = net_migration[_at(net_migration, t), _at(net_migration, r, 1)]
        for w in range(nw):
            births[w] = 0.0
            fm[w] = 1.0 + wmig[t] * mdelta[w]
        for a in range(n_age):
            fa = fe[a]
            for w in range(nw):
                births[w] += fa * pop[1, a, w]
        nxt[:] = 0.0
        for s in range(n_sex):
            for a in range(n_age):
                qa = q_b[s, a]
                ma = m_b[s, a]
                dst = a + 1 if a < last else last
                for w in range(nw):
                    surv = pop[s, a, w] - pop[s, a, w] * qa
                    nxt[s, dst, w] += surv + surv * ma * fm[w]
            share = male_share if s == 0 else 1.0 - male_share
            q0 = q_b[s, 0]
            for w in range(nw):
                born = births[w] * share
                nxt[s, 0, w] += born - born * 0.5 * q0
        pop, nxt = nxt, pop


@njit(cache=True, nogil=True, fastmath=True)
def _aggregate_block(fte, demand0, dfac, wdem, umult, pop_varies, d0, nd, county_index, mun_years, muni_share,
                     muni_service, out_nation, out_county, out_mun):
    """Demand of the block's draws and the sums of supply, demand and gap to county and nation.

    fte: supply FTE [T+1, R, G, lanes]; demand0: FTE before draw factors [T+1, R, K, G].
    ``out_mun`` holds the municipal gap: supply times ``muni_share`` [T+1 or 1, R, G] (the share of
    the pool in municipal sectors) less the demand of the services with ``muni_service`` [K].
    Demand of draw d: ``demand0 * (1 + wdem[t] (dfac[d, r, k, 0] - 1)) * dfac[d, r, k, 1] ** t``,
    times ``umult[t, r, k, lane]`` (the draw's users over the deterministic users) if ``pop_varies``.
    """
    n_years, n_reg, n_grp, nw = fte.shape
    n_srv = demand0.shape[2]
    n_cty = out_county.shape[2]
    cty = np.zeros((n_years, n_cty, n_grp, 3, nw))
    dem = np.empty((n_grp, nw))
    dem_m = np.empty((n_grp, nw))
    fd = np.empty((n_srv, nw))
    f_use = np.empty((n_srv, nw))
    f_growth = np.empty((n_srv, nw))
    growth_t = np.empty((n_srv, nw))  # f_growth ** t
    for r in range(n_reg):
        c = county_index[r]
        for k in range(n_srv):
            for w in range(nw):
                d = d0 + min(w, nd - 1)  # padding lanes repeat the last draw
                f_use[k, w] = dfac[d, r, k, 0] - 1.0
                f_growth[k, w] = dfac[d, r, k, 1]
                growth_t[k, w] = 1.0
        for t in range(n_years):
            for k in range(n_srv):
                for w in range(nw):
                    fd[k, w] = (1.0 + wdem[t] * f_use[k, w]) * growth_t[k, w]
                    growth_t[k, w] *= f_growth[k, w]
                if pop_varies:
                    for w in range(nw):
                        fd[k, w] *= umult[t, r, k, w]
            dem[:] = 0.0
            dem_m[:] = 0.0
            for k in range(n_srv):
                for g in range(n_grp):
                    base = demand0[t, r, k, g]
                    if base != 0.0:
                        for w in range(nw):
                            dem[g, w] += base * fd[k, w]
                        if muni_service[k]:
                            for w in range(nw):
                                dem_m[g, w] += base * fd[k, w]
            for g in range(n_grp):
                for w in range(nw):
                    sup = fte[t, r, g, w]
                    cty[t, c, g, 0, w] += sup
                    cty[t, c, g, 1, w] += dem[g, w]
                    cty[t, c, g, 2, w] += sup - dem[g, w]
            for y in range(mun_years.shape[0]):
                if mun_years[y] == t:
                    ms = muni_share[_at(muni_share, t), r]
                    for g in range(n_grp):
                        for w in range(nd):
                            out_mun[d0 + w, y, r, g] = fte[t, r, g, w] * ms[g] - dem_m[g, w]
    for w in range(nd):
        d = d0 + w
        for t in range(n_years):
            for g in range(n_grp):
                for v in range(3):
                    total = 0.0
                    for c in range(n_cty):
                        total += cty[t, c, g, v, w]
                        out_county[d, t, c, g, v] = cty[t, c, g, v, w]
                    out_nation[d, t, g, v] = total


@njit(parallel=True, cache=True)
def ensemble_kernel(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                    graduates, graduate_dist, immigrants, immigrant_dist,
                    participation, share_in_health_care, avg_fte, sick_leave, recruits,
                    fac, wfac, tfac, wtr, mfac, wmig, varies, mig_varies, demand0, dfac, wdem,
                    population, male_share, pop_varies,
                    county_index, noisy, seed, draw_ids, mun_years, muni_share, muni_service, out_nation, out_county,
                    out_mun):
    """Fill ``out_nation[d, t, g, v]``, ``out_county[d, t, c, g, v]`` and ``out_mun[d, y, r, g]``.

    Draws run in blocks of ``LANES`` side by side (:func:`_supply_block`), blocks in parallel.
    fac: [D, R, G, len(FACTORS)]; wfac: [T+1, len(FACTORS)]; tfac: [D, R, K]; wtr: [T+1];
    mfac: [D, R] factors on net migration, phased in by wmig: [T+1];
    varies: [G, len(FACTORS)] bool, factors that differ from 1 in some draw; mig_varies: bool;
    demand0: FTE demand before draw factors [T+1, R, S_k, G]; dfac: [D, R, S_k, 2];
    population: (pop0 [R, S, A], fertility [T, R, A], mortality, net_migration [T, R, S, A],
    user_rate [T+1, R, S_k, S, A], users [T+1, R, S_k] of the deterministic projection), all ages,
    compact; male_share: /1 of births; pop_varies: project each draw's population and users
    (net migration drawn and demand driven by the projected population);
    wdem: [T+1]; county_index: [R] int; noisy: [R] bool; seed: int; draw_ids: [D] global
    draw numbers (the noise of draw d is seeded with ``seed + draw_ids[d]``; noisy
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
            flows = np.empty((n_years - 1, n_reg, n_grp, 9))
            totals = np.empty((n_years, n_reg, n_grp, 4))
            for w in range(nd):
                np.random.seed(seed + draw_ids[d0 + w])
                _supply_run(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                            graduates, graduate_dist, immigrants, immigrant_dist,
                            participation, share_in_health_care, avg_fte, sick_leave, recruits,
                            fac[d0 + w], wfac, tfac[d0 + w], wtr, mfac[d0 + w], wmig, noisy, loud, False, stock,
                            flows, totals)
                for t in range(n_years):
                    for li in range(n_loud):
                        for g in range(n_grp):
                            fte[t, loud[li], g, w] = totals[t, loud[li], g, 3]
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
