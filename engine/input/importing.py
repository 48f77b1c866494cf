"""`fsm import`: read a delivery, store it in one transaction, and write its report before that
transaction commits — if the report cannot be written, nothing is imported, so rejects are never
lost from view. A delivery equal to one imported before is not stored again: its original summary
(and exit status) is given back, and the report of this reading is written.

The report is for the municipality's own data officer, yet it is a file that travels: citizen ids
in it are masked (`DDMMYY-xxxx`) unless `show_cpr` is asked for; file, line and column find the row.
"""

import csv
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine.collector import collector_paused
from engine.input.delivery import FILES, Scanned, scan
from engine.input.spool import Spool
from engine.input.storing import FirstLoad, Stored, record_summary, store_delivery
from models import cpr

READERS = min(2, len(os.sched_getaffinity(0)))
"""Processes that read a large delivery: two at most, since its largest file (support.csv, about
half the rows of a national delivery) bounds the reading, and each holds its own copy of what is
known of the listed citizens."""


@dataclass(frozen=True)
class Imported:
    source: Path
    stored: Stored
    summary: dict[str, Any]
    """What the import of the delivery said (for an earlier delivery: what its import said)."""
    report: Path

    @property
    def rejected(self) -> int:
        return self.summary["rejected"]

    def __str__(self) -> str:
        s = self.summary
        said = (
            f"{s['citizens']} citizens listed ({s['changed']} new or changed, {s['unchanged']} unchanged), "
            f"{s['rows_read']} rows read, {s['rejected']} rejected"
        )
        if self.stored.new:
            return f"{self.source}: imported as delivery {s['delivery']}; {said}"
        return f"{self.source}: already imported as delivery {s['delivery']}; on {s['imported_at']} its import said: {said}"


def import_folder(
    engine: Engine,
    folder: Path,
    *,
    report_dir: Path | None = None,
    advance: Callable[[int], None] | None = None,
    show_cpr: bool = False,
    allow_missing: Iterable[str] = (),
    resend: bool = False,
    workers: int = READERS,
) -> Imported:
    """Import one delivery; raises engine.input.delivery.DeliveryError, with nothing written, when
    it is unreadable or refused. The report goes to `report_dir` (default
    `import-reports/delivery-<id>-<UTC time>/`). Up to `workers` processes read a large delivery."""
    with collector_paused(), Spool() as rows, Spool() as rejects:
        report = None
        try:
            with Session(engine) as session, session.begin():
                first = FirstLoad(session)
                found = scan(folder, rows, rejects, advance, workers=workers, early=first.start)
                stored = store_delivery(
                    session, found, rows, allow_missing=allow_missing, resend=resend, first=first
                )
                summary = stored.summary or _summary(found, stored)
                if stored.new:
                    record_summary(session, stored.delivery_id, summary)
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                report = Report(
                    report_dir or Path("import-reports") / f"delivery-{stored.delivery_id}-{stamp}"
                )
                report.write(rejects, summary, show_cpr=show_cpr)
        except BaseException:
            if report is not None:
                report.discard()
            raise
        report.publish()
    return Imported(folder, stored, summary, report.folder)


def _summary(found: Scanned, stored: Stored) -> dict[str, Any]:
    return {
        "source": str(found.source),
        "delivery": stored.delivery_id,
        "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "checksum": found.checksum,
        "citizens": len(found.citizens),
        "changed": stored.changed,
        "unchanged": stored.unchanged,
        "lose_all_rows": stored.losses,
        "files": [{**f.__dict__, "notes": list(f.notes)} for f in found.files],
        "absent_files": [f"{kind}.csv" for kind in found.absent],
        "ignored_files": found.ignored,
        "rows_read": found.rows_read,
        "rejected": found.rejected,
    }


class Report:
    """An import's `rejects.csv` (file, line, column, value, reason) and `summary.json`: written
    beside their place before the delivery commits, put in place (renamed) once it has, and
    removed again if it does not."""

    NAMES = ("rejects.csv", "summary.json")

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.created = [parent for parent in (folder, *folder.parents) if not parent.exists()]
        self.partial = [folder / f".{name}.partial" for name in self.NAMES]

    def write(self, rejects: Spool, summary: dict[str, Any], *, show_cpr: bool = False) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.partial[0].open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(("file", "line", "column", "value", "reason"))
            for _, batch in rejects.batches():
                writer.writerows(
                    (name, line, column, _shown(column, value, show_cpr), reason)
                    for name, line, column, value, reason in batch
                )
        self.partial[1].write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")

    def publish(self) -> None:
        for partial, name in zip(self.partial, self.NAMES, strict=True):
            os.replace(partial, self.folder / name)

    def discard(self) -> None:
        for partial in self.partial:
            partial.unlink(missing_ok=True)
        for folder in self.created:
            folder.rmdir()


CPR_IN_TEXT = re.compile(r"(?<!\d)(\d{6})-?\d{4}(?!\d)")


def _shown(column: str, value: str, show_cpr: bool) -> str:
    """A reject's value as the report shows it: a citizen id masked, and a whole row's CPR numbers too."""
    if show_cpr:
        return value
    if column == "citizen_id":
        return cpr.shown(value)
    return CPR_IN_TEXT.sub(r"\1-xxxx", value) if column == "" else value


def count_rows(folder: Path) -> int:
    """Rows to read (for a progress bar): the lines of the delivery's files, headers left out."""
    total = 0
    for path in (folder / spec.name for spec in FILES):
        if path.is_file():
            with path.open("rb") as handle:
                total += sum(chunk.count(b"\n") for chunk in iter(lambda h=handle: h.read(1 << 20), b"")) - 1
    return max(total, 0)
