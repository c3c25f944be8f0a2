"""Test helpers: a small, valid, random :class:`~helsemod_py.data.dataset.Dataset`.

``make_dataset`` builds every parameter of :data:`helsemod_py.data.schema.PARAMETERS` at
its full shape with realistic values inside the schema's ranges:

* population by one-year age with a declining old-age profile (whole persons);
* mortality from a Gompertz curve (well below 0.1 before age 80, 0.5 in the open group);
* net migration in [-0.05, 0.05]; fertility only at ages 15-49 (total rate 1.2-2.0);
* mortality falling 1.5 % a year (0.5 % at 105+), fertility trends of -2 % to +1 % a year;
* shares and age distributions summing to one where ``spec.sums_to_one`` says so;
* transition rates small enough that the rates out of every group sum to well below 1;
* positive base-year demand.

Values are stored with at most ``digits`` significant digits (default 8), as numbers read
from a file would be; pass ``digits=None`` for full double precision.
"""

from __future__ import annotations

import numpy as np

from helsemod_py import dims as D
from helsemod_py.data.dataset import Dataset
from helsemod_py.data.schema import PARAMETERS, shape

BASE_YEAR = 2024


def region_codes(n_regions: int, n_counties: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Municipality codes ("0101", "0102", "0201", ...) and their county codes ("01", ...).

    Municipalities are spread over the counties in contiguous blocks, every county gets one.
    """
    if not (1 <= n_counties <= n_regions):
        raise ValueError("need 1 <= n_counties <= n_regions")
    county_of = [i * n_counties // n_regions for i in range(n_regions)]
    codes, counties, seen = [], [], {}
    for c in county_of:
        cc = f"{c + 1:02d}"
        seen[cc] = seen.get(cc, 0) + 1
        codes.append(f"{cc}{seen[cc]:02d}")
        counties.append(cc)
    return tuple(codes), tuple(counties)


def make_regions(n_regions: int = 4, n_counties: int = 2) -> D.Regions:
    codes, counties = region_codes(n_regions, n_counties)
    return D.Regions(
        codes=codes,
        names=tuple(f"Kommune {c}" for c in codes),
        county_codes=counties,
        county_names={c: f"Fylke {c}" for c in dict.fromkeys(counties)},
    )


def short(arr: np.ndarray, digits: int | None = 8) -> np.ndarray:
    """``arr`` with every value rounded to ``digits`` significant (decimal) digits."""
    arr = np.asarray(arr, dtype=np.float64)
    if digits is None:
        return arr.copy()
    return np.array([float(f"{v:.{digits}g}") for v in arr.ravel()]).reshape(arr.shape)


def _normalise(arr: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return arr / arr.sum(axis=axes, keepdims=True)


def gompertz(level: float, ages: np.ndarray) -> np.ndarray:
    """One-year death probabilities by age: small before old age, 0.5 in the open group."""
    q = 0.0003 + level * np.exp(0.1 * ages)
    q[0] = 0.002
    q = np.minimum(q, 0.6)
    q[-1] = 0.5
    return q


def make_arrays(regions: D.Regions, rng: np.random.Generator, digits: int | None = 8) -> dict[str, np.ndarray]:
    """Every parameter array, full shape, valid and realistic (see module docstring)."""
    codes = regions.codes
    R, S, G, K, T = len(codes), len(D.SEXES), len(D.GROUPS), len(D.SERVICES), len(D.TRANSITIONS)
    ages = D.AGES.astype(float)
    work = D.WORK_AGES.astype(float)
    A, W = len(ages), len(work)
    a: dict[str, np.ndarray] = {}

    # --- population --------------------------------------------------------------------
    size = rng.uniform(20, 300, size=(R, 1, 1))
    profile = np.where(ages < 60, 1.0, np.exp(-0.004 * (ages - 60) ** 2))
    a["population"] = np.round(size * profile * rng.uniform(0.7, 1.3, size=(R, S, A)))
    fert = np.zeros((R, A))
    fertile = (D.AGES >= D.FERTILE_AGE_MIN) & (D.AGES <= D.FERTILE_AGE_MAX)
    dens = np.exp(-0.5 * ((ages[fertile] - 31.0) / 5.5) ** 2)
    fert[:, fertile] = rng.uniform(1.2, 2.0, size=(R, 1)) * dens / dens.sum()
    a["fertility"] = fert
    level = rng.uniform(1e-5, 3e-5, size=(R, S))
    a["mortality"] = np.stack([np.stack([gompertz(level[r, s], ages) for s in range(S)]) for r in range(R)])
    a["net_migration"] = rng.uniform(-0.05, 0.05, size=(R, S, A))
    a["migration_between_counties"] = rng.uniform(-0.02, 0.02, size=(R, S, W))
    a["migration_within_county"] = rng.uniform(-0.02, 0.02, size=(R, S, W))
    # trends (deterministic, so the random draws above and below stay as they were)
    decline = 0.015 - 0.01 * np.clip((ages - 80.0) / 25.0, 0.0, 1.0)
    a["mortality_decline"] = np.broadcast_to(decline, (R, S, A)).copy()
    a["fertility_trend"] = np.linspace(-0.02, 0.01, R)

    # --- supply --------------------------------------------------------------------------
    stock = rng.uniform(0, 60, size=(R, G, S, W))
    stock[rng.random(stock.shape) < 0.05] = 0.0  # some empty cells
    a["stock"] = np.round(stock)
    exit_rate = rng.uniform(0.0, 0.04, size=(R, G, S, W))
    exit_rate[..., work >= 62] += rng.uniform(0.05, 0.3, size=(R, G, S, int((work >= 62).sum())))
    a["exit_rate"] = exit_rate
    a["transition_rate"] = rng.uniform(0.0, 0.05, size=(R, T, S, W))  # <= 0.2 out of any group
    age_pdf = np.exp(-0.5 * ((work - 27.0) / 6.0) ** 2)[None, None, :] * rng.uniform(0.5, 1.5, size=(G, S, W))
    a["graduates"] = np.round(rng.uniform(10, 500, size=G))
    a["graduate_age_dist"] = _normalise(age_pdf, (1, 2))
    a["graduate_region_share"] = _normalise(rng.uniform(0.1, 1.0, size=(R, G)), (0,))
    a["immigrants"] = np.round(rng.uniform(0, 100, size=G))
    imm_pdf = np.exp(-0.5 * ((work - 33.0) / 8.0) ** 2)[None, None, :] * rng.uniform(0.5, 1.5, size=(G, S, W))
    a["immigrant_age_dist"] = _normalise(imm_pdf, (1, 2))
    a["immigrant_region_share"] = _normalise(rng.uniform(0.1, 1.0, size=(R, G)), (0,))
    a["participation"] = rng.uniform(0.6, 0.95, size=(R, G, S, W))
    a["share_in_health_care"] = rng.uniform(0.3, 0.95, size=(R, G, S, W))
    a["sector_share"] = _normalise(rng.uniform(0.05, 1.0, size=(R, len(D.SECTORS), G)), (1,))
    a["supply_source"] = rng.integers(0, 3, size=(R, len(D.SECTORS), G)).astype(float)
    a["avg_fte"] = rng.uniform(0.6, 1.0, size=(R, G, S, W))
    a["sick_leave"] = rng.uniform(0.03, 0.12, size=(R, G))

    # --- demand -------------------------------------------------------------------------
    age_use = 0.02 + 0.3 * (ages / ages[-1]) ** 3
    a["user_rate"] = np.clip(age_use[None, None, None, :] * rng.uniform(0.5, 1.5, size=(R, K, S, A)), 0, 1)
    a["base_demand_fte"] = rng.uniform(0.5, 40.0, size=(R, K, G))
    a["standard_growth"] = rng.uniform(-0.01, 0.02, size=K)
    a["coverage_trend"] = np.zeros((R, K, A))  # no draw: tests that need a trend set one (ds.replace)

    out = {}
    for name, spec in PARAMETERS.items():
        arr = short(a[name], digits)
        want = shape(spec, codes)
        if arr.shape != want:  # pragma: no cover - guards the helper against schema changes
            raise AssertionError(f"test helper built {name} with shape {arr.shape}, schema wants {want}")
        out[name] = arr
    missing = set(PARAMETERS) - set(out)
    if missing:  # pragma: no cover
        raise AssertionError(f"test helper misses parameters {sorted(missing)}")
    return out


def make_dataset(n_regions: int = 4, n_counties: int = 2, seed: int = 0, *, digits: int | None = 8,
                 base_year: int = BASE_YEAR) -> Dataset:
    """A small valid random dataset (validated before it is returned)."""
    regions = make_regions(n_regions, n_counties)
    rng = np.random.default_rng(seed)
    ds = Dataset(
        regions=regions,
        base_year=base_year,
        arrays=make_arrays(regions, rng, digits),
        scalars={"sex_ratio_at_birth": 1.05, "workforce_migration_factor": 1.0,
                 "workforce_local_migration_factor": 1.0, "fertility_damping": 0.8},
        name="testdata",
        version="1",
        meta={"synthetic": True},
    )
    return ds.validate()
