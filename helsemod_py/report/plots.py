"""Figures of a projection: supply and demand, gaps by county and municipality, population
pyramids, scenario comparison and the attribution waterfall.

Every ``plot_*`` function takes a :class:`~helsemod_py.results.Projection` (or a
:class:`ResultSet`, the same numbers read back from a results folder) and returns a
:class:`matplotlib.figure.Figure`. Figures are built without :mod:`matplotlib.pyplot`, so
nothing needs a display and nothing is left open in a global figure list. Texts are
Norwegian (``lang="nb"``) or English (``lang="en"``); each figure carries a caption line
``helsemod_py <version>, dataset <name>, scenario <name>``.

:func:`~helsemod_py.report.figures.save_plots` writes all figures of a projection as PNG files;
:func:`~helsemod_py.report.figures.plots_from_folder` does the same from a folder written by ``helsemod run`` or
``helsemod compare`` (``results.csv``/``comparison.csv``, ``manifest.json``,
``attribution.csv``), without rerunning the model. The tables the figures draw on are
in :mod:`.resultset`.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .._version import __version__
from .. import dims as D
from .._atomic import write_atomic
from ..errors import HelsemodError
from .. import labels as L
from .resultset import FolderResults, ResultSet, _as_rs, load_folder  # noqa: F401  (FolderResults, load_folder re-exported)

DPI = 120
#: colours: shortage (red), surplus (blue), supply, demand, neutral
C_SHORT, C_SURPLUS = "#c0392b", "#2b6cb0"
C_SUPPLY, C_DEMAND = "#1f5fa8", "#d9822b"
C_TOTAL, C_GRID = "#3a3a3a", "#dddddd"


# ======================================================================================
# Figure helpers
# ======================================================================================
def _figure(width: float, height: float, caption: str) -> Figure:
    """A constrained-layout figure with a one-line caption at the bottom left."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.set_layout_engine("constrained", h_pad=0.06, w_pad=0.06)
    # supxlabel takes part in the layout, so the caption never overlaps the axes
    fig.supxlabel(caption, x=0.008, ha="left", fontsize=8, color="#555555")
    return fig


def _num_formatter(lang: str, decimals: int = 0, scale: float = 1.0, absolute: bool = False) -> FuncFormatter:
    def f(x, pos=None):
        v = x * scale
        return L.fmt_num(abs(v) if absolute else v, lang, decimals)

    return FuncFormatter(f)


def _style(ax, grid_axis: str = "y") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid_axis, color=C_GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9)


def _title_with_note(ax, title: str, note: str, fontsize: float = 12.5, note_size: float = 8.5) -> None:
    """Bold left title with a smaller grey note line between it and the axes."""
    lines = note.count("\n") + 1
    ax.set_title(title, fontsize=fontsize, fontweight="bold", loc="left", pad=6 + lines * note_size * 1.35)
    ax.annotate(note, xy=(0, 1), xycoords="axes fraction", xytext=(0, 4), textcoords="offset points",
                fontsize=note_size, color="#444444", ha="left", va="bottom")


def _year_ticks(y0: int, y1: int) -> list[int]:
    """First and last year and the multiples of five between them (not crowding either end)."""
    mid = [y for y in range(y0 + 1, y1) if y % 5 == 0 and y - y0 >= 3 and y1 - y >= 3]
    if y1 - y0 > 30:
        mid = [y for y in mid if y % 10 == 0]
    return sorted({y0, *mid, y1})


