"""Scenarios compared with the first (``helsemod compare``): the change in the net gap and in the
shortage by group and county, and for each scenario with measures the attribution to its measures
with what each costs per FTE gained (programme only and total), its status (new, scaled up,
continued), its evidence (published or *assumption*) and its gain at the ends of its evidence range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import dims as D
from ._years import year_index

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


def region_change_lines(views, label: str, year: int) -> list[str]:
    """Change in the gap of the shown region(s) in ``year`` by group for each view after the first
    (views: projections of the same regions, one per scenario; FTE, + = smaller shortage)."""
    def gap(view):
        return view.gap.sel(year=year, sector=list(view.sectors_shown)).sum(["region", "sector"])

    base = gap(views[0])
    out = []
    for view in views[1:]:
        change = gap(view) - base
        out += [f"\n{view.scenario} vs {views[0].scenario} in {label}, {year} (gap change, FTE, + = smaller shortage)"]
        out += [f"  {g:<24}{float(change.sel(group=g)):>12,.0f}" for g in map(str, change["group"].values)
                if abs(float(change.sel(group=g))) > 0.5]
        out.append(f"  {'all groups':<24}{float(change.sum()):>12,.0f}")
    return out


def _num(x: float, width: int, scale: float = 1.0, decimals: int = 0) -> str:
    return f"{x / scale:>{width},.{decimals}f}" if x == x else " " * width


def waterfall_lines(ce: pd.DataFrame, year: int, method: str, outcome: str) -> list[str]:
    """The cost-effectiveness table of one scenario as printed lines."""
    what = "change in the gap" if outcome == "gap" else "shortage reduction"
    out = [f"  waterfall {year}, {what} ({method}); costs a year, NOK per FTE gained:",
           f"    {'measure':<40}{'status':<11}{'evidence':<13}{'FTE':>8}{'range FTE':>16}{'local FTE':>11}"
           f"{'programme':>11}{'total':>11}{'NOK/FTE prog.':>15}{'NOK/FTE total':>15}",
           f"    {'':<40}{'':<11}{'':<13}{'':>8}{'':>16}{'':>11}{'MNOK':>11}{'MNOK':>11}"]
    for _, r in ce.iterrows():
        evidence = ASSUMPTION_MARK if r.evidence == "assumption" else r.evidence
        low, high = r.get("fte_low", np.nan), r.get("fte_high", np.nan)
        span = f"{min(low, high):,.0f} to {max(low, high):,.0f}" if low == low else ""
        local = _num(r.local_fte_gained, 11) if abs(r.local_fte_gained - r.fte_gained) > 0.5 else " " * 11
        out.append(f"    {r.measure:<40}{r.status:<11}{evidence:<13}{_num(r.fte_gained, 8)}{span:>16}{local}"
                   f"{_num(r.cost_programme_nok, 11, 1e6, 1)}{_num(r.cost_total_nok, 11, 1e6, 1)}"
                   f"{_num(r.nok_per_fte_programme, 15)}{_num(r.nok_per_fte_total, 15)}")
    return out


def compare(ds, scenarios, projections, year: int, end_year: int, attribution: bool = True, samples: int = 24,
            outcome: str = "gap", progress=None) -> Comparison:
    """Compare ``projections[1:]`` with ``projections[0]``; ``progress(scenario, n)`` returns a
    callback for ``n`` attribution runs (or None)."""
    from .analysis import attribute, evaluations
    from .evidence import effect_bounds

    out = Comparison()
    first = projections[0]
    year_index(year, first.years)
    short0 = float(first.shortage().sel(year=year).sum())
    for scn, proj in zip(scenarios[1:], projections[1:]):
        tab = change_table(first, proj, year)
        out.lines.append(f"\n{scn.name} vs {scenarios[0].name}, {year} (FTE, + = smaller shortage)")
        out.lines.append(f"  {'group':<24}{'gap change':>12}{'shortage reduction':>20}")
        for _, r in tab.iterrows():
            if abs(r.gap_change_fte) > 0.5 or abs(r.shortage_reduction_fte) > 0.5:
                out.lines.append(f"  {r.group:<24}{r.gap_change_fte:>12,.0f}{r.shortage_reduction_fte:>20,.0f}")
        gap, short = tab.gap_change_fte.sum(), tab.shortage_reduction_fte.sum()
        out.lines.append(f"  {'all groups':<24}{gap:>12,.0f}{short:>20,.0f}")
        short1 = float(proj.shortage().sel(year=year).sum())
        out.lines.append(f"  shortage {year} (negative gaps of municipalities and hospital trusts): "
                         f"{short0:,.0f} -> {short1:,.0f} FTE")
        county = (proj.aggregate("county").gap.sel(year=year) - first.aggregate("county").gap.sel(year=year)).sum(
            ["group", "sector"])
        out.lines.append("  gap change by county: " + ", ".join(
            f"{n} {float(v):+,.0f}" for n, v in zip(county["region_name"].values, county.values)))
        if not (attribution and scn.measures):
            continue
        n_active = sum(not m.is_neutral for m in scn.measures)
        cb = progress(scn, evaluations(n_active, "auto", samples)) if progress else None
        att = attribute(ds, scn, end_year=end_year, samples=samples, outcome=outcome, progress=cb)
        bounds = effect_bounds(ds, scn, year, attribution=att, end_year=end_year)
        ce = att.cost_effectiveness(year).merge(bounds[["measure", "fte_low", "fte_high"]], on="measure", how="left")
        out.lines += waterfall_lines(ce, year, att.method, outcome)
        wf = att.waterfall(year, level="county")
        wf.insert(0, "scenario", scn.name)
        out.attribution.append(wf)
        ce.insert(0, "scenario", scn.name)
        out.cost_effectiveness.append(ce)
    return out
