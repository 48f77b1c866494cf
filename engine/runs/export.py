"""A run's decisions and traces for auditors, as JSON lines or CSV; CPR numbers masked by default.

JSON lines: one decision per line (the shape of `fsm explain --json`'s decisions: subject, outcome,
date, detail, failed rules, and the trace rule by rule), with the run's id. CSV: one row per trace
entry (a rule's verdict on the decision's facts), the decision's columns repeated on each row, facts
and parameters as JSON.
"""

import csv
import io
import json
from collections.abc import Collection, Iterator
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.runs import results
from models import cpr
from models.runs import Run, StoredDecision


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


MEDIA_TYPES = {ExportFormat.jsonl: "application/x-ndjson", ExportFormat.csv: "text/csv"}
CSV_COLUMNS = (
    "run",
    "municipality",
    "subject",
    "decision",
    "outcome",
    "decided_on",
    "detail",
    "rule",
    "rule_subject",
    "passed",
    "facts",
    "parameters",
    "source_document",
    "source_quote",
)


def documents(
    session: Session, run: Run, *, full_cpr: bool = False, municipalities: Collection[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every decision of the run (of these municipalities: None for all) with its trace, in
    municipality, decision and subject order; read in batches, so memory does not grow with the run."""
    query = (
        select(StoredDecision)
        .where(StoredDecision.run_id == run.id)
        .order_by(StoredDecision.municipality, StoredDecision.decision, StoredDecision.citizen_id)
        .execution_options(yield_per=1000)
    )
    if municipalities is not None:
        query = query.where(StoredDecision.municipality.in_(sorted(municipalities)))
    for row in session.scalars(query):
        decision = results.stored_decision(session, run, row)
        document = {"run": run.id, **decision.model_dump(mode="json"), "failed_rules": decision.failed_rules}
        yield cpr.shown_in(document, full=full_cpr)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def jsonl(session: Session, run: Run, **which: Any) -> Iterator[str]:
    for document in documents(session, run, **which):
        yield _json(document) + "\n"


def csv_lines(session: Session, run: Run, **which: Any) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(cells: Any) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(CSV_COLUMNS)
    for d in documents(session, run, **which):
        head = [
            d["run"],
            d["municipality"],
            d["subject"],
            d["decision"],
            _json(d["outcome"]),
            d["decided_on"],
        ]
        for entry in d["trace"]:
            yield line(
                [
                    *head,
                    _json(d["detail"]),
                    entry["rule"],
                    entry["subject"] or "",
                    _json(entry["passed"]),
                    _json(entry["facts"]),
                    _json(entry["parameters"]),
                    entry["source"]["document"] or entry["source"]["title"],
                    entry["source"]["quote"],
                ]
            )


def export(
    session: Session,
    run: Run,
    fmt: ExportFormat,
    *,
    full_cpr: bool = False,
    municipalities: Collection[str] | None = None,
) -> Iterator[str]:
    """The run (of these municipalities: None for all) as text chunks in the format asked for."""
    write = jsonl if fmt is ExportFormat.jsonl else csv_lines
    return write(session, run, full_cpr=full_cpr, municipalities=municipalities)
