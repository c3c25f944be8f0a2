"""Monte Carlo ensemble kernel: many draws of supply, demand and gap in parallel (numba prange).

Each draw runs the supply projection of :func:`helsemod_py.core.supply._supply_run` with its
own factors, then demand from the (deterministic) users ratio, and writes only aggregates:
the gap, supply and demand per year and group for the nation and each county, and the gap
per municipality in chosen years. Draws are independent: with ``noise`` on, draw ``d``
seeds numba's generator with ``seed + draw_ids[d]`` before it starts, so results do not depend on the
number of threads or on how draws are split into chunks (``draw_ids`` are global).

Demand of draw d, for year t, region r, service k and group g::

    base_fte[r, k, g] * users_ratio[t, r, k] * intensity[t, r, k] * mix[t, r, k, g]
        * (1 + wdem[t] (dfac[d, r, k, 0] - 1)) * dfac[d, r, k, 1] ** t

(``dfac[..., 0]``: FTE per user; ``dfac[..., 1]``: standard growth ratio (1+g_d)/(1+g)).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .supply import FACTORS, _at, _supply_run

#: Columns of the nation/county outputs.
ENSEMBLE_VARIABLES = ("supply_fte", "demand_fte", "gap")


@njit(parallel=True, cache=True)
def ensemble_kernel(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                    graduates, graduate_dist, immigrants, immigrant_dist,
                    participation, share_in_health_care, avg_fte, sick_leave, recruits,
                    fac, wfac, tfac, wtr, users_ratio, base_fte, intensity, mix, dfac, wdem,
                    county_index, noisy, seed, draw_ids, mun_years, out_nation, out_county, out_mun):
    """Fill ``out_nation[d, t, g, v]``, ``out_county[d, t, c, g, v]`` and ``out_mun[d, y, r, g]``.

    fac: [D, R, G, len(FACTORS)]; wfac: [T+1, len(FACTORS)]; tfac: [D, R, K]; wtr: [T+1];
    users_ratio: [T+1, R, S_k]; base_fte: [R, S_k, G]; intensity [T+1, R, S_k] and mix
    [T+1, R, S_k, G] may be compact (any axis of length 1 means "the same for all");
    dfac: [D, R, S_k, 2]; wdem: [T+1]; county_index: [R] int; noisy: [R] bool; seed: int;
    draw_ids: [D] global draw numbers (the noise of draw d is seeded with ``seed + draw_ids[d]``);
    mun_years: year indices [Y] for ``out_mun`` (gap, FTE). Other inputs as in the supply kernel.
    """
    n_draws = fac.shape[0]
    n_reg, n_grp, n_sex, n_age = stock0.shape
    n_years = wfac.shape[0]  # inputs may be compact along time
    n_steps = n_years - 1
    n_srv = base_fte.shape[1]
    n_cty = out_county.shape[2]
    any_noise = False
    for r in range(n_reg):
        if noisy[r]:
            any_noise = True
    for d in prange(n_draws):
        if any_noise:
            np.random.seed(seed + draw_ids[d])
        stock = np.empty((1, n_reg, n_grp, n_sex, n_age))
        flows = np.empty((n_steps, n_reg, n_grp, 9))
        totals = np.empty((n_years, n_reg, n_grp, 4))
        dem = np.empty(n_grp)
        _supply_run(stock0, mortality, net_migration, exit_rate, trans_src, trans_dst, trans_rate,
                    graduates, graduate_dist, immigrants, immigrant_dist,
                    participation, share_in_health_care, avg_fte, sick_leave, recruits,
                    fac[d], wfac, tfac[d], wtr, noisy, False, stock, flows, totals)
        for t in range(n_years):
            for g in range(n_grp):
                out_nation[d, t, g, 0] = 0.0
                out_nation[d, t, g, 1] = 0.0
                out_nation[d, t, g, 2] = 0.0
                for c in range(n_cty):
                    out_county[d, t, c, g, 0] = 0.0
                    out_county[d, t, c, g, 1] = 0.0
                    out_county[d, t, c, g, 2] = 0.0
            for r in range(n_reg):
                c = county_index[r]
                for g in range(n_grp):
                    dem[g] = 0.0
                it, ir, ik = _at(intensity, t), _at(intensity, r, 1), 0
                mt, mr = _at(mix, t), _at(mix, r, 1)
                for k in range(n_srv):
                    ik = k if intensity.shape[2] > 1 else 0
                    mk = k if mix.shape[2] > 1 else 0
                    f = users_ratio[t, r, k] * intensity[it, ir, ik] * (1.0 + wdem[t] * (dfac[d, r, k, 0] - 1.0))
                    if dfac[d, r, k, 1] != 1.0:
                        f *= dfac[d, r, k, 1] ** t
                    for g in range(n_grp):
                        dem[g] += base_fte[r, k, g] * mix[mt, mr, mk, g if mix.shape[3] > 1 else 0] * f
                for g in range(n_grp):
                    sup = totals[t, r, g, 3]
                    out_nation[d, t, g, 0] += sup
                    out_nation[d, t, g, 1] += dem[g]
                    out_nation[d, t, g, 2] += sup - dem[g]
                    out_county[d, t, c, g, 0] += sup
                    out_county[d, t, c, g, 1] += dem[g]
                    out_county[d, t, c, g, 2] += sup - dem[g]
                    for y in range(mun_years.shape[0]):
                        if mun_years[y] == t:
                            out_mun[d, y, r, g] = sup - dem[g]


def n_factors() -> int:
    return len(FACTORS)
