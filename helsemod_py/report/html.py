"""A self-contained HTML report of a projection or a results folder, in Norwegian or English.

One file, no external resources and no JavaScript: figures are PNG images embedded as
base64 ``data:`` URIs and the style sheet is inline. The report holds the run's provenance
(dataset, scenario, manifest), what in the dataset is synthetic, tables (national supply,
demand and gap by group for the base and horizon year, gap by county, and when present the
scenario comparison, attribution and cost-effectiveness), the figures and the sources.

:func:`report_tables` builds the tables (also used for the Excel workbook);
:func:`write_html_report` works from Projection objects; :func:`report_from_folder` from
a folder written by ``helsemod run`` or ``helsemod compare``.
"""

from __future__ import annotations

import base64
import html as _html
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from .. import dims as D
from .. import labels as L
from .._atomic import write_atomic
from ..results import Projection
from . import figures as F
from . import plots as P
from . import plots_compare as PC
from . import resultset as RS


# ======================================================================================
# Tables
# ======================================================================================
@dataclass
class ReportTable:
    """A table of the report: ``frame`` with display column names, the unit of each
    numeric column (``units``) and its decimals in the HTML (``decimals``, default 0)."""

    key: str  # short name: the Excel sheet name
    title: str
    frame: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)
    decimals: dict[str, int] = field(default_factory=dict)
    total_rows: int = 0  # last rows that are totals (shown bold)


def _attribution_frames(attribution, year: int | None, cost_effectiveness: pd.DataFrame | None = None):
    """(nation waterfall with totals, cost-effectiveness) frames, both with a scenario column and the
    FTE column as ``change_fte`` (``attrs["outcome"]``: gap or shortage), from an Attribution or
    from ``attribution.csv`` rows."""
    if attribution is None:
        return None, None
    if hasattr(attribution, "waterfall") and hasattr(attribution, "contributions"):
        years = attribution.contributions["year"].values
        y = int(years[-1]) if year is None else int(year)
        wf = attribution.waterfall(y, level="nation").drop(columns="region")
        wf = wf.rename(columns={attribution.change_column: "change_fte"})
        wf.insert(0, "scenario", attribution.scenario)
        wf.attrs["outcome"] = attribution.outcome
        ce = attribution.cost_effectiveness(y)
        ce.insert(0, "scenario", attribution.scenario)
        return wf, ce
    df = pd.DataFrame(attribution)
    rows = []
    for scn in pd.unique(df["scenario"]) if "scenario" in df else [""]:
        sub = df[df["scenario"] == scn] if "scenario" in df else df
        g, _, _ = PC.waterfall_frame(sub, year, cost_effectiveness=cost_effectiveness)
        g.insert(0, "scenario", scn)
        rows.append(g)
    wf = pd.concat(rows, ignore_index=True)
    wf.attrs["outcome"] = PC._outcome_of(df)
    return wf, None


def _attribution_table(wf: pd.DataFrame, lang: str, year: int) -> ReportTable:
    """Each measure's contribution (FTE) with its evidence, programme and total cost, and the totals."""
    fte, nok, npf = L.t("fte", lang), L.t("nok", lang), L.t("nok_per_fte", lang)
    shortage = wf.attrs.get("outcome") == "shortage"
    parts = []
    for scn in pd.unique(wf["scenario"]):
        sub = wf[wf["scenario"] == scn]
        body = sub[sub["measure"] != "total"]
        tot = sub[sub["measure"] == "total"]
        if tot.empty:
            t_fte = float(body["change_fte"].sum())
            t_cost = {c: float(body[c].fillna(0).sum()) for c in ("cost_programme_nok", "cost_total_nok") if c in body}
            tot = pd.DataFrame([{"scenario": scn, "measure": "total", "change_fte": t_fte, **t_cost}])
        parts += [body, tot]
    wf = pd.concat(parts, ignore_index=True)
    for cost, ratio in (("cost_programme_nok", "nok_per_fte_programme"), ("cost_total_nok", "nok_per_fte_total")):
        if cost in wf:
            ok = (wf["change_fte"] > 0) & (wf[cost] > 0)
            wf[ratio] = np.where(ok, wf[cost] / wf["change_fte"].where(ok), np.nan)
    cols = {"scenario": (L.t("col_scenario", lang), None), "measure": (L.t("col_measure", lang), None),
            "evidence": (L.t("col_evidence", lang), None),
            "change_fte": (L.t("col_shortage_change" if shortage else "col_change", lang), fte),
            "cost_programme_nok": (L.t("col_cost_programme", lang, year=year), nok),
            "cost_total_nok": (L.t("col_cost_total", lang, year=year), nok),
            "nok_per_fte_programme": (L.t("col_npf_programme", lang), npf),
            "nok_per_fte_total": (L.t("col_npf_total", lang), npf)}
    frame = pd.DataFrame({lab: _cell_values(wf, k, lang) for k, (lab, _) in cols.items() if k in wf})
    title = L.t("tab_attribution_shortage" if shortage else "tab_attribution", lang, year=year)
    return ReportTable(L.t("sheet_attribution", lang), title, frame,
                       {lab: u for k, (lab, u) in cols.items() if u and k in wf})


