"""The K2025 measure library in ``scenarios/``: every file loads and projects, every measure
is referenced and costed, and each measure family moves the gap the expected way for its
targets and leaves everything else exactly as in the baseline.

All projections use the embedded default dataset (loaded once per module) and each file's
own ``end_year``; runs are cached per file, so the module stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import helsemod_py as hm
from helsemod_py import dims as D
from helsemod_py.economics import budget_check
from helsemod_py.scenario.schema import FAMILIES, LEVERS, STATUSES, UNITS_NOK

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(p.name for p in SCENARIOS.glob("*.yaml"))

#: family file -> the measure families it must contain
FAMILY_FILES = {
    "torn_full_time.yaml": {"full_time"},
    "sick_leave.yaml": {"sick_leave"},
    "retention.yaml": {"retention"},
    "menn_i_helse.yaml": {"men_in_health"},
    "trade_certificate.yaml": {"trade_certificate"},
    "immigrant_qualification.yaml": {"immigrant_qualification"},
    "aks.yaml": {"aks"},
    "study_places.yaml": {"education_capacity"},
    "welfare_technology.yaml": {"welfare_technology"},
    "psychologists_districts.yaml": {"psychologists"},
    "gp_recruitment_districts.yaml": {"gp_recruitment"},
}
ASSUMPTION_FILES = ("baseline.yaml", "high_demand.yaml", "low_demand.yaml", "helsemod_2019.yaml")
ALL_FILE = "k2025_all.yaml"
VARIABLES = ("gap", "supply_fte", "demand_fte", "population")
END = 2035
#: words that mark a reference as a published source (or an explicit assumption)
SOURCE_WORDS = ("assumption", "SSB", "Helsedirektoratet", "Prop. 1 S", "NAV", "KS", "KLP", "NSF",
                "sykepleien", "Fafo", "HELSEMOD")


# --- fixtures and helpers ----------------------------------------------------------------
@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset()


@pytest.fixture(scope="module")
def runs(ds):
    """``runs(file, keep_stock=False)``: the projection of a library file (cached)."""
    cache = {}

    def run(name, keep_stock=False):
        key = (name, keep_stock)
        if key not in cache:
            cache[key] = hm.project(ds, load(name), keep_stock=keep_stock)
        return cache[key]

    return run


@pytest.fixture(scope="module")
def base(runs):
    return runs("baseline.yaml")


def load(name) -> hm.Scenario:
    return hm.Scenario.from_yaml(SCENARIOS / name)


def library_measures():
    """Every measure of the family files, as (file, measure)."""
    return [(f, m) for f in FAMILY_FILES for m in load(f).measures]


def downstream(groups) -> set[str]:
    """The groups plus every group reachable from them through transitions."""
    out, todo = set(groups), list(groups)
    while todo:
        g = todo.pop()
        for a, b in D.TRANSITION_PAIRS:
            if a == g and b not in out:
                out.add(b)
                todo.append(b)
    return out


def assert_same(a, b, var, **sel):
    x, y = a.data[var].sel(**sel).values, b.data[var].sel(**sel).values
    assert np.array_equal(x, y), f"{var} {sel or ''} differs from the baseline (max |diff| " \
                                 f"{np.nanmax(np.abs(x - y)):.3g})"


def assert_untouched(res, base, groups, what=("gap", "supply_fte", "demand_fte")):
    """``res`` equals ``base`` exactly for every group in ``groups`` (all regions, years)."""
    for var in what:
        assert_same(res, base, var, group=sorted(groups))


def others(groups) -> list[str]:
    return [g for g in D.GROUPS if g not in set(groups)]


def nation(p):
    return p.aggregate("nation")


def nat(p, var, year=END, **sel):
    """National value of ``var`` in ``year``, summed over sectors (all of them)."""
    da = nation(p).data[var].sel(year=year, region=D.NATION_CODE, **sel)
    return da.sum("sector") if "sector" in da.dims else da


def tot(p, var):
    """``var`` of every municipality summed over sectors (the pool's total)."""
    da = p.data[var]
    return da.sum("sector") if "sector" in da.dims else da


def county_mask(ds, counties) -> np.ndarray:
    return np.isin(np.array(ds.regions.county_codes), list(counties))


# --- every file -------------------------------------------------------------------------
def test_library_holds_the_expected_files():
    missing = {*FAMILY_FILES, *ASSUMPTION_FILES, ALL_FILE} - set(FILES)
    assert not missing, f"scenarios/ misses {sorted(missing)}"


@pytest.mark.parametrize("name", FILES)
def test_every_file_loads_and_projects(name, ds, runs):
    scn = load(name)
    assert scn.name and scn.description
    assert scn.problems(ds) == []
    raw = yaml.safe_load((SCENARIOS / name).read_text(encoding="utf-8"))
    if name != "baseline.yaml":
        assert raw.get("extends") == "baseline.yaml", f"{name} must extend baseline.yaml"
    assert scn.end_year == END
    res = runs(name)
    assert res.years[0] == ds.base_year and res.years[-1] == END
    for var in VARIABLES:
        assert np.isfinite(res.data[var].values).all(), f"{name}: {var} not finite"


def test_baseline_file_is_the_plain_baseline(ds, base):
    scn = load("baseline.yaml")
    assert scn.measures == ()
    assert scn.end_year == 2035
    g = scn.assumptions.standard_growth
    assert g.value == 0.005 and g.unit == "/1 per year" and "0.5 %" in g.reference
    plain = hm.project(ds, end_year=2035)
    for var in VARIABLES:
        assert np.array_equal(base.data[var].values, plain.data[var].values), var


@pytest.mark.parametrize("name", ["baseline.yaml", ALL_FILE, "aks.yaml"])
def test_no_measures_reproduces_the_baseline_exactly(name, ds, base):
    scn = load(name).without_measures()
    res = hm.project(ds, scn)
    for var in VARIABLES:
        assert np.array_equal(res.data[var].values, base.data[var].values), var
    empty = hm.project(ds, hm.Scenario("empty", assumptions={"end_year": END}))
    for var in VARIABLES:
        assert np.array_equal(empty.data[var].values, base.data[var].values), var


# --- references and costs ---------------------------------------------------------------
def test_every_measure_is_referenced_costed_and_complete():
    ms = library_measures()
    assert ms
    for f, m in ms:
        label = f"{f}: {m.id}"
        assert m.title and m.family in FAMILIES and m.path is not None, label
        ref = (m.change.reference or "").strip()
        assert len(ref) >= 10, f"{label}: change needs a reference"
        assert any(w in ref for w in SOURCE_WORDS), f"{label}: reference names no source: {ref!r}"
        assert m.cost is not None, f"{label}: cost missing"
        assert m.cost.unit in UNITS_NOK and "NOK" in m.cost.unit, f"{label}: cost unit {m.cost.unit!r}"
        cref = (m.cost.reference or "").strip()
        assert len(cref) >= 10 and any(w in cref for w in SOURCE_WORDS), f"{label}: cost needs a reference"
        assert m.cost.value >= 0
        if "assumption" not in cref:  # a published cost must cite a budget line or report
            assert re.search(r"Prop\. 1 S|Helsedirektoratet|KS", cref), label
        if m.cost.value > 0:
            assert m.cost.chapter is not None and m.cost.range is not None, f"{label}: cost needs chapter and range"


def test_every_effect_has_a_range_a_status_and_an_honest_label():
    """Evidence bounds and additionality: each effect has a range its value lies in, each measure says
    whether it is new, scaled up or continued, and effects whose reference is an assumption are
    labelled so."""
    for f, m in library_measures():
        label = f"{f}: {m.id}"
        lo, hi = m.change.range  # a missing range fails here
        assert lo <= m.change.value <= hi and lo < hi, label
        assert m.status in STATUSES, label
        if m.status != "new":
            assert m.in_baseline is not None and len(m.in_baseline.reference) >= 10, label
        ref = m.change.reference.strip().lower()
        assert m.evidence == ("assumption" if ref.startswith("assumption") else "published"), label
        if m.parameter == "recruits":  # where recruits come from is stated, not left to the default
            assert m.recruited_from is not None and m.recruited_from.reference, label


def test_every_family_file_has_its_family():
    for f, fams in FAMILY_FILES.items():
        got = {m.family for m in load(f).measures}
        assert fams <= got, f"{f}: families {got}, expected {fams}"
        for m in load(f).measures:
            assert m.parameter in LEVERS


def test_measure_ids_are_unique_across_the_library():
    ids = [m.id for _, m in library_measures()]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_k2025_all_holds_exactly_the_family_measures():
    everything = load(ALL_FILE)
    want = {m.id: m for _, m in library_measures()}
    got = {m.id: m for m in everything.measures}
    assert set(got) == set(want)
    for mid, m in want.items():
        assert got[mid] == m, f"{mid}: k2025_all.yaml differs from its family file"
    assert everything.assumptions == load("baseline.yaml").assumptions
    sets = [m for m in everything.measures if m.operation == "set"]
    assert len({m.parameter for m in sets}) == len(sets), "two set measures of one parameter"


def test_k2025_costs_fit_the_published_budget():
    scn = load(ALL_FILE)
    total = sum(c[-1] for c in scn.costs([END]).values())
    assert 0 < total <= 2223.1e6  # Prop. 1 S (2020-2021): K2025 total 2 223.1 MNOK a year
    costs = {m.id: m.yearly_cost(END) for m in scn.measures}
    assert costs["aks_salary_grant"] == 10e6  # a second AKS salary grant of NOK 10 million a year
    assert costs["menn_i_helse"] == 10e6  # the expansion only: KS 2024, NOK 6 + 4 million
    menn = next(m for m in scn.measures if m.id == "menn_i_helse")
    assert menn.in_baseline.cost.value == 46  # NOK 26 million + 20 million, already in the baseline
    check = budget_check(scn).set_index("chapter")
    k2025 = ["761", "762", "765", "770", "769"]
    assert check.loc[k2025, "budget_mnok"].sum() == pytest.approx(2223.1)
    assert (check.loc[k2025, "library_mnok"] <= check.loc[k2025, "budget_mnok"]).all()
    assert check.loc["total", "library_mnok"] == pytest.approx(check.loc[k2025, "library_mnok"].sum())
    assert check.loc["outside", "increment_mnok"] == 195  # study places: Kunnskapsdepartementet


# --- measure and its inverse (property) -------------------------------------------------
_MULTIPLY = [p for p, lv in LEVERS.items() if "multiply" in lv.operations and p != "task_shift"]
_ADD_RATE = [p for p, lv in LEVERS.items()
             if "add" in lv.operations and lv.unit in ("/1", "/1 per year", "FTE per person")]
_ADD_PERSONS = ["graduates", "immigrants"]


@st.composite
def targets(draw, parameter, regions):
    lever = LEVERS[parameter]
    t = {}
    if D.GROUP in lever.dims:
        t["groups"] = draw(st.lists(st.sampled_from(D.GROUPS), min_size=1, max_size=4, unique=True))
    if D.SERVICE in lever.dims:
        t["services"] = draw(st.lists(st.sampled_from(D.SERVICES), min_size=1, max_size=3, unique=True))
    if D.TRANSITION in lever.dims:
        t["transitions"] = draw(st.lists(st.sampled_from(D.TRANSITIONS), min_size=1, max_size=3, unique=True))
    if D.SEX in lever.dims and draw(st.booleans()):
        t["sexes"] = [draw(st.sampled_from(D.SEXES))]
    if (D.AGE in lever.dims or "work_age" in lever.dims) and draw(st.booleans()):
        lo = draw(st.integers(16, 70))
        t["ages"] = [lo, draw(st.integers(lo, 74))]
    choice = draw(st.sampled_from(["all", "county", "municipality"]))
    if choice == "county":
        t["regions"] = [draw(st.sampled_from(regions.counties))]
    elif choice == "municipality":
        t["regions"] = [draw(st.sampled_from(regions.codes))]
    return t


def _measure(mid, parameter, op, value, unit, target, start, full, shape):
    path = {"start": start, "shape": shape}
    if full is not None:
        path["full"] = full
    return {"id": mid, "parameter": parameter, op: {"value": value, "unit": unit}, "path": path,
            "target": target}


def _assert_close_to_base(res, base):
    for var in VARIABLES:
        a, b = res.data[var].values, base.data[var].values
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=var)


