"""Selection never changes results: --region/--regions choose what is shown and written, the model
always projects the whole country; a subset (closed region) gets its share of national measures."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import helsemod_py as hm
from helsemod_py.cli import main
from helsemod_py.outputs import long_table

SCEN = Path(__file__).parents[1] / "scenarios"
SCENARIOS = sorted(SCEN.glob("*.yaml"))
END = 2027
INNLANDET = "34"


@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset()


@pytest.fixture(scope="module")
def innlandet(ds):
    return [c for c, cc in zip(ds.regions.codes, ds.regions.county_codes) if cc == INNLANDET]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_region_run_writes_the_whole_country_numbers(scenario, ds, innlandet, tmp_path):
    """`run SCEN --region Innlandet --out` writes Innlandet's municipalities, its county and the
    nation, each row equal to the whole-country projection's."""
    out = tmp_path / "r"
    res = CliRunner().invoke(main, ["run", str(scenario), "--region", "Innlandet", "--end-year", str(END),
                                    "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    written = pd.read_csv(out / "results.csv", dtype={"region": str})
    assert set(written[written.region_level == "municipality"].region) == set(innlandet)
    assert set(written[written.region_level == "county"].region) == {INNLANDET}
    assert set(written[written.region_level == "nation"].region) == {"0"}
    full = long_table(hm.project(ds, scenario, end_year=END))
    keys = ["region_level", "region", "year", "variable", "sector", "group"]
    merged = written.merge(full.astype({"region": str}), on=keys, suffixes=("", "_full"), how="left")
    assert merged["value_full"].notna().all()
    np.testing.assert_allclose(merged["value"], merged["value_full"], rtol=1e-5, atol=1e-3)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["selection"] == sorted(innlandet)


def test_regions_json_and_all_regions(ds, innlandet, tmp_path):
    runner = CliRunner()
    one = json.loads(runner.invoke(main, ["run", "scenarios/menn_i_helse.yaml", "--json", "--region", "Innlandet",
                                          "--end-year", str(END)]).output)
    full = hm.project(ds, SCEN / "menn_i_helse.yaml", end_year=END).aggregate("county")
    gap = full.gap.sel(region=INNLANDET, group="health_worker").sum("sector")
    assert one["region"] == "Innlandet (34)" and one["level"] == "county"
    np.testing.assert_allclose(one["groups"]["health_worker"]["gap"], gap.values, atol=1e-2)
    # --regions sums municipalities; the sum of a county's municipalities in their sectors
    two = json.loads(runner.invoke(main, ["run", "--json", "--regions", ",".join(innlandet[:2]),
                                          "--end-year", str(END)]).output)
    assert two["regions"] == innlandet[:2] and "specialist" not in two["sectors"]
    out = tmp_path / "all"
    res = runner.invoke(main, ["run", "--region", "Innlandet", "--all-regions", "--end-year", str(END),
                               "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    written = pd.read_csv(out / "results.csv", dtype={"region": str})
    assert written[written.region_level == "municipality"].region.nunique() == len(ds.regions)
    assert "selection" not in json.loads((out / "manifest.json").read_text())


def test_region_and_regions_errors():
    runner = CliRunner()
    res = runner.invoke(main, ["run", "--region", "Innlandet", "--regions", "Oslo"])
    assert res.exit_code == 1 and res.output.count("\n") == 1 and "give one of them" in res.output
    res = runner.invoke(main, ["run", "--region", "Innlandet,Oslo"])
    assert res.exit_code == 1 and "for several use --regions Innlandet,Oslo" in res.output


def test_compare_region_writes_the_selection(innlandet, tmp_path):
    out = tmp_path / "c"
    res = CliRunner().invoke(main, ["compare", "scenarios/baseline.yaml", "scenarios/menn_i_helse.yaml",
                                    "--no-attribution", "--region", "Innlandet", "--end-year", str(END),
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Menn i helse vs baseline in Innlandet (34)" in res.output
    comp = pd.read_csv(out / "comparison.csv", dtype={"region": str})
    assert set(comp[comp.region_level == "municipality"].region) == set(innlandet)
    assert set(comp.scenario) == {"baseline", "Menn i helse"}


# --- closed region (Dataset.subset) ---------------------------------------------------------

EXACT = [p for p in SCENARIOS if p.stem not in ("gp_recruitment_districts", "psychologists_districts", "k2025_all",
                                                "helsemod_2019")]


@pytest.mark.parametrize("scenario", EXACT, ids=lambda p: p.stem)
def test_subset_gets_its_share_of_national_measures(scenario, ds, innlandet):
    """A subset projects its municipalities as the whole country does: national measures in persons
    reach it only with its share (they used to pour wholly into it)."""
    full = hm.project(ds, scenario, end_year=END).gap.sel(region=innlandet)
    part = hm.project(ds.subset(innlandet), scenario, end_year=END).gap
    np.testing.assert_allclose(part.values, full.values, atol=1e-6 * float(abs(full).max()) + 1e-6)


def test_subset_targets_outside_it_and_cross_border_recruits(ds, innlandet):
    """Measures targeting counties left out reach none of the subset; recruits across its border
    are not followed (documented), so the difference stays small."""
    sub = ds.subset(innlandet)
    assert sub.regions.is_outside("18") and sub.regions.is_outside("Nordland") and not sub.regions.is_outside("34")
    for name in ("psychologists_districts", "gp_recruitment_districts", "k2025_all"):
        full = hm.project(ds, SCEN / f"{name}.yaml", end_year=END).gap.sel(region=innlandet).sum()
        part = hm.project(sub, SCEN / f"{name}.yaml", end_year=END).gap.sum()
        assert abs(float(part - full)) < 0.01 * abs(float(full)), name


def test_subset_of_a_subset_and_round_trip(ds, innlandet, tmp_path):
    scenario = SCEN / "menn_i_helse.yaml"
    full = hm.project(ds, scenario, end_year=END).gap.sel(region=innlandet[:3])
    twice = ds.subset(innlandet).subset(innlandet[:3])
    np.testing.assert_allclose(hm.project(twice, scenario, end_year=END).gap.values, full.values, atol=1e-6)
    twice.save(tmp_path / "sub")
    back = hm.load_dataset(tmp_path / "sub")
    assert back.hash == twice.hash
    np.testing.assert_allclose(hm.project(back, scenario, end_year=END).gap.values, full.values, atol=1e-6)


def test_saved_subset_still_knows_the_regions_it_left_out(ds, innlandet, tmp_path):
    ds.subset(innlandet).save(tmp_path / "inn")
    back = hm.load_dataset(tmp_path / "inn")
    assert back.regions.is_outside("Finnmark")
    hm.project(back, SCEN / "psychologists_districts.yaml", end_year=END)  # targets Nordland, Troms, Finnmark


def test_malformed_closed_region_is_one_line(ds, innlandet, tmp_path):
    import yaml

    folder = tmp_path / "bad"
    ds.subset(innlandet[:2]).save(folder)
    meta = yaml.safe_load((folder / "dataset.yaml").read_text())
    meta["closed_region"]["graduate_region_share"]["kept"] = ["x"]
    (folder / "dataset.yaml").write_text(yaml.safe_dump(meta))
    with pytest.raises(hm.DatasetError, match=r"closed_region.graduate_region_share: must hold 'kept'"):
        hm.load_dataset(folder)