def _nice_limit(x: float) -> float:
    """Round ``x`` > 0 up to 1, 2, 2.5 or 5 times a power of ten."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    p = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if x <= m * p * 1.0000001:
            return m * p
    return 10 * p


def figure_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def _save_png(fig: Figure, path: Path, dpi: int = DPI) -> Path:
    """Write a PNG atomically."""
    data = figure_png(fig, dpi)
    return write_atomic(path, lambda p: p.write_bytes(data))


# ======================================================================================
# (1) supply and demand over time, small multiples
# ======================================================================================
#: Colours of the scenarios compared side by side (after the reference, drawn as supply/demand).
PALETTE = ["#2a7f62", "#7b4ea3", "#c77c0e", "#2b6cb0", "#b03a2e", "#555555"]


def plot_supply_demand(result, region: str | None = None, lang: str = "nb", groups=None, others=None) -> Figure:
    """Supply and demand (FTE) per personnel group over time, one panel per group.

    ``region``: a municipality or county code or name (default: the nation). The area
    between the lines is red where demand exceeds supply (shortage), blue where not.
    ``others``: scenarios drawn beside ``result`` (the reference): their supply (solid) and demand
    (dashed) in their own colour, each scenario's gap in the panel's subtitle.
    """
    L.check_lang(lang)
    rs = _as_rs(result)
    others = [_as_rs(o) for o in others or []]
    code = rs.resolve_region(region)
    sup = rs.region_series("supply_fte", code)
    dem = rs.region_series("demand_fte", code)
    groups = [g for g in (groups or D.GROUPS) if g in sup.columns]
    if not groups:
        raise HelsemodError("no personnel groups to plot")
    n = len(groups)
    ncols = 5 if n > 12 else 4 if n > 6 else max(1, min(n, 3))
    nrows = math.ceil(n / ncols)
    names = ", ".join(L.scenario_name(s.scenario, lang) for s in [rs, *others])
    fig = _figure(max(6.5, 2.75 * ncols + 0.6), max(4.0, 2.15 * nrows + 1.3) + 0.25 * len(others),
                  rs.caption(lang, scenario=names if others else None))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    years = sup.index.values
    other_series = [(o.region_series("supply_fte", code), o.region_series("demand_fte", code)) for o in others]
    y1 = int(years[-1])
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_visible(False)
            continue
        g = groups[i]
        s, d = sup[g].values, dem[g].values
        ax.fill_between(years, s, d, where=s < d, interpolate=True, color=C_SHORT, alpha=0.22, linewidth=0)
        ax.fill_between(years, s, d, where=s >= d, interpolate=True, color=C_SURPLUS, alpha=0.18, linewidth=0)
        ax.plot(years, s, color=C_SUPPLY, linewidth=1.8)
        ax.plot(years, d, color=C_DEMAND, linewidth=1.8, linestyle="--")
        gap = s[-1] - d[-1]
        lo, hi = min(s.min(), d.min()), max(s.max(), d.max())
        gaps = [gap]
        for j, (os_, od) in enumerate(other_series):
            s2, d2 = os_[g].reindex(years).values, od[g].reindex(years).values
            ax.plot(years, s2, color=PALETTE[j % len(PALETTE)], linewidth=1.4)
            if not np.allclose(d2, d, rtol=1e-6):  # demand drawn where a scenario changes it
                ax.plot(years, d2, color=PALETTE[j % len(PALETTE)], linewidth=1.2, linestyle="--")
            gaps.append(s2[-1] - d2[-1])
            lo, hi = min(lo, s2.min(), d2.min()), max(hi, s2.max(), d2.max())
        ax.set_title(L.group_name(g, lang), fontsize=10, loc="left", fontweight="bold", pad=13)
        value = " / ".join(L.fmt_num(x, lang, sign=True) for x in gaps) + f" {L.t('fte', lang)}"
        ax.text(0.0, 1.02, L.t("sd_gap", lang, year=y1, value=value),
                transform=ax.transAxes, fontsize=8 if not others else 7,
                color=C_SHORT if gap < -0.5 else C_SURPLUS, ha="left", va="bottom")
        pad = max(hi - lo, 0.05 * max(abs(hi), 1.0)) * 0.12
        ax.set_ylim(max(0.0, lo - pad) if lo >= 0 else lo - pad, hi + pad)
        ax.yaxis.set_major_formatter(_num_formatter(lang))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.set_xticks(_year_ticks(int(years[0]), y1))
        _style(ax)
        ax.tick_params(labelsize=8)
        if i % ncols == 0:
            ax.set_ylabel(L.t("sd_ylabel", lang), fontsize=9)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Line2D([], [], color=C_SUPPLY, linewidth=2, label=L.t("supply", lang)),
               Line2D([], [], color=C_DEMAND, linewidth=2, linestyle="--", label=L.t("demand", lang)),
               Patch(color=C_SHORT, alpha=0.3, label=L.t("shortage", lang)),
               Patch(color=C_SURPLUS, alpha=0.25, label=L.t("surplus", lang))]
    if others:  # the reference first, then each scenario's colour
        handles[0].set_label(f"{L.t('supply', lang)}: {L.scenario_name(rs.scenario, lang)}")
        handles[1].set_label(f"{L.t('demand', lang)}: {L.scenario_name(rs.scenario, lang)}")
        handles[2:2] = [Line2D([], [], color=PALETTE[j % len(PALETTE)], linewidth=2,
                               label=L.scenario_name(o.scenario, lang)) for j, o in enumerate(others)]
    if n < nrows * ncols:  # an empty panel holds the legend
        lax = axes.flat[n]
        lax.set_visible(True)
        lax.set_axis_off()
        lax.legend(handles=handles, loc="center", fontsize=10, frameon=False,
                   title=L.t("sd_ylabel", lang), title_fontsize=10)
    else:  # no empty panel: a small legend in the first
        axes.flat[0].legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.85)
    fig.suptitle(L.t("sd_title", lang, region=rs.region_name(code, lang)) + f" ({L.t('fte', lang)})",
                 fontsize=13, fontweight="bold")
    return fig


# ======================================================================================
# (2) gap by county
# ======================================================================================
def plot_gap_by_county(result, year: int | None = None, lang: str = "nb", group: str | None = None,
                       others=None) -> Figure:
    """Gap (FTE) by county in ``year`` (default: last year), sorted, largest shortage on top.

    All groups: red = sum over groups with a shortage, blue = sum over groups with a
    surplus, black marker and label = net gap (with FTE per 1000 inhabitants where the
    population is known). ``group``: one personnel group instead. ``others``: scenarios shown
    beside ``result`` (the reference): the net gap of each, side by side.
    """
    L.check_lang(lang)
    rs = _as_rs(result)
    year = rs.check_year(year)
    if others:
        return _county_side_by_side([rs, *[_as_rs(o) for o in others]], year, lang)
    gap = rs.pivot("gap", "county", year)
    names = rs.county_names()
    pop = rs.population("county", year)
    if group is not None:
        if group not in gap.columns:
            raise HelsemodError(f"group {group!r}: allowed {', '.join(gap.columns)}")
        gap = gap[[group]]
    neg = gap.clip(upper=0).sum(axis=1)
    pos = gap.clip(lower=0).sum(axis=1)
    net = gap.sum(axis=1)
    order = net.sort_values().index  # most negative first (drawn on top)
    n = len(order)
    fig = _figure(10.5, max(4.0, 0.42 * n + 2.0), rs.caption(lang))
    ax = fig.subplots()
    y = np.arange(n)
    if group is None:
        ax.barh(y, neg[order].values, color=C_SHORT, alpha=0.85, height=0.65, label=L.t("shortage_groups", lang))
        ax.barh(y, pos[order].values, color=C_SURPLUS, alpha=0.75, height=0.65, label=L.t("surplus_groups", lang))
        ax.scatter(net[order].values, y, marker="D", color="black", s=22, zorder=3,
                   label=L.t("net_gap" if pop is not None else "net_gap_nopop", lang))
        # legend in one row between the title and the axes
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, fontsize=8.5, frameon=False,
                  borderaxespad=0.2, handlelength=1.6, columnspacing=1.4)
        title = L.t("county_title", lang, year=year)
    else:
        v = net[order].values
        ax.barh(y, v, color=np.where(v < 0, C_SHORT, C_SURPLUS), alpha=0.85, height=0.65)
        title = L.t("county_title_group", lang, year=year, group=L.group_name(group, lang))
    lo = min(0.0, float(neg.min()))
    hi = max(0.0, float(pos.max()))
    span = max(hi - lo, 1.0)
    for yi, r in zip(y, order):
        label = L.fmt_num(net[r], lang)
        if pop is not None and r in pop.index and pop[r] > 0:
            label += f" ({L.fmt_num(1000 * net[r] / pop[r], lang, 1)} {L.t('per_1000_short', lang)})"
        ax.text(max(0.0, float(pos[r])) + 0.012 * span, yi, label, va="center", ha="left", fontsize=8.5)
    ax.set_xlim(lo - 0.03 * span, hi + 0.36 * span)
    ax.set_yticks(y, [names.get(r, r) for r in order], fontsize=9.5)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(_num_formatter(lang))
    ax.set_xlabel(L.t("county_xlabel", lang), fontsize=9.5)
    _style(ax, "x")
    ax.set_title(title, fontsize=12.5, fontweight="bold", loc="left", pad=24 if group is None else 6)
    return fig


def _county_side_by_side(every, year: int, lang: str) -> Figure:
    """Net gap (FTE, all groups) by county in ``year`` for each scenario of ``every``, grouped bars,
    counties sorted by the first scenario's gap (largest shortage on top)."""
    ref = every[0]
    names = ref.county_names()
    nets = pd.DataFrame({i: s.pivot("gap", "county", year).sum(axis=1) for i, s in enumerate(every)})
    order = nets[0].sort_values().index
    n, k = len(order), len(every)
    fig = _figure(10.5, max(4.0, (0.25 + 0.17 * k) * n + 2.0),
                  ref.caption(lang, scenario=", ".join(L.scenario_name(s.scenario, lang) for s in every)))
    ax = fig.subplots()
    y = np.arange(n, dtype=float)
    h = 0.8 / k
    colors = ["#333333", *PALETTE]
    for j, s in enumerate(every):
        ax.barh(y - 0.4 + h * (j + 0.5), nets.loc[order, j].values, height=h * 0.92, color=colors[j % len(colors)],
                alpha=0.85, label=L.scenario_name(s.scenario, lang))
    ax.set_yticks(y, [names.get(r, r) for r in order], fontsize=9.5)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(_num_formatter(lang))
    ax.set_xlabel(L.t("county_xlabel", lang), fontsize=9.5)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=min(k, 3), fontsize=8.5, frameon=False,
              borderaxespad=0.2)
    _style(ax, "x")
    ax.set_title(L.t("county_title", lang, year=year), fontsize=12.5, fontweight="bold", loc="left",
                 pad=18 + 12 * math.ceil(k / 3))
    return fig