def _cell_values(df: pd.DataFrame, key: str, lang: str):
    """A column for display: ``total`` and the evidence words translated, numbers as floats."""
    col = df[key]
    if key == "measure":
        titles = [PC.measure_label(r, readable=False) for r in df.to_dict("records")] if "title" in df else col
        return [L.t("total", lang) if m == "total" else t for m, t in zip(col, titles)]
    if key == "evidence":
        return col.fillna("").map(lambda e: L.t(f"evidence_{e}", lang) if e in ("assumption", "published")
                                  else "").values
    if key in ("scenario", "status"):
        return col.values
    return col.astype(float).values


#: Cost-effectiveness columns shown in reports: key -> (label key, unit key or None).
_CE_COLUMNS = {
    "scenario": ("col_scenario", None), "measure": ("col_measure", None), "status": ("col_status", None),
    "evidence": ("col_evidence", None), "fte_gained": ("col_fte_gained", "fte"),
    "local_fte_gained": ("col_local", "fte"), "fte_low": ("col_fte_low", "fte"), "fte_high": ("col_fte_high", "fte"),
    "cost_programme_nok": ("col_cost_programme", "nok"), "cost_wages_nok": ("col_cost_wages", "nok"),
    "cost_other_nok": ("col_cost_other", "nok"), "cost_total_nok": ("col_cost_total", "nok"),
    "nok_per_fte_programme": ("col_npf_programme", "nok_per_fte"), "nok_per_fte_total": ("col_npf_total", "nok_per_fte"),
    "fte_years_gained": ("col_fte_years", "fte_years"),
    "cost_programme_nok_cumulative": ("col_cost_cum_programme", "nok"),
    "cost_total_nok_cumulative": ("col_cost_cum_total", "nok"),
    "nok_per_fte_year_programme": ("col_npfy_programme", "nok_per_fte_year"),
    "nok_per_fte_year_total": ("col_npfy_total", "nok_per_fte_year"),
}


def _ce_table(ce: pd.DataFrame, lang: str, year: int) -> ReportTable:
    ce = pd.DataFrame(ce)
    ce_year = int(ce["year"].iloc[0]) if "year" in ce else year
    cols = {k: (L.t(lab, lang, year=ce_year) if "{year}" in L.TEXT[lab][lang] else L.t(lab, lang),
                L.t(u, lang) if u else None) for k, (lab, u) in _CE_COLUMNS.items() if k in ce}
    frame = pd.DataFrame({lab: _cell_values(ce, k, lang) for k, (lab, _) in cols.items()})
    return ReportTable(L.t("sheet_ce", lang), L.t("tab_ce", lang), frame, {lab: u for lab, u in cols.values() if u})


