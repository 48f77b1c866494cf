"""The formats a run's export is given in, and their media types (engine/runs/export.py makes them)."""

from enum import StrEnum


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    """A row per decision."""
    csv_trace = "csv-trace"
    """A row per trace entry."""


MEDIA_TYPES = {
    ExportFormat.jsonl: "application/x-ndjson",
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.csv_trace: "text/csv; charset=utf-8",
}
