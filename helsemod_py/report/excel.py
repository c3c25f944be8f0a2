"""Excel reports (openpyxl): the report's tables as sheets, with an "about the figures" sheet.

The workbook writer itself (:func:`write_excel`: headers with units, frozen panes, widths,
number formats, atomic write) is :mod:`helsemod_py._xlsx`, shared with the results writer.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._xlsx import header_with_unit, write_excel  # noqa: F401  (re-exported)


def about_frame(rs, lang: str, scenarios=None) -> pd.DataFrame:
    """The workbook's first sheet: what the numbers are, and (first) whether the data are synthetic."""
    from .._version import __version__
    from .. import labels as L

    names = [L.scenario_name(s, lang) for s in (scenarios or [rs.scenario])]
    notes = [L.t("synthetic_note", lang, dataset=rs.dataset)] if rs.synthetic else []
    notes += [L.t("caption", lang, version=__version__, dataset=rs.dataset or "?", scenario=", ".join(names)),
              L.t("reading", lang)]
    return pd.DataFrame({L.t("col_note", lang): notes})


def _sheets(tables, rs, lang: str, scenarios=None):
    from .. import labels as L
    from .html import tables_for_excel

    sheets, units = tables_for_excel(tables)
    return {L.t("sheet_about", lang): about_frame(rs, lang, scenarios), **sheets}, units


def write_excel_report(result, path, lang: str = "nb", baseline=None, attribution=None,
                       year: int | None = None, region: str | None = None) -> Path:
    """The report's tables (see :func:`helsemod_py.report.html.report_tables`) of a projection
    as a workbook: a first sheet about the numbers (synthetic data said first), then one sheet
    per table, units in the headers."""
    from .html import report_tables
    from .resultset import _as_rs

    rs = _as_rs(result)
    tables = report_tables(rs, lang, baseline=baseline, attribution=attribution, year=year, region=region)
    scenarios = [_as_rs(baseline).scenario, rs.scenario] if baseline is not None else None
    sheets, units = _sheets(tables, rs, lang, scenarios)
    return write_excel(sheets, path, units=units)


def excel_from_folder(results_dir, out_file=None, lang: str = "nb", region: str | None = None) -> Path:
    """The report's tables of a folder written by ``helsemod run``/``compare`` as a workbook
    (default ``<results_dir>/report_<lang>.xlsx``), after a first sheet about the numbers."""
    from .html import report_tables
    from .resultset import load_folder

    folder = load_folder(results_dir)
    out_file = Path(out_file) if out_file is not None else folder.path / f"report_{lang}.xlsx"
    tables = report_tables(folder.main, lang, baseline=folder.baseline, attribution=folder.attribution,
                           year=folder.year, others=folder.others, cost_effectiveness=folder.cost_effectiveness,
                           region=region)
    sheets, units = _sheets(tables, folder.main, lang, [r.scenario for r in folder.results])
    return write_excel(sheets, out_file, units=units)