def report_tables(result, lang: str = "nb", baseline=None, attribution=None, year: int | None = None,
                  others=None, cost_effectiveness: pd.DataFrame | None = None,
                  region: str | None = None) -> list[ReportTable]:
    """The report's tables for a projection (or :class:`~helsemod_py.report.plots.ResultSet`).

    Always: supply, demand and gap by group for ``region`` (default: the nation) in the base and
    horizon year; gap by county (with population and per 1000 inhabitants where known); gap by
    county and group. With ``baseline``: change in the gap by group in ``region``, and the group
    and county tables for every scenario side by side (``others``: the scenarios compared). With
    ``attribution`` (an Attribution or ``attribution.csv`` rows): each measure's contribution and
    cost (national), and cost-effectiveness (from the Attribution or the ``cost_effectiveness``
    frame, the one source of the costs).
    """
    L.check_lang(lang)
    rs = RS._as_rs(result)
    year = rs.check_year(year)
    code = rs.resolve_region(region)
    base = RS._as_rs(baseline) if baseline is not None else None
    comps = [RS._as_rs(o) for o in others] if others else [rs]
    every = [base, *comps] if base is not None else [rs]
    out: list[ReportTable] = []
    if code in set(rs.long["region"]):
        out.append(_group_table(every, code, lang, year))
    if "county" in rs.levels:
        out += _county_tables(rs, every, lang, year)
    if rs.provenance is not None and len(rs.provenance):
        out.append(_provenance_table(rs, lang))
    if base is not None:
        out.append(_comparison_table(base, comps, code, lang, year))
    wf, ce = _attribution_frames(attribution, year, cost_effectiveness)
    if cost_effectiveness is not None:
        ce = cost_effectiveness
    if wf is not None and len(wf):
        out.append(_attribution_table(wf, lang, year))
    if ce is not None and len(ce):
        out.append(_ce_table(ce, lang, year))
    return out


def _in(column: str, rs, several: bool, lang: str) -> str:
    """A column header, with the scenario's name where several scenarios stand side by side."""
    return L.t("col_in_scenario", lang, column=column, scenario=L.scenario_name(rs.scenario, lang)) if several \
        else column


def _group_table(every, code: str, lang: str, year: int) -> ReportTable:
    """Supply, demand and gap by group in the base year and ``year`` for one region, for each
    scenario of ``every`` side by side (the base year once: it is the same in all)."""
    rs = every[0]
    y0 = rs.base_year
    several = len(every) > 1
    series = [(s, s.region_series("supply_fte", code), s.region_series("demand_fte", code),
               s.region_series("gap", code)) for s in every]
    cols = [L.t(k, lang, year=y0) for k in ("col_supply", "col_demand", "col_gap")]
    for s, *_ in series:
        cols += [_in(L.t(k, lang, year=year), s, several, lang) for k in ("col_supply", "col_demand", "col_gap")]
    rows = []
    for g in [*series[0][3].columns, None]:  # None: all groups
        name = L.t("all_groups", lang) if g is None else L.group_name(g, lang, short=False)
        vals = [_value(f, y0, g) for f in series[0][1:]]
        for _, *frames in series:
            vals += [_value(f, year, g) for f in frames]
        rows.append([name, *vals])
    frame = pd.DataFrame(rows, columns=[L.t("col_group", lang), *cols])
    fte = L.t("fte", lang)
    where = rs.region_name(code, lang)
    key = L.t("sheet_nation", lang) if code == D.NATION_CODE else where
    return ReportTable(key, L.t("tab_nation", lang, region=where), frame, {c: fte for c in cols}, total_rows=1)


def _value(frame: pd.DataFrame, year: int, group) -> float:
    return float(frame.loc[year].sum()) if group is None else float(frame.loc[year, group])


