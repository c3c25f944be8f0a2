"""Speed without changes: the dataset cache gives the dataset a parse gives, and the fast CSV
writer writes what pandas writes, byte for byte."""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from helpers import make_dataset
from helsemod_py._csv import to_csv, write_arrow
from helsemod_py.data import cache
from helsemod_py.data.dataset import Dataset
from helsemod_py.data.schema import PARAMETERS


def _same(a: Dataset, b: Dataset) -> None:
    assert set(a.arrays) == set(b.arrays) == set(PARAMETERS)
    for name in PARAMETERS:
        assert a[name].dtype == b[name].dtype == np.float64
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert (a.regions, a.scalars, a.base_year, a.name, a.version, a.meta) == \
        (b.regions, b.scalars, b.base_year, b.name, b.version, b.meta)
    assert a.hash == b.hash


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    path = tmp_path / "ds"
    make_dataset(4, 2, seed=3).save(path)
    return path


def _entries():
    base = cache.folder()
    return sorted(base.glob("*.npz")) if base.is_dir() else []


def test_cached_load_equals_parsed_load(folder):
    parsed = Dataset.load(folder, cache=False)
    assert _entries() == []
    first = Dataset.load(folder)  # parses and stores
    assert len(_entries()) == 1
    second = Dataset.load(folder)  # from the cache
    _same(parsed, first)
    _same(parsed, second)


def test_cache_hit_skips_parsing(folder, monkeypatch):
    Dataset.load(folder)
    from helsemod_py.data import dataset as mod

    monkeypatch.setattr(mod, "_read_param", lambda *a: pytest.fail("parsed although cached"))
    Dataset.load(folder)


@pytest.mark.parametrize("edit", ["value", "regions", "meta", "touch_only"])
def test_cache_is_invalidated_when_a_file_changes(folder, edit):
    Dataset.load(folder)
    if edit == "value":  # one value of one parameter, same file size
        f = folder / "sick_leave.csv"
        text = f.read_text()
        last = text.rstrip().rsplit(",", 1)[1]
        f.write_text(text.rstrip()[: -len(last)] + ("0.05" if last != "0.05" else "0.06") + "\n")
    elif edit == "regions":
        f = folder / "regions.csv"
        f.write_text(f.read_text().replace("Kommune 0101", "Kommune 0101 renamed"))
    elif edit == "meta":
        f = folder / "dataset.yaml"
        f.write_text(f.read_text() + "\nnotes: changed\n")
    else:  # a new modification time with the same bytes: still the same entry
        os.utime(folder / "sick_leave.csv", (1, 1))
    fresh = Dataset.load(folder, cache=False)
    loaded = Dataset.load(folder)
    _same(fresh, loaded)
    assert len(_entries()) == (1 if edit == "touch_only" else 2)


def test_corrupt_or_foreign_entry_is_ignored(folder):
    Dataset.load(folder)
    (entry,) = _entries()
    entry.write_bytes(b"not a zip file")
    _same(Dataset.load(folder, cache=False), Dataset.load(folder))
    (entry,) = _entries()  # written again
    np.savez(entry, population=np.zeros(3))  # wrong names and shapes
    _same(Dataset.load(folder, cache=False), Dataset.load(folder))


