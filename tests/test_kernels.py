"""Property tests of the numba kernels against the plain-numpy reference and stock-flow laws.

Random inputs come from a hypothesis-drawn seed fed to numpy's generator (arrays with the
real group, transition and age dimensions, a few regions and steps). Rates stay inside the
schema's ranges, with exact boundary values (0, 1, -0.9) sprinkled in.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helsemod_py import dims as D
from helsemod_py.core import (FLOW_SIGNS, POP_FLOWS, SUPPLY_FLOWS, SUPPLY_TOTALS, project_demand,
                              project_population, project_supply)
from helsemod_py.core import reference as ref

RTOL = 1e-10
G, K, S = len(D.GROUPS), len(D.SERVICES), len(D.SEXES)
NT = len(D.TRANSITIONS)
A, W = len(D.AGES), len(D.WORK_AGES)
SRC, DST = D.transition_index()
F = {name: i for i, name in enumerate(SUPPLY_FLOWS)}
TOT = {name: i for i, name in enumerate(SUPPLY_TOTALS)}
PF = {name: i for i, name in enumerate(POP_FLOWS)}

seeds = st.integers(0, 2**32 - 1)
n_regions = st.integers(1, 3)
n_steps = st.integers(1, 4)
layouts = st.sampled_from(["c", "fortran", "strided", "reversed", "readonly"])


# --- random inputs ---------------------------------------------------------------------
def _sprinkle(rng, arr, values, p=0.03):
    """Set a random few cells of ``arr`` to boundary values."""
    mask = rng.random(arr.shape) < p
    arr[mask] = rng.choice(values, size=int(mask.sum()))
    return arr


def _time_const(rng, n, make):
    """``make()`` repeated along a new time axis as a read-only stride-0 view."""
    base = make()
    return np.broadcast_to(base, (n,) + base.shape)


def pop_case(rng, n_reg, n_t, broadcast=False):
    """Inputs of the population kernel with rates inside the schema ranges."""
    pop0 = rng.uniform(0, 500, size=(n_reg, S, A))
    _sprinkle(rng, pop0, [0.0])

    def fert():
        f = np.zeros((n_reg, A))
        ages = (D.AGES >= D.FERTILE_AGE_MIN) & (D.AGES <= D.FERTILE_AGE_MAX)
        f[:, ages] = rng.uniform(0, 0.15, size=(n_reg, int(ages.sum())))
        return f

    def mort():
        q = rng.uniform(0, 0.05, size=(n_reg, S, A))
        q[..., 80:] = rng.uniform(0.05, 1.0, size=(n_reg, S, A - 80))
        return _sprinkle(rng, q, [0.0, 1.0])

    def mig():
        m = rng.uniform(-0.05, 0.05, size=(n_reg, S, A))
        return _sprinkle(rng, m, [-0.9, 0.0, 2.0])

    if broadcast:
        f, q, m = (_time_const(rng, n_t, fn) for fn in (fert, mort, mig))
    else:
        f = np.stack([fert() for _ in range(n_t)])
        q = np.stack([mort() for _ in range(n_t)])
        m = np.stack([mig() for _ in range(n_t)])
    return dict(pop0=pop0, fertility=f, mortality=q, net_migration=m, male_share=rng.uniform(0.45, 0.55))


def _transition_rates(rng, shape_lead):
    """Transition rates [..., NT, S, W] whose sums out of every source group stay below 1."""
    raw = rng.uniform(0, 1, size=shape_lead + (NT, S, W))
    raw[rng.random(raw.shape) < 0.5] *= 0.01  # mostly small, some large
    n_out = np.bincount(SRC, minlength=G)[SRC]  # transitions leaving each transition's source
    rates = raw / n_out[:, None, None] * 0.999
    return rates


def supply_case(rng, n_reg, n_t, broadcast=False):
    """Inputs of the supply kernel (positional order of ``project_supply``) as a dict."""
    stock0 = rng.uniform(0, 100, size=(n_reg, G, S, W))
    _sprinkle(rng, stock0, [0.0])

    def per_step(make):
        if broadcast:
            return _time_const(rng, n_t, make)
        return np.stack([make() for _ in range(n_t)])

    def per_year(make):
        if broadcast:
            return _time_const(rng, n_t + 1, make)
        return np.stack([make() for _ in range(n_t + 1)])

    def dist():
        d = rng.uniform(0, 1, size=(G, S, W))
        return d / d.sum(axis=(1, 2), keepdims=True)

    return dict(
        stock0=stock0,
        mortality=per_step(lambda: _sprinkle(rng, rng.uniform(0, 0.02, size=(n_reg, S, W)), [0.0, 1.0])),
        net_migration=per_step(lambda: _sprinkle(rng, rng.uniform(-0.05, 0.05, size=(n_reg, S, W)),
                                                 [-0.9, 0.0, 2.0])),
        exit_rate=per_step(lambda: _sprinkle(rng, rng.uniform(0, 0.1, size=(n_reg, G, S, W)), [0.0, 1.0])),
        trans_src=SRC,
        trans_dst=DST,
        trans_rate=per_step(lambda: _transition_rates(rng, (n_reg,))),
        graduates=per_step(lambda: rng.uniform(0, 50, size=(n_reg, G))),
        graduate_dist=dist(),
        immigrants=per_step(lambda: rng.uniform(0, 20, size=(n_reg, G))),
        immigrant_dist=dist(),
        participation=per_year(lambda: rng.uniform(0, 1, size=(n_reg, G, S, W))),
        share_in_health_care=per_year(lambda: rng.uniform(0, 1, size=(n_reg, G, S, W))),
        avg_fte=per_year(lambda: rng.uniform(0, 1.2, size=(n_reg, G, S, W))),
        sick_leave=per_year(lambda: rng.uniform(0, 0.5, size=(n_reg, G))),
    )


def demand_case(rng, n_reg, n_t, broadcast=False):
    """Inputs of the demand kernel; ``n_t`` steps means ``n_t + 1`` years."""
    n1 = n_t + 1
    pop = rng.uniform(0, 500, size=(n1, n_reg, S, A))
    if broadcast:
        user_rate = _time_const(rng, n1, lambda: rng.uniform(0, 1, size=(n_reg, K, S, A)))
        mix = np.broadcast_to(np.ones(1), (n1, n_reg, K, G))  # what the model passes
    else:
        user_rate = rng.uniform(0, 1, size=(n1, n_reg, K, S, A))
        mix = rng.uniform(0.8, 1.2, size=(n1, n_reg, K, G))
    base_fte = rng.uniform(0, 100, size=(n_reg, K, G))
    intensity = rng.uniform(0.8, 1.2, size=(n1, n_reg, K))
    return dict(pop=pop, user_rate=user_rate, base_fte=base_fte, intensity=intensity, mix=mix)


def relayout(arr, how):
    """The same values in another memory layout (the kernels take any layout)."""
    if not isinstance(arr, np.ndarray) or arr.dtype != np.float64 or arr.ndim == 0:
        return arr
    if how == "fortran":
        out = np.asfortranarray(arr)
    elif how == "strided":  # every other element of a larger buffer along the last axis
        big = np.full(arr.shape[:-1] + (2 * arr.shape[-1],), np.nan)
        big[..., ::2] = arr
        out = big[..., ::2]
    elif how == "reversed":  # negative stride along the first axis
        out = np.ascontiguousarray(arr[::-1])[::-1]
    elif how == "readonly":
        out = arr.copy()
        out.flags.writeable = False
    else:
        out = np.ascontiguousarray(arr)
    np.testing.assert_array_equal(out, arr)
    return out


def contiguous(case):
    return {k: (np.ascontiguousarray(v) if isinstance(v, np.ndarray) else v) for k, v in case.items()}


def assert_close(actual, expected, rtol=RTOL):
    """Elementwise relative agreement, with an absolute floor at the array's scale for near-zero cells."""
    expected = np.asarray(expected)
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def run_pop(c):
    return project_population(c["pop0"], c["fertility"], c["mortality"], c["net_migration"], c["male_share"])


