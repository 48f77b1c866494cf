"""The data a simulation starts from, read without writing anything: the data a finished run read
(the latest, or a run by id: its delivery's timelines, grant and grant years as known after that
delivery), or a delivery folder read and validated in memory, with no database at all.
"""

import os
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.faces.simulate.loading import LoadedScenario, Problem
from engine.faces.simulate.scenario import BaseRef
from engine.input.delivery import DeliveryError, read_delivery
from engine.input.timelines import load_grant_years, load_grants, load_timelines
from models.database import alembic_config, database_url, make_engine
from models.domain import CitizenTimeline, Grant, GrantYear
from models.runs import Run


@dataclass(frozen=True)
class BaseData:
    """One municipality's data to simulate on, and where it came from."""

    origin: dict[str, Any]
    """For the outputs: `{"run": 3, "delivery": 1, "run_as_of": ...}` or `{"folder": ..., "checksum": ...}`."""
    grant: Grant
    grant_years: tuple[GrantYear, ...]
    timelines: tuple[CitizenTimeline, ...]
    """Every citizen who ever lived in the municipality, in ascending citizen id order."""
    as_of: date | None
    """The run's as-of date (None for a delivery folder)."""
    pack_hash: str | None = None
    """The content hash of the pack the run used."""
    warnings: tuple[str, ...] = ()


class Keeps(Protocol):
    """Where base data read from a database are kept between simulations (kept.py)."""

    def base(self, key: Hashable, load: Callable[[], BaseData]) -> BaseData: ...


def load_base(
    loaded: LoadedScenario, database: Callable[[], Engine] | None = None, kept: Keeps | None = None
) -> BaseData:
    """The scenario's base data: a delivery folder (relative to the scenario file) or a run's data from
    `database()` (default: DATABASE_URL's), kept in `kept` when given; raises ScenarioError naming
    the line of `base`."""
    scenario, source = loaded.scenario, loaded.source
    try:
        if scenario.base.folder is not None:
            folder = Path(os.path.normpath(source.directory / scenario.base.folder))
            return from_folder(folder, scenario.municipality, scenario.programme)
        return from_database(
            (database or existing_database)(),
            scenario.base,
            scenario.municipality,
            scenario.programme,
            kept,
        )
    except Problem as problem:
        raise source.error([problem]) from None


def existing_database() -> Engine:
    """The database of DATABASE_URL (default: fsm.sqlite here), which must exist: a simulation never creates one."""
    url = make_url(database_url())
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        raise Problem(
            ("base",),
            f"there is no database {url.database or '(in memory)'}: import a delivery and run `fsm run` "
            "first, or give a delivery folder as base",
        )
    return make_engine(url.render_as_string(hide_password=False))


@contextmanager
def read_only(engine: Engine) -> Iterator[Session]:
    """A session the database itself refuses to write with (a READ ONLY transaction on PostgreSQL,
    `query_only` on SQLite); nothing is ever committed. The session has one connection of its own:
    SQLite's `query_only` belongs to the connection, and is turned off on that very connection before
    it goes back to the pool (a session left to itself could give it back and turn it off on another)."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        connection.execute(text("PRAGMA query_only = ON" if sqlite else "SET TRANSACTION READ ONLY"))
        try:
            with Session(bind=connection) as session:
                yield session
        finally:
            connection.rollback()
            if sqlite:
                connection.execute(text("PRAGMA query_only = OFF"))
                connection.rollback()


def from_database(
    engine: Engine, ref: BaseRef, municipality: str, programme: str, kept: Keeps | None = None
) -> BaseData:
    """The data a run read: `ref.run`, or the latest finished run of the programme (kept in `kept`)."""
    try:
        with read_only(engine) as session:
            _check_schema(session)
            run = _run(session, ref, programme)
            if run.delivery_id is None:
                raise Problem(("base",), f"run {run.id} read no delivery: there is no data to simulate on")
            if kept is None:
                return _run_data(session, run, municipality, programme)
            key = (engine.url.render_as_string(), run.id, run.started_at, municipality, programme)
            return kept.base(key, lambda: _run_data(session, run, municipality, programme))
    except SQLAlchemyError as error:
        reason = str(error).splitlines()[0]
        raise Problem(
            ("base",), f"cannot read the database {engine.url.render_as_string()}: {reason}"
        ) from None


def _run_data(session: Session, run: Run, municipality: str, programme: str) -> BaseData:
    assert run.delivery_id is not None
    grant = _grant(load_grants(session, delivery=run.delivery_id, programme=programme), municipality)
    years = [
        y
        for y in load_grant_years(session, delivery=run.delivery_id, programme=programme)
        if y.municipality == municipality
    ]
    timelines = load_timelines(session, delivery=run.delivery_id, municipality=municipality)
    return BaseData(
        origin={"run": run.id, "delivery": run.delivery_id, "run_as_of": run.as_of.isoformat()},
        grant=grant,
        grant_years=tuple(years),
        timelines=tuple(sorted(timelines, key=lambda t: t.citizen_id)),  # Python's order, not the collation's
        as_of=run.as_of,
        pack_hash=run.pack_hash,
    )


def _check_schema(session: Session) -> None:
    """The database must be at the schema this product reads (a simulation never migrates it)."""
    from alembic.runtime.migration import MigrationContext  # alembic: only when a simulation reads a database
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(session.connection()).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(None)).get_current_head()
    if current != head:
        raise Problem(
            ("base",),
            f"the database is at schema {current or 'none (empty)'}, this product reads {head}: run `fsm db upgrade` first",
        )


def _run(session: Session, ref: BaseRef, programme: str) -> Run:
    if ref.run is not None:
        run = session.get(Run, ref.run)
        if run is None:
            raise Problem(("base",), f"there is no run {ref.run}")
    else:
        run = session.scalars(
            select(Run)
            .where(Run.status == "finished", Run.programme == programme)
            .order_by(Run.id.desc())
            .limit(1)
        ).first()
        if run is None:
            raise Problem(("base",), f"no {programme} run has finished yet: start one with `fsm run`")
    if run.status != "finished":
        raise Problem(("base",), f"run {run.id} is {run.status}, not finished")
    if run.programme != programme:
        raise Problem(("base",), f"run {run.id} is a {run.programme} run, the scenario is {programme}")
    return run


def _grant(grants: list[Grant], municipality: str) -> Grant:
    for grant in grants:
        if grant.municipality == municipality:
            return grant
    raise Problem(("municipality",), f"municipality {municipality} has no grant in the base data")


def from_folder(folder: Path, municipality: str, programme: str) -> BaseData:
    """A delivery folder, read and validated in memory (SPEC section 3); rejected rows are left out."""
    try:
        content = read_delivery(folder)
    except DeliveryError as error:
        raise Problem(("base",), str(error)) from None
    grant = _grant([g for g in content.grants if g.programme == programme], municipality)
    timelines = [
        CitizenTimeline.model_validate({"citizen_id": citizen_id, **records})
        for citizen_id, records in sorted(content.citizens.items())
        if any(r.municipality == municipality for r in records.get("residence", ()))
    ]
    warnings = []
    if content.rejects:
        warnings.append(
            f"the delivery folder has {len(content.rejects)} rejected rows (see `fsm import`); they are left out"
        )
    return BaseData(
        origin={"folder": str(folder), "checksum": content.checksum},
        grant=grant,
        grant_years=tuple(
            y for y in content.grant_years if y.municipality == municipality and y.programme == programme
        ),
        timelines=tuple(timelines),
        as_of=None,
        warnings=tuple(warnings),
    )
