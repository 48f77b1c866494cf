"""access log: from where, whether the full CPR number was shown, and more of what

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_cpr", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("client", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("detail", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_access_log_user_action_at", ["user", "action", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_user_action_at")
        batch_op.drop_column("detail")
        batch_op.drop_column("client")
        batch_op.drop_column("full_cpr")
