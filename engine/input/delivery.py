"""Reading one data delivery (a folder of CSV files, SPEC section 3) into validated rows and rejects.

Pure: no database. Every row is validated on its own (pydantic models of models/domain.py), then
against its neighbours (citizen listed in citizens.csv, overlapping periods, a second visitation on
a day). A bad row is rejected with file, line, column, value and reason and never stops the good
ones; accepted + rejected = rows read, for every file. A delivery that cannot be read at all
(missing citizens.csv, a wrong header, not UTF-8) raises DeliveryError and nothing is kept.
"""

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from engine.input.errors import location
from models import cpr
from models.domain import (
    ActivityPeriod,
    CitizenId,
    Exemption,
    Grant,
    GrantYear,
    MatchPeriod,
    Period,
    ProgrammePeriod,
    Residence,
    SupportPeriod,
    Visitation,
)

CITIZEN_ID = TypeAdapter(CitizenId)
OPTIONAL_DATE = TypeAdapter(date | None)


class DeliveryError(Exception):
    """The delivery cannot be read at all; nothing of it may be stored."""


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[str, ...]
    model: type[BaseModel] | None
    """The domain model of one row's record (without citizen_id); None for citizens.csv."""
    field: str | None = None
    """The CitizenTimeline field the rows belong to."""
    no_overlap: bool = False
    required: bool = False
    record_columns: tuple[str, ...] = ("from", "to")
    """The columns a record-level check (one across several columns) is about."""


FILES = (
    FileSpec("citizens.csv", ("citizen_id", "birth_date", "death_date"), None, required=True),
    FileSpec("residence.csv", ("citizen_id", "municipality", "from", "to"), Residence, "residence", True),
    FileSpec("support.csv", ("citizen_id", "support", "from", "to"), SupportPeriod, "support", True),
    FileSpec("match.csv", ("citizen_id", "category", "from", "to"), MatchPeriod, "match", True),
    FileSpec("programmes.csv", ("citizen_id", "programme", "from", "to"), ProgrammePeriod, "programmes"),
    FileSpec(
        "visitations.csv",
        ("citizen_id", "programme", "date", "group"),
        Visitation,
        "visitations",
        record_columns=("programme", "group"),
    ),
    FileSpec("activities.csv", ("citizen_id", "activity", "from", "to"), ActivityPeriod, "activities"),
    FileSpec("exemptions.csv", ("citizen_id", "marking", "from", "to"), Exemption, "exemptions", True),
    FileSpec(
        "grants.csv",
        ("municipality", "programme", "amount", "approved_on", "project_start", "project_end"),
        Grant,
        record_columns=("project_start", "project_end"),
    ),
    FileSpec("grant_years.csv", ("municipality", "programme", "year", "amount"), GrantYear),
)


@dataclass(frozen=True)
class Reject:
    """A bad row. `value` is the cell as delivered: the report masks CPR numbers (personal data)."""

    file: str
    line: int
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class FileStats:
    name: str
    sha256: str
    rows_read: int
    accepted: int
    rejected: int


@dataclass
class Content:
    """A delivery's accepted rows, by citizen, and everything rejected."""

    source: Path
    checksum: str = ""
    citizens: dict[str, dict[str, Any]] = field(default_factory=dict)
    """citizen_id → {"birth_date", "death_date", and each timeline field → [records]}."""
    grants: list[Grant] = field(default_factory=list)
    grant_years: list[GrantYear] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    files: list[FileStats] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)