def test_inverse_pairs_are_not_vacuous(ds, base):
    """One half of an inverse pair alone does move the results (the property tests bite)."""
    target = {"groups": ["nurse"], "regions": ["34"]}
    for ms in ([_measure("up", "graduates", "multiply", 2.0, "/1", target, 2025, None, "step")],
               [_measure("plus", "exit_rate", "add", 0.05, "/1 per year", target, 2025, 2027, "linear")]):
        res = hm.project(ds, hm.Scenario("half", measures=ms, assumptions={"end_year": END}))
        assert not np.allclose(res.gap.values, base.gap.values, rtol=1e-6, atol=1e-6)


@given(data=st.data(), parameter=st.sampled_from(_MULTIPLY), v=st.floats(0.25, 4.0),
       start=st.integers(2024, 2036))
def test_multiply_then_inverse_reproduces_the_baseline(ds, base, data, parameter, v, start):
    target = data.draw(targets(parameter, ds.regions))
    # a step path (weight 0 or 1) so the two changes are exact inverses in every year
    ms = [_measure("up", parameter, "multiply", v, "/1", target, start, None, "step"),
          _measure("down", parameter, "multiply", 1.0 / v, "/1", target, start, None, "step")]
    res = hm.project(ds, hm.Scenario("inverse", measures=ms, assumptions={"end_year": END}))
    _assert_close_to_base(res, base)


