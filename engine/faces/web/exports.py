"""A run's decisions and traces for download, as JSON lines or CSV, streamed in constant memory; CPR
numbers masked unless asked for by a user whose role may see them; only the municipalities the user
may see. Every export is written to the access log, saying whether it showed CPR numbers in full."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, FoundRun, log_access
from engine.faces.web.schemas import PROBLEMS
from engine.runs import export, results

api = APIRouter(prefix="/api", tags=["exports"], responses=PROBLEMS)
routers = (api,)
CONTENT = {media: {"schema": {"type": "string"}} for media in export.MEDIA_TYPES.values()}
CHUNK = 1 << 16


def _chunks(
    request: Request,
    run_id: int,
    fmt: export.ExportFormat,
    full_cpr: bool,
    municipalities: frozenset[str] | None,
) -> Iterator[bytes]:
    """The export in pieces of about 64 KiB, read in a session of its own (the response is streamed
    after the route has returned)."""
    with Session(request.app.state.engine) as session:
        run = results.get_run(session, run_id)
        pending: list[str] = []
        size = 0
        for line in export.export(session, run, fmt, full_cpr=full_cpr, municipalities=municipalities):
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
            "description": "JSON lines (one decision a line) or CSV (one trace entry a row)",
        }
    },
    summary="A run's decisions and traces as JSON lines or CSV (the export is logged)",
)
def export_api(
    request: Request,
    run: FoundRun,
    user: Reader,
    session: Db,
    format: Annotated[export.ExportFormat, Query(description="jsonl or csv")] = export.ExportFormat.jsonl,
    show_cpr: Annotated[
        bool, Query(description="Full CPR numbers (only for a role that may see them)")
    ] = False,
) -> StreamingResponse:
    if show_cpr and not user.may("full_cpr"):
        raise HTTPException(403, f"forbidden: the role {user.role} may not see full CPR numbers")
    scope = "all" if user.municipalities is None else ",".join(sorted(user.municipalities))
    log_access(
        session, user, f"export {format}", run, None, full_cpr=show_cpr, detail=f"municipalities: {scope}"
    )
    return StreamingResponse(
        _chunks(request, run.id, format, show_cpr, user.municipalities),
        media_type=export.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="run-{run.id}.{format}"'},
    )