def run_pop_ref(c):
    return ref.project_population(c["pop0"], c["fertility"], c["mortality"], c["net_migration"], c["male_share"])


def run_supply(c, keep_stock=True):
    return project_supply(**c, keep_stock=keep_stock)


def run_supply_ref(c):
    return ref.project_supply(**c)


def run_demand(c):
    return project_demand(c["pop"], c["user_rate"], c["base_fte"], c["intensity"], c["mix"])


def run_demand_ref(c):
    return ref.project_demand(c["pop"], c["user_rate"], c["base_fte"], c["intensity"], c["mix"])


# --- kernel == reference ----------------------------------------------------------------
@given(seed=seeds, n_reg=n_regions, n_t=n_steps, broadcast=st.booleans())
def test_population_kernel_matches_reference(seed, n_reg, n_t, broadcast):
    c = pop_case(np.random.default_rng(seed), n_reg, n_t, broadcast)
    pop, flows = run_pop(c)
    rpop, rflows = run_pop_ref(c)
    assert pop.shape == (n_t + 1, n_reg, S, A) and flows.shape == (n_t, n_reg, len(POP_FLOWS))
    assert_close(pop, rpop)
    assert_close(flows, rflows)
    # a stride-0 (broadcast) input gives exactly what a contiguous copy gives
    cpop, cflows = run_pop(contiguous(c))
    np.testing.assert_array_equal(pop, cpop)
    np.testing.assert_array_equal(flows, cflows)


