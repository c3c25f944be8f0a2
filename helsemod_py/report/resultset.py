"""A projection's results as a tidy long table (:class:`ResultSet`), from a
:class:`~helsemod_py.results.Projection` or read back from a results folder
(:func:`load_folder`, :class:`FolderResults`): what the figures, the HTML report and the
workbook draw on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from .. import dims as D
from ..errors import HelsemodError
from ..results import Projection
from .. import labels as L

LEVEL_ORDER = {"municipality": 0, "county": 1, "nation": 2}


# ======================================================================================
# Results as a tidy table, from a Projection or from a results folder
# ======================================================================================
@dataclass
class ResultSet:
    """One scenario's results as the long table of ``results.csv`` (all region levels).

    ``long`` has the columns of :data:`helsemod_py.dims.LONG_COLUMNS`; variables
    ``supply_fte``, ``demand_fte`` (summed over services), ``gap`` and, where available,
    ``population``. ``projection`` is kept when built from a Projection (population
    pyramids need the population by sex and age).
    """

    scenario: str
    long: pd.DataFrame
    dataset: str = ""
    version: str = __version__
    manifest: dict = field(default_factory=dict)
    projection: Projection | None = None
    county_of: dict = field(default_factory=dict)
    population_by_age: pd.DataFrame | None = None  # population_by_age.csv of a results folder
    provenance: pd.DataFrame | None = None  # base-year FTE by provenance (provenance.csv)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_projection(cls, projection: Projection, manifest: dict | None = None) -> "ResultSet":
        variables = [v for v in ("supply_fte", "demand_fte", "gap", "population") if v in projection.data]
        frames = [projection.aggregate(level).to_frame(variables)
                  for level in D.REGION_LEVELS if LEVEL_ORDER[level] >= LEVEL_ORDER[projection.level]]
        long = pd.concat(frames, ignore_index=True)
        county_of = {}
        if projection.level == "municipality" and "county" in projection.data.coords:
            county_of = dict(zip(map(str, projection.data["region"].values),
                                 map(str, projection.data["county"].values)))
        from ..outputs import provenance_table

        return cls(projection.scenario, _clean_long(long), projection.dataset_name, __version__,
                   dict(manifest or {}), projection, county_of, provenance=provenance_table(projection))

    @classmethod
    def from_long(cls, long: pd.DataFrame, manifest: dict | None = None, scenario: str | None = None) -> "ResultSet":
        manifest = dict(manifest or {})
        long = _clean_long(long)
        if scenario is None:
            scenario = str(long["scenario"].iloc[0]) if len(long) else str(manifest.get("scenario", ""))
        counties = set(long.loc[long["region_level"] == "county", "region"])
        munis = long.loc[long["region_level"] == "municipality"]
        if "county" in long:  # written with the results (one source: the dataset's regions)
            county_of = dict(zip(munis["region"], munis["county"]))
        else:  # a folder written before results had a county column
            county_of = {m: _guess_county(m, counties) for m in munis["region"].unique()}
        return cls(scenario, long, str(manifest.get("dataset", "")),
                   str(manifest.get("package_version", __version__)), manifest, None, county_of)

    # --- basic facts ----------------------------------------------------------------------
    @property
    def years(self) -> np.ndarray:
        return np.sort(self.long["year"].unique())

    @property
    def base_year(self) -> int:
        return int(self.years[0])

    @property
    def horizon(self) -> int:
        return int(self.years[-1])

    @property
    def has_population(self) -> bool:
        return bool((self.long["variable"] == "population").any())

    @property
    def levels(self) -> set[str]:
        return set(self.long["region_level"].unique())

    def county_names(self) -> dict[str, str]:
        c = self.long.loc[self.long["region_level"] == "county", ["region", "region_name"]].drop_duplicates("region")
        return dict(zip(c["region"], c["region_name"]))

    @property
    def synthetic(self) -> bool:
        """The dataset's municipalities are made up (the embedded default)."""
        if "synthetic" in self.manifest:
            return bool(self.manifest["synthetic"])
        return bool(self.projection is not None and self.projection.data.attrs.get("synthetic"))

    def caption(self, lang: str, scenario: str | None = None) -> str:
        text = L.t("caption", lang, version=self.version, dataset=self.dataset or "?",
                   scenario=scenario if scenario is not None else L.scenario_name(self.scenario, lang))
        return text + (L.t("caption_synthetic", lang) if self.synthetic else "")

    def check_year(self, year) -> int:
        year = self.horizon if year is None else int(year)
        if year not in {int(y) for y in self.years}:
            raise HelsemodError(f"year {year}: not in the results ({self.base_year}-{self.horizon})")
        return year

    # --- selections -----------------------------------------------------------------------
    def _rows(self, variable: str, level: str | None = None, year: int | None = None,
              region: str | None = None) -> pd.DataFrame:
        lt = self.long
        m = lt["variable"] == variable
        if level is not None:
            m &= lt["region_level"] == level
        if year is not None:
            m &= lt["year"] == year
        if region is not None:
            m &= lt["region"] == region
        return lt[m]

    def pivot(self, variable: str, level: str, year: int) -> pd.DataFrame:
        """Values in ``year``: regions (rows, in data order) by groups (columns)."""
        rows = self._rows(variable, level, year)
        if rows.empty:
            raise HelsemodError(f"no {variable} at {level} level in {year} in the results")
        out = rows.pivot_table(index="region", columns="group", values="value", aggfunc="sum", sort=False)
        return out[[g for g in D.GROUPS if g in out.columns]]

    def region_series(self, variable: str, region: str) -> pd.DataFrame:
        """Values of one region: years (rows) by groups (columns)."""
        rows = self._rows(variable, region=region)
        if rows.empty:
            raise HelsemodError(f"no {variable} for region {region} in the results")
        out = rows.pivot_table(index="year", columns="group", values="value", aggfunc="sum").sort_index()
        return out[[g for g in D.GROUPS if g in out.columns]]

    def population(self, level: str, year: int) -> pd.Series | None:
        """Inhabitants per region in ``year`` (None where the results have no population)."""
        rows = self._rows("population", level, year)
        if rows.empty:
            return None
        return rows.groupby("region", sort=False)["value"].sum()

    def region_name(self, code: str, lang: str = "nb") -> str:
        if str(code) == D.NATION_CODE:
            return L.t("nation", lang)
        rows = self.long.loc[self.long["region"] == code, "region_name"]
        return str(rows.iloc[0]) if len(rows) else str(code)

    def resolve_region(self, region: str | None) -> str:
        """Code of a region given by code or name (any level); None is the nation."""
        if region is None:
            return D.NATION_CODE
        key = D.normalise_name(str(region).strip())
        regs = self.long[["region", "region_name", "region_level"]].drop_duplicates("region")
        for level in ("municipality", "county", "nation"):  # as the CLI: municipality first
            sub = regs[regs["region_level"] == level]
            for c, n in zip(sub["region"], sub["region_name"]):
                forms = {D.normalise_name(str(c)), D.normalise_name(str(n))}
                forms |= {D.normalise_name(p) for p in str(n).split("-") if len(p) >= 3}  # SSB's bilingual names
                if key in forms:
                    return str(c)
        if key in ("norge", "norway", "nation"):
            return D.NATION_CODE
        raise HelsemodError(f"region {region!r}: no municipality, county or nation with that code or name "
                            "in the results")


