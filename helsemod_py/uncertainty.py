"""Monte Carlo uncertainty and global sensitivity on the numba ensemble kernel.

A scenario's ``uncertainty:`` entries give parameters distributions (:class:`Uncertain`).
Draw ``d`` of an entry uses its own generator, the node (entry id, ``d``) of the run's seed tree
(:mod:`helsemod_py.seeds`), so a draw is the same whether draws run together, in chunks, on other
threads or on a Dask cluster, and whatever other entries the file holds.
Quantiles are taken after aggregation: a county's band comes from the sum of its
municipalities in each draw, never from adding municipal quantiles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from . import _paths, seeds
from . import dims as D
from ._drawstore import DrawStore
from ._years import year_index
from .core.ensemble import ENSEMBLE_VARIABLES, ensemble_kernel
from .core.supply import D_GROWTH, D_USE, FACTORS, LANES, compact
from .data.dataset import Dataset
from .checks import _path_weights as _weights
from .checks import cells_of as _cells
from .checks import check_draws
from .errors import HelsemodError, quote
from .model import DEFAULT_END_YEAR, ModelInputs, build_inputs, run_demand, run_population
from .scenario import Scenario
from .scenario.apply import standard_growth
from .scenario.schema import LEVERS, Assumptions, Uncertain

DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Blocks of ``LANES`` draws per kernel call and thread (a call runs its blocks in parallel).
BLOCKS_PER_THREAD = 2


def default_chunk() -> int:
    """Draws per kernel call: enough blocks of ``LANES`` draws to keep every numba thread busy."""
    import numba

    return LANES * BLOCKS_PER_THREAD * max(1, numba.get_num_threads())
#: Municipalities under this population get Poisson noise on flows when ``noise`` is on.
SMALL_MUNICIPALITY = 20_000


@dataclass
class _Prepared:
    """Deterministic inputs of the ensemble kernel for one scenario (shared by all draws)."""

    inputs: ModelInputs
    users: np.ndarray  # [T+1, R, K] users of the deterministic projection
    users_ratio: np.ndarray
    demand0: np.ndarray  # [T+1, R, K, G] FTE demand before draw factors
    county_index: np.ndarray
    noisy: np.ndarray
    base_growth: np.ndarray  # [K] standard growth of the dataset/scenario
    dataset: Dataset
    uncertain: tuple = ()


def _prepare(dataset: Dataset, scenario: Scenario | None, end_year: int, noise: bool) -> _Prepared:
    inputs = build_inputs(dataset, end_year)
    if scenario is not None:
        inputs = scenario.apply(inputs, dataset)
        check_draws(scenario, inputs, dataset)
    # the deterministic projection's users and demand: the draws' factors apply on top of them
    users, demand0 = run_demand(inputs, run_population(inputs)[2])
    ratio = np.divide(users, users[0], out=np.ones_like(users), where=users[0] > 0)
    growth = standard_growth(scenario.assumptions if scenario is not None else Assumptions(), dataset)
    small = dataset["population"].sum(axis=(1, 2)) < SMALL_MUNICIPALITY
    return _Prepared(inputs, users, ratio, demand0, dataset.regions.county_index(), small & noise, growth, dataset,
                     tuple(scenario.uncertainty) if scenario is not None else ())


def sample(u: Uncertain, draws, cells: np.ndarray, seed: int) -> np.ndarray:
    """Values ``[len(draws), n_cells]`` of entry ``u`` for the given draw numbers.

    Equicorrelated standard normals (one common, one per cell, mixed by ``correlation``)
    are mapped through the normal CDF and the entry's quantile function (Gaussian copula).
    """
    n = int(cells.sum())
    rho = u.correlation
    zc = np.empty((len(draws), n))
    for i, d in enumerate(draws):
        rng = seeds.generator(seed, seeds.UNCERTAINTY, u.id, d)
        z0 = rng.standard_normal()
        z = rng.standard_normal(n) if rho < 1.0 else np.zeros(n)
        zc[i] = np.sqrt(rho) * z0 + np.sqrt(1.0 - rho) * z
    return u.distribution.from_standard_normal(zc)  # elementwise: one call for all draws


def factor_arrays(prep: _Prepared, draws, seed: int, values: dict | None = None):
    """Kernel factor arrays for some draws: (fac, wfac, tfac, wtr, dfac, wdem, mfac, wmig).

    ``values`` (entry id -> [len(draws)] values) replaces sampling, for sensitivity designs;
    such values apply to every targeted cell alike.
    """
    ds, inp = prep.dataset, prep.inputs
    n, n_reg = len(draws), len(ds.regions)
    years = inp.years
    fac = np.ones((n, n_reg, len(D.GROUPS), len(FACTORS)))
    wfac = np.zeros((len(years), len(FACTORS)))
    tfac = np.ones((n, n_reg, len(D.TRANSITIONS)))
    wtr = np.zeros(len(years))
    dfac = np.ones((n, n_reg, len(D.SERVICES), 2))
    wdem = np.zeros(len(years))
    mfac = np.ones((n, n_reg))
    wmig = np.zeros(len(years))
    paths: dict[str, np.ndarray] = {}
    for u in prep.uncertain:
        cells, _ = _cells(u, ds)
        if values is not None and u.id in values:
            vals = np.repeat(np.asarray(values[u.id], dtype=float)[:, None], int(cells.sum()), axis=1)
        else:
            vals = sample(u, draws, cells, seed)
        w = _weights(u, years)
        if LEVERS[u.parameter].draw != "growth":  # a rate from the base year, without a path
            if u.parameter in paths and not np.array_equal(paths[u.parameter], w):
                raise HelsemodError(f"uncertainty {u.id!r}: entries on {u.parameter} must share one path")
            paths[u.parameter] = w
        full = np.ones((n,) + cells.shape)
        full[:, cells] = vals
        kind = LEVERS[u.parameter].draw  # where the factor goes: the lever registry's DRAW_KINDS
        if kind == "growth":  # a rate: the factor on FTE per user is the ratio of growth paths
            ratio = np.ones((n,) + cells.shape)
            ratio[:, cells] = (1.0 + vals) / (1.0 + prep.base_growth[np.nonzero(cells)[1]])
            dfac[..., D_GROWTH] *= ratio
        elif kind == "service":
            dfac[..., D_USE] *= full
            wdem[:] = w
        elif kind == "transition":
            tfac *= full
            wtr[:] = w
        elif kind == "migration":
            mfac *= full[..., 0]
            wmig[:] = w
        else:  # "group": the supply kernel's factor of the same name
            j = FACTORS.index(u.parameter)
            fac[..., j] *= full
            wfac[:, j] = w
    return fac, wfac, tfac, wtr, dfac, wdem, mfac, wmig


def varying_factors(prep: _Prepared) -> np.ndarray:
    """``[G, len(FACTORS)]`` bool: the group factors some uncertainty entry draws (the kernel
    takes a cheaper path for the others)."""
    out = np.zeros((len(D.GROUPS), len(FACTORS)), dtype=bool)
    for u in prep.uncertain:
        if LEVERS[u.parameter].draw == "group":
            cells, _ = _cells(u, prep.dataset)
            out[:, FACTORS.index(u.parameter)] |= cells.any(axis=0)
    return out


def run_draws(prep: _Prepared, draws, seed: int, mun_years, values: dict | None = None):
    """Run the ensemble kernel for some draws; returns (nation, county, municipality) arrays."""
    inp = prep.inputs
    fac, wfac, tfac, wtr, dfac, wdem, mfac, wmig = factor_arrays(prep, draws, seed, values)
    mig_varies = any(LEVERS[u.parameter].draw == "migration" for u in prep.uncertain)
    pop_varies = mig_varies and inp.external_population is None
    n, n_years = len(draws), len(inp.years)
    n_reg, n_grp = len(prep.dataset.regions), len(D.GROUPS)
    n_cty = len(prep.dataset.regions.counties)
    w0, w1 = D.WORK_AGE_MIN, D.WORK_AGE_MAX + 1
    migration = inp.workforce_migration()
    src, dst = D.transition_index()
    nation = np.empty((n, n_years, n_grp, len(ENSEMBLE_VARIABLES)))
    county = np.empty((n, n_years, n_cty, n_grp, len(ENSEMBLE_VARIABLES)))
    mun = np.zeros((n, len(mun_years), n_reg, n_grp))
    c = compact
    ensemble_kernel(c(inp.stock0, 0), c(inp.mortality[..., w0:w1]), c(migration), c(inp.exit_rate), src, dst,
                    c(inp.transition_rate), c(inp.graduates), c(inp.graduate_age_dist, 0), c(inp.immigrants),
                    c(inp.immigrant_age_dist, 0), c(inp.participation), c(inp.share_in_health_care),
                    c(inp.avg_fte), c(inp.sick_leave), c(inp.recruits), fac, wfac, tfac, wtr, mfac, wmig,
                    varying_factors(prep), mig_varies, prep.demand0, dfac, wdem,
                    (c(inp.population0, 0), c(inp.fertility), c(inp.mortality), c(inp.net_migration), c(inp.user_rate),
                     np.ascontiguousarray(prep.users)), float(inp.male_share_at_birth), pop_varies,
                    prep.county_index, prep.noisy, _noise_seeds(prep, seed, draws),
                    np.asarray(mun_years, dtype=np.int64), c(municipal_share(inp.sector_share)), MUNICIPAL_SERVICES,
                    nation, county, mun)
    return nation, county, mun


def _noise_seeds(prep: _Prepared, seed: int, draws) -> np.ndarray:
    """Seeds of numba's generator for the noise of each draw (none drawn without noise)."""
    return seeds.noise_seeds(seed, draws) if prep.noisy.any() else np.zeros(len(draws), dtype=np.uint32)