@given(seed=seeds, n_reg=n_regions, n_t=n_steps, broadcast=st.booleans())
def test_supply_kernel_matches_reference(seed, n_reg, n_t, broadcast):
    c = supply_case(np.random.default_rng(seed), n_reg, n_t, broadcast)
    stock, flows, totals = run_supply(c)
    rstock, rflows, rtotals = run_supply_ref(c)
    assert stock.shape == (n_t + 1, n_reg, G, S, W)
    assert flows.shape == (n_t, n_reg, G, len(SUPPLY_FLOWS))
    assert totals.shape == (n_t + 1, n_reg, G, len(SUPPLY_TOTALS))
    assert_close(stock, rstock)
    for f in range(len(SUPPLY_FLOWS)):
        assert_close(flows[..., f], rflows[..., f])
    for i in range(len(SUPPLY_TOTALS)):
        assert_close(totals[..., i], rtotals[..., i])
    cstock, cflows, ctotals = run_supply(contiguous(c))
    np.testing.assert_array_equal(stock, cstock)
    np.testing.assert_array_equal(flows, cflows)
    np.testing.assert_array_equal(totals, ctotals)


@given(seed=seeds, n_reg=n_regions, n_t=n_steps, broadcast=st.booleans())
def test_demand_kernel_matches_reference(seed, n_reg, n_t, broadcast):
    c = demand_case(np.random.default_rng(seed), n_reg, n_t, broadcast)
    users, demand = run_demand(c)
    rusers, rdemand = run_demand_ref(c)
    assert users.shape == (n_t + 1, n_reg, K) and demand.shape == (n_t + 1, n_reg, K, G)
    assert_close(users, rusers)
    assert_close(demand, rdemand)
    cusers, cdemand = run_demand(contiguous(c))
    np.testing.assert_array_equal(users, cusers)
    np.testing.assert_array_equal(demand, cdemand)


@given(seed=seeds, layout_seed=seeds, how=layouts)
def test_kernels_accept_any_layout(seed, layout_seed, how):
    """Fortran-ordered, strided, negatively strided and read-only inputs give identical results."""
    rng = np.random.default_rng(seed)
    lrng = np.random.default_rng(layout_seed)
    all_ways = ["c", "fortran", "strided", "reversed", "readonly"]

    def shuffle_layouts(case):
        # the drawn layout for every array, or a random mix of layouts array by array
        return {k: relayout(v, how if lrng.random() < 0.5 else lrng.choice(all_ways)) for k, v in case.items()}

    pc = pop_case(rng, 2, 2)
    for got, want in zip(run_pop(shuffle_layouts(pc)), run_pop(pc)):
        np.testing.assert_array_equal(got, want)
    sc = supply_case(rng, 2, 2)
    for got, want in zip(run_supply(shuffle_layouts(sc)), run_supply(sc)):
        np.testing.assert_array_equal(got, want)
    dc = demand_case(rng, 2, 2)
    for got, want in zip(run_demand(shuffle_layouts(dc)), run_demand(dc)):
        np.testing.assert_array_equal(got, want)


