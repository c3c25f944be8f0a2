"""Excel workbooks of result tables (openpyxl): one sheet per table, units in the headers.

Every sheet has a bold, frozen header row (panes at ``A2``), an autofilter, column widths
fitted to the contents and number formats for numeric columns. The workbook is written to a
temporary file next to the target and renamed into place, so a failure never leaves a
half-written file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._atomic import write_atomic

_BAD_SHEET_CHARS = re.compile(r"[\[\]\:\*\?\/\\]")
MAX_WIDTH = 60


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\``, at most 31 characters."""
    base = _BAD_SHEET_CHARS.sub("-", str(name)).strip("'") or "Sheet"
    base = base[:31]
    cand, i = base, 2
    while cand.lower() in used:
        suffix = f" ({i})"
        cand = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(cand.lower())
    return cand


def _units_for(units, sheet: str, columns) -> dict[str, str]:
    """Units of a sheet's columns from ``units``: ``{column: unit}`` for all sheets, or
    ``{sheet: {column: unit}}`` per sheet (both may be mixed)."""
    if not units:
        return {}
    out = {k: v for k, v in units.items() if isinstance(v, str) and k in columns}
    per = units.get(sheet)
    if isinstance(per, dict):
        out.update({k: v for k, v in per.items() if v})
    return out


def header_with_unit(column: str, unit: str | None) -> str:
    """``value (FTE)``; the column itself where there is no unit or it already names it."""
    column = str(column)
    if not unit or column.endswith(f"({unit})"):
        return column
    return f"{column} ({unit})"


def write_excel(tables: dict[str, pd.DataFrame], path, units=None, number_formats=None) -> Path:
    """Write ``tables`` (sheet name -> DataFrame) to an ``.xlsx`` workbook at ``path``.

    ``units``: ``{column: unit}`` (applies to that column in every sheet) and/or
    ``{sheet: {column: unit}}``; headers become ``"column (unit)"``. A table with columns
    ``unit`` and ``value`` (the long results table) gets ``value (<unit>)`` when it has a
    single unit. ``number_formats``: ``{column: excel format}`` overriding the defaults
    (``#,##0.0`` for floats, ``0`` for integers). Sheet names are made valid (31
    characters, no ``[]:*?/\\``) and unique. Written atomically.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if not tables:
        raise ValueError("no tables to write")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    for name, df in tables.items():
        df = pd.DataFrame(df)
        if isinstance(df.index, pd.MultiIndex) or df.index.name is not None:
            df = df.reset_index()
        sheet = _sheet_name(name, used)
        ws = wb.create_sheet(sheet)
        cols = [str(c) for c in df.columns]
        unit_of = _units_for(units, name, cols)
        if "value" in cols and "unit" in cols and "value" not in unit_of:
            u = df["unit"].dropna().unique()
            if len(u) == 1:
                unit_of["value"] = str(u[0])
        headers = [header_with_unit(c, unit_of.get(c)) for c in cols]
        ws.append(headers)
        for cell in ws[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=False, vertical="center")
        kinds = []
        for c in df.columns:
            s = df[c]
            if pd.api.types.is_bool_dtype(s):
                kinds.append("bool")
            elif pd.api.types.is_integer_dtype(s):
                kinds.append("int")
            elif pd.api.types.is_float_dtype(s):
                kinds.append("float")
            else:
                kinds.append("text")
        for row in df.itertuples(index=False, name=None):
            out = []
            for v, kind in zip(row, kinds):
                if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                    out.append(None)
                elif kind == "int":
                    out.append(int(v))
                elif kind == "float":
                    out.append(float(v))
                elif kind == "bool":
                    out.append(bool(v))
                elif isinstance(v, (np.integer, np.floating)):
                    out.append(v.item())
                else:
                    out.append(str(v))
            ws.append(out)
        fmts = number_formats or {}
        for j, (c, kind) in enumerate(zip(cols, kinds), start=1):
            letter = get_column_letter(j)
            fmt = fmts.get(c) or {"float": "#,##0.0", "int": "0"}.get(kind)
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = fmt
            # width from the header and the longest rendered value (sampled on big sheets)
            s = df.iloc[:, j - 1]
            sample = s if len(s) <= 5000 else s.sample(5000, random_state=0)
            if kind == "float":
                lens = sample.dropna().map(lambda x: len(f"{x:,.1f}"))
            else:
                lens = sample.dropna().astype(str).str.len()
            longest = int(lens.max()) if len(lens) else 0
            ws.column_dimensions[letter].width = min(MAX_WIDTH, max(len(headers[j - 1]) + 2, longest + 2, 8))
        ws.freeze_panes = "A2"
        if len(cols):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(1, len(df) + 1)}"
    return write_atomic(path, lambda p: wb.save(p))


