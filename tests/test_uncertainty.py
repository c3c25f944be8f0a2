"""Monte Carlo draws, quantiles after aggregation, reproducibility, sensitivity, Dask."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import helsemod_py as hm
from helsemod_py.errors import ScenarioError
from helsemod_py.uncertainty import _prepare, project_ensemble, quantile_table, run_draws, sample, sensitivity

CODES = ["K0301", "K3401", "K3402", "K3403", "K5601", "K5602", "K1101"]


@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset().subset(CODES)


def _u(uid, parameter, dist, unit="/1", **kw):
    return {"id": uid, "parameter": parameter, "distribution": dist, "unit": unit, **kw}


SCN = hm.Scenario("unc", uncertainty=[
    _u("exits", "exit_rate", {"type": "lognormal", "median": 1.0, "sd_log": 0.2},
       target={"groups": ["nurse", "health_worker"]}, correlation=0.5),
    _u("growth", "standard_growth", {"type": "normal", "mean": 0.005, "sd": 0.003}, unit="/1 per year"),
    _u("fte", "avg_fte", {"type": "triangular", "low": 0.97, "mode": 1.0, "high": 1.05}),
    _u("trans", "transition_rate", {"type": "uniform", "low": 0.8, "high": 1.2}, correlation=0.0),
])


def test_without_uncertainty_every_draw_is_the_deterministic_projection(ds):
    ens = project_ensemble(ds, None, draws=3, end_year=2030, keep_draws=True)
    det = hm.project(ds, end_year=2030)
    nat = det.aggregate("nation")
    assert np.allclose(ens.draws_nation.sel(variable="gap").values, nat.gap.sum("sector").values[:, 0][None],
                       atol=1e-8)
    cty = det.aggregate("county")
    assert np.allclose(ens.county.sel(variable="supply_fte").values,
                       cty.supply_fte.sum("sector").values[None], atol=1e-8)
    # municipalities: the gap of the municipal sectors, as the deterministic tables show it
    assert np.allclose(ens.municipality.sel(year=2030).values, det.total("gap").sel(year=2030).values[None],
                       atol=1e-8)


@settings(max_examples=8, deadline=None)
@given(lever=st.sampled_from(["exit_rate", "avg_fte", "participation", "sick_leave", "graduates",
                              "transition_rate", "fte_per_user"]),
       factor=st.floats(0.7, 1.1))  # avg_fte of GPs (about 1.05) must stay within 1.2
def test_a_draw_equals_the_same_change_as_a_measure(ds, lever, factor):
    """A draw with factor f is the deterministic projection with `multiply f` from the year after the base."""
    if lever == "participation":  # unskilled staff have participation 1: a measure may not raise it
        factor = min(factor, 1.0)
    # the entry's distribution spans the factors tried (draws must keep the lever within its range)
    high = 1.0 if lever == "participation" else 1.1
    scn = hm.Scenario("one", uncertainty=[_u("x", lever, {"type": "uniform", "low": 0.7, "high": high})])
    prep = _prepare(ds, scn, 2029, noise=False)
    nation, county, _ = run_draws(prep, [0], 0, [5], values={"x": np.array([factor])})
    measure = {"id": "m", "parameter": lever, "multiply": {"value": factor, "unit": "/1"},
               "path": {"start": 2025, "shape": "step"}}
    ref = hm.project(ds, hm.Scenario("m", measures=[measure]), end_year=2029).aggregate("county")
    assert np.allclose(county[0, :, :, :, 2], ref.gap.sum("sector").values, atol=1e-7)


@settings(max_examples=5, deadline=None)
@given(factor=st.floats(0.0, 3.0))
def test_a_net_migration_draw_equals_the_projection_with_scaled_migration(ds, factor):
    """Population, users, demand and the workforce all follow the drawn net migration."""
    from helsemod_py.model import build_inputs, run_kernels
    from helsemod_py.results import Projection

    scn = hm.Scenario("mig", uncertainty=[_u("m", "net_migration", {"type": "uniform", "low": 0.0, "high": 3.0},
                                             target={"regions": ["K3401", "K5601"]})])
    prep = _prepare(ds, scn, 2029, noise=False)
    nation, county, mun = run_draws(prep, [0], 0, [5], values={"m": np.array([factor])})
    inputs = build_inputs(ds, 2029)
    scaled = inputs.writable("net_migration")
    rows = [ds.regions.codes.index(c) for c in ("K3401", "K5601")]
    scaled[1:, rows] *= factor  # from the year after the base year, as the draw's default path
    for name in ("migration_between_counties", "migration_within_county"):  # the workforce's moves too
        inputs.writable(name)[1:, rows] *= factor
    ref = Projection.from_arrays(run_kernels(inputs), years=inputs.years, regions=ds.regions, scenario="ref",
                                 dataset_name=ds.name, dataset_hash=ds.hash)
    assert np.allclose(county[0, :, :, :, 2], ref.aggregate("county").gap.sum("sector").values, rtol=1e-9, atol=1e-7)
    assert np.allclose(mun[0, 0], ref.total("gap").sel(year=2029).values, rtol=1e-9, atol=1e-7)
    if factor != 1.0:  # the drawn regions' demand moved, the others' did not
        base = hm.project(ds, end_year=2029)
        moved = ~np.isclose(ref.demand_fte.values, base.demand_fte.values, rtol=1e-12)
        assert moved[:, rows].any() and not np.delete(moved, rows, axis=1).any()


def test_reproducible_for_a_seed_whatever_the_chunks_and_threads(ds):
    a = project_ensemble(ds, SCN, draws=20, seed=5, end_year=2030, chunk=20, keep_draws=True)
    b = project_ensemble(ds, SCN, draws=20, seed=5, end_year=2030, chunk=3, keep_draws=True)
    assert np.array_equal(a.draws_county.values, b.draws_county.values)
    c = project_ensemble(ds, SCN, draws=20, seed=6, end_year=2030, keep_draws=True)
    assert not np.array_equal(a.draws_county.values, c.draws_county.values)
    many = project_ensemble(ds, SCN, draws=70, seed=5, end_year=2030, chunk=70, keep_draws=True)  # 3 blocks
    n1 = project_ensemble(ds, SCN, draws=12, seed=2, end_year=2028, noise=True, chunk=12, keep_draws=True)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        n2 = project_ensemble(ds, SCN, draws=12, seed=2, end_year=2028, noise=True, chunk=5, keep_draws=True)
        one = project_ensemble(ds, SCN, draws=70, seed=5, end_year=2030, chunk=33, keep_draws=True)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(n1.draws_county.values, n2.draws_county.values)
    assert np.array_equal(many.draws_county.values, one.draws_county.values)
    assert np.array_equal(many.draws_county.values[:20], a.draws_county.values)


def test_project_with_draws_is_the_ensemble(ds):
    via_project = hm.project(ds, SCN, end_year=2028, draws=5, seed=3, keep_draws=True)
    direct = project_ensemble(ds, SCN, draws=5, seed=3, end_year=2028, keep_draws=True)
    assert np.array_equal(via_project.draws_county.values, direct.draws_county.values)
    with pytest.raises(hm.HelsemodError, match="keep_stock"):
        hm.project(ds, SCN, draws=5, keep_stock=True)
    with pytest.raises(TypeError, match="noise"):
        hm.project(ds, SCN, noise=True)


def test_noise_changes_small_municipalities_only_and_keeps_stocks_whole(ds):
    quiet = project_ensemble(ds, None, draws=4, seed=1, end_year=2027, keep_draws=True)
    noisy = project_ensemble(ds, None, draws=4, seed=1, end_year=2027, noise=True, keep_draws=True)
    d = noisy.draws_county.sel(variable="supply_fte") - quiet.draws_county.sel(variable="supply_fte")
    assert float(abs(d.sel(region="03")).max()) == 0.0  # Oslo is not small
    assert float(abs(d.sel(region="56")).max()) > 0.0  # Finnmark's municipalities are


def test_quantiles_are_taken_after_aggregation(ds):
    ens = project_ensemble(ds, SCN, draws=40, seed=3, end_year=2030, keep_draws=True)
    q = ens.county["quantile"].values
    assert np.allclose(ens.county.values, np.quantile(ens.draws_county.values, q, axis=0))
    per_draw_nation = ens.draws_county.sum("region")
    assert np.allclose(per_draw_nation.values, ens.draws_nation.values)
    assert np.allclose(ens.nation.values, np.quantile(ens.draws_nation.values, q, axis=0))
    # adding county quantiles is not the nation's quantile (the point of aggregating first)
    summed = ens.county.sel(quantile=0.05, variable="gap").sum("region")
    assert not np.allclose(summed.values, ens.nation.sel(quantile=0.05, variable="gap").values)
    table = quantile_table(ens)
    assert set(table.level) == {"nation", "county", "municipality"}
    assert np.isfinite(table.value).all()


@pytest.mark.parametrize("dist", [
    {"type": "normal", "mean": 1.0, "sd": 0.1},
    {"type": "lognormal", "median": 1.0, "sd_log": 0.2},
    {"type": "normal", "mean": 1.0, "sd": 0.5, "truncate": [0.9, 1.1]},
    {"type": "uniform", "low": 0.8, "high": 1.2},
    {"type": "triangular", "low": 0.9, "mode": 1.0, "high": 1.3},
    {"type": "beta", "alpha": 2.0, "beta": 5.0, "low": 0.5, "high": 1.5},
    {"type": "lognormal", "median": 1.0, "sd_log": 0.3, "truncate": [0.8, 1.5]},
    {"type": "triangular", "low": 0.9, "mode": 0.9, "high": 1.3, "truncate": [0.95, 1.2]},
    {"type": "beta", "alpha": 0.5, "beta": 0.5},
])
def test_values_from_standard_normals_are_the_copula_transform(dist):
    from scipy.stats import norm

    d = hm.Scenario("s", uncertainty=[_u("x", "exit_rate", dist)]).uncertainty[0].distribution
    z = np.random.default_rng(0).standard_normal(2000)
    u = norm.cdf(z)
    frozen = _scipy_frozen(d)  # scipy's quantile function as the reference of the closed forms
    if d.truncate is not None:
        a, b = frozen.cdf(d.truncate[0]), frozen.cdf(d.truncate[1])
        scipy_ppf = np.clip(frozen.ppf(a + (b - a) * u), *d.truncate)
    else:
        scipy_ppf = frozen.ppf(u)
    assert np.allclose(d.ppf(u), scipy_ppf, rtol=1e-9)
    assert np.allclose(d.from_standard_normal(z), d.ppf(norm.cdf(z)), rtol=1e-9)


def _scipy_frozen(d):
    """scipy.stats' frozen distribution of a scenario's distribution (before truncation)."""
    from scipy import stats

    lo = d.low if d.low is not None else 0.0
    hi = d.high if d.high is not None else 1.0
    return {"normal": lambda: stats.norm(d.mean, d.sd), "lognormal": lambda: stats.lognorm(d.sd_log, scale=d.median),
            "uniform": lambda: stats.uniform(lo, hi - lo),
            "triangular": lambda: stats.triang((d.mode - lo) / (hi - lo), lo, hi - lo),
            "beta": lambda: stats.beta(d.alpha, d.beta, lo, hi - lo)}[d.type]()


@pytest.mark.parametrize("dist", [
    {"type": "normal", "mean": 1.0, "sd": 0.1},
    {"type": "lognormal", "median": 1.3, "sd_log": 0.2},
    {"type": "uniform", "low": 0.8, "high": 1.2},
    {"type": "triangular", "low": 0.9, "mode": 1.0, "high": 1.3},
    {"type": "triangular", "low": 0.9, "mode": 0.9, "high": 1.3},
    {"type": "triangular", "low": 0.9, "mode": 1.3, "high": 1.3},
    {"type": "beta", "alpha": 2.0, "beta": 5.0, "low": 0.5, "high": 1.5},
    {"type": "beta", "alpha": 0.5, "beta": 0.5},
])
def test_cdf_is_scipy_stats_cdf_bit_for_bit(dist):
    """The truncation mass and the truncated quantiles use :meth:`Distribution.cdf`, which spares
    importing scipy.stats; it gives scipy.stats' numbers exactly, inside and outside the support."""
    d = hm.Scenario("s", uncertainty=[_u("x", "exit_rate", dist)]).uncertainty[0].distribution
    x = np.concatenate([np.linspace(-1.0, 3.0, 4001), [0.0, 0.5, 0.8, 0.9, 1.0, 1.2, 1.3, 1.5, -np.inf, np.inf]])
    np.testing.assert_array_equal(d.cdf(x), _scipy_frozen(d).cdf(x))


