"""Stock-flow laws on every path of the supply equations: measures, draws (lanes) and noise.

Unlike :mod:`test_kernels` (random arrays from a drawn seed), the values that matter here —
transition rates, the factors of draws and measures on them, exits — are drawn by hypothesis
itself, so a failure shrinks to the smallest rates and factors that break a law. The laws:
nobody is created or lost (the stock of a year is the last one plus its flows), nobody leaves a
cell twice (transfers out of a group never exceed its stayers), no stock is negative, and the
numba kernels agree with the plain-numpy reference and with each other.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numba import njit

from helsemod_py import dims as D
from helsemod_py.core import FLOW_SIGNS, SUPPLY_FLOWS
from helsemod_py.core import reference as ref
from helsemod_py.core.supply import FACTORS, LANES, _supply_block, _supply_run
from test_ensemble_kernel import _inputs
from test_kernels import DST, G, NT, S, SRC, W, assert_close, supply_case

F = {name: i for i, name in enumerate(SUPPLY_FLOWS)}
NF = len(FACTORS)
rates = hnp.arrays(np.float64, NT, elements=st.floats(0.0, 1.0))  # each valid; their sums out of a group need not be
factors = hnp.arrays(np.float64, NT, elements=st.floats(0.0, 5.0))  # a measure or draw may multiply them
exit_rates = st.floats(0.0, 1.0)


@njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


def _case(trans, exit_rate, n_t=2, seed=0):
    """A one-region supply case whose transition rates are ``trans`` at every sex, age and step."""
    c = supply_case(np.random.default_rng(seed), 1, n_t)
    c["trans_rate"] = np.broadcast_to(trans[None, None, :, None, None], (n_t, 1, NT, S, W)).copy()
    c["exit_rate"] = np.full((n_t, 1, G, S, W), exit_rate)
    return c


def _run(c, tfac, noisy=False, n_t=2):
    """``_supply_run`` of one draw with transition factors ``tfac`` [NT] in full from the first step."""
    inputs = _inputs(c, n_t)
    stock = np.empty((n_t + 1, 1, G, S, W))
    flows = np.empty((n_t, 1, G, len(SUPPLY_FLOWS)))
    totals = np.empty((n_t + 1, 1, G, 4))
    _supply_run(*inputs, np.ones((1, G, NF)), np.ones((n_t + 1, NF)), tfac[None, :], np.ones(n_t + 1),
                np.ones(1), np.zeros(n_t + 1), np.array([noisy]), np.arange(1), True, stock, flows, totals)
    return stock, flows, totals


def _assert_laws(stock, flows):
    total = stock.sum(axis=(3, 4))  # [T+1, R, G]
    scale = max(1.0, float(total.max()))
    assert stock.min() >= -1e-9 * scale, "negative stock"
    np.testing.assert_allclose(total[1:], total[:-1] + (flows * FLOW_SIGNS).sum(axis=-1), rtol=1e-10,
                               atol=1e-9 * scale, err_msg="stock is not the last stock plus flows")
    np.testing.assert_allclose(flows[..., F["transfers_out"]].sum(axis=2), flows[..., F["transfers_in"]].sum(axis=2),
                               rtol=1e-10, atol=1e-9 * scale, err_msg="transfers do not net to zero")
    stayers = total[:-1] - flows[..., F["deaths"]] - flows[..., F["exits"]] + flows[..., F["net_migration"]]
    assert (flows[..., F["transfers_out"]] <= stayers * (1 + 1e-10) + 1e-9 * scale).all(), \
        "more persons left a group by transitions than it held"


@settings(max_examples=60, deadline=None)
@given(trans=rates, exit_rate=exit_rates)
def test_transitions_summing_past_one_move_nobody_twice(trans, exit_rate):
    """Each rate valid, their sum out of a group above 1: the kernel scales them to 1 and agrees
    with the reference."""
    c = _case(trans, exit_rate)
    stock, flows, _ = _run(c, np.ones(NT))
    _assert_laws(stock, flows)
    want_stock, want_flows, _ = ref.project_supply(**c)
    assert_close(stock, want_stock)
    assert_close(flows, want_flows)


@settings(max_examples=60, deadline=None)
@given(trans=rates, tfac=factors, exit_rate=exit_rates)
def test_a_factor_on_transitions_keeps_the_balance(trans, tfac, exit_rate):
    """A measure or draw multiplying transition rates (capped at 1 each) conserves persons, and
    equals the reference run on the multiplied rates."""
    c = _case(trans, exit_rate)
    stock, flows, _ = _run(c, tfac)
    _assert_laws(stock, flows)
    applied = dict(c, trans_rate=np.minimum(1.0, c["trans_rate"] * tfac[None, None, :, None, None]))
    want_stock, _, _ = ref.project_supply(**applied)
    assert_close(stock, want_stock)


@settings(max_examples=40, deadline=None)
@given(trans=rates, tfac=factors, exit_rate=exit_rates, seed=st.integers(0, 2**31 - 1))
def test_noise_keeps_the_balance(trans, tfac, exit_rate, seed):
    """Poisson draws of deaths, exits, migration and transitions: still no one created or lost,
    no one leaves twice, no negative stock."""
    c = _case(trans, exit_rate)
    _seed(seed)
    stock, flows, _ = _run(c, tfac, noisy=True)
    _assert_laws(stock, flows)


@settings(max_examples=30, deadline=None)
@given(trans=rates, lanes=st.lists(factors, min_size=1, max_size=LANES), exit_rate=exit_rates)
def test_lanes_equal_one_draw_runs_when_transitions_sum_past_one(trans, lanes, exit_rate):
    """The ensemble's side-by-side draws scale transitions as the one-draw kernel does."""
    n_t = 2
    c = _case(trans, exit_rate, n_t)
    inputs = _inputs(c, n_t)
    nd = len(lanes)
    tfac = np.stack(lanes)[:, None, :]  # [D, R, NT]
    fte = np.full((n_t + 1, 1, G, LANES), np.nan)
    _supply_block(*inputs, np.ones((nd, 1, G, NF)), np.ones((n_t + 1, NF)), tfac, np.ones(n_t + 1),
                  np.ones((nd, 1)), np.zeros(n_t + 1), np.zeros((G, NF), dtype=np.bool_), False, 0, nd,
                  np.arange(1), fte)
    for d in range(nd):
        _, _, totals = _run(c, tfac[d, 0])
        assert_close(fte[..., d], totals[..., 3])


def test_a_group_whose_transitions_sum_to_two_empties_into_its_destinations_once():
    """Hand-checked: a source group with rates summing to 2 sends each destination its share of
    the stayers (rate / 2), and keeps none of them."""
    nurse = D.GROUPS.index("nurse")  # four transitions out: further education
    out = np.flatnonzero(SRC == nurse)
    trans = np.zeros(NT)
    trans[out] = 2.0 / len(out)
    c = _case(trans, 0.0, n_t=1)
    for k in ("mortality", "net_migration", "graduates", "immigrants"):
        c[k] = np.zeros_like(c[k])
    assert len(out) >= 2 and len(set(DST[out])) == len(out)  # rates of 2/n each are valid, their sum is not
    stock, flows, _ = _run(c, np.ones(NT), n_t=1)
    held = c["stock0"][0, nurse].sum()
    assert held > 0
    np.testing.assert_allclose(flows[0, 0, nurse, F["transfers_out"]], held, rtol=1e-12)
    for k in out:  # each destination gets its share, rate / sum of rates = 1 / n
        np.testing.assert_allclose(flows[0, 0, DST[k], F["transfers_in"]], held / len(out), rtol=1e-12)
    assert stock[1, 0, nurse].sum() == 0.0
