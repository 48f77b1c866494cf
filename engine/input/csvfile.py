"""One CSV file of a delivery as Danish spreadsheets write it: its encoding, delimiter and header
found out (`layout`), then its physical lines split into cells (`data_lines`, `cells`).

Tolerant where the reading is unambiguous, and saying so (`Layout.notes`): UTF-8 with or without a
byte order mark, Windows-1252 when a file is not valid UTF-8; `,` or `;` between cells, told by
the header line; CRLF or LF; columns matched by name in any order and case, surrounding spaces
stripped; an empty last column (a trailing separator) ignored. Strict where a wrong reading could
change a decision: every column must be there, once, and no other.

One physical line is one row. No cell of a delivery holds a line break, so a quote that does not
close on its line is a damaged row: that row is rejected and reading goes on with the next line,
and a stray quote can never swallow the rows after it. Blank lines are not rows.
"""

import codecs
import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.input.values import Bad

LONGEST_LINE = 65_536
"""Characters; a longer line is rejected (a delivery's row is some 60 characters)."""
CHUNK = 1 << 20
UTF8_BOM = b"\xef\xbb\xbf"


class FileProblem(Exception):
    """A file that cannot be read as the delivery file it is named as (the delivery is refused)."""


@dataclass(frozen=True)
class Layout:
    """How one file is written."""

    encoding: str
    delimiter: str
    positions: tuple[int, ...]
    """For each of the file's columns (in SPEC order), the index of its cell in a row."""
    width: int
    """Cells in the header, the ignored empty last ones included."""
    named: int
    """Cells with a column name: a row may leave out the ignored empty last ones."""
    sha256: str
    notes: tuple[str, ...]
    """What was done to read the file, in words for the summary."""


def layout(path: Path, columns: tuple[str, ...]) -> Layout:
    """The layout of a file that must have exactly `columns`; raises FileProblem naming every
    problem of its header."""
    digest, encoding, notes = _encoding(path)
    with path.open(encoding=encoding, errors="replace", newline=None) as handle:
        header = handle.readline(LONGEST_LINE).rstrip("\n").removeprefix("\ufeff").removeprefix("ï»¿")
    if not header.strip():
        raise FileProblem(f"{path.name}: line 1 must be the header ({','.join(columns)}); it is empty")
    if "\t" in header and not any(separator in header for separator in ",;"):
        raise FileProblem(f"{path.name}: its cells are separated by tabs: save it as CSV (with , or ;)")
    delimiter = ";" if ";" in header and "," not in header else ","
    if delimiter == ";":
        notes.append("cells separated by ';'")
    names = [name.strip().lower() for name in _split_header(path, header, delimiter)]
    named = len(names)
    while named > 0 and not names[named - 1]:
        named -= 1
    if named < len(names):
        notes.append("an empty last column ignored")
    positions = _positions(path, names[:named], columns, notes)
    return Layout(encoding, delimiter, positions, len(names), named, digest, tuple(notes))


def _encoding(path: Path) -> tuple[str, str, list[str]]:
    """The file's SHA-256, its encoding, and a note when it is not plain UTF-8."""
    digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
    bad_line, lines = 0, 0
    with path.open("rb") as handle:
        first = handle.read(CHUNK)
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileProblem(
                f"{path.name}: is UTF-16 (Excel's 'Unicode text'): save it as 'CSV UTF-8' or 'CSV (semicolon separated)'"
            )
        chunk = first
        while chunk:
            digest.update(chunk)
            if not bad_line:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    bad_line = lines + chunk.count(b"\n", 0, max(error.start, 0)) + 1
            lines += chunk.count(b"\n")
            chunk = handle.read(CHUNK)
    if bad_line:
        note = f"decoded as Windows-1252, not UTF-8 (the first non-UTF-8 byte is on line {bad_line})"
        return digest.hexdigest(), "cp1252", [note]
    return digest.hexdigest(), "utf-8-sig", []


