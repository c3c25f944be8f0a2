"""Labelled projection results: xarray at the edges, aggregation, tidy frames.

All result variables are extensive (persons, users, FTE), so a county is the sum of its
municipalities and the nation the sum of its counties, in every year, group, service and
sector; a hospital trust is the sum of the municipalities it serves (weighted by the share of
each municipality's residents in its catchment, for Oslo's four hospitals).

Supply and gap carry a ``sector`` dimension (:data:`helsemod_py.dims.SECTORS`). A level shows
the sectors located at it (:data:`SECTORS_SHOWN`): a municipality its municipal care and other
municipal services, a trust the specialist services, counties and the nation all of them. The
specialist slice of a municipality exists only to be summed to trusts and counties: it is the
part of a trust's staff and demand attributed to the municipality, not a gap to report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from . import dims as D
from .errors import HelsemodError
from .core import POP_FLOWS, SUPPLY_FLOWS, by_sector
from .core.supply import EMPLOYED, FTE, HEADCOUNT, PERSONS

#: The sectors reported at each level.
SECTORS_SHOWN = {"municipality": D.MUNICIPAL_SECTORS, "trust": ("specialist",), "county": D.SECTORS,
                 "nation": D.SECTORS}
#: Levels a shortage can be counted at: where staff work (each municipality's municipal sectors and
#: each hospital trust's specialist services), each county, or the nation.
SHORTAGE_LEVELS = ("municipality", "county", "nation")
#: Provenance categories of base-year supply (``base_fte_by_source``).
SOURCES = ("synthetic", "estimated", "measured")

#: Unit of every result variable.
UNITS = {
    "population": "persons",
    "demand_population": "persons",
    "population_flows": "persons per year",
    "users": "users",
    "demand_fte": "FTE",
    "supply_persons": "persons",
    "supply_employed": "persons",
    "supply_headcount": "persons",
    "supply_fte": "FTE",
    "supply_flows": "persons per year",
    "gap": "FTE",
    "care_nurse_fte": "FTE",
    "base_fte_by_source": "FTE",
    "stock": "persons",
}
DESCRIPTIONS = {
    "population": "Resident population on 1 January (cohort-component projection)",
    "demand_population": "Population driving demand (the projection, or an external one)",
    "population_flows": "Births, deaths and net migration during the year that starts 1 January",
    "users": "Users of each service",
    "demand_fte": "FTE demanded by service and group",
    "supply_persons": "Persons aged 16-74 with the group's education",
    "supply_employed": "Employed persons with the group's education",
    "supply_headcount": "Persons working in the health and care services modelled",
    "supply_fte": "FTE supplied to each sector of health and care (after sick leave)",
    "supply_flows": "Flows of the supply stock during the year that starts 1 January",
    "gap": "Supply FTE minus demand FTE of the sector's services (negative = shortage)",
    "care_nurse_fte": "FTE of all nurse-educated groups in KOSTRA's municipal care services "
                      "(the scope of SSB 11924/14534)",
    "base_fte_by_source": "Base-year FTE by provenance: measured, estimated by a documented rule, or synthetic",
    "stock": "Supply stock by sex and age",
}


@dataclass
class Projection:
    """A projection for one scenario: an :class:`xarray.Dataset` plus provenance.

    Variables (dims): ``population`` (year, region, sex, age); ``users`` (year, region,
    service); ``demand_fte`` (year, region, service, group); ``supply_fte``, ``gap`` (year,
    region, sector, group); ``supply_persons``, ``supply_employed``, ``supply_headcount`` (year,
    region, group); ``care_nurse_fte`` (year, region); ``base_fte_by_source`` (region, sector,
    group, source); ``supply_flows`` (year, region, group, flow); ``population_flows`` (year,
    region, flow); optionally ``stock`` (year, region, group, sex, age). Each variable's
    ``unit`` attribute gives its unit. ``level`` is ``municipality``, ``trust``, ``county`` or
    ``nation``; ``catchment`` (:class:`~helsemod_py.data.trusts.Catchment`) sums to trusts.

    A projection is not changed after it is made: :meth:`aggregate` keeps the levels it computed.
    """

    data: xr.Dataset
    scenario: str
    level: str
    dataset_name: str
    dataset_hash: str
    catchment: object = None
    _aggregates: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getattr__(self, name):
        data = self.__dict__.get("data")
        if data is not None and name in data.data_vars:
            return data[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        y = self.data["year"].values
        return (f"<Projection {self.scenario!r} at {self.level} level: {self.data.sizes['region']} regions, "
                f"{y[0]}-{y[-1]}; variables {', '.join(self.data.data_vars)}>")

    @property
    def years(self) -> np.ndarray:
        return self.data["year"].values

    @property
    def sectors_shown(self) -> tuple[str, ...]:
        """The sectors this level reports (:data:`SECTORS_SHOWN`)."""
        return SECTORS_SHOWN[self.level]

    def total(self, name: str = "gap", sectors=None) -> xr.DataArray:
        """``name`` summed over ``sectors`` (default: the sectors this level reports)."""
        da = self.data[name]
        if "sector" not in da.dims:
            return da
        sel = list(sectors or self.sectors_shown)
        return da.sel(sector=sel).sum("sector", keep_attrs=True)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], years, regions: D.Regions, scenario: str,
                    dataset_name: str = "", dataset_hash: str = "", catchment=None,
                    supply_source: np.ndarray | None = None) -> "Projection":
        """Label the kernels' plain arrays (see :func:`helsemod_py.model.run_kernels`).

        ``supply_source`` [R, Q, G]: provenance codes of the base-year supply (dataset
        ``supply_source``; default: all estimated).
        """
        years = np.asarray(years)
        c = {
            "year": years,
            "region": list(regions.codes),
            "sex": list(D.SEXES),
            "group": list(D.GROUPS),
            "service": list(D.SERVICES),
            "sector": list(D.SECTORS),
            "source": list(SOURCES),
        }
        totals = arrays["supply_totals"]
        demand = arrays["demand_fte"]
        supply, demand_q = by_sector(totals[..., FTE], arrays["sector_share"], demand, D.service_sector_index(),
                                     len(D.SECTORS))
        nurses = [D.GROUPS.index(g) for g in D.NURSE_GROUPS]
        src = np.ones(supply.shape[1:], dtype=np.int64) if supply_source is None else np.asarray(supply_source).astype(
            np.int64)
        by_source = np.stack([supply[0] * (src == k) for k in range(len(SOURCES))], axis=-1)  # [R, Q, G, 3]
        pad = np.full((1,) + arrays["supply_flows"].shape[1:], np.nan)
        ppad = np.full((1,) + arrays["population_flows"].shape[1:], np.nan)
        v = {
            "population": (("year", "region", "sex", "age"), arrays["population"]),
            "demand_population": (("year", "region", "sex", "age"), arrays["demand_population"]),
            "population_flows": (("year", "region", "pop_flow"),
                                 np.concatenate([arrays["population_flows"], ppad])),
            "users": (("year", "region", "service"), arrays["users"]),
            "demand_fte": (("year", "region", "service", "group"), demand),
            "supply_persons": (("year", "region", "group"), totals[..., PERSONS]),
            "supply_employed": (("year", "region", "group"), totals[..., EMPLOYED]),
            "supply_headcount": (("year", "region", "group"), totals[..., HEADCOUNT]),
            "supply_fte": (("year", "region", "sector", "group"), supply),
            "supply_flows": (("year", "region", "group", "flow"), np.concatenate([arrays["supply_flows"], pad])),
            "gap": (("year", "region", "sector", "group"), supply - demand_q),
            "care_nurse_fte": (("year", "region"), supply[:, :, D.SECTORS.index("care")][:, :, nurses].sum(axis=2)),
            "base_fte_by_source": (("region", "sector", "group", "source"), by_source),
        }
        coords = dict(c, age=D.AGES, flow=list(SUPPLY_FLOWS), pop_flow=list(POP_FLOWS))
        if "stock" in arrays:
            v["stock"] = (("year", "region", "group", "sex", "work_age"), arrays["stock"])
            coords["work_age"] = D.WORK_AGES
        data = xr.Dataset(v, coords=coords)
        data = data.assign_coords(
            county=("region", list(regions.county_codes)),
            region_name=("region", list(regions.names)),
            service_sector=("service", [D.SERVICE_SECTOR[k] for k in D.SERVICES]),
        )
        for name in data.data_vars:
            data[name].attrs.update(unit=UNITS[name], description=DESCRIPTIONS[name])
        data.attrs.update(scenario=scenario, county_names=dict(regions.county_names))
        return cls(data, scenario, "municipality", dataset_name, dataset_hash, catchment)

    @property
    def regions(self) -> D.Regions:
        """The municipalities of a municipality-level projection, with their counties."""
        if self.level != "municipality":
            raise ValueError(f"regions: a {self.level}-level projection has no municipalities")
        d = self.data
        return D.Regions(tuple(map(str, d["region"].values)), tuple(map(str, d["region_name"].values)),
                         tuple(map(str, d["county"].values)), dict(d.attrs.get("county_names", {})))

    def select(self, *names, groups=None) -> "Projection":
        """The municipalities or counties given by code or name (any official form, any case);
        counties come as a county-level projection. ``groups``: only these personnel groups (ids or
        Norwegian names: ``["sykepleiere", "helsefagarbeider"]``). Raises ValueError for an unknown
        name, with suggestions."""
        if not names:
            return self._groups(groups)
        regions = self.regions
        hits = []
        for name in names:
            hit = regions.lookup(name)
            if hit is None:
                raise ValueError(regions.unknown_message(name, "region"))
            hits.append(hit)
        levels = {lv for lv, _ in hits}
        if len(levels) > 1:
            raise ValueError("select municipalities or counties, not both at once")
        source = self if levels == {"municipality"} else self.aggregate("county")
        data = source.data.sel(region=[c for _, c in hits])
        out = Projection(data, self.scenario, source.level, self.dataset_name, self.dataset_hash, self.catchment)
        return out._groups(groups)

    def _groups(self, groups) -> "Projection":
        """This projection with only ``groups`` (ids or Norwegian names; None: all)."""
        if groups is None:
            return self
        from .aliases import resolve_all

        try:
            codes = resolve_all("group", [groups] if isinstance(groups, str) else groups)
        except HelsemodError as exc:
            raise ValueError(str(exc)) from None
        return Projection(self.data.sel(group=codes), self.scenario, self.level, self.dataset_name,
                          self.dataset_hash, self.catchment)

    def shortage(self, level: str = "municipality") -> xr.DataArray:
        """The shortage (FTE, positive): the negative gaps summed over the regions of ``level``, per
        year, sector and group, so that a surplus in one place or group does not offset a shortage in
        another. ``municipality``: each municipality's municipal sectors and each hospital trust's
        specialist services (the units where staff work); ``county`` or ``nation``: all sectors of
        each county, or of the nation."""
        if level not in SHORTAGE_LEVELS:
            raise ValueError(f"level {level!r}: allowed {', '.join(SHORTAGE_LEVELS)}")
        if level == "municipality":
            if self.level != "municipality" or self.catchment is None:
                raise ValueError("the shortage at municipality level needs a municipality projection of a dataset")
            cells = shortage_units(self.data["gap"].values, self.catchment.weights)
        else:
            cells = self.aggregate(level).data["gap"].values
        short = -np.minimum(cells, 0.0).sum(axis=1)
        return xr.DataArray(short, dims=("year", "sector", "group"), coords={
            "year": self.years, "sector": list(D.SECTORS), "group": list(D.GROUPS)}, name="shortage",
            attrs={"unit": "FTE", "level": level, "description": "Sum of negative gaps (FTE short)"})

    # --- aggregation ------------------------------------------------------------------
    def aggregate(self, level: str = "county") -> "Projection":
        """Sum municipalities to ``trust``, ``county`` or ``nation`` (flows and stocks alike; Norwegian
        names too: ``helseforetak``, ``fylke``, ``nasjon``)."""
        from .aliases import canonical

        level = canonical("level", level) or level
        if level not in D.RESULT_LEVELS:
            raise ValueError(f"level {level!r}: allowed {', '.join(D.RESULT_LEVELS)}")
        if level == self.level:
            return self
        if self.level != "municipality" and not (self.level == "county" and level == "nation"):
            raise ValueError(f"cannot go from {self.level} to {level} level")
        if level not in self._aggregates:
            self._aggregates[level] = self._aggregate(level)
        return self._aggregates[level]

    def _aggregate(self, level: str) -> "Projection":
        county_names = self.data.attrs.get("county_names", {})
        src = self.data.drop_vars(["region_name"])
        if level == "trust":
            agg = self._to_trusts(src)
        elif level == "county":
            agg = _sum_by(src.drop_vars("county"), np.asarray(src["county"].values))
            names = [county_names.get(c, c) for c in agg["region"].values]
            agg = agg.assign_coords(county=("region", list(agg["region"].values)), region_name=("region", names))
        else:
            agg = src.drop_vars("county").sum("region", skipna=False, keep_attrs=True).expand_dims(
                region=[D.NATION_CODE])
            agg = agg.assign_coords(county=("region", [D.NATION_CODE]), region_name=("region", [D.NATION_NAME]))
            agg = agg.transpose(*[d for d in ("year", "region") if d in agg.dims], ...)
        moved = {name: da.transpose(*self.data[name].dims) for name, da in agg.data_vars.items()
                 if da.dims != self.data[name].dims}
        if moved:
            agg = agg.assign(moved)  # one update, not one per variable
        for name in agg.data_vars:
            agg.variables[name].attrs = dict(self.data[name].attrs)
        agg.attrs = dict(self.data.attrs)
        return Projection(agg, self.scenario, level, self.dataset_name, self.dataset_hash, self.catchment)

    def _to_trusts(self, src: xr.Dataset) -> xr.Dataset:
        """Weighted sums of municipalities over each trust's catchment."""
        cat = self.catchment
        if cat is None:
            raise ValueError("this projection has no hospital-trust catchment (project it from a dataset)")
        codes = list(src["region"].values)
        if cat.weights.shape[1] != len(codes):
            raise ValueError("the catchment does not match the projection's regions")
        counties = np.asarray(src["county"].values)
        out = {}
        coords = {c: v for c, v in src.coords.items() if "region" not in v.dims}
        for name, da in src.drop_vars("county").data_vars.items():
            if "region" not in da.dims:
                continue
            out[name] = xr.Variable(da.dims, _weighted_sum(cat.weights, da.values, da.dims.index("region")),
                                    attrs=da.attrs)
        agg = xr.Dataset(out, coords=dict(coords, region=list(cat.codes)))
        main_county = [counties[np.argmax(cat.weights[h])] for h in range(len(cat))]
        return agg.assign_coords(county=("region", main_county), region_name=("region", list(cat.names)))

    # --- tables -----------------------------------------------------------------------
    def to_frame(self, variables=("supply_fte", "demand_fte", "gap"), by_service: bool = False) -> pd.DataFrame:
        """Tidy long table with columns :data:`helsemod_py.dims.LONG_COLUMNS`.

        Demand is summed over the services of each sector unless ``by_service``; ``service`` is
        ``"all"`` where a variable has no service dimension and ``sector`` ``"all"`` where it has
        no sector. Only the sectors this level reports are kept (:data:`SECTORS_SHOWN`).
        """
        frames = []
        for name in variables:
            da, const = self._long(name, by_service)
            df = tidy(da)
            if "service" in df and "service_sector" in df:
                df["sector"] = df.pop("service_sector")
            for col, value in const.items():
                df[col] = value
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        out["scenario"] = self.scenario
        out["region_level"] = self.level
        return out[list(D.LONG_COLUMNS)]

    def to_arrow(self, variables=("supply_fte", "demand_fte", "gap"), by_service: bool = False):
        """:meth:`to_frame` as a :class:`pyarrow.Table` (labels dictionary-encoded), without pandas:
        the same rows in the same order, for writing large tables fast."""
        import pyarrow as pa

        tables = []
        for name in variables:
            da, const = self._long(name, by_service)
            cols = tidy_arrow(da)
            if "service" in cols and "service_sector" in cols:
                cols["sector"] = cols.pop("service_sector")
            const = dict(const, scenario=self.scenario, region_level=self.level)
            n = da.size
            for col, value in const.items():
                cols[col] = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([value]))
            tables.append(pa.table({c: cols[c] for c in D.LONG_COLUMNS}))
        return pa.concat_tables(tables)

    def _long(self, name: str, by_service: bool) -> tuple[xr.DataArray, dict]:
        """Variable ``name`` ready for a long table (summed over sex, age and source; demand over the
        services of each sector unless ``by_service``; only the sectors shown) and its constant
        columns (group, service, sector where it has no such dimension; variable; unit)."""
        shown = list(self.sectors_shown)
        da = self.data[name]
        if name == "demand_fte" and not by_service:
            da = demand_by_sector(da)
        for d in ("sex", "age", "source"):
            if d in da.dims:
                da = da.sum(d, keep_attrs=True)
        if "service" in da.dims:
            da = da.sel(service=[k for k in da["service"].values if D.SERVICE_SECTOR[k] in shown])
        if "sector" in da.dims:
            da = da.sel(sector=[q for q in D.SECTORS if q in shown and q in da["sector"].values])
        extra = [d for d in da.dims if d not in ("year", "region", "group", "service", "sector")]
        if extra:
            raise ValueError(f"{name} has dimensions {extra}; choose another variable for a long table")
        present = set(da.dims) | set(da.coords)  # the columns tidy() makes
        if {"service", "service_sector"} <= present:
            present.add("sector")
        const = {col: "care" if (col == "sector" and name == "care_nurse_fte") else "all"
                 for col in ("group", "service", "sector") if col not in present}
        const.update(variable=name, unit=da.attrs.get("unit", UNITS.get(name, "")))
        return da, const

    def provenance(self) -> pd.DataFrame:
        """Base-year FTE by provenance for the sectors this level reports: region, sector, group,
        source, fte, share (of the cell's base-year FTE)."""
        da = self.data["base_fte_by_source"].sel(sector=list(self.sectors_shown))
        df = da.to_dataframe(name="fte").reset_index()
        keep = [c for c in ("region", "region_name", "sector", "group", "source", "fte") if c in df]
        df = df[keep]
        tot = df.groupby(["region", "sector", "group"])["fte"].transform("sum")
        df["share"] = np.where(tot > 0, df["fte"] / tot.where(tot > 0, 1.0), 0.0)
        df.insert(1, "region_level", self.level)
        return df


