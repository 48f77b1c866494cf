"""Migrations: one head, upgrade from empty, downgrade to base, and models that match the migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

import models.runs  # noqa: F401 - the run tables belong to the metadata too
from models.database import alembic_config, downgrade, upgrade
from models.db import Base


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
    foreign_keys = inspect(blank).get_foreign_keys("support")
    assert [fk["name"] for fk in foreign_keys] == ["fk_support_citizen_versions"]
    assert inspect(blank).get_pk_constraint("deliveries")["name"] in (
        "pk_deliveries",
        None,
    )  # SQLite forgets PK names