def _clean_long(long: pd.DataFrame) -> pd.DataFrame:
    long = long.copy()
    for col in ("scenario", "region", "region_name", "region_level", "county", "sector", "group", "service", "variable",
                "unit"):
        if col in long:
            long[col] = long[col].astype(str)
    long["year"] = long["year"].astype(int)
    long["value"] = long["value"].astype(float)
    return long


def _guess_county(code: str, counties: set) -> str:
    """County of a municipality code from a results table: ``K3401``/``3401`` -> ``34``."""
    digits = re.sub(r"\D", "", str(code))
    if len(digits) >= 4 and digits[:2] in counties:
        return digits[:2]
    if len(digits) == 3 and "0" + digits[0] in counties:  # a code that lost its leading zero
        return "0" + digits[0]
    return "?"


@dataclass
class FolderResults:
    """A results folder read back: one :class:`ResultSet` per scenario, plus the compare tables.

    ``results[0]`` is the reference of a comparison (``helsemod compare`` compares the
    others with the first file); ``main`` is the last scenario (the one a ``run`` folder
    holds). ``year`` is the comparison year from the manifest, else the last year.
    """

    path: Path
    kind: str  # "run" or "compare"
    manifest: dict
    results: list[ResultSet]
    attribution: pd.DataFrame | None = None
    cost_effectiveness: pd.DataFrame | None = None
    quantiles: pd.DataFrame | None = None  # quantiles.csv of a run with --draws

    @property
    def main(self) -> ResultSet:
        return self.results[-1]

    @property
    def baseline(self) -> ResultSet | None:
        return self.results[0] if len(self.results) > 1 else None

    @property
    def others(self) -> list[ResultSet]:
        return self.results[1:] if len(self.results) > 1 else []

    @property
    def year(self) -> int:
        y = self.manifest.get("year")
        return self.main.check_year(y) if y is not None else self.main.horizon


