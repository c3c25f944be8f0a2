"""Draws streamed to a store: exact quantiles (np.quantile bit for bit) in memory that does not
grow with the number of draws."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import helsemod_py as hm
from helsemod_py import _drawstore
from helsemod_py._drawstore import DrawStore
from helsemod_py.errors import HelsemodError

SHAPES = {"a": (3, 4), "b": (5,), "c": (2, 2, 2)}
Q = (0.05, 0.25, 0.5, 0.75, 0.95)


def _fill(store: DrawStore, values: dict, chunks) -> None:
    start = 0
    for size in chunks:
        store.add(start, {k: v[start:start + size] for k, v in values.items()})
        start += size


@pytest.mark.parametrize("memory_bytes, block_bytes", [(None, None), (0, 8 * 7 * 3), (0, 1)])
def test_quantiles_are_np_quantile_bit_for_bit(memory_bytes, block_bytes):
    rng = np.random.default_rng(5)
    n = 257
    values = {k: rng.standard_normal((n, *shape)) * 1e4 for k, shape in SHAPES.items()}
    with DrawStore(SHAPES, n, memory_bytes=memory_bytes, block_bytes=block_bytes) as store:
        assert (store.file is None) == (memory_bytes is None)
        _fill(store, values, [64, 64, 1, 100, 28])
        got = store.quantiles(Q)
    for k, v in values.items():
        assert np.array_equal(got[k], np.quantile(v, Q, axis=0)), k


def test_draws_must_come_in_order_and_all():
    store = DrawStore({"a": (2,)}, 4)
    with pytest.raises(ValueError, match="expected draw 0, got 2"):
        store.add(2, {"a": np.zeros((2, 2))})
    store.add(0, {"a": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="2 of 4 draws added"):
        store.quantiles(Q)


def test_streamed_memory_is_flat_in_the_number_of_draws():
    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            with DrawStore({"x": (2000,)}, n, memory_bytes=0, block_bytes=2 ** 20) as store:
                for start in range(0, n, 64):
                    k = min(64, n - start)
                    store.add(start, {"x": np.full((k, 2000), float(start))})
                store.quantiles(Q)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(500), peak(8000)  # 8 MB and 128 MB of values
    assert large < 1.5 * small + 2 ** 20, (small, large)
    assert large < 16 * 2 ** 20


def test_too_little_disk_for_the_draws_is_one_line(monkeypatch, tmp_path):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10, 10, 1000))
    with pytest.raises(HelsemodError, match=r"the draws need .* GiB of temporary space in .* set TMPDIR"):
        DrawStore({"x": (1000,)}, 1000, memory_bytes=0, spill_dir=tmp_path)


def test_an_ensemble_streamed_to_disk_has_the_quantiles_of_one_kept_in_memory(monkeypatch):
    ds = hm.load_dataset().subset(["K0301", "K3401", "K5601"])
    scn = hm.Scenario.from_yaml(Path(__file__).resolve().parents[1] / "scenarios" / "uncertainty.yaml")
    kept = hm.project(ds, scn, end_year=2028, draws=70, seed=4, keep_draws=True)
    monkeypatch.setattr(_drawstore, "MEMORY_BYTES", 0)
    monkeypatch.setattr(_drawstore, "BLOCK_BYTES", 4096)
    streamed = hm.project(ds, scn, end_year=2028, draws=70, seed=4)
    for level in ("nation", "county", "municipality"):
        assert np.array_equal(getattr(kept, level).values, getattr(streamed, level).values), level
    assert np.array_equal(kept.nation.values,
                          np.quantile(kept.draws_nation.values, kept.nation["quantile"].values, axis=0))
