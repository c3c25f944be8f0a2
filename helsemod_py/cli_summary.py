"""What ``helsemod run`` prints: the gap table of the region shown, the draws' bands and the JSON
summary, in the CLI's language (:mod:`helsemod_py.cli_text`), with the synthetic data said first."""

from __future__ import annotations

import numpy as np

from . import dims as D
from .cli_text import tr
from .errors import HelsemodError
from . import labels as L


def region_view(res, ds, spec, selection=None, lang: str = "en"):
    """The projection shown: the nation (``spec`` None), one municipality or county (code or
    name), or several (``selection``: their municipality codes, shown as one sum)."""
    if spec is None:
        return res.aggregate("nation"), tr("nation", lang)
    hits = [ds.regions.lookup(x.strip()) for x in spec.split(",") if x.strip()] if "," in spec else \
        [ds.regions.lookup(spec)]
    if len(hits) == 1 and hits[0] is not None:
        level, code = hits[0]
        proj = res if level == "municipality" else res.aggregate("county")
        view = type(proj)(proj.data.sel(region=[code]), proj.scenario, level, proj.dataset_name, proj.dataset_hash,
                          proj.catchment)
        return view, f"{ds.regions.name_of(code)} ({code})"
    view = type(res)(res.data.sel(region=selection), res.scenario, res.level, res.dataset_name, res.dataset_hash,
                     res.catchment)
    return view, tr("selected", lang, n=len(selection), spec=spec)


#: Headings of the sector blocks of the summary table.
BLOCKS = {D.MUNICIPAL_SECTORS: "block_municipal", ("specialist",): "block_specialist"}


def _num(x: float, lang: str, width: int) -> str:
    return f"{L.fmt_num(x, lang) if lang == 'nb' else format(x, ',.0f'):>{width}}"


def synthetic_line(proj, lang: str = "en") -> str | None:
    """The warning printed first when the dataset's municipalities are made up."""
    return tr("synthetic_line", lang, dataset=proj.dataset_name) if proj.data.attrs.get("synthetic") else None


def gap_table(proj, label, lang: str = "en") -> str:
    """Supply, demand and gap (FTE) by group in the first and last year, one block per sector
    group the level reports, then nurses in municipal care and where the base-year supply comes from."""
    from .results import demand_by_sector

    years = proj.years
    y0, y1 = int(years[0]), int(years[-1])
    lines = [x for x in (synthetic_line(proj, lang),) if x]
    lines.append(tr("fte_by_group", lang, label=label, scenario=L.scenario_name(proj.scenario, lang)))
    demand = demand_by_sector(proj.data["demand_fte"], keep_attrs=False)
    sup_w, dem_w, gap_w = tr("supply", lang), tr("demand", lang), tr("gap", lang)
    for sectors, heading in BLOCKS.items():
        if not set(sectors) <= set(proj.sectors_shown):
            continue
        sup = proj.supply_fte.sel(sector=list(sectors)).sum(["region", "sector"])
        dem = demand.sel(sector=list(sectors)).sum(["region", "sector"])
        w = (14, 18, 14, 18, 16) if lang == "nb" else (14, 14, 14, 14, 12)  # Norwegian words are longer
        heads = (f"{sup_w} {y0}", f"{dem_w} {y0}", f"{sup_w} {y1}", f"{dem_w} {y1}", f"{gap_w} {y1}")
        lines += [tr(heading, lang), f"{tr('group', lang):<24}" + "".join(f"{x:>{n}}" for x, n in zip(heads, w))]

        def row(name, s0, d0, s1, d1):
            return f"{name:<24}" + "".join(_num(x, lang, n) for x, n in zip((s0, d0, s1, d1, s1 - d1), w))

        s, d = (da.sel(year=[y0, y1]).transpose("year", "group").values for da in (sup, dem))  # [2, groups]
        for i, g in enumerate(str(x) for x in sup["group"].values):
            name = g if lang == "en" else L.group_name(g, "nb")[:23]
            lines.append(row(name, float(s[0, i]), float(d[0, i]), float(s[1, i]), float(d[1, i])))
        lines.append(row(tr("all_groups", lang), *(float(np.nansum(x)) for x in (s[0], d[0], s[1], d[1]))))
    nurses = proj.care_nurse_fte.sum("region")
    lines.append(tr("nurses_care", lang, y0=y0, y1=y1, y0v=_num(float(nurses.sel(year=y0)), lang, 0),
                    y1v=_num(float(nurses.sel(year=y1)), lang, 0)))
    lines.append(provenance_line(proj, lang))
    return "\n".join(lines)


def provenance_line(proj, lang: str = "en") -> str:
    """Which share of the base-year supply shown is measured, estimated or synthetic."""
    src = proj.base_fte_by_source.sel(sector=list(proj.sectors_shown)).sum(["region", "sector"])
    total = float(src.sum())
    parts = [f"{tr(str(name), lang)} {float(src.sel(source=name).sum()) / total:.0%}" for name in src["source"].values
             if total > 0 and float(src.sel(source=name).sum()) > 0]
    measured = src.sel(source="measured").sum("region") if "region" in src.dims else src.sel(source="measured")
    groups = [str(g) for g in measured["group"].values if float(measured.sel(group=g)) > 0]
    names = groups if lang == "en" else [L.group_name(g, lang).lower() for g in groups]
    what = tr("measured_groups", lang, groups=", ".join(names)) if groups else ""
    return tr("base_supply", lang, parts=", ".join(parts) or tr("none", lang), what=what)


