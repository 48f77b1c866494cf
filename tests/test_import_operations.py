"""`fsm import` as operators run it, as real processes: two imports of one delivery at once store
it once, a wait for another import past PostgreSQL's lock timeout is "busy", and a report that
cannot be written — the disk full — imports nothing, so no reject is lost from view."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from engine.faces.cli.failures import Status
from engine.input.storing import IMPORT_LOCK
from engine.synthetic.national import write_national
from models.database import make_engine
from models.db import CitizenVersion, Delivery
from tests.cli_processes import finish, fsm, needs_mount_namespaces, start

DATA = Path(__file__).parent / "data"


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


@pytest.fixture(scope="module")
def national_delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("national") / "delivery"
    write_national(folder, 3000, municipalities=10)
    return folder


def test_two_imports_of_the_same_delivery_at_once_store_it_once_and_the_other_says_so(
    engine: Engine, national_delivery: Path, tmp_path: Path
):
    url = url_of(engine)
    both = [start(["import", str(national_delivery), "--report-dir", f"r{i}"], url, tmp_path) for i in (1, 2)]
    ended = [finish(process) for process in both]
    assert [e.status for e in ended] == [0, 0], [e.err for e in ended]
    said = sorted(e.out.splitlines()[0].split(": ", 1)[1].split(";")[0] for e in ended)
    assert said == ["already imported as delivery 1", "imported as delivery 1"]
    assert (count(engine, Delivery), count(engine, CitizenVersion)) == (1, 3000)


def test_two_deliveries_imported_at_once_are_stored_one_after_the_other(
    engine: Engine, national_delivery: Path, tmp_path: Path
):
    url = url_of(engine)
    example = Path(__file__).parent.parent / "examples" / "delivery"
    both = [
        start(["import", str(f), "--report-dir", f"r{i}"], url, tmp_path)
        for i, f in enumerate((national_delivery, example))
    ]
    ended = [finish(process) for process in both]
    assert [e.status for e in ended] == [0, 0], [e.err for e in ended]
    assert (count(engine, Delivery), count(engine, CitizenVersion)) == (2, 3016)


def test_an_import_kept_waiting_past_postgresqls_lock_timeout_is_busy_and_stores_nothing(
    request: pytest.FixtureRequest, tmp_path: Path
):
    from tests.conftest import fresh_database

    with fresh_database(request, "postgresql", tmp_path) as blank:
        url = url_of(blank)
        assert fsm(["db", "upgrade"], url, tmp_path).status == 0
        holder = make_engine(url).connect()
        holder.execute(
            text("select pg_advisory_lock(:key, hashtext(current_schema()))"), {"key": IMPORT_LOCK}
        )
        try:
            waiting = url.replace("?options=", "?options=-clock_timeout%3D500%20")
            ended = fsm(
                ["import", str(DATA / "bad_rows_of_every_kind"), "--report-dir", "r"], waiting, tmp_path
            )
        finally:
            holder.close()
        assert ended.status == Status.BUSY
        assert "is busy (canceling statement due to lock timeout)" in ended.one_line_error()
        assert count(blank, Delivery) == 0 and not (tmp_path / "r").exists()


def test_a_report_on_a_full_disk_imports_nothing_and_the_next_attempt_reports_every_reject(tmp_path: Path):
    needs_mount_namespaces()
    full = tmp_path / "full"
    full.mkdir()
    database = tmp_path / "fsm.sqlite"
    delivery = DATA / "bad_rows_of_every_kind"
    ended = fsm(
        ["import", str(delivery), "--report-dir", str(full / "report")],
        f"sqlite:///{database}",
        tmp_path,
        shell=f"mount -t tmpfs -o size=64k tmpfs {full} && (dd if=/dev/zero of={full}/filler bs=4k 2>/dev/null; true)",
    )
    assert ended.status == Status.DISK_FULL, ended.err
    assert "no space left" in ended.one_line_error()
    engine = make_engine(f"sqlite:///{database}")
    assert count(engine, Delivery) == 0
    again = fsm(["import", str(delivery), "--report-dir", "report"], f"sqlite:///{database}", tmp_path)
    assert again.status == Status.REJECTED and ": imported as delivery 1;" in again.out
    assert len((tmp_path / "report" / "rejects.csv").read_text().splitlines()) == 1 + 28