# ======================================================================================
# (3) municipality heat map
# ======================================================================================
def plot_gap_heatmap(result, year: int | None = None, lang: str = "nb", groups=None) -> Figure:
    """Gap per 1000 inhabitants (FTE) by municipality (rows) and group (columns) in ``year``.

    Rows are grouped by county (lines between counties) and sorted within each county by the
    total gap per inhabitant, largest shortage first. Red = shortage, blue = surplus; the
    colour scale is symmetric, square-root scaled and clipped at the 98th percentile of absolute values. Where
    the results hold no population, the gap is shown as a percentage of demand.
    """
    L.check_lang(lang)
    rs = _as_rs(result)
    year = rs.check_year(year)
    if "municipality" not in rs.levels:
        raise HelsemodError("the heat map needs municipality results")
    gap = rs.pivot("gap", "municipality", year)
    if groups is not None:
        gap = gap[[g for g in groups if g in gap.columns]]
    pop = rs.population("municipality", year)
    if pop is not None:
        pop = pop.reindex(gap.index)
        val = gap.div(pop.where(pop > 0), axis=0) * 1000
        score = gap.sum(axis=1) / pop.where(pop > 0) * 1000
        title, cbar, unit = L.t("heat_title", lang, year=year), L.t("heat_cbar", lang), ""
    else:
        dem = rs.pivot("demand_fte", "municipality", year).reindex(index=gap.index, columns=gap.columns)
        val = gap / dem.where(dem > 0) * 100
        score = gap.sum(axis=1) / dem.sum(axis=1).where(dem.sum(axis=1) > 0) * 100
        title, cbar, unit = L.t("heat_title_pct", lang, year=year), L.t("heat_cbar_pct", lang), "\u00a0%"
    county = pd.Series({m: rs.county_of.get(m, "?") for m in gap.index})
    frame = pd.DataFrame({"county": county, "score": score})
    frame = frame.sort_values(["county", "score"], kind="stable")
    val = val.loc[frame.index]
    names = rs.county_names()
    n, k = val.shape
    lim = _nice_limit(float(np.nanpercentile(np.abs(val.values), 98)) if np.isfinite(val.values).any() else 1.0)
    many = n > 60
    row_h = 0.045 if many else 0.24
    height = min(23.0, max(4.5, n * row_h + 3.6))
    fig = _figure(11.0 if many else 10.5, height, rs.caption(lang))
    ax = fig.subplots()
    # square-root colour scale: a few large shortages do not wash out the smaller groups
    from matplotlib.colors import FuncNorm

    norm = FuncNorm((lambda x: np.sign(x) * np.sqrt(np.abs(x)), lambda y: np.sign(y) * y ** 2), vmin=-lim, vmax=lim)
    im = ax.imshow(val.values, aspect="auto", cmap="RdBu", norm=norm, interpolation="nearest")
    ax.set_xticks(np.arange(k), [L.group_name(g, lang) for g in val.columns], rotation=55, ha="right",
                  rotation_mode="anchor", fontsize=9)
    blocks = []
    start = 0
    cs = frame["county"].values
    for i in range(1, n + 1):
        if i == n or cs[i] != cs[start]:
            blocks.append((cs[start], start, i))
            start = i
    for _, a, b in blocks[1:]:
        ax.axhline(a - 0.5, color="black", linewidth=0.9)
    if many:
        ax.set_yticks([(a + b - 1) / 2 for _, a, b in blocks],
                      [f"{names.get(c, c)} ({b - a})" for c, a, b in blocks], fontsize=8.5)
        ax.set_ylabel(f"{L.t('col_county', lang)} ({L.t('municipalities', lang)})", fontsize=9.5)
    else:
        mnames = rs.long.loc[rs.long["region_level"] == "municipality"].drop_duplicates("region").set_index(
            "region")["region_name"]
        ax.set_yticks(np.arange(n), [str(mnames.get(m, m)) for m in val.index], fontsize=8.5)
        tr = ax.get_yaxis_transform()
        for c, a, b in blocks:
            ax.text(1.01, (a + b - 1) / 2, names.get(c, c), transform=tr, fontsize=8.5, va="center", ha="left",
                    color="#333333", fontweight="bold")
    if many:  # group names on top as well: the map is tall
        ax.tick_params(axis="x", labeltop=True)
        for tick in ax.xaxis.get_major_ticks():
            tick.label2.set_rotation(55)
            tick.label2.set_horizontalalignment("left")
            tick.label2.set_rotation_mode("anchor")
            tick.label2.set_fontsize(9)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(k + 1) - 0.5, minor=True)
    ax.tick_params(which="minor", length=0)
    ax.grid(which="minor", axis="x", color="white", linewidth=0.6)
    cb = fig.colorbar(im, ax=ax, extend="both", shrink=min(1.0, 6.0 / height * 1.6), aspect=30, pad=0.02)
    cb.set_label(cbar, fontsize=9.5)
    ticks = [f * lim for f in (-1, -0.5, -0.2, -0.05, 0, 0.05, 0.2, 0.5, 1)]
    cb.set_ticks(ticks)
    cb.ax.yaxis.set_major_formatter(_num_formatter(lang, 2 if lim < 2 else 1 if lim < 20 else 0))
    cb.ax.tick_params(labelsize=8.5)
    ax.set_title(title, fontsize=12.5, fontweight="bold", loc="left", pad=8)
    ax.set_xlabel(L.t("heat_note" if pop is not None else "heat_note_pct", lang, lim=L.fmt_num(lim, lang, 1 if lim < 10 else 0) + unit), fontsize=8.5,
                  color="#444444", loc="left")
    return fig