def _sum_by(src: xr.Dataset, keys: np.ndarray) -> xr.Dataset:
    """Every variable of ``src`` summed over the regions with the same key (``keys`` [R]), one
    region per key in sorted order; NaN propagates. What ``src.groupby(keys).sum(skipna=False)``
    gives, bit for bit (each key's regions added in turn, in their order), in a tenth of the time."""
    labels = np.unique(keys)
    members = [np.flatnonzero(keys == k) for k in labels]
    out = {name: xr.Variable(da.dims, _sum_members(da.values, members, da.dims.index("region")), attrs=da.attrs)
           for name, da in src.data_vars.items()}
    coords = {c: v for c, v in src.coords.items() if "region" not in v.dims}
    coords["region"] = labels
    return xr.Dataset(out, coords=coords, attrs=src.attrs)


def _sum_members(values: np.ndarray, members: list[np.ndarray], ax: int) -> np.ndarray:
    """``values`` summed along axis ``ax`` over each list of positions in ``members`` (that axis
    then has one entry per list). A running sum adds the members in turn, as xarray's group-by does
    (``np.sum`` may pair them up and round differently)."""
    return np.stack([np.take(np.take(values, m, axis=ax).cumsum(axis=ax), -1, axis=ax) for m in members], axis=ax)


def demand_by_sector(da: xr.DataArray, keep_attrs: bool = True) -> xr.DataArray:
    """Demand summed over the services of each sector: ``da.groupby("service_sector").sum("service")``
    with ``service_sector`` renamed ``sector`` (sectors sorted, in the place of ``service``), bit for
    bit (each sector's services added in turn), without a group-by."""
    keys = np.asarray(da["service_sector"].values)
    labels = np.unique(keys)
    ax = da.dims.index("service")
    total = _sum_members(da.values, [np.flatnonzero(keys == k) for k in labels], ax)
    dims = tuple("sector" if d == "service" else d for d in da.dims)
    coords = {c: v for c, v in da.coords.items() if "service" not in v.dims}
    return xr.DataArray(total, dims=dims, coords=dict(coords, sector=labels), name=da.name,
                        attrs=dict(da.attrs) if keep_attrs else {})


