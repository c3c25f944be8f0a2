"""What a measure reaches: regions by code or name, and the order operations apply in.

Below :mod:`.core` (scenarios) and :mod:`.apply` (applying them), which both use it.
"""

from __future__ import annotations

import numpy as np

from .. import dims as D
from ..errors import ScenarioError

#: Order in which operations on the same parameter are applied.
OPERATION_ORDER = ("set", "multiply", "add", "shift")


def region_mask(codes, regions: D.Regions) -> np.ndarray:
    """Boolean mask over the dataset's municipalities for target codes/names (None = all)."""
    if codes is None:
        return np.ones(len(regions), dtype=bool)
    mask = np.zeros(len(regions), dtype=bool)
    cc = np.array(regions.county_codes)
    for code in codes:
        hit = regions.lookup(code)
        if hit is None and regions.is_outside(code):
            continue  # left out of a subset: the measure reaches none of its municipalities
        if hit is None:
            raise ScenarioError(f"unknown region {code!r}")
        if hit[0] == "municipality":
            mask[regions.codes.index(hit[1])] = True
        else:
            mask |= cc == hit[1]
    return mask
