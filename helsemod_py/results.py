"""Labelled projection results: xarray at the edges, aggregation, tidy frames.

All result variables are extensive (persons, users, FTE), so a county is the sum of its
municipalities and the nation the sum of its counties, in every year, group and service.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from . import dims as D
from .core import POP_FLOWS, SUPPLY_FLOWS

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
    "supply_fte": "FTE supplied to health and care (after sick leave)",
    "supply_flows": "Flows of the supply stock during the year that starts 1 January",
    "gap": "Supply FTE minus demand FTE (negative = shortage)",
    "stock": "Supply stock by sex and age",
}


@dataclass
class Projection:
    """A projection for one scenario: an :class:`xarray.Dataset` plus provenance.

    Variables (dims): ``population`` (year, region, sex, age); ``users`` (year, region,
    service); ``demand_fte`` (year, region, service, group); ``supply_persons``,
    ``supply_employed``, ``supply_headcount``, ``supply_fte``, ``gap`` (year, region, group);
    ``supply_flows`` (year, region, group, flow); ``population_flows`` (year, region, flow);
    optionally ``stock`` (year, region, group, sex, age). Each variable's ``unit`` attribute
    gives its unit. ``level`` is ``municipality``, ``county`` or ``nation``.
    """

    data: xr.Dataset
    scenario: str
    level: str
    dataset_name: str
    dataset_hash: str

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

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], years, regions: D.Regions, scenario: str,
                    dataset_name: str = "", dataset_hash: str = "") -> "Projection":
        """Label the kernels' plain arrays (see :func:`helsemod_py.model.run_kernels`)."""
        years = np.asarray(years)
        region = list(regions.codes)
        c = {
            "year": years,
            "region": region,
            "sex": list(D.SEXES),
            "group": list(D.GROUPS),
            "service": list(D.SERVICES),
        }
        totals = arrays["supply_totals"]
        supply_fte = totals[..., 3]
        demand = arrays["demand_fte"]
        pad = np.full((1,) + arrays["supply_flows"].shape[1:], np.nan)
        ppad = np.full((1,) + arrays["population_flows"].shape[1:], np.nan)
        v = {
            "population": (("year", "region", "sex", "age"), arrays["population"]),
            "demand_population": (("year", "region", "sex", "age"), arrays["demand_population"]),
            "population_flows": (("year", "region", "pop_flow"),
                                 np.concatenate([arrays["population_flows"], ppad])),
            "users": (("year", "region", "service"), arrays["users"]),
            "demand_fte": (("year", "region", "service", "group"), demand),
            "supply_persons": (("year", "region", "group"), totals[..., 0]),
            "supply_employed": (("year", "region", "group"), totals[..., 1]),
            "supply_headcount": (("year", "region", "group"), totals[..., 2]),
            "supply_fte": (("year", "region", "group"), supply_fte),
            "supply_flows": (("year", "region", "group", "flow"), np.concatenate([arrays["supply_flows"], pad])),
            "gap": (("year", "region", "group"), supply_fte - demand.sum(axis=2)),
        }
        coords = dict(c, age=D.AGES, flow=list(SUPPLY_FLOWS), pop_flow=list(POP_FLOWS))
        if "stock" in arrays:
            v["stock"] = (("year", "region", "group", "sex", "work_age"), arrays["stock"])
            coords["work_age"] = D.WORK_AGES
        data = xr.Dataset(v, coords=coords)
        data = data.assign_coords(
            county=("region", list(regions.county_codes)),
            region_name=("region", list(regions.names)),
        )
        for name in data.data_vars:
            data[name].attrs.update(unit=UNITS[name], description=DESCRIPTIONS[name])
        data.attrs.update(scenario=scenario, county_names=dict(regions.county_names))
        return cls(data, scenario, "municipality", dataset_name, dataset_hash)

    # --- aggregation ------------------------------------------------------------------
    def aggregate(self, level: str = "county") -> "Projection":
        """Sum municipalities to ``county`` or ``nation`` (flows and stocks alike)."""
        if level not in D.REGION_LEVELS:
            raise ValueError(f"level {level!r}: allowed {', '.join(D.REGION_LEVELS)}")
        if level == self.level:
            return self
        if self.level == "nation" or (self.level == "county" and level == "municipality"):
            raise ValueError(f"cannot disaggregate from {self.level} to {level}")
        county_names = self.data.attrs.get("county_names", {})
        src = self.data.drop_vars(["region_name"])
        if level == "county":
            agg = src.groupby("county").sum(skipna=False, keep_attrs=True).rename(county="region")
            names = [county_names.get(c, c) for c in agg["region"].values]
            agg = agg.assign_coords(county=("region", list(agg["region"].values)), region_name=("region", names))
        else:
            agg = src.drop_vars("county").sum("region", skipna=False, keep_attrs=True).expand_dims(
                region=[D.NATION_CODE])
            agg = agg.assign_coords(county=("region", [D.NATION_CODE]), region_name=("region", [D.NATION_NAME]))
            agg = agg.transpose(*[d for d in ("year", "region") if d in agg.dims], ...)
        for name in agg.data_vars:
            agg[name] = agg[name].transpose(*self.data[name].dims)
            agg[name].attrs = dict(self.data[name].attrs)
        agg.attrs = dict(self.data.attrs)
        return Projection(agg, self.scenario, level, self.dataset_name, self.dataset_hash)

    # --- tables -----------------------------------------------------------------------
    def to_frame(self, variables=("supply_fte", "demand_fte", "gap"), by_service: bool = False) -> pd.DataFrame:
        """Tidy long table with columns :data:`helsemod_py.dims.LONG_COLUMNS`.

        Demand is summed over services unless ``by_service``; ``service`` is ``"all"``
        where a variable has no service dimension.
        """
        frames = []
        for name in variables:
            da = self.data[name]
            if name == "demand_fte" and not by_service:
                da = da.sum("service", keep_attrs=True)
            if "sex" in da.dims:
                da = da.sum("sex", keep_attrs=True)
            if "age" in da.dims:
                da = da.sum("age", keep_attrs=True)
            extra = [d for d in da.dims if d not in ("year", "region", "group", "service")]
            if extra:
                raise ValueError(f"{name} has dimensions {extra}; choose another variable for a long table")
            df = da.to_dataframe(name="value").reset_index()
            if "group" not in df:
                df["group"] = "all"
            if "service" not in df:
                df["service"] = "all"
            df["variable"] = name
            df["unit"] = da.attrs.get("unit", UNITS.get(name, ""))
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        out["scenario"] = self.scenario
        out["region_level"] = self.level
        return out[list(D.LONG_COLUMNS)]
