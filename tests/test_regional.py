"""Regional supply: the rules that put national personnel in municipalities and sectors, and their backtest."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import make_regions
from helsemod_py import dims as D
from helsemod_py.data import regional as RG
from helsemod_py.data.default import load_facts, national_supply
from helsemod_py.data.trusts import catchment

ROOT = Path(__file__).parents[1]
SSB_DIR = ROOT / ".." / "shared" / "data" / "ssb"


@pytest.fixture(scope="module")
def facts():
    return load_facts()


@pytest.fixture(scope="module")
def nat(facts):
    return national_supply(facts)


def _population(rng, n_regions):
    size = rng.uniform(200, 50_000, size=(n_regions, 1, 1))
    shape = np.exp(-((D.AGES - rng.uniform(30, 50, size=(n_regions, 1, 1))) / 40.0) ** 2)
    return size * shape * rng.uniform(0.8, 1.2, size=(n_regions, 2, len(D.AGES)))


@settings(max_examples=25, deadline=None)
@given(weight=st.lists(st.floats(0.01, 100), min_size=1, max_size=6), seed=st.integers(0, 1000),
       fill=st.floats(0.0, 1.0))
def test_capped_split_respects_caps_and_total(weight, seed, fill):
    w = np.array(weight)
    cap = np.random.default_rng(seed).uniform(1, 50, size=len(w))
    total = fill * cap.sum()
    split = RG._capped_split(w, cap, total)
    assert split is not None
    assert split.sum() == pytest.approx(1.0) if total > 0 else True
    assert (split * total <= cap * (1 + 1e-9) + 1e-12).all()
    assert RG._capped_split(w, cap, cap.sum() * 1.01) is None


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 9), counties=st.integers(1, 3))
def test_migration_components_net_to_zero(seed, n, counties):
    """Between-county moves net to zero over the nation, within-county moves over each county
    (weighted by the population); together with the national rate they are the population's rate."""
    rng = np.random.default_rng(seed)
    regions = make_regions(n, min(counties, n))
    pop = _population(rng, n)
    rate = rng.uniform(-0.05, 0.05, size=pop.shape)
    between, within = RG.migration_components(rate, pop, regions)
    w = pop[:, :, D.WORK_AGE_MIN:D.WORK_AGE_MAX + 1]
    np.testing.assert_allclose((between * w).sum(axis=0), 0.0, atol=1e-9 * w.sum())
    for c in regions.counties:
        m = np.array(regions.county_codes) == c
        np.testing.assert_allclose((within[m] * w[m]).sum(axis=0), 0.0, atol=1e-9 * w.sum())
    national = (rate[:, :, D.WORK_AGE_MIN:D.WORK_AGE_MAX + 1] * w).sum(axis=0) / w.sum(axis=0)
    np.testing.assert_allclose(national[None] + between + within, rate[:, :, D.WORK_AGE_MIN:D.WORK_AGE_MAX + 1])


