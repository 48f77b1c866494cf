"""A run's export as `fsm export` and the web's `/api/runs/{run}/export` give it: JSON lines, or a
table — a row per decision with its outcome, or a row per trace entry — as CSV for Danish Excel (`;`
and a byte order mark, the default) or with commas (engine/faces/downloads.py), its column titles,
labels, verdicts and municipality names in the reader's language. Streamed: memory does not grow
with the run."""

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from engine.faces import render
from engine.faces.downloads import Column, Separator, Table, csv_lines
from engine.faces.i18n import ENGLISH, N_, Texts
from engine.runs import export
from engine.runs.export_formats import ExportFormat
from models.runs import Run

TITLES = {
    "run": N_("run"),
    "municipality": N_("municipality"),
    "subject": N_("citizen"),
    "decision": N_("decision"),
    "label": N_("what is decided"),
    "outcome": N_("outcome"),
    "verdict": N_("verdict"),
    "decided_on": N_("decided on"),
    "failed_rules": N_("rules not passed"),
    "detail": N_("detail"),
    "pack_version": N_("rule pack version"),
    "rule": N_("rule"),
    "rule_label": N_("what the rule checks"),
    "rule_subject": N_("the rule's subject"),
    "passed": N_("passed"),
    "facts": N_("facts"),
    "parameters": N_("parameters"),
    "source_document": N_("source"),
    "source_quote": N_("quote"),
}
"""The export's column titles (engine/runs/export.py names the columns)."""
TRANSLATED = ("label", "verdict", "rule_label")
"""Columns whose words the rule packs give (translated in the catalogue)."""


def _worded(row: Sequence[Any], names: Sequence[str], t: Texts) -> tuple[Any, ...]:
    cells = []
    for name, value in zip(names, row, strict=True):
        if name in TRANSLATED:
            value = t._(value)
        elif name == "municipality":
            value = t.municipality(value)
        elif name == "failed_rules":
            value = ", ".join(value)
        elif name == "detail":
            value = render.shown(value, t) if value else ""
        cells.append(value)
    return tuple(cells)


def table(session: Session, run: Run, fmt: ExportFormat, t: Texts = ENGLISH, **which: Any) -> Table:
    """The run as a table: a row per decision (`csv`) or per trace entry (`csv-trace`)."""
    spec, rows = (
        (export.DECISIONS, export.decision_rows(session, run, **which))
        if fmt is ExportFormat.csv
        else (export.RULES, export.trace_rows(session, run, **which))
    )
    names = [name for name, _ in spec]
    columns = tuple(Column(t._(TITLES[name]), kind) for name, kind in spec)  # type: ignore[arg-type]
    return Table(t._("run %(run)s", run=run.id), columns, (_worded(row, names, t) for row in rows))


def lines(
    session: Session,
    run: Run,
    fmt: ExportFormat,
    *,
    separator: Separator = Separator.semicolon,
    t: Texts = ENGLISH,
    full_cpr: bool = False,
    municipalities: Collection[str] | None = None,
) -> Iterator[str]:
    """The export as text, a line (or a JSON document) at a time."""
    which = {"full_cpr": full_cpr, "municipalities": municipalities}
    if fmt is ExportFormat.jsonl:
        return export.jsonl(session, run, **which)
    return csv_lines(table(session, run, fmt, t, **which), separator, t)