def _weighted_sum(weights: np.ndarray, values: np.ndarray, ax: int) -> np.ndarray:
    """``weights [H, R]`` times ``values`` summed over its region axis ``ax``, the region axis
    replaced by H: what ``xr.dot(weights, values, dim="region")`` gives, bit for bit (the same
    einsum), without xarray's machinery; a cell with NaN in any region is NaN."""
    letters = "bcdefghijklmnopqrstuvwxyz"[:values.ndim]
    region = letters[ax]
    others = letters.replace(region, "")
    missing = np.isnan(values)
    filled = np.where(missing, 0.0, values) if missing.any() else values
    total = np.einsum(f"...a{region},...{letters}->...a{others}", weights, filled)
    total = np.moveaxis(total, 0, ax)
    if filled is not values:
        total = np.where(np.expand_dims(missing.any(axis=ax), ax), np.nan, total)
    return total


def tidy(da: xr.DataArray, name: str = "value") -> pd.DataFrame:
    """``da.to_dataframe(name).reset_index()`` built straight from the arrays (rows in C order of
    ``da.dims``; a column per dimension, per coordinate and ``name``), several times faster."""
    index = np.indices(da.shape).reshape(da.ndim, -1) if da.ndim else np.zeros((0, 1), dtype=np.int64)
    cols = {}
    for i, d in enumerate(da.dims):
        cols[d] = _take(np.asarray(da[d].values), index[i])
    for c, coord in da.coords.items():
        if c in da.dims:
            continue
        at = np.ravel_multi_index(tuple(index[da.dims.index(d)] for d in coord.dims), coord.shape) if coord.dims \
            else np.zeros(index.shape[1], dtype=np.int64)
        cols[c] = _take(np.asarray(coord.values).reshape(-1), at)
    cols[name] = np.asarray(da.values).reshape(-1)
    return pd.DataFrame(cols)


