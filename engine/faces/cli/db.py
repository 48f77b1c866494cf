"""`fsm db`: the database schema."""

from typing import Annotated

import typer

from engine.faces.cli.common import app, console, database_url_shown

db_app = typer.Typer(
    help="The database schema (Alembic migrations); DATABASE_URL chooses the database.\n\nExample: fsm db upgrade"
)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Bring the database to the latest schema (or to REVISION), creating it if it does not exist.

    Example: DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test fsm db upgrade
    """
    from models.database import existing_engine, upgrade

    upgrade(existing_engine(create=True), revision)
    console.print(f"database {database_url_shown()} is at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "base") -> None:
    """Undo migrations down to REVISION (default: an empty database).

    Example: fsm db downgrade base
    """
    from models.database import downgrade, existing_engine

    downgrade(existing_engine(), revision)
    console.print(f"database {database_url_shown()} is at {revision}")