def _rows(path: Path, data: bytes, spec: FileSpec) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of a file's bytes; the header must be exactly the SPEC's
    columns. A line number is where the row starts (a quoted cell may span lines); blank lines are
    not rows. A UTF-8 byte order mark is allowed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DeliveryError(f"{path}: not UTF-8 ({error.reason} at byte {error.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != spec.columns:
            raise DeliveryError(
                f"{path}: the header must be {','.join(spec.columns)}, found {','.join(header or [])!r}"
            )
        end = reader.line_num
        for cells in reader:
            line, end = end + 1, reader.line_num
            if cells:
                yield line, _cells(spec, cells)
    except csv.Error as error:
        raise DeliveryError(f"{path}, line {reader.line_num}: not a CSV file ({error})") from None


def _cells(spec: FileSpec, cells: list[str]) -> dict[str, str]:
    """A row by column name; cells beyond the header's columns are kept under the column ""."""
    row = {column: (cells[i].strip() if i < len(cells) else "") for i, column in enumerate(spec.columns)}
    if len(cells) > len(spec.columns):
        row[""] = ",".join(cells[len(spec.columns) :])
    return row


class _Rejected(Exception):
    def __init__(self, column: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, value, reason


def _validate(spec: FileSpec, raw: dict[str, str]) -> BaseModel:
    if "" in raw:
        raise _Rejected("", raw[""], f"more cells than the {len(spec.columns)} columns of the header")
    assert spec.model is not None
    values = {column: (raw[column] or None) for column in spec.columns if column != "citizen_id"}
    try:
        return spec.model.model_validate(values)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        if problem["loc"]:
            column = location(tuple(problem["loc"]))
            return _raise(column, raw.get(column, ""), problem["msg"])
        columns = spec.record_columns
        return _raise(",".join(columns), ",".join(raw.get(c, "") for c in columns), problem["msg"])


def _raise(column: str, value: str, message: str) -> Any:
    raise _Rejected(column, value, message.removeprefix("Value error, "))


def _citizen(raw: dict[str, str]) -> tuple[str, date | None, date | None]:
    try:
        citizen_id = CITIZEN_ID.validate_python(raw["citizen_id"])
    except ValidationError as error:
        _raise("citizen_id", raw["citizen_id"], error.errors(include_url=False)[0]["msg"])
    dates = []
    for column in ("birth_date", "death_date"):
        try:
            dates.append(OPTIONAL_DATE.validate_python(raw[column] or None))
        except ValidationError:
            _raise(column, raw[column], "not a date (YYYY-MM-DD)")
    if dates[0] is None and not cpr.is_cpr(citizen_id):
        _raise("birth_date", "", "required when citizen_id is a pseudonym, not a CPR number")
    return citizen_id, dates[0], dates[1]


def read_delivery(folder: Path, advance: Callable[[int], None] | None = None) -> Content:
    """Read and validate a delivery folder; raises DeliveryError if it cannot be read at all."""
    if not folder.is_dir():
        raise DeliveryError(f"{folder}: not a folder")
    if not (folder / "citizens.csv").is_file():
        raise DeliveryError(f"{folder}: citizens.csv is missing (it is the only required file)")
    known = {spec.name for spec in FILES}
    content = Content(source=folder, ignored=sorted(p.name for p in folder.iterdir() if p.name not in known))
    digest = hashlib.sha256()
    data = {spec: (folder / spec.name).read_bytes() for spec in FILES if (folder / spec.name).is_file()}
    rows = {spec: list(_rows(folder / spec.name, raw, spec)) for spec, raw in data.items()}  # may refuse
    citizen_lines: dict[str, int] = {}
    rejected_citizens: dict[str, int] = {}
    for spec in rows:
        sha = hashlib.sha256(data[spec]).hexdigest()
        digest.update(f"{spec.name}\0{sha}\0".encode())
        accepted = 0
        before = len(content.rejects)
        taken: dict[tuple[str, str], list[tuple[int, Period]]] = defaultdict(list)
        seen: dict[tuple[Any, ...], int] = {}
        for line, raw in rows[spec]:
            try:
                if not any(raw.values()):
                    _raise("", "", "an empty row: every cell is empty")
                if spec.model is None:
                    citizen_id, born, died = _citizen(raw)
                    if citizen_id in citizen_lines:
                        _raise(
                            "citizen_id",
                            raw["citizen_id"],
                            f"listed twice (first on line {citizen_lines[citizen_id]})",
                        )
                    citizen_lines[citizen_id] = line
                    content.citizens[citizen_id] = {"birth_date": born, "death_date": died}
                else:
                    record = _validate(spec, raw)
                    if spec.field is None:
                        _accept_grant(content, spec, record, line, seen)
                    else:
                        _accept_record(
                            content, spec, raw, record, line, citizen_lines, rejected_citizens, taken, seen
                        )
                accepted += 1
            except _Rejected as problem:
                content.rejects.append(Reject(spec.name, line, problem.column, problem.value, problem.reason))
                if spec.model is None:
                    rejected_citizens.setdefault(cpr.normalise(raw["citizen_id"]), line)
            if advance:
                advance(1)
        content.files.append(
            FileStats(spec.name, sha, len(rows[spec]), accepted, len(content.rejects) - before)
        )
    content.checksum = digest.hexdigest()
    return content


def _accept_record(
    content: Content,
    spec: FileSpec,
    raw: dict[str, str],
    record: BaseModel,
    line: int,
    citizen_lines: dict[str, int],
    rejected_citizens: dict[str, int],
    taken: dict[tuple[str, str], list[tuple[int, Period]]],
    seen: dict[tuple[Any, ...], int],
) -> None:
    try:
        citizen_id = CITIZEN_ID.validate_python(raw["citizen_id"])
    except ValidationError as error:
        _raise("citizen_id", raw["citizen_id"], error.errors(include_url=False)[0]["msg"])
    if citizen_id not in citizen_lines:
        rejected_on = rejected_citizens.get(cpr.normalise(raw["citizen_id"]))
        why = (
            f"the citizen's row in citizens.csv (line {rejected_on}) was rejected"
            if rejected_on
            else "the citizen is not listed in citizens.csv"
        )
        _raise("citizen_id", raw["citizen_id"], why)
    if isinstance(record, Visitation):
        key = (citizen_id, record.programme, record.day)
        if key in seen:
            _raise(
                "date",
                raw["date"],
                f"a second {record.programme.value} visitation on this day (first on line {seen[key]})",
            )
        seen[key] = line
    if spec.no_overlap:
        assert isinstance(record, Period)
        for other_line, other in taken[(citizen_id, spec.name)]:
            if other.span.first <= record.span.last and record.span.first <= other.span.last:
                _raise(
                    "from,to",
                    f"{raw['from']},{raw['to']}",
                    f"overlaps line {other_line} of {spec.name} for the same citizen",
                )
        taken[(citizen_id, spec.name)].append((line, record))
    assert spec.field is not None
    content.citizens[citizen_id].setdefault(spec.field, []).append(record)


def _accept_grant(
    content: Content, spec: FileSpec, record: BaseModel, line: int, seen: dict[tuple[Any, ...], int]
) -> None:
    if isinstance(record, Grant):
        key: tuple[Any, ...] = (record.municipality, record.programme)
        target: list[Any] = content.grants
    else:
        assert isinstance(record, GrantYear)
        key, target = (record.municipality, record.programme, record.year), content.grant_years
    if key in seen:
        _raise(
            "municipality", key[0], f"a second row for {' '.join(map(str, key))} (first on line {seen[key]})"
        )
    seen[key] = line
    target.append(record)
