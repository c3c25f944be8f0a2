"""Figures (5) and (6) of :mod:`helsemod_py.report.plots`: the change in the gap against a reference
scenario by personnel group (every scenario side by side), and the attribution waterfall of a
scenario's measures, named by their titles, with the cost per FTE that the cost-effectiveness table
computes (national amounts; ``cost_effectiveness.csv`` for a results folder).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .._version import __version__
from .. import dims as D
from .. import labels as L
from .plots import C_SHORT, C_SURPLUS, C_TOTAL, _figure, _num_formatter, _style, _title_with_note
from .resultset import _as_rs


def _wrap(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters (axis labels)."""
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)



# ======================================================================================
# (5) scenario comparison
# ======================================================================================
def plot_scenario_comparison(result, baseline, year: int | None = None, lang: str = "nb",
                             region: str | None = None, min_change: float = 0.5) -> Figure:
    """Change in the gap (FTE) against ``baseline`` by personnel group in ``year``.

    ``result``: one projection or a list of them (grouped bars). Groups whose change is
    below ``min_change`` FTE in every scenario are left out; the last bar is the total.
    """
    L.check_lang(lang)
    scenarios = [_as_rs(r) for r in (result if isinstance(result, (list, tuple)) else [result])]
    base = _as_rs(baseline)
    year = base.check_year(year)
    code = base.resolve_region(region)
    ref = base.region_series("gap", code).loc[year]
    changes = pd.DataFrame({s.scenario: s.region_series("gap", code).loc[year] - ref for s in scenarios})
    changes = changes.reindex([g for g in D.GROUPS if g in changes.index])
    keep = changes.index[(changes.abs() >= min_change).any(axis=1)]
    data = changes.loc[keep]
    total = changes.sum(axis=0)
    rows = [L.group_name(g, lang) for g in data.index] + [L.t("all_groups", lang)]
    values = np.vstack([data.values, total.values[None, :]]) if len(data) else total.values[None, :]
    nrow, nsc = values.shape
    bar_h = 0.8 / nsc
    fig = _figure(10.5, max(4.0, nrow * (0.32 + 0.2 * nsc) + 2.2),
                  base.caption(lang, scenario=", ".join(L.scenario_name(s.scenario, lang) for s in [base, *scenarios])))
    ax = fig.subplots()
    y = np.arange(nrow, dtype=float)
    y[-1] += 0.4  # set the total apart
    palette = ["#2a7f62", "#7b4ea3", "#c77c0e", "#2b6cb0", "#b03a2e", "#555555"]
    span = max(float(np.abs(values).max()), 1.0)
    for j in range(nsc):
        yj = y - 0.4 + bar_h * (j + 0.5)
        v = values[:, j]
        col = palette[j % len(palette)] if nsc > 1 else None
        colors = [col] * nrow if col else [C_SURPLUS if x >= 0 else C_SHORT for x in v[:-1]] + [C_TOTAL]
        ax.barh(yj, v, height=bar_h * 0.92, color=colors, alpha=0.85,
                label=L.scenario_name(scenarios[j].scenario, lang) if nsc > 1 else None)
        for yi, x in zip(yj, v):
            if abs(x) < min_change:
                continue
            ax.text(x + (0.01 * span if x >= 0 else -0.01 * span), yi, L.fmt_num(x, lang, sign=True),
                    va="center", ha="left" if x >= 0 else "right", fontsize=8.5 if nsc < 3 else 7.5)
    ax.axhline(y[-1] - 0.7, color="#999999", linewidth=0.8, linestyle=":")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, rows, fontsize=9.5)
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.invert_yaxis()
    lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
    ax.set_xlim(lo - 0.2 * span if lo < 0 else -0.03 * span, hi + 0.2 * span)
    ax.xaxis.set_major_formatter(_num_formatter(lang))
    ax.set_xlabel(L.t("cmp_xlabel", lang), fontsize=9.5)
    if nsc > 1:
        ax.legend(loc="lower right", fontsize=8.5, framealpha=0.9)
    if not len(data) and abs(total).max() < min_change:
        ax.text(0.5, 0.5, L.t("no_change", lang), transform=ax.transAxes, ha="center", fontsize=11, color="#555555")
    _style(ax, "x")
    title = L.t("cmp_title", lang, baseline=L.scenario_name(base.scenario, lang), year=year,
                region=base.region_name(code, lang))
    if nsc == 1:
        title += f"\n{L.t('info_scenario', lang)}: {L.scenario_name(scenarios[0].scenario, lang)}"
    ax.set_title(title, fontsize=12, fontweight="bold", loc="left")
    return fig