@given(data=st.data(), parameter=st.sampled_from(_ADD_RATE + _ADD_PERSONS), x=st.floats(-1.0, 1.0),
       start=st.integers(2024, 2034), ramp=st.integers(0, 6), delay=st.integers(0, 3))
def test_add_then_subtract_reproduces_the_baseline(ds, base, data, parameter, x, start, ramp, delay):
    target = data.draw(targets(parameter, ds.regions))
    lever = LEVERS[parameter]
    x = x * (1000.0 if parameter in _ADD_PERSONS else 0.1)  # rates +-0.1, persons +-1000 a year
    full = start + ramp
    ms = [_measure("plus", parameter, "add", x, lever.unit, target, start, full, "linear"),
          _measure("minus", parameter, "add", -x, lever.unit, target, start, full, "linear")]
    for m in ms:
        m["path"]["delay"] = delay
    res = hm.project(ds, hm.Scenario("add inverse", measures=ms, assumptions={"end_year": END}))
    _assert_close_to_base(res, base)


# --- one test per measure family ---------------------------------------------------------
def test_torn_raises_nurse_and_health_worker_supply_only(runs, base):
    res = runs("torn_full_time.yaml")
    hit = ["nurse", "health_worker"]
    up = tot(res, "supply_fte").sel(group=hit) - tot(base, "supply_fte").sel(group=hit)
    assert (up.sel(year=2024) == 0).all()
    assert (up.sel(year=slice(2025, None)) > 0).all()  # every municipality, every year from 2025
    assert_untouched(res, base, others(hit))  # physicians' gap exactly the baseline's
    assert_same(res, base, "demand_fte")
    rel = (nat(res, "supply_fte", group=hit) / nat(base, "supply_fte", group=hit)).values
    assert np.all((rel > 1.005) & (rel < 1.025))  # +1 % nurses, +2 % health workers


