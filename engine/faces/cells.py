"""What the tables a face writes (CSV, workbook sheets) are made of: columns of a kind, and the
number format a spreadsheet shows a cell of that kind in (the language's Excel formats). No
spreadsheet library here: the command line imports this at start (engine/faces/cli)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from engine.faces.i18n import ENGLISH, Texts

Kind = Literal["text", "int", "date", "month", "money", "share", "bool"]
WIDEST = 80
"""The widest a column is made (characters); longer text wraps."""


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = "text"


def number_format(kind: Kind, value: Any, t: Texts = ENGLISH) -> str | None:
    """The cell's format: the column's, or for a text column holding a date or amount, that value's."""
    formats = t.excel_formats
    if kind in formats:
        return formats[kind]
    if isinstance(value, date):
        return formats["date"]
    if isinstance(value, Decimal):
        return formats["money"]
    return None
