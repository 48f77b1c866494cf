"""Tables of the nightly eligibility run: a run is a record (SPEC section 8).

`rule_packs` keeps every pack a run used, by content hash, so that traces can be rebuilt and a run
replayed years later with exactly its rules. A run's results (`run_municipalities`, `decisions`)
are written in one transaction together with the run's `finished` status: a run killed half-way
leaves a `running` row and nothing else, which the next run marks `failed`.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base


class RulePack(Base):
    __tablename__ = "rule_packs"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    programme: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(32))
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    """Every YAML file of the pack, by its path inside the pack directory."""


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[date] = mapped_column(Date)
    municipality: Mapped[str | None] = mapped_column(String(3))
    pack_hash: Mapped[str] = mapped_column(ForeignKey("rule_packs.content_hash"))
    delivery_id: Mapped[int | None] = mapped_column(Integer)
    """The last data delivery the run read (its knowledge: "what we knew after delivery N")."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    """`running`, `finished` or `failed`."""
    error: Mapped[str | None] = mapped_column(Text)
    citizens: Mapped[int] = mapped_column(Integer, default=0)
    members: Mapped[int] = mapped_column(Integer, default=0)
    decisions: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[str | None] = mapped_column(String(64))
    """A finished run's seal: SHA-256 over what it stored and `previous_digest` (engine/runs/digest.py);
    None for a run that has not finished (or finished before runs were sealed)."""
    previous_digest: Mapped[str | None] = mapped_column(String(64))
    """The digest of the finished run before it when it was sealed: the runs form a chain."""
    carried_from: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    """The earlier run whose decisions about unchanged citizens this run carried over (engine/runs/
    carry.py); None: every citizen was evaluated."""
    carried: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """How many citizens' decisions were carried over from `carried_from`."""


class RunMunicipality(Base):
    __tablename__ = "run_municipalities"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(3), primary_key=True)
    status: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The municipality's status (models.status.MunicipalityStatus as JSON)."""
    membership_parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    rate_parameters: Mapped[dict[str, Any]] = mapped_column(JSON)


class RunContributions(Base):
    """What each citizen contributed to a municipality's conclusion in a run, so that a later run
    can conclude the municipality again without evaluating the citizens whose contribution holds.

    `citizens` is JSON, one `[citizen, first, last, contribution]` per citizen in citizen order:
    the contribution (the programme's own, plain values) holds on every as-of date from ordinal
    `first` to ordinal `last` (`CitizenOutcome.stable`). One row per municipality keeps it compact:
    a national run stores 98 rows, not a hundred thousand."""

    __tablename__ = "run_contributions"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(3), primary_key=True)
    citizens: Mapped[str] = mapped_column(Text)


class Evidence(Base):
    """What decisions of a run rest on: the facts the rules looked at and the engine's verdict per rule.

    Decisions made on the same facts with the same verdicts share one row: a national run makes
    ~180,000 citizen decisions on ~6,000 distinct sets of facts, and stores each set once.
    """

    __tablename__ = "evidence"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """Numbered from 0 within the run."""
    verdicts: Mapped[dict[str, bool]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class StoredDecision(Base):
    """One decision of a run, and the evidence it rests on (the facts and the engine's verdicts).

    A run decides once per citizen, municipality, decision and day (a rate once per municipality,
    decision and day): unique indexes refuse a second copy, which would count twice.

    Citizens' decisions keep evidence only; the trace is rebuilt from the run's pack and
    parameters. Rate decisions, with facts on many days or months, keep their whole trace too.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        Index(
            "uq_decisions_citizen_decision",
            "run_id",
            "citizen_id",
            "municipality",
            "decision",
            "day",
            unique=True,
        ),
        Index(
            "uq_decisions_rate",
            "run_id",
            "municipality",
            "decision",
            "day",
            unique=True,
            sqlite_where=text("citizen_id IS NULL"),
            postgresql_where=text("citizen_id IS NULL"),
        ),
        Index("ix_decisions_run_municipality_decision", "run_id", "municipality", "decision"),
        ForeignKeyConstraint(
            ["run_id", "evidence_id"],
            ["evidence.run_id", "evidence.id"],
            name="fk_decisions_evidence",
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    municipality: Mapped[str] = mapped_column(String(3))
    citizen_id: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    outcome: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[str | None] = mapped_column(String(64))
    """The decision's result beyond yes/no: a member's exit status, a rate's trigger date."""
    group: Mapped[str | None] = mapped_column(String(16))
    """For a member's status: the visitation group on the as-of date (`mangler` when none)."""
    trace: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    evidence_id: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[Evidence] = relationship(lazy="joined", innerjoin=True, viewonly=True)
    """Loaded with the decision (one join), so that reading decisions reads their facts too."""

    @property
    def verdicts(self) -> dict[str, bool]:
        return self.evidence.verdicts

    @property
    def facts(self) -> dict[str, Any] | None:
        return self.evidence.facts


class RunDiff(Base):
    """What changed from one run to another, computed once per pair and kept: the municipalities'
    summary (a document, engine/runs/diff.py) here, the citizens' changes in `diff_changes`."""

    __tablename__ = "diffs"

    first_run: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    second_run: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[int] = mapped_column(Integer)
    """How many citizens' decisions changed (the rows of `diff_changes`)."""


class DiffChange(Base):
    """One citizen's decision that changed between two runs, numbered in the order pages show them."""

    __tablename__ = "diff_changes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["first_run", "second_run"],
            ["diffs.first_run", "diffs.second_run"],
            name="fk_diff_changes_diffs",
            ondelete="CASCADE",
        ),
        Index("ix_diff_changes_municipality", "first_run", "second_run", "municipality", "position"),
    )

    first_run: Mapped[int] = mapped_column(Integer, primary_key=True)
    second_run: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    municipality: Mapped[str] = mapped_column(String(3))
    citizen_id: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(64))
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    why: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The rules failing before and after, and the facts that changed (fact: [before, after])."""
