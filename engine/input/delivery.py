"""Reading one data delivery (a folder of CSV files, SPEC section 3) into accepted rows and rejects.

Pure: no database. The folder is checked first, every file of it (`_files`, csvfile.layout): a
file that looks like one of the delivery's but would not be read (`Support.csv`, `support (1).csv`,
a dangling link, a folder), a missing `citizens.csv` or a header that is not the file's refuses the
delivery with DeliveryError, naming every problem at once. Then each row is checked on its own
(engine/input/values.py: strict values, in a data officer's words) and against its neighbours
(its citizen listed in citizens.csv, two periods of one kind on a day, a second visitation on a
day). A bad row is rejected with file, line, column, value and reason and never stops the good
ones; rows read = accepted + rejected = the file's data lines, always.

Rows are plain tuples, checked and passed on in batches (`Spool`): nothing holds the whole
delivery. A large delivery's timeline files are read by worker processes, a file each, once
citizens.csv is read (`apart`); what they read is taken in as if read in order. Each listed
citizen's content gets a digest, and the delivery a checksum, over what was read rather than the
bytes (a multiset hash: the order of rows and files, the encoding, delimiter, column order and
line ends do not change them), so an import can tell a re-sent delivery and a citizen whose rows
did not change.
"""

import hashlib
import re
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from difflib import get_close_matches
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from engine.collector import collector_paused
from engine.input import values
from engine.input.csvfile import FileProblem, Layout, Rows, layout
from engine.input.spool import Batch, Spool, Written
from engine.input.timelines import KINDS
from engine.input.values import DAYS, MARKINGS, MUNICIPALITIES, OPEN_END, Bad, Codes, day, optional_day
from engine.workers import pool
from models import cpr
from models.codes import (
    GROUPS_BY_PROGRAMME,
    Activity,
    GrantProgramme,
    MatchCategory,
    Programme,
    Support,
)
from models.domain import Grant, GrantYear, trusted

BATCH = 10_000
"""Rows passed on (and told to a progress bar) at a time."""


class DeliveryError(Exception):
    """The delivery cannot be read; nothing of it may be stored. One problem per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


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
    notes: tuple[str, ...] = ()
    """What was done to read it (an encoding, a delimiter, columns matched by name)."""


class Listed:
    """A citizen listed in citizens.csv, as the reading goes on: their row, and the multiset hash
    and kinds of everything accepted about them; once read, the digest of that content."""

    __slots__ = ("line", "born", "died", "sum", "kinds", "digest", "changed")

    def __init__(self, line: int, born: str | None, died: str | None, row_hash: int) -> None:
        self.line, self.born, self.died = line, born, died
        self.sum, self.kinds, self.digest, self.changed = row_hash, 0, "", True


MODULUS = 1 << 128


def row_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest())


# The files of a delivery -----------------------------------------------------------------------

RowCheck = Callable[[str, str, str], tuple[str, str, str | None, int, int]]
"""A timeline row's three cells after its citizen, checked: (code, from, to) → (code, from, to or
None, first day, last day as ordinals); for a visitation (programme, date, group) → (programme,
date, group, the day, the day). The first three are what is stored."""


@dataclass(frozen=True)
class Clash:
    """Two rows of one citizen that may not share a day, and how the later one is told."""

    column: str
    words: Callable[[str, int, str], str]
    """(the code, the earlier line, the first shared day) → the reason."""
    by_code: bool = False
    """Only rows with the same code clash (the same exemption marking twice)."""

    def bad(self, code: str, dates: tuple[str, str], earlier: tuple[int, int]) -> Bad:
        line, shared = earlier
        value = ",".join(dates) if self.column == "from,to" else dates[0]
        return Bad(self.column, value, self.words(code, line, str(date.fromordinal(shared))))


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[str, ...]
    field: str | None = None
    """The CitizenTimeline field a timeline file's rows belong to."""
    check: RowCheck | None = None
    clash: Clash | None = None

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".csv")


