"""Alembic environment: the engine comes from models.database (never from an alembic.ini)."""

from alembic import context
from sqlalchemy import Engine

import models.access  # noqa: F401 - registers users, sessions, tokens and the access log on Base.metadata
import models.runs  # noqa: F401 - registers the run tables on Base.metadata
import models.scenarios  # noqa: F401 - registers the saved scenarios on Base.metadata
import models.verifications  # noqa: F401 - registers the replay checks on Base.metadata
from models.database import engine_from_env, lock_schema
from models.db import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    engine: Engine = context.config.attributes.get("engine") or engine_from_env()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the old one; with foreign keys on, SQLite would
            # refuse to drop a table other rows refer to. The pragma only works outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        lock_schema(connection)  # the migration's transaction; Alembic reads the revision inside it
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run_migrations()
