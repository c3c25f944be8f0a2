"""Dataset + scenario -> time-expanded model inputs -> kernels -> labelled projection.

Data flow is one way: :class:`~helsemod_py.data.dataset.Dataset` →
:func:`build_inputs` (:class:`ModelInputs`, broadcast views along time) → a scenario
modifies a copy → the numba kernels in :mod:`helsemod_py.core` → :class:`Projection`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

import numpy as np

from . import dims as D
from .core import project_demand, project_population, project_supply
from .core.trends import fertility_path, mortality_path
from .data.dataset import Dataset
from .errors import HelsemodError
from .results import Projection
from .trends import DEFAULT_COVERAGE_TREND, coverage_user_rate, trend_path

DEFAULT_END_YEAR = 2035
MAX_END_YEAR = 2050

_W0, _W1 = D.WORK_AGE_MIN, D.WORK_AGE_MAX + 1


@dataclass
class ModelInputs:
    """Every array the kernels read, with time axes (``T`` steps, ``T+1`` years).

    Arrays are read-only broadcast views of the dataset until something changes them;
    :meth:`writable` returns a full, writable copy of one array for a scenario to edit.
    Units are those of :mod:`helsemod_py.data.schema`; shapes in the field comments.
    """

    years: np.ndarray  # [T+1] calendar years base..end
    population0: np.ndarray  # [R, S, A] persons
    fertility: np.ndarray  # [T, R, A]
    mortality: np.ndarray  # [T, R, S, A]
    net_migration: np.ndarray  # [T, R, S, A]
    male_share_at_birth: float
    external_population: np.ndarray | None  # [T+1, R, S, A] or None (cohort-component)
    stock0: np.ndarray  # [R, G, S, Aw] persons
    migration_between_counties: np.ndarray  # [T, R, S, Aw] /1 per year
    migration_within_county: np.ndarray  # [T, R, S, Aw] /1 per year
    workforce_migration_factor: float  # on net migration between counties
    workforce_local_migration_factor: float  # on net migration within the county
    exit_rate: np.ndarray  # [T, R, G, S, Aw]
    transition_rate: np.ndarray  # [T, R, K, S, Aw]
    graduates: np.ndarray  # [T, R, G] persons per year
    graduate_age_dist: np.ndarray  # [G, S, Aw]
    immigrants: np.ndarray  # [T, R, G] persons per year
    immigrant_age_dist: np.ndarray  # [G, S, Aw]
    recruits: np.ndarray  # [T, R, G, S, Aw] persons per year placed by measures (zero in the baseline)
    participation: np.ndarray  # [T+1, R, G, S, Aw]
    share_in_health_care: np.ndarray  # [T+1, R, G, S, Aw]
    sector_share: np.ndarray  # [T+1, R, Q, G] share of health-care FTE by sector of work
    avg_fte: np.ndarray  # [T+1, R, G, S, Aw]
    sick_leave: np.ndarray  # [T+1, R, G]
    user_rate: np.ndarray  # [T+1, R, K, S, A]
    base_demand_fte: np.ndarray  # [R, K, G]
    intensity: np.ndarray  # [T+1, R, K] FTE per user relative to base (standard growth, productivity)
    staff_mix: np.ndarray  # [T+1, R, K, G] relative change in FTE per user by group
    notes: list[str] = field(default_factory=list)

    @property
    def n_steps(self) -> int:
        return len(self.years) - 1

    def copy(self) -> "ModelInputs":
        """A shallow copy: arrays are shared until :meth:`writable` replaces one."""
        return dataclasses.replace(self, notes=list(self.notes))

    def workforce_migration(self) -> np.ndarray:
        """Net internal migration rate of the workforce ``[T, R, S, Aw]``: moves between counties
        (``migration_between_counties`` x ``workforce_migration_factor``, they take the job along)
        plus moves within the county (``migration_within_county`` x
        ``workforce_local_migration_factor``, mostly commuting distance). Migration from abroad
        enters supply through ``immigrants`` alone."""
        between = self.migration_between_counties * self.workforce_migration_factor
        return between + self.migration_within_county * self.workforce_local_migration_factor

    def writable(self, name: str) -> np.ndarray:
        """Replace field ``name`` by a full writable copy and return it (for scenario edits)."""
        arr = np.array(getattr(self, name), dtype=np.float64, copy=True)
        setattr(self, name, arr)
        return arr


def _along(arr: np.ndarray, n: int) -> np.ndarray:
    """A read-only view of ``arr`` repeated ``n`` times along a new leading (time) axis."""
    return np.broadcast_to(arr, (n,) + arr.shape)


def build_inputs(dataset: Dataset, end_year: int = DEFAULT_END_YEAR,
                 external_population: np.ndarray | None = None) -> ModelInputs:
    """Expand a dataset to the kernels' inputs for the years ``base_year..end_year``.

    Mortality and fertility follow the dataset's trends (``mortality_decline``,
    ``fertility_trend``; zero = constant rates); a scenario's assumptions may change that.

    ``external_population`` (persons ``[T+1, R, S, A]`` for those years) replaces the
    cohort-component projection as the demand driver. User rates follow the dataset's
    ``coverage_trend`` as :data:`~helsemod_py.trends.DEFAULT_COVERAGE_TREND` says (a scenario's
    ``assumptions.coverage_trend`` may choose otherwise).
    """
    base = dataset.base_year
    if not (base < end_year <= MAX_END_YEAR):
        raise HelsemodError(f"end year {end_year}: must be after the base year {base} and at most {MAX_END_YEAR}")
    years = np.arange(base, end_year + 1)
    n1 = len(years)
    n = n1 - 1
    ds = dataset
    if external_population is not None:
        want = (n1,) + ds["population"].shape
        if external_population.shape != want:
            raise HelsemodError(f"external population has shape {external_population.shape}, needs {want} "
                                f"(years {base}-{end_year}, regions, sexes, ages)")
    sr = ds.scalars["sex_ratio_at_birth"]
    return ModelInputs(
        years=years,
        population0=ds["population"],
        fertility=fertility_path(ds["fertility"], ds["fertility_trend"], ds.scalars["fertility_damping"], n),
        mortality=mortality_path(ds["mortality"], ds["mortality_decline"], n),
        net_migration=_along(ds["net_migration"], n),
        male_share_at_birth=sr / (1.0 + sr),
        external_population=external_population,
        stock0=ds["stock"],
        migration_between_counties=_along(ds["migration_between_counties"], n),
        migration_within_county=_along(ds["migration_within_county"], n),
        workforce_migration_factor=ds.scalars["workforce_migration_factor"],
        workforce_local_migration_factor=ds.scalars["workforce_local_migration_factor"],
        exit_rate=_along(ds["exit_rate"], n),
        transition_rate=_along(ds["transition_rate"], n),
        graduates=_along(ds["graduates"][None, :] * ds["graduate_region_share"], n),
        graduate_age_dist=ds["graduate_age_dist"],
        immigrants=_along(ds["immigrants"][None, :] * ds["immigrant_region_share"], n),
        immigrant_age_dist=ds["immigrant_age_dist"],
        recruits=np.broadcast_to(np.zeros(1), (n, len(ds.regions), len(D.GROUPS), len(D.SEXES), len(D.WORK_AGES))),
        participation=_along(ds["participation"], n1),
        share_in_health_care=_along(ds["share_in_health_care"], n1),
        sector_share=_along(ds["sector_share"], n1),
        avg_fte=_along(ds["avg_fte"], n1),
        sick_leave=_along(ds["sick_leave"], n1),
        user_rate=coverage_user_rate(ds["user_rate"], ds["coverage_trend"], trend_path(n1, DEFAULT_COVERAGE_TREND)),
        base_demand_fte=ds["base_demand_fte"],
        intensity=np.broadcast_to(
            ((1.0 + ds["standard_growth"])[None, :] ** np.arange(n1)[:, None])[:, None, :],
            (n1, len(ds.regions), len(D.SERVICES))),
        staff_mix=np.broadcast_to(np.ones(1), (n1, len(ds.regions), len(D.SERVICES), len(D.GROUPS))),
    )


#: The inputs each kernel reads (besides the demand driver, which is the population's output or
#: ``external_population``): what a change to an input makes to run again.
POPULATION_FIELDS = ("population0", "fertility", "mortality", "net_migration", "male_share_at_birth")
SUPPLY_FIELDS = ("stock0", "mortality", "migration_between_counties", "migration_within_county",
                 "workforce_migration_factor", "workforce_local_migration_factor", "exit_rate", "transition_rate",
                 "graduates", "graduate_age_dist", "immigrants", "immigrant_age_dist", "recruits", "participation",
                 "share_in_health_care", "avg_fte", "sick_leave")
DEMAND_FIELDS = ("external_population", "user_rate", "base_demand_fte", "intensity", "staff_mix")


def run_population(inp: ModelInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Population kernel: ``(population, flows, demand driver)`` (the driver is the projected
    population, or ``external_population`` where given)."""
    pop, pop_flows = project_population(inp.population0, inp.fertility, inp.mortality, inp.net_migration,
                                        inp.male_share_at_birth)
    driver = pop if inp.external_population is None else np.asarray(inp.external_population, dtype=np.float64)
    return pop, pop_flows, driver