def test_regional_supply_keeps_the_facts_and_differs_by_place(facts, nat):
    """Every group's national FTE, age profile and vacancies are the facts'; older places get
    older staff; shares sum to one; entrants' shares sum to one."""
    rng = np.random.default_rng(4)
    regions = make_regions(12, 3)
    pop = _population(rng, 12)
    pop[0, :, 20:40] *= 3.0  # a young place
    pop[1, :, 60:80] *= 3.0  # an old place
    user_rate = np.broadcast_to(np.linspace(0.01, 0.5, len(D.AGES)), (12, len(D.SERVICES), 2, len(D.AGES)))
    reg = RG.regional_supply(regions, pop, user_rate, nat, facts, catchment(regions))
    np.testing.assert_allclose(reg.filled_fte.sum(axis=(0, 1)), nat.fte(), rtol=1e-9)
    np.testing.assert_allclose(reg.stock.sum(axis=0), nat.stock, rtol=1e-6)
    fte = (reg.stock * nat.fte_per_person()[None]).sum(axis=(2, 3))
    np.testing.assert_allclose(fte, reg.filled_fte.sum(axis=1), rtol=1e-8)
    np.testing.assert_allclose(reg.sector_share.sum(axis=1), 1.0)
    np.testing.assert_allclose(reg.vacancies.sum(axis=(0, 1)), nat.vacancies, rtol=1e-9)
    np.testing.assert_allclose(reg.graduate_region_share.sum(axis=0), 1.0)
    np.testing.assert_allclose(reg.immigrant_region_share.sum(axis=0), 1.0)
    g = D.GROUPS.index("nurse")
    old = D.WORK_AGES >= 55
    share_old = reg.stock[:, g][:, :, old].sum(axis=(1, 2)) / reg.stock[:, g].sum(axis=(1, 2))
    assert share_old[1] > np.median(share_old) > share_old[0]
    assert (reg.supply_source == RG.ESTIMATED).all()
    # demand is filled plus vacancies, shared among each sector's services
    from helsemod_py.core import by_sector

    _, demand_q = by_sector(np.zeros((1, 12, len(D.GROUPS))), reg.sector_share, reg.base_demand_fte[None],
                            D.service_sector_index(), len(D.SECTORS))
    np.testing.assert_allclose(demand_q[0], reg.filled_fte + reg.vacancies, rtol=1e-9)


def test_graduates_settle_like_people_of_their_age_unless_hired_locally(facts, nat):
    rng = np.random.default_rng(5)
    regions = make_regions(6, 2)
    pop = _population(rng, 6)
    pop[2, :, 20:35] *= 5.0
    jobs = rng.uniform(10, 100, size=(6, len(D.GROUPS)))
    grad, imm, _ = RG.entrant_shares(jobs, pop, regions, facts, nat.entry_dist)
    for code in ("psychologist", "physician"):
        g = D.GROUPS.index(code)
        assert grad[2, g] == grad[:, g].max()
    for code in facts["regional"]["hired_where_the_jobs_are"]["value"]:
        g = D.GROUPS.index(code)
        np.testing.assert_allclose(grad[:, g], jobs[:, g] / jobs[:, g].sum())
    np.testing.assert_allclose(imm, jobs / jobs.sum(axis=0))


def test_a_county_without_survey_figures_takes_the_national_vacancy_rate(facts, nat):
    regions = make_regions(4, 2)  # counties "01" and "02": not in NAV's survey
    F = np.random.default_rng(1).uniform(10, 100, size=(4, len(D.SECTORS), len(D.GROUPS)))
    vac, notes = RG.county_vacancies(F, nat, regions, facts)
    rate = vac.sum(axis=(0, 1)) / F.sum(axis=(0, 1))
    np.testing.assert_allclose(vac, F * rate[None, None, :])
    assert notes["vacancy_county_pattern"] == {}


# --- the backtest on real data --------------------------------------------------------------------
def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def real():
    if not (SSB_DIR / "kostra_care_panel_2015_2023.csv").is_file():
        pytest.skip(f"SSB data not found at {SSB_DIR.resolve()}")
    bt = _load("backtest_regional")
    _, history, panel = bt.load(SSB_DIR)
    return bt, history, panel


@pytest.mark.realdata
def test_regional_backtest_is_consistent_and_beats_persistence_on_distribution(real):
    bt, history, panel = real
    errors = bt.backtest(history, panel)
    assert np.isfinite(errors[["base", "actual", "predicted", "ape"]].to_numpy()).all()
    for method in bt.METHODS:  # counties and the nation sum the municipalities kept
        by_level = errors[errors.method == method].groupby("level")[["actual", "predicted"]].sum()
        np.testing.assert_allclose(by_level.loc["county"], by_level.loc["municipality"])
        np.testing.assert_allclose(by_level.loc["nation"], by_level.loc["municipality"])
    same = errors[errors.method == "no change"]
    np.testing.assert_array_equal(same.predicted, same.base)
    county = errors[errors.level == "county"]
    assert len(county[county.method == "no change"]) == 15
    # the model distributes nurse FTE among counties better than persistence (2023 unseen)
    assert bt.distribution_error(errors, "county", "model (supply)") < bt.distribution_error(errors, "county",
                                                                                            "no change")
    summary = bt.summarise(errors)
    text = bt.markdown(summary, errors, "python benchmarks/backtest_regional.py", 1.0)
    assert "Verdict, county level" in text and "| Finnmark" in text