# ======================================================================================
# (6) attribution waterfall
# ======================================================================================
#: The FTE column of attribution tables for each outcome.
CHANGE_COLUMNS = {"gap": "gap_change_fte", "shortage": "shortage_reduction_fte"}


def _outcome_of(df: pd.DataFrame) -> str:
    return next((o for o, c in CHANGE_COLUMNS.items() if c in df), "gap")


#: Columns a waterfall takes from the cost-effectiveness table (the one source of costs).
CE_COST_COLUMNS = ("title", "status", "evidence", "cost_programme_nok", "cost_total_nok", "nok_per_fte_programme",
                   "nok_per_fte_total")


def _with_costs(frame: pd.DataFrame, ce: pd.DataFrame | None, scenario: str) -> pd.DataFrame:
    """``frame`` (measure rows summed to the nation) with the costs, titles and cost per FTE of the
    cost-effectiveness table ``ce`` (``cost_effectiveness.csv``: national amounts per measure)."""
    if ce is None or not len(ce):
        return frame
    ce = pd.DataFrame(ce)
    if "scenario" in ce and scenario:
        ce = ce[ce["scenario"].astype(str) == str(scenario)]
    cols = [c for c in CE_COST_COLUMNS if c in ce]
    if not len(ce) or not cols:
        return frame
    out = frame.drop(columns=[c for c in cols if c in frame]).merge(
        ce[["measure", *cols]].drop_duplicates("measure"), on="measure", how="left")
    out.attrs = dict(frame.attrs)
    return out


def measure_label(row, readable: bool = True) -> str:
    """A measure's display name: its title where the scenario gives one, else its id (made
    readable, ``torn nurses``, unless ``readable`` is False)."""
    title = row.get("title")
    if isinstance(title, str) and title.strip() and title != row.get("measure"):
        return title.strip()
    return L.measure_name(row.get("measure")) if readable else str(row.get("measure"))


def waterfall_frame(attribution, year: int | None = None, region: str | None = None,
                    scenario: str | None = None, cost_effectiveness: pd.DataFrame | None = None
                    ) -> tuple[pd.DataFrame, int | None, str]:
    """Measures' contributions (FTE) and cost as a frame ``measure, title, evidence, change_fte,
    cost_programme_nok, cost_total_nok, nok_per_fte_programme, nok_per_fte_total`` without the
    total row, plus the year and scenario; ``attrs["outcome"]`` is ``gap`` or ``shortage``.

    ``attribution``: an :class:`~helsemod_py.analysis.Attribution` or rows of
    ``attribution.csv`` (county rows are summed to the nation unless ``region`` is given). Costs
    are national: for the nation they come from ``cost_effectiveness`` (rows of
    ``cost_effectiveness.csv``) where given, the table ``helsemod compare`` computes them in.
    """
    if hasattr(attribution, "waterfall") and hasattr(attribution, "contributions"):
        years = attribution.contributions["year"].values
        year = int(years[-1]) if year is None else int(year)
        if region is None:
            wf = attribution.waterfall(year, level="nation")
        else:
            level = "municipality" if region in set(map(str, attribution.contributions["region"].values)) \
                else "county"
            wf = attribution.waterfall(year, level=level)
            wf = wf[wf["region"].astype(str) == str(region)]
        outcome = attribution.outcome
        wf = wf[wf["measure"] != "total"].rename(columns={CHANGE_COLUMNS[outcome]: "change_fte"})
        wf = wf.reset_index(drop=True)
        wf.attrs["outcome"] = outcome
        return wf, year, attribution.scenario
    df = pd.DataFrame(attribution)
    if scenario is not None and "scenario" in df:
        df = df[df["scenario"] == scenario]
    scn = str(df["scenario"].iloc[0]) if "scenario" in df and len(df) else (scenario or "")
    if region is not None and "region" in df:
        df = df[df["region"].astype(str) == str(region)]
    df = df[df["measure"] != "total"]
    outcome = _outcome_of(df)
    agg = {"change_fte": (CHANGE_COLUMNS[outcome], "sum")}
    for col in ("title", "evidence", "cost_programme_nok", "cost_total_nok"):
        if col in df:
            agg[col] = (col, "first")
    grouped = df.groupby("measure", sort=False).agg(**agg).reset_index()
    for cost, ratio in (("cost_programme_nok", "nok_per_fte_programme"), ("cost_total_nok", "nok_per_fte_total")):
        if cost in grouped:
            ok = (grouped["change_fte"] > 0) & (grouped[cost] > 0)
            grouped[ratio] = np.where(ok, grouped[cost] / grouped["change_fte"].where(ok), np.nan)
    grouped.attrs["outcome"] = outcome
    if region is None:
        grouped = _with_costs(grouped, cost_effectiveness, scn)
    return grouped, year, scn


