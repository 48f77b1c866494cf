"""Tables for download, written as they are read (constant memory, whatever the rows):

- CSV for Danish Excel (the default): `;` between cells, a UTF-8 byte order mark (so Excel reads
  æøå), and cells as Danish Excel reads them — `4.699.600,00`, `40,0 %`, `02-03-2018`, `marts 2018`,
  `ja` — through Babel's Danish formats (engine/faces/i18n);
- CSV with commas (on request): plain values for programs and other spreadsheets — `4699600.00`,
  `0.4000`, `2018-03-02`, `2018-03`, `true` — with the byte order mark too;
- Excel workbooks: a sheet per table, its header row bold and frozen, a filter, real numbers and
  dates with the language's number formats (`engine.faces.cells.number_format`).

Column titles are in the reader's language; the values are as the caller gives them: dates as dates,
amounts as Decimal, shares as fractions of 1, counts as int, flags as bool (CPR numbers already
shown as the reader may see them)."""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import IO, Any

from engine.faces.cells import WIDEST, Column, Kind, number_format
from engine.faces.i18n import ENGLISH, Language, Texts, texts

__all__ = ["BOM", "Column", "Separator", "Table", "cell_text", "csv_lines", "xlsx"]

BOM = "\ufeff"
ØRE = Decimal("0.01")
WIDTHS: dict[Kind, int] = {"date": 11, "month": 15, "money": 16, "share": 8, "int": 8, "bool": 6}
"""About how wide a column of each kind shows (text columns: their title, at least 14)."""


class Separator(StrEnum):
    semicolon = "semicolon"
    """`;`, for Danish Excel: cells in Danish conventions."""
    comma = "comma"
    """`,`: plain values (decimal point, ISO dates)."""


@dataclass(frozen=True)
class Table:
    """A table for download: its name (the sheet's; the file's in the caller's words), its columns with
    their kinds, and its rows (any iterable: read once, as written)."""

    name: str
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[Any]]


def _day(value: date | str) -> date:
    """A date, or a month or day as ISO text (`2018-03`, `2018-03-02`)."""
    if isinstance(value, str):
        return date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    return value.date() if isinstance(value, datetime) else value


def _share(value: Decimal | Fraction | float) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value)) if isinstance(value, float) else value


def _danish(value: Any, kind: Kind, words: Texts) -> str:
    """Numbers and dates as Danish Excel reads them; yes and no in the words' language."""
    if isinstance(value, bool):
        return words.yes(value)
    t = texts(Language.da)
    if kind == "month":
        return t.month(_day(value))
    if kind == "share":
        return t.percent(value)
    if isinstance(value, datetime):
        return t.moment(value)
    if kind == "date" or isinstance(value, date):
        return t.day(_day(value))
    if kind == "money":
        return t.decimal(Decimal(value).quantize(ØRE))
    if isinstance(value, Decimal):
        return t.decimal(value)
    if isinstance(value, int):
        return t.integer(value)
    return str(value)


def _plain(value: Any, kind: Kind) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "month":
        return _day(value).isoformat()[:7]
    if kind == "share":
        return str(_share(value).quantize(Decimal("0.0001")))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if kind == "date" or isinstance(value, date):
        return _day(value).isoformat()
    if kind == "money":
        return str(Decimal(value).quantize(ØRE))
    return str(value)


def cell_text(value: Any, kind: Kind, separator: Separator, words: Texts = ENGLISH) -> str:
    """A cell of a CSV file of this separator ("" for None); yes and no in the words' language."""
    if value is None:
        return ""
    if separator is Separator.semicolon:
        return _danish(value, kind, words)
    return _plain(value, kind)


def csv_lines(
    table: Table, separator: Separator = Separator.semicolon, words: Texts = ENGLISH
) -> Iterator[str]:
    """The table as CSV text, a line at a time: the byte order mark and the header first."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=";" if separator is Separator.semicolon else ",", lineterminator="\r\n"
    )

    def line(cells: Iterable[str]) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + line(column.title for column in table.columns)
    for row in table.rows:
        yield line(
            cell_text(value, column.kind, separator, words)
            for value, column in zip(row, table.columns, strict=True)
        )


def _excel_value(value: Any, kind: Kind) -> Any:
    """What an Excel cell holds: a share as a number, a month as its first day, a moment without a
    time zone (in UTC), the rest as it is."""
    if value is None or isinstance(value, bool):
        return value
    if kind == "share":
        return float(_share(value))
    if kind in ("month", "date"):
        return _day(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _number_format(kind: Kind, value: Any, t: Texts) -> str | None:
    """A number or date cell's format (a moment's with its time); none for text and flags."""
    if value is None or isinstance(value, bool | str):
        return None
    if isinstance(value, datetime):
        return f"{t.excel_formats['date']} hh:mm:ss"
    return number_format(kind, value, t)


def xlsx(tables: Sequence[Table], t: Texts) -> IO[bytes]:
    """The tables as an Excel workbook, a sheet each, in a temporary file (on disk when it grows: the
    rows never are all in memory), positioned at its start."""
    from openpyxl import Workbook  # here: the command line imports this module at start
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        for index, column in enumerate(table.columns, start=1):
            width = WIDTHS.get(column.kind, 14)
            sheet.column_dimensions[get_column_letter(index)].width = (
                min(WIDEST, max(width, len(column.title))) + 2
            )
        sheet.freeze_panes = "A2"
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, column.title)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        count = 0
        for row in table.rows:
            cells = []
            for value, column in zip(row, table.columns, strict=True):
                cell = WriteOnlyCell(sheet, _excel_value(value, column.kind))
                form = _number_format(column.kind, cell.value, t)
                if form:
                    cell.number_format = form
                cells.append(cell)
            sheet.append(cells)
            count += 1
        if count:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{count + 1}"
    written = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - the caller sends and closes it
    book.save(written)
    written.seek(0)
    return written
