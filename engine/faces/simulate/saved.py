"""Saved scenarios (models/scenarios.py): save, list, open, change, share, copy and delete, for the
acting user within the municipalities they may see. Every function takes the session (the caller
commits) and keyword-only arguments, and checks before it reads or writes:

- a scenario of a municipality the user may not see does not exist for them (ScenarioNotFound, the
  same as a key that was never given out: nothing tells a guesser that a key is in use);
- an unshared scenario exists for its owner only;
- a shared one may be opened and copied by everyone who may see its municipality, and changed,
  shared or deleted by its owner only (Refused);
- a document is saved only when it is a scenario (Invalid, with every problem), and only for a
  municipality the user may see (Refused).

Returned records are frozen copies, never the rows themselves.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.faces.simulate.api import Every, Municipalities, Refused, read_scenario
from engine.faces.simulate.roundtrip import form_document
from models.scenarios import StoredScenario


class ScenarioNotFound(LookupError):
    """No scenario of that key the user may open."""


class NotOwner(Refused):
    """The scenario is another user's: it may be opened and copied, not changed."""


@dataclass(frozen=True)
class SavedScenario:
    key: str
    owner: str
    municipality: str
    programme: str
    title: str | None
    document: Mapping[str, Any]
    """The scenario document (the form's JSON; roundtrip.form_document)."""
    shared: bool
    created_at: datetime
    updated_at: datetime

    def json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "owner": self.owner,
            "municipality": self.municipality,
            "programme": self.programme,
            "title": self.title,
            "document": dict(self.document),
            "shared": self.shared,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def _record(row: StoredScenario) -> SavedScenario:
    return SavedScenario(
        key=row.key,
        owner=row.owner,
        municipality=row.municipality,
        programme=row.programme,
        title=row.title,
        document=row.document,
        shared=row.shared,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
    )


def _utc(moment: datetime) -> datetime:
    """A stored time in UTC (SQLite gives it back without its time zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _document(document: Mapping[str, Any], municipalities: Municipalities) -> dict[str, Any]:
    """The document as saved (its canonical form), when it is a scenario of a municipality the user may see."""
    loaded, _ = read_scenario(document)  # raises Invalid
    if loaded.scenario.municipality not in municipalities:
        raise Refused(f"municipality {loaded.scenario.municipality} is not among those you may see")
    return form_document(loaded.scenario)


def _now() -> datetime:
    return datetime.now(UTC)


def save_scenario(
    session: Session,
    *,
    user: str,
    municipalities: Municipalities,
    document: Mapping[str, Any],
    shared: bool = False,
) -> SavedScenario:
    """A new scenario of `user`'s, unshared unless asked; its title is the document's."""
    saved = _document(document, municipalities)
    now = _now()
    row = StoredScenario(
        key=secrets.token_urlsafe(18),
        owner=user,
        municipality=saved["municipality"],
        programme=saved["programme"],
        title=saved.get("title"),
        document=saved,
        shared=shared,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _record(row)


def _visible(municipalities: Municipalities, user: str) -> Any:
    """The rows `user` may open: their own and the shared ones, of municipalities they may see."""
    mine_or_shared = or_(StoredScenario.owner == user, StoredScenario.shared.is_(True))
    if isinstance(municipalities, Every):
        return mine_or_shared
    return mine_or_shared & StoredScenario.municipality.in_(sorted(municipalities))


def _row(session: Session, key: str, user: str, municipalities: Municipalities) -> StoredScenario:
    row = session.scalars(
        select(StoredScenario).where(StoredScenario.key == key, _visible(municipalities, user))
    ).first()
    if row is None:
        raise ScenarioNotFound(f"there is no scenario {key!r} you may open")
    return row


def _owned(session: Session, key: str, user: str, municipalities: Municipalities) -> StoredScenario:
    row = _row(session, key, user, municipalities)
    if row.owner != user:
        raise NotOwner(f"scenario {key!r} is {row.owner}'s: only its owner may change it (copy it instead)")
    return row


def list_scenarios(
    session: Session,
    *,
    user: str,
    municipalities: Municipalities,
    municipality: str | None = None,
    programme: str | None = None,
) -> list[SavedScenario]:
    """The scenarios `user` may open (their own and the shared ones), newest change first."""
    query = select(StoredScenario).where(_visible(municipalities, user))
    if municipality is not None:
        query = query.where(StoredScenario.municipality == municipality)
    if programme is not None:
        query = query.where(StoredScenario.programme == programme)
    rows = session.scalars(query.order_by(StoredScenario.updated_at.desc(), StoredScenario.id.desc()))
    return [_record(row) for row in rows]


def get_scenario(session: Session, *, key: str, user: str, municipalities: Municipalities) -> SavedScenario:
    return _record(_row(session, key, user, municipalities))


def update_scenario(
    session: Session,
    *,
    key: str,
    user: str,
    municipalities: Municipalities,
    document: Mapping[str, Any],
) -> SavedScenario:
    """The owner's new document for the scenario (its title the document's)."""
    row = _owned(session, key, user, municipalities)
    saved = _document(document, municipalities)
    row.document, row.title = saved, saved.get("title")
    row.municipality, row.programme = saved["municipality"], saved["programme"]
    row.updated_at = _now()
    session.flush()
    return _record(row)


def share_scenario(
    session: Session, *, key: str, user: str, municipalities: Municipalities, shared: bool
) -> SavedScenario:
    """Shared: others who may see the municipality can open it by its key; unshared: only its owner."""
    row = _owned(session, key, user, municipalities)
    row.shared, row.updated_at = shared, _now()
    session.flush()
    return _record(row)


def copy_scenario(
    session: Session, *, key: str, user: str, municipalities: Municipalities, title: str | None = None
) -> SavedScenario:
    """A copy of a scenario `user` may open, now theirs and unshared (with `title`, if given)."""
    found = _row(session, key, user, municipalities)
    document = dict(found.document)
    if title is not None:
        document["title"] = title
    return save_scenario(session, user=user, municipalities=municipalities, document=document)


def delete_scenario(session: Session, *, key: str, user: str, municipalities: Municipalities) -> None:
    session.delete(_owned(session, key, user, municipalities))
    session.flush()
