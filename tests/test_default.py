"""The embedded default dataset reproduces the national facts it cites."""

import numpy as np
import pytest

import helsemod_py as hm
from helsemod_py import dims as D
from helsemod_py.data.default import build_default_dataset, load_facts


@pytest.fixture(scope="module")
def facts():
    return load_facts()


@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset()


@pytest.fixture(scope="module")
def base(ds):
    return hm.project(ds, end_year=2035).aggregate("nation")


def test_valid_and_complete(ds):
    assert ds.problems() == []
    assert ds.name == "helsemod-default" and ds.base_year == 2024
    assert len(ds.regions) == 357
    assert len(ds.regions.counties) == 15
    assert len(D.GROUPS) >= 14 and len(D.SERVICES) >= 8


def test_county_structure_matches_facts(ds, facts):
    counts = {c: ds.regions.county_codes.count(c) for c in ds.regions.counties}
    assert counts == {c: v[1] for c, v in facts["counties"]["values"].items()}


def test_population_facts(ds, facts):
    pop = ds["population"]
    assert pop.sum() == pytest.approx(facts["national_population"]["value"], rel=1e-9)
    by_age = pop.sum(axis=(0, 1))
    for lo in (67, 80, 90):  # SSB 07459, 1 January 2024: 915 481, 256 485 and 45 734
        assert by_age[lo:].sum() == pytest.approx(facts["population"][f"aged_{lo}plus"]["value"], rel=1e-9)
    assert round(by_age[90:].sum()) == 45_734
    # fitted by a smooth tilt: no jump at 67, 80 or 90 (cohorts of equal size around them)
    log_ratio = np.log(by_age[1:] / by_age[:-1])
    for age in (67, 80, 90):
        assert abs(log_ratio[age - 1] - 0.5 * (log_ratio[age - 2] + log_ratio[age])) < 0.02, age
    # the synthetic rank-size rule keeps small municipalities small but not empty
    totals = pop.sum(axis=(1, 2))
    assert totals.min() >= facts["municipality_sizes"]["min_population"]["value"] * 0.99


def test_life_expectancy_and_fertility(ds, facts):
    from helsemod_py.data.demography import life_expectancy

    q = ds["mortality"][0]
    assert life_expectancy(q[0]) == pytest.approx(facts["population"]["life_expectancy_male"]["value"], abs=1e-6)
    assert life_expectancy(q[1]) == pytest.approx(facts["population"]["life_expectancy_female"]["value"], abs=1e-6)
    assert ds["fertility"][0].sum() == pytest.approx(facts["population"]["total_fertility"]["value"])
    assert life_expectancy(q[1]) == pytest.approx(84.6, abs=1e-6)  # SSB, women 2023
    # the life table's slope gives the base-year population the deaths of 2023 (SSB: 43 803)
    assert (ds["population"] * ds["mortality"]).sum() == pytest.approx(43_803, rel=1e-6)


def test_mortality_improvement_gives_the_published_gains_in_life_expectancy(ds, facts):
    from helsemod_py.data.demography import life_expectancy

    gains = facts["population"]["mortality_improvement"]["life_expectancy_gain"]["value"]
    q, d = ds["mortality"][0], ds["mortality_decline"][0]
    for s in range(2):
        after = q[s] * np.exp(-d[s])
        assert life_expectancy(after) - life_expectancy(q[s]) == pytest.approx(gains[s], abs=1e-6)
    assert (d[:, 100:] < d[:, :80].min(axis=1, keepdims=True)).all()  # slower at the oldest ages
    assert (ds["mortality_decline"] == ds["mortality_decline"][:1]).all()  # the same in every region
    assert (ds["fertility_trend"] == 0).all()


def test_county_populations_are_ssb_rounded(facts):
    counties = facts["counties"]["values"]
    assert counties["31"][2] == 312_000  # Østfold 312 152 (SSB 07459, 1 January 2024)
    assert abs(sum(v[2] for v in counties.values()) - facts["national_population"]["value"]) < 1_000


