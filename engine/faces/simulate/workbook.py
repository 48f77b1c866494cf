"""`fsm simulate --xlsx FILE`: one sheet per table (openpyxl), with a header row, real date cells and
numeric cells (amounts with a 0.00 format, shares as percentages), frozen headers, filters and
column widths that fit. LibreOffice opens it (tests/test_simulate_workbook.py checks)."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from engine.faces.simulate.tables import Kind, Sheet

FORMATS: dict[Kind, str] = {"date": "yyyy-mm-dd", "month": "yyyy-mm", "money": "#,##0.00", "share": "0.0%"}
WIDEST = 80


def number_format(kind: Kind, value: Any) -> str | None:
    """The cell's format: the column's, or for a text column holding a date or amount, that value's."""
    if kind in FORMATS:
        return FORMATS[kind]
    if isinstance(value, date):
        return FORMATS["date"]
    if isinstance(value, Decimal):
        return FORMATS["money"]
    return None


def workbook(sheets: Sequence[Sheet]) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        page = book.create_sheet(sheet.name)
        page.append([column.title for column in sheet.columns])
        for header in page[1]:
            header.font = Font(bold=True)
        for row in sheet.rows:
            page.append(list(row))
        widths = [len(column.title) for column in sheet.columns]
        for cells in page.iter_rows(min_row=2):
            for index, (target, column) in enumerate(zip(cells, sheet.columns, strict=True)):
                form = number_format(column.kind, target.value)
                if form:
                    target.number_format = form
                if isinstance(target.value, str) and len(target.value) > WIDEST:
                    target.alignment = Alignment(wrap_text=True, vertical="top")
                widths[index] = max(widths[index], min(WIDEST, len(_shown(target.value, form))))
        for index, width in enumerate(widths, start=1):
            page.column_dimensions[get_column_letter(index)].width = width + 2
        page.freeze_panes = "A2"
        if sheet.rows:
            page.auto_filter.ref = page.dimensions
    return book


def _shown(value: Any, form: str | None) -> str:
    """About as wide as the cell shows (for the column width)."""
    if value is None:
        return ""
    if form == FORMATS["money"]:
        return f"{value:,.2f}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def save(sheets: Sequence[Sheet], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook(sheets).save(path)