@pytest.mark.realdata
def test_the_calibrated_rules_are_the_defaults(real):
    """The defaults in default_facts.yaml are what the 2015-2019 calibration chooses."""
    bt, history, panel = real
    best = bt.chosen(bt.calibrate(history, panel))
    rf = load_facts()["regional"]
    assert best.graduate_study_weight == rf["graduate_study_weight"]["value"]
    assert best.workforce_migration_factor == rf["workforce_migration_factor"]["value"]
    assert best.workforce_local_migration_factor == rf["workforce_local_migration_factor"]["value"]


@pytest.mark.realdata
def test_data_build_with_a_staff_table(tmp_path):
    """`helsemod data build --staff` makes the table's cells the measured supply, without KOSTRA too."""
    if not (SSB_DIR / "population_kommune_age_sex_2015_2024.csv").is_file():
        pytest.skip(f"SSB data not found at {SSB_DIR.resolve()}")
    import pandas as pd
    from click.testing import CliRunner

    import helsemod_py as hm
    from helsemod_py.cli import main

    pd.DataFrame({"level": ["municipality", "trust"], "region": ["5601", "finnmark"], "year": [2023, 2023],
                  "sector": ["care", "specialist"], "group": ["health_worker", "nurse"], "fte": [123.0, 280.0],
                  "table": ["11924", "13953"]}).to_csv(tmp_path / "staff.csv", index=False)
    out = tmp_path / "ds"
    res = CliRunner().invoke(main, ["data", "build", "--population", str(SSB_DIR / "population_kommune_age_sex_2015_2024.csv"),
                                    "--municipalities", str(SSB_DIR / "kommuner_2024.csv"), "--staff",
                                    str(tmp_path / "staff.csv"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    ds = hm.load_dataset(out)
    p = hm.project(ds, end_year=2025)
    alta = p.supply_fte.sel(year=2024, region="5601", sector="care", group="health_worker")
    assert float(alta) == pytest.approx(123.0)
    trust = p.aggregate("trust").supply_fte.sel(year=2024, region="finnmark", sector="specialist", group="nurse")
    assert float(trust) == pytest.approx(280.0)
    src = p.aggregate("trust").base_fte_by_source.sel(region="finnmark", sector="specialist", group="nurse")
    assert float(src.sel(source="measured")) == pytest.approx(280.0)
    (tmp_path / "bad.csv").write_text("level,region,year,sector,group,fte,table\nmunicipality,9999,2023,care,nurse,-1,11924\n")
    res = CliRunner().invoke(main, ["data", "build", "--population", str(SSB_DIR / "population_kommune_age_sex_2015_2024.csv"),
                                    "--municipalities", str(SSB_DIR / "kommuner_2024.csv"), "--staff",
                                    str(tmp_path / "bad.csv"), "--out", str(tmp_path / "bad")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert any("'region'" in ln and "9999" in ln for ln in lines) and any("'fte'" in ln for ln in lines)


def _employed(rows):
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["region", "year", "group", "persons", "table"])
    frame.attrs["file"] = "employed.csv"
    return frame


def test_an_employed_table_moves_a_groups_unmeasured_fte_to_where_it_is_employed(facts, nat):
    """Among the municipalities of the table, the group's FTE follow its employed persons; measured
    cells stay; others keep the estimate; the national total stays the facts'."""
    rng = np.random.default_rng(7)
    regions = make_regions(8, 2)
    pop = _population(rng, 8)
    user_rate = np.broadcast_to(np.linspace(0.01, 0.5, len(D.AGES)), (8, len(D.SERVICES), 2, len(D.AGES)))
    cm = catchment(regions)
    plain = RG.regional_supply(regions, pop, user_rate, nat, facts, cm)
    c = regions.codes
    g, q = D.GROUPS.index("health_worker"), D.SECTORS.index("care")
    import pandas as pd

    staff = pd.DataFrame(  # a measured cell of the same group in municipality 1
        {"level": ["municipality"], "region": [c[1]], "year": [2024], "sector": ["care"],
         "group": ["health_worker"], "fte": [50.0], "table": ["11924"]})
    employed = _employed([(c[0], 2024, "health_worker", 900.0, "07940"), (c[1], 2024, "health_worker", 100.0, "07940"),
                          (c[2], 2024, "health_worker", 0.0, "07940"), (c[0], 2023, "health_worker", 1.0, "07940")])
    measured = RG.with_tables(RG.Measured(), 2024, staff, employed)
    assert "employed table employed.csv 2024" in measured.sources[-1]
    reg = RG.regional_supply(regions, pop, user_rate, nat, facts, cm, measured=measured)
    F, F0 = reg.filled_fte[:, :, g], plain.filled_fte[:, :, g]
    np.testing.assert_allclose(reg.filled_fte.sum(axis=(0, 1)), nat.fte(), rtol=1e-9)
    assert F[1, q] == pytest.approx(50.0)  # measured
    assert F[2].sum() == 0.0  # nobody employed there
    # 0 and 1 share what the three had, 9:1 (before the national rescaling, which scales the free cells alike)
    assert F[0].sum() > F0[0].sum() and F[0].sum() / F[1].sum() > 4
    others = [D.GROUPS.index("nurse"), D.GROUPS.index("physician")]
    np.testing.assert_allclose(reg.filled_fte[:, :, others], plain.filled_fte[:, :, others], rtol=1e-9)
    assert reg.notes["distributed_by_employed"] == ["health_worker"]
    with pytest.raises(Exception, match="employed.csv: column 'year': no rows for 2020 or earlier"):
        RG.with_employed(RG.Measured(), employed, 2020)


def test_data_build_with_an_employed_table(tmp_path):
    """`helsemod data build --employed` moves FTE toward where a group is employed."""
    if not (SSB_DIR / "population_kommune_age_sex_2015_2024.csv").is_file():
        pytest.skip(f"SSB data not found at {SSB_DIR.resolve()}")
    from click.testing import CliRunner

    import helsemod_py as hm
    from helsemod_py.cli import main

    pop_csv, muni_csv = SSB_DIR / "population_kommune_age_sex_2015_2024.csv", SSB_DIR / "kommuner_2024.csv"
    _employed([("5601", 2024, "physiotherapist", 5000.0, "07940"), ("0301", 2024, "physiotherapist", 10.0, "07940")]
              ).to_csv(tmp_path / "employed.csv", index=False)
    runner = CliRunner()
    out = {}
    for name, extra in (("plain", []), ("emp", ["--employed", str(tmp_path / "employed.csv")])):
        res = runner.invoke(main, ["data", "build", "--population", str(pop_csv), "--municipalities", str(muni_csv),
                                   *extra, "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        p = hm.project(hm.load_dataset(tmp_path / name), end_year=2025)
        out[name] = p.supply_fte.sel(year=2024, group="physiotherapist").sum("sector")
    assert float(out["emp"].sel(region="5601")) > 5 * float(out["plain"].sel(region="5601"))
    assert float(out["emp"].sel(region="0301")) < 0.1 * float(out["plain"].sel(region="0301"))
    assert float(out["emp"].sum()) == pytest.approx(float(out["plain"].sum()), rel=1e-6)