def test_non_contiguous_slices_of_a_larger_run():
    """Slices (regions 1: and every other year) of bigger arrays match the reference on the same slices."""
    rng = np.random.default_rng(7)
    big = pop_case(rng, 4, 6)
    sliced = dict(pop0=big["pop0"][1:], fertility=big["fertility"][::2, 1:],
                  mortality=big["mortality"][::2, 1:], net_migration=big["net_migration"][::2, 1:],
                  male_share=big["male_share"])
    assert not sliced["mortality"].flags.c_contiguous
    for got, want in zip(run_pop(sliced), run_pop_ref(contiguous(sliced))):
        assert_close(got, want)

    sbig = supply_case(rng, 3, 4)
    ssl = dict(sbig)
    for k in ("mortality", "net_migration", "exit_rate", "trans_rate", "graduates", "immigrants"):
        ssl[k] = sbig[k][::2]  # every other step: 2 steps
    for k in ("participation", "share_in_health_care", "avg_fte", "sick_leave"):
        ssl[k] = sbig[k][::2]  # years 0, 2 and 4 for 2 steps
    ssl["stock0"] = np.ascontiguousarray(np.swapaxes(sbig["stock0"], 0, 1)).swapaxes(0, 1)  # permuted strides
    assert not ssl["exit_rate"].flags.c_contiguous and not ssl["stock0"].flags.c_contiguous
    for got, want in zip(run_supply(ssl), run_supply_ref(contiguous(ssl))):
        assert_close(got, want)

    dbig = demand_case(rng, 3, 4)
    dsl = dict(pop=dbig["pop"][:, ::2], user_rate=dbig["user_rate"][:, ::2], base_fte=dbig["base_fte"][::2],
               intensity=dbig["intensity"][:, ::2], mix=dbig["mix"][:, ::2])
    for got, want in zip(run_demand(dsl), run_demand_ref(contiguous(dsl))):
        assert_close(got, want)


# --- stock-flow accounting ---------------------------------------------------------------
@given(seed=seeds, n_reg=n_regions, n_t=n_steps, broadcast=st.booleans())
def test_population_mass_balance(seed, n_reg, n_t, broadcast):
    c = pop_case(np.random.default_rng(seed), n_reg, n_t, broadcast)
    pop, flows = run_pop(c)
    total = pop.sum(axis=(2, 3))  # [T+1, R]
    expected = total[:-1] + flows[..., PF["births"]] - flows[..., PF["deaths"]] + flows[..., PF["net_migration"]]
    np.testing.assert_allclose(total[1:], expected, rtol=1e-12, atol=1e-9 * total.max())
    # births are the fertility-weighted women of the year
    births = (c["fertility"] * pop[:-1, :, 1, :]).sum(axis=-1)
    assert_close(flows[..., PF["births"]], births)


@given(seed=seeds, n_reg=n_regions, n_t=n_steps, broadcast=st.booleans())
def test_supply_mass_balance(seed, n_reg, n_t, broadcast):
    assert len(FLOW_SIGNS) == len(SUPPLY_FLOWS)
    c = supply_case(np.random.default_rng(seed), n_reg, n_t, broadcast)
    stock, flows, totals = run_supply(c)
    total = stock.sum(axis=(3, 4))  # [T+1, R, G]
    expected = total[:-1] + (flows * FLOW_SIGNS).sum(axis=-1)
    np.testing.assert_allclose(total[1:], expected, rtol=1e-12, atol=1e-9 * total.max())
    np.testing.assert_allclose(totals[..., TOT["persons"]], total, rtol=1e-12)
    # transfers leave one group and enter another: they net to zero in each region
    np.testing.assert_allclose(flows[..., F["transfers_out"]].sum(axis=2), flows[..., F["transfers_in"]].sum(axis=2),
                               rtol=1e-12, atol=1e-9 * total.max())
    # graduates and immigrants enter in full (their age distributions sum to one)
    np.testing.assert_allclose(flows[..., F["graduates"]], c["graduates"], rtol=1e-12)
    np.testing.assert_allclose(flows[..., F["immigrants"]], c["immigrants"], rtol=1e-12)


@given(seed=seeds, n_reg=n_regions, n_t=n_steps, broadcast=st.booleans())
def test_no_negative_stocks_for_valid_inputs(seed, n_reg, n_t, broadcast):
    rng = np.random.default_rng(seed)
    pc = pop_case(rng, n_reg, n_t, broadcast)
    pop, pflows = run_pop(pc)
    assert (pop >= 0).all(), pop.min()
    assert (pflows[..., [PF["births"], PF["deaths"]]] >= 0).all()
    sc = supply_case(rng, n_reg, n_t, broadcast)
    stock, flows, totals = run_supply(sc)
    assert (stock >= 0).all(), stock.min()
    assert (totals >= 0).all(), totals.min()
    nonneg = [F[f] for f in SUPPLY_FLOWS if f != "net_migration"]
    assert (flows[..., nonneg] >= 0).all()
    # the employed are a part of the stock, and the health-care headcount a part of the employed
    assert (totals[..., TOT["employed"]] <= totals[..., TOT["persons"]] * (1 + 1e-12)).all()
    assert (totals[..., TOT["headcount"]] <= totals[..., TOT["employed"]] * (1 + 1e-12)).all()