def _county_tables(rs, every, lang: str, year: int) -> list[ReportTable]:
    """Gap by county (population, base year, ``year`` for each scenario, shortage, per 1000) and gap
    by county and group (of ``rs``)."""
    y0, fte = rs.base_year, L.t("fte", lang)
    several = len(every) > 1
    names = rs.county_names()
    g0 = rs.pivot("gap", "county", y0)
    g1s = [(s, s.pivot("gap", "county", year)) for s in every]
    g1 = g1s[-1][1] if rs is every[-1] else rs.pivot("gap", "county", year)
    pop = rs.population("county", year)
    nat_pop = rs.population("nation", year)
    c_code, c_name = L.t("col_code", lang), L.t("col_county", lang)
    c_pop = L.t("col_population", lang, year=year)
    c_g0 = L.t("col_gap", lang, year=y0)
    c_g1 = [_in(L.t("col_gap", lang, year=year), s, several, lang) for s, _ in g1s]
    c_short = _in(L.t("col_shortage", lang, year=year), every[-1], several, lang)
    c_per = _in(L.t("col_gap_per_1000", lang, year=year), every[-1], several, lang)
    rows = []
    for code in g1.index:
        r = {c_code: code, c_name: names.get(code, code)}
        if pop is not None:
            r[c_pop] = float(pop.get(code, np.nan))
        r[c_g0] = float(g0.loc[code].sum())
        for c, (_, g) in zip(c_g1, g1s):
            r[c] = float(g.loc[code].sum()) if code in g.index else np.nan
        r[c_short] = float(g1s[-1][1].loc[code].clip(upper=0).sum())
        if pop is not None:
            r[c_per] = 1000 * r[c_g1[-1]] / r[c_pop] if r[c_pop] > 0 else np.nan
        rows.append(r)
    tot = {c_code: D.NATION_CODE, c_name: L.t("nation", lang)}
    if pop is not None:
        tot[c_pop] = float(nat_pop.sum()) if nat_pop is not None else float(pop.sum())
    tot[c_g0] = float(g0.values.sum())
    for c, (_, g) in zip(c_g1, g1s):
        tot[c] = float(g.values.sum())
    tot[c_short] = float(sum(r[c_short] for r in rows))
    if pop is not None:
        tot[c_per] = 1000 * tot[c_g1[-1]] / tot[c_pop] if tot[c_pop] > 0 else np.nan
    rows.append(tot)
    frame = pd.DataFrame(rows)
    units = {c_g0: fte, c_short: fte, c_per: fte, c_pop: L.t("persons", lang), **{c: fte for c in c_g1}}
    out = [ReportTable(L.t("sheet_county", lang), L.t("tab_county", lang), frame,
                       {k: v for k, v in units.items() if k in frame.columns}, {c_per: 2}, total_rows=1)]
    cg = g1.copy()
    cg.columns = [L.group_name(g, lang) for g in cg.columns]
    cg[L.t("all_groups", lang)] = g1.sum(axis=1)
    cg.loc[D.NATION_CODE] = cg.sum(axis=0)
    cg.insert(0, c_name, [names.get(c, L.t("nation", lang) if c == D.NATION_CODE else c) for c in cg.index])
    cg.index.name = c_code
    frame = cg.reset_index()
    title = L.t("tab_county_group", lang, year=year)
    if several:
        title += f" ({L.scenario_name(rs.scenario, lang)})"
    out.append(ReportTable(L.t("sheet_county_group", lang), title, frame, {c: fte for c in frame.columns[2:]},
                           total_rows=1))
    return out


def _comparison_table(base, comps, code: str, lang: str, year: int) -> ReportTable:
    """Change in the gap in ``year`` against ``base`` by group for each scenario, in one region."""
    ref = base.region_series("gap", code).loc[year]
    c_grp = L.t("col_group", lang)
    data = {c_grp: [L.group_name(g, lang, short=False) for g in ref.index] + [L.t("all_groups", lang)]}
    for s in comps:
        ch = s.region_series("gap", code).loc[year] - ref
        data[L.scenario_name(s.scenario, lang)] = list(ch.values) + [float(ch.sum())]
    title = L.t("tab_comparison", lang, baseline=L.scenario_name(base.scenario, lang), year=year,
                region=base.region_name(code, lang))
    return ReportTable(L.t("sheet_comparison", lang), title, pd.DataFrame(data),
                       {L.scenario_name(s.scenario, lang): L.t("fte", lang) for s in comps}, total_rows=1)


def _provenance_table(rs, lang: str) -> ReportTable:
    """Shares of base-year FTE measured, estimated and synthetic per county (and the nation), with
    the groups that have measured FTE."""
    pv = rs.provenance
    pv = pv[pv["region_level"].isin(["county", "nation"])]
    names = rs.county_names()
    c_code, c_name = L.t("col_code", lang), L.t("col_county", lang)
    cols = {"measured": L.t("col_measured", lang), "estimated": L.t("col_estimated", lang),
            "synthetic": L.t("col_synthetic_share", lang)}
    rows = []
    for code, sub in pv.groupby("region", sort=False):
        by = sub.groupby("source")["fte"].sum()
        total = float(by.sum())
        row = {c_code: code, c_name: L.t("nation", lang) if code == D.NATION_CODE else names.get(code, code)}
        row.update({lab: 100.0 * float(by.get(k, 0.0)) / total if total > 0 else np.nan for k, lab in cols.items()})
        measured = sub[(sub["source"] == "measured") & (sub["fte"] > 0)]["group"].unique()
        row[L.t("col_measured_groups", lang)] = ", ".join(L.group_name(g, lang) for g in measured)
        rows.append(row)
    frame = pd.DataFrame(rows)
    return ReportTable(L.t("sheet_provenance", lang), L.t("tab_provenance", lang), frame,
                       {lab: "%" for lab in cols.values()}, {lab: 0 for lab in cols.values()}, total_rows=1)