def _split_header(path: Path, header: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([header], delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise FileProblem(f"{path.name}: line 1, the header, is not CSV ({error})") from None


def _positions(path: Path, names: list[str], columns: tuple[str, ...], notes: list[str]) -> tuple[int, ...]:
    expected = ", ".join(columns)
    problems = []
    if "" in names:
        problems.append(f"column {names.index('') + 1} has no name")
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        problems.append(f"{', '.join(twice)} twice")
    unknown = [name for name in names if name and name not in columns]
    if unknown:
        problems.append(f"no column may be named {', '.join(unknown)}")
    missing = [column for column in columns if column not in names]
    if missing:
        problems.append(
            f"the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} {'are' if len(missing) > 1 else 'is'} missing"
        )
    if problems:
        raise FileProblem(f"{path.name}: the header must name the columns {expected}: {'; '.join(problems)}")
    if tuple(names) != columns:
        notes.append(f"columns matched by name ({','.join(names)})")
    return tuple(names.index(column) for column in columns)


class Rows:
    """The rows of one file, read in chunks: iterating gives (line number, cells in SPEC column
    order) for each data line whose cells can be told; any other data line goes to `rejected`.
    `read` counts the data lines (non-blank lines after the header)."""

    def __init__(self, path: Path, layout: Layout, rejected: Callable[[int, Bad], None]) -> None:
        self.path, self.layout, self.rejected = path, layout, rejected
        self.read = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        shape, rejected = self.layout, self.rejected
        delimiter, positions, width, named = shape.delimiter, shape.positions, shape.width, shape.named
        ordered, first = positions == tuple(range(width)), positions[0]
        for number, lines in self._chunks():
            for text in lines:
                number += 1
                if not text or text.isspace():
                    continue
                self.read += 1
                try:
                    if len(text) > LONGEST_LINE:
                        raise Bad("", "", TOO_LONG)
                    if '"' in text or "\x00" in text:
                        found = cells(text, delimiter)
                    else:
                        found = text.split(delimiter)
                        if not text.isascii() or " " in text or "\t" in text:
                            found = [cell.strip() for cell in found]
                    if len(found) != named:
                        _check_width(found, text, named, width)
                    if not found[first] and not any(found):
                        raise Bad("", "", "an empty row: every cell is empty")
                except Bad as bad:
                    rejected(number, bad)
                    continue
                yield number, found if ordered else [found[p] for p in positions]

    def _chunks(self) -> Iterator[tuple[int, list[str]]]:
        """The file's lines after the header, a chunk at a time, each list with the number of the
        line before its first. A line longer than LONGEST_LINE is never held whole: its first
        LONGEST_LINE + 1 characters stand for it."""
        number, rest, skipping = 0, "", False
        with self.path.open(encoding=self.layout.encoding, errors="replace", newline=None) as handle:
            while chunk := handle.read(CHUNK):
                lines = (rest + chunk).split("\n")
                rest = lines.pop()
                if skipping:  # inside an overlong line
                    if not lines:
                        rest = ""
                        continue
                    del lines[0]
                    skipping = False
                if len(rest) > LONGEST_LINE:
                    lines.append(rest[: LONGEST_LINE + 1])
                    rest, skipping = "", True
                if number == 0 and lines:
                    del lines[0]  # the header
                    number = 1
                yield number, lines
                number += len(lines)
            if rest and number:  # the last line, without its line end
                yield number, [rest]


TOO_LONG = f"the line is longer than {LONGEST_LINE:,} characters: is this a CSV file?"


def _check_width(found: list[str], text: str, named: int, width: int) -> None:
    """A row's cells other than the header's: fine only when it leaves out, or leaves empty, the
    ignored empty last columns."""
    if not named <= len(found) <= width:
        cut = ": a row cut short?" if len(found) < named else ""
        raise Bad("", text.strip()[:80], f"{len(found)} cells, but the header has {named} columns{cut}")
    if any(found[named:]):
        raise Bad("", text.strip()[:80], "a value in the empty last column, which has no name")


def cells(line: str, delimiter: str) -> list[str]:
    """A line's cells when it has quotes or NUL bytes, stripped; raises Bad for a NUL byte or a
    quote out of place."""
    if "\x00" in line:
        raise Bad("", "", NUL)
    try:
        (found,) = csv.reader([line], delimiter=delimiter, strict=True)
    except csv.Error as error:
        quote = line.find('"')
        cell = line.count(delimiter, 0, quote) + 1
        if "end of data" in str(error):
            why = (
                f'a quote (") opens in cell {cell} and does not close on this line: a cell cannot span lines'
            )
        else:
            why = f'a quote (") in cell {cell} is out of place: a quoted cell ends at its closing quote'
        raise Bad("", line.strip()[:80], why) from None
    return [cell.strip() for cell in found]


NUL = "the line holds a NUL byte: the file is damaged, or is not a CSV file"
