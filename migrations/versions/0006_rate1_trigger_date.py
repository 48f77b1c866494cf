"""rate 1's stored value is its trigger date (the day the grant was approved), not the as-of date

Runs stored before this revision kept the as-of date as a triggered rate 1's value, so `fsm diff`
saw rate 1 change between any two nights. The approval date is in the decision's own trace.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

decisions = sa.table(
    "decisions",
    sa.column("id", sa.Integer),
    sa.column("decision", sa.String),
    sa.column("day", sa.Date),
    sa.column("outcome", sa.Boolean),
    sa.column("value", sa.String),
    sa.column("trace", sa.JSON),
)
TRIGGERED_RATE1 = (decisions.c.decision.like("%.rate1"), decisions.c.outcome.is_(True))


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(decisions.c.id, decisions.c.trace).where(*TRIGGERED_RATE1)).all()
    for row_id, trace in rows:
        approved = [e["facts"]["approved_on"] for e in trace or () if "approved_on" in e["facts"]]
        if not approved:
            raise RuntimeError(f"decision {row_id}: a rate 1 whose trace has no approved_on fact")
        connection.execute(sa.update(decisions).where(decisions.c.id == row_id).values(value=approved[0]))


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(decisions.c.id, decisions.c.day).where(*TRIGGERED_RATE1)).all()
    for row_id, day in rows:
        connection.execute(sa.update(decisions).where(decisions.c.id == row_id).values(value=day.isoformat()))