def tables_for_excel(tables: list[ReportTable]) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, str]]]:
    """``(sheets, units)`` for :func:`helsemod_py.report.excel.write_excel`."""
    return {t.key: t.frame for t in tables}, {t.key: dict(t.units) for t in tables}


# ======================================================================================
# Dataset metadata (what is synthetic, sources)
# ======================================================================================
def _dataset_meta(name: str, dataset_hash: str, manifest: dict | None = None, dataset=None) -> dict | None:
    """The dataset's metadata (``synthetic`` flags and sources) where it can be found:
    the Dataset given, the ``--data`` folder of the manifest's command, the embedded
    default (by name; ``hash_differs`` is set when the hash is not the default's, as for a
    subset or an edited copy), or the metadata the manifest carries (a dataset made in memory)."""
    if dataset is not None:
        return dict(dataset.meta, name=dataset.name)
    manifest = manifest or {}
    cmd = manifest.get("command") or []
    if isinstance(cmd, str):
        cmd = shlex.split(cmd)
    data_dir = manifest.get("data_dir")
    for i, arg in enumerate(cmd):
        if arg == "--data" and i + 1 < len(cmd):
            data_dir = cmd[i + 1]
        elif str(arg).startswith("--data="):
            data_dir = str(arg).split("=", 1)[1]
    if data_dir:
        f = Path(data_dir) / "dataset.yaml"
        if f.exists():
            import yaml

            try:
                meta = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError:
                meta = None
            if isinstance(meta, dict) and str(meta.get("name", "")) == name:
                return meta
    if name == "helsemod-default":
        import helsemod_py as hm

        ds = hm.load_dataset()
        meta = dict(ds.meta, name=ds.name)
        if dataset_hash and ds.hash != dataset_hash:
            meta["hash_differs"] = True  # a subset or an edited copy of the default
        return meta
    written = manifest.get("dataset_meta")  # written with the results (outputs.manifest)
    if isinstance(written, dict) and str(written.get("name", "")) == name:
        return written
    return None


# ======================================================================================
# HTML
# ======================================================================================
CSS = """
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#222;margin:0;background:#f6f7f9;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:1.7em;margin:0.2em 0 0.1em}h2{font-size:1.3em;border-bottom:2px solid #1f5fa8;padding-bottom:3px;
margin-top:1.8em}h3{font-size:1.05em;margin:1.4em 0 0.4em}
.sub{color:#555;margin:0 0 1em}.banner{background:#fff4d6;border-left:4px solid #e0a800;padding:8px 12px}
.headline{font-size:1.1em;font-weight:bold;margin:0.6em 0}
nav ul{columns:2;padding-left:1.2em}table{border-collapse:collapse;font-size:0.86em;margin:0.3em 0 0.8em}
th,td{padding:3px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top}
th{background:#eef2f7;text-align:left;position:sticky;top:0}td.num,th.num{text-align:right;white-space:nowrap}
td.neg{color:#b0281a}tr.total td{font-weight:bold;border-top:2px solid #999}
table.kv th{background:none;width:16em}.scroll{overflow-x:auto;max-width:100%}
figure{margin:1.2em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #e3e3e3}
figcaption{color:#444;font-size:0.9em;margin-top:4px}code{font-size:0.92em;background:#f1f1f1;padding:1px 4px}
footer{margin-top:3em;color:#777;font-size:0.85em}
"""


def _e(x) -> str:
    return _html.escape(str(x), quote=True)


def _table_html(tab: ReportTable, lang: str) -> str:
    from .._xlsx import header_with_unit

    df = tab.frame
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    head = "".join(f'<th class="num">{_e(header_with_unit(c, tab.units.get(c)))}</th>' if isnum
                   else f"<th>{_e(header_with_unit(c, tab.units.get(c)))}</th>"
                   for c, isnum in zip(df.columns, numeric))
    body = []
    n = len(df)
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        cells = []
        for c, v, isnum in zip(df.columns, row, numeric):
            if isnum:
                val = float(v) if v is not None and not pd.isna(v) else float("nan")
                cls = "num neg" if val < 0 and round(val, tab.decimals.get(c, 0)) != 0 else "num"
                cells.append(f'<td class="{cls}">{_e(L.fmt_num(val, lang, tab.decimals.get(c, 0)))}</td>')
            else:
                cells.append(f"<td>{_e('' if v is None or (isinstance(v, float) and np.isnan(v)) else v)}</td>")
        cls = ' class="total"' if i >= n - tab.total_rows else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table class="data"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _png_uri(fig) -> str:
    return "data:image/png;base64," + base64.b64encode(P.figure_png(fig)).decode("ascii")


