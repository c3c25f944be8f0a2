"""Figures, Excel workbooks and a self-contained HTML report of projections.

From Projection objects::

    from helsemod_py.report import save_plots, write_html_report, write_excel_report
    save_plots(res, "plots/", lang="en", baseline=base, attribution=att)
    write_html_report(res, "report.html", lang="nb", baseline=base, attribution=att)

From a folder written by ``helsemod run`` or ``helsemod compare`` (no rerun)::

    plots_from_folder("results/torn", lang="nb")      # -> results/torn/plots/*.png
    report_from_folder("results/torn", lang="en")     # -> results/torn/report_en.html
    excel_from_folder("results/torn")                 # -> results/torn/report_nb.xlsx

Needs matplotlib (figures) and openpyxl (Excel).
"""

from __future__ import annotations

from .excel import excel_from_folder, write_excel, write_excel_report
from .html import ReportTable, report_from_folder, report_tables, write_html_report
from ..labels import LANGS
from .figures import plots_from_folder, save_plots
from .plots import (
    plot_fan,
    plot_gap_by_county,
    plot_gap_heatmap,
    plot_population_pyramids,
    plot_sensitivity,
    plot_supply_demand,
)
from .plots_compare import plot_attribution_waterfall, plot_scenario_comparison
from .resultset import FolderResults, ResultSet, load_folder

__all__ = [
    "LANGS", "ResultSet", "FolderResults", "ReportTable", "load_folder",
    "plot_supply_demand", "plot_gap_by_county", "plot_gap_heatmap", "plot_population_pyramids",
    "plot_scenario_comparison", "plot_attribution_waterfall", "plot_fan", "plot_sensitivity", "save_plots",
    "plots_from_folder",
    "report_tables", "write_html_report", "report_from_folder",
    "write_excel", "write_excel_report", "excel_from_folder",
]
