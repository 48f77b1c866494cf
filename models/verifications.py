"""Replay checks of stored runs (engine/runs/audit.py), started from the web UI and run in the
background: who asked and when, and the outcome stored with the run, so that readers see it without
replaying again."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base


class VerificationJob(Base):
    __tablename__ = "verification_jobs"
    __table_args__ = (Index("ix_verification_jobs_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16))
    """`queued`, `running`, `finished` (result stored) or `failed` (error says why)."""
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker_pid: Mapped[int | None] = mapped_column(Integer)
    """The process replaying the run (a job whose process is gone without a result has failed)."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The replay's outcome as JSON (audit.Verification's fields, and `identical`), CPR numbers in full."""
    error: Mapped[str | None] = mapped_column(Text)
