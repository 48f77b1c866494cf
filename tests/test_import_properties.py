"""A valid delivery damaged at random — a byte changed, a file cut short, a quote added or taken
away, columns swapped or renamed, a file renamed — is either refused as a whole, naming its
files, or read with every data line accounted for (rows read = accepted + rejected = the file's
data lines) and no good row lost; and `fsm import` never lets a traceback out, in process or not."""

import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, exists, func, select
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.input.delivery import DeliveryError, read_delivery
from engine.input.timelines import KINDS
from models import cpr
from models.db import CitizenVersion
from tests.cli_processes import fsm
from tests.test_import_delivery import data_lines

EXAMPLE = Path(__file__).parent.parent / "examples" / "delivery"
FILES = sorted(p.name for p in EXAMPLE.iterdir())
LOOK_ALIKES = ("{stem}.CSV", "{Stem}.csv", "{stem} (1).csv", "{stem} - Kopi.csv", "{stem}.xlsx")


@dataclass(frozen=True)
class Damage:
    """A damage done to one file of the example delivery."""

    file: str
    do: Callable[[bytes], bytes] | None = None
    """The file's new bytes; None: the file is renamed."""
    renamed: str = ""
    same_rows: bool = False
    """The damage changes how the file is written, not what it says."""


def _lines(data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return re.split(r"\r\n|\r|\n", text)


def _key(line: str) -> str:
    """Whom a line is about: its first cell (a citizen, or a grant's municipality)."""
    return cpr.normalise(re.split(r"[,;]", line, maxsplit=1)[0].strip().strip('"'))


@st.composite
def damages(draw: st.DrawFn) -> Damage:
    file = draw(st.sampled_from(FILES))
    data = (EXAMPLE / file).read_bytes()
    header = data.index(b"\n") + 1
    kind = draw(
        st.sampled_from(
            ["byte", "cut", "add quote", "take quote", "swap columns", "rename column", "rename file"]
        )
    )
    if kind == "byte":
        at, byte = draw(st.integers(0, len(data) - 1)), draw(st.integers(0, 255))
        return Damage(file, lambda d: d[:at] + bytes([byte]) + d[at + 1 :])
    if kind == "cut":
        at = draw(st.integers(0, len(data) - 1))
        return Damage(file, lambda d: d[:at])
    if kind == "add quote":
        at = draw(st.integers(0, len(data)))
        return Damage(file, lambda d: d[:at] + b'"' + d[at:])
    lines = data.decode().splitlines()
    width = len(lines[0].split(","))
    if kind == "take quote":
        row, cell, side = (
            draw(st.integers(1, len(lines) - 1)),
            draw(st.integers(0, width - 1)),
            draw(st.sampled_from([0, 1, None])),
        )
        cells = lines[row].split(",")
        quoted = ['"', '"']
        if side is not None:
            quoted[side] = ""  # one of the two quotes taken away
        cells[cell] = quoted[0] + cells[cell] + quoted[1]
        text = "\n".join([*lines[:row], ",".join(cells), *lines[row + 1 :]]) + "\n"
        return Damage(file, lambda _d: text.encode(), same_rows=side is None)
    if kind == "swap columns":
        i, j = sorted(draw(st.lists(st.integers(0, width - 1), min_size=2, max_size=2, unique=True)))

        def swap(line: str) -> str:
            cells = line.split(",")
            cells[i], cells[j] = cells[j], cells[i]
            return ",".join(cells)

        text = "".join(swap(line) + "\n" for line in lines)
        return Damage(file, lambda _d: text.encode(), same_rows=True)
    if kind == "rename column":
        cell = draw(st.integers(0, width - 1))
        name = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ ABC", min_size=0, max_size=12))
        names = lines[0].split(",")
        names[cell] = name
        return Damage(file, lambda d: (",".join(names) + "\n").encode() + d[header:])
    stem = file.removesuffix(".csv")
    pattern = draw(st.sampled_from([*LOOK_ALIKES, "notes.txt"]))
    return Damage(file, renamed=pattern.format(stem=stem, Stem=stem.capitalize()))


def damaged(damage: Damage, folder: Path) -> Path:
    shutil.copytree(EXAMPLE, folder)
    path = folder / damage.file
    if damage.do is None:
        path.rename(folder / damage.renamed)
    else:
        path.write_bytes(damage.do(path.read_bytes()))
    return folder


def accepted(folder: Path) -> Counter[tuple[str, str, str]]:
    """Every accepted row as (file, whom it is about, what it says)."""
    content = read_delivery(folder)
    found: Counter[tuple[str, str, str]] = Counter()
    for citizen, records in content.citizens.items():
        found["citizens.csv", citizen, repr((records["birth_date"], records["death_date"]))] += 1
        for field, kept in records.items():
            if field not in ("birth_date", "death_date"):
                found.update((f"{field}.csv", citizen, repr(r)) for r in kept)
    found.update(("grants.csv", g.municipality, repr(g)) for g in content.grants)
    return found


ORIGINAL = accepted(EXAMPLE)
assert ORIGINAL.total() == sum(
    data_lines(EXAMPLE / name) for name in FILES
)  # every row of the example is good


def touched(damage: Damage, folder: Path) -> set[str]:
    """Whom the lines the damage changed, took away or made are about."""
    before = Counter(_lines((EXAMPLE / damage.file).read_bytes())[1:])
    after = Counter(_lines((folder / damage.file).read_bytes())[1:]) if damage.do else Counter()
    return {_key(line) for line in (before - after) + (after - before)}


def header_changed(damage: Damage, folder: Path) -> bool:
    return (
        damage.do is None
        or _lines((EXAMPLE / damage.file).read_bytes())[0] != _lines((folder / damage.file).read_bytes())[0]
    )


def check_reading(damage: Damage, folder: Path) -> None:
    try:
        found = accepted(folder)
    except DeliveryError as refused:
        assert header_changed(damage, folder), refused.problems  # a damaged row never refuses a delivery
        names = [p.name for p in folder.iterdir()] + ["citizens.csv"]
        assert all(any(name in problem for name in names) for problem in refused.problems), refused.problems
        return
    content = read_delivery(folder)
    for stats in content.files:
        assert stats.accepted + stats.rejected == stats.rows_read == data_lines(folder / stats.name), stats
    if damage.same_rows:
        assert found == ORIGINAL
        return
    whom = touched(damage, folder)
    whole_file = damage.do is None or header_changed(damage, folder)
    for (file, key, row), count in ORIGINAL.items():
        hit = file == damage.file and (whole_file or key in whom)
        if not hit and not (damage.file == "citizens.csv" and key in whom):
            assert found[file, key, row] >= count, (file, key, row)  # no good row lost


@settings(max_examples=300, deadline=None)
@given(damages())
def test_a_damaged_delivery_is_refused_whole_or_read_with_every_line_accounted_for_and_no_good_row_lost(
    damage: Damage,
):
    with tempfile.TemporaryDirectory() as directory:
        check_reading(damage, damaged(damage, Path(directory) / "delivery"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damages())
def test_fsm_import_of_a_damaged_delivery_ends_with_a_status_and_never_a_traceback(
    cli_env: Engine, damage: Damage
):
    with tempfile.TemporaryDirectory() as directory:
        folder = damaged(damage, Path(directory) / "delivery")
        result = CliRunner().invoke(
            app, ["import", str(folder), "--report-dir", str(Path(directory) / "report")]
        )
    assert result.exit_code in (0, 2, 3), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert rows_without_their_version(cli_env) == {}


def rows_without_their_version(engine: Engine) -> dict[str, int]:
    """Per timeline table, the rows whose citizen version is not stored (no foreign key says so:
    migration 0018)."""
    found = {}
    with engine.connect() as connection:
        for kind in KINDS.values():
            table = kind.table.__table__
            versions = CitizenVersion.__table__
            orphans = connection.scalar(
                select(func.count())
                .select_from(table)
                .where(
                    ~exists().where(
                        versions.c.delivery_id == table.c.delivery_id,
                        versions.c.citizen_id == table.c.citizen_id,
                    )
                )
            )
            if orphans:
                found[table.name] = orphans
    return found


SOME_DAMAGES = [
    Damage("support.csv", lambda d: d[: len(d) // 2]),
    Damage("support.csv", lambda d: d.replace(b",kontanthjaelp,", b',"kontanthjaelp,', 1)),
    Damage("match.csv", lambda d: d[:200] + b"\xff\x00" + d[202:]),
    Damage("support.csv", renamed="Support.csv"),
]


@pytest.mark.parametrize("damage", SOME_DAMAGES, ids=["cut", "stray quote", "bytes", "renamed"])
def test_fsm_import_of_a_damaged_delivery_as_a_process_of_its_own_never_shows_a_traceback(
    damage: Damage, tmp_path: Path
):
    ended = fsm(
        ["import", str(damaged(damage, tmp_path / "delivery"))],
        f"sqlite:///{tmp_path / 'fsm.sqlite'}",
        tmp_path,
    )
    assert ended.status in (0, 2, 3) and "Traceback" not in ended.out + ended.err
    assert all(line.startswith("error: ") for line in ended.err.splitlines())
    if damage.do is None:
        assert ended.status == 2 and "Support.csv: did you mean support.csv?" in ended.err
