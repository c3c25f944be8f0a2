"""The model end to end: aggregation, gap, tidy tables, year checks, external population."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import make_dataset
from helsemod_py import dims as D
from helsemod_py.core import project_demand
from helsemod_py.errors import HelsemodError
from helsemod_py.model import MAX_END_YEAR, build_inputs, project

BASE = 2024


def _close(a, b, rtol=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.nanmax(np.abs(b)) if np.isfinite(b).any() else 0.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True)


@st.composite
def sizes(draw):
    n_regions = draw(st.integers(1, 6))
    n_counties = draw(st.integers(1, min(3, n_regions)))
    return n_regions, n_counties


@given(size=sizes(), seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 4))
def test_municipalities_sum_to_counties_and_nation(size, seed, steps):
    ds = make_dataset(*size, seed=seed)
    p = project(ds, end_year=BASE + steps)
    county = p.aggregate("county")
    nation = p.aggregate("nation")
    assert (p.level, county.level, nation.level) == ("municipality", "county", "nation")
    counties = ds.regions.counties
    assert sorted(county.data["region"].values.tolist()) == sorted(counties)
    assert nation.data["region"].values.tolist() == [D.NATION_CODE]
    assert nation.data["region_name"].values.tolist() == [D.NATION_NAME]
    names = dict(zip(county.data["region"].values, county.data["region_name"].values))
    assert names == {c: ds.regions.county_names[c] for c in counties}
    of = np.array(ds.regions.county_codes)
    assert set(p.data.data_vars) == set(county.data.data_vars) == set(nation.data.data_vars)
    for name in p.data.data_vars:
        muni = p.data[name]
        assert county.data[name].dims == muni.dims == nation.data[name].dims, name
        assert county.data[name].attrs["unit"] == muni.attrs["unit"]
        ax = muni.dims.index("region")
        for c in counties:
            want = muni.values.compress(of == c, axis=ax).sum(axis=ax)
            got = county.data[name].sel(region=c).values
            _close(got, want)
        _close(nation.data[name].isel(region=0).values, muni.values.sum(axis=ax))
        _close(county.aggregate("nation").data[name].values, nation.data[name].values)
    # every year and group of the nation is there and finite (flows have no value for the last year)
    assert np.isfinite(nation.data["supply_fte"].values).all()
    assert np.isnan(nation.data["supply_flows"].values[-1]).all()
    assert np.isfinite(nation.data["supply_flows"].values[:-1]).all()


@given(size=sizes(), seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 4))
def test_gap_is_supply_minus_demand(size, seed, steps):
    """Per sector: supply minus the demand of the sector's services; over sectors: the pool's FTE
    in health care minus all demand."""
    p = project(make_dataset(*size, seed=seed), end_year=BASE + steps)
    for level in ("municipality", "county", "nation"):
        d = p.aggregate(level).data
        by_sector = d["demand_fte"].groupby("service_sector").sum("service").rename(service_sector="sector")
        _close(d["gap"].values, d["supply_fte"].values - by_sector.sel(sector=list(D.SECTORS)).values)
        assert d["gap"].dims == ("year", "region", "sector", "group")
        _close(d["gap"].sum("sector").values, d["supply_fte"].sum("sector").values - d["demand_fte"].sum("service").values)


def test_base_year_values_are_the_dataset(small_dataset):
    ds = small_dataset
    p = project(ds, end_year=BASE + 3)
    assert p.years.tolist() == list(range(BASE, BASE + 4))
    np.testing.assert_array_equal(p.population.values[0], ds["population"])
    _close(p.supply_persons.values[0], ds["stock"].sum(axis=(2, 3)))
    fte0 = (ds["stock"] * ds["participation"] * ds["share_in_health_care"] * ds["avg_fte"]).sum(axis=(2, 3))
    _close(p.supply_fte.values[0], (fte0 * (1 - ds["sick_leave"]))[:, None, :] * ds["sector_share"])
    _close(p.demand_fte.values[0], ds["base_demand_fte"])
    # demand grows with users times the standard growth per user
    users = p.users.values
    growth = (1 + ds["standard_growth"])[None, None, :] ** np.arange(4)[:, None, None]
    _close(p.demand_fte.values, ds["base_demand_fte"][None] * (users / users[0] * growth)[..., None])
    assert p.dataset_hash == ds.hash and p.scenario == "baseline"


def test_to_frame_columns_and_nation_values(small_dataset):
    p = project(small_dataset, end_year=BASE + 3)
    nation = p.aggregate("nation")
    frame = nation.to_frame()
    assert list(frame.columns) == list(D.LONG_COLUMNS)
    assert set(frame["variable"]) == {"supply_fte", "demand_fte", "gap"}
    assert (frame["region"] == D.NATION_CODE).all() and (frame["region_name"] == D.NATION_NAME).all()
    assert (frame["region_level"] == "nation").all() and (frame["scenario"] == "baseline").all()
    assert (frame["service"] == "all").all() and set(frame["sector"]) == set(D.SECTORS)
    years = p.years.tolist()
    assert len(frame) == 3 * len(years) * len(D.GROUPS) * len(D.SECTORS)
    muni = p.data
    demand_q = muni["demand_fte"].groupby("service_sector").sum("service").rename(service_sector="sector")
    expected = {
        "supply_fte": muni["supply_fte"].values.sum(axis=1),
        "demand_fte": demand_q.sel(sector=list(D.SECTORS)).values.sum(axis=1),
        "gap": muni["gap"].values.sum(axis=1),
    }
    for name, want in expected.items():
        rows = frame[frame["variable"] == name]
        assert (rows["unit"] == "FTE").all()
        for q, sector in enumerate(D.SECTORS):
            sub = rows[rows["sector"] == sector]
            table = sub.pivot(index="year", columns="group", values="value").loc[years, list(D.GROUPS)]
            _close(table.to_numpy(), want[:, q])


def test_municipal_tables_leave_out_the_specialist_sector_and_trusts_show_only_it(small_dataset):
    """A municipality reports its municipal services; a hospital trust its specialist services."""
    p = project(small_dataset, end_year=BASE + 2)
    muni = p.to_frame(variables=("supply_fte", "demand_fte", "gap"), by_service=True)
    assert set(muni["sector"]) == set(D.MUNICIPAL_SECTORS)
    assert "specialist" not in set(muni["service"])
    trust = p.aggregate("trust")
    frame = trust.to_frame()
    assert set(frame["sector"]) == {"specialist"} and (frame["region_level"] == "trust").all()
    w = p.catchment.weights
    _close(trust.gap.values, np.einsum("hr,tr...->th...", w, p.gap.values))
    assert p.total("gap").dims == ("year", "region", "group")
    _close(p.total("gap").values, p.gap.sel(sector=list(D.MUNICIPAL_SECTORS)).sum("sector").values)


def test_care_nurse_fte_and_provenance(small_dataset):
    """care_nurse_fte is the nurse groups' supply to municipal care; base-year FTE by provenance adds up."""
    p = project(small_dataset, end_year=BASE + 2)
    want = p.supply_fte.sel(sector="care", group=list(D.NURSE_GROUPS)).sum("group")
    _close(p.care_nurse_fte.values, want.values)
    frame = p.aggregate("county").to_frame(variables=("care_nurse_fte",))
    assert set(frame["sector"]) == {"care"} and (frame["unit"] == "FTE").all()
    by_source = p.base_fte_by_source.sum("source")
    _close(by_source.values, p.supply_fte.isel(year=0).values)
    prov = p.aggregate("county").provenance()
    assert set(prov["source"]) == {"synthetic", "estimated", "measured"}
    sums = prov.groupby(["region", "sector", "group"])["share"].sum()
    assert np.allclose(sums[sums > 0], 1.0)