def test_loading_a_truncated_distribution_spares_scipy_stats():
    import subprocess
    import sys

    code = ("import sys, helsemod_py as hm\n"
            "hm.Scenario('s', uncertainty=[{'id': 'x', 'parameter': 'exit_rate', 'distribution': "
            "{'type': 'triangular', 'low': 0.9, 'mode': 1.0, 'high': 1.3, 'truncate': [0.95, 1.2]}, 'unit': '/1'}])\n"
            "print('scipy.stats' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sampling_follows_distribution_truncation_and_correlation():
    scn = hm.Scenario("s", uncertainty=[
        _u("n", "exit_rate", {"type": "normal", "mean": 1.0, "sd": 0.1}, correlation=0.0),
        _u("t", "exit_rate", {"type": "normal", "mean": 1.0, "sd": 0.5, "truncate": [0.9, 1.1]}, correlation=1.0),
        _u("h", "exit_rate", {"type": "normal", "mean": 1.0, "sd": 0.1}, correlation=0.5),
    ])
    cells = np.ones((4, 3), dtype=bool)
    n = sample(scn.uncertainty[0], range(4000), cells, seed=1)
    assert n.mean() == pytest.approx(1.0, abs=0.01) and n.std() == pytest.approx(0.1, rel=0.05)
    assert abs(np.corrcoef(n[:, 0], n[:, 1])[0, 1]) < 0.06
    t = sample(scn.uncertainty[1], range(500), cells, seed=1)
    assert t.min() >= 0.9 and t.max() <= 1.1
    assert np.allclose(t, t[:, :1])  # correlation 1: one common draw
    h = sample(scn.uncertainty[2], range(4000), cells, seed=1)
    assert np.corrcoef(h[:, 0], h[:, 5])[0, 1] == pytest.approx(0.5, abs=0.06)
    assert np.array_equal(sample(scn.uncertainty[0], [7], cells, 1), n[7:8])  # a draw is its own


def test_bad_uncertainty_entries_are_refused():
    with pytest.raises(ScenarioError, match="normal needs mean, sd"):
        hm.Scenario("x", uncertainty=[_u("a", "exit_rate", {"type": "normal", "mean": 1.0})])
    with pytest.raises(ScenarioError, match=r"unit: '%' is not the unit of this draw \(allowed: '/1'\)"):
        hm.Scenario("x", uncertainty=[_u("a", "exit_rate", {"type": "uniform", "low": 0.9, "high": 1.1},
                                         unit="%")])
    with pytest.raises(ScenarioError, match="target.services: not drawn per services"):
        hm.Scenario("x", uncertainty=[_u("a", "exit_rate", {"type": "uniform", "low": 0.9, "high": 1.1},
                                         target={"services": ["home_care"]})])


def test_sensitivity_finds_the_parameter_that_matters(ds):
    scn = hm.Scenario("s", uncertainty=[
        _u("growth", "standard_growth", {"type": "uniform", "low": -0.01, "high": 0.02}, unit="/1 per year"),
        _u("dental", "graduates", {"type": "uniform", "low": 0.5, "high": 1.5},
           target={"groups": ["dental_hygienist"]}),
    ])
    table = sensitivity(ds, scn, samples=32, group="nurse", end_year=2030).set_index("parameter")
    assert table.loc["growth", "ST"] > 0.9
    assert abs(table.loc["dental", "ST"]) < 0.02  # dental hygienists do not change the nurse gap
    morris = sensitivity(ds, scn, method="morris", samples=6, group="nurse", end_year=2030).set_index("parameter")
    assert morris.loc["growth", "mu_star"] > 100 * max(morris.loc["dental", "mu_star"], 1e-9)
    with pytest.raises(hm.HelsemodError, match="unknown uncertain parameter"):
        sensitivity(ds, scn, params=["nope"])


def test_dask_local_cluster_gives_the_local_result(ds):
    distributed = pytest.importorskip("dask.distributed")
    local = project_ensemble(ds, SCN, draws=10, seed=4, end_year=2028, chunk=4)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = project_ensemble(ds, SCN, draws=10, seed=4, end_year=2028, chunk=4, scheduler=client)
        sens_remote = sensitivity(ds, SCN, method="morris", samples=4, seed=2, end_year=2028, scheduler=client)
    sens_local = sensitivity(ds, SCN, method="morris", samples=4, seed=2, end_year=2028)
    assert sens_local.equals(sens_remote)
    assert np.array_equal(local.county.values, remote.county.values)
    assert np.array_equal(local.municipality.values, remote.municipality.values)
