"""The dataset: base-year stocks and rates for every region, with units, sources and checks.

On disk a dataset is a folder::

    dataset.yaml      metadata: format, name, version, base_year, scalars, per-parameter
                      unit/source/synthetic flags, notes
    regions.csv       region,name,county,county_name   (codes as text)
    <parameter>.csv   long table: one column per dimension it varies along, then ``value``
                      (``.parquet`` with the same columns is read too)

A parameter file may leave out dimensions (other than the required ones of the schema);
it is then the same along them, e.g. a national ``exit_rate`` without a ``region`` column.
Every problem found on load is reported as one line naming the file, column and value.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import _paths, _yaml
from .. import dims as D
from .._atomic import write_atomic_dir
from ..errors import DatasetError, quote
from .schema import PARAMETERS, SCALAR_DEFAULTS, SCALARS, ParamSpec, coords, shape

FORMAT = "helsemod-dataset/2"
#: Formats this version reads no more, with what changed (for a one-line message).
OLD_FORMATS = {"helsemod-dataset/1": "format 2 adds sectors of work (sector_share, supply_source)"}
META_FILE = "dataset.yaml"
REGIONS_FILE = "regions.csv"
MAX_META_BYTES = 1_000_000
#: Largest parameter or regions file read (the largest of real-size Norway is about 20 MB).
MAX_TABLE_BYTES = 256 * 2 ** 20
#: Most municipalities a dataset may hold (Norway had 357 in 2024, 435 in 2000): checked before
#: any parameter is read, so a long regions.csv cannot ask for arrays beyond memory.
MAX_REGIONS = 2_000
#: Most cells of one parameter array (user_rate of MAX_REGIONS municipalities has 3.8 million).
MAX_CELLS = 8_000_000
_MAX_SHOWN = 5


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, (float, np.floating)) else str(x)


@dataclass
class Dataset:
    """Base-year stocks and rates of the model for a set of municipalities.

    ``arrays`` maps every name of :data:`~helsemod_py.data.schema.PARAMETERS` to a float64
    array of the full shape of that parameter (see ``schema.shape``); ``scalars`` holds
    :data:`~helsemod_py.data.schema.SCALARS`; ``meta`` keeps descriptions, sources and
    which parts are synthetic.
    """

    regions: D.Regions
    base_year: int
    arrays: dict[str, np.ndarray]
    scalars: dict[str, float]
    name: str = "dataset"
    version: str = "0"
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        # parameters and scalars with a default (added after older datasets were written)
        missing = [n for n, sp in PARAMETERS.items() if sp.default is not None and n not in self.arrays]
        if missing:
            self.arrays = dict(self.arrays)
            for n in missing:
                self.arrays[n] = np.full(shape(PARAMETERS[n], self.regions.codes), PARAMETERS[n].default)
        if any(k not in self.scalars for k in SCALAR_DEFAULTS):
            self.scalars = {**SCALAR_DEFAULTS, **self.scalars}

    # --- access ---------------------------------------------------------------------
    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def __repr__(self) -> str:
        synthetic = " (synthetic parts)" if self.meta.get("synthetic") else ""
        return (f"<Dataset {self.name!r} v{self.version}{synthetic}: base year {self.base_year}, "
                f"{len(self.regions)} municipalities in {len(self.regions.counties)} counties, "
                f"population {self['population'].sum():,.0f}>")

    def labelled(self, name: str):
        """The parameter ``name`` as an :class:`xarray.DataArray` with coordinates and unit."""
        import xarray as xr

        spec = PARAMETERS[name]
        return xr.DataArray(
            self.arrays[name],
            dims=spec.dims,
            coords={d: list(coords(spec, d, self.regions.codes)) for d in spec.dims},
            name=name,
            attrs={"unit": spec.unit, "description": spec.description},
        )

    def catchment(self):
        """Hospital trusts serving the regions (:func:`helsemod_py.data.trusts.catchment`)."""
        from .trusts import catchment

        return catchment(self.regions)

    def replace(self, **arrays) -> "Dataset":
        """A copy with some arrays replaced (the original is left untouched)."""
        new = dict(self.arrays)
        for k, v in arrays.items():
            if k not in PARAMETERS:
                raise KeyError(f"unknown parameter {k!r}")
            new[k] = np.asarray(v, dtype=np.float64)
        return Dataset(self.regions, self.base_year, new, dict(self.scalars), self.name,
                       self.version, dict(self.meta))

    def subset(self, codes) -> "Dataset":
        """The dataset restricted to some municipalities: a *closed region*.

        National graduate and immigrant numbers are scaled to the regions kept, and their
        regional shares renormalised, so the kept regions receive what they did before. National
        measures in persons (extra graduates, immigrants, recruits) reach the subset only with the
        kept regions' share of them (``meta['closed_region']`` remembers the shares left out, by
        county), so a municipality gets what it gets in the whole country. Regional results are
        still best read from a projection of the whole dataset (``Projection.select``): flows
        between kept and dropped regions are those of the base year.
        """
        codes = list(codes)
        unknown = [c for c in codes if c not in self.regions.codes]
        if unknown:
            raise DatasetError([f"unknown region code {c!r}" for c in unknown])
        wanted = set(codes)
        idx = np.array([i for i, c in enumerate(self.regions.codes) if c in wanted])
        arrays = {}
        for name, arr in self.arrays.items():
            spec = PARAMETERS[name]
            arrays[name] = arr.take(idx, axis=spec.dims.index(D.REGION)).copy() if D.REGION in spec.dims else arr.copy()
        closed = {}
        before = closed_region(self)
        dropped_idx = np.array([i for i, c in enumerate(self.regions.codes) if c not in wanted], dtype=int)
        for flow, share in (("graduates", "graduate_region_share"), ("immigrants", "immigrant_region_share")):
            kept = arrays[share].sum(axis=0)
            arrays[flow] = arrays[flow] * kept
            arrays[share] = np.divide(arrays[share], kept, out=np.full_like(arrays[share], 1.0 / len(idx)),
                                      where=kept > 0)
            # shares of the whole country: what was kept, and what each county left out
            scale = before[share]["kept"]
            dropped = {cc: scale * np.asarray(v) for cc, v in before[share]["dropped"].items()}
            for i in dropped_idx:
                cc = self.regions.county_codes[i]
                dropped[cc] = dropped.get(cc, 0.0) + scale * self.arrays[share][i]
            closed[share] = {"kept": [float(x) for x in scale * kept],
                             "dropped": {cc: [float(x) for x in v] for cc, v in sorted(dropped.items())}}
        regions = self.regions.subset(codes)
        closed["outside"] = sorted(regions.outside)
        meta = dict(self.meta)
        meta["closed_region"] = closed
        return Dataset(regions, self.base_year, arrays, dict(self.scalars), self.name, self.version, meta)

    @property
    def hash(self) -> str:
        """SHA-256 of regions, base year, scalars and every array (identifies the data)."""
        h = hashlib.sha256()
        h.update(repr((self.regions.codes, self.regions.county_codes, self.base_year,
                       sorted(self.scalars.items()))).encode())
        if "closed_region" in self.meta:  # a subset: how national measures reach it
            h.update(repr(self.meta["closed_region"]).encode())
        for name in sorted(self.arrays):
            h.update(name.encode())
            arr = self.arrays[name]
            if not arr.any():  # all zero (e.g. no coverage trend): its shape says it all, no bytes to hash
                h.update(repr(("zeros", arr.shape)).encode())
                continue
            h.update(np.ascontiguousarray(arr, dtype=np.float64).tobytes())
        return h.hexdigest()

    # --- checks ---------------------------------------------------------------------
    def problems(self, files: dict[str, str] | None = None) -> list[str]:
        """Every problem with the arrays, one line each (empty when valid).

        Lines start with the parameter's file name where ``files`` maps names to files.
        """
        out: list[str] = []
        codes = self.regions.codes
        files = files or {}
        for name, spec in PARAMETERS.items():
            label = files.get(name, name)
            if name not in self.arrays:
                out.append(f"{label}: missing parameter")
                continue
            arr = self.arrays[name]
            want = shape(spec, codes)
            if arr.shape != want:
                out.append(f"{label}: shape {arr.shape} does not match {spec.dims} = {want}")
                continue
            out.extend(_check_values(label, spec, arr, codes))
        for key, (unit, lo, hi, _) in SCALARS.items():
            v = self.scalars.get(key)
            if v is None:
                out.append(f"{META_FILE}: scalars.{key}: missing (unit {unit}, allowed {lo:g} to {hi:g})")
            elif not (lo <= v <= hi):
                out.append(f"{META_FILE}: scalars.{key}: {v:g} is outside {lo:g} to {hi:g} ({unit})")
        if not out:
            out.extend(_check_transition_sums(files.get("transition_rate", "transition_rate"),
                                              self.arrays["transition_rate"], codes))
        return out

    def validate(self) -> "Dataset":
        """Raise :class:`DatasetError` listing every problem; return self when valid."""
        probs = self.problems()
        if probs:
            raise DatasetError(probs)
        return self

    # --- disk -----------------------------------------------------------------------
    def save(self, path, force: bool = False) -> Path:
        """Write the dataset folder atomically (temporary folder, then rename).

        Raises :class:`DatasetError` if ``path`` exists and ``force`` is false.
        """
        path = Path(path)
        if path.exists() and not force:
            raise DatasetError(f"{path}: exists; use force=True (--force) to overwrite")
        regions = pd.DataFrame({
            "region": self.regions.codes,
            "name": self.regions.names,
            "county": self.regions.county_codes,
            "county_name": [self.regions.county_names.get(c, c) for c in self.regions.county_codes],
        })
        writers = {REGIONS_FILE: lambda p: regions.to_csv(p, index=False)}
        params_meta = {}
        for name, spec in PARAMETERS.items():
            writers[f"{name}.csv"] = lambda p, n=name, sp=spec: _to_long(sp, self.arrays[n], self.regions.codes).to_csv(
                p, index=False, float_format="%.17g")
            pm = dict(self.meta.get("parameters", {}).get(name, {}))
            pm.update(file=f"{name}.csv", unit=spec.unit)
            params_meta[name] = pm
        meta = {k: v for k, v in self.meta.items() if k != "parameters"}
        meta.update(format=FORMAT, name=self.name, version=self.version, base_year=int(self.base_year),
                    scalars={k: float(v) for k, v in self.scalars.items()}, parameters=params_meta)
        writers[META_FILE] = lambda p: p.write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True),
                                                    encoding="utf-8")
        return write_atomic_dir(path, writers, force=force)

    @classmethod
    def load(cls, path, cache: bool = True) -> "Dataset":
        """Read and validate a dataset folder; raise :class:`DatasetError` on any problem.

        With ``cache`` the parsed arrays are kept in a binary cache keyed by the content of every
        file read (:mod:`helsemod_py.data.cache`), so a second load of unchanged files skips
        parsing; the dataset is validated either way and is the same with or without the cache.
        """
        path = Path(path)
        if not path.is_dir():
            raise DatasetError(f"{path}: dataset folder not found")
        meta = _read_meta(path, cache)
        regions, probs = _read_regions(path / REGIONS_FILE)
        if probs:
            raise DatasetError(probs)
        pmeta = meta.get("parameters") or {}
        if not isinstance(pmeta, dict):
            raise DatasetError(f"{META_FILE}: parameters: must be a mapping of parameter name to file/unit/source")
        files, problems = _param_files(path, pmeta)
        digest = None
        arrays = None
        if cache and not problems:
            from . import cache as _cache

            digest = _cache.key([path / META_FILE, path / REGIONS_FILE, *files.values()], MAX_TABLE_BYTES,
                                salt=(MAX_CELLS, MAX_REGIONS))
            arrays = _cache.read(digest, {n: shape(PARAMETERS[n], regions.codes) for n, f in files.items()
                                          if f is not None})
        cached = arrays is not None
        if not cached:
            arrays, problems = _read_params(files, problems, regions.codes)
        problems.extend(_meta_problems(pmeta, meta))
        if problems:
            raise DatasetError(problems)
        scalars = meta.get("scalars") or {}
        outside = (meta.get("closed_region") or {}).get("outside") if isinstance(meta.get("closed_region"), dict) else None
        if outside is not None:  # a saved subset: the regions it left out may still be named by scenarios
            if not (isinstance(outside, list) and all(isinstance(x, str) for x in outside)):
                raise DatasetError(f"{META_FILE}: closed_region.outside: must be a list of region codes and names")
            regions = dataclasses.replace(regions, outside=frozenset(outside))
        ds = cls(regions=regions, base_year=int(meta["base_year"]), arrays=arrays,
                 scalars={k: float(v) for k, v in scalars.items()}, name=str(meta.get("name", path.name)),
                 version=str(meta.get("version", "0")),
                 meta={k: v for k, v in meta.items() if k not in ("scalars", "format", "name", "version", "base_year")})
        closed_region(ds)  # a saved subset's shares are well formed (raises one line)
        names = {n: (pmeta.get(n) or {}).get("file", f"{n}.csv") for n in PARAMETERS}  # all checked above
        probs = ds.problems(names)
        if probs:
            raise DatasetError(probs)
        if digest is not None and not cached:
            _cache.write(digest, {n: ds.arrays[n] for n in arrays})
        return ds


def _param_files(path: Path, pmeta: dict) -> tuple[dict[str, Path | None], list[str]]:
    """Each parameter's file (None: left out, filled with its default), and the problems of the
    metadata's file entries."""
    files: dict[str, Path | None] = {}
    problems: list[str] = []
    for name, spec in PARAMETERS.items():
        pm = pmeta.get(name) or {}
        if not isinstance(pm, dict) or not isinstance(pm.get("file", ""), str):
            problems.append(f"{META_FILE}: parameters.{name}: must be a mapping with file, unit, source")
            continue
        f, why = _param_file(path, pm.get("file", f"{name}.csv"))
        if why:
            problems.append(f"{META_FILE}: parameters.{name}.file: {why}")
            continue
        left_out = spec.default is not None and name not in pmeta and not f.exists()
        files[name] = None if left_out else f  # left out: filled with the default (a folder older than it)
    return files, problems