def test_to_frame_by_service_and_municipalities(small_dataset):
    p = project(small_dataset, end_year=BASE + 2)
    frame = p.to_frame(variables=("demand_fte", "population"), by_service=True)
    assert list(frame.columns) == list(D.LONG_COLUMNS)
    dem = frame[frame["variable"] == "demand_fte"]
    municipal = [k for k in D.SERVICES if D.SERVICE_SECTOR[k] in D.MUNICIPAL_SECTORS]
    assert len(dem) == len(p.years) * 4 * len(municipal) * len(D.GROUPS)
    want = p.demand_fte.values
    for (r, region), (k, service) in [((0, "0101"), (0, D.SERVICES[0])), ((3, "0202"), (7, D.SERVICES[7]))]:
        rows = dem[(dem["region"] == region) & (dem["service"] == service)]
        assert (rows["region_name"] == f"Kommune {region}").all()
        table = rows.pivot(index="year", columns="group", values="value").loc[p.years, list(D.GROUPS)]
        _close(table.to_numpy(), want[:, r, k, :])
    pop = frame[frame["variable"] == "population"]
    assert (pop["group"] == "all").all() and (pop["service"] == "all").all() and (pop["unit"] == "persons").all()
    table = pop.pivot(index="year", columns="region", values="value").loc[p.years, list(small_dataset.regions.codes)]
    _close(table.to_numpy(), p.population.values.sum(axis=(2, 3)))


