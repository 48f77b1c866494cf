"""citizen versions know the delivery that superseded them; residence indexed by municipality

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:41:42.552928
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each version is superseded by the next delivery that listed the same citizen.
BACKFILL = """
update citizen_versions set superseded_by = (
    select min(later.delivery_id) from citizen_versions as later
    where later.citizen_id = citizen_versions.citizen_id
      and later.delivery_id > citizen_versions.delivery_id
)
"""


def upgrade() -> None:
    with op.batch_alter_table("citizen_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
        batch_op.create_index("ix_citizen_versions_current", ["superseded_by", "citizen_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_citizen_versions_superseded_by_deliveries"),
            "deliveries",
            ["superseded_by"],
            ["id"],
        )
    op.execute(BACKFILL)

    with op.batch_alter_table("residence", schema=None) as batch_op:
        batch_op.create_index("ix_residence_municipality", ["municipality"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("residence", schema=None) as batch_op:
        batch_op.drop_index("ix_residence_municipality")

    with op.batch_alter_table("citizen_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_citizen_versions_superseded_by_deliveries"), type_="foreignkey"
        )
        batch_op.drop_index("ix_citizen_versions_current")
        batch_op.drop_column("superseded_by")