# ======================================================================================
# (4) population pyramids
# ======================================================================================
def _age_bins(width: int = 5, top: int = 90):
    edges = list(range(0, top, width)) + [top]
    labels = [f"{a}\u2013{a + width - 1}" for a in edges[:-1]] + [f"{top}+"]
    return edges, labels


def plot_population_pyramids(result, years=None, lang: str = "nb", region: str | None = None) -> Figure:
    """Population by sex and five-year age group: base year (filled) and horizon (outline).

    Needs the population by age, i.e. a :class:`Projection` (results files hold totals only).
    """
    L.check_lang(lang)
    rs = _as_rs(result)
    proj = rs.projection
    has_table = rs.population_by_age is not None
    if (proj is None or "population" not in proj.data) and not has_table:
        raise HelsemodError("population pyramids need the population by sex and age: pass a Projection "
                            "or a results folder with population_by_age.csv")
    y0, y1 = (rs.base_year, rs.horizon) if years is None else (int(years[0]), int(years[1]))
    for y in (y0, y1):
        rs.check_year(y)
    code = rs.resolve_region(region)
    level = str(rs.long.loc[rs.long["region"] == code, "region_level"].iloc[0])
    if proj is not None and "population" in proj.data:
        pop = proj.aggregate(level).data["population"].sel(region=code)
    else:
        import xarray as xr

        tab = rs.population_by_age
        sub = tab[tab["region"] == code]
        if sub.empty:
            raise HelsemodError(f"population_by_age.csv has no rows for region {code!r} (nation and counties only)")
        pop = xr.DataArray.from_series(sub.set_index(["year", "sex", "age"])["value"])
    edges, agelabels = _age_bins()
    ages = pop["age"].values
    idx = np.searchsorted(edges, ages, side="right") - 1

    def binned(year, sex):
        v = pop.sel(year=year, sex=sex).values
        return np.bincount(idx, weights=v, minlength=len(edges))[: len(edges)] / 1000.0

    m0, f0, m1, f1 = binned(y0, "male"), binned(y0, "female"), binned(y1, "male"), binned(y1, "female")
    total0, total1 = float(pop.sel(year=y0).sum()), float(pop.sel(year=y1).sum())
    fig = _figure(10.0, 7.4, rs.caption(lang))
    ax = fig.subplots()
    yy = np.arange(len(edges))
    ax.barh(yy, -m0, height=0.9, color="#6a9fd4", alpha=0.75, label=f"{L.t('men', lang)} {y0}")
    ax.barh(yy, f0, height=0.9, color="#e39a8c", alpha=0.75, label=f"{L.t('women', lang)} {y0}")
    ax.barh(yy, -m1, height=0.9, fill=False, edgecolor="#0b3d75", linewidth=1.3, label=f"{L.t('men', lang)} {y1}")
    ax.barh(yy, f1, height=0.9, fill=False, edgecolor="#8a1c0c", linewidth=1.3,
            label=f"{L.t('women', lang)} {y1}")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(yy, agelabels, fontsize=8.5)
    lim = max(m0.max(), f0.max(), m1.max(), f1.max(), 1e-3) * 1.1
    ax.set_xlim(-lim, lim)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, symmetric=True))
    ax.xaxis.set_major_formatter(_num_formatter(lang, 1 if lim < 5 else 0, absolute=True))
    ax.set_xlabel(L.t("pyr_xlabel", lang), fontsize=9.5)
    ax.set_ylabel(L.t("pyr_ylabel", lang), fontsize=9.5)
    ax.text(0.02, 0.98, L.t("men", lang), transform=ax.transAxes, fontsize=12, fontweight="bold", va="top",
            color="#0b3d75")
    ax.text(0.98, 0.98, L.t("women", lang), transform=ax.transAxes, fontsize=12, fontweight="bold", va="top",
            ha="right", color="#8a1c0c")
    ax.legend(loc="upper left", bbox_to_anchor=(0.005, 0.93), fontsize=8.5, ncol=1, framealpha=0.9)
    _style(ax, "x")
    _title_with_note(ax, L.t("pyr_title", lang, y0=y0, y1=y1, region=rs.region_name(code, lang)),
                     f"{y0}: {L.fmt_num(total0, lang)} {L.t('persons', lang)};   "
                     f"{y1}: {L.fmt_num(total1, lang)} {L.t('persons', lang)}", note_size=9)
    return fig


