"""Hospital trusts (helseforetak) and their catchment areas: where specialist supply sits.

``trusts_2024.yaml`` (cited there: SKDE Helseatlas catchment areas, 2024 municipalities) lists
each trust with the municipalities it serves; Oslo is split between four hospitals by the
approximate population of its city districts. :func:`catchment` turns it into a weight matrix
for a dataset's regions, so results can be summed from municipalities to trusts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

TRUSTS_FILE = Path(__file__).with_name("trusts_2024.yaml")


@dataclass(frozen=True)
class Catchment:
    """Trusts and the share of each municipality's residents each one serves.

    ``weights[h, r]`` (/1): share of municipality ``r``'s residents in the catchment of trust
    ``h``; every column sums to 1. ``synthetic``: the trusts are made up (one per county)
    because the dataset's municipalities are.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    health_regions: tuple[str, ...]
    weights: np.ndarray
    reference: str
    synthetic: bool = False

    def __len__(self) -> int:
        return len(self.codes)

    def name_of(self, code: str) -> str:
        return self.names[self.codes.index(code)]


@functools.lru_cache(maxsize=1)
def _table() -> dict:
    with open(TRUSTS_FILE, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def catchment(regions) -> Catchment:
    """The catchment of the real trusts for ``regions`` (:class:`~helsemod_py.dims.Regions`).

    Regions that are not all 2024 municipalities (the synthetic default, another municipal
    structure) get one trust per county, flagged synthetic, with the reason in ``reference``.
    """
    table = _table()
    trusts = table["trusts"]
    known = {c for t in trusts.values() for c in t["municipalities"]}
    codes = list(regions.codes)
    missing = [c for c in codes if c not in known]
    if missing:
        why = (f"{len(missing)} of the {len(codes)} region codes (e.g. {missing[0]!r}) are not 2024 municipalities "
               f"in {TRUSTS_FILE.name}")
        return county_catchment(regions, why)
    index = {c: i for i, c in enumerate(codes)}
    keep = [k for k, t in trusts.items() if any(c in index for c in t["municipalities"])]
    w = np.zeros((len(keep), len(codes)))
    for h, k in enumerate(keep):
        for c, share in trusts[k]["municipalities"].items():
            if c in index:
                w[h, index[c]] = float(share)
    col = w.sum(axis=0)
    w = w / np.where(col > 0, col, 1.0)  # a subset of Oslo's hospitals still sums to 1
    return Catchment(tuple(keep), tuple(trusts[k]["name"] for k in keep),
                     tuple(trusts[k]["health_region"] for k in keep), w, table["reference"])


def county_catchment(regions, why: str = "") -> Catchment:
    """One synthetic trust per county (for datasets without real municipality codes)."""
    counties = regions.counties
    pos = regions.county_index()
    w = np.zeros((len(counties), len(regions)))
    w[pos, np.arange(len(regions))] = 1.0
    names = tuple(f"{regions.county_names.get(c, c)} (synthetic trust)" for c in counties)
    return Catchment(tuple(f"HF{c}" for c in counties), names, tuple("" for _ in counties), w,
                     "synthetic: one trust per county" + (f" ({why})" if why else ""), synthetic=True)