def test_unwritable_cache_is_harmless(folder, tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setenv(cache.ENV, str(ro))

    def refused(*args, **kwargs):  # as a read-only folder answers (root would be let in)
        raise PermissionError(13, "Permission denied", str(ro))

    monkeypatch.setattr(cache.tempfile, "mkstemp", refused)
    assert not cache.write("0" * 64, {"x": np.zeros(2)})
    _same(Dataset.load(folder, cache=False), Dataset.load(folder))


def test_cache_folder_that_cannot_be_made_is_harmless(folder, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv(cache.ENV, str(blocker))
    assert not cache.write("0" * 64, {"x": np.zeros(2)})
    _same(Dataset.load(folder, cache=False), Dataset.load(folder))


@pytest.mark.parametrize("value", ["", "off"])
def test_cache_can_be_switched_off(folder, monkeypatch, value):
    monkeypatch.setenv(cache.ENV, value)
    assert cache.folder() is None
    Dataset.load(folder)
    assert not (folder.parent / "cache").exists()


def test_old_entries_are_pruned(folder, monkeypatch):
    monkeypatch.setattr(cache, "KEEP", 2)
    for i in range(4):
        assert cache.write(f"{i:064d}", {"x": np.full(2, float(i))})
        os.utime(cache.folder() / f"{i:064d}.npz", (i + 1, i + 1))
    cache._prune(cache.folder())
    assert [p.stem[-1] for p in _entries()] == ["2", "3"]


def test_a_pipe_does_not_hang_the_key(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert cache.key([fifo], 10 ** 6) is None


def _settled_now(monkeypatch):
    """Files count as settled at once (their stat is recorded on the first load)."""
    monkeypatch.setattr(cache, "SETTLED", -3600.0)


def test_unchanged_files_are_not_read_again(folder, monkeypatch):
    _settled_now(monkeypatch)
    first = Dataset.load(folder)  # hashes the files, records their stat
    monkeypatch.setattr(cache, "_content_key", lambda *a: pytest.fail("hashed although recorded"))
    from helsemod_py import _yaml

    monkeypatch.setattr(_yaml, "load", lambda *a, **k: pytest.fail("dataset.yaml parsed again"))
    _same(first, Dataset.load(folder))


def test_fresh_files_are_not_recorded(folder, monkeypatch):
    monkeypatch.setattr(cache, "SETTLED", 3600.0)  # "just written", however slow the machine
    Dataset.load(folder)  # changed within SETTLED seconds: hashed every time
    assert not list((cache.folder() / "stat").glob("*"))


@pytest.mark.parametrize("edit", ["same_size", "longer"])
def test_recorded_stat_gives_way_to_a_changed_file(folder, monkeypatch, edit):
    _settled_now(monkeypatch)
    Dataset.load(folder)
    f = folder / "sick_leave.csv"
    text = f.read_text()
    last = text.rstrip().rsplit(",", 1)[1]
    new = "0.05" if last != "0.05" else "0.06"
    before = os.stat(f)
    while os.stat(f).st_ctime_ns == before.st_ctime_ns:  # a clock tick later (a coarse clock ticks every few ms)
        f.write_text(text.rstrip()[: -len(last)] + (new if edit == "same_size" else new + "0001") + "\n")
    _same(Dataset.load(folder, cache=False), Dataset.load(folder))
    assert len(_entries()) == 2


def test_meta_that_json_cannot_hold_is_parsed_each_time(folder, monkeypatch):
    f = folder / "dataset.yaml"
    f.write_text(f.read_text() + "\nbuilt: 2024-05-01\n")  # a date: JSON would give text back
    first = Dataset.load(folder)
    assert not list((cache.folder() / "meta").glob("*"))
    _same(Dataset.load(folder, cache=False), first)


# --- CSV ------------------------------------------------------------------------------------
def _pandas_bytes(frame, tmp_path, fmt="%.6g") -> bytes:
    frame.to_csv(tmp_path / "pandas.csv", index=False, float_format=fmt)
    return (tmp_path / "pandas.csv").read_bytes()


def _fast_bytes(frame, tmp_path, fmt="%.6g") -> bytes:
    to_csv(frame, tmp_path / "fast.csv", float_format=fmt)
    return (tmp_path / "fast.csv").read_bytes()


def test_csv_edge_values_are_written_as_pandas_writes_them(tmp_path):
    frame = pd.DataFrame({
        "text": ["x", None, "", "ø æ å", "0301"],
        "value": [np.nan, -0.0, 1.23456789e10, np.inf, 1e-300],
        "year": [2024, 2025, -1, 0, 2 ** 40],
        "other": [0.1, -np.inf, 5.0, 123456.5, 1e16],
    })
    assert _fast_bytes(frame, tmp_path) == _pandas_bytes(frame, tmp_path)
    assert _fast_bytes(frame, tmp_path, "%.17g") == _pandas_bytes(frame, tmp_path, "%.17g")


@pytest.mark.parametrize("text", ['a,b', 'say "hi"', "two\nlines", "cr\r"])
def test_csv_text_that_needs_quotes_goes_to_pandas(tmp_path, text):
    frame = pd.DataFrame({"name": ["plain", text], "value": [1.0, 2.0]})
    assert _fast_bytes(frame, tmp_path) == _pandas_bytes(frame, tmp_path)


@given(hpd.data_frames([
    hpd.column("a", elements=st.text(max_size=6)),
    hpd.column("b", elements=st.floats(allow_nan=True, allow_infinity=True)),
    hpd.column("c", elements=st.integers(-2 ** 62, 2 ** 62)),
]))
def test_csv_writer_matches_pandas(tmp_path_factory, frame):
    tmp = tmp_path_factory.mktemp("csv")
    assert _fast_bytes(frame, tmp) == _pandas_bytes(frame, tmp)


@pytest.mark.parametrize("fmt", ["%.6g", "%.3g", "%.9g", "%.1g"])
def test_floats_formatted_through_pyarrow_are_what_python_writes(fmt):
    """``%.Ng`` written from the values rounded to N digits (pyarrow's shortest form) is what Python's
    ``%`` writes, byte for byte: at every exponent, half-way values and their neighbours, powers of
    ten and theirs, zeros, infinities, NaN (null) and doubles of any bit pattern."""
    import pyarrow as pa

    from helsemod_py._csv import _format_each, _format_floats

    rng = np.random.default_rng(16)
    digits = int(fmt[2:-1])
    e = rng.integers(-7, digits + 3, 20_000)
    m = rng.integers(10 ** (digits - 1), 10 ** digits, len(e)) + rng.choice([0.0, 0.5, 0.25], len(e))
    exact = m * 10.0 ** (e - digits + 1)
    tens = 10.0 ** np.arange(-8, 12)
    values = np.concatenate([exact, np.nextafter(exact, np.inf), np.nextafter(exact, -np.inf), -exact, tens,
                             np.nextafter(tens, 0), np.nextafter(tens, np.inf), np.round(rng.normal(0, 1e6, 5_000)),
                             rng.integers(0, 2 ** 63, 20_000, dtype=np.int64).view(np.float64),
                             [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1.7976931348623157e308]])
    assert _format_floats(values, fmt, pa).equals(_format_each(values, fmt, pa))


@given(st.lists(st.floats(), max_size=40))
def test_floats_formatted_through_pyarrow_are_what_python_writes_any(values):
    import pyarrow as pa

    from helsemod_py._csv import _format_each, _format_floats

    values = np.array(values, dtype=np.float64)
    assert _format_floats(values, "%.6g", pa).equals(_format_each(values, "%.6g", pa))


# --- tidy tables ----------------------------------------------------------------------------
def test_tidy_equals_xarray_to_dataframe(small_dataset):
    import helsemod_py as hm
    from helsemod_py.results import tidy

    res = hm.project(small_dataset, end_year=2027)
    for level in ("municipality", "trust", "county", "nation"):
        agg = res.aggregate(level)
        assert res.aggregate(level) is agg  # kept, not summed again
        for name, da in agg.data.data_vars.items():
            expected = da.to_dataframe(name="value").reset_index()
            got = tidy(da)
            assert sorted(got.columns) == sorted(expected.columns), name
            pd.testing.assert_frame_equal(got, expected[list(got.columns)], check_exact=True)


def test_arrow_table_and_writer_equal_pandas_ones(small_dataset, tmp_path, monkeypatch):
    """results.csv is written from :func:`long_arrow` by :func:`write_arrow`: the bytes pandas'
    table would give, in chunks (small ones here, so there are several), for all regions and a selection."""
    import helsemod_py as hm
    from helsemod_py import _csv
    from helsemod_py.outputs import long_arrow, long_table

    monkeypatch.setattr(_csv, "CHUNK_ROWS", 1000)
    res = hm.project(small_dataset, end_year=2027)
    for municipalities in (None, [str(res.data["region"].values[0])]):
        frame = long_table(res, municipalities=municipalities)
        table = long_arrow(res, municipalities=municipalities)
        assert table.num_rows == len(frame) > 1000
        pd.testing.assert_frame_equal(table.to_pandas().astype(frame.dtypes.to_dict()), frame, check_exact=True)
        write_arrow(table, tmp_path / "fast.csv")
        assert (tmp_path / "fast.csv").read_bytes() == _pandas_bytes(frame, tmp_path)


def test_write_arrow_hands_text_that_needs_quotes_to_pandas(tmp_path):
    import pyarrow as pa

    table = pa.table({"name": pa.array(["plain", "a,b"]).dictionary_encode(), "value": [1.0, np.nan]})
    write_arrow(table, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == _pandas_bytes(table.to_pandas().astype({"name": str}), tmp_path)


def test_trust_and_county_sums_are_xarrays_bit_for_bit(small_dataset):
    """The trust and county levels are summed with numpy (a tenth of the time); the sums are those
    of ``xr.dot`` over the catchment and of xarray's group-by, bit for bit, NaN (the flows' padding
    year) included."""
    import xarray as xr

    import helsemod_py as hm

    res = hm.project(small_dataset, end_year=2028)
    src = res.data.drop_vars(["region_name"])
    cat = res.catchment
    w = xr.DataArray(cat.weights, dims=("trust", "region"), coords={"trust": list(cat.codes),
                                                                    "region": list(src["region"].values)})
    county = src.groupby("county").sum(skipna=False)
    trusts, counties = res.aggregate("trust").data, res.aggregate("county").data
    assert any(bool(np.isnan(da.values).any()) for da in src.data_vars.values())
    for name, da in src.drop_vars("county").data_vars.items():
        ref = xr.dot(w, da.fillna(0.0), dim="region").where(~da.isnull().any("region")) if da.isnull().any() \
            else xr.dot(w, da, dim="region")
        np.testing.assert_array_equal(trusts[name].values, ref.rename(trust="region").transpose(*da.dims).values,
                                      err_msg=name)
        np.testing.assert_array_equal(counties[name].values,
                                      county[name].rename(county="region").transpose(*da.dims).values, err_msg=name)


def test_demand_by_sector_is_the_group_by_bit_for_bit(small_dataset):
    import xarray as xr

    import helsemod_py as hm
    from helsemod_py.results import demand_by_sector

    res = hm.project(small_dataset, end_year=2027)
    for level in ("municipality", "trust", "county", "nation"):
        da = res.aggregate(level).data["demand_fte"]
        ref = da.groupby("service_sector").sum("service", keep_attrs=True).rename(service_sector="sector")
        xr.testing.assert_identical(demand_by_sector(da), ref)
        np.testing.assert_array_equal(demand_by_sector(da).values, ref.values)
