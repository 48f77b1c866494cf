"""evidence: the facts and verdicts a run's decisions rest on, stored once per distinct set

Existing decisions each get an evidence row of their own (numbered by the decision's id), so every
stored run keeps its facts and verdicts; downgrading copies them back onto the decisions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OF_THE_DECISION = (
    "from evidence where evidence.run_id = decisions.run_id and evidence.id = decisions.evidence_id"
)


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("verdicts", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_evidence_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "id", name=op.f("pk_evidence")),
    )
    op.execute(
        "insert into evidence (run_id, id, verdicts, facts) select run_id, id, verdicts, facts from decisions"
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_id", sa.Integer(), nullable=True))
    op.execute("update decisions set evidence_id = id")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("evidence_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            "fk_decisions_evidence",
            "evidence",
            ["run_id", "evidence_id"],
            ["run_id", "id"],
            ondelete="CASCADE",
        )
        batch_op.drop_column("verdicts")
        batch_op.drop_column("facts")


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verdicts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
    op.execute(
        f"update decisions set verdicts = (select verdicts {OF_THE_DECISION}),"
        f" facts = (select facts {OF_THE_DECISION})"
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("verdicts", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_constraint("fk_decisions_evidence", type_="foreignkey")
        batch_op.drop_column("evidence_id")
    op.drop_table("evidence")