#: Services of the municipal sectors (their demand counts in a municipality's gap).
MUNICIPAL_SERVICES = np.array([D.SERVICE_SECTOR[k] in D.MUNICIPAL_SECTORS for k in D.SERVICES])


def municipal_share(sector_share: np.ndarray) -> np.ndarray:
    """Share of the pool's FTE in the municipal sectors [T+1, R, G] from ``sector_share`` [T+1, R, Q, G]."""
    idx = [D.SECTORS.index(q) for q in D.MUNICIPAL_SECTORS]
    return np.asarray(sector_share)[:, :, idx].sum(axis=2)


@dataclass
class Ensemble:
    """Quantiles (and optionally all draws) of a Monte Carlo projection.

    ``nation`` (quantile, year, group, variable), ``county`` (quantile, year, region, group,
    variable) with variables supply_fte, demand_fte, gap (FTE); ``municipality`` (quantile,
    year, region, group): the gap of the municipal sectors in ``municipality_years``. Nation and
    county hold all sectors. ``draws_*`` hold every draw when asked for (``keep_draws``).
    """

    nation: xr.DataArray
    county: xr.DataArray
    municipality: xr.DataArray
    draws: int
    seed: int
    scenario: str
    draws_nation: xr.DataArray | None = None
    draws_county: xr.DataArray | None = None
    meta: dict = field(default_factory=dict)

    def band(self, level: str = "nation", variable: str = "gap", group=None) -> "xr.DataArray":
        """Quantiles (FTE) of ``variable`` at ``nation`` or ``county`` level, for one group or all."""
        da = self.nation if level == "nation" else self.county
        da = da.sel(variable=variable)
        return da if group is None else da.sel(group=group)


