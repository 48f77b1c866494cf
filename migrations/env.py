"""Alembic environment: the engine comes from models.database (never from an alembic.ini)."""

from alembic import context
from sqlalchemy import Engine

import models.runs  # noqa: F401 - registers the run tables on Base.metadata
from models.database import engine_from_env
from models.db import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    engine: Engine = context.config.attributes.get("engine") or engine_from_env()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