def build_html(main: RS.ResultSet, lang: str = "nb", tables: list[ReportTable] | None = None, figs=None,
               manifest: dict | None = None, dataset_meta: dict | None = None, scenarios: list[str] | None = None,
               note: str | None = None, headline: str | None = None) -> str:
    """The report as one HTML string (see :func:`write_html_report`)."""
    L.check_lang(lang)
    manifest = dict(manifest or main.manifest or {})
    tables = tables or []
    figs = figs or []
    synthetic = main.synthetic or bool(dataset_meta and (dataset_meta.get("synthetic")
                                                         or any(isinstance(p, dict) and p.get("synthetic")
                                                                for p in (dataset_meta.get("parameters") or {}).values())))
    parts = [_head_html(main, lang, synthetic, headline), _info_html(main, lang, manifest, scenarios, note)]
    synthetic_html, sources = _synthetic_html(main, lang, dataset_meta)
    parts.append(synthetic_html)
    # --- tables -----------------------------------------------------------------------------------
    parts.append(f'<section id="tables"><h2>{_e(L.t("sec_tables", lang))}</h2>')
    for i, tab in enumerate(tables):
        parts.append(f'<h3 id="table-{i + 1}">{_e(tab.title)}</h3>{_table_html(tab, lang)}')
    parts.append("</section>\n")
    # --- figures ----------------------------------------------------------------------------------
    parts.append(f'<section id="figures"><h2>{_e(L.t("sec_plots", lang))}</h2>')
    for i, (name, key, fig) in enumerate(figs):
        cap = L.t(key, lang)
        parts.append(f'<figure id="fig-{_e(name)}"><img src="{_png_uri(fig)}" alt="{_e(cap)}">'
                     f"<figcaption>{i + 1}. {_e(cap)}</figcaption></figure>")
    parts.append("</section>\n")
    # --- sources ----------------------------------------------------------------------------------
    parts.append(f'<section id="sources"><h2>{_e(L.t("sec_sources", lang))}</h2>'
                 f'<h3>{_e(L.t("general_sources", lang))}</h3><ul>'
                 + "".join(f"<li>{_e(nb if lang == 'nb' else en)}</li>" for nb, en in L.GENERAL_SOURCES)
                 + "</ul>")
    if sources:
        parts.append(f'<h3>{_e(L.t("data_sources", lang))}</h3><ul>'
                     + "".join(f"<li>{_e(s)}</li>" for s in sources) + "</ul>")
    parts.append("</section>\n")
    parts.append(f"<footer>{_e(main.caption(lang))}. {_e(L.t('generated', lang, version=__version__))}</footer>\n"
                 "</main>\n</body>\n</html>\n")
    return "".join(parts)


def _head_html(main: RS.ResultSet, lang: str, synthetic: bool, headline: str | None) -> str:
    """The report's document head, its header (title, years, scenario, synthetic banner,
    headline) and the table of contents."""
    y0, y1 = main.base_year, main.horizon
    title = L.t("report_title", lang)
    parts = [(f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
              '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
              f'<meta name="generator" content="helsemod_py {_e(__version__)}">\n'
              f"<title>{_e(title)} – {_e(main.scenario)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n")]
    sub = L.t("report_sub", lang, y0=y0, y1=y1, scenario=L.scenario_name(main.scenario, lang))
    parts.append(f'<header><h1>{_e(title)}</h1><p class="sub">{_e(sub)}</p>')
    if synthetic:
        text = (L.t("synthetic_note", lang, dataset=main.dataset) + " " if main.synthetic else "") + \
            L.t("synthetic_banner", lang)
        parts.append(f'<p class="banner" id="synthetic-banner"><strong>{_e(text)}</strong></p>')
    if headline:
        parts.append(f'<p class="headline">{_e(headline)}</p>')
    parts.append("</header>\n")
    toc = [("info", L.t("sec_info", lang)), ("synthetic", L.t("sec_synthetic", lang)),
           ("tables", L.t("sec_tables", lang)), ("figures", L.t("sec_plots", lang)),
           ("sources", L.t("sec_sources", lang))]
    parts.append(f'<nav><h2>{_e(L.t("toc", lang))}</h2><ul>'
                 + "".join(f'<li><a href="#{k}">{_e(v)}</a></li>' for k, v in toc) + "</ul></nav>\n")
    return "".join(parts)


