"""A run's decisions for download — JSON lines, or CSV with a row per decision (or per trace entry),
for Danish Excel (`;`, a byte order mark) unless commas are asked for — streamed in constant memory;
CPR numbers masked unless asked for by a user whose role may see them; only the municipalities the
user may see; column titles and words in the reader's language. Every export is written to the
access log, saying whether it showed CPR numbers in full."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from engine.faces import run_export
from engine.faces.downloads import Separator
from engine.faces.i18n import N_, Texts
from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, FoundRun, Refusal, log_access
from engine.faces.web.pages import texts_of
from engine.faces.web.schemas import PROBLEMS
from engine.runs import results
from engine.runs.export_formats import MEDIA_TYPES, ExportFormat

api = APIRouter(prefix="/api", tags=["exports"], responses=PROBLEMS)
routers = (api,)
CONTENT = {media: {"schema": {"type": "string"}} for media in set(MEDIA_TYPES.values())}
CHUNK = 1 << 16
SUFFIX = {
    ExportFormat.jsonl: "jsonl",
    ExportFormat.csv: "csv",
    ExportFormat.csv_trace: "rules.csv",
}


def _chunks(
    request: Request,
    run_id: int,
    fmt: ExportFormat,
    separator: Separator,
    t: Texts,
    full_cpr: bool,
    municipalities: frozenset[str] | None,
) -> Iterator[bytes]:
    """The export in pieces of about 64 KiB, read in a session of its own (the response is streamed
    after the route has returned)."""
    with Session(request.app.state.engine) as session:
        run = results.get_run(session, run_id)
        pending: list[str] = []
        size = 0
        lines = run_export.lines(
            session, run, fmt, separator=separator, t=t, full_cpr=full_cpr, municipalities=municipalities
        )
        for line in lines:
            pending.append(line)
            size += len(line)
            if size >= CHUNK:
                yield "".join(pending).encode()
                pending, size = [], 0
        yield "".join(pending).encode()


@api.get(
    "/runs/{run_id}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": CONTENT,
            "description": "JSON lines (one decision a line with its trace), CSV (one decision a row) or "
            "csv-trace (one trace entry a row); CSV with `;` and a UTF-8 byte order mark, or `sep=comma`",
        }
    },
    summary="A run's decisions and traces as JSON lines or CSV (the export is logged)",
)
def export_api(
    request: Request,
    run: FoundRun,
    user: Reader,
    session: Db,
    format: Annotated[
        ExportFormat, Query(description="jsonl, csv (a decision a row) or csv-trace (a rule a row)")
    ] = ExportFormat.jsonl,
    sep: Annotated[
        Separator, Query(description="CSV: `semicolon` for Danish Excel, or `comma` (plain values)")
    ] = Separator.semicolon,
    show_cpr: Annotated[
        bool, Query(description="Full CPR numbers (only for a role that may see them)")
    ] = False,
) -> StreamingResponse:
    if show_cpr and not user.may("full_cpr"):
        raise Refusal(403, N_("forbidden: the role %(role)s may not see full CPR numbers"), role=user.role)
    scope = "all" if user.municipalities is None else ",".join(sorted(user.municipalities))
    log_access(
        session, user, f"export {format}", run, None, full_cpr=show_cpr, detail=f"municipalities: {scope}"
    )
    return StreamingResponse(
        _chunks(request, run.id, format, sep, texts_of(request), show_cpr, user.municipalities),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="run-{run.id}.{SUFFIX[format]}"'},
    )
