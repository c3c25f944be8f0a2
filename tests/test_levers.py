"""The lever registry (``scenario.schema.LEVERS``) is the one table validation, application,
uncertainty sampling and the docs read: its entries must agree with the model and the kernels."""

from __future__ import annotations

import dataclasses
import typing

import numpy as np
import pytest

import helsemod_py as hm
from helsemod_py import dims as D
from helsemod_py.checks import cells_of, draw_range
from helsemod_py.core.supply import FACTORS
from helsemod_py.model import ModelInputs
from helsemod_py.scenario.schema import (DRAW_KINDS, LEVERS, MEASURE_LEVERS, UNCERTAIN, UNCERTAIN_TARGETS, Measure,
                                         Uncertain)
from helsemod_py.uncertainty import _prepare, factor_arrays


def test_every_lever_names_a_model_input_with_its_dimensions():
    fields = {f.name for f in dataclasses.fields(ModelInputs)}
    for name, lever in LEVERS.items():
        assert lever.field in fields, name
        assert lever.lo <= lever.hi, name
        assert lever.draw is None or lever.draw in DRAW_KINDS, name


def test_measures_and_draws_take_their_parameters_from_the_registry():
    assert typing.get_args(Measure.model_fields["parameter"].annotation) == tuple(MEASURE_LEVERS)
    assert typing.get_args(Uncertain.model_fields["parameter"].annotation) == UNCERTAIN
    assert set(UNCERTAIN) == {n for n, lv in LEVERS.items() if lv.draw}
    assert all(UNCERTAIN_TARGETS[p] == LEVERS[p].drawn_per for p in UNCERTAIN)
    assert not set(LEVERS) - set(MEASURE_LEVERS) - set(UNCERTAIN), "a lever neither measured nor drawn"


def test_the_supply_kernels_factors_are_exactly_the_group_draws():
    assert {n for n, lv in LEVERS.items() if lv.draw == "group"} == set(FACTORS)


@pytest.mark.parametrize("parameter", UNCERTAIN)
def test_a_draw_on_every_drawable_lever_reaches_the_kernel(small_dataset, parameter):
    """A factor of 1.1 (or a growth rate of 2 %) on one lever changes exactly its kernel slot."""
    lever = LEVERS[parameter]
    rate = lever.draw == "growth"
    dist = {"type": "uniform", "low": 0.02, "high": 0.021} if rate else {"type": "uniform", "low": 1.1, "high": 1.1001}
    u = {"id": "x", "parameter": parameter, "distribution": dist, "unit": lever.draw_unit}
    scn = hm.Scenario("one", uncertainty=[u])
    prep = _prepare(small_dataset, scn, 2027, noise=False)
    cells, labels = cells_of(scn.uncertainty[0], small_dataset)
    assert cells.all() and len(labels) == cells.shape[1]
    base = factor_arrays(_prepare(small_dataset, None, 2027, noise=False), [0], 0)
    arrays = factor_arrays(prep, [0], 0)
    slots = {"group": 0, "transition": 2, "service": 4, "growth": 4, "migration": 6}
    changed = [i for i, (a, b) in enumerate(zip(arrays, base)) if not np.array_equal(a, b)]
    assert slots[lever.draw] in changed
    assert set(changed) <= {slots[lever.draw], slots[lever.draw] + 1}, changed
    if lever.draw == "group":
        j = FACTORS.index(parameter)
        assert np.allclose(arrays[0][..., j], 1.1, atol=1e-3)
        assert np.array_equal(np.delete(arrays[0], j, axis=-1), np.delete(base[0], j, axis=-1))
    lo, hi, unit = draw_range(parameter)
    assert (lo, hi, unit) == (lever.lo, lever.hi, lever.unit)

