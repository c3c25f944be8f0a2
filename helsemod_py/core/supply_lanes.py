"""The lane kernels of the Monte Carlo ensemble: ``LANES`` draws projected side by side, one per
lane of the innermost loops (:func:`_supply_block`, :func:`_users_lanes`, :func:`_aggregate_block`),
called by :func:`helsemod_py.core.supply.ensemble_kernel`."""

from __future__ import annotations

import numpy as np
from numba import njit

from .population_equations import birth_share, net_migrants, newborns, survivors
from .supply_equations import (ALL_ENTRANTS, STAYERS, aged, capped, cell_fte, employed, entrants, headcount, leavers,
                               moved, net_fte, phase_in)
from .supply_layout import (D_GROWTH, D_USE, E_DEMAND, E_GAP, E_SUPPLY, ENSEMBLE_VARIABLES, F_EXIT, F_FTE, F_GRAD,
                            F_IMM, F_PART, F_SHARE, F_SICK, FEMALE, MALE, _at)

# --- Monte Carlo ensemble (see helsemod_py.core.ensemble) --------------------------------
#: Draws projected side by side, one per lane of the innermost loops (a multiple of the
#: SIMD width, so every lane runs the same vector instructions: a draw's result does not
#: depend on its neighbours or on where a chunk starts).
LANES = 32