def test_sick_leave_raises_care_groups_supply_only(runs, base):
    res = runs("sick_leave.yaml")
    hit = ["nurse", "specialist_nurse", "health_worker", "unskilled"]
    gain = (tot(res, "gap") - tot(base, "gap")).sel(group=hit, year=END)
    assert (gain > 0).all()
    assert_untouched(res, base, others(hit))
    assert_same(res, base, "demand_fte")
    assert_same(res, base, "supply_persons")  # sick leave changes FTE, not persons


def test_retention_keeps_nurses_and_health_workers(runs, base):
    res = runs("retention.yaml")
    hit = ["nurse", "health_worker"]
    assert (nat(res, "supply_persons", group=hit) > nat(base, "supply_persons", group=hit)).all()
    assert (nat(res, "gap", group=hit) > nat(base, "gap", group=hit)).all()
    assert_same(res, base, "gap", year=2024)
    assert_untouched(res, base, others(downstream(hit)))
    assert_same(res, base, "demand_fte")


def test_menn_i_helse_adds_male_health_workers_after_training(runs, base):
    res = runs("menn_i_helse.yaml", keep_stock=True)
    b = runs("baseline.yaml", keep_stock=True)
    m = load("menn_i_helse.yaml").measures[0]
    first = m.path.start + m.path.delay  # recruits in the step starting that year count next 1 January
    for var in ("gap", "supply_fte", "stock"):
        assert_same(res, b, var, year=slice(None, first))
    hw = dict(group="health_worker")
    assert (nat(res, "gap", **hw) > nat(base, "gap", **hw)).item()
    men = (res.stock - b.stock).sel(**hw, sex="male", year=first + 1).sum("region")
    assert float(men.sum()) == pytest.approx(m.change.value, rel=1e-9)  # one year's recruits
    assert float(men.sel(work_age=slice(None, 24)).sum()) == 0.0
    assert float(men.sel(work_age=slice(56, None)).sum()) == 0.0
    assert_same(res, b, "stock", group="health_worker", sex="female")
    assert_untouched(res, b, others(downstream(["health_worker"])))


