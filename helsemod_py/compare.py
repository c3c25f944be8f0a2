"""Scenarios compared with the first (``helsemod compare``): the change in the net gap and in the
shortage by group and county, and for each scenario with measures the attribution to its measures
with what each costs per FTE gained (programme only and total), its status (new, scaled up,
continued), its evidence (published or *assumption*) and its gain at the ends of its evidence range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import dims as D
from ._years import year_index
from .cli_text import tr
from . import labels as L

#: Shown in the waterfall table for measures whose effect has no published source and range.
ASSUMPTION_MARK = "*assumption"


@dataclass
class Comparison:
    """Printed lines and the tables ``compare`` writes (one row block per compared scenario)."""

    lines: list[str] = field(default_factory=list)
    attribution: list[pd.DataFrame] = field(default_factory=list)
    cost_effectiveness: list[pd.DataFrame] = field(default_factory=list)


def change_table(base, other, year: int) -> pd.DataFrame:
    """Change in the national net gap and in the shortage in ``year`` by group (FTE, + = better)."""
    year_index(year, base.years)
    gap = (other.aggregate("nation").gap.sel(year=year, region=D.NATION_CODE)
           - base.aggregate("nation").gap.sel(year=year, region=D.NATION_CODE)).sum("sector")
    short = (base.shortage().sel(year=year) - other.shortage().sel(year=year)).sum("sector")
    return pd.DataFrame({"group": list(D.GROUPS), "gap_change_fte": gap.sel(group=list(D.GROUPS)).values,
                         "shortage_reduction_fte": short.sel(group=list(D.GROUPS)).values})


def _name(group: str, lang: str) -> str:
    return group if lang == "en" else L.group_name(group, "nb")


def _scn(name: str, lang: str) -> str:
    return L.scenario_name(name, lang) if lang == "nb" else name


def region_change_lines(views, label: str, year: int, lang: str = "en") -> list[str]:
    """Change in the gap of the shown region(s) in ``year`` by group for each view after the first
    (views: projections of the same regions, one per scenario; FTE, + = smaller shortage)."""
    def gap(view):
        return view.gap.sel(year=year, sector=list(view.sectors_shown)).sum(["region", "sector"])

    base = gap(views[0])
    out = []
    for view in views[1:]:
        change = gap(view) - base
        out += [tr("vs_region", lang, scn=_scn(view.scenario, lang), base=_scn(views[0].scenario, lang), label=label,
                   year=year)]
        out += [f"  {_name(g, lang):<32}{_fmt(float(change.sel(group=g)), 12, lang)}"
                for g in map(str, change["group"].values) if abs(float(change.sel(group=g))) > 0.5]
        out.append(f"  {tr('all_groups', lang):<32}{_fmt(float(change.sum()), 12, lang)}")
    return out


def _fmt(x: float, width: int, lang: str = "en", decimals: int = 0) -> str:
    return f"{L.fmt_num(x, 'nb', decimals) if lang == 'nb' else format(x, f',.{decimals}f'):>{width}}"


def _signed(x: float, lang: str) -> str:
    return L.fmt_num(x, "nb", sign=True) if lang == "nb" else f"{x:+,.0f}"


def _num(x: float, width: int, scale: float = 1.0, decimals: int = 0, lang: str = "en") -> str:
    return _fmt(x / scale, width, lang, decimals) if x == x else " " * width


def waterfall_lines(ce: pd.DataFrame, year: int, method: str, outcome: str, lang: str = "en") -> list[str]:
    """The cost-effectiveness table of one scenario as printed lines."""
    def h(key):
        return tr(key, lang)

    what = h("wf_gap") if outcome == "gap" else h("wf_shortage")
    wl, wn = (15, 18) if lang == "nb" else (11, 15)  # Norwegian headers are longer
    sampled = re.fullmatch(r"shapley \(sampled, (\d+) orders, seed (\d+)\)", method)
    method = tr("method_exact", lang) if method == "shapley (exact)" else \
        tr("method_sampled", lang, n=sampled[1], seed=sampled[2]) if sampled else method
    out = [f"  {tr('wf_head', lang, year=year, what=what, method=method)}",
           f"    {h('measure'):<40}{h('status'):<11}{h('evidence'):<13}{h('fte'):>8}{h('range_fte'):>16}"
           f"{h('local_fte'):>{wl}}{h('programme'):>11}{h('total'):>11}{h('npf_prog'):>{wn}}{h('npf_total'):>{wn}}",
           f"    {'':<40}{'':<11}{'':<13}{'':>8}{'':>16}{'':>{wl}}{h('mnok'):>11}{h('mnok'):>11}"]
    for _, r in ce.iterrows():
        evidence = ASSUMPTION_MARK if r.evidence == "assumption" else r.evidence
        low, high = r.get("fte_low", np.nan), r.get("fte_high", np.nan)
        span = tr("to", lang, a=_fmt(min(low, high), 0, lang), b=_fmt(max(low, high), 0, lang)) if low == low else ""
        local = _num(r.local_fte_gained, wl, lang=lang) if abs(r.local_fte_gained - r.fte_gained) > 0.5 else " " * wl
        measure = h("total") if r.measure == "total" else r.measure
        out.append(f"    {measure:<40}{r.status:<11}{evidence:<13}{_num(r.fte_gained, 8, lang=lang)}{span:>16}{local}"
                   f"{_num(r.cost_programme_nok, 11, 1e6, 1, lang)}{_num(r.cost_total_nok, 11, 1e6, 1, lang)}"
                   f"{_num(r.nok_per_fte_programme, wn, lang=lang)}{_num(r.nok_per_fte_total, wn, lang=lang)}")
    return out


def compare(ds, scenarios, projections, year: int, end_year: int, attribution: bool = True, samples: int = 24,
            outcome: str = "gap", progress=None, lang: str = "en") -> Comparison:
    """Compare ``projections[1:]`` with ``projections[0]``; ``progress(label, n)`` returns a
    callback for a step of ``n`` runs (attribution, evidence ranges), or None."""
    from .analysis import attribute, plan
    from .coalitions import Coalitions
    from .evidence import bounds_runs, effect_bounds

    out = Comparison()
    first = projections[0]
    year_index(year, first.years)
    short0 = float(first.shortage().sel(year=year).sum())
    for scn, proj in zip(scenarios[1:], projections[1:]):
        tab = change_table(first, proj, year)
        out.lines.append(tr("vs", lang, scn=_scn(scn.name, lang), base=_scn(scenarios[0].name, lang), year=year))
        wg = 22 if lang == "nb" else 12
        gw = 32 if lang == "nb" else 24  # the longest Norwegian group name fits
        out.lines.append(f"  {tr('group', lang):<{gw}}{tr('gap_change', lang):>{wg}}"
                         f"{tr('shortage_reduction', lang):>20}")
        for _, r in tab.iterrows():
            if abs(r.gap_change_fte) > 0.5 or abs(r.shortage_reduction_fte) > 0.5:
                out.lines.append(f"  {_name(r.group, lang):<{gw}}{_fmt(r.gap_change_fte, wg, lang)}"
                                 f"{_fmt(r.shortage_reduction_fte, 20, lang)}")
        gap, short = tab.gap_change_fte.sum(), tab.shortage_reduction_fte.sum()
        out.lines.append(f"  {tr('all_groups', lang):<{gw}}{_fmt(gap, wg, lang)}{_fmt(short, 20, lang)}")
        short1 = float(proj.shortage().sel(year=year).sum())
        out.lines.append("  " + tr("shortage_line", lang, year=year, a=_fmt(short0, 0, lang), b=_fmt(short1, 0, lang)))
        county = (proj.aggregate("county").gap.sel(year=year) - first.aggregate("county").gap.sel(year=year)).sum(
            ["group", "sector"])
        out.lines.append("  " + tr("by_county", lang) + ", ".join(
            f"{n} {_signed(float(v), lang)}"
            for n, v in zip(county["region_name"].values, county.values)))
        if not (attribution and scn.measures):
            continue
        coalitions = Coalitions(ds, scn, end_year)  # the bounds use what the attribution keeps
        steps = plan(coalitions, [m.id for m in scn.measures if not m.is_neutral], "auto", samples, outcome)[2]
        cb = progress(tr("attributing", lang, name=scn.name), steps) if progress else None
        att = attribute(ds, scn, end_year=end_year, samples=samples, outcome=outcome, progress=cb,
                        coalitions=coalitions)
        cb = progress(tr("ranges", lang, name=scn.name), bounds_runs(scn)) if progress else None
        bounds = effect_bounds(ds, scn, year, attribution=att, end_year=end_year, progress=cb, coalitions=coalitions)
        ce = att.cost_effectiveness(year).merge(bounds[["measure", "fte_low", "fte_high"]], on="measure", how="left")
        out.lines += waterfall_lines(ce, year, att.method, outcome, lang)
        wf = att.waterfall(year, level="county")
        wf.insert(0, "scenario", scn.name)
        out.attribution.append(wf)
        ce.insert(0, "scenario", scn.name)
        out.cost_effectiveness.append(ce)
    return out
