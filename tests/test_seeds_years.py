"""One seed tree (entry id and draw), seeds range-checked, years outside the projection refused
with one line wherever a year is taken."""

from __future__ import annotations

import numpy as np
import pytest

import helsemod_py as hm
from helsemod_py import seeds
from helsemod_py._years import year_index
from helsemod_py.errors import HelsemodError
from helsemod_py.uncertainty import project_ensemble, sample

CODES = ["K0301", "K3401", "K5601", "K5602", "K1101"]


@pytest.fixture(scope="module")
def ds():
    return hm.load_dataset().subset(CODES)


def _u(uid, dist=None, **kw):
    return {"id": uid, "parameter": "exit_rate", "unit": "/1",
            "distribution": dist or {"type": "uniform", "low": 0.8, "high": 1.2}, **kw}


# --- the tree ----------------------------------------------------------------------------------
def test_neighbouring_seeds_and_draws_do_not_overlap():
    a = seeds.generator(5, seeds.UNCERTAINTY, "x", 1).random(8)
    b = seeds.generator(6, seeds.UNCERTAINTY, "x", 0).random(8)
    assert not np.array_equal(a, b)
    assert seeds.noise_seeds(5, [1])[0] != seeds.noise_seeds(6, [0])[0]
    streams = {tuple(seeds.generator(s, seeds.UNCERTAINTY, "x", d).integers(0, 2 ** 62, 2))
               for s in range(6) for d in range(6)}
    assert len(streams) == 36


def test_nodes_are_keyed_by_domain_id_and_draw_without_truncation():
    first = seeds.generator(1, seeds.UNCERTAINTY, "a", 0).random()
    assert seeds.generator(1, seeds.UNCERTAINTY, "a", 0).random() == first  # reproducible
    assert seeds.generator(1, seeds.EVIDENCE, "a", 0).random() != first
    assert seeds.generator(1, seeds.UNCERTAINTY, "b", 0).random() != first
    big = seeds.MAX_SEED
    assert seeds.generator(big, seeds.UNCERTAINTY, "a", 1).random() != seeds.generator(0, seeds.UNCERTAINTY, "a", 0).random()
    # draws beyond 2**32 are their own nodes, not draw mod 2**32
    assert seeds.generator(1, seeds.UNCERTAINTY, "a", 2 ** 32).random() != first
    s = seeds.noise_seeds(big, [0, 1, 2 ** 32])
    assert s.dtype == np.uint32 and len(set(s.tolist())) == 3


@pytest.mark.parametrize("bad", [-1, 2 ** 32, 1.5, "3", True, None])
def test_seed_outside_its_range_is_one_line(ds, bad):
    with pytest.raises(HelsemodError, match=r"^seed .*: must be a whole number from 0 to 4294967295$"):
        seeds.check_seed(bad)
    with pytest.raises(HelsemodError, match="must be a whole number from 0 to 4294967295"):
        project_ensemble(ds, None, draws=2, seed=bad, end_year=2026)


def test_an_entry_draws_the_same_values_whatever_its_position_and_neighbours(ds):
    cells = np.ones((3, 2), dtype=bool)
    alone = hm.Scenario("a", uncertainty=[_u("exits")])
    crowded = hm.Scenario("b", uncertainty=[_u("other", correlation=0.3), _u("exits")])
    assert np.array_equal(sample(alone.uncertainty[0], range(10), cells, 7),
                          sample(crowded.uncertainty[1], range(10), cells, 7))
    renamed = hm.Scenario("c", uncertainty=[_u("exits2")])
    assert not np.array_equal(sample(alone.uncertainty[0], range(10), cells, 7),
                              sample(renamed.uncertainty[0], range(10), cells, 7))


def test_seed_5_draw_1_is_not_seed_6_draw_0_in_an_ensemble(ds):
    scn = hm.Scenario("u", uncertainty=[_u("exits")])
    five = project_ensemble(ds, scn, draws=2, seed=5, end_year=2027, noise=True, keep_draws=True)
    six = project_ensemble(ds, scn, draws=2, seed=6, end_year=2027, noise=True, keep_draws=True)
    assert not np.array_equal(five.draws_county.values[1], six.draws_county.values[0])
    top = project_ensemble(ds, scn, draws=2, seed=seeds.MAX_SEED, end_year=2027, noise=True, keep_draws=True)
    assert np.isfinite(top.draws_county.values).all()


def test_noise_of_a_draw_does_not_depend_on_its_neighbours(ds):
    a = project_ensemble(ds, None, draws=3, seed=9, end_year=2027, noise=True, keep_draws=True)
    b = project_ensemble(ds, None, draws=5, seed=9, end_year=2027, noise=True, keep_draws=True, chunk=2)
    assert np.array_equal(a.draws_county.values, b.draws_county.values[:3])


# --- years -------------------------------------------------------------------------------------
@pytest.mark.parametrize("year,message", [
    (2023, "year 2023: outside the projected years 2024-2030"),
    (2031, "year 2031: outside the projected years 2024-2030"),
    (2024.5, "must be a year"),
    ("2025", "must be a year"),
])
def test_year_index(year, message):
    with pytest.raises(HelsemodError, match=message):
        year_index(year, range(2024, 2031))


def test_year_index_inside():
    assert year_index(2024, range(2024, 2031)) == 0
    assert year_index(np.int64(2030), np.arange(2024, 2031)) == 6
    assert year_index(2026.0, range(2024, 2031)) == 2


def test_years_outside_the_projection_are_one_line_everywhere(ds):
    from helsemod_py.analysis import attribute, required_intake
    from helsemod_py.compare import change_table
    from helsemod_py.evidence import effect_bounds
    from helsemod_py.uncertainty import sensitivity

    scn = hm.Scenario("u", uncertainty=[_u("exits")])
    outside = "outside the projected years 2024-2027"
    with pytest.raises(HelsemodError, match=f"municipality_years 2020: {outside}"):
        project_ensemble(ds, scn, draws=2, end_year=2027, municipality_years=[2020])
    with pytest.raises(HelsemodError, match=f"municipality_years 2028: {outside}"):
        project_ensemble(ds, scn, draws=2, end_year=2027, municipality_years=[2028])
    with pytest.raises(HelsemodError, match=f"year 2010: {outside}"):
        sensitivity(ds, scn, method="morris", samples=2, year=2010, end_year=2027)
    base = hm.project(ds, end_year=2027)
    with pytest.raises(HelsemodError, match=f"year 2000: {outside}"):
        change_table(base, base, 2000)
    measure = {"id": "m", "parameter": "avg_fte", "multiply": {"value": 1.02, "unit": "/1", "range": [1.0, 1.05]},
               "path": {"start": 2025}}
    with_m = hm.Scenario("m", measures=[measure])
    att = attribute(ds, with_m, end_year=2027)
    with pytest.raises(HelsemodError, match=f"year 2023: {outside}"):
        att.waterfall(2023)
    with pytest.raises(HelsemodError, match=f"year 2040: {outside}"):
        att.cost_effectiveness(2040)
    with pytest.raises(HelsemodError, match=f"year 2019: {outside}"):
        effect_bounds(ds, with_m, 2019, attribution=att, end_year=2027)
    with pytest.raises(HelsemodError, match="target year 2099: outside the projected years 2024-2050"):
        required_intake(ds, "nurse", 2099)
