"""The ensemble's side-by-side draws (lanes) against one-draw runs of the supply kernel."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helsemod_py.core.supply import FACTORS, LANES, _supply_block, _supply_run, compact
from test_kernels import G, NT, assert_close, n_regions, n_steps, seeds, supply_case

NF = len(FACTORS)


def _inputs(case, n_t):
    n_reg, _, n_sex, n_age = case["stock0"].shape
    recruits = np.zeros((n_t, n_reg, G, n_sex, n_age))
    c = compact
    return [c(case["stock0"], 0), c(case["mortality"]), c(case["net_migration"]), c(case["exit_rate"]),
            case["trans_src"], case["trans_dst"], c(case["trans_rate"]), c(case["graduates"]),
            c(case["graduate_dist"], 0), c(case["immigrants"]), c(case["immigrant_dist"], 0),
            c(case["participation"]), c(case["share_in_health_care"]), c(case["avg_fte"]),
            c(case["sick_leave"]), c(recruits)]


def _draw_factors(rng, n_draws, n_reg, n_t):
    """Factors of some draws on a random choice of (group, factor), phased in by random weights."""
    varies = rng.random((G, NF)) < 0.4
    fac = np.where(varies[None, None], rng.uniform(0.7, 1.3, size=(n_draws, n_reg, G, NF)), 1.0)
    wfac = rng.uniform(0, 1, size=(n_t + 1, NF))
    wfac[0] = 0.0
    tfac = rng.uniform(0.5, 1.5, size=(n_draws, n_reg, NT))
    wtr = rng.uniform(0, 1, size=n_t + 1)
    mig = bool(rng.random() < 0.5)
    mfac = rng.uniform(0.0, 2.0, size=(n_draws, n_reg)) if mig else np.ones((n_draws, n_reg))
    wmig = rng.uniform(0, 1, size=n_t + 1)
    return fac, wfac, tfac, wtr, varies, mfac, wmig, mig


def _block(inputs, fac, wfac, tfac, wtr, varies, mfac, wmig, mig, d0, nd, n_t):
    n_reg = inputs[0].shape[0]
    fte = np.full((n_t + 1, n_reg, G, LANES), np.nan)
    _supply_block(*inputs, fac, wfac, tfac, wtr, mfac, wmig, varies, mig, d0, nd, np.arange(n_reg), fte)
    return fte


@settings(max_examples=25, deadline=None)
@given(seed=seeds, n_reg=n_regions, n_t=n_steps, broadcast=st.booleans(), n_draws=st.integers(1, LANES))
def test_every_lane_equals_the_one_draw_run(seed, n_reg, n_t, broadcast, n_draws):
    rng = np.random.default_rng(seed)
    case = supply_case(rng, n_reg, n_t, broadcast)
    inputs = _inputs(case, n_t)
    factors = _draw_factors(rng, n_draws, n_reg, n_t)
    fac, wfac, tfac, wtr, _, mfac, wmig, _ = factors
    fte = _block(inputs, *factors, 0, n_draws, n_t)
    n_sex, n_age = inputs[0].shape[2:]
    for d in range(n_draws):
        totals = np.empty((n_t + 1, n_reg, G, 4))
        _supply_run(*inputs, fac[d], wfac, tfac[d], wtr, mfac[d], wmig, np.zeros(n_reg, dtype=bool), np.arange(n_reg),
                    False,
                    np.empty((1, n_reg, G, n_sex, n_age)), np.empty((n_t, n_reg, G, 9)), totals)
        assert_close(fte[..., d], totals[..., 3])
    assert np.isfinite(fte).all()  # padding lanes run with factor 1


@settings(max_examples=10, deadline=None)
@given(seed=seeds, n_t=n_steps, shift=st.integers(1, LANES - 1))
def test_a_draw_does_not_depend_on_its_lane_or_neighbours(seed, n_t, shift):
    """Bit for bit: the property that makes results independent of chunks and threads."""
    rng = np.random.default_rng(seed)
    case = supply_case(rng, 2, n_t)
    inputs = _inputs(case, n_t)
    factors = _draw_factors(rng, LANES, 2, n_t)
    first = _block(inputs, *factors, 0, LANES, n_t)
    # the same draws, shifted: draw d sits in lane d - shift of a block that starts at `shift`
    second = _block(inputs, *factors, shift, LANES - shift, n_t)
    assert np.array_equal(first[..., shift:], second[..., :LANES - shift])


def test_draws_without_varying_factors_take_the_shared_path_with_the_same_result():
    rng = np.random.default_rng(3)
    case = supply_case(rng, 2, 3)
    inputs = _inputs(case, 3)
    fac, wfac, tfac, wtr, _, mfac, wmig, _ = _draw_factors(rng, 4, 2, 3)
    fac[:] = 1.0
    mfac[:] = 1.0
    none = np.zeros((G, NF), dtype=bool)
    every = np.ones((G, NF), dtype=bool)
    shared = _block(inputs, fac, wfac, tfac, wtr, none, mfac, wmig, False, 0, 4, 3)
    general = _block(inputs, fac, wfac, tfac, wtr, every, mfac, wmig, True, 0, 4, 3)
    assert_close(shared[..., :4], general[..., :4])
    assert not np.array_equal(shared[..., :4], np.zeros_like(shared[..., :4]))