def _period(column: str, codes: Codes) -> RowCheck:
    known, days = codes.known, DAYS

    def check(code: str, start: str, end: str) -> tuple[str, str, str | None, int, int]:
        if code not in known:
            codes.check(column, code)
        first = days.get(start) or day("from", start)
        if not end:
            return code, start, None, first, OPEN_END
        last = days.get(end) or day("to", end)
        if last < first:
            raise Bad("from,to", f"{start},{end}", f"the period ends ({end}) before it starts ({start})")
        return code, start, end, first, last

    return check


PROGRAMMES = Codes.of("a programme of a grant", GrantProgramme)
GROUPS = {
    str(p): Codes(f"a {p} group", sorted(str(g) for g in groups)) for p, groups in GROUPS_BY_PROGRAMME.items()
}


def _visitation(programme: str, on: str, group: str) -> tuple[str, str, str | None, int, int]:
    programme = PROGRAMMES.check("programme", programme)
    visited = day("date", on)
    try:
        GROUPS[programme].check("group", group)
    except Bad as bad:
        raise Bad("programme,group", f"{programme},{group}", bad.reason) from None
    return programme, on, group, visited, visited


def _overlap(what: str) -> Clash:
    return Clash(
        "from,to",
        lambda _code, line, shared: (
            f"overlaps line {line} for the same citizen: two {what} on one day ({shared})"
        ),
    )


FILES = (
    FileSpec("citizens.csv", ("citizen_id", "birth_date", "death_date")),
    FileSpec(
        "residence.csv",
        ("citizen_id", "municipality", "from", "to"),
        "residence",
        _period("municipality", MUNICIPALITIES),
        _overlap("residences"),
    ),
    FileSpec(
        "support.csv",
        ("citizen_id", "support", "from", "to"),
        "support",
        _period("support", Codes.of("a support code", Support)),
        _overlap("supports"),
    ),
    FileSpec(
        "match.csv",
        ("citizen_id", "category", "from", "to"),
        "match",
        _period("category", Codes.of("a match category", MatchCategory)),
        _overlap("match categories"),
    ),
    FileSpec(
        "programmes.csv",
        ("citizen_id", "programme", "from", "to"),
        "programmes",
        _period("programme", Codes.of("a programme code", Programme)),
    ),
    FileSpec(
        "visitations.csv",
        ("citizen_id", "programme", "date", "group"),
        "visitations",
        _visitation,
        Clash(
            "date",
            lambda code, line, shared: f"a second {code} visitation on {shared} (first on line {line})",
            by_code=True,
        ),
    ),
    FileSpec(
        "activities.csv",
        ("citizen_id", "activity", "from", "to"),
        "activities",
        _period("activity", Codes.of("an activity code", Activity)),
    ),
    FileSpec(
        "exemptions.csv",
        ("citizen_id", "marking", "from", "to"),
        "exemptions",
        _period("marking", MARKINGS),
        Clash(
            "from,to",
            lambda code, line, shared: (
                f"overlaps line {line}: the same marking {code} twice on one day ({shared})"
            ),
            by_code=True,
        ),
    ),
    FileSpec(
        "grants.csv", ("municipality", "programme", "amount", "approved_on", "project_start", "project_end")
    ),
    FileSpec("grant_years.csv", ("municipality", "programme", "year", "amount")),
)
CITIZENS = FILES[0]
TIMELINE_FILES = tuple(spec for spec in FILES if spec.field is not None)
KIND_BITS = {spec.field: 1 << index for index, spec in enumerate(TIMELINE_FILES)}
"""Each timeline field's bit in `Listed.kinds` (which kinds of rows a citizen has)."""


# The result ------------------------------------------------------------------------------------


