"""stored diffs: what changed between two runs, computed once per pair and read a page at a time

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "diffs",
        sa.Column("first_run", sa.Integer(), nullable=False),
        sa.Column("second_run", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_run"], ["runs.id"], name=op.f("fk_diffs_first_run_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["second_run"], ["runs.id"], name=op.f("fk_diffs_second_run_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("first_run", "second_run", name=op.f("pk_diffs")),
    )
    op.create_table(
        "diff_changes",
        sa.Column("first_run", sa.Integer(), nullable=False),
        sa.Column("second_run", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("municipality", sa.String(length=3), nullable=False),
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=64), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_run", "second_run"],
            ["diffs.first_run", "diffs.second_run"],
            name="fk_diff_changes_diffs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("first_run", "second_run", "position", name=op.f("pk_diff_changes")),
    )
    op.create_index(
        "ix_diff_changes_municipality",
        "diff_changes",
        ["first_run", "second_run", "municipality", "position"],
    )


def downgrade() -> None:
    op.drop_index("ix_diff_changes_municipality", table_name="diff_changes")
    op.drop_table("diff_changes")
    op.drop_table("diffs")
