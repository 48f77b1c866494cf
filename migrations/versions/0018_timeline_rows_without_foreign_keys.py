"""timeline rows without a foreign key to their citizen version: a delivery's rows load in bulk

On PostgreSQL a foreign key is checked by a trigger per inserted row; on the national delivery
(~1.05 M rows) those checks took 4.5 of an import's 12 s, more than the rows themselves. An import
writes a citizen's version and their rows together, from one reading, in one transaction
(engine/input/storing.py), and nothing deletes a version: the key could never fail. The tests
check after every import that each row has its version.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMELINE_TABLES = ("residence", "support", "match", "programmes", "visitations", "activities", "exemptions")


def upgrade() -> None:
    for table in TIMELINE_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_citizen_versions", type_="foreignkey")


def downgrade() -> None:
    for table in TIMELINE_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                f"fk_{table}_citizen_versions",
                "citizen_versions",
                ["delivery_id", "citizen_id"],
                ["delivery_id", "citizen_id"],
            )
