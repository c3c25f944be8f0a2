"""Dataset folders: save/load round trip, compact files, one clear line per problem, subset."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import make_dataset
from helsemod_py import dims as D
from helsemod_py.data.dataset import Dataset
from helsemod_py.data.schema import PARAMETERS
from helsemod_py.errors import DatasetError, HelsemodError


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _assert_same_dataset(a: Dataset, b: Dataset) -> None:
    assert set(a.arrays) == set(b.arrays) == set(PARAMETERS)
    for name in PARAMETERS:
        assert a[name].shape == b[name].shape, name
        assert a[name].dtype == b[name].dtype == np.float64, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert a.scalars == b.scalars
    assert a.regions == b.regions
    assert a.base_year == b.base_year
    assert (a.name, a.version) == (b.name, b.version)
    assert a.hash == b.hash


# --- round trip -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A valid dataset saved once per module; tests copy the folder before damaging it."""
    ds = make_dataset(3, 2, seed=11)
    folder = tmp_path_factory.mktemp("saved") / "ds"
    ds.save(folder)
    return ds, folder


@pytest.fixture
def folder(saved, tmp_path):
    dst = tmp_path / "ds"
    shutil.copytree(saved[1], dst)
    return dst


def test_round_trip(saved):
    ds, folder = saved
    loaded = Dataset.load(folder)
    _assert_same_dataset(loaded, ds)
    assert loaded.meta.get("synthetic") is True


@pytest.mark.parametrize("seed", [1, 2])
def test_round_trip_full_precision(tmp_path, seed):
    """Values with all 17 significant digits come back bit for bit (and so the hash)."""
    ds = make_dataset(2, 1, seed=seed, digits=None)
    assert any(len(repr(float(v))) > 14 for v in ds["exit_rate"].ravel()[:50])  # really full precision
    loaded = Dataset.load(ds.save(tmp_path / "ds"))
    _assert_same_dataset(loaded, ds)


def test_round_trip_of_a_loaded_dataset_is_stable(saved, tmp_path):
    """Saving a loaded dataset again writes the same files."""
    ds, folder = saved
    again = Dataset.load(folder).save(tmp_path / "again")
    first, second = _snapshot(folder), _snapshot(again)
    assert first.keys() == second.keys()
    for name in first:
        if name.endswith(".csv"):
            assert first[name] == second[name], name


def test_region_codes_keep_leading_zeros(saved):
    _, folder = saved
    text = (folder / "regions.csv").read_text()
    assert "\n0101," in text
    loaded = Dataset.load(folder)
    assert loaded.regions.codes[0] == "0101"
    assert loaded.regions.county_codes[0] == "01"


def test_save_without_force_keeps_existing_folder(saved, folder):
    before = _snapshot(folder)
    other = make_dataset(2, 1, seed=99)
    with pytest.raises(DatasetError, match="exists"):
        other.save(folder)
    assert _snapshot(folder) == before
    _assert_same_dataset(Dataset.load(folder), saved[0])
    # nothing is left behind next to it
    assert sorted(p.name for p in folder.parent.iterdir()) == ["ds"]


def test_save_with_force_replaces_folder(folder):
    other = make_dataset(2, 1, seed=99)
    other.save(folder, force=True)
    _assert_same_dataset(Dataset.load(folder), other)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["ds"]