# ======================================================================================
# (8) maps
# ======================================================================================
def _level_values(rs: ResultSet, level: str, year: int, what: str) -> dict[str, float]:
    """Per region of ``level``: the gap as % of demand (``gap``), or the % change in supply or
    demand from the base year (``supply_change``, ``demand_change``), over the sectors the level
    reports and all groups."""
    def totals(variable, y):
        rows = rs._rows(variable, level, y)
        return rows.groupby("region", sort=False)["value"].sum()

    if what == "gap":
        gap, dem = totals("gap", year), totals("demand_fte", year)
        out = 100.0 * gap / dem.where(dem > 0)
    else:
        var = "supply_fte" if what == "supply_change" else "demand_fte"
        first, last = totals(var, rs.base_year), totals(var, year)
        out = 100.0 * (last / first.where(first > 0) - 1.0)
    return {str(k): float(v) for k, v in out.items()}


def map_note(result, lang: str = "en") -> str | None:
    """None when the results' municipalities can be mapped; otherwise why not, in ``lang``."""
    from . import maps

    rs = _as_rs(result)
    codes = [str(c) for c in rs.long.loc[rs.long["region_level"] == "municipality", "region"].unique()]
    have = maps.boundaries("municipality")
    missing = [c for c in codes if c not in have]
    if not codes:
        return L.t("no_map_none", lang)
    if len(missing) == len(codes):
        return L.t("no_map_synthetic", lang, example=missing[0])
    return L.t("no_map_missing", lang, n=len(missing), example=missing[0]) if missing else None


