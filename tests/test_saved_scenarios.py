"""Saved scenarios on SQLite and PostgreSQL, tried as the users they are for and as those they are
not: the owner saves, lists, changes, shares, copies and deletes; others who may see the municipality
open and copy only what is shared; nobody else learns a scenario exists, whatever key they try."""

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from engine.faces.simulate.api import EVERY, Invalid, Refused, simulate_document
from engine.faces.simulate.saved import (
    ScenarioNotFound,
    copy_scenario,
    delete_scenario,
    get_scenario,
    list_scenarios,
    save_scenario,
    share_scenario,
    update_scenario,
)
from models.scenarios import StoredScenario
from tests.simulations import fingerprint

AALBORG = {"851"}
DOCUMENT = {
    "title": "visitate the rest",
    "municipality": "851",
    "base": "latest",
    "as_of": "2019-07-31",
    "changes": [{"op": "visitate", "count": "all", "date": "2018-05-31", "group": "1", "only_active": True}],
}


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session, session.begin():
        yield session


def saved_by_anna(session: Session, **changes) -> str:
    return save_scenario(session, user="anna", municipalities=AALBORG, document={**DOCUMENT, **changes}).key


def test_a_saved_scenario_is_its_owners_under_an_unguessable_key_in_its_canonical_form(session: Session):
    with freeze_time("2026-12-02 09:00:00"):
        saved = save_scenario(
            session, user="anna", municipalities=AALBORG, document={**DOCUMENT, "municipality": 851}
        )
    assert (saved.owner, saved.municipality, saved.programme, saved.title, saved.shared) == (
        "anna",
        "851",
        "fsm1",
        "visitate the rest",
        False,
    )
    assert saved.created_at == saved.updated_at == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert saved.document == {**DOCUMENT, "programme": "fsm1"}  # as the form is filled (form_document)
    assert len(saved.key) >= 22 and saved.key.replace("-", "").replace("_", "").isalnum()
    keys = {saved_by_anna(session) for _ in range(20)} | {saved.key}
    assert len(keys) == 21
    assert get_scenario(session, key=saved.key, user="anna", municipalities=AALBORG) == saved
    assert saved.json()["created_at"] == "2026-12-02T09:00:00+00:00"


def test_an_unshared_scenario_does_not_exist_for_anyone_else(session: Session):
    key = saved_by_anna(session)
    for user, municipalities in (("bo", AALBORG), ("bo", EVERY), ("anna", {"657"})):
        with pytest.raises(ScenarioNotFound):
            get_scenario(session, key=key, user=user, municipalities=municipalities)
        with pytest.raises(ScenarioNotFound):
            copy_scenario(session, key=key, user=user, municipalities=municipalities)
        with pytest.raises(ScenarioNotFound):
            update_scenario(session, key=key, user=user, municipalities=municipalities, document=DOCUMENT)
        with pytest.raises(ScenarioNotFound):
            delete_scenario(session, key=key, user=user, municipalities=municipalities)
        assert list_scenarios(session, user=user, municipalities=municipalities) == []


def test_a_shared_scenario_opens_and_copies_for_those_who_see_its_municipality_and_changes_for_its_owner_only(
    session: Session,
):
    key = saved_by_anna(session)
    share_scenario(session, key=key, user="anna", municipalities=AALBORG, shared=True)
    seen = get_scenario(session, key=key, user="bo", municipalities=AALBORG)
    assert seen.shared and seen.owner == "anna"
    with pytest.raises(ScenarioNotFound):  # bo may not see Aalborg: it does not exist for him
        get_scenario(session, key=key, user="bo", municipalities={"657"})
    for change in (
        lambda: update_scenario(session, key=key, user="bo", municipalities=AALBORG, document=DOCUMENT),
        lambda: share_scenario(session, key=key, user="bo", municipalities=AALBORG, shared=False),
        lambda: delete_scenario(session, key=key, user="bo", municipalities=AALBORG),
    ):
        with pytest.raises(Refused, match="only its owner may change it"):
            change()
    copy = copy_scenario(session, key=key, user="bo", municipalities=AALBORG, title="bo's try")
    assert (copy.owner, copy.shared, copy.title, copy.document["title"]) == (
        "bo",
        False,
        "bo's try",
        "bo's try",
    )
    assert copy.key != key and copy.document["changes"] == seen.document["changes"]
    assert [s.key for s in list_scenarios(session, user="bo", municipalities=AALBORG)] == [copy.key, key]
    share_scenario(session, key=key, user="anna", municipalities=AALBORG, shared=False)
    with pytest.raises(ScenarioNotFound):
        get_scenario(session, key=key, user="bo", municipalities=AALBORG)
    assert get_scenario(session, key=copy.key, user="bo", municipalities=AALBORG).owner == "bo"