def test_no_negative_stock_when_transition_rates_sum_to_one():
    rng = np.random.default_rng(0)
    c = supply_case(rng, 1, 1)
    c = {k: (np.zeros_like(v) if k not in ("stock0", "trans_src", "trans_dst", "graduate_dist",
                                            "immigrant_dist") else v) for k, v in c.items()}
    c["stock0"] = np.ones((1, G, S, W))
    out_of_nurse = np.flatnonzero(SRC == D.GROUPS.index("nurse"))
    rates = np.zeros((1, 1, NT, S, W))
    rates[:, :, out_of_nurse] = np.array([0.1, 0.2, 0.3, 0.4])[: len(out_of_nurse), None, None]
    assert rates[0, 0, out_of_nurse].sum(axis=0).max() <= 1.0
    c["trans_rate"] = rates
    stock, _, _ = run_supply(c)
    assert stock.min() >= 0.0


# --- linearity ----------------------------------------------------------------------------
@given(seed=seeds, n_reg=n_regions, n_t=n_steps, broadcast=st.booleans())
def test_doubling_stocks_and_flows_doubles_results(seed, n_reg, n_t, broadcast):
    rng = np.random.default_rng(seed)
    pc = pop_case(rng, n_reg, n_t, broadcast)
    pop, pflows = run_pop(pc)
    pop2, pflows2 = run_pop(dict(pc, pop0=2 * pc["pop0"]))
    assert_close(pop2, 2 * pop, rtol=1e-9)
    assert_close(pflows2, 2 * pflows, rtol=1e-9)

    sc = supply_case(rng, n_reg, n_t, broadcast)
    stock, flows, totals = run_supply(sc)
    stock2, flows2, totals2 = run_supply(dict(sc, stock0=2 * sc["stock0"], graduates=2 * sc["graduates"],
                                              immigrants=2 * sc["immigrants"]))
    assert_close(stock2, 2 * stock, rtol=1e-9)
    assert_close(flows2, 2 * flows, rtol=1e-9)
    assert_close(totals2, 2 * totals, rtol=1e-9)  # persons, employed, headcount and FTE

    dc = demand_case(rng, n_reg, n_t, broadcast)
    users, demand = run_demand(dc)
    users2, demand2 = run_demand(dict(dc, pop=2 * dc["pop"], base_fte=2 * dc["base_fte"]))
    assert_close(users2, 2 * users, rtol=1e-9)
    assert_close(demand2, 2 * demand, rtol=1e-9)
    # twice the population alone leaves demand (relative change of users) unchanged
    assert_close(run_demand(dict(dc, pop=2 * dc["pop"]))[1], demand, rtol=1e-9)


@given(seed=seeds, n_reg=n_regions, n_t=st.integers(1, 5), broadcast=st.booleans())
def test_keep_stock_false_gives_the_same_totals_and_flows(seed, n_reg, n_t, broadcast):
    c = supply_case(np.random.default_rng(seed), n_reg, n_t, broadcast)
    stock, flows, totals = run_supply(c, keep_stock=True)
    stock_r, flows_r, totals_r = run_supply(c, keep_stock=False)
    assert stock_r.shape == (1,) + stock.shape[1:]
    np.testing.assert_array_equal(flows_r, flows)
    np.testing.assert_array_equal(totals_r, totals)
    # without the full stock, the last year's stock is kept
    np.testing.assert_array_equal(stock_r[0], stock[n_t])


# --- hand-checkable cases -------------------------------------------------------------------
def _quiet_supply(n_reg, n_t, stock0):
    """Supply inputs with every rate and entrant zero; participation etc. given simple values."""
    z = np.zeros
    return dict(
        stock0=stock0, mortality=z((n_t, n_reg, S, W)), net_migration=z((n_t, n_reg, S, W)),
        exit_rate=z((n_t, n_reg, G, S, W)), trans_src=SRC, trans_dst=DST, trans_rate=z((n_t, n_reg, NT, S, W)),
        graduates=z((n_t, n_reg, G)), graduate_dist=np.full((G, S, W), 1.0 / (S * W)),
        immigrants=z((n_t, n_reg, G)), immigrant_dist=np.full((G, S, W), 1.0 / (S * W)),
        participation=np.full((n_t + 1, n_reg, G, S, W), 0.8),
        share_in_health_care=np.full((n_t + 1, n_reg, G, S, W), 0.5),
        avg_fte=np.full((n_t + 1, n_reg, G, S, W), 0.9),
        sick_leave=np.full((n_t + 1, n_reg, G), 0.1),
    )