_READ_DTYPES = {"scenario": str, "region": str, "region_name": str, "region_level": str, "county": str, "sector": str,
                "group": str, "service": str, "variable": str, "unit": str}


def load_folder(results_dir) -> FolderResults:
    """Read a folder written by ``helsemod run`` or ``helsemod compare``.

    Raises :class:`HelsemodError` when the folder holds neither ``results.csv`` (or
    ``.parquet``) nor ``comparison.csv``.
    """
    path = Path(results_dir)
    if not path.is_dir():
        raise HelsemodError(f"{path}: not a folder (give a folder written by helsemod run or compare)")
    manifest = {}
    mf = path / "manifest.json"
    if mf.exists():
        try:
            manifest = json.loads(mf.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise HelsemodError(f"{mf}: not valid JSON ({exc})") from None
        except (ValueError, RecursionError):  # not UTF-8, a number of thousands of digits, nested too deeply
            raise HelsemodError(f"{mf}: not a manifest written by helsemod (not readable as JSON)") from None
    kind = None
    for name, k in (("comparison.csv", "compare"), ("results.csv", "run"), ("results.parquet", "run")):
        f = path / name
        if f.exists():
            kind = k
            if f.suffix == ".parquet":
                long = pd.read_parquet(f)
            else:
                long = pd.read_csv(f, dtype=_READ_DTYPES, keep_default_na=False, na_values=[""])
            break
    else:
        raise HelsemodError(f"{path}: no results.csv, results.parquet or comparison.csv (give a folder written "
                            "by helsemod run or helsemod compare)")
    missing = [c for c in D.LONG_COLUMNS if c not in long.columns and c != "county"]  # older folders: no county
    if missing:
        raise HelsemodError(f"{f}: missing column(s) {', '.join(missing)}")
    results = []
    for scn in pd.unique(long["scenario"]):
        sub = long[long["scenario"] == scn]
        results.append(ResultSet.from_long(sub, manifest, scenario=str(scn)))
    if not results:
        raise HelsemodError(f"{f}: no rows")
    att = ce = None
    if (path / "attribution.csv").exists():
        att = pd.read_csv(path / "attribution.csv", dtype={"scenario": str, "region": str, "measure": str})
    if (path / "cost_effectiveness.csv").exists():
        ce = pd.read_csv(path / "cost_effectiveness.csv", dtype={"scenario": str, "measure": str})
    if (path / "population_by_age.csv").exists():
        pa = pd.read_csv(path / "population_by_age.csv", dtype={"region": str, "region_level": str, "sex": str})
        for r in results:
            r.population_by_age = pa
    if (path / "provenance.csv").exists():
        pv = pd.read_csv(path / "provenance.csv", dtype={"region": str, "region_level": str, "sector": str,
                                                         "group": str, "source": str})
        results[-1].provenance = pv
    qt = None
    if (path / "quantiles.csv").exists():
        qt = pd.read_csv(path / "quantiles.csv", dtype={"scenario": str, "level": str, "region": str, "group": str,
                                                        "variable": str})
    return FolderResults(path, kind, manifest, results, att, ce, qt)


def _as_rs(result) -> ResultSet:
    if isinstance(result, ResultSet):
        return result
    if isinstance(result, Projection):
        return ResultSet.from_projection(result)
    if isinstance(result, FolderResults):
        return result.main
    raise TypeError(f"expected a Projection or ResultSet, got {type(result).__name__}")