def test_trade_certificate_moves_unskilled_to_health_workers(runs, base):
    res = runs("trade_certificate.yaml")
    assert nat(res, "gap", group="health_worker") > nat(base, "gap", group="health_worker")
    assert nat(res, "supply_persons", group="unskilled") < nat(base, "supply_persons", group="unskilled")
    def moved(p):
        return p.supply_flows.sel(flow="transfers_in", group="health_worker").sum("region")

    ratio = (moved(res) / moved(base)).sel(year=slice(2027, END - 1)).values
    assert np.all((ratio > 1.12) & (ratio < 1.15 + 1e-9))  # x 1.15 of a slightly smaller unskilled stock
    assert_untouched(res, base, others(downstream(["unskilled"])))
    assert_same(res, base, "demand_fte")


def test_immigrant_qualification_adds_health_workers_and_nurses(runs, base):
    res = runs("immigrant_qualification.yaml")
    hit = ["nurse", "health_worker"]
    assert (nat(res, "gap", group=hit) > nat(base, "gap", group=hit)).all()
    assert_untouched(res, base, others(downstream(hit)))
    assert_same(res, base, "demand_fte")


def test_aks_raises_aks_supply_and_shifts_physician_demand(runs, base):
    res = runs("aks.yaml")
    scn = load("aks.yaml")
    shift = next(m for m in scn.measures if m.operation == "shift")
    svc, src = shift.target.services, shift.target.groups
    assert nat(res, "supply_fte", group="aks") > nat(base, "supply_fte", group="aks")
    assert nat(res, "supply_fte", group="nurse") < nat(base, "supply_fte", group="nurse")
    d, bd = nat(res, "demand_fte"), nat(base, "demand_fte")
    for g in src:
        lower = (d - bd).sel(group=g, service=svc)
        had = bd.sel(group=g, service=svc) > 0
        assert (lower.where(had, -1) < 0).all(), f"{g} demand not lower in {svc}"
        assert (lower.where(~had, 0) == 0).all()
    more = (d - bd).sel(group="aks", service=svc)
    had_src = bd.sel(group=src, service=svc).sum("group") > 0  # physicians have no home-care FTE
    assert (more.where(had_src, 1) > 0).all() and (more.where(~had_src, 0) == 0).all()
    rest = [k for k in D.SERVICES if k not in svc]
    assert_same(res, base, "demand_fte", service=rest)
    assert_same(res, base, "demand_fte", year=slice(None, shift.path.start - 1))
    assert_untouched(res, base, others(downstream(["nurse"])), what=("supply_fte",))
    assert_untouched(res, base, others([*downstream(["nurse"]), *src]))