def plot_maps(result, year: int | None = None, lang: str = "nb", what: str = "gap", boundaries=None) -> Figure:
    """Choropleth maps: municipalities (left) and counties (right) coloured by ``what`` (``gap``: the
    gap as % of demand, negative = shortage; ``supply_change`` / ``demand_change``: % change from the
    base year), one colour scale. Boundaries: Kartverket 2024 (CC BY 4.0), or a file given."""
    from matplotlib import colormaps
    from matplotlib.colors import TwoSlopeNorm

    from . import maps

    L.check_lang(lang)
    rs = _as_rs(result)
    year = rs.check_year(year)
    note = map_note(rs)
    if note:
        raise HelsemodError(note)
    panels = [(lv, _level_values(rs, lv, year, what)) for lv in ("municipality", "county") if lv in rs.levels]
    vals = np.array([v for _, d in panels for v in d.values() if np.isfinite(v)])
    lim = _nice_limit(float(np.nanpercentile(np.abs(vals), 97))) if len(vals) else 1.0
    cmap = colormaps["RdBu" if what == "gap" else "PuOr_r"]
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim)
    fig = _figure(10.0, 7.6, f"{rs.caption(lang)} — {maps.CREDIT}")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (level, values) in zip(axes, panels):
        maps.draw(ax, values, level, cmap, norm, path=(boundaries or {}).get(level))
        ax.set_title(L.t(f"map_{level}", lang), fontsize=11, loc="left")
    sm = __import__("matplotlib.cm", fromlist=["ScalarMappable"]).ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(sm, ax=list(axes), orientation="horizontal", fraction=0.04, pad=0.02, extend="both")
    bar.set_label(L.t(f"map_{what}_label", lang, y0=rs.base_year, year=year))
    bar.ax.xaxis.set_major_formatter(_num_formatter(lang))
    fig.suptitle(L.t(f"map_{what}_title", lang, y0=rs.base_year, year=year), fontsize=13, x=0.01, ha="left",
                 fontweight="bold")
    return fig


