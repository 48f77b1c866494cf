"""`fsm simulate --xlsx FILE`: one sheet per table (openpyxl), with a header row, real date cells and
numeric cells with the language's Excel number formats (amounts `#,##0.00 "kr."`, shares as
percentages, dates `dd-mm-yyyy` in Danish; engine/faces/i18n/formats.py), frozen headers, filters and
column widths that fit. LibreOffice opens it (tests/test_simulate_workbook.py checks)."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from engine.faces.cells import WIDEST, number_format
from engine.faces.i18n import ENGLISH, Texts
from engine.faces.simulate.tables import Sheet


def workbook(sheets: Sequence[Sheet], t: Texts = ENGLISH) -> Workbook:
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
                form = number_format(column.kind, target.value, t)
                if form:
                    target.number_format = form
                if isinstance(target.value, str) and len(target.value) > WIDEST:
                    target.alignment = Alignment(wrap_text=True, vertical="top")
                widths[index] = max(widths[index], min(WIDEST, len(_shown(target.value, t))))
        for index, width in enumerate(widths, start=1):
            page.column_dimensions[get_column_letter(index)].width = width + 2
        page.freeze_panes = "A2"
        if sheet.rows:
            page.auto_filter.ref = page.dimensions
    return book


def _shown(value: Any, t: Texts) -> str:
    """About as wide as the cell shows (for the column width)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return t.money(value)
    if isinstance(value, date):
        return t.day(value)
    return str(value)


def save(sheets: Sequence[Sheet], path: Path, t: Texts = ENGLISH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook(sheets, t).save(path)