# --- compact files ------------------------------------------------------------------------
def test_constant_along_region_is_written_without_region_column(tmp_path):
    ds = make_dataset(3, 2, seed=3)
    national_exit = np.broadcast_to(ds["exit_rate"][:1], ds["exit_rate"].shape)
    flat_sick = np.full(ds["sick_leave"].shape, 0.07)
    same_grads = np.full(ds["graduates"].shape, 120.0)
    ds = ds.replace(exit_rate=national_exit, sick_leave=flat_sick, graduates=same_grads)
    folder = ds.save(tmp_path / "ds")

    exit_csv = pd.read_csv(folder / "exit_rate.csv", dtype=str)
    assert list(exit_csv.columns) == ["group", "sex", "age", "value"]
    assert len(exit_csv) == len(D.GROUPS) * len(D.SEXES) * len(D.WORK_AGES)
    sick_csv = pd.read_csv(folder / "sick_leave.csv", dtype=str)
    assert list(sick_csv.columns) == ["value"] and len(sick_csv) == 1
    grads_csv = pd.read_csv(folder / "graduates.csv", dtype=str)
    assert list(grads_csv.columns) == ["value"] and len(grads_csv) == 1
    # required dimensions are always written
    assert list(pd.read_csv(folder / "stock.csv", nrows=1).columns) == ["region", "group", "sex", "age", "value"]
    # a file that varies along region keeps the column
    assert "region" in pd.read_csv(folder / "participation.csv", nrows=1).columns

    loaded = Dataset.load(folder)
    for name in ("exit_rate", "sick_leave", "graduates"):
        assert loaded[name].shape == ds[name].shape
        np.testing.assert_array_equal(loaded[name], ds[name])
    loaded["exit_rate"][0, 0, 0, 0] += 0.001  # a full writable array, not a stride-0 view
    assert loaded["exit_rate"][1, 0, 0, 0] != loaded["exit_rate"][0, 0, 0, 0]
    assert loaded.hash != ds.hash
    _assert_same_dataset(Dataset.load(folder), ds)


def test_hand_written_national_file_is_broadcast(folder):
    (folder / "avg_fte.csv").write_text("value\n0.85\n")
    sex_only = pd.DataFrame({"sex": ["male", "female"], "value": ["0.9", "0.6"]})
    sex_only.to_csv(folder / "participation.csv", index=False)
    ds = Dataset.load(folder)
    assert ds["avg_fte"].shape == (3, len(D.GROUPS), 2, len(D.WORK_AGES))
    assert (ds["avg_fte"] == 0.85).all()
    assert (ds["participation"][:, :, 0] == 0.9).all() and (ds["participation"][:, :, 1] == 0.6).all()


# --- one clear line per problem -------------------------------------------------------------
def _rewrite(folder: Path, name: str, edit) -> pd.DataFrame:
    f = folder / name
    frame = pd.read_csv(f, dtype=str, keep_default_na=False)
    frame = edit(frame)
    frame.to_csv(f, index=False)
    return frame


def _set_value(name: str, row: int, value: str):
    def damage(folder: Path):
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        frame.loc[row, "value"] = value
        frame.to_csv(folder / name, index=False)
        keys = {c: frame.loc[row, c] for c in frame.columns if c != "value"}
        return keys
    return damage


def _edit_meta(edit):
    def damage(folder: Path):
        f = folder / "dataset.yaml"
        meta = yaml.safe_load(f.read_text())
        edit(meta)
        f.write_text(yaml.safe_dump(meta, sort_keys=False))
        return {}
    return damage


def _delete(name):
    def damage(folder: Path):
        (folder / name).unlink()
        return {}
    return damage


def _region_code(folder):
    frame = pd.read_csv(folder / "population.csv", dtype=str)
    frame.loc[4, "region"] = "9999"
    frame.to_csv(folder / "population.csv", index=False)
    return {}


def _extra_column(folder):
    _rewrite(folder, "exit_rate.csv", lambda f: f.assign(colour="blue"))
    return {}


def _duplicate(folder):
    frame = _rewrite(folder, "stock.csv", lambda f: pd.concat([f, f.iloc[[7]]], ignore_index=True))
    return {c: frame.loc[7, c] for c in ("region", "group", "sex", "age")}


def _missing_row(folder):
    removed = {}

    def edit(f):
        removed.update({c: f.loc[12, c] for c in ("region", "group", "sex", "age")})
        return f.drop(index=12)
    _rewrite(folder, "stock.csv", edit)
    return removed


def _share_off(folder):
    def edit(f):
        f.loc[0, "value"] = repr(float(f.loc[0, "value"]) + 0.1)
        return f
    frame = _rewrite(folder, "graduate_region_share.csv", edit)
    return {"group": frame.loc[0, "group"]}


def _transitions_over_one(folder):
    keys = {}

    def edit(f):
        at = (f["region"] == "0102") & (f["sex"] == "female") & (f["age"] == "40")
        out_of_nurse = f["transition"].str.startswith("nurse>")
        assert (at & out_of_nurse).sum() == 4
        f.loc[at & out_of_nurse, "value"] = "0.4"
        return f
    _rewrite(folder, "transition_rate.csv", edit)
    return keys