def _read_params(files: dict[str, Path | None], problems: list[str], codes) -> tuple[dict[str, np.ndarray], list[str]]:
    """Parse every parameter file (problems of the metadata's entries come first, as given)."""
    arrays: dict[str, np.ndarray] = {}
    problems = list(problems)
    for name, f in files.items():
        if f is None:
            continue
        arr, probs = _read_param(f, PARAMETERS[name], codes)
        problems.extend(probs)
        if arr is not None:
            arrays[name] = arr
    return arrays, problems


def _meta_problems(pmeta: dict, meta: dict) -> list[str]:
    """Unknown parameters and malformed scalars of ``dataset.yaml`` (converts scalars in place)."""
    problems = []
    unknown = sorted(set(pmeta) - set(PARAMETERS), key=str)
    for name in unknown[:_MAX_SHOWN]:
        problems.append(f"{META_FILE}: parameters.{_key(name)}: unknown parameter "
                        f"(allowed: {', '.join(PARAMETERS)})")
    scalars = meta.get("scalars") or {}
    if not isinstance(scalars, dict):
        problems.append(f"{META_FILE}: scalars: must be a mapping (allowed keys: {', '.join(SCALARS)})")
        meta["scalars"] = {}
        return problems
    for key in sorted(set(scalars) - set(SCALARS), key=str)[:_MAX_SHOWN]:
        problems.append(f"{META_FILE}: scalars.{_key(key)}: unknown scalar (allowed: {', '.join(SCALARS)})")
    for key in sorted(set(scalars) & set(SCALARS)):
        try:
            scalars[key] = float(scalars[key])
        except (TypeError, ValueError):
            problems.append(f"{META_FILE}: scalars.{key}: {quote(scalars[key])} is not a number "
                            f"({SCALARS[key][0]})")
    return problems