def test_study_places_change_nothing_before_start_plus_delay(runs, base):
    res = runs("study_places.yaml")
    m = load("study_places.yaml").measures[0]
    assert m.path.delay == 3  # bachelor in nursing
    first = m.path.start + m.path.delay
    for var in VARIABLES:
        assert_same(res, base, var, year=slice(None, first))
    grads = res.supply_flows.sel(flow="graduates", group="nurse").sum("region")
    bgrads = base.supply_flows.sel(flow="graduates", group="nurse").sum("region")
    ratio = (grads / bgrads).sel(year=slice(first, END - 1)).values
    np.testing.assert_allclose(ratio, m.change.value, rtol=1e-12)
    assert (nat(res, "gap", year=first + 1, group="nurse") > nat(base, "gap", year=first + 1, group="nurse"))
    assert_untouched(res, base, others(downstream(["nurse"])))


def test_welfare_technology_lowers_home_care_demand_only(runs, base):
    res = runs("welfare_technology.yaml")
    assert_same(res, base, "supply_fte")
    assert_same(res, base, "demand_fte", service=[k for k in D.SERVICES if k != "home_care"])
    d = (res.demand_fte - base.demand_fte).sel(service="home_care", year=slice(2025, None))
    had = base.demand_fte.sel(service="home_care", year=slice(2025, None)) > 0
    assert (d.where(had, -1) < 0).all() and (d.where(~had, 0) == 0).all()
    ratio = (nat(res, "demand_fte", service="home_care").sum() / nat(base, "demand_fte", service="home_care").sum())
    assert float(ratio) == pytest.approx(0.98, rel=1e-9)


@pytest.mark.parametrize("name,group,counties", [
    ("psychologists_districts.yaml", "psychologist", ("18", "55", "56")),
    ("gp_recruitment_districts.yaml", "gp", ("18", "55", "56", "34")),
])
def test_district_measures_change_only_their_counties(ds, runs, base, name, group, counties):
    res = runs(name)
    for m in load(name).measures:
        assert sorted(m.target.regions) == sorted(counties) and m.target.groups == [group]
    inside = county_mask(ds, counties)
    diff = (tot(res, "gap") - tot(base, "gap")).sel(group=group).values  # [year, region]
    # the recruits come from the rest of the country (recruited_from: other_regions): it loses them
    assert np.all(diff[:, ~inside] <= 1e-9) and diff[-1, ~inside].sum() < -1.0
    assert np.all(diff[-1, inside] > 0), "every targeted municipality should gain"
    recruit = next(m for m in load(name).measures if m.parameter == "recruits")
    solo = hm.project(ds, load(name).only([recruit.id]))
    moved = (tot(solo, "supply_persons") - tot(base, "supply_persons")).sel(group=group, year=END).values
    assert moved[inside].sum() > 50 and abs(moved.sum()) < 0.01 * moved[inside].sum()  # displaced, not new
    assert_untouched(res, base, others([group]))
    assert_same(res, base, "demand_fte")
    c = (tot(res.aggregate("county"), "gap") - tot(base.aggregate("county"), "gap")).sel(group=group, year=END)
    assert set(c.region.values[c.values > 0]) == set(counties)


# --- the combined and the alternative assumption sets ------------------------------------
def test_k2025_all_improves_nurse_and_health_worker_gaps(runs, base):
    res = runs(ALL_FILE)
    for g in ("nurse", "health_worker"):
        assert nat(res, "gap", group=g) > nat(base, "gap", group=g), g
        # and more than any single family file does
        best = max(float(nat(runs(f), "gap", group=g)) for f in FAMILY_FILES)
        assert float(nat(res, "gap", group=g)) > best
    assert_same(res, base, "population")


def test_high_and_low_demand_bracket_the_baseline(runs, base):
    hi, lo = runs("high_demand.yaml"), runs("low_demand.yaml")
    assert load("high_demand.yaml").measures == () and load("low_demand.yaml").measures == ()
    def total(p):
        return float(nat(p, "demand_fte").sum())

    assert total(hi) > total(base) > total(lo)
    for p in (hi, lo):
        assert_same(p, base, "supply_fte")
        assert_same(p, base, "demand_fte", year=2024)
    assert load("high_demand.yaml").assumptions.standard_growth.value == 0.01
    assert load("low_demand.yaml").assumptions.standard_growth.value == 0.0


