"""Scenarios saved by project leaders in the web's workbench: one row per scenario, its document
(the scenario file's keys, as JSON) and who may open it.

A scenario belongs to its owner. It is opened by its `key`, an unguessable random id (the link
shared), never by its row id: a key cannot be counted up to find others' scenarios. A scenario
marked `shared` can be opened — and copied, not changed — by the users who may see its
municipality; an unshared one by its owner alone.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base


class StoredScenario(Base):
    __tablename__ = "scenarios"
    __table_args__ = (Index("ix_scenarios_municipality_owner", "municipality", "owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    owner: Mapped[str] = mapped_column(String(64))
    municipality: Mapped[str] = mapped_column(String(3))
    programme: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