@pytest.mark.parametrize("group", D.GROUPS)
def test_group_facts(ds, facts, group):
    g = D.GROUPS.index(group)
    f = {k: v["value"] for k, v in facts["groups"][group].items()}
    stock = ds["stock"][:, g]
    employed = stock * ds["participation"][:, g]
    assert employed.sum() == pytest.approx(f["employed"], rel=1e-9)
    # the national age profile is the facts'; municipalities differ (older places, older staff)
    profile = stock.sum(axis=0)
    young = stock[:, :, D.WORK_AGES < 35].sum(axis=(1, 2)) / np.maximum(stock.sum(axis=(1, 2)), 1e-12)
    assert (young.max() - young.min()) / young.mean() > 0.05
    assert profile.sum() == pytest.approx(stock.sum(), rel=1e-12)
    old = D.WORK_AGES >= 55
    share55 = employed[..., old].sum() / employed.sum()
    assert share55 == pytest.approx(f["share_55plus"], abs=0.01)
    mean_fte = (employed * ds["avg_fte"][:, g]).sum() / employed.sum()
    assert mean_fte == pytest.approx(f["avg_fte"], rel=1e-6)
    assert np.allclose(ds["sick_leave"][:, g], f["sick_leave"])
    assert ds["graduates"][g] == f["graduates"]


def test_base_year_gap_is_minus_vacancies(base, facts):
    vac = facts["vacancies"]["values"]
    gap = base.gap.sel(year=2024, region="0").sum("sector")
    for g in D.GROUPS:
        assert float(gap.sel(group=g)) == pytest.approx(-vac.get(g, 0.0), abs=1e-6)


def test_baseline_story_is_norway_like(base):
    """Ageing drives demand up; health workers and nurses fall short by 2035 (HELSEMOD 2019/11)."""
    pop80 = base.population.sel(region="0", age=slice(80, None)).sum(["sex", "age"])
    assert pop80.sel(year=2035) > 1.3 * pop80.sel(year=2024)
    demand = base.demand_fte.sel(region="0").sum(["service", "group"])
    assert 1.1 < float(demand.sel(year=2035) / demand.sel(year=2024)) < 1.5
    gap = base.gap.sel(region="0", year=2035).sum("sector")
    assert float(gap.sel(group="health_worker")) < -5000
    assert float(gap.sel(group="nurse")) < 0


def test_base_year_gaps_differ_by_county_as_nav_reports(base, ds):
    """Vacancies follow NAV's county survey: Finnmark and Østfold short of nurses, Oslo less so."""
    county = hm.project(ds, end_year=2025).aggregate("county")
    nurses = list(D.NURSE_GROUPS)
    gap = county.gap.sel(year=2024, group=nurses, sector="care").sum("group")
    dem = county.demand_fte.sel(year=2024, group=nurses).where(county.data["service_sector"] == "care").sum(
        ["group", "service"])
    rel = (gap / dem).to_series()
    assert rel["56"] < rel["31"] < rel["03"] < 0
    assert rel.max() - rel.min() > 0.03


def test_every_parameter_has_a_source(ds):
    from helsemod_py.data.schema import PARAMETERS

    params = ds.meta["parameters"]
    assert set(params) == set(PARAMETERS)
    assert all(p["source"] for p in params.values())
    assert ds.meta["synthetic"] is True


def test_every_fact_cites_a_source_or_says_assumption(facts):
    def walk(node, path):
        if isinstance(node, dict):
            if "value" in node and not isinstance(node["value"], dict):
                assert node.get("reference"), f"{path} has no reference"
            for k, v in node.items():
                walk(v, f"{path}.{k}")

    walk(facts, "facts")


def test_build_is_deterministic():
    assert build_default_dataset().hash == build_default_dataset().hash


def test_default_copy_is_independent():
    a = hm.load_dataset()
    a["population"][:] = 0
    assert hm.load_dataset()["population"].sum() > 0