@dataclass
class Scanned:
    """A delivery read: what each file gave, each listed citizen, the grants; the accepted
    timeline rows and the rejects are in the spools given to `scan`."""

    source: Path
    files: list[FileStats] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    """The timeline fields whose file the delivery does not have."""
    citizens: dict[str, Listed] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    grant_years: list[GrantYear] = field(default_factory=list)
    checksum: str = ""

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)


Store = Callable[[str, Iterable[tuple[str, Batch]]], None]
"""Stores a timeline file's batches of accepted rows, under its field's name."""


def scan(
    folder: Path,
    rows: Spool,
    rejects: Spool,
    advance: Callable[[int], None] | None = None,
    *,
    workers: int = 1,
    early: Callable[[], Store | None] | None = None,
) -> Scanned:
    """Read and check a delivery folder: accepted timeline rows go to `rows` as batches of
    (citizen_id, code, from, to) — (citizen_id, programme, date, group) for visitations — under
    their field's name, rejects to `rejects` (as Reject's fields). Raises DeliveryError, with
    every problem of the folder and its files, when it cannot be read. Up to `workers` processes
    read the timeline files of a large delivery (`apart`); as they are read, each goes to what
    `early()` gives, if it gives anything (engine/input/storing.py `FirstLoad`)."""
    present, ignored, problems = _files(folder)
    layouts: dict[FileSpec, tuple[Path, Layout]] = {}
    for spec, path in present.items():
        try:
            layouts[spec] = path, layout(path, spec.columns)
        except FileProblem as problem:
            problems.append(str(problem))
        except OSError as error:
            problems.append(f"{path.name}: cannot be read ({error.strerror})")
    if problems:
        raise DeliveryError(problems)
    reading = _Reading(Scanned(folder, ignored=ignored), rejects, advance)
    reading.found.absent = [spec.field for spec in TIMELINE_FILES if spec not in layouts and spec.field]
    parts: dict[FileSpec, tuple[_Apart, _Part]] = {}
    for spec, (path, shape) in layouts.items():
        if spec in parts:
            reading.take(*parts[spec], rows)
            continue
        reading.file(spec, path, shape, rows, rejects)
        if spec is CITIZENS:
            timeline = {s: layouts[s] for s in TIMELINE_FILES if s in layouts}
            parts = apart(reading, timeline, rows, workers, early)
    reading.found.checksum = reading.checksum()
    return reading.found


PARALLEL_BYTES = 8 << 20
"""Timeline files larger than this in all are read by worker processes (a national delivery's are
~45 MB); smaller ones in less time than it takes to start them."""


@dataclass(frozen=True)
class _Part:
    """What a worker read of one timeline file: what the file gave, its batches of rows and of
    rejects (as written to the spools made for it), and the listed citizens with a row accepted
    (their indexes in `Scanned.citizens`) with the multiset hash of those rows (16 bytes each):
    compact, so that neither the worker nor its parent holds an object per citizen for it."""

    stats: FileStats
    rows: Written
    rejects: Written
    indexes: "array[int]"
    sums: bytes


class _Apart(NamedTuple):
    """A timeline file a worker reads, and the spools made for its rows and rejects."""

    spec: FileSpec
    path: Path
    shape: Layout
    rows: Spool
    rejects: Spool


_APART: list[tuple["_Reading", dict[str, _Apart]]] = []
"""While workers read: the reading they are forked from, and each file to read, by name."""


