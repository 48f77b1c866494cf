"""deliveries known by their content: a citizen version's digest, a delivery's summary, re-sent deliveries

A delivery's checksum is now over its parsed content, and a delivery equal to an older one may be
imported again on purpose (`fsm import --resend`), so the checksum is no longer unique. A citizen
version keeps the digest of its content: a delivery listing a citizen whose rows did not change
stores no new version. Versions stored before have no digest (the next delivery listing them
stores a new version once). A delivery keeps the summary its import printed, to print it again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Before the checksum is unique again, a re-sent delivery's copy of it gives way.
RESENT_GIVE_WAY = """
update deliveries set checksum = 'resent-' || cast(id as varchar(20))
where id > (select min(same.id) from deliveries as same where same.checksum = deliveries.checksum)
"""


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deliveries_checksum", type_="unique")
        batch_op.create_index("ix_deliveries_checksum", ["checksum"], unique=False)
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))
    with op.batch_alter_table("citizen_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("citizen_versions", schema=None) as batch_op:
        batch_op.drop_column("digest")
    op.execute(RESENT_GIVE_WAY)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("summary")
        batch_op.drop_index("ix_deliveries_checksum")
        batch_op.create_unique_constraint("uq_deliveries_checksum", ["checksum"])