def _info_html(main: RS.ResultSet, lang: str, manifest: dict, scenarios: list[str] | None,
               note: str | None) -> str:
    """The section "about this run": package, dataset, scenario(s), years, seed, command and
    versions from the manifest, how to read the report, and ``note``."""
    y0, y1 = main.base_year, main.horizon
    kv = [(L.t("info_package", lang), f"helsemod_py {manifest.get('package_version', main.version)}"),
          (L.t("info_dataset", lang), main.dataset or manifest.get("dataset", "")),
          (L.t("info_dataset_hash", lang), str(manifest.get("dataset_hash", ""))[:16])]
    if scenarios and len(scenarios) > 1:
        kv.append((L.t("info_scenarios", lang), "; ".join(L.scenario_name(s, lang) for s in scenarios)))
    else:
        kv.append((L.t("info_scenario", lang), main.scenario))
    kv += [(L.t("info_scenario_hash", lang), ", ".join(h[:16] for h in str(manifest.get("scenario_hash", "")).split(",")
                                                       if h)),
           (L.t("info_years", lang), f"{y0}–{y1}")]
    if manifest.get("scenario_file"):
        kv.append((L.t("info_scenario_file", lang), manifest["scenario_file"]))
    if manifest.get("scenarios"):
        kv.append((L.t("info_scenario_file", lang), ", ".join(map(str, manifest["scenarios"]))))
    if manifest.get("seed") is not None:
        kv.append((L.t("info_seed", lang), manifest["seed"]))
    if manifest.get("created"):
        kv.append((L.t("info_created", lang), manifest["created"]))
    if manifest.get("command"):
        cmd = manifest["command"]
        kv.append((L.t("info_command", lang), " ".join(map(str, cmd)) if isinstance(cmd, list) else cmd))
    if manifest.get("python"):
        kv.append((L.t("info_python", lang),
                   f"{manifest.get('python')} / {manifest.get('numpy', '?')} / {manifest.get('numba', '?')}"))
    parts = [f'<section id="info"><h2>{_e(L.t("sec_info", lang))}</h2><table class="kv">'
             + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in kv if v not in ("", None))
             + f'</table><h3>{_e(L.t("sec_reading", lang))}</h3><p>{_e(L.t("reading", lang))}</p>']
    if note:
        parts.append(f"<p>{_e(note)}</p>")
    parts.append("</section>\n")
    return "".join(parts)


def _synthetic_html(main: RS.ResultSet, lang: str, dataset_meta: dict | None) -> tuple[str, list[str]]:
    """The section "what is synthetic" (each parameter of ``dataset_meta``, synthetic or not, and
    its source) and the parameters' distinct sources, for the section "sources"."""
    parts = [f'<section id="synthetic"><h2>{_e(L.t("sec_synthetic", lang))}</h2>']
    sources = []
    if dataset_meta is None:
        parts.append(f"<p>{_e(L.t('syn_unknown', lang))}</p>")
    else:
        if (dataset_meta.get("name") or main.dataset) == "helsemod-default":
            parts.append(f"<p>{_e(L.t('syn_default', lang))}</p>")
        if dataset_meta.get("hash_differs"):
            parts.append(f"<p>{_e(L.t('syn_hash_differs', lang))}</p>")
        desc = dataset_meta.get(f"description_{lang}") or dataset_meta.get("description")
        if desc:
            parts.append(f"<p><em>{_e(desc)}</em></p>")
        params = dataset_meta.get("parameters") or {}
        if isinstance(params, dict) and params:
            syn = [k for k, v in params.items() if isinstance(v, dict) and v.get("synthetic")]
            parts.append(f"<p>{_e(L.t('syn_intro', lang) if syn else L.t('syn_none', lang))}</p>")
            rows = "".join(
                f"<tr><td><code>{_e(k)}</code></td><td>{_e(L.t('yes' if v.get('synthetic') else 'no', lang))}</td>"
                f"<td>{_e(v.get('source', ''))}</td></tr>"
                for k, v in params.items() if isinstance(v, dict))
            parts.append(f'<div class="scroll"><table><thead><tr><th>{_e(L.t("parameter", lang))}</th>'
                         f'<th>{_e(L.t("synthetic", lang))}</th><th>{_e(L.t("source", lang))}</th></tr></thead>'
                         f"<tbody>{rows}</tbody></table></div>")
            sources = list(dict.fromkeys(str(v.get("source")) for v in params.values()
                                         if isinstance(v, dict) and v.get("source")))
    parts.append("</section>\n")
    return "".join(parts), sources


