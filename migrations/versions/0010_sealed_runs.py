"""sealed runs: a digest per finished run, chained; a decision cannot be stored twice

`runs.digest` is a SHA-256 over what a finished run stored, `runs.previous_digest` the digest of the
finished run before it (engine/runs/digest.py). Runs finished before this revision have none: their
replay (`fsm audit verify`) still checks them, but nothing seals them.

The citizen index of `decisions` becomes unique over (run, citizen, municipality, decision, day),
and a partial unique index does the same for rate decisions (no citizen): a copy of a stored
decision is refused by the database. A database that already holds such a copy is not upgraded:
the copy is named, for an auditor to look at before anyone removes it.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ("run_id", "citizen_id", "municipality", "decision", "day")
RATE_KEY = ("run_id", "municipality", "decision", "day")
IS_RATE = sa.text("citizen_id IS NULL")


def _refuse_copies() -> None:
    """Stop, naming the first copy, if some decision is stored twice (the unique index would fail)."""
    copy = (
        op.get_bind()
        .execute(
            sa.text(
                f"select {', '.join(KEY)}, count(*) from decisions group by {', '.join(KEY)} "
                "having count(*) > 1 order by run_id limit 1"
            )
        )
        .first()
    )
    if copy is not None:
        run, citizen, municipality, decision, day, count = copy
        about = f"citizen {citizen[:6]}-xxxx" if citizen else "the municipality"
        raise RuntimeError(
            f"run {run} stores decision {decision} about {about} in {municipality} on {day} {count} times: "
            "a decision is stored once. Compare the copies with the run's replay before removing one."
        )


def upgrade() -> None:
    _refuse_copies()
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("previous_digest", sa.String(length=64), nullable=True))
    op.drop_index("ix_decisions_run_citizen", table_name="decisions")
    op.create_index("uq_decisions_citizen_decision", "decisions", list(KEY), unique=True)
    op.create_index(
        "uq_decisions_rate",
        "decisions",
        list(RATE_KEY),
        unique=True,
        sqlite_where=IS_RATE,
        postgresql_where=IS_RATE,
    )


def downgrade() -> None:
    op.drop_index("uq_decisions_rate", table_name="decisions")
    op.drop_index("uq_decisions_citizen_decision", table_name="decisions")
    op.create_index("ix_decisions_run_citizen", "decisions", ["run_id", "citizen_id"])
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("previous_digest")
        batch_op.drop_column("digest")