def _meta_bytes(data: bytes):
    def damage(folder: Path):
        (folder / "dataset.yaml").write_bytes(data)
        return {}
    return damage


def _param_file(path_of):
    """Point exit_rate's file at ``path_of(folder)`` (a secret beside the folder: never echoed)."""
    def damage(folder: Path):
        secret = folder.parent / "secret.csv"
        secret.write_text("PASSWORD=hunter2-" + "x" * 200 + ",value\n1,2\n")
        meta = yaml.safe_load((folder / "dataset.yaml").read_text())
        meta["parameters"]["exit_rate"]["file"] = path_of(folder, secret)
        (folder / "dataset.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
        return {}
    return damage


def _link_outside(folder: Path):
    secret = folder.parent / "secret.csv"
    secret.write_text("PASSWORD=hunter2,value\n1,2\n")
    (folder / "exit_rate.csv").unlink()
    (folder / "exit_rate.csv").symlink_to(secret)
    return {}


def _many_regions(folder: Path):
    from helsemod_py.data.dataset import MAX_REGIONS

    rows = [f"R{i},n{i},C{i % 3},c{i % 3}" for i in range(MAX_REGIONS + 1)]
    (folder / "regions.csv").write_text("region,name,county,county_name\n" + "\n".join(rows) + "\n")
    return {}


def _long_column(folder):
    _rewrite(folder, "exit_rate.csv", lambda f: f.assign(**{"PASSWORD=hunter2-" + "y" * 500: "1"}))
    return {}


# name -> (damage(folder) -> keys of the damaged row, expected substrings; "{key}" is filled in)
CASES = {
    "missing file": (_delete("exit_rate.csv"), ["exit_rate.csv", "not found"]),
    "missing regions file": (_delete("regions.csv"), ["regions.csv", "not found"]),
    "missing dataset.yaml": (_delete("dataset.yaml"), ["dataset.yaml", "not found"]),
    "unknown region code": (_region_code, ["population.csv", "row 6", "column 'region'", "'9999'"]),
    "unknown column": (_extra_column, ["exit_rate.csv", "unknown column", "'colour'"]),
    "duplicate row": (_duplicate, ["stock.csv", "duplicate", "region={region}", "group={group}", "sex={sex}",
                                   "age={age}"]),
    "missing row": (_missing_row, ["stock.csv", "1 missing row", "region={region}", "group={group}",
                                   "sex={sex}", "age={age}"]),
    "negative stock": (_set_value("stock.csv", 5, "-5"),
                       ["stock.csv", "column 'value'", "-5 at region={region}", "group={group}", "age={age}",
                        "below 0"]),
    "rate above one": (_set_value("exit_rate.csv", 9, "1.7"),
                       ["exit_rate.csv", "column 'value'", "1.7 at region={region}", "group={group}",
                        "sex={sex}", "age={age}", "above 1"]),
    "NaN value": (_set_value("mortality.csv", 3, "nan"), ["mortality.csv", "row 5", "column 'value'", "'nan'",
                                                           "not a number"]),
    "empty value": (_set_value("mortality.csv", 3, ""), ["mortality.csv", "row 5", "column 'value'", "''",
                                                          "not a number"]),
    "text value": (_set_value("user_rate.csv", 10, "lots"), ["user_rate.csv", "row 12", "column 'value'",
                                                             "'lots'", "not a number"]),
    "infinite value": (_set_value("avg_fte.csv", 2, "inf"), ["avg_fte.csv", "row 4", "column 'value'", "'inf'"]),
    "shares not summing to one": (_share_off, ["graduate_region_share.csv", "column 'value'", "sums to 1.1",
                                              "group={group}", "must sum to 1"]),
    "transition rates above one": (_transitions_over_one,
                                   ["transition_rate.csv", "'nurse'", "sum to 1.6", "region=0102",
                                    "sex=female", "age=40", "at most 1"]),
    "unknown scalar": (_edit_meta(lambda m: m["scalars"].update(speed_of_light=3e8)),
                       ["dataset.yaml", "scalars.speed_of_light", "unknown scalar"]),
    "scalar out of range": (_edit_meta(lambda m: m["scalars"].update(sex_ratio_at_birth=3.0)),
                            ["dataset.yaml", "scalars.sex_ratio_at_birth: 3 is outside 0.9 to 1.2"]),
    "missing scalar": (_edit_meta(lambda m: m["scalars"].pop("workforce_migration_factor")),
                       ["dataset.yaml", "scalars.workforce_migration_factor", "missing"]),
    "base_year text": (_edit_meta(lambda m: m.update(base_year="twenty")),
                       ["dataset.yaml", "base_year", "'twenty'", "must be a year"]),
    "base_year out of range": (_edit_meta(lambda m: m.update(base_year=1800)),
                               ["dataset.yaml", "base_year", "1800", "must be a year"]),
    "wrong format": (_edit_meta(lambda m: m.update(format="other/9")), ["dataset.yaml", "format", "'other/9'"]),
    "unknown parameter": (_edit_meta(lambda m: m["parameters"].update(happiness={"file": "stock.csv"})),
                          ["dataset.yaml", "parameters.happiness", "unknown parameter"]),
    # hostile folders: encodings, nesting, sizes, files outside the folder, foreign contents
    "dataset.yaml not UTF-8": (_meta_bytes(b"format: helsemod-dataset/2\nname: \xff\xfe\n"),
                               ["dataset.yaml: not UTF-8 text (byte 0xff at offset 33)"]),
    "dataset.yaml nested 5000 deep": (_meta_bytes(b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n"),
                                      ["dataset.yaml:1: nested more than 20 levels deep"]),
    "dataset.yaml alias bomb": (_meta_bytes(b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n".encode() for i in range(1, 9))),
                                ["dataset.yaml", "expands to more than 1,000,000 values"]),
    "dataset.yaml impossible date": (_meta_bytes(b"format: helsemod-dataset/2\ncreated: 2024-02-30\n"),
                                     ["dataset.yaml:2: '2024-02-30' looks like a date but is none"]),
    "dataset.yaml control character": (_meta_bytes(b"format: helsemod-dataset/2\nname: a\x00b\n"),
                                       ["dataset.yaml:2: not valid YAML: control character U+0000 in column 8"]),
    "parameter file absolute": (_param_file(lambda folder, secret: str(secret)),
                                ["dataset.yaml: parameters.exit_rate.file:", "is not a file name inside the dataset"]),
    "parameter file ../": (_param_file(lambda folder, secret: "../secret.csv"),
                           ["dataset.yaml: parameters.exit_rate.file: '../secret.csv' is not a file name inside"]),
    "parameter file a link outside": (_link_outside, ["parameters.exit_rate.file: 'exit_rate.csv' leads outside"]),
    "too many municipalities": (_many_regions, ["regions.csv: 2,001 municipalities, more than the 2,000"]),
    "long unknown column": (_long_column, ["exit_rate.csv: unknown column 'PASSWORD=hunter2-yyyyyyyyyyyyyyyyyyy..."]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gives_one_clear_line(folder, case):
    damage, expected = CASES[case]
    keys = damage(folder)
    with pytest.raises(DatasetError) as info:
        Dataset.load(folder)
    err = info.value
    assert isinstance(err, HelsemodError)
    assert len(err.problems) == 1, err.problems
    line = err.problems[0]
    assert "\n" not in line
    for text in expected:
        assert text.format(**keys) in line, (text.format(**keys), line)
    assert str(err) == line
    assert "hunter2" not in line or len(line) < 300  # a foreign file is quoted by a short fragment at most
    assert "hunter2-xxxxxxxx" not in line


def test_a_table_over_the_size_limit_is_not_read(folder, monkeypatch):
    from helsemod_py.data import dataset as dataset_module

    monkeypatch.setattr(dataset_module, "MAX_TABLE_BYTES", 1000)
    with pytest.raises(DatasetError, match=r"MiB is larger than the limit of 0 MiB for one table"):
        Dataset.load(folder)


def test_a_parameter_file_that_is_a_pipe_is_refused_without_waiting(folder):
    (folder / "exit_rate.csv").unlink()
    os.mkfifo(folder / "exit_rate.csv")  # reading it would wait forever
    with pytest.raises(DatasetError, match=r"exit_rate.csv: is not a regular file \(a device, pipe or socket\)"):
        Dataset.load(folder)


def test_parameter_arrays_are_checked_before_broadcasting(folder, monkeypatch):
    from helsemod_py.data import dataset as dataset_module

    monkeypatch.setattr(dataset_module, "MAX_CELLS", 100)
    with pytest.raises(DatasetError, match=r"cells are more than the 100 a parameter may hold"):
        Dataset.load(folder)


def test_non_number_scalar_is_a_dataset_error(folder):
    _edit_meta(lambda m: m["scalars"].update(sex_ratio_at_birth="abc"))(folder)
    with pytest.raises(DatasetError) as info:
        Dataset.load(folder)
    assert "sex_ratio_at_birth" in str(info.value) and "'abc'" in str(info.value)


def test_several_problems_are_all_reported(saved, folder):
    _set_value("exit_rate.csv", 1, "1.7")(folder)
    _set_value("participation.csv", 2, "-0.5")(folder)
    _delete("avg_fte.csv")(folder)
    with pytest.raises(DatasetError) as info:
        Dataset.load(folder)
    assert any("avg_fte.csv" in p and "not found" in p for p in info.value.problems)
    # value checks run once every file could be read: put the file back and look again
    shutil.copy(saved[1] / "avg_fte.csv", folder / "avg_fte.csv")
    with pytest.raises(DatasetError) as info:
        Dataset.load(folder)
    problems = info.value.problems
    assert len(problems) == 2, problems
    assert any(p.startswith("exit_rate.csv") and "1.7" in p for p in problems)
    assert any(p.startswith("participation.csv") and "-0.5" in p for p in problems)


def test_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        Dataset.load(tmp_path / "nowhere")


def test_validate_flags_in_memory_problems():
    ds = make_dataset(2, 1)
    bad = ds.replace(exit_rate=np.full(ds["exit_rate"].shape, 1.7))
    with pytest.raises(DatasetError, match="exit_rate: column 'value': 1.7"):
        bad.validate()
    wrong_shape = ds.replace(sick_leave=np.zeros((5, 5)))
    with pytest.raises(DatasetError, match="sick_leave: shape"):
        wrong_shape.validate()


# --- subset -------------------------------------------------------------------------------------
@pytest.mark.parametrize("keep", [["0102"], ["0101", "0201"], ["0202", "0101", "0102"]])
def test_subset_keeps_what_kept_regions_receive(keep):
    ds = make_dataset(4, 2, seed=5)
    sub = ds.subset(keep)
    idx = [i for i, c in enumerate(ds.regions.codes) if c in keep]  # dataset order
    assert sub.regions.codes == tuple(ds.regions.codes[i] for i in idx)
    assert set(sub.regions.county_names) == set(sub.regions.county_codes)
    sub.validate()
    for flow, share in (("graduates", "graduate_region_share"), ("immigrants", "immigrant_region_share")):
        before = ds[flow][None, :] * ds[share][idx]
        after = sub[flow][None, :] * sub[share]
        np.testing.assert_allclose(after, before, rtol=1e-12)
        np.testing.assert_allclose(sub[share].sum(axis=0), 1.0, rtol=1e-12)
    for name, spec in PARAMETERS.items():
        if name in ("graduates", "graduate_region_share", "immigrants", "immigrant_region_share"):
            continue
        want = ds[name].take(idx, axis=spec.dims.index(D.REGION)) if D.REGION in spec.dims else ds[name]
        np.testing.assert_array_equal(sub[name], want, err_msg=name)
    # the original is untouched
    _assert_same_dataset(ds, make_dataset(4, 2, seed=5))


def test_subset_with_group_not_settling_in_kept_regions():
    ds = make_dataset(3, 1, seed=2)
    share = ds["graduate_region_share"].copy()
    midwife = D.GROUPS.index("midwife")
    share[:, midwife] = [0.0, 0.0, 1.0]
    ds = ds.replace(graduate_region_share=share).validate()
    sub = ds.subset(["0101", "0102"])
    sub.validate()
    assert (sub["graduates"][midwife] * sub["graduate_region_share"][:, midwife] == 0).all()


def test_subset_round_trips(tmp_path):
    sub = make_dataset(4, 2, seed=5).subset(["0201", "0202"])
    _assert_same_dataset(Dataset.load(sub.save(tmp_path / "sub")), sub)


def test_subset_unknown_code():
    with pytest.raises(DatasetError, match="'9999'"):
        make_dataset(2, 1).subset(["0101", "9999"])
