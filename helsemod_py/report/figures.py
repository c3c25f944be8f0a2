"""Every figure of a result or a results folder, drawn and saved (``helsemod plot``, the report).

Gathers the single-scenario figures (:mod:`.plots`) and the comparison and attribution figures
(:mod:`.plots_compare`), so neither of those imports the other's callers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from .. import labels as L
from .plots import (DPI, _save_png, map_note, plot_fan, plot_gap_by_county, plot_gap_heatmap, plot_maps,
                    plot_population_pyramids, plot_supply_demand)
from .plots_compare import plot_attribution_waterfall, plot_scenario_comparison
from .resultset import FolderResults, _as_rs, load_folder


def _slug(text: str) -> str:
    import unicodedata

    s = str(text).lower().replace("ø", "o").replace("æ", "ae").replace("å", "a")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = re.sub(r"[^0-9a-z]+", "_", s).strip("_")
    return s[:40] or "scenario"


def figures(result, lang: str = "nb", baseline=None, attribution=None, region: str | None = None,
            year: int | None = None, others=None, cost_effectiveness: pd.DataFrame | None = None
            ) -> list[tuple[str, str, Figure]]:
    """All figures that the inputs allow, as ``(name, caption key, Figure)``.

    ``result``: the scenario shown in figures 1-4; ``baseline``: reference for figure 5
    (with ``others``, a list of scenarios, compared instead of ``result`` alone);
    ``attribution``: an Attribution, or attribution.csv rows (one figure per scenario).
    """
    L.check_lang(lang)
    rs = _as_rs(result)
    year = rs.check_year(year)
    every = [_as_rs(baseline), *([_as_rs(o) for o in others] if others else [rs])] if baseline is not None else [rs]
    out = [("supply_demand", "fig_supply_demand",
            plot_supply_demand(every[0], region=region, lang=lang, others=every[1:]))]
    if "county" in rs.levels:
        out.append(("gap_by_county", "fig_county", plot_gap_by_county(every[0], year=year, lang=lang,
                                                                      others=every[1:])))
    if "municipality" in rs.levels:
        out.append(("gap_heatmap", "fig_heat", plot_gap_heatmap(rs, year=year, lang=lang)))
        if map_note(rs) is None:
            out.append(("map_gap", "fig_map_gap", plot_maps(rs, year=year, lang=lang, what="gap")))
            out.append(("map_supply_change", "fig_map_supply", plot_maps(rs, year=year, lang=lang,
                                                                         what="supply_change")))
            out.append(("map_demand_change", "fig_map_demand", plot_maps(rs, year=year, lang=lang,
                                                                         what="demand_change")))
    pyramid_region_ok = rs.population_by_age is not None and (
        region is None or rs.resolve_region(region) in set(rs.population_by_age["region"]))
    if (rs.projection is not None and "population" in rs.projection.data) or pyramid_region_ok:
        out.append(("population_pyramids", "fig_pyramid", plot_population_pyramids(rs, lang=lang, region=region)))
    if baseline is not None:
        comp = [_as_rs(o) for o in others] if others else [rs]
        out.append(("scenario_comparison", "fig_comparison",
                    plot_scenario_comparison(comp, baseline, year=year, lang=lang, region=region)))
    if attribution is not None:
        if isinstance(attribution, pd.DataFrame):
            scns = list(pd.unique(attribution["scenario"])) if "scenario" in attribution else [None]
            for s in scns:
                name = "attribution_waterfall" if len(scns) == 1 else f"attribution_waterfall_{_slug(s)}"
                out.append((name, "fig_waterfall",
                            plot_attribution_waterfall(attribution, year=year, lang=lang, scenario=s,
                                                       dataset=rs.dataset, version=rs.version,
                                                       synthetic=rs.synthetic,
                                                       cost_effectiveness=cost_effectiveness)))
        else:
            out.append(("attribution_waterfall", "fig_waterfall",
                        plot_attribution_waterfall(attribution, year=year, lang=lang, dataset=rs.dataset,
                                                   version=rs.version, synthetic=rs.synthetic)))
    return out


def save_plots(result, out_dir, lang: str = "nb", baseline=None, attribution=None, region: str | None = None,
               year: int | None = None, dpi: int = DPI) -> list[Path]:
    """Write every figure the inputs allow as ``<name>_<lang>.png`` into ``out_dir``.

    ``result``: a Projection; ``baseline``: a Projection to compare with (figure 5);
    ``attribution``: an :class:`~helsemod_py.analysis.Attribution` (figure 6). Each PNG
    is written atomically. Returns the paths written.
    """
    out_dir = Path(out_dir)
    paths = []
    for name, _, fig in figures(result, lang, baseline=baseline, attribution=attribution, region=region,
                                year=year):
        paths.append(_save_png(fig, out_dir / f"{name}_{lang}.png", dpi))
    return paths


def folder_figures(folder: FolderResults, lang: str = "nb", region: str | None = None):
    """The figures of a results folder (see :func:`figures`), with a fan chart when the run had draws."""
    out = figures(folder.main, lang, baseline=folder.baseline, attribution=folder.attribution, region=region,
                  year=folder.year, others=folder.others, cost_effectiveness=folder.cost_effectiveness)
    if folder.quantiles is not None:
        out.append(("fan_chart", "fig_fan", plot_fan(_ensemble_from_table(folder.quantiles, folder.manifest),
                                                     lang=lang)))
    return out


def _ensemble_from_table(table: pd.DataFrame, manifest: dict):
    """The national quantiles of a quantiles.csv as the object :func:`plot_fan` reads."""
    from types import SimpleNamespace

    import xarray as xr

    nat = table[table["level"] == "nation"]
    da = xr.DataArray.from_series(nat.set_index(["quantile", "year", "group", "variable"])["value"])
    return SimpleNamespace(nation=da, county=None, scenario=str(nat["scenario"].iloc[0]),
                           draws=manifest.get("draws", "?"), seed=manifest.get("seed", "?"))


def plots_from_folder(results_dir, out_dir=None, lang: str = "nb", region: str | None = None,
                      dpi: int = DPI) -> list[Path]:
    """Write the figures of a folder written by ``helsemod run``/``compare`` as PNG files.

    ``out_dir`` defaults to ``<results_dir>/plots``. A run folder gives figures 1-3 (the
    results files hold no population by age, so no pyramids); a compare folder adds the
    scenario comparison and one attribution waterfall per scenario with measures.
    """
    L.check_lang(lang)
    folder = load_folder(results_dir)
    out_dir = Path(out_dir) if out_dir is not None else folder.path / "plots"
    return [_save_png(fig, out_dir / f"{name}_{lang}.png", dpi)
            for name, _, fig in folder_figures(folder, lang, region=region)]
