"""A run's decisions and traces for auditors; CPR numbers masked by default. Read in batches, in
municipality, decision and subject order, so memory does not grow with the run.

JSON lines: one decision per line (the shape of `fsm explain --json`'s decisions: subject, outcome,
date, detail, failed rules, and the trace rule by rule), with the run's id.

Tables, typed (dates as dates, flags as bools; the faces write them as CSV for Danish Excel or with
commas, in the reader's words: engine/faces/run_export.py): `DECISIONS`, a row per decision with its
outcome — what an auditor filters in Excel —, and `RULES`, a row per trace entry (a rule's verdict on
the decision's facts) with the decision's columns repeated, facts and parameters as JSON.
"""

import json
from collections.abc import Collection, Iterator
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.runs import results
from models import cpr
from models.runs import Run, StoredDecision

DECISIONS: tuple[tuple[str, str], ...] = (
    ("run", "int"),
    ("municipality", "text"),
    ("subject", "text"),
    ("decision", "text"),
    ("label", "text"),
    ("outcome", "bool"),
    ("verdict", "text"),
    ("decided_on", "date"),
    ("failed_rules", "text"),
    ("detail", "text"),
    ("pack_version", "text"),
)
"""The columns of a row per decision: a name and a kind (int, text, bool, date)."""
RULES: tuple[tuple[str, str], ...] = (
    ("run", "int"),
    ("municipality", "text"),
    ("subject", "text"),
    ("decision", "text"),
    ("outcome", "bool"),
    ("decided_on", "date"),
    ("rule", "text"),
    ("rule_label", "text"),
    ("rule_subject", "text"),
    ("passed", "bool"),
    ("facts", "text"),
    ("parameters", "text"),
    ("source_document", "text"),
    ("source_quote", "text"),
)
"""The columns of a row per trace entry."""


def documents(
    session: Session, run: Run, *, full_cpr: bool = False, municipalities: Collection[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every decision of the run (of these municipalities: None for all) with its trace. A citizen's
    trace is made of its evidence, decision and day alone, so it is built once for all the citizens
    of a municipality who share them (the documents share it: read them, do not change them)."""
    query = (
        select(StoredDecision)
        .where(StoredDecision.run_id == run.id)
        .order_by(StoredDecision.municipality, StoredDecision.decision, StoredDecision.citizen_id)
        .execution_options(yield_per=1000)
    )
    if municipalities is not None:
        query = query.where(StoredDecision.municipality.in_(sorted(municipalities)))
    built: dict[tuple[int, str, date], dict[str, Any]] = {}
    place = None
    for row in session.scalars(query):
        if row.municipality != place:
            place = row.municipality
            built.clear()  # what is kept does not grow with the run
        key = (row.evidence_id, row.decision, row.day)
        shared = built.get(key) if row.trace is None else None
        if shared is None:
            decision = results.stored_decision(session, run, row)
            document = {
                "run": run.id,
                **decision.model_dump(mode="json"),
                "failed_rules": decision.failed_rules,
            }
            shared = cpr.shown_in(document, full=full_cpr)
            if row.trace is None:
                built[key] = shared
            yield shared
            continue
        own = {"subject": row.citizen_id or row.municipality, "detail": results.citizen_detail(row)}
        yield shared | cpr.shown_in(own, full=full_cpr)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def jsonl(session: Session, run: Run, **which: Any) -> Iterator[str]:
    for document in documents(session, run, **which):
        yield _json(document) + "\n"


def decision_rows(session: Session, run: Run, **which: Any) -> Iterator[tuple[Any, ...]]:
    """A row per decision (DECISIONS): the detail as the decision has it (a mapping), the failed
    rules as a list, the label and verdict as the pack words them."""
    for d in documents(session, run, **which):
        yield (
            d["run"],
            d["municipality"],
            d["subject"],
            d["decision"],
            d["label"],
            d["outcome"],
            d["verdict"],
            date.fromisoformat(d["decided_on"]),
            d["failed_rules"],
            d["detail"],
            d["pack_version"],
        )


def trace_rows(session: Session, run: Run, **which: Any) -> Iterator[tuple[Any, ...]]:
    """A row per trace entry (RULES)."""
    for d in documents(session, run, **which):
        head = (d["run"], d["municipality"], d["subject"], d["decision"], d["outcome"])
        decided_on = date.fromisoformat(d["decided_on"])
        for entry in d["trace"]:
            yield (
                *head,
                decided_on,
                entry["rule"],
                entry["label"],
                entry["subject"] or "",
                entry["passed"],
                _json(entry["facts"]),
                _json(entry["parameters"]),
                entry["source"]["document"] or entry["source"]["title"],
                entry["source"]["quote"],
            )