def apart(
    reading: "_Reading",
    timeline: dict[FileSpec, tuple[Path, Layout]],
    rows: Spool,
    workers: int,
    early: Callable[[], Store | None] | None = None,
) -> dict[FileSpec, tuple[_Apart, _Part]]:
    """The timeline files read by up to `workers` forked processes, a file at a time, largest
    first, each file's rows given to `early()`'s store as soon as it is read; none when the files are
    too small to be worth it (PARALLEL_BYTES): the caller reads them. Workers are forked once
    citizens.csv is read, so each knows the listed citizens."""
    sizes = {spec: path.stat().st_size for spec, (path, _) in timeline.items()}
    if workers < 2 or len(timeline) < 2 or sum(sizes.values()) < PARALLEL_BYTES:
        return {}
    store = early() if early else None
    files = {
        spec.name: _Apart(spec, path, shape, rows.part(), reading.rejects.part())
        for spec, (path, shape) in sorted(timeline.items(), key=lambda item: -sizes[item[0]])
    }
    _APART[:] = [(reading, files)]
    try:
        read = {}
        with pool(min(workers, len(files)), _forked) as processes:
            for name, part in processes.imap_unordered(_read_apart, list(files)):
                file = files[name]
                reading.add_hashes(file.spec, part)
                if store is not None:
                    assert file.spec.field is not None
                    store(file.spec.field, file.rows.read(part.rows))
                read[file.spec] = file, replace(part, indexes=array("i"), sums=b"")
        return read
    finally:
        _APART.clear()


def _forked() -> None:
    """A new worker tells no progress bar: the bar is its parent's."""
    _APART[0][0].advance = None


def _read_apart(name: str) -> tuple[str, _Part]:
    """In a worker: read one timeline file into its own spools, the citizens' hashes from nothing."""
    reading, files = _APART[0]
    spec, path, shape, rows, rejects = files[name]
    listed = list(reading.found.citizens.values())
    for citizen in listed:
        citizen.sum = citizen.kinds = 0
    with collector_paused():
        stats = reading.file(spec, path, shape, rows, rejects)
    indexes = array("i", (index for index, citizen in enumerate(listed) if citizen.kinds))
    sums = b"".join((listed[index].sum % MODULUS).to_bytes(16) for index in indexes)
    return name, _Part(stats, rows.written(), rejects.written(), indexes, sums)


# The folder ------------------------------------------------------------------------------------

COPY_MARKS = re.compile(r"(\s*\(\d+\)|\s*-\s*(kopi|copy)(\s*\(\d+\))?|[ _-](kopi|copy))+$")
"""What a copy's name adds to the original's (`support (1)`, `support - Kopi`, `support_copy`)."""


def _files(folder: Path) -> tuple[dict[FileSpec, Path], list[str], list[str]]:
    """The delivery's files, the other names in the folder (ignored), and the problems."""
    if not folder.is_dir():
        raise DeliveryError([f"{folder}: not a folder"])
    specs = {spec.name: spec for spec in FILES}
    present: dict[FileSpec, Path] = {}
    ignored, problems = [], []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name in specs:
            if path.is_file():
                present[specs[name]] = path
            elif path.is_symlink():
                problems.append(f"{name} is a link to {path.readlink()}, which is not there")
            else:
                problems.append(f"{name} is a folder, not a file")
        elif (meant := _looks_like(name)) is not None:
            problems.append(f"{name}: did you mean {meant}? It would not be read: rename it (or remove it)")
        else:
            ignored.append(name)
    order = {spec: index for index, spec in enumerate(FILES)}
    present = dict(sorted(present.items(), key=lambda item: order[item[0]]))
    if CITIZENS not in present and not any(problem.startswith(CITIZENS.name) for problem in problems):
        problems.insert(0, f"{folder}: citizens.csv is missing (it is the only required file)")
    return present, ignored, problems


def _looks_like(name: str) -> str | None:
    """The delivery file a name looks like (another case, extension or a copy's name); None if none."""
    if name.startswith((".", "~$")):
        return None  # hidden files, and what an office program keeps beside an open file
    stem = COPY_MARKS.sub("", name.lower().split(".", 1)[0]).strip()
    stems = {spec.stem: spec.name for spec in FILES}
    close = get_close_matches(stem, stems, n=1, cutoff=0.85)
    return stems[close[0]] if close else None


# The rows --------------------------------------------------------------------------------------


