"""The coalition lane kernel of exact Shapley attribution: a scenario's measures switched on in
every subset (coalition), each subset's supply projected side by side, one per lane of the
innermost loops (:func:`coalition_block`).

A measure changes one input field; a coalition's field is one of a few *states* (the field after
the coalition's measures on it). The kernel takes each field as a stack of its states and, per
lane, the state it reads. Measures on the stock's dynamics (exit and transition rates,
graduates, immigrants, recruits) need a lane each; measures on the FTE of a person
(participation, share in health care, avg_fte, sick leave) never change the stock, so one lane's
stock serves every *variant* of them: the output has both axes, ``[.., variant, lane]``.

The step functions are those of :mod:`.supply_equations`, as in
:func:`~.supply._supply_run` and :func:`~.supply_lanes._supply_block` (factors of 1, no noise).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .supply_equations import ALL_ENTRANTS, STAYERS, aged, capped, cell_fte, employed, entrants, headcount, leavers, \
    moved, net_fte
from .supply_layout import _at


@njit(cache=True, nogil=True, fastmath=True)
def coalition_block(stock0, mortality, net_migration, exit_st, ix_ex, trans_src, trans_dst, trans_st, ix_tr,
                    grad_st, ix_gr, graduate_dist, imm_st, ix_im, immigrant_dist, rec_st, ix_rc,
                    part_st, share_st, fte_st, sick_st, person_of, person_states, sick_of, regions, fte_out):
    """Supply FTE ``fte_out[t, i, g, v, w]`` of ``regions[i]`` for lane ``w`` and FTE variant ``v``.

    Fields with a leading state axis (``*_st``; then the compact year and region axes of the
    supply kernel's input, see :func:`~.supply.compact`): exit rates ``[K, T, R, G, S, A]``,
    transition rates ``[K, T, R, Ktr, S, A]``, graduates and immigrants (persons per year)
    ``[K, T, R, G]``, recruits ``[K, T, R, G, S, A]``; ``ix_*[w]``: the state lane ``w`` reads.
    Participation, share in health care, avg_fte ``[K, T+1, R, G, S, A]`` and sick leave
    ``[K, T+1, R, G]``. Indices ``ix_*`` are unsigned (no wraparound check in the lane loops).
    Variant ``v`` of group ``g`` reads the FTE per person
    ``person_states[g, person_of[g, v]]`` (the three states; variants of the same numbers share
    one) and sick leave ``sick_of[v]``. Units as in :mod:`.supply_equations`.
    """
    n_steps = fte_out.shape[0] - 1
    n_var, nw = fte_out.shape[3], fte_out.shape[4]
    n_grp, n_sex, n_age = stock0.shape[1:]
    n_tr = trans_src.shape[0]
    n_per = person_states.shape[1]
    cur = np.empty((n_grp, n_sex, n_age, nw))
    nxt = np.empty((n_grp, n_sex, n_age, nw))
    xbuf = np.empty((n_grp, n_sex, n_age, nw))  # stayers after deaths, exits and migration
    orate = np.zeros((n_grp, n_sex, n_age, nw))  # sum of capped transition rates out of each cell
    inflow = np.zeros((n_grp, n_sex, n_age, nw))  # persons moved into each cell by transitions
    acc = np.empty((n_per, nw))
    n_ex, n_trs, n_rc = exit_st.shape[0], trans_st.shape[0], rec_st.shape[0]
    tab = np.empty(max(n_ex, n_trs, n_rc))
    grads = np.empty(nw)
    imms = np.empty(nw)
    has_out = np.zeros(n_grp, dtype=np.bool_)
    has_in = np.zeros(n_grp, dtype=np.bool_)
    for k in range(n_tr):
        has_out[trans_src[k]] = True
        has_in[trans_dst[k]] = True
    for i in range(regions.shape[0]):
        r = regions[i]
        for g in range(n_grp):
            for s in range(n_sex):
                for a in range(n_age):
                    v0 = stock0[r, g, s, a]
                    for w in range(nw):
                        cur[g, s, a, w] = v0
        for t in range(n_steps + 1):
            # FTE of the stock on 1 January of year t, per lane and variant
            for g in range(n_grp):
                for u in range(n_per):
                    if u > 0 and person_states[g, u, 0] < 0:
                        break
                    pa_b = part_st[person_states[g, u, 0], _at(part_st, t, 1), _at(part_st, r, 2), g]
                    sh_b = share_st[person_states[g, u, 1], _at(share_st, t, 1), _at(share_st, r, 2), g]
                    fe_b = fte_st[person_states[g, u, 2], _at(fte_st, t, 1), _at(fte_st, r, 2), g]
                    for w in range(nw):
                        acc[u, w] = 0.0
                    for s in range(n_sex):
                        for a in range(n_age):
                            per = cell_fte(headcount(employed(1.0, pa_b[s, a], 1.0), sh_b[s, a], 1.0), fe_b[s, a])
                            for w in range(nw):
                                acc[u, w] += cur[g, s, a, w] * per
                for v in range(n_var):
                    u = person_of[g, v]
                    sk = sick_st[sick_of[v], _at(sick_st, t, 1), _at(sick_st, r, 2), g]
                    for w in range(nw):
                        fte_out[t, i, g, v, w] = net_fte(acc[u, w], 1.0, sk, 1.0)
            if t == n_steps:
                break
            q_b = mortality[_at(mortality, t), _at(mortality, r, 1)]
            m_b = net_migration[_at(net_migration, t), _at(net_migration, r, 1)]
            te, re = _at(exit_st, t, 1), _at(exit_st, r, 2)
            # 1. deaths, exits and net migration
            for g in range(n_grp):
                for s in range(n_sex):
                    for a in range(n_age):
                        q = q_b[s, a]
                        mg = m_b[s, a]
                        for k in range(n_ex):
                            tab[k] = exit_st[k, te, re, g, s, a]
                        for w in range(nw):
                            xbuf[g, s, a, w] = leavers(cur[g, s, a, w], q, tab[ix_ex[w]], 1.0, mg, 1.0)[STAYERS]
            # 2. transitions between groups at the same sex and age (rates out summing to more than 1 scaled to 1)
            te, re = _at(trans_st, t, 1), _at(trans_st, r, 2)
            for g in range(n_grp):
                if has_out[g]:
                    orate[g] = 0.0
                if has_in[g]:
                    inflow[g] = 0.0
            for k in range(n_tr):
                src = trans_src[k]
                for s in range(n_sex):
                    for a in range(n_age):
                        for kk in range(n_trs):
                            tab[kk] = capped(trans_st[kk, te, re, k, s, a], 1.0)
                        for w in range(nw):
                            orate[src, s, a, w] += tab[ix_tr[w]]
            for k in range(n_tr):
                src = trans_src[k]
                dst = trans_dst[k]
                for s in range(n_sex):
                    for a in range(n_age):
                        for kk in range(n_trs):
                            tab[kk] = capped(trans_st[kk, te, re, k, s, a], 1.0)
                        for w in range(nw):
                            inflow[dst, s, a, w] += moved(xbuf[src, s, a, w], tab[ix_tr[w]], orate[src, s, a, w])
            # 3. one year older, plus entrants at their age on the next 1 January (a group without
            # transitions keeps orate and inflow at 0)
            tg, rg = _at(grad_st, t, 1), _at(grad_st, r, 2)
            ti, ri = _at(imm_st, t, 1), _at(imm_st, r, 2)
            tc, rc = _at(rec_st, t, 1), _at(rec_st, r, 2)
            for g in range(n_grp):
                for w in range(nw):
                    grads[w] = grad_st[ix_gr[w], tg, rg, g]
                    imms[w] = imm_st[ix_im[w], ti, ri, g]
                for s in range(n_sex):
                    gd = graduate_dist[g, s, 0]
                    idd = immigrant_dist[g, s, 0]
                    for k in range(n_rc):
                        tab[k] = rec_st[k, tc, rc, g, s, 0]
                    for w in range(nw):
                        nxt[g, s, 0, w] = entrants(grads[w], gd, imms[w], idd, tab[ix_rc[w]])[ALL_ENTRANTS]
                    for a in range(1, n_age):
                        gd = graduate_dist[g, s, a]
                        idd = immigrant_dist[g, s, a]
                        for k in range(n_rc):
                            tab[k] = rec_st[k, tc, rc, g, s, a]
                        for w in range(nw):
                            nxt[g, s, a, w] = (aged(xbuf[g, s, a - 1, w], orate[g, s, a - 1, w], inflow[g, s, a - 1, w])
                                               + entrants(grads[w], gd, imms[w], idd, tab[ix_rc[w]])[ALL_ENTRANTS])
            cur, nxt = nxt, cur


def shapley_weights(n: int) -> np.ndarray:
    """Shapley coefficients ``[2**n, n]`` of ``n`` players: row ``c`` is the coalition whose
    members are the bits of ``c`` (so :func:`coalition_block`'s ``[.., variant, lane]`` flattened,
    lane bits below variant bits). A player's value is the coalitions' values times its column:
    ``k! (n-k-1)! / n!`` where the coalition of ``k + 1`` holds it, minus that where the coalition
    of ``k`` does not."""
    members = (np.arange(1 << n)[:, None] >> np.arange(n)[None, :]) & 1
    size = members.sum(axis=1)[:, None]
    weight = np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)] + [0.0])
    return np.where(members == 1, weight[np.maximum(size - 1, 0)], -weight[size])