@njit(cache=True, nogil=True, fastmath=True)
def _fte_pass(cur, pa_b, sh_b, fe_b, f, vary, acc):
    """``acc[w]``: FTE of one group's stock ``cur[s, a, w]`` (persons) before sick leave and the
    factor on avg_fte (:func:`~.supply_equations.cell_fte` summed over sex and age).

    ``f[j, w]``: this year's factors of lane w; ``vary``: participation or share in health
    care differ between draws (else the FTE of one person serves every lane).
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
                    acc[w] += cell_fte(headcount(employed(cur[s, a, w], pa, f[F_PART, w]), sh, f[F_SHARE, w]), fe)
    else:
        for s in range(n_sex):
            for a in range(n_age):
                per = cell_fte(headcount(employed(1.0, pa_b[s, a], 1.0), sh_b[s, a], 1.0), fe_b[s, a])
                for w in range(nw):
                    acc[w] += cur[s, a, w] * per


@njit(cache=True, nogil=True, fastmath=True)
def _stay_pass(cur, q_b, ex_b, m_b, f, fm, vary, xbuf):
    """``xbuf[s, a, w]``: one group's stayers (persons) after deaths, exits and net migration
    (:func:`~.supply_equations.leavers`).

    ``fm[w]``: factor on net migration; ``vary``: exit rates or net migration differ between
    draws (else the stayers of one person serve every lane: the equations are linear in it).
    """
    n_sex, n_age, nw = cur.shape
    if vary:
        for s in range(n_sex):
            for a in range(n_age):
                q = q_b[s, a]
                ev = ex_b[s, a]
                mg = m_b[s, a]
                for w in range(nw):
                    xbuf[s, a, w] = leavers(cur[s, a, w], q, ev, f[F_EXIT, w], mg, fm[w])[STAYERS]
    else:
        for s in range(n_sex):
            for a in range(n_age):
                keep = leavers(1.0, q_b[s, a], ex_b[s, a], 1.0, m_b[s, a], 1.0)[STAYERS]
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

    The step functions of :mod:`.supply_equations`, as in :func:`~.supply._supply_run` (without
    noise and without flows), with the state ``[group, sex, age, lane]`` so the innermost loops
    run over the lanes (draws) and every input is read once for all of them. ``fte_out.shape[3]``
    lanes (``LANES``; lanes from ``nd`` on are padding with factor 1). The lane count is a
    run-time value on purpose: a loop of constant length is unrolled before numba's loop
    vectoriser can see it.
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
    orate = np.zeros((n_grp, n_sex, n_age, nw))  # sum of capped transition rates out of each cell
    inflow = np.zeros((n_grp, n_sex, n_age, nw))  # persons moved into each cell by transitions
    f = np.empty((n_grp, n_fac, nw))  # this year's (phased-in) factor of each draw on each parameter
    fl = np.empty((n_grp, n_fac, nw))  # factor of each draw in full (1 in padding lanes)
    tl = np.empty((n_tr, nw))
    ftr = np.empty((n_tr, nw))
    ml = np.empty(nw)
    fm = np.empty(nw)
    acc = np.empty(nw)
    grads = np.empty(nw)  # a group's graduates and immigrants after their factors
    imms = np.empty(nw)
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
                    fl[g, j, w] = fac[d0 + w, r, g, j] if w < nd else 1.0
        for k in range(n_tr):
            for w in range(nw):
                tl[k, w] = tfac[d0 + w, r, k] if w < nd else 1.0
        for w in range(nw):
            ml[w] = mfac[d0 + w, r] if w < nd else 1.0
        for t in range(n_steps + 1):
            for g in range(n_grp):
                for j in range(n_fac):
                    wt = wfac[t, j]
                    for w in range(nw):
                        f[g, j, w] = phase_in(wt, fl[g, j, w])
            # totals of the stock on 1 January of year t (FTE only)
            pa_b = participation[_at(participation, t), _at(participation, r, 1)]
            sh_b = share_in_health_care[_at(share_in_health_care, t), _at(share_in_health_care, r, 1)]
            fe_b = avg_fte[_at(avg_fte, t), _at(avg_fte, r, 1)]
            sk_b = sick_leave[_at(sick_leave, t), _at(sick_leave, r, 1)]
            for g in range(n_grp):
                _fte_pass(cur[g], pa_b[g], sh_b[g], fe_b[g], f[g], varies[g, F_PART] or varies[g, F_SHARE], acc)
                sk = sk_b[g]
                for w in range(nw):
                    fte_out[t, r, g, w] = net_fte(acc[w], f[g, F_FTE, w], sk, f[g, F_SICK, w])
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
                fm[w] = phase_in(wmig[t], ml[w])
            for g in range(n_grp):
                _stay_pass(cur[g], q_b, ex_b[g], m_b, f[g], fm, varies[g, F_EXIT] or mig_varies, xbuf[g])
            # 2. transitions between groups at the same sex and age
            for k in range(n_tr):
                wt = wtr[t]
                for w in range(nw):
                    ftr[k, w] = phase_in(wt, tl[k, w])
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
                            orate[src, s, a, w] += capped(tv, ftr[k, w])
            for k in range(n_tr):
                src = trans_src[k]
                dst = trans_dst[k]
                for s in range(n_sex):
                    for a in range(n_age):
                        tv = tr_b[k, s, a]
                        for w in range(nw):
                            inflow[dst, s, a, w] += moved(xbuf[src, s, a, w], capped(tv, ftr[k, w]),
                                                          orate[src, s, a, w])
            # 3. one year older, plus entrants at their age on the next 1 January; groups without
            # transitions out or in skip them (a rate out of 0 and an inflow of 0)
            for g in range(n_grp):
                for w in range(nw):
                    grads[w] = gr_b[g] * f[g, F_GRAD, w]
                    imms[w] = im_b[g] * f[g, F_IMM, w]
                ho = has_out[g]
                hi = has_in[g]
                for s in range(n_sex):
                    gd = graduate_dist[g, s, 0]
                    idd = immigrant_dist[g, s, 0]
                    rc = rc_b[g, s, 0]
                    for w in range(nw):
                        nxt[g, s, 0, w] = entrants(grads[w], gd, imms[w], idd, rc)[ALL_ENTRANTS]
                    for a in range(1, n_age):
                        gd = graduate_dist[g, s, a]
                        idd = immigrant_dist[g, s, a]
                        rc = rc_b[g, s, a]
                        if ho and hi:
                            for w in range(nw):
                                nxt[g, s, a, w] = (aged(xbuf[g, s, a - 1, w], orate[g, s, a - 1, w],
                                                        inflow[g, s, a - 1, w])
                                                   + entrants(grads[w], gd, imms[w], idd, rc)[ALL_ENTRANTS])
                        elif ho:
                            for w in range(nw):
                                nxt[g, s, a, w] = (aged(xbuf[g, s, a - 1, w], orate[g, s, a - 1, w], 0.0)
                                                   + entrants(grads[w], gd, imms[w], idd, rc)[ALL_ENTRANTS])
                        elif hi:
                            for w in range(nw):
                                nxt[g, s, a, w] = (aged(xbuf[g, s, a - 1, w], 0.0, inflow[g, s, a - 1, w])
                                                   + entrants(grads[w], gd, imms[w], idd, rc)[ALL_ENTRANTS])
                        else:
                            for w in range(nw):
                                nxt[g, s, a, w] = (aged(xbuf[g, s, a - 1, w], 0.0, 0.0)
                                                   + entrants(grads[w], gd, imms[w], idd, rc)[ALL_ENTRANTS])
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
    ml = np.empty(nw)  # factor of each draw on net migration in full (1 in padding lanes)
    fm = np.empty(nw)
    for w in range(nw):
        ml[w] = mfac[d0 + w, r] if w < nd else 1.0
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
            fm[w] = phase_in(wmig[t], ml[w])
        for a in range(n_age):
            fa = fe[a]
            for w in range(nw):
                births[w] += fa * pop[FEMALE, a, w]
        nxt[:] = 0.0
        for s in range(n_sex):
            for a in range(n_age):
                qa = q_b[s, a]
                ma = m_b[s, a]
                dst = a + 1 if a < last else last
                for w in range(nw):
                    surv = survivors(pop[s, a, w], qa)
                    nxt[s, dst, w] += surv + net_migrants(surv, ma, fm[w])
            share = birth_share(male_share, s == MALE)
            q0 = q_b[s, 0]
            for w in range(nw):
                nxt[s, 0, w] += newborns(births[w] * share, q0)
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
    n_var = len(ENSEMBLE_VARIABLES)
    cty = np.zeros((n_years, n_cty, n_grp, n_var, nw))
    dem = np.empty((n_grp, nw))
    dem_m = np.empty((n_grp, nw))
    fd = np.empty((n_srv, nw))
    f_use = np.empty((n_srv, nw))  # factor on FTE per user in full
    f_growth = np.empty((n_srv, nw))
    growth_t = np.empty((n_srv, nw))  # f_growth ** t
    for r in range(n_reg):
        c = county_index[r]
        for k in range(n_srv):
            for w in range(nw):
                d = d0 + min(w, nd - 1)  # padding lanes repeat the last draw
                f_use[k, w] = dfac[d, r, k, D_USE]
                f_growth[k, w] = dfac[d, r, k, D_GROWTH]
                growth_t[k, w] = 1.0
        for t in range(n_years):
            for k in range(n_srv):
                for w in range(nw):
                    fd[k, w] = phase_in(wdem[t], f_use[k, w]) * growth_t[k, w]
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
                    cty[t, c, g, E_SUPPLY, w] += sup
                    cty[t, c, g, E_DEMAND, w] += dem[g, w]
                    cty[t, c, g, E_GAP, w] += sup - dem[g, w]
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
                for v in range(n_var):
                    total = 0.0
                    for c in range(n_cty):
                        total += cty[t, c, g, v, w]
                        out_county[d, t, c, g, v] = cty[t, c, g, v, w]
                    out_nation[d, t, g, v] = total