@given(seed=seeds, n_reg=n_regions, n_t=n_steps)
def test_supply_without_rates_or_entrants_only_ages(seed, n_reg, n_t):
    stock0 = np.random.default_rng(seed).uniform(0, 100, size=(n_reg, G, S, W))
    stock, flows, totals = run_supply(_quiet_supply(n_reg, n_t, stock0))
    for t in range(n_t):
        np.testing.assert_array_equal(stock[t + 1][..., 1:], stock[t][..., :-1])
        np.testing.assert_array_equal(stock[t + 1][..., 0], 0.0)
        np.testing.assert_array_equal(flows[t][..., F["aged_out"]], stock[t][..., -1].sum(axis=-1))
    others = [F[f] for f in SUPPLY_FLOWS if f != "aged_out"]
    np.testing.assert_array_equal(flows[..., others], 0.0)
    # after t steps the stock is the base stock shifted t ages up
    np.testing.assert_array_equal(stock[n_t][..., n_t:], stock0[..., : W - n_t])
    np.testing.assert_allclose(totals[..., TOT["fte"]], stock.sum(axis=(3, 4)) * 0.8 * 0.5 * 0.9 * 0.9,
                               rtol=1e-12)


def test_person_at_last_working_age_ages_out():
    stock0 = np.zeros((2, G, S, W))
    nurse, female = D.GROUPS.index("nurse"), D.SEXES.index("female")
    stock0[1, nurse, female, W - 1] = 1.0  # one nurse aged 74 in the second region
    stock, flows, totals = run_supply(_quiet_supply(2, 1, stock0))
    np.testing.assert_array_equal(stock[1], 0.0)
    expected = np.zeros((2, G))
    expected[1, nurse] = 1.0
    np.testing.assert_array_equal(flows[0, ..., F["aged_out"]], expected)
    assert totals[0, 1, nurse, TOT["persons"]] == 1.0 and totals[1, 1, nurse, TOT["persons"]] == 0.0
    assert totals[0, 1, nurse, TOT["fte"]] == pytest.approx(0.8 * 0.5 * 0.9 * (1 - 0.1), rel=1e-14)


def test_supply_hand_checked_step():
    """100 nurses aged 30: 1% die, 10% of survivors exit, +5% migrate, 10% of the rest become midwives."""
    nurse, midwife, male = D.GROUPS.index("nurse"), D.GROUPS.index("midwife"), 0
    a30 = int(np.flatnonzero(D.WORK_AGES == 30)[0])
    stock0 = np.zeros((1, G, S, W))
    stock0[0, nurse, male, a30] = 100.0
    c = _quiet_supply(1, 1, stock0)
    c["mortality"][0, 0, male, a30] = 0.01
    c["exit_rate"][0, 0, nurse, male, a30] = 0.1
    c["net_migration"][0, 0, male, a30] = 0.05
    k = [i for i, t in enumerate(D.TRANSITIONS) if t == "nurse>midwife"][0]
    c["trans_rate"][0, 0, k, male, a30] = 0.1
    c["graduates"][0, 0, nurse] = 10.0
    grad_dist = np.zeros((G, S, W))
    grad_dist[:, male, 0] = 1.0  # all graduates aged 16
    c["graduate_dist"] = grad_dist
    stock, flows, _ = run_supply(c)
    dead = 100 * 0.01
    exits = (100 - dead) * 0.1
    mig = (100 - dead - exits) * 0.05
    x = 100 - dead - exits + mig
    moved = x * 0.1
    assert stock[1, 0, nurse, male, a30 + 1] == pytest.approx(x - moved, rel=1e-14)
    assert stock[1, 0, midwife, male, a30 + 1] == pytest.approx(moved, rel=1e-14)
    assert stock[1, 0, nurse, male, 0] == 10.0
    assert stock[1].sum() == pytest.approx(x + 10.0, rel=1e-14)
    fl = flows[0, 0]
    assert fl[nurse, F["deaths"]] == pytest.approx(dead)
    assert fl[nurse, F["exits"]] == pytest.approx(exits)
    assert fl[nurse, F["net_migration"]] == pytest.approx(mig)
    assert fl[nurse, F["transfers_out"]] == pytest.approx(moved)
    assert fl[midwife, F["transfers_in"]] == pytest.approx(moved)
    assert fl[nurse, F["graduates"]] == 10.0


