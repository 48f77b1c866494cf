"""Denmark's 98 municipalities by their official 3-digit code (`data/municipalities.csv`).

Source: Danmarks Statistik's classification of municipalities (KOMKODE), in force since the
municipal reform of 1 January 2007 and unchanged since; Christiansø (411) is not a municipality.
"""

import csv
from functools import cache
from importlib.resources import files

VALID_FROM = "2007-01-01"


@cache
def names() -> dict[str, str]:
    """Each municipality's name by its code, in code order."""
    with files("models").joinpath("data/municipalities.csv").open(encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def name(code: str) -> str | None:
    """The municipality's name, or None for a code that is not one of the 98."""
    return names().get(code)