def project_ensemble(dataset: Dataset, scenario: Scenario | None = None, draws: int = 100, seed: int = 0,
                     end_year: int | None = None, quantiles=DEFAULT_QUANTILES, noise: bool = False,
                     keep_draws: bool = False, chunk: int | None = None, municipality_years=None,
                     scheduler=None, progress=None) -> Ensemble:
    """Run ``draws`` Monte Carlo draws of a scenario and summarise them by quantiles.

    Parameters: ``noise`` adds Poisson noise to flows of municipalities under
    :data:`SMALL_MUNICIPALITY` inhabitants; ``keep_draws`` keeps every draw of the national
    and county results; ``chunk`` draws go to the kernel at once (default :func:`default_chunk`;
    the kernel runs draws in blocks of ``LANES``, so a chunk that is a multiple of it wastes nothing);
    ``scheduler`` is a Dask ``distributed.Client`` (or address, or ``"local"``) to spread chunks over a
    cluster -- the result is identical to the local run for the same seed; ``seed``: 0 to 2**32 - 1.

    Memory is flat in ``draws``: each chunk's aggregates go to a
    :class:`~helsemod_py._drawstore.DrawStore` (in memory up to 256 MB, beyond that an unnamed
    temporary file in TMPDIR, about 122 kB a draw for real-size Norway) whose quantiles are exact
    (``np.quantile`` of all draws, bit for bit); ``keep_draws`` keeps them all in memory instead.
    Every draw must keep its parameters within their ranges (:func:`helsemod_py.checks.check_draws`)
    and give finite numbers, or the run is refused.
    """
    if draws < 1:
        raise HelsemodError(f"draws {draws}: must be at least 1")
    _check_seed(seed)
    if not all(0.0 <= float(q) <= 1.0 for q in quantiles):
        raise HelsemodError(f"quantiles {quote(list(quantiles))}: each must be between 0 and 1")
    end_year = end_year or (scenario.end_year if scenario is not None else None) or DEFAULT_END_YEAR
    prep = _prepare(dataset, scenario, end_year, noise)
    years = prep.inputs.years
    mun_years = [len(years) - 1] if municipality_years is None else [year_index(y, years, "municipality_years")
                                                                      for y in municipality_years]
    chunk = chunk or default_chunk()
    if chunk < 1:
        raise HelsemodError(f"chunk {chunk}: must be at least 1")
    chunks = [range(i, min(i + chunk, draws)) for i in range(0, draws, chunk)]
    if scheduler is not None:
        parts = _run_dask(dataset, scenario, end_year, noise, chunks, seed, mun_years, scheduler)
    else:
        parts = (run_draws(prep, list(ch), seed, mun_years) for ch in chunks)
    n_cty = len(dataset.regions.counties)
    shapes = {"nation": (len(years), len(D.GROUPS), len(ENSEMBLE_VARIABLES)),
              "county": (len(years), n_cty, len(D.GROUPS), len(ENSEMBLE_VARIABLES)),
              "municipality": (len(mun_years), len(dataset.regions), len(D.GROUPS))}
    try:
        with DrawStore(shapes, draws, keep=keep_draws) as store:
            for ch, part in zip(chunks, parts):  # in draw order; each chunk's values go to the store
                _check_finite(part, ch, scenario)
                store.add(ch.start, dict(zip(shapes, part)))
                if progress:
                    progress(len(ch))
            qs = store.quantiles(quantiles)
            kept = store.values() if keep_draws else None
    finally:
        parts.close()  # a Dask cluster of our own is shut down even when a chunk fails
    q = np.asarray(quantiles, dtype=float)
    return _ensemble(qs, kept, q, years, mun_years, dataset, draws, seed, scenario,
                     {"noise": noise, "chunk": chunk, "uncertain": [u.id for u in prep.uncertain]})


