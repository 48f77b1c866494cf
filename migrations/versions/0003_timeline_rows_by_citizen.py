"""timeline rows indexed by citizen first, so that a range of citizens reads as one index scan

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMELINE_TABLES = ("residence", "support", "match", "programmes", "visitations", "activities", "exemptions")


def upgrade() -> None:
    for table in TIMELINE_TABLES:
        op.drop_index(f"ix_{table}_version", table_name=table)
        op.create_index(f"ix_{table}_citizen", table, ["citizen_id", "delivery_id"])


def downgrade() -> None:
    for table in TIMELINE_TABLES:
        op.drop_index(f"ix_{table}_citizen", table_name=table)
        op.create_index(f"ix_{table}_version", table, ["delivery_id", "citizen_id"])
