"""Choropleth maps of municipalities and counties, drawn from boundary files with matplotlib.

The package ships the 2024 municipality and county boundaries (Kartverket's administrative units,
simplified; CC BY 4.0 — every map carries the credit "© Kartverket") in a compact form made by
:func:`compact_boundaries`: per region code, its outer rings as lon/lat pairs rounded to three
decimals (about 100 m). A newer GeoJSON file of the same kind (properties ``kommunenummer`` or
``fylkesnummer``) can be given instead. A dataset whose region codes are not in the boundaries
(the synthetic default) has no real map: :func:`helsemod_py.report.plots.map_note` says why.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from ..errors import HelsemodError

GEO_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"
BOUNDARIES = {"municipality": GEO_DIR / "kommuner_2024.json", "county": GEO_DIR / "fylker_2024.json"}
CODE_KEYS = {"municipality": ("kommunenummer",), "county": ("fylkesnummer",)}
CREDIT = "© Kartverket (CC BY 4.0)"
#: Width of one degree of longitude relative to latitude at Norway's mid latitude (about 64° N).
ASPECT = float(np.cos(np.deg2rad(64.0)))


def _rings(geometry: dict) -> list:
    kind, coords = geometry.get("type"), geometry.get("coordinates", [])
    if kind == "Polygon":
        return coords[:1]
    if kind == "MultiPolygon":
        return [poly[0] for poly in coords if poly]
    return []


def compact_boundaries(geojson, level: str, decimals: int = 3) -> dict:
    """A GeoJSON FeatureCollection of municipalities or counties as ``{"credit", "level",
    "regions": {code: [ring, ...]}}`` with rounded lon/lat and repeated points dropped."""
    data = json.loads(Path(geojson).read_text(encoding="utf-8")) if not isinstance(geojson, dict) else geojson
    out: dict[str, list] = {}
    for feat in data.get("features", []):
        props = feat.get("properties") or {}
        code = next((str(props[k]) for k in CODE_KEYS[level] if k in props), None)
        if code is None:
            raise HelsemodError(f"boundaries: a feature has none of {', '.join(CODE_KEYS[level])} (a {level} file?)")
        for ring in _rings(feat.get("geometry") or {}):
            pts = np.round(np.asarray(ring, dtype=float), decimals)
            keep = np.concatenate([[True], np.any(np.diff(pts, axis=0) != 0, axis=1)])
            pts = pts[keep]
            if len(pts) >= 4:
                out.setdefault(code, []).append(pts.tolist())
    return {"credit": CREDIT, "level": level, "regions": out}


@functools.lru_cache(maxsize=4)
def _load(path: str, level: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise HelsemodError(f"{p}: boundary file not found")
    data = json.loads(p.read_text(encoding="utf-8"))
    if "regions" not in data:  # a GeoJSON file named by the user
        data = compact_boundaries(data, level)
    return data


def boundaries(level: str, path=None) -> dict[str, list]:
    """Outer rings (lon/lat) per region code for ``municipality`` or ``county``."""
    if level not in BOUNDARIES:
        raise HelsemodError(f"map level {level!r}: allowed {', '.join(BOUNDARIES)}")
    return _load(str(path or BOUNDARIES[level]), level)["regions"]


def draw(ax, values: dict, level: str, cmap, norm, path=None, edge: str = "white", linewidth: float = 0.15):
    """Fill each region of ``values`` (code -> number; NaN grey) on ``ax``; returns the collection."""
    from matplotlib.collections import PolyCollection

    rings, colours = [], []
    geo = boundaries(level, path)
    for code, value in values.items():
        for ring in geo.get(code, []):
            pts = np.asarray(ring)
            rings.append(np.column_stack([pts[:, 0] * ASPECT, pts[:, 1]]))
            colours.append(cmap(norm(value)) if np.isfinite(value) else (0.85, 0.85, 0.85, 1.0))
    coll = PolyCollection(rings, facecolors=colours, edgecolors=edge, linewidths=linewidth)
    ax.add_collection(coll)
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()
    return coll