class _Reading:
    """The reading of one delivery's files, in order: what is known so far."""

    def __init__(self, found: Scanned, rejects: Spool, advance: Callable[[int], None] | None) -> None:
        self.found = found
        self.rejects = rejects
        """Every file's rejects, in the order of the files."""
        self.advance = advance
        self.rejected_citizens: dict[str, int] = {}
        """citizens.csv's rejected rows: the citizen id (as well as it can be read) → its line."""
        self.other_sum = 0
        """The multiset hash of the grant rows."""

    def file(self, spec: FileSpec, path: Path, shape: Layout, rows: Spool, rejects: Spool) -> FileStats:
        """Read one file: its accepted rows to `rows` (a timeline file's) or to what is known, its
        rejects to `rejects`; what it gave is added to `found.files` and returned."""
        pending: list[tuple[Any, ...]] = []
        bad_rows = 0

        def rejected(line: int, bad: Bad) -> None:
            nonlocal bad_rows
            bad_rows += 1
            pending.append((spec.name, line, bad.column, bad.value, bad.reason))
            if len(pending) >= BATCH:
                rejects.add("rejects", pending[:])
                pending.clear()

        found = Rows(path, shape, rejected)
        if spec is CITIZENS:
            taken = self._citizens(found, rejected)
        elif spec.field is not None:
            taken = self._timeline(spec, found, rejected, rows)
        else:
            taken = self._grants(spec, found, rejected)
        rejects.add("rejects", pending)
        stats = FileStats(spec.name, shape.sha256, found.read, taken, bad_rows, shape.notes)
        self.found.files.append(stats)
        return stats

    def add_hashes(self, spec: FileSpec, part: "_Part") -> None:
        """Add the hashes of the rows a worker accepted to their citizens' (in any order: a sum),
        and tell the progress bar the file is read."""
        assert spec.field is not None
        bit, listed, sums = KIND_BITS[spec.field], list(self.found.citizens.values()), part.sums
        for at, index in enumerate(part.indexes):
            citizen = listed[index]
            citizen.sum += int.from_bytes(sums[16 * at : 16 * at + 16])
            citizen.kinds |= bit
        if self.advance is not None:
            self.advance(part.stats.rows_read)

    def take(self, file: "_Apart", part: "_Part", rows: Spool) -> None:
        """The rest of what a worker read of a timeline file (`apart`), as if it had been read here."""
        rows.take(file.rows, part.rows)
        self.rejects.take(file.rejects, part.rejects)
        self.found.files.append(part.stats)

    def _told(self, rows: Rows, told: int) -> int:
        """Tell the progress bar about the rows read since `told`; how many are told now."""
        if self.advance is not None:
            self.advance(rows.read - told)
        return rows.read

    def _citizens(self, rows: Rows, rejected: Callable[[int, Bad], None]) -> int:
        """Each accepted row's citizen, listed; the number accepted."""
        citizens = self.found.citizens
        for line, (raw_id, born, died) in rows:
            try:
                citizen_id = values.citizen(raw_id)
                birth, death = optional_day("birth_date", born), optional_day("death_date", died)
                if birth is None:
                    derived = cpr.birth_date(citizen_id)
                    if derived is None:
                        raise Bad(
                            "birth_date",
                            "",
                            "birth_date is empty: it is required when citizen_id is a pseudonym",
                        )
                    birth = derived.toordinal()
                if death is not None and death < birth:
                    raise Bad(
                        "death_date",
                        died,
                        f"death_date {died} is before the birth ({date.fromordinal(birth)}): a typing mistake?",
                    )
                if citizen_id in citizens:
                    raise Bad(
                        "citizen_id", raw_id, f"listed twice (first on line {citizens[citizen_id].line})"
                    )
            except Bad as bad:
                rejected(line, bad)
                self.rejected_citizens.setdefault(cpr.normalise(raw_id), line)
                continue
            citizens[citizen_id] = Listed(line, born or None, died or None, row_hash(f"\x1f{born}\x1f{died}"))
        self._told(rows, 0)
        return len(citizens)

    def _citizen(self, raw_id: str) -> tuple[str, Listed]:
        """The listed citizen a row is about, when its id is not spelt as citizens.csv's."""
        citizen_id = values.citizen(raw_id)
        listed = self.found.citizens.get(citizen_id)
        if listed is None:
            line = self.rejected_citizens.get(citizen_id)
            raise Bad(
                "citizen_id",
                raw_id,
                f"the citizen's row in citizens.csv (line {line}) was rejected"
                if line
                else "the citizen is not listed in citizens.csv",
            )
        return citizen_id, listed

    def _timeline(
        self, spec: FileSpec, rows: Rows, rejected: Callable[[int, Bad], None], spool: Spool
    ) -> int:
        """Each accepted row to `spool`; the number accepted. The hot loop of an import (a million
        rows): plain tuples, builtins, few calls."""
        assert spec.field is not None and spec.check is not None
        kind, bit, check, clash = spec.field, KIND_BITS[spec.field], spec.check, spec.clash
        citizens, earlier = self.found.citizens, _Earlier()
        blake, to_int = hashlib.blake2b, int.from_bytes
        batch: Batch = []
        told = taken = 0
        for line, (citizen_id, a, b, c) in rows:
            try:
                listed = citizens.get(citizen_id)
                if listed is None:
                    citizen_id, listed = self._citizen(citizen_id)
                code, start, end, first, last = check(a, b, c)
                if clash is not None:
                    key = f"{citizen_id}\x1f{code}" if clash.by_code else citizen_id
                    before = earlier.clash(key, first, last, line)
                    if before is not None:
                        raise clash.bad(code, (b, c), before)
            except Bad as bad:
                rejected(line, bad)
                continue
            batch.append((citizen_id, code, start, end))
            listed.kinds |= bit
            listed.sum += to_int(
                blake(f"{kind}\x1f{code}\x1f{start}\x1f{end}".encode(), digest_size=16).digest()
            )
            if len(batch) >= BATCH:
                spool.add(kind, batch)
                taken += len(batch)
                batch = []
                told = self._told(rows, told)
        spool.add(kind, batch)
        self._told(rows, told)
        return taken + len(batch)

    def _grants(self, spec: FileSpec, rows: Rows, rejected: Callable[[int, Bad], None]) -> int:
        """Each accepted grant (or grant year); the number accepted."""
        seen: dict[tuple[str, ...], int] = {}
        for line, found in rows:
            try:
                record = _GRANT_READERS[spec.name](found)
                key = tuple(found[: 3 if isinstance(record, GrantYear) else 2])
                if key in seen:
                    raise Bad(
                        "municipality",
                        key[0],
                        f"a second row for {' '.join(key)} (first on line {seen[key]})",
                    )
            except Bad as bad:
                rejected(line, bad)
                continue
            seen[key] = line
            self.other_sum += row_hash(f"{spec.name}\x1f" + "\x1f".join(found))
            (self.found.grant_years if isinstance(record, GrantYear) else self.found.grants).append(record)
        self._told(rows, 0)
        return len(seen)

    def checksum(self) -> str:
        """Each listed citizen's digest, and the delivery's: their digests, the grant rows and the
        rejects (in the order of the files)."""
        citizens = 0
        for citizen_id, listed in self.found.citizens.items():
            listed.digest = f"{listed.sum % MODULUS:032x}"
            citizens += row_hash(f"{citizen_id}\x1f{listed.digest}")
        rejects = hashlib.sha256()
        for _, batch in self.rejects.batches():
            for reject in batch:
                rejects.update(repr(reject).encode())
        total = f"{citizens % MODULUS:032x}:{self.other_sum % MODULUS:032x}:{rejects.hexdigest()}"
        return hashlib.sha256(total.encode()).hexdigest()


