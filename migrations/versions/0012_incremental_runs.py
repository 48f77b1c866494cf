"""incremental runs: what each citizen contributed, and which run a run carried decisions from

A run stores each municipality's contributions (`run_contributions`), so that the next night can
carry over the decisions of the citizens whose timeline and facts did not change and conclude the
municipalities again (engine/runs/carry.py). `runs.carried_from` and `runs.carried` say which run
and how many citizens. Runs stored before this revision have no contributions: a run after it
evaluates every citizen once.

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_contributions",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=3), nullable=False),
        sa.Column("citizens", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_contributions_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "municipality", name="pk_run_contributions"),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("carried_from", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("carried", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch.create_foreign_key(
            "fk_runs_carried_from_runs", "runs", ["carried_from"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("fk_runs_carried_from_runs", type_="foreignkey")
        batch.drop_column("carried")
        batch.drop_column("carried_from")
    op.drop_table("run_contributions")
