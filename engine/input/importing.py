"""`fsm import`: read a delivery, store it in one transaction, and write the rejects report.

The report is for the municipality's own data officer, yet it is a file that travels: citizen ids
in it are masked (`DDMMYY-xxxx`) unless `show_cpr` is asked for; file, line and column find the row.
"""

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine.collector import collector_paused
from engine.input.delivery import FILES, Content, Reject, read_delivery
from engine.input.storing import Stored, store_delivery
from models import cpr


@dataclass(frozen=True)
class Imported:
    content: Content
    stored: Stored
    report: Path

    def __str__(self) -> str:
        verb = "imported as" if self.stored.new else "already imported as"
        return (
            f"{self.content.source}: {verb} delivery {self.stored.delivery_id}; {len(self.content.citizens)} citizens, "
            f"{self.content.rows_read} rows read, {len(self.content.rejects)} rejected"
        )


def write_report(content: Content, folder: Path, stored: Stored, *, show_cpr: bool = False) -> Path:
    """`rejects.csv` (file, line, column, value, reason) and `summary.json` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "rejects.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("file", "line", "column", "value", "reason"))
        writer.writerows((r.file, r.line, r.column, _shown(r, show_cpr), r.reason) for r in content.rejects)
    summary = {
        "source": str(content.source),
        "delivery": stored.delivery_id,
        "new": stored.new,
        "checksum": content.checksum,
        "files": [f.__dict__ for f in content.files],
        "ignored_files": content.ignored,
        "rows_read": content.rows_read,
        "rejected": len(content.rejects),
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return folder


def import_folder(
    engine: Engine,
    folder: Path,
    *,
    report_dir: Path | None = None,
    advance: Callable[[int], None] | None = None,
    show_cpr: bool = False,
) -> Imported:
    """Import one delivery; raises engine.input.delivery.DeliveryError, with nothing written, when unreadable.
    The report goes to `report_dir` (default `import-reports/delivery-<id>-<UTC time>/`)."""
    with collector_paused():
        content = read_delivery(folder, advance)
        with Session(engine) as session, session.begin():
            stored = store_delivery(session, content)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = write_report(
        content,
        report_dir or Path("import-reports") / f"delivery-{stored.delivery_id}-{stamp}",
        stored,
        show_cpr=show_cpr,
    )
    return Imported(content, stored, report)


def _shown(reject: Reject, show_cpr: bool) -> str:
    return cpr.shown(reject.value, full=show_cpr) if reject.column == "citizen_id" else reject.value


def count_rows(folder: Path) -> int:
    """Rows to read (for a progress bar): data lines of the delivery's files."""
    files = (folder / spec.name for spec in FILES)
    return sum(max(0, len(f.read_bytes().splitlines()) - 1) for f in files if f.is_file())