# --- helpers -------------------------------------------------------------------------
def closed_region(ds: Dataset) -> dict:
    """For ``graduate_region_share`` and ``immigrant_region_share``: the whole country's share
    ``kept`` in the dataset (per group, 1 for a whole country) and the shares ``dropped`` by county
    (see :meth:`Dataset.subset`). Raises :class:`DatasetError` when ``meta['closed_region']`` is
    malformed (a hand-edited ``dataset.yaml``)."""
    n = len(D.GROUPS)
    raw = ds.meta.get("closed_region")
    out = {}
    for share in ("graduate_region_share", "immigrant_region_share"):
        entry = raw.get(share) if isinstance(raw, dict) else None
        if raw is None:
            out[share] = {"kept": np.ones(n), "dropped": {}}
            continue
        try:
            kept = np.asarray(entry["kept"], dtype=float)
            dropped = {str(k): np.asarray(v, dtype=float) for k, v in entry["dropped"].items()}
            ok = kept.shape == (n,) and all(v.shape == (n,) for v in dropped.values())
            ok = ok and all(np.isfinite(v).all() and (v >= 0).all() for v in [kept, *dropped.values()])
        except (TypeError, ValueError, KeyError, AttributeError):
            ok = False
        if not ok:
            raise DatasetError(f"{META_FILE}: closed_region.{share}: must hold 'kept' ({n} non-negative numbers, "
                               f"one per group) and 'dropped' (county code -> {n} numbers); written by subset")
        out[share] = {"kept": kept, "dropped": dropped}
    return out