def test_the_owner_changes_and_deletes_and_the_list_is_newest_first_by_municipality_and_programme(
    session: Session,
):
    with freeze_time("2026-12-01"):
        first = saved_by_anna(session)
    with freeze_time("2026-12-02"):
        second = saved_by_anna(session, title="the second")
        herning = save_scenario(
            session,
            user="anna",
            municipalities={"851", "657"},
            document={"municipality": "657", "programme": "fsm2", "changes": []},
        ).key
    with freeze_time("2026-12-03"):
        changed = update_scenario(
            session, key=first, user="anna", municipalities=AALBORG, document={**DOCUMENT, "title": "changed"}
        )
    assert (changed.title, changed.updated_at.day, changed.created_at.day) == ("changed", 3, 1)
    both = {"851", "657"}
    assert [s.key for s in list_scenarios(session, user="anna", municipalities=both)] == [
        first,
        herning,
        second,
    ]
    assert [s.key for s in list_scenarios(session, user="anna", municipalities=both, municipality="657")] == [
        herning
    ]
    assert [s.key for s in list_scenarios(session, user="anna", municipalities=both, programme="fsm1")] == [
        first,
        second,
    ]
    assert [s.key for s in list_scenarios(session, user="anna", municipalities=AALBORG)] == [first, second]
    delete_scenario(session, key=second, user="anna", municipalities=AALBORG)
    with pytest.raises(ScenarioNotFound):
        get_scenario(session, key=second, user="anna", municipalities=AALBORG)
    assert session.scalar(select(func.count()).select_from(StoredScenario)) == 2


def test_only_scenarios_of_municipalities_the_user_may_see_are_saved_and_only_scenarios_at_all(
    session: Session,
):
    with pytest.raises(Refused):
        save_scenario(session, user="anna", municipalities={"657"}, document=DOCUMENT)
    key = saved_by_anna(session)
    with pytest.raises(Refused):  # moving one's scenario to a municipality one may not see
        update_scenario(
            session,
            key=key,
            user="anna",
            municipalities=AALBORG,
            document={**DOCUMENT, "municipality": "657"},
        )
    with pytest.raises(Invalid) as raised:
        save_scenario(
            session, user="anna", municipalities=AALBORG, document={**DOCUMENT, "changes": [{"op": "visit"}]}
        )
    assert [(p["change"], p["field"]) for p in raised.value.problems] == [(0, "op")]
    with pytest.raises(Invalid, match="a delivery folder cannot be the base here"):
        save_scenario(
            session, user="anna", municipalities=AALBORG, document={**DOCUMENT, "base": "../delivery"}
        )
    assert session.scalar(select(func.count()).select_from(StoredScenario)) == 1


def test_guessing_keys_finds_nothing(session: Session):
    saved_by_anna(session)
    share_scenario(session, key=saved_by_anna(session), user="anna", municipalities=AALBORG, shared=True)
    for guess in [secrets.token_urlsafe(18) for _ in range(50)] + ["1", "2", "", "%", "' or '1'='1"]:
        with pytest.raises(ScenarioNotFound):
            get_scenario(session, key=guess, user="mallory", municipalities=EVERY)


def test_a_saved_scenario_simulates_and_the_simulation_writes_nothing(stored_runs: Engine):
    with Session(stored_runs) as session, session.begin():
        saved = save_scenario(session, user="anna", municipalities=AALBORG, document={**DOCUMENT, "base": 1})
    before = fingerprint(stored_runs)
    with Session(stored_runs) as session:
        document = get_scenario(session, key=saved.key, user="anna", municipalities=AALBORG).document
    found = simulate_document(document, database=stored_runs, municipalities=AALBORG)
    assert found["simulation"]["title"] == "visitate the rest" and found["scenario"]["rates"][1]["triggered"]
    assert fingerprint(stored_runs) == before
    with Session(stored_runs) as session, session.begin():
        delete_scenario(session, key=saved.key, user="anna", municipalities=AALBORG)
