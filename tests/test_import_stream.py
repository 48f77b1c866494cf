"""A delivery whose citizens are all new is stored while it is still being read (engine/input/
storing.py `Stream`); what it stores is exactly what storing it after the reading stores — rows,
versions and their digests, the delivery's checksum and files — rejects and all."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.input.delivery import scan
from engine.input.importing import import_folder
from engine.input.spool import Spool
from engine.input.storing import Stream, store_delivery
from engine.input.timelines import KINDS
from engine.synthetic.national import write_national
from models.db import CitizenVersion, Delivery, DeliveryFile


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A national delivery of 400 citizens with bad rows among the good: an unknown code, an
    overlap, a citizen not listed, a row cut short."""
    folder = tmp_path_factory.mktemp("stream") / "delivery"
    write_national(folder, 400, municipalities=4)
    support = folder / "support.csv"
    lines = support.read_text().splitlines()
    first = lines[1].split(",")
    lines += [
        f"{first[0]},no-such-support,2015-01-01,2015-02-01",
        ",".join(first),  # the first row again: it overlaps itself
        "010101-0000,kontanthjaelp,2015-01-01,",
        f"{first[0]},kontanthjaelp",
    ]
    support.write_text("\n".join(lines) + "\n")
    return folder


def stored(session: Session) -> dict[str, Any]:
    """Everything a delivery stores, without its number (a rolled-back one's is not reused on PostgreSQL)."""
    content: dict[str, Any] = {
        kind: sorted(session.execute(select(spec.table.citizen_id, *spec.columns())))
        for kind, spec in KINDS.items()
    }
    content["versions"] = sorted(
        session.execute(
            select(
                CitizenVersion.citizen_id,
                CitizenVersion.birth_date,
                CitizenVersion.death_date,
                CitizenVersion.digest,
            )
        )
    )
    content["delivery"] = list(session.execute(select(Delivery.checksum, Delivery.citizens)))
    content["files"] = sorted(
        session.execute(
            select(
                DeliveryFile.name,
                DeliveryFile.sha256,
                DeliveryFile.rows_read,
                DeliveryFile.accepted,
                DeliveryFile.rejected,
            )
        )
    )
    return content


def test_a_delivery_of_new_citizens_streamed_stores_what_storing_it_after_reading_stores(
    engine: Engine, delivery: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    batches: list[str] = []
    add = Stream.add
    monkeypatch.setattr(
        Stream, "add", lambda stream, label, batch: (batches.append(label), add(stream, label, batch))
    )
    with Spool() as rows, Spool() as rejects, Session(engine) as session:
        found = scan(delivery, rows, rejects)  # no one told of the citizens: every row spooled
        with session.begin():
            after_reading = store_delivery(session, found, rows)
            spooled = stored(session)
            session.rollback()
    streamed = import_folder(engine, delivery, report_dir=tmp_path / "report")
    with Session(engine) as session:
        assert stored(session) == spooled
    assert spooled["support"] and found.rejected == 4 and "support" in batches  # streamed
    assert (streamed.stored.changed, streamed.stored.unchanged) == (after_reading.changed, 0) == (400, 0)
    assert (
        streamed.summary["rejected"] == 4
        and (tmp_path / "report" / "rejects.csv").read_text().count("\n") == 5
    )


def test_a_delivery_with_a_known_citizen_is_stored_after_reading(
    engine: Engine, delivery: Path, tmp_path: Path
):
    first = import_folder(engine, delivery, report_dir=tmp_path / "1")
    again = import_folder(engine, delivery, report_dir=tmp_path / "2")
    assert (first.stored.new, again.stored.new, again.stored.delivery_id) == (
        True,
        False,
        first.stored.delivery_id,
    )
