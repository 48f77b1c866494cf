"""Migrations: one head, upgrade from empty, downgrade to base, and models that match the migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, Engine, inspect, select, text
from sqlalchemy.orm import Session

import models.access  # noqa: F401 - the access log belongs to the metadata too
import models.runs  # noqa: F401 - the run tables belong to the metadata too
import models.scenarios  # noqa: F401 - the saved scenarios too
import models.verifications  # noqa: F401 - the replay checks belong to the metadata too
from models.database import alembic_config, downgrade, upgrade
from models.db import Base
from models.runs import StoredDecision


def test_the_migrations_have_a_single_head():
    script = ScriptDirectory.from_config(alembic_config(None))
    assert len(script.get_heads()) == 1


def test_an_empty_database_upgrades_to_head_with_every_table(blank: Engine):
    upgrade(blank)
    tables = set(inspect(blank).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_the_models_and_the_migrations_agree(blank: Engine):
    upgrade(blank)
    with blank.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_leaves_no_table_and_upgrade_works_again(blank: Engine):
    upgrade(blank)
    downgrade(blank, "base")
    assert set(inspect(blank).get_table_names()) <= {"alembic_version"}
    upgrade(blank)
    assert "decisions" in inspect(blank).get_table_names()


def test_constraint_names_follow_the_naming_convention(blank: Engine):
    upgrade(blank)
    foreign_keys = inspect(blank).get_foreign_keys("delivery_files")
    assert [fk["name"] for fk in foreign_keys] == ["fk_delivery_files_delivery_id_deliveries"]
    assert inspect(blank).get_pk_constraint("deliveries")["name"] in (
        "pk_deliveries",
        None,
    )  # SQLite forgets PK names


def test_upgrading_a_database_with_deliveries_stamps_the_superseded_versions(blank: Engine):
    upgrade(blank, "0001")
    with blank.begin() as connection:
        _deliveries(connection, ((1, "a"), (2, "b"), (3, "c")))
        for delivery, citizen in ((1, "A"), (1, "B"), (2, "A"), (3, "A")):
            connection.execute(
                text("insert into citizen_versions (delivery_id, citizen_id) values (:d, :c)"),
                {"d": delivery, "c": citizen},
            )
        connection.execute(  # a row that refers to a version: SQLite's batch copy must keep it
            text(
                "insert into support (delivery_id, citizen_id, from_date, support)"
                " values (1, 'A', '2010-01-01', 'kontanthjaelp')"
            )
        )
    upgrade(blank)
    with blank.connect() as connection:
        stamps = set(
            connection.execute(text("select delivery_id, citizen_id, superseded_by from citizen_versions"))
        )
        assert stamps == {(1, "A", 2), (1, "B", None), (2, "A", 3), (3, "A", None)}
        assert connection.execute(text("select count(*) from support")).scalar() == 1
        if blank.dialect.name == "sqlite":
            assert connection.execute(text("pragma foreign_key_check")).all() == []
            assert connection.execute(text("pragma foreign_keys")).scalar() == 1


def test_decisions_stored_before_evidence_keep_their_facts_and_verdicts_both_ways(blank: Engine):
    upgrade(blank, "0004")
    verdicts, facts = '{"fsm1.alive": true}', '{"alive_on_cutoff": true}'
    with blank.begin() as connection:
        _a_finished_run(connection)
        for decision, trace in (("fsm1.membership", None), ("fsm1.rate2", "[]")):
            connection.execute(
                text(
                    "insert into decisions (run_id, municipality, citizen_id, decision, day, outcome,"
                    " verdicts, facts, trace) values (1, '851', 'A', :decision, '2016-12-31', true,"
                    " :verdicts, :facts, :trace)"
                ),
                {"decision": decision, "verdicts": verdicts, "facts": facts, "trace": trace},
            )
    upgrade(blank)
    with Session(blank) as session:
        stored = session.scalars(select(StoredDecision).order_by(StoredDecision.id)).all()
        assert [(d.decision, d.verdicts, d.facts, d.trace) for d in stored] == [
            ("fsm1.membership", {"fsm1.alive": True}, {"alive_on_cutoff": True}, None),
            ("fsm1.rate2", {"fsm1.alive": True}, {"alive_on_cutoff": True}, []),
        ]
    downgrade(blank, "0004")
    with blank.connect() as connection:
        rows = connection.execute(
            text("select verdicts, facts from decisions order by id").columns(verdicts=JSON, facts=JSON)
        ).all()
    assert [tuple(row) for row in rows] == [({"fsm1.alive": True}, {"alive_on_cutoff": True})] * 2


def test_a_triggered_rate_1_stored_with_the_as_of_date_gets_its_trigger_date_and_back(blank: Engine):
    upgrade(blank, "0005")
    trace = '[{"rule": "fsm1.rate1.approved", "facts": {"approved_on": "2017-06-20", "as_of": "2018-03-02"}}]'
    with blank.begin() as connection:
        _a_finished_run(connection)
        connection.execute(
            text("insert into evidence (run_id, id, verdicts, facts) values (1, 0, '{}', '{}')")
        )
        connection.execute(
            text(
                "insert into decisions (run_id, municipality, decision, day, outcome, value, trace, evidence_id)"
                " values (1, '851', 'fsm1.rate1', '2018-03-02', true, '2018-03-02', :trace, 0)"
            ),
            {"trace": trace},
        )
    value = text("select value from decisions")
    upgrade(blank)
    with blank.connect() as connection:
        assert connection.execute(value).scalar() == "2017-06-20"
    downgrade(blank, "0005")
    with blank.connect() as connection:
        assert connection.execute(value).scalar() == "2018-03-02"


def _a_finished_run(connection: Connection) -> None:
    """Run 1, finished, with its rule pack (its decisions are the caller's)."""
    connection.execute(
        text(
            "insert into rule_packs (content_hash, programme, version, files) values ('h', 'fsm1', '1', '{}')"
        )
    )
    connection.execute(
        text(
            "insert into runs (id, programme, as_of, pack_hash, started_at, status, citizens, members,"
            " decisions) values (1, 'fsm1', '2018-03-02', 'h', '2018-03-02 00:00:00', 'finished', 0, 0, 0)"
        )
    )


def test_deliveries_re_sent_on_purpose_keep_their_ids_when_the_checksum_becomes_unique_again(blank: Engine):
    upgrade(blank)
    with blank.begin() as connection:
        _deliveries(connection, ((1, "same"), (2, "other"), (3, "same")))
    downgrade(blank, "0007")
    with blank.connect() as connection:
        found = connection.execute(text("select id, checksum from deliveries order by id")).all()
    assert [tuple(row) for row in found] == [(1, "same"), (2, "other"), (3, "resent-3")]
    upgrade(blank)


def _deliveries(connection: Connection, deliveries: tuple[tuple[int, str], ...]) -> None:
    """Delivery rows (id, checksum) as any revision has them."""
    for delivery, checksum in deliveries:
        connection.execute(
            text(
                "insert into deliveries (id, imported_at, source, checksum, citizens)"
                " values (:id, '2018-01-01 00:00:00', 'x', :checksum, 0)"
            ),
            {"id": delivery, "checksum": checksum},
        )