# ======================================================================================
# Writing all figures
# ======================================================================================
def plot_sensitivity(table, lang: str = "nb") -> Figure:
    """Tornado chart of global sensitivity indices (a table from ``uncertainty.sensitivity``).

    Sobol: total (ST) and first-order (S1) indices with confidence whiskers; Morris: mu_star
    with sigma. Bars are sorted by importance, largest at the top.
    """
    L.check_lang(lang)
    a = table.attrs
    sobol = "ST" in table.columns
    rows = table.iloc[::-1]
    fig = _figure(9.0, max(3.0, 0.55 * len(rows) + 2.0),
                  f"helsemod_py {__version__}, {a.get('method', '')}, {a.get('output', '')}")
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    if sobol:
        ax.barh(y + 0.18, rows["ST"], height=0.34, xerr=rows["ST_conf"], color=C_SHORT, alpha=0.85,
                label="ST (total)" if lang == "en" else "ST (total)")
        ax.barh(y - 0.18, rows["S1"], height=0.34, xerr=rows["S1_conf"], color=C_SUPPLY, alpha=0.85,
                label="S1 (first order)" if lang == "en" else "S1 (førsteordens)")
        ax.set_xlabel("Sobol index (share of variance)" if lang == "en" else "Sobol-indeks (andel av variansen)")
    else:
        ax.barh(y, rows["mu_star"], height=0.5, xerr=rows["mu_star_conf"], color=C_SHORT, alpha=0.85,
                label="mu* (FTE)")
        ax.plot(rows["sigma"], y, "kd", label="sigma (FTE)")
        ax.set_xlabel("Morris mu* (FTE)" if lang == "en" else "Morris mu* (årsverk)")
    ax.set_yticks(y, rows["parameter"])
    _style(ax, grid_axis="x")
    ax.legend(loc="lower right", fontsize=9, frameon=False)
    group = a.get("group", "all")
    what = ("Sensitivity of the national gap" if lang == "en" else "Følsomhet for nasjonalt gap")
    ax.set_title(f"{what} {a.get('year', '')} ({group}), {a.get('runs', '?')} "
                 f"{'runs' if lang == 'en' else 'kjøringer'}", loc="left", fontsize=12, fontweight="bold")
    return fig