def _check_seed(seed) -> None:
    seeds.check_seed(seed)


def _check_finite(part, draws, scenario) -> None:
    """Refuse a run whose draws give values that are not finite numbers (never written or printed)."""
    for name, arr in zip(("nation", "county", "municipality"), part):
        if not np.isfinite(arr).all():
            d = draws[int(np.argwhere(~np.isfinite(arr))[0][0])]
            raise HelsemodError(f"draw {d} of scenario {quote(getattr(scenario, 'name', 'baseline'))} gives a {name} "
                                "result that is not a finite number; check the scenario's measures and uncertainty")


def _ensemble(qs, kept, q, years, mun_years, dataset, draws, seed, scenario, meta) -> "Ensemble":
    """The :class:`Ensemble` of the quantiles ``qs`` (and every draw, ``kept``)."""
    groups = list(D.GROUPS)
    variables = list(ENSEMBLE_VARIABLES)
    counties = list(dataset.regions.counties)
    cnames = [dataset.regions.county_names.get(c, c) for c in counties]
    nat_da = xr.DataArray(qs["nation"], dims=("quantile", "year", "group", "variable"),
                          coords={"quantile": q, "year": years, "group": groups, "variable": variables},
                          attrs={"unit": "FTE"})
    cty_da = xr.DataArray(qs["county"], dims=("quantile", "year", "region", "group", "variable"),
                          coords={"quantile": q, "year": years, "region": counties, "group": groups,
                                  "variable": variables}, attrs={"unit": "FTE"}).assign_coords(
        region_name=("region", cnames))
    mun_da = xr.DataArray(qs["municipality"], dims=("quantile", "year", "region", "group"),
                          coords={"quantile": q, "year": years[mun_years], "region": list(dataset.regions.codes),
                                  "group": groups}, attrs={"unit": "FTE", "variable": "gap"}).assign_coords(
        county=("region", list(dataset.regions.county_codes)))
    out = Ensemble(nat_da, cty_da, mun_da, draws, seed, scenario.name if scenario is not None else "baseline",
                   meta=meta)
    if kept is not None:
        out.draws_nation = xr.DataArray(kept["nation"], dims=("draw", "year", "group", "variable"),
                                        coords={"draw": np.arange(draws), "year": years, "group": groups,
                                                "variable": variables})
        out.draws_county = xr.DataArray(kept["county"], dims=("draw", "year", "region", "group", "variable"),
                                        coords={"draw": np.arange(draws), "year": years, "region": counties,
                                                "group": groups, "variable": variables})
    return out