@pytest.mark.parametrize("end_year", [BASE, BASE - 1, MAX_END_YEAR + 1, 2100])
def test_end_year_outside_range(small_dataset, end_year):
    with pytest.raises(HelsemodError, match=str(end_year)):
        project(small_dataset, end_year=end_year)


def test_end_year_limits_inclusive(small_dataset):
    assert project(small_dataset, end_year=BASE + 1).years.tolist() == [BASE, BASE + 1]
    p = project(small_dataset, end_year=MAX_END_YEAR)
    assert p.years[-1] == MAX_END_YEAR and len(p.years) == MAX_END_YEAR - BASE + 1
    assert np.isfinite(p.gap.values).all()


def test_external_population_equal_to_projection_gives_identical_demand(small_dataset):
    p = project(small_dataset, end_year=BASE + 4)
    ext = p.population.values.copy()
    q = project(small_dataset, end_year=BASE + 4, external_population=ext)
    np.testing.assert_array_equal(q.demand_fte.values, p.demand_fte.values)
    np.testing.assert_array_equal(q.users.values, p.users.values)
    np.testing.assert_array_equal(q.gap.values, p.gap.values)


def test_external_population_drives_demand(small_dataset):
    ds = small_dataset
    p = project(ds, end_year=BASE + 4)
    rng = np.random.default_rng(3)
    ext = p.population.values * rng.uniform(0.8, 1.5, size=p.population.shape)
    q = project(ds, end_year=BASE + 4, external_population=ext)
    np.testing.assert_array_equal(q.demand_population.values, ext)
    np.testing.assert_array_equal(p.demand_population.values, p.population.values)
    # the cohort projection and supply do not depend on the demand driver
    np.testing.assert_array_equal(q.population.values, p.population.values)
    np.testing.assert_array_equal(q.supply_fte.values, p.supply_fte.values)
    inp = build_inputs(ds, BASE + 4)
    users, demand = project_demand(ext, inp.user_rate, inp.base_demand_fte, inp.intensity, inp.staff_mix)
    _close(q.users.values, users)
    _close(q.demand_fte.values, demand)
    assert not np.allclose(q.demand_fte.values[1:], p.demand_fte.values[1:])
    _close(q.gap.sum("sector").values, q.supply_fte.sum("sector").values - demand.sum(axis=2))


def test_external_population_of_wrong_shape(small_dataset):
    ext = np.ones((3,) + small_dataset["population"].shape)
    with pytest.raises(HelsemodError, match="external population"):
        project(small_dataset, end_year=BASE + 4, external_population=ext)


@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 4))
def test_doubling_stocks_and_flows_doubles_the_projection(seed, steps):
    ds = make_dataset(3, 2, seed=seed)
    doubled = ds.replace(**{k: 2 * ds[k] for k in ("population", "stock", "graduates", "immigrants",
                                                    "base_demand_fte")})
    p = project(ds, end_year=BASE + steps)
    q = project(doubled, end_year=BASE + steps)
    for name in ("population", "supply_persons", "supply_employed", "supply_headcount", "supply_fte",
                 "users", "demand_fte", "gap", "population_flows", "supply_flows"):
        _close(q.data[name].values, 2 * p.data[name].values, rtol=1e-9)