def _check_values(name: str, spec: ParamSpec, arr: np.ndarray, codes) -> list[str]:
    out = [] if _within(arr, spec.lo, spec.hi) else _value_problems(name, spec, arr, codes)
    if spec.sums_to_one and not out:
        axes = tuple(spec.dims.index(d) for d in spec.sums_to_one)
        sums = arr.sum(axis=axes)
        bad = np.abs(sums - 1.0) > 1e-6
        keep = [d for d in spec.dims if d not in spec.sums_to_one]
        for pos in np.argwhere(bad)[:_MAX_SHOWN]:
            at = ", ".join(f"{d}={coords(spec, d, codes)[i]}" for d, i in zip(keep, pos))
            out.append(f"{name}: column 'value': sums to {_fmt(float(sums[tuple(pos)]))} over "
                       f"{'/'.join(spec.sums_to_one)} at {at or 'all'}; must sum to 1")
    return out


def _within(arr: np.ndarray, lo: float, hi: float) -> bool:
    """Whether every value is a number from ``lo`` to ``hi`` (finite bounds), seen from the least and
    the greatest value alone (NaN makes both NaN): the usual case, in two passes over the array."""
    return arr.size > 0 and bool(np.isfinite(lo) and np.isfinite(hi) and lo <= arr.min() and arr.max() <= hi)