def plot_fan(ensemble, group: str | None = None, region: str | None = None, lang: str = "nb") -> Figure:
    """Fan chart of the gap over time: median and quantile bands of an ``uncertainty.Ensemble``.

    ``region`` is a county code (default: the nation); ``group`` one group (default: a panel
    for each of the six groups with the widest band).
    """
    L.check_lang(lang)
    da = ensemble.nation if region is None else ensemble.county.sel(region=region)
    gap = da.sel(variable="gap")
    q = [float(x) for x in gap["quantile"].values]
    if group is not None:
        groups = [group]
    else:
        last = gap.isel(year=-1)
        width = (last.sel(quantile=max(q)) - last.sel(quantile=min(q))).to_series().sort_values(ascending=False)
        groups = list(width.index[:6])
    cols = min(3, len(groups))
    rows_n = int(np.ceil(len(groups) / cols))
    fig = _figure(4.2 * cols, 3.0 * rows_n + 0.9,
                  f"helsemod_py {__version__}, scenario {ensemble.scenario}, {ensemble.draws} draws, seed {ensemble.seed}")
    years = gap["year"].values
    pairs = [(q[i], q[-1 - i]) for i in range(len(q) // 2)]
    for i, g in enumerate(groups):
        ax = fig.add_subplot(rows_n, cols, i + 1)
        s = gap.sel(group=g)
        for j, (lo, hi) in enumerate(pairs):
            ax.fill_between(years, s.sel(quantile=lo), s.sel(quantile=hi), color=C_SUPPLY,
                            alpha=0.18 + 0.2 * j, linewidth=0,
                            label=f"{lo:.0%}-{hi:.0%}")
        mid = 0.5 if 0.5 in q else q[len(q) // 2]
        ax.plot(years, s.sel(quantile=mid), color="black", linewidth=1.6, label="median" if lang == "en" else "median")
        ax.axhline(0, color="#888888", linewidth=0.8)
        ax.set_title(L.group_name(g, lang), loc="left", fontsize=10.5, fontweight="bold")
        ax.yaxis.set_major_formatter(_num_formatter(lang))
        _style(ax)
        if i == 0:
            ax.legend(fontsize=8, frameon=False, loc="lower left")
    title = "Gap (FTE) with uncertainty bands" if lang == "en" else "Gap (årsverk) med usikkerhetsbånd"
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    return fig
