"""Who looked at which citizen, and when: the access log of the auditors' web UI and API.

One row per view of a citizen (page or API) and per export. The citizen id is kept in full: the log
is for the data protection officer and lives in the database only; it is never printed or served.
"""

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base


class AccessLog(Base):
    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_citizen_at", "citizen_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """When, in UTC."""
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    """What was looked at: `citizen page`, `citizen api`, `export jsonl`, `export csv`."""
    run_id: Mapped[int | None] = mapped_column(Integer)
    """The run whose results were shown (no foreign key: the log outlives anything it names)."""
    citizen_id: Mapped[str | None] = mapped_column(String(64))
    """The citizen looked at, in full; None for an export (every citizen of the run)."""