def _value_problems(name: str, spec: ParamSpec, arr: np.ndarray, codes) -> list[str]:
    """Values that are not finite numbers, or lie outside the parameter's range (the first few of each)."""
    out = []
    bad_nan = ~np.isfinite(arr)
    finite = True
    if bad_nan.any():
        out.append(f"{name}: column 'value': {int(bad_nan.sum())} value(s) are NaN or infinite, first at "
                   f"{_where(spec, np.argwhere(bad_nan)[0], codes)}")
        finite = ~bad_nan
    low = (arr < spec.lo) & finite  # NaN compares False either way
    high = (arr > spec.hi) & finite
    for mask, word, lim in ((low, "below", spec.lo), (high, "above", spec.hi)):
        if not mask.any():
            continue
        for pos in np.argwhere(mask)[:_MAX_SHOWN]:
            out.append(f"{name}: column 'value': {_fmt(arr[tuple(pos)])} at {_where(spec, pos, codes)} is "
                       f"{word} {_fmt(lim)} (allowed {_fmt(spec.lo)} to {_fmt(spec.hi)} {spec.unit})")
        if mask.sum() > _MAX_SHOWN:
            out.append(f"{name}: column 'value': ... and {int(mask.sum()) - _MAX_SHOWN} more values {word} {_fmt(lim)}")
    return out


def _check_transition_sums(label: str, rates: np.ndarray, codes) -> list[str]:
    src, _ = D.transition_index()
    out = []
    for g in np.unique(src):
        total = rates[:, src == g].sum(axis=1)  # region, sex, age
        if (total > 1 + 1e-9).any():
            pos = np.argwhere(total > 1 + 1e-9)[0]
            out.append(f"{label}: column 'value': rates out of {D.GROUPS[g]!r} sum to "
                       f"{_fmt(float(total[tuple(pos)]))} at region={codes[pos[0]]}, sex={D.SEXES[pos[1]]}, "
                       f"age={int(D.WORK_AGES[pos[2]])}; must be at most 1")
    return out


def _where(spec: ParamSpec, pos, codes) -> str:
    return ", ".join(f"{d}={coords(spec, d, codes)[i]}" for d, i in zip(spec.dims, pos))


def _to_long(spec: ParamSpec, arr: np.ndarray, codes) -> pd.DataFrame:
    """Long table of ``arr``, leaving out dimensions along which it does not vary."""
    keep = []
    for ax, d in enumerate(spec.dims):
        if d in spec.required_dims or arr.shape[ax] <= 1:
            keep.append(d)
            continue
        first = arr.take([0], axis=ax)
        if not np.array_equal(arr, np.broadcast_to(first, arr.shape)):
            keep.append(d)
    sub = arr
    for ax in reversed(range(len(spec.dims))):
        if spec.dims[ax] not in keep:
            sub = sub.take(0, axis=ax)
    labels = [coords(spec, d, codes) for d in keep]
    if keep:
        index = pd.MultiIndex.from_product(labels, names=keep)
        frame = index.to_frame(index=False)
    else:
        frame = pd.DataFrame(index=[0])
    frame["value"] = np.asarray(sub, dtype=np.float64).ravel()
    return frame


