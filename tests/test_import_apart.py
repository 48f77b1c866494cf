"""A large delivery's timeline files are read by worker processes (engine/input/delivery.py
`apart`): what they read is exactly what the calling process reads alone — the same rows, rejects
(in the same order), file figures, citizen digests and checksum — and `fsm import` stores the
same, whether the files are good or bad."""

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.faces.cli.failures import Status
from engine.input import delivery
from engine.input.delivery import scan
from engine.input.importing import import_folder
from engine.input.spool import Spool
from engine.input.timelines import load_timelines
from engine.synthetic.national import write_national
from models.database import make_engine, upgrade
from models.db import CitizenVersion, Delivery
from tests.cli_processes import Ended, environment, needs_mount_namespaces, stopped_with_its_workers
from tests.test_import_operations import count
from tests.test_import_properties import rows_without_their_version

DATA = Path(__file__).parent / "data"
EXAMPLE = Path(__file__).parent.parent / "examples" / "delivery"
BAD = DATA / "bad_rows_of_every_kind"
FOLDERS = {EXAMPLE: False, BAD: True, DATA / "danish_excel": False, DATA / "damaged_lines": True}
"""Deliveries, and whether they have rejects."""


def read(folder: Path, workers: int) -> dict[str, Any]:
    told: list[int] = []
    with Spool() as rows, Spool() as rejects:
        found = scan(folder, rows, rejects, told.append, workers=workers)
        assert sum(told) == found.rows_read  # the progress bar is told of every row
        return {
            "checksum": found.checksum,
            "files": found.files,
            "citizens": {c: (x.line, x.digest, x.kinds) for c, x in found.citizens.items()},
            "rows": sorted((kind, row) for kind, batch in rows.batches() for row in batch),
            "rejects": [reject for _, batch in rejects.batches() for reject in batch],
        }


@pytest.fixture
def always_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "PARALLEL_BYTES", 0)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_workers_read_a_delivery_exactly_as_one_process_does(always_apart: None, folder: Path):
    alone, apart = read(folder, workers=1), read(folder, workers=2)
    assert apart == alone
    assert alone["rows"] and bool(alone["rejects"]) == FOLDERS[folder]


def test_a_small_delivery_is_read_by_the_calling_process_alone(monkeypatch: pytest.MonkeyPatch):
    started = []
    monkeypatch.setattr(delivery, "pool", lambda *args: started.append(args))
    read(EXAMPLE, workers=2)
    assert started == []


def test_an_import_read_by_workers_stores_what_one_process_reading_alone_stores(
    always_apart: None, engine: Engine, tmp_path: Path
):
    stored = []
    for workers in (2, 1):
        imported = import_folder(engine, BAD, report_dir=tmp_path / str(workers), workers=workers)
        with Session(engine) as session:
            checksum = session.scalar(
                select(Delivery.checksum).where(Delivery.id == imported.stored.delivery_id)
            )
        stored.append((imported.stored.new, checksum, (imported.report / "rejects.csv").read_text()))
    (new, checksum, rejects), (again, same_checksum, same_rejects) = stored
    assert new and not again  # the same delivery, "already imported"
    assert (checksum, rejects) == (same_checksum, same_rejects) and rejects.count("\n") > 10
    assert rows_without_their_version(engine) == {}


SLOW_IMPORT = """
import sys, time
from engine.input import delivery
delivery.PARALLEL_BYTES = 0
read = delivery._read_apart
def slow(name):
    time.sleep(60)  # the workers are surely reading when the signal comes
    return read(name)
delivery._read_apart = slow
from engine.faces.cli import app
app(sys.argv[1:], prog_name="fsm")
"""


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_a_stopped_import_takes_its_workers_with_it_and_stores_nothing(
    engine: Engine, tmp_path: Path, stop: signal.Signals
):
    url = engine.url.render_as_string(hide_password=False)
    args = ["import", str(BAD), "--report-dir", str(tmp_path / "report")]
    ended = stopped_with_its_workers(SLOW_IMPORT, args, url, tmp_path, stop)
    assert ended.status == {signal.SIGINT: 130}.get(stop, -stop)
    with Session(engine) as session:
        assert session.scalars(select(Delivery)).all() == []
    assert not (tmp_path / "report").exists()


def test_an_import_whose_workers_find_the_disk_full_ends_with_one_line_and_stores_nothing(tmp_path: Path):
    needs_mount_namespaces()
    disk, database, folder = tmp_path / "disk", tmp_path / "fsm.sqlite", tmp_path / "delivery"
    disk.mkdir()
    write_national(folder, 2_000)  # ~20,000 rows: the workers' spools outgrow the 64 KB disk
    script = tmp_path / "apart.py"
    script.write_text(
        "import sys\nfrom engine.input import delivery\ndelivery.PARALLEL_BYTES = 0\n"
        "from engine.faces.cli import app\napp(sys.argv[1:], prog_name='fsm')\n",
        encoding="utf-8",
    )
    mount = f"mount -t tmpfs -o size=64k tmpfs {disk}"
    ended = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"{mount} && exec '{sys.executable}' '{script}' import '{folder}'"],
        cwd=tmp_path,
        env=environment(f"sqlite:///{database}", TMPDIR=str(disk)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    failed = Ended(ended.returncode, ended.stdout, ended.stderr)
    assert failed.status == Status.DISK_FULL, failed.err
    assert "no space left" in failed.one_line_error()
    assert count(make_engine(f"sqlite:///{database}"), Delivery) == 0


def stored(engine: Engine) -> dict[str, Any]:
    """What the database holds of its deliveries: each one's checksum, versions and timelines."""
    with Session(engine) as session:
        deliveries = session.execute(select(Delivery.id, Delivery.checksum).order_by(Delivery.id)).all()
        return {
            "deliveries": [checksum for _, checksum in deliveries],
            "versions": sorted(
                session.execute(
                    select(
                        CitizenVersion.citizen_id, CitizenVersion.delivery_id, CitizenVersion.superseded_by
                    )
                ).all()
            ),
            "timelines": [list(load_timelines(session, delivery=d)) for d, _ in deliveries],
        }


def test_deliveries_read_by_workers_store_what_one_process_stores_into_an_empty_database_and_after(
    always_apart: None, engine: Engine, tmp_path: Path
):
    alone = make_engine(f"sqlite:///{tmp_path / 'alone.sqlite'}")
    upgrade(alone)
    for number, folder in enumerate((BAD, DATA / "damaged_lines", EXAMPLE)):
        # the first into an empty database: its rows are stored as the workers read them
        for target, workers in ((engine, 2), (alone, 1)):
            import_folder(target, folder, report_dir=tmp_path / f"{number}-{workers}", workers=workers)
    assert stored(engine) == stored(alone) and len(stored(alone)["deliveries"]) == 3
    assert rows_without_their_version(engine) == {}