def json_summary(view, label, ens, ds=None, spec: str | None = None, groups=None) -> str:
    """Supply, demand and gap (FTE) by group and year of the shown region(s) (the nation unless
    --region/--regions), summed over its regions, in the sectors its level reports, plus the
    draws' national quantiles, as JSON."""
    import json

    sectors = list(view.sectors_shown)
    out = {"scenario": view.scenario, "dataset": view.dataset_name, "dataset_hash": view.dataset_hash,
           "region": label, "level": view.level, "regions": [str(r) for r in view.data["region"].values],
           "synthetic": bool(view.data.attrs.get("synthetic", False)),
           "unit": "FTE", "years": [int(y) for y in view.years], "sectors": sectors, "groups": {}}
    from .results import demand_by_sector

    dem = demand_by_sector(view.data["demand_fte"], keep_attrs=False)
    dem = dem.sel(sector=sectors).sum("region")
    supply, gaps = view.supply_fte.sel(sector=sectors).sum("region"), view.gap.sel(sector=sectors).sum("region")

    def series(da):
        return [round(float(v), 3) for v in da.values]

    for g in view.data["group"].values:
        sup, d, gap = supply.sel(group=g), dem.sel(group=g), gaps.sel(group=g)
        out["groups"][str(g)] = {
            "supply_fte": series(sup.sum("sector")), "demand_fte": series(d.sum("sector")), "gap": series(gap.sum("sector")),
            "by_sector": {q: {"supply_fte": series(sup.sel(sector=q)), "demand_fte": series(d.sel(sector=q)),
                              "gap": series(gap.sel(sector=q))} for q in sectors},
        }
    out["care_nurse_fte"] = series(view.care_nurse_fte.sum("region"))
    if ens is not None:
        last, year, where, scope = band_gap(ens, ds, spec)
        out["draws"] = {"n": ens.draws, "seed": ens.seed, "year": year, "region": where, "sectors": scope,
                        "gap_quantiles": {str(g): {f"{q:g}": round(float(last.sel(group=g, quantile=q)), 3)
                                                   for q in last["quantile"].values}
                                          for g in (groups or last["group"].values)}}
    try:
        return json.dumps(out, ensure_ascii=False, indent=2, allow_nan=False)
    except ValueError:  # NaN or infinity: project() refuses them, so this is a last guard
        raise HelsemodError("the summary holds values that are not finite numbers; not printed as JSON") from None


def band_gap(ens, ds=None, spec: str | None = None, lang: str = "en"):
    """Gap quantiles (quantile, group) in the last year, where and over which sectors: the nation
    (all sectors), or the one county (all sectors) or municipality (its municipal sectors) that
    ``spec`` names; several regions give the nation (quantiles of parts do not add up)."""
    year = int(ens.nation["year"].values[-1])
    gap = ens.nation.sel(year=year, variable="gap")
    where, scope = tr("nation", lang), tr("bands_all_sectors", lang)
    hit = ds.regions.lookup(spec) if ds is not None and spec and "," not in spec else None
    if hit is not None and hit[0] == "county" and hit[1] in ens.county["region"].values:
        gap = ens.county.sel(year=year, variable="gap", region=hit[1])
        where = f"{ds.regions.name_of(hit[1])} ({hit[1]})"
    elif hit is not None and hit[0] == "municipality" and hit[1] in ens.municipality["region"].values \
            and year in ens.municipality["year"].values:
        gap = ens.municipality.sel(year=year, region=hit[1])
        where, scope = f"{ds.regions.name_of(hit[1])} ({hit[1]})", tr("bands_municipal_sectors", lang)
    return gap, year, where, scope


def band_table(ens, lang: str = "en", ds=None, spec: str | None = None, groups=None) -> str:
    """Gap quantiles in the last year, per group, as text (where: :func:`band_gap`)."""
    q = [float(x) for x in ens.nation["quantile"].values]
    lo, mid, hi = min(q), 0.5 if 0.5 in q else q[len(q) // 2], max(q)
    gap, year, where, scope = band_gap(ens, ds, spec, lang)
    lines = [tr("bands", lang, where=where, scope=scope, year=year, draws=ens.draws, seed=ens.seed, lo=lo, hi=hi)]
    for g in (groups or D.GROUPS):
        v = gap.sel(group=g)
        name = g if lang == "en" else L.group_name(g, "nb")[:23]
        mid_v, lo_v, hi_v = (_num(float(v.sel(quantile=x)), lang, 10) for x in (mid, lo, hi))
        lines.append(f"  {name:<24}{mid_v}  [{lo_v}, {hi_v}]")
    return "\n".join(lines)