def test_population_hand_checked_step():
    """1000 women aged 30 with fertility 0.1, 200 men aged 105 (open age) with mortality 0.5."""
    pop0 = np.zeros((1, S, A))
    pop0[0, 1, 30] = 1000.0
    pop0[0, 0, A - 1] = 200.0
    pop0[0, 0, A - 2] = 10.0  # men aged 104 join the open group
    fert = np.zeros((1, 1, A))
    fert[0, 0, 30] = 0.1
    q = np.zeros((1, 1, S, A))
    q[0, 0, :, 0] = 0.02  # infants: half a year of exposure in the birth year
    q[0, 0, 1, 30] = 0.01
    q[0, 0, 0, A - 1] = 0.5
    m = np.zeros((1, 1, S, A))
    m[0, 0, 1, 30] = -0.1
    pop, flows = project_population(pop0, fert, q, m, 0.5)
    births = 100.0
    assert pop[1, 0, 1, 31] == pytest.approx(1000 * 0.99 * 0.9, rel=1e-14)
    assert pop[1, 0, 0, 0] == pytest.approx(births * 0.5 * (1 - 0.01), rel=1e-14)
    assert pop[1, 0, 1, 0] == pytest.approx(births * 0.5 * (1 - 0.01), rel=1e-14)
    assert pop[1, 0, 0, A - 1] == pytest.approx(200 * 0.5 + 10, rel=1e-14)
    assert flows[0, 0, PF["births"]] == pytest.approx(births)
    assert flows[0, 0, PF["deaths"]] == pytest.approx(10 + 100 + births * 0.01)
    assert flows[0, 0, PF["net_migration"]] == pytest.approx(-99.0)


def test_population_rejects_bad_shapes():
    c = pop_case(np.random.default_rng(0), 2, 2)
    with pytest.raises(ValueError, match="fertility shape"):
        project_population(c["pop0"], c["fertility"][:, :1], c["mortality"], c["net_migration"], 0.5)
    with pytest.raises(ValueError, match="mortality shape"):
        project_population(c["pop0"], c["fertility"], c["mortality"][:, :, :, :-1], c["net_migration"], 0.5)
    with pytest.raises(ValueError, match="2 sexes"):
        project_population(c["pop0"][:, :1], c["fertility"], c["mortality"], c["net_migration"], 0.5)


# --- demand ---------------------------------------------------------------------------------
@given(seed=seeds, n_reg=n_regions, n_t=n_steps)
def test_demand_user_ratio_is_one_without_base_users(seed, n_reg, n_t):
    rng = np.random.default_rng(seed)
    c = demand_case(rng, n_reg, n_t)
    no_users = rng.random((n_reg, K)) < 0.4
    no_users[0, 0] = True
    ur = c["user_rate"].copy()
    ur[0][no_users] = 0.0  # nobody uses these services in the base year, some do later
    c["user_rate"] = ur
    users, demand = run_demand(c)
    r, k = np.nonzero(no_users)
    np.testing.assert_array_equal(users[0, r, k], 0.0)
    assert (users[1:, r, k] > 0).all()
    expected = c["base_fte"][None, r, k, :] * c["intensity"][:, r, k, None] * c["mix"][:, r, k, :]
    assert_close(demand[:, r, k, :], expected)
    assert np.isfinite(demand).all()


@given(seed=seeds, n_reg=n_regions, n_t=n_steps, broadcast=st.booleans())
def test_demand_in_base_year(seed, n_reg, n_t, broadcast):
    c = demand_case(np.random.default_rng(seed), n_reg, n_t, broadcast)
    users, demand = run_demand(c)
    assert_close(demand[0], c["base_fte"] * c["intensity"][0][..., None] * c["mix"][0])
    assert_close(users, np.einsum("trsa,trksa->trk", c["pop"], c["user_rate"]))
    # demand moves with users relative to the base year
    ratio = users / users[0]
    assert_close(demand, c["base_fte"][None] * (ratio * c["intensity"])[..., None] * c["mix"])