def plot_attribution_waterfall(attribution, year: int | None = None, lang: str = "nb", region: str | None = None,
                               scenario: str | None = None, dataset: str = "", version: str = __version__,
                               synthetic: bool = False, region_name: str | None = None,
                               cost_effectiveness: pd.DataFrame | None = None) -> Figure:
    """Waterfall of each measure's contribution to the change in the gap (FTE) in ``year``.

    Horizontal bars float from the running total; the bottom bar is the total, which the
    contributions add up to (Shapley attribution). Labels give the FTE and, where the
    measure has a cost, NOK per FTE. ``attribution``: an Attribution or ``attribution.csv``
    rows (one scenario, chosen with ``scenario`` when the file has several) with their
    ``cost_effectiveness`` rows (the costs). Measures are named by their titles.
    """
    L.check_lang(lang)
    wf, year, scn = waterfall_frame(attribution, year, region, scenario, cost_effectiveness)
    shortage = wf.attrs.get("outcome") == "shortage"
    wf = wf.sort_values("change_fte", ascending=False, kind="stable").reset_index(drop=True)
    n = len(wf)
    where = region_name or (L.t("nation", lang) if region is None else str(region))
    caption = L.t("caption", lang, version=version, dataset=dataset or "?", scenario=scn)
    caption += L.t("caption_synthetic", lang) if synthetic else ""
    fig = _figure(11.0, max(4.0, 0.42 * (n + 1) + 2.3), caption)
    ax = fig.subplots()
    if n == 0:
        ax.text(0.5, 0.5, L.t("wf_none", lang), transform=ax.transAxes, ha="center", fontsize=12)
        ax.set_axis_off()
        ax.set_title(L.t("wf_title", lang, year=year, region=where), fontsize=12, fontweight="bold", loc="left")
        return fig
    v = wf["change_fte"].values.astype(float)
    ends = np.cumsum(v)
    starts = ends - v
    total = float(ends[-1])
    y = np.arange(n + 1, dtype=float)
    y[-1] += 0.3
    colors = [C_SURPLUS if x >= 0 else C_SHORT for x in v]
    ax.barh(y[:-1], v, left=starts, height=0.62, color=colors, alpha=0.85)
    ax.barh(y[-1], total, height=0.7, color=C_TOTAL)
    for i in range(n):
        ax.plot([ends[i], ends[i]], [y[i] + 0.31, y[i + 1] - (0.35 if i == n - 1 else 0.31)], color="#888888",
                linewidth=0.8, linestyle=":")
    lo = min(0.0, float(np.min(np.minimum(starts, ends))), total)
    hi = max(0.0, float(np.max(np.maximum(starts, ends))), total)
    span = max(hi - lo, 1.0)
    unit = L.t("fte", lang)
    per = L.t("kr_per_fte_short", lang)
    for i in range(n):
        x_end = max(starts[i], ends[i])
        label = f"{L.fmt_num(v[i], lang, sign=True)} {unit}"
        npf = wf["nok_per_fte_total"].iloc[i] if "nok_per_fte_total" in wf else np.nan
        if npf is not None and not pd.isna(npf):
            label += f"  ({L.fmt_num(npf, lang)} {per})"
        ax.text(x_end + 0.01 * span, y[i], label, va="center", ha="left", fontsize=8.5)
    tl = f"{L.fmt_num(total, lang, sign=True)} {unit}"
    cost = float(wf["cost_total_nok"].fillna(0).sum()) if "cost_total_nok" in wf else 0.0
    if cost > 0 and total > 0:
        tl += f"  ({L.fmt_num(cost / total, lang)} {per})"
    ax.text(max(0.0, total) + 0.01 * span, y[-1], tl, va="center", ha="left", fontsize=9, fontweight="bold")
    ax.set_xlim(lo - 0.03 * span, hi + 0.42 * span)
    ax.axvline(0, color="black", linewidth=0.8)
    marks = ["*" if e == "assumption" else "" for e in wf.get("evidence", pd.Series([""] * n))]
    names = [_wrap(measure_label(r), 46) for r in wf.to_dict("records")]
    ax.set_yticks(y, [m + k for m, k in zip(names, marks)] + [L.t("total", lang)], fontsize=9)
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_num_formatter(lang))
    sfx = "_shortage" if shortage else ""
    ax.set_xlabel(L.t("wf_xlabel" + sfx, lang), fontsize=9.5)
    _style(ax, "x")
    _title_with_note(ax, L.t("wf_title" + sfx, lang, year=year, region=where), f"{scn}. {L.t('wf_note', lang)}",
                     fontsize=12)
    return fig