class _Earlier:
    """Each citizen's earlier rows of one file, for the checks across rows, kept compactly: the
    rows of the key being read as a list, the others packed into arrays of ints (a file usually holds a
    citizen's rows together, so switching back is rare)."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.rows: list[tuple[int, int, int]] = []
        """(first day, last day, line) of each row of `key`."""
        self.packed: dict[str, array[int]] = {}

    def clash(self, key: str, first: int, last: int, line: int) -> tuple[int, int] | None:
        """(earlier line, first shared day) of a row of `key` that shares a day with this one;
        None, and this one kept, when none does."""
        if key != self.key:
            self._switch(key)
        for other_first, other_last, other_line in self.rows:
            if other_first <= last and first <= other_last:
                return other_line, max(first, other_first)
        self.rows.append((first, last, line))
        return None

    def _switch(self, key: str) -> None:
        if self.key is not None:
            self.packed[self.key] = array("i", chain.from_iterable(self.rows))
        packed = self.packed.pop(key, None)
        self.rows = [] if packed is None else list(zip(*[iter(packed)] * 3, strict=True))
        self.key = key


def _grant(cells: list[str]) -> Grant:
    municipality, programme, amount, approved_on, start, end = cells
    MUNICIPALITIES.check("municipality", municipality)
    PROGRAMMES.check("programme", programme)
    for column, text in (("approved_on", approved_on), ("project_start", start), ("project_end", end)):
        day(column, text)
    if end < start:
        raise Bad(
            "project_start,project_end",
            f"{start},{end}",
            f"project_end ({end}) is before project_start ({start})",
        )
    return _GRANT(
        {
            "municipality": municipality,
            "programme": GrantProgramme(programme),
            "amount": values.amount("amount", amount),
            "approved_on": date.fromisoformat(approved_on),
            "project_start": date.fromisoformat(start),
            "project_end": date.fromisoformat(end),
        }
    )


def _grant_year(cells: list[str]) -> GrantYear:
    municipality, programme, year, amount = cells
    MUNICIPALITIES.check("municipality", municipality)
    PROGRAMMES.check("programme", programme)
    return _GRANT_YEAR(
        {
            "municipality": municipality,
            "programme": GrantProgramme(programme),
            "year": values.year("year", year),
            "amount": values.amount("amount", amount),
        }
    )


_GRANT, _GRANT_YEAR = trusted(Grant), trusted(GrantYear)
_GRANT_READERS: dict[str, Callable[[list[str]], Grant | GrantYear]] = {
    "grants.csv": _grant,
    "grant_years.csv": _grant_year,
}


# In memory -------------------------------------------------------------------------------------


@dataclass
class Content:
    """A delivery read into memory, for a simulation's base data and for tests: the accepted rows
    by citizen, and every reject."""

    source: Path
    checksum: str
    citizens: dict[str, dict[str, Any]]
    """citizen_id → {"birth_date", "death_date", and each timeline field → [records]}."""
    grants: list[Grant]
    grant_years: list[GrantYear]
    rejects: list[Reject]
    files: list[FileStats]
    ignored: list[str]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)


def read_delivery(folder: Path) -> Content:
    """Read and check a delivery folder into memory; raises DeliveryError if it cannot be read."""
    with Spool(in_memory=True) as rows, Spool(in_memory=True) as rejects:
        found = scan(folder, rows, rejects)
        citizens: dict[str, dict[str, Any]] = {
            citizen_id: {"birth_date": _date(listed.born), "death_date": _date(listed.died)}
            for citizen_id, listed in found.citizens.items()
        }
        for kind, batch in rows.batches():
            build = KINDS[kind].builder()
            for citizen_id, a, b, c in batch:
                citizens[citizen_id].setdefault(kind, []).append(build(a, b, c))
        bad = [Reject(*reject) for _, batch in rejects.batches() for reject in batch]
    return Content(
        folder, found.checksum, citizens, found.grants, found.grant_years, bad, found.files, found.ignored
    )


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)