def tidy_arrow(da: xr.DataArray, name: str = "value") -> dict:
    """The columns of :func:`tidy` as pyarrow arrays: labels dictionary-encoded (positions into
    the coordinate's labels, nothing copied per row), values as float64."""
    import pyarrow as pa

    index = np.indices(da.shape).reshape(da.ndim, -1) if da.ndim else np.zeros((0, 1), dtype=np.int64)
    cols = {}

    def encoded(labels, at):
        labels = np.asarray(labels).reshape(-1)
        if labels.dtype.kind in "iu":
            return pa.array(labels[at])
        return pa.DictionaryArray.from_arrays(pa.array(at.astype(np.int32)), pa.array([str(x) for x in labels]))

    for i, d in enumerate(da.dims):
        cols[d] = encoded(da[d].values, index[i])
    for c, coord in da.coords.items():
        if c in da.dims:
            continue
        at = np.ravel_multi_index(tuple(index[da.dims.index(d)] for d in coord.dims), coord.shape) if coord.dims \
            else np.zeros(index.shape[1], dtype=np.int64)
        cols[c] = encoded(coord.values, at)
    cols[name] = pa.array(np.asarray(da.values, dtype=np.float64).reshape(-1))
    return cols


def _take(labels: np.ndarray, at: np.ndarray):
    """``labels[at]`` as pandas would hold it; text through pyarrow where pandas keeps text in
    pyarrow (pandas 3), which skips converting every row from a Python string."""
    if labels.dtype.kind in "UO" and all(isinstance(x, str) for x in labels.tolist()):
        target = pd.Series(["x"]).dtype
        if isinstance(target, pd.StringDtype) and target.storage == "pyarrow":
            import pyarrow as pa

            return pd.array(pa.array(labels.tolist(), type=pa.string()).take(pa.array(at)), dtype=target)
    return labels[at]


def shortage_units(gap: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The gap ``[T, R + H, Q, G]`` of the units where staff work, from a municipality gap ``[T, R, Q,
    G]`` and a catchment's ``weights [H, R]``: each municipality's municipal sectors (its specialist
    slice set to zero) followed by each hospital trust's specialist services (zero elsewhere)."""
    spec = D.SECTORS.index("specialist")
    mun = np.array(gap, dtype=float, copy=True)
    mun[:, :, spec] = 0.0
    trusts = np.zeros((gap.shape[0], weights.shape[0]) + gap.shape[2:])
    trusts[:, :, spec] = np.einsum("hr,trg->thg", weights, gap[:, :, spec])
    return np.concatenate([mun, trusts], axis=1)
