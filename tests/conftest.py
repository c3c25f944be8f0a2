"""Shared fixtures and hypothesis profiles.

Hypothesis profiles (choose with the ``HYPOTHESIS_PROFILE`` environment variable):

* ``default``: few examples, no deadline (the first call of a numba kernel compiles or
  loads it from the cache, which would trip a deadline);
* ``ci``: more examples, derandomised so a CI run is reproducible;
* ``thorough``: many examples for a local soak run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

from helpers import make_dataset as _make_dataset  # noqa: E402

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("default", max_examples=15, **_COMMON)
settings.register_profile("ci", max_examples=60, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True, scope="session")
def _dataset_cache(tmp_path_factory):
    """Loaded datasets are cached in a folder of this test session, never the user's cache
    (the command-line tests' subprocesses inherit it)."""
    old = os.environ.get("HELSEMOD_CACHE_DIR")
    os.environ["HELSEMOD_CACHE_DIR"] = str(tmp_path_factory.mktemp("helsemod-cache"))
    yield
    if old is None:
        os.environ.pop("HELSEMOD_CACHE_DIR", None)
    else:
        os.environ["HELSEMOD_CACHE_DIR"] = old


@pytest.fixture
def make_dataset():
    """Factory ``make_dataset(n_regions=4, n_counties=2, seed=0) -> Dataset`` (see tests/helpers.py)."""
    return _make_dataset


@pytest.fixture
def small_dataset():
    """A valid random dataset of 4 municipalities in 2 counties (a fresh object per test)."""
    return _make_dataset(4, 2, seed=0)
