"""Plain-numpy reference implementation of the kernels' equations.

Vectorised over regions, groups, sexes and ages with a loop over time only. The tests
check that the numba kernels agree with these functions; the benchmarks time both.
Signatures and return values match the wrappers in ``population``, ``supply`` and ``demand``.
"""

from __future__ import annotations

import numpy as np


def project_population(pop0, fertility, mortality, net_migration, male_share):
    """Reference of :func:`helsemod_py.core.population.project_population`."""
    pop0 = np.asarray(pop0, dtype=np.float64)
    n_steps = fertility.shape[0]
    pop = np.empty((n_steps + 1,) + pop0.shape)
    flows = np.empty((n_steps, pop0.shape[0], 3))
    pop[0] = pop0
    shares = np.array([male_share, 1.0 - male_share])
    for t in range(n_steps):
        p = pop[t]
        births = (fertility[t] * p[:, 1, :]).sum(axis=1)  # [R]
        deaths = p * mortality[t]
        surv = p - deaths
        mig = surv * net_migration[t]
        moved = surv + mig
        nxt = np.zeros_like(p)
        nxt[:, :, 1:] = moved[:, :, :-1]
        nxt[:, :, -1] += moved[:, :, -1]
        born = births[:, None] * shares[None, :]
        d0 = born * 0.5 * mortality[t][:, :, 0]
        nxt[:, :, 0] += born - d0
        pop[t + 1] = nxt
        flows[t, :, 0] = births
        flows[t, :, 1] = deaths.sum(axis=(1, 2)) + d0.sum(axis=1)
        flows[t, :, 2] = mig.sum(axis=(1, 2))
    return pop, flows


def supply_totals(stock, participation, share_in_health_care, avg_fte, sick_leave):
    """Persons, employed, headcount and FTE ``[T+1, R, G, 4]`` from a stock ``[T+1, R, G, S, A]``."""
    employed = stock * participation
    headcount = employed * share_in_health_care
    fte = (headcount * avg_fte).sum(axis=(3, 4)) * (1.0 - sick_leave)
    return np.stack([stock.sum(axis=(3, 4)), employed.sum(axis=(3, 4)), headcount.sum(axis=(3, 4)), fte],
                    axis=-1)


def project_supply(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                   graduates, graduate_dist, immigrants, immigrant_dist,
                   participation, share_in_health_care, avg_fte, sick_leave, keep_stock=True, recruits=None):
    """Reference of :func:`helsemod_py.core.supply.project_supply` (always keeps the stock)."""
    stock0 = np.asarray(stock0, dtype=np.float64)
    n_steps = exit_rate.shape[0]
    n_reg, n_grp, n_sex, n_age = stock0.shape
    stock = np.empty((n_steps + 1,) + stock0.shape)
    flows = np.zeros((n_steps, n_reg, n_grp, 9))
    if recruits is None:
        recruits = np.zeros((n_steps,) + stock0.shape)
    stock[0] = stock0
    for t in range(n_steps):
        n = stock[t]
        deaths = n * mortality[t][:, None]
        exits = (n - deaths) * exit_rate[t]
        stay = n - deaths - exits
        mig = stay * net_migration[t][:, None]
        x = stay + mig
        rate = np.minimum(1.0, trans_rate[t])  # [R, K, S, A]
        out_rate = np.zeros_like(x)
        np.add.at(out_rate, (slice(None), trans_src), rate)
        moved = x[:, trans_src] * rate / np.maximum(1.0, out_rate[:, trans_src])  # nobody leaves twice
        x = x * np.maximum(0.0, 1.0 - out_rate)
        np.add.at(x, (slice(None), trans_dst), moved)
        out_k = np.zeros((n_reg, n_grp))
        in_k = np.zeros((n_reg, n_grp))
        np.add.at(out_k, (slice(None), trans_src), moved.sum(axis=(2, 3)))
        np.add.at(in_k, (slice(None), trans_dst), moved.sum(axis=(2, 3)))
        nxt = np.zeros_like(n)
        nxt[..., 1:] = x[..., :-1]
        grads = graduates[t][:, :, None, None] * graduate_dist[None]
        imms = immigrants[t][:, :, None, None] * immigrant_dist[None]
        nxt += grads + imms + recruits[t]
        stock[t + 1] = nxt
        flows[t] = np.stack([deaths.sum(axis=(2, 3)), exits.sum(axis=(2, 3)), mig.sum(axis=(2, 3)), out_k, in_k,
                             grads.sum(axis=(2, 3)), imms.sum(axis=(2, 3)), x[..., -1].sum(axis=2),
                             recruits[t].sum(axis=(2, 3))], axis=-1)
    totals = supply_totals(stock, participation, share_in_health_care, avg_fte, sick_leave)
    return stock, flows, totals


def project_demand(pop, user_rate, base_fte, intensity, mix):
    """Reference of :func:`helsemod_py.core.demand.project_demand`."""
    users = np.einsum("trsa,trksa->trk", pop, np.broadcast_to(user_rate, pop.shape[:2] + user_rate.shape[2:]))
    u0 = users[0]
    ratio = np.divide(users, u0, out=np.ones_like(users), where=u0 > 0)
    demand = base_fte[None] * (ratio * intensity)[..., None] * mix
    return users, demand


def mortality_path(q0, decline, n_steps, scale=1.0):
    """Reference of :func:`helsemod_py.core.trends.mortality_path`: year by year, each step's
    death probabilities are the previous step's times ``exp(−scale · decline)``."""
    q0 = np.asarray(q0, dtype=np.float64)
    step = np.exp(-scale * np.broadcast_to(np.asarray(decline, dtype=np.float64), q0.shape))
    out = np.empty((n_steps,) + q0.shape)
    level = q0.copy()
    for t in range(n_steps):
        out[t] = np.minimum(level, 1.0)
        level = level * step
    return out


def fertility_path(f0, rate, damping, n_steps, scale=1.0):
    """Reference of :func:`helsemod_py.core.trends.fertility_path`: the log change of each step is
    the previous step's times ``damping`` (the first is ``scale · rate``)."""
    f0 = np.asarray(f0, dtype=np.float64)
    rate = np.broadcast_to(np.asarray(rate, dtype=np.float64), f0.shape[:1])
    out = np.empty((n_steps,) + f0.shape)
    log_level = np.zeros(f0.shape[0])
    change = scale * rate
    for t in range(n_steps):
        out[t] = np.minimum(f0 * np.exp(log_level)[:, None], 0.5)
        log_level = log_level + change
        change = change * damping
    return out