def test_keep_stock(small_dataset):
    p = project(small_dataset, end_year=BASE + 3, keep_stock=True)
    q = project(small_dataset, end_year=BASE + 3)
    assert "stock" in p.data and "stock" not in q.data
    np.testing.assert_array_equal(p.stock.values[0], small_dataset["stock"])
    _close(p.stock.values.sum(axis=(3, 4)), p.supply_persons.values)
    for name in q.data.data_vars:
        np.testing.assert_array_equal(p.data[name].values, q.data[name].values)
    _close(p.aggregate("county").stock.values.sum(axis=1), p.stock.values.sum(axis=1))


def test_workforce_migration_factors(small_dataset):
    """The workforce moves by the between-county and within-county components, each times its factor."""
    ds = small_dataset
    off = ds.replace()
    off.scalars.update(workforce_migration_factor=0.0, workforce_local_migration_factor=0.0)
    p = project(off, end_year=BASE + 3)
    mig = list(p.data["flow"].values).index("net_migration")
    np.testing.assert_array_equal(p.supply_flows.values[:-1, ..., mig], 0.0)
    base = project(ds, end_year=BASE + 3)
    assert np.abs(base.supply_flows.values[:-1, ..., mig]).sum() > 0
    double = ds.replace()
    double.scalars.update(workforce_migration_factor=2.0, workforce_local_migration_factor=2.0)
    d = project(double, end_year=BASE + 1)
    _close(d.supply_flows.values[0, ..., mig], 2 * base.supply_flows.values[0, ..., mig])
    np.testing.assert_array_equal(d.population.values, base.population.values[:2])
    inp = build_inputs(ds.replace(), BASE + 2)
    inp.workforce_migration_factor, inp.workforce_local_migration_factor = 0.5, 3.0
    _close(inp.workforce_migration(), np.broadcast_to(0.5 * ds["migration_between_counties"]
           + 3.0 * ds["migration_within_county"], (2,) + ds["migration_within_county"].shape))


@given(seed=st.integers(0, 2**32 - 1), keep=st.sets(st.sampled_from(["0101", "0102", "0201", "0202"]), min_size=1))
def test_projection_of_a_subset_is_the_same_regions(seed, keep):
    """Municipalities are projected independently, and subset keeps their entrants."""
    ds = make_dataset(4, 2, seed=seed)
    full = project(ds, end_year=BASE + 3)
    part = project(ds.subset(keep), end_year=BASE + 3)
    codes = part.data["region"].values.tolist()
    assert codes == [c for c in ds.regions.codes if c in keep]
    for name in part.data.data_vars:
        _close(part.data[name].values, full.data[name].sel(region=codes).values, rtol=1e-10)


def test_project_takes_a_scenario_file_and_selects_regions_by_name(small_dataset, tmp_path):
    from pathlib import Path

    scen = Path(__file__).parents[1] / "scenarios" / "torn_full_time.yaml"
    a = project(small_dataset, str(scen), end_year=BASE + 2)
    from helsemod_py.scenario import Scenario

    b = project(small_dataset, Scenario.from_yaml(scen), end_year=BASE + 2)
    np.testing.assert_array_equal(a.gap.values, b.gap.values)
    assert a.scenario == b.scenario != "baseline"
    one = a.select("Kommune 0102")
    assert one.level == "municipality" and list(one.data["region"].values) == ["0102"]
    np.testing.assert_array_equal(one.gap.values[:, 0], a.gap.sel(region="0102").values)
    county = a.select("fylke 02")
    assert county.level == "county" and list(county.data["region"].values) == ["02"]
    _close(county.gap.values[:, 0], a.aggregate("county").gap.sel(region="02").values)
    with pytest.raises(ValueError, match="no municipality or county"):
        a.select("Atlantis")