def _key(key) -> str:
    """A key of the metadata file as shown in a message: as it is when it is a plain name."""
    text = str(key)
    return text if len(text) <= 40 and text.replace("_", "a").isalnum() and text.isascii() else quote(key)


def _param_file(folder: Path, fname: str) -> tuple[Path | None, str | None]:
    """The file ``fname`` of a parameter, or why it is refused: parameter files lie in the dataset
    folder (no absolute paths, no ``..``, no links to elsewhere)."""
    rel = Path(fname) if fname and "\x00" not in fname else None
    if rel is None or rel.is_absolute() or ".." in rel.parts:
        return None, f"{quote(fname)} is not a file name inside the dataset folder"
    try:
        if not _paths.inside(folder / rel, folder):
            return None, f"{quote(fname)} leads outside the dataset folder (a link); give a file in the folder"
    except _paths.Unresolvable as exc:
        return None, f"{quote(fname)}: {exc.reason}"
    return folder / rel, None


def _read_meta(path: Path, cache: bool = True) -> dict:
    f = path / META_FILE
    try:
        raw = _paths.read_limited(f, MAX_META_BYTES, "metadata file")
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # before ValueError, of which it is one
        raise DatasetError(f"{f}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                           "save the file as UTF-8") from None
    except ValueError as exc:
        raise DatasetError(str(exc)) from None
    from . import cache as _cache

    def parse():
        try:
            return _yaml.load(text, str(f))
        except ValueError as exc:
            raise DatasetError(str(exc)) from None

    meta = _cache.parsed_meta(raw, parse) if cache else parse()
    if not isinstance(meta, dict):
        raise DatasetError(f"{f}: must be a mapping with keys format, name, version, base_year, scalars, parameters")
    probs = []
    if isinstance(meta.get("format"), str) and meta["format"] in OLD_FORMATS:
        probs.append(f"{f}: format: {meta['format']!r} is older than {FORMAT!r} ({OLD_FORMATS[meta['format']]}); "
                     "rebuild the folder with `helsemod data build` or `helsemod data default`")
    elif meta.get("format") != FORMAT:
        probs.append(f"{f}: format: {quote(meta.get('format'))} is not {FORMAT!r}")
    if not isinstance(meta.get("base_year"), int) or not (1900 <= meta["base_year"] <= 2100):
        probs.append(f"{f}: base_year: {quote(meta.get('base_year'))} must be a year (integer 1900-2100)")
    if probs:
        raise DatasetError(probs)
    return meta


def _read_table(f: Path) -> tuple[pd.DataFrame | None, list[str]]:
    try:
        size = _paths.regular_file(f).stat().st_size
    except _paths.NotRegular as exc:
        return None, [f"{f.name}: file not found in {f.parent}" if exc.reason == "not found" else
                      f"{f.name}: {exc.reason}"]
    if size > MAX_TABLE_BYTES:
        return None, [f"{f.name}: {size / 2 ** 20:.0f} MiB is larger than the limit of {MAX_TABLE_BYTES / 2 ** 20:.0f} "
                      "MiB for one table"]
    try:
        if f.suffix == ".parquet":
            frame = pd.read_parquet(f)
            for c in frame.columns:
                if c != "value":
                    frame[c] = frame[c].astype(str)
        else:
            frame = pd.read_csv(f, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a file problem
        return None, [f"{f.name}: cannot be read ({type(exc).__name__}: {quote(str(exc), 80)})"]
    return frame, []


def _read_regions(f: Path) -> tuple[D.Regions | None, list[str]]:
    frame, probs = _read_table(f)
    if probs:
        return None, probs
    need = ["region", "name", "county", "county_name"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        return None, [f"{f.name}: missing column(s) {', '.join(missing)} (need {', '.join(need)})"]
    if len(frame) > MAX_REGIONS:
        return None, [f"{f.name}: {len(frame):,} municipalities, more than the {MAX_REGIONS:,} a dataset may hold"]
    dup = frame["region"][frame["region"].duplicated()].tolist()
    if dup:
        return None, [f"{f.name}: column 'region': duplicate code {quote(c)}" for c in dup[:_MAX_SHOWN]]
    empty = frame.index[(frame[need] == "").any(axis=1)].tolist()
    if empty:
        return None, [f"{f.name}: row {i + 2}: empty value" for i in empty[:_MAX_SHOWN]]
    return D.Regions(
        codes=tuple(frame["region"]),
        names=tuple(frame["name"]),
        county_codes=tuple(frame["county"]),
        county_names=dict(zip(frame["county"], frame["county_name"])),
    ), []


def _read_param(f: Path, spec: ParamSpec, region_codes) -> tuple[np.ndarray | None, list[str]]:
    frame, probs = _read_table(f)
    if probs:
        return None, probs
    cols = list(frame.columns)
    problems = []
    if "value" not in cols:
        problems.append(f"{f.name}: missing column 'value'")
    unknown = [c for c in cols if c != "value" and c not in spec.dims]
    for c in unknown:
        problems.append(f"{f.name}: unknown column {quote(c)} (allowed: {', '.join(spec.dims)}, value)")
    missing_req = [d for d in spec.required_dims if d not in cols]
    for d in missing_req:
        problems.append(f"{f.name}: missing column {d!r} (required for {spec.name})")
    if problems:
        return None, problems
    present = [d for d in spec.dims if d in cols]
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    for i in bad[:_MAX_SHOWN]:
        problems.append(f"{f.name}: row {i + 2}: column 'value': {quote(frame['value'].iloc[i])} is not a number")
    if len(bad) > _MAX_SHOWN:
        problems.append(f"{f.name}: column 'value': ... and {len(bad) - _MAX_SHOWN} more non-numbers")
    positions = []
    for d in present:
        labels = [str(x) for x in coords(spec, d, region_codes)]
        lookup = {lbl: i for i, lbl in enumerate(labels)}
        pos = frame[d].map(lookup)
        unknown_rows = np.flatnonzero(pos.isna().to_numpy())
        if len(unknown_rows):
            vals = list(dict.fromkeys(frame[d].iloc[unknown_rows]))
            allowed = ", ".join(labels) if len(labels) <= 20 else f"{labels[0]} ... {labels[-1]} ({len(labels)} codes in regions.csv)" if d == D.REGION else f"{labels[0]}..{labels[-1]}"
            for v in vals[:_MAX_SHOWN]:
                r = unknown_rows[list(frame[d].iloc[unknown_rows]).index(v)]
                problems.append(f"{f.name}: row {r + 2}: column {d!r}: unknown code {quote(v)} (allowed: {allowed})")
        positions.append(pos.to_numpy())
    if problems:
        return None, problems
    sub_shape = tuple(len(coords(spec, d, region_codes)) for d in present)
    flat = np.ravel_multi_index(tuple(p.astype(np.int64) for p in positions), sub_shape) if present else np.zeros(len(frame), dtype=np.int64)
    uniq, counts = np.unique(flat, return_counts=True)
    for u in uniq[counts > 1][:_MAX_SHOWN]:
        at = ", ".join(f"{d}={coords(spec, d, region_codes)[i]}" for d, i in zip(present, np.unravel_index(u, sub_shape)))
        problems.append(f"{f.name}: duplicate rows for {at or 'the single value'}")
    n_cells = int(np.prod(sub_shape)) if present else 1
    if len(uniq) < n_cells and not problems:
        have = np.zeros(n_cells, dtype=bool)
        have[uniq] = True
        first = np.flatnonzero(~have)[0]
        at = ", ".join(f"{d}={coords(spec, d, region_codes)[i]}" for d, i in zip(present, np.unravel_index(first, sub_shape)))
        problems.append(f"{f.name}: {n_cells - len(uniq)} missing row(s), first {at} "
                        f"(a file needs every combination of {', '.join(present)})")
    if problems:
        return None, problems
    sub = np.empty(n_cells, dtype=np.float64)
    sub[flat] = values
    sub = sub.reshape(sub_shape)
    full_shape = shape(spec, region_codes)
    if np.prod(full_shape, dtype=float) > MAX_CELLS:  # bounded by MAX_REGIONS; checked before broadcasting
        return None, [f"{f.name}: {np.prod(full_shape, dtype=float):,.0f} cells are more than the {MAX_CELLS:,} a "
                      "parameter may hold"]
    expand = tuple(slice(None) if d in present else np.newaxis for d in spec.dims)
    arr = np.ascontiguousarray(np.broadcast_to(sub[expand], full_shape), dtype=np.float64)
    return arr, []