def run_supply(inp: ModelInputs, keep_stock: bool = False, migration: np.ndarray | None = None):
    """Supply kernel: ``(stock, flows, totals)`` (see :func:`helsemod_py.core.project_supply`);
    ``migration``: :meth:`ModelInputs.workforce_migration` where already computed."""
    src, dst = D.transition_index()
    migration = inp.workforce_migration() if migration is None else migration
    return project_supply(
        inp.stock0, inp.mortality[..., _W0:_W1], migration, inp.exit_rate, src, dst, inp.transition_rate,
        inp.graduates, inp.graduate_age_dist, inp.immigrants, inp.immigrant_age_dist,
        inp.participation, inp.share_in_health_care, inp.avg_fte, inp.sick_leave, keep_stock=keep_stock,
        recruits=inp.recruits)


def run_demand(inp: ModelInputs, driver: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Demand kernel: ``(users, demand FTE)`` driven by ``driver`` (persons)."""
    return project_demand(driver, inp.user_rate, inp.base_demand_fte, inp.intensity, inp.staff_mix)


def run_kernels(inp: ModelInputs, keep_stock: bool = False) -> dict[str, np.ndarray]:
    """Run population, supply and demand kernels; return plain arrays (no labels)."""
    pop, pop_flows, driver = run_population(inp)
    stock, flows, totals = run_supply(inp, keep_stock)
    users, demand = run_demand(inp, driver)
    out = {"population": pop, "population_flows": pop_flows, "demand_population": driver,
           "supply_flows": flows, "supply_totals": totals, "users": users, "demand_fte": demand,
           "sector_share": np.asarray(inp.sector_share)}
    if keep_stock:
        out["stock"] = stock
    return out


#: Results that must be finite numbers (each ``[year, region, ...]``).
_FINITE = ("population", "supply_totals", "users", "demand_fte")


def _check_finite(arrays: dict, years, regions, name: str) -> None:
    """Refuse results that are not finite numbers (never written, printed or put in JSON)."""
    for key in _FINITE:
        arr = arrays[key]
        bad = ~np.isfinite(arr)
        if bad.any():
            pos = np.argwhere(bad)[0]
            raise HelsemodError(f"scenario {name!r}: {key} is not a finite number in {int(years[pos[0]])}, region "
                                f"{regions.codes[pos[1]]} ({int(bad.sum())} value(s)); a change or input takes the "
                                "model beyond what it can compute")


def project(dataset: Dataset, scenario=None, end_year: int | None = None, *,
            external_population: np.ndarray | None = None, keep_stock: bool = False):
    """Project population, personnel supply, demand and the gap for every region and year.

    Parameters
    ----------
    dataset : the base-year data (:func:`helsemod_py.load_dataset`).
    scenario : ``None`` for the baseline, a scenario file's path, or a scenario whose
        ``apply(inputs)`` returns changed :class:`ModelInputs` (the baseline inputs are never
        modified).
    end_year : last projected year (default: the scenario's, else 2035; at most 2050).
    external_population : persons ``[years, regions, sexes, ages]`` to drive demand instead
        of the cohort-component projection (e.g. SSB's main alternative MMMM).
    keep_stock : also return the supply stock by sex and age (``Projection.stock``).

    Returns
    -------
    Projection : labelled results (``population``, ``supply_fte``, ``demand_fte``, ``gap``, …)
        in persons and FTE, aggregable to county and nation.

    ``hm.project`` (:func:`helsemod_py.api.project`) is this function, or with ``draws`` an ensemble.
    """
    if isinstance(scenario, (str, os.PathLike)):
        from .scenario import Scenario

        scenario = Scenario.from_yaml(scenario)
    if end_year is None:
        end_year = getattr(scenario, "end_year", None) or DEFAULT_END_YEAR
    inputs = build_inputs(dataset, end_year, external_population)
    name = "baseline"
    if scenario is not None:
        inputs = scenario.apply(inputs, dataset)  # returns a changed copy
        name = getattr(scenario, "name", "scenario")
    arrays = run_kernels(inputs, keep_stock=keep_stock)
    _check_finite(arrays, inputs.years, dataset.regions, name)
    proj = Projection.from_arrays(arrays, years=inputs.years, regions=dataset.regions, scenario=name,
                                  dataset_name=dataset.name, dataset_hash=dataset.hash,
                                  catchment=dataset.catchment(), supply_source=dataset["supply_source"])
    proj.data.attrs["synthetic"] = bool(dataset.meta.get("synthetic", False))
    # what is synthetic and where each fact comes from, so that a results folder describes its data
    proj.data.attrs["dataset_meta"] = dict(dataset.meta, name=dataset.name)
    return proj