def test_external_population_driver_from_a_scenario_file(tmp_path):
    """A scenario can drive demand with an external projection file (path relative to the file)."""
    from helsemod_py.scenario.driver import write_population_projection

    ds = hm.load_dataset().subset(["K0301", "K3401", "K5601"])
    base = hm.project(ds, end_year=2030)
    years = base.years
    external = base.population.values * 1.1  # 10 % more people in every cell
    write_population_projection(tmp_path / "proj.csv", external, ds.regions, years)
    (tmp_path / "ext.yaml").write_text(
        "name: external\nassumptions:\n  end_year: 2030\n  population_driver:\n"
        "    source: file\n    file: proj.csv\n    reference: test\n")
    scn = hm.Scenario.from_yaml(tmp_path / "ext.yaml")
    res = hm.project(ds, scn)
    assert np.allclose(res.demand_population.values, external)
    assert np.array_equal(res.population.values, base.population.values)  # the cohort projection is kept
    assert np.array_equal(res.supply_fte.values, base.supply_fte.values)
    # users scale by 1.1, so demand relative to the base year is unchanged: ratio users/users0
    assert np.allclose(res.users.values, base.users.values * 1.1)
    assert np.allclose(res.demand_fte.values, base.demand_fte.values)
    h1 = scn.hash
    assert hm.Scenario.from_yaml(tmp_path / "ext.yaml").hash == h1  # the path is not in the hash ...
    write_population_projection(tmp_path / "proj.csv", external * 1.2, ds.regions, years)
    assert hm.Scenario.from_yaml(tmp_path / "ext.yaml").hash != h1  # ... the file's content is
    # a broken file gives one line naming it
    (tmp_path / "proj.csv").write_text("region,year,sex,age,value\nK0301,2024,male,0,abc\n")
    with pytest.raises(hm.ScenarioError, match=r"proj.csv: row 2: column 'value': 'abc' is not a number"):
        hm.project(ds, hm.Scenario.from_yaml(tmp_path / "ext.yaml"))


def test_helsemod_like_assumptions_change_demand_not_measures(ds, base):
    """scenarios/helsemod_2019.yaml: no measures; the staff-mix shift toward nurses and physicians
    raises their demand against the baseline while every service's total FTE per user is kept."""
    scen = load("helsemod_2019.yaml")
    assert not scen.measures and scen.assumptions.coverage_trend == "none"
    res = hm.project(ds, scen)
    dem, ref = res.demand_fte.sel(year=END).sum("region"), base.demand_fte.sel(year=END).sum("region")
    for g in ("nurse", "physician"):
        assert float(dem.sel(group=g).sum()) > float(ref.sel(group=g).sum())
    assert float(dem.sel(group="health_worker").sum()) < float(ref.sel(group="health_worker").sum())


@pytest.mark.realdata
def test_side_by_side_with_helsemod_has_a_reason_for_every_row():
    import importlib.util

    root = Path(__file__).parents[1]
    data = root / ".." / "shared" / "data" / "ssb"
    if not (data / "population_norway_age_sex_1986_2024.csv").is_file():
        pytest.skip(f"SSB data not found at {data}")
    spec = importlib.util.spec_from_file_location("side", root / "benchmarks" / "helsemod_side_by_side.py")
    side = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(side)
    assert set(side.REASONS) == set(side.HELSEMOD)
    ds = side.build(data)
    ours = side.national_gaps(ds, SCENARIOS / "helsemod_2019.yaml", 2035)
    assert ours["nurse groups"][0] < -10_000 and ours["health_worker"][0] < -10_000
    for row, (total, muni, hosp) in ours.items():
        assert total == pytest.approx(muni + hosp)
    text = side.markdown(ours, ours, 1.0)
    assert text.count("\n| ") == len(side.HELSEMOD) + 1