def _chunk_task(dataset, scenario, end_year, noise, draws, seed, mun_years, values=None):
    prep = _prepare(dataset, scenario, end_year, noise)
    return run_draws(prep, draws, seed, mun_years, values=values)


#: Seconds to wait for a Dask scheduler before giving up (a wrong address fails fast).
CONNECT_TIMEOUT_S = 10


def _connect(address: str):
    """A Dask client of the scheduler at ``address``; one line (HelsemodError) where there is none."""
    import socket

    from dask.distributed import Client

    m = re.match(r"^(?:tcp://)?(\[[0-9A-Fa-f:.]+\]|[^:/\[\]]+):(\d{1,5})$", address)
    try:
        if m:  # a plain TCP address: is anything listening? (seconds, not Dask's minute of retries)
            socket.create_connection((m.group(1).strip("[]"), int(m.group(2))), timeout=CONNECT_TIMEOUT_S).close()
        return Client(address, timeout=CONNECT_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is one line
        if isinstance(exc, (TimeoutError, socket.timeout)):
            why = f"no answer within {CONNECT_TIMEOUT_S} s"
        elif isinstance(exc, OSError) and getattr(exc, "errno", None):
            why = _paths.reason(exc)
        else:  # something answered, but not a Dask scheduler (its reply made no sense)
            why = f"what answers is not a Dask scheduler: {type(exc).__name__}"
        raise HelsemodError(f"scheduler {quote(address)}: cannot connect ({why}); check the address, or use "
                            "--scheduler local") from None


def _run_dask(dataset, scenario, end_year, noise, chunks, seed, mun_years, scheduler, values=None):
    """Run chunks of draws as Dask tasks; yields their results in draw order, one at a time (a
    result is released once taken). ``values``: one dict of design values per chunk (sensitivity) or None."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - optional dependency
        raise HelsemodError("Dask is not installed: pip install 'helsemod_py[dask]'") from None
    own = None
    client = scheduler
    if isinstance(scheduler, str):
        if scheduler == "local":
            own = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(own)
        else:
            client = _connect(scheduler)
    try:
        ds_f = client.scatter(dataset, broadcast=True, hash=False)  # a key of its own: no release of an earlier
        # scatter of the same dataset can take it away ("lost dependencies")
        futures = [client.submit(_chunk_task, ds_f, scenario, end_year, noise, list(ch), seed, mun_years,
                                 None if values is None else values[i], pure=False)
                   for i, ch in enumerate(chunks)]
        for i, fut in enumerate(futures):
            part = fut.result()
            futures[i] = None  # release the result on the cluster
            yield part
    finally:
        if own is not None or isinstance(scheduler, str):
            client.close()
        if own is not None:
            own.close()


def sensitivity(dataset: Dataset, scenario: Scenario, params=None, method: str = "sobol", samples: int = 64,
                seed: int = 0, year: int | None = None, group: str | None = None, end_year: int | None = None,
                progress=None, scheduler=None):
    """Global sensitivity (SALib) of the national gap in ``year`` to the scenario's uncertain
    parameters (``params``: ids of ``uncertainty`` entries; default all).

    Each sample sets every chosen entry to one value for all its cells (the entry's quantile
    of a uniform design point), the others to their median. ``method``: ``sobol`` (Saltelli
    design with ``samples`` base points; first-order S1 and total ST with confidence) or
    ``morris`` (``samples`` trajectories; mu_star and sigma). ``scheduler``: as in
    :func:`project_ensemble` (the design points are split into chunks run on the cluster, with
    the same result). Returns a DataFrame, one row per parameter, sorted by importance, and the
    number of model runs in ``attrs["runs"]``.
    """
    import pandas as pd

    entries = {u.id: u for u in scenario.uncertainty}
    if not entries:
        raise HelsemodError(f"scenario {scenario.name!r} has no uncertainty entries to analyse")
    params = list(params) if params else list(entries)
    unknown = [p for p in params if p not in entries]
    if unknown:
        raise HelsemodError(f"unknown uncertain parameter(s) {', '.join(unknown)} (allowed: {', '.join(entries)})")
    if method not in ("sobol", "morris"):
        raise HelsemodError(f"method {method!r}: allowed sobol, morris")
    if group is not None:
        from .aliases import resolve

        group = resolve("group", group)
    _check_seed(seed)
    problem = {"num_vars": len(params), "names": params, "bounds": [[0.0, 1.0]] * len(params)}
    if method == "sobol":
        from SALib.analyze import sobol as analyze
        from SALib.sample import sobol as sampler

        design = sampler.sample(problem, samples, calc_second_order=False, seed=seed)
    else:
        from SALib.analyze import morris as analyze
        from SALib.sample import morris as sampler

        design = sampler.sample(problem, samples, num_levels=4, seed=seed)
    u = np.clip(design, 0.001, 0.999)
    values = {p: entries[p].distribution.ppf(u[:, i]) for i, p in enumerate(params)}
    for pid, entry in entries.items():
        if pid not in values:
            values[pid] = np.full(len(u), float(entry.distribution.ppf(0.5)))
    end_year = end_year or scenario.end_year or DEFAULT_END_YEAR
    year = year or end_year
    prep = _prepare(dataset, scenario, end_year, noise=False)
    t = year_index(year, prep.inputs.years)
    y = np.empty(len(u))
    chunk = default_chunk()
    chunks = [list(range(start, min(start + chunk, len(u)))) for start in range(0, len(u), chunk)]
    chunk_values = [{k: v[idx] for k, v in values.items()} for idx in chunks]
    if scheduler is not None:
        parts = _run_dask(dataset, scenario, end_year, False, chunks, seed, [t], scheduler, chunk_values)
    else:
        parts = (run_draws(prep, idx, seed, [t], values=vals) for idx, vals in zip(chunks, chunk_values))
    try:
        for idx, (nation, _, _) in zip(chunks, parts):
            gap = nation[:, t, :, 2]
            y[idx] = gap[:, D.GROUPS.index(group)] if group else gap.sum(axis=1)
            if progress:
                progress(len(idx))
    finally:
        parts.close()  # a Dask cluster of our own is shut down even when a chunk fails
    if not np.isfinite(y).all():
        raise HelsemodError(f"sensitivity of scenario {quote(scenario.name)}: some design points give a gap that is "
                            "not a finite number; check the scenario's measures and uncertainty")
    if method == "sobol":
        res = analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        frame = pd.DataFrame({"parameter": params, "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                              "ST_conf": res["ST_conf"]}).sort_values("ST", ascending=False)
    else:
        res = analyze.analyze(problem, design, y, num_levels=4, seed=seed)
        frame = pd.DataFrame({"parameter": params, "mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"],
                              "sigma": res["sigma"]}).sort_values("mu_star", ascending=False)
    frame = frame.reset_index(drop=True)
    frame.attrs.update(runs=len(u), method=method, year=int(year), group=group or "all",
                       output="national gap (FTE)", output_mean=float(y.mean()), output_sd=float(y.std()))
    return frame


def quantile_table(ens: Ensemble):
    """Long table of an ensemble: level, region, group, year, variable, quantile, value, unit."""
    import pandas as pd

    frames = []
    nat = ens.nation.to_dataframe(name="value").reset_index()
    nat["region"], nat["level"] = D.NATION_CODE, "nation"
    frames.append(nat)
    cty = ens.county.drop_vars("region_name").to_dataframe(name="value").reset_index()
    cty["level"] = "county"
    frames.append(cty)
    mun = ens.municipality.drop_vars("county").to_dataframe(name="value").reset_index()
    mun["level"], mun["variable"] = "municipality", "gap"
    frames.append(mun)
    out = pd.concat(frames, ignore_index=True)
    out["unit"] = "FTE"
    out["scenario"] = ens.scenario
    return out[["scenario", "level", "region", "group", "year", "variable", "quantile", "value", "unit"]]