def headline(rs, region: str | None, lang: str, year: int | None = None) -> str | None:
    """The report's first numbers: supply, demand and gap (all groups) of ``region`` (default: the
    nation) in ``year`` for the scenario shown."""
    code = rs.resolve_region(region)
    if code not in set(rs.long["region"]):
        return None
    year = rs.check_year(year)
    sup, dem, gap = (float(rs.region_series(v, code).loc[year].sum()) for v in ("supply_fte", "demand_fte", "gap"))
    return L.t("headline", lang, region=rs.region_name(code, lang), year=year, supply=L.fmt_num(sup, lang),
               demand=L.fmt_num(dem, lang), gap=L.fmt_num(gap, lang, sign=True),
               scenario=L.scenario_name(rs.scenario, lang))


def _write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_html_report(result, out_file, lang: str = "nb", baseline=None, attribution=None, dataset=None,
                      region: str | None = None, year: int | None = None, manifest: dict | None = None) -> Path:
    """Write a self-contained HTML report of a projection to ``out_file`` (atomically).

    ``result``: a Projection; ``baseline``: a Projection to compare with; ``attribution``:
    an :class:`~helsemod_py.analysis.Attribution`; ``dataset``: the Dataset (for what is
    synthetic and the sources; the embedded default is recognised without it); ``region``:
    the region of the supply/demand figure and the pyramids (default: the nation).
    """
    L.check_lang(lang)
    rs = RS._as_rs(result)
    if manifest is None and isinstance(result, Projection):
        from ..outputs import manifest as _manifest

        manifest = _manifest(result, command=[])
    rs.manifest = dict(manifest or {})
    year = rs.check_year(year)
    tables = report_tables(rs, lang, baseline=baseline, attribution=attribution, year=year, region=region)
    figs = F.figures(rs, lang, baseline=baseline, attribution=attribution, region=region, year=year)
    ds_hash = getattr(result, "dataset_hash", "") or rs.manifest.get("dataset_hash", "")
    meta = _dataset_meta(rs.dataset, ds_hash, rs.manifest, dataset)
    scenarios = [RS._as_rs(baseline).scenario, rs.scenario] if baseline is not None else None
    text = build_html(rs, lang, tables, figs, rs.manifest, meta, scenarios, note=P.map_note(rs, lang),
                      headline=headline(rs, region, lang, year))
    return _write_text_atomic(Path(out_file), text)


def report_from_folder(results_dir, out_file=None, lang: str = "nb", region: str | None = None) -> Path:
    """Write the HTML report of a folder written by ``helsemod run`` or ``helsemod compare``.

    ``out_file`` defaults to ``<results_dir>/report_<lang>.html``. Works on the saved
    tables only (no rerun): figures 1-3, plus the scenario comparison and attribution
    waterfalls for a compare folder.
    """
    L.check_lang(lang)
    folder = RS.load_folder(results_dir)
    out_file = Path(out_file) if out_file is not None else folder.path / f"report_{lang}.html"
    main = folder.main
    tables = report_tables(main, lang, baseline=folder.baseline, attribution=folder.attribution, year=folder.year,
                           others=folder.others, cost_effectiveness=folder.cost_effectiveness, region=region)
    figs = F.folder_figures(folder, lang, region=region)
    meta = _dataset_meta(main.dataset, str(folder.manifest.get("dataset_hash", "")), folder.manifest)
    notes = (None if main.has_population else L.t("no_population", lang), P.map_note(main, lang))
    note = " ".join(n for n in notes if n) or None
    text = build_html(main, lang, tables, figs, folder.manifest, meta, [r.scenario for r in folder.results], note,
                      headline(main, region, lang, folder.year))
    return _write_text_atomic(out_file, text)
