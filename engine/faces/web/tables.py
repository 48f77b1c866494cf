"""Every table a page shows, for download: as an Excel workbook (real numbers and dates, the reader's
language's number formats), as CSV for Danish Excel (the default) or as CSV with commas (`sep=comma`)
— engine/faces/downloads.py writes them. The runs; a run's municipalities; a municipality's rates,
months and members (every member its filter matches, not one page); a citizen's decisions rule by
rule and timeline; a replay check's differences (the diff's citizens: web/diff.py). Column titles in the reader's language; CPR numbers as the reader's role may see them.

Every download is written to the access log as `download <table> <format>`: a list of members a row
per member (as the members page does), a citizen's decisions the citizen, the other tables (which name
no citizen) one row naming the run.

Offering another page's table takes a function making its `Table` and a route
returning `asked.send(table, name, what=…, run=…, citizens=…)` (`asked: Download`)."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import IO, Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from engine.faces import downloads, render
from engine.faces.charts import TIMELINE_COLUMNS
from engine.faces.downloads import Column, Separator, Table
from engine.faces.i18n import N_, Texts
from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.citizens import drawn, visible_decisions
from engine.faces.web.deps import Db, FoundRun, MunicipalityCode, Ref, Refusal, log_access, municipality_row
from engine.faces.web.members import Filter, members_page
from engine.faces.web.pages import texts_of
from engine.faces.web.runs import blocked_summary
from engine.faces.web.verification import latest, visible_differences
from engine.runs import results
from models import cpr
from models.runs import Run
from models.status import MunicipalityStatus

pages = APIRouter(include_in_schema=False)
routers = (pages,)
ALL_AT_ONCE = 1000
"""Members read a page of this many at a time for a download."""
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class FileFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


Sep = Annotated[Separator, Query(description="CSV: `semicolon` for Danish Excel, or `comma` (plain values)")]


def _file(written: IO[bytes]) -> Iterator[bytes]:
    with written:
        while chunk := written.read(1 << 16):
            yield chunk


def send(table: Table, fmt: FileFormat, separator: Separator, t: Texts, name: str) -> Response:
    """The table as a file to save: `name`.xlsx or `name`.csv (the name in the reader's language;
    an ASCII one for browsers that cannot take it)."""
    body = (
        _file(downloads.xlsx([table], t))
        if fmt is FileFormat.xlsx
        else (line.encode() for line in downloads.csv_lines(table, separator, t))
    )
    filename = f"{name}.{fmt}"
    plain = filename.encode("ascii", "replace").decode().replace("?", "_").replace(" ", "-")
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(body, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})


def runs_table(runs: Sequence[Run], t: Texts) -> Table:
    columns = (
        Column(t._("run"), "int"),
        Column(t._("programme")),
        Column(t._("as of"), "date"),
        Column(t._("municipalities")),
        Column(t._("status")),
        Column(t._("delivery"), "int"),
        Column(t._("started (UTC)")),
        Column(t._("finished (UTC)")),
        Column(t._("citizens"), "int"),
        Column(t._("in the target group"), "int"),
        Column(t._("decisions"), "int"),
    )
    rows = [  # read now: the log's commit expires the runs before a CSV is written
        (
            run.id,
            t.programme(run.programme),
            run.as_of,
            t.municipality(run.municipality) if run.municipality else t._("every one with a grant"),
            t.code("run", run.status),
            run.delivery_id,
            run.started_at,
            run.finished_at,
            run.citizens,
            run.members,
            run.decisions,
        )
        for run in runs
    ]
    return Table(t._("Runs"), columns, rows)


def summary_table(statuses: Sequence[MunicipalityStatus], t: Texts) -> Table:
    """A run's line per municipality, with each rate's triggering, date, amount and what blocks it."""
    rates = [rate.rate for rate in statuses[0].rates] if statuses else []
    columns = [
        Column(t._("municipality")),
        Column(t._("in the target group"), "int"),
        Column(t._("active"), "int"),
        Column(t._("grant"), "money"),
    ]
    for rate in rates:
        columns += [
            Column(t._("rate %(rate)s triggered", rate=rate), "bool"),
            Column(t._("rate %(rate)s date", rate=rate), "date"),
            Column(t._("rate %(rate)s amount", rate=rate), "money"),
            Column(t._("rate %(rate)s: what blocks it", rate=rate)),
        ]
    rows = (
        (
            t.municipality(s.municipality),
            s.members,
            s.active,
            s.grant,
            *(
                cell
                for r in s.rates
                for cell in (r.triggered, r.date, r.amount, render.shown(blocked_summary(r.blocked_by), t))
            ),
        )
        for s in statuses
    )
    return Table(t._("Municipalities"), tuple(columns), rows)


def rates_table(status: MunicipalityStatus, t: Texts) -> Table:
    columns = (
        Column(t._("rate"), "int"),
        Column(t._("triggered"), "bool"),
        Column(t._("date"), "date"),
        Column(t._("amount"), "money"),
        Column(t._("what blocks it")),
    )
    rows = [
        (
            r.rate,
            r.triggered,
            r.date,
            r.amount,
            render.shown(blocked_summary(r.blocked_by), t) if r.blocked_by else "",
        )
        for r in status.rates
    ]
    return Table(t._("Rates"), columns, rows)


def months_table(status: MunicipalityStatus, t: Texts) -> Table:
    columns = (
        Column(t._("month"), "month"),
        Column(t._("effort group"), "int"),
        Column(t._("in activity"), "int"),
        Column(t._("share"), "share"),
        Column(t._("qualifies"), "bool"),
        Column(t._("more needed"), "int"),
    )
    rows = [
        (
            m.month,
            m.effort_group,
            m.in_activity,
            Fraction(m.in_activity, m.effort_group) if m.effort_group else None,
            m.qualifies,
            None if m.qualifies else m.needed,
        )
        for m in status.months
    ]
    return Table(t._("Months"), columns, rows)


def members_table(members: Sequence[dict[str, Any]], programme: str, t: Texts) -> Table:
    columns = (
        Column(t._("citizen")),
        Column(t._("still active"), "bool"),
        Column(t._("exit status")),
        Column(t._("visitation group")),
        Column(t._("blocks rate 2"), "bool"),
    )
    rows = (
        (
            m["citizen"],
            m["active"],
            t.code("exit", m["exit_status"]) if m["exit_status"] else None,
            t.group(programme, m["group"]) if m["group"] else None,
            m["blocks_rate2"],
        )
        for m in members
    )
    return Table(t._("Members"), columns, rows)


def rules_table(decisions: Sequence[dict[str, Any]], t: Texts) -> Table:
    """A citizen's decisions rule by rule, as the page shows them."""
    columns = (
        Column(t._("decision")),
        Column(t._("verdict")),
        Column(t._("decided on"), "date"),
        Column(t._("rule")),
        Column(t._("what the rule checks")),
        Column(t._("passed"), "bool"),
        Column(t._("facts")),
        Column(t._("parameters")),
        Column(t._("source")),
        Column(t._("quote")),
    )
    rows = [
        (
            t._(d["label"]),
            t._(d["verdict"]),
            date.fromisoformat(d["decided_on"]),
            entry["rule"],
            t._(entry["label"]),
            entry["passed"],
            render.shown(entry["facts"], t),
            render.shown(entry["parameters"], t),
            entry["source"]["title"],
            entry["source"]["quote"],
        )
        for d in decisions
        for entry in d["trace"]
    ]
    return Table(t._("Decisions"), columns, rows)


def differences_table(differences: Sequence[dict[str, Any]], t: Texts) -> Table:
    """A replay check's stored differences, as the run page lists the first of them."""
    columns = tuple(
        Column(t._(title))
        for title in (N_("municipality"), N_("citizen"), N_("what"), N_("stored"), N_("replayed"))
    )
    rows = [
        (
            t.municipality(d["municipality"]) if d["municipality"] else None,
            d["subject"],
            d["what"],
            render.shown(d["stored"], t),
            render.shown(d["replayed"], t),
        )
        for d in differences
    ]
    return Table(t._("Differences of the replay"), columns, rows)


def every_member(
    session: Session, run: Run, status: MunicipalityStatus, wanted: Filter, user: User
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every member the filter matches (read a page at a time), and the citizens among them."""
    listed: list[dict[str, Any]] = []
    citizens: list[str] = []
    number = 1
    while True:
        one = wanted.model_copy(update={"page": number, "per_page": ALL_AT_ONCE})
        document, shown = members_page(session, run, status, one, user)
        listed += document["members"]
        citizens += shown
        if number * ALL_AT_ONCE >= document["total"]:
            return listed, citizens
        number += 1


@dataclass(frozen=True)
class Asked:
    """A download asked for: by whom, as which file, in which language. A page's table is offered for
    download by a route that makes the `Table` and returns `asked.send(...)`."""

    user: User
    session: Session
    fmt: FileFormat
    separator: Separator
    t: Texts

    def send(
        self,
        table: Table,
        name: str,
        *,
        what: str,
        run: Run | None,
        citizens: str | list[str] | None = None,
        detail: str | None = None,
    ) -> Response:
        """The table as the file asked for, named `name`; logged as `download <what> <format>` with
        the citizens it shows (None: it names no one)."""
        log_access(self.session, self.user, f"download {what} {self.fmt}", run, citizens, detail=detail)
        return send(table, self.fmt, self.separator, self.t, name)


def asked(
    request: Request, fmt: FileFormat, user: Reader, session: Db, sep: Sep = Separator.semicolon
) -> Asked:
    return Asked(user, session, fmt, sep, texts_of(request))


Download = Annotated[Asked, Depends(asked)]


@pages.get("/downloads/runs.{fmt}")
def runs_download(session: Db, asked: Download) -> Response:
    t = asked.t
    return asked.send(runs_table(results.runs(session), t), t._("runs"), what="runs", run=None)


@pages.get("/runs/{run_id}/downloads/municipalities.{fmt}")
def summary_download(run: FoundRun, user: Reader, session: Db, asked: Download) -> Response:
    t = asked.t
    statuses = [s for s in results.statuses(session, run) if user.sees(s.municipality)]
    name = t._("run %(run)s municipalities", run=run.id)
    return asked.send(summary_table(statuses, t), name, what="municipalities", run=run)


class MunicipalityTable(StrEnum):
    rates = "rates"
    months = "months"
    members = "members"


@pages.get("/runs/{run_id}/municipalities/{municipality}/downloads/{table}.{fmt}")
def municipality_download(
    run: FoundRun,
    municipality: MunicipalityCode,
    table: MunicipalityTable,
    wanted: Filter,
    user: Reader,
    session: Db,
    asked: Download,
) -> Response:
    t = asked.t
    status = MunicipalityStatus.model_validate(municipality_row(session, run, municipality, user).status)
    citizens, detail = None, f"municipality {municipality}"
    if table is MunicipalityTable.members:
        members, citizens = every_member(session, run, status, wanted, user)
        made = members_table(members, status.programme, t)
    else:
        made = (rates_table if table is MunicipalityTable.rates else months_table)(status, t)
    name = t._(
        "run %(run)s %(municipality)s %(table)s", run=run.id, municipality=municipality, table=made.name
    )
    return asked.send(made, name.lower(), what=table, run=run, citizens=citizens, detail=detail)


@pages.get("/runs/{run_id}/citizens/{ref}/downloads/rules.{fmt}")
def rules_download(run: FoundRun, ref: Ref, user: Reader, session: Db, asked: Download) -> Response:
    t = asked.t
    citizen, decisions = visible_decisions(session, run, ref, user)
    documents = [cpr.shown_in(d.model_dump(mode="json"), full=user.may("full_cpr")) for d in decisions]
    name = t._("run %(run)s citizen %(citizen)s", run=run.id, citizen=cpr.mask(citizen))
    return asked.send(rules_table(documents, t), name, what="decisions", run=run, citizens=citizen)


@pages.get("/runs/{run_id}/citizens/{ref}/downloads/timeline.{fmt}")
def timeline_download(run: FoundRun, ref: Ref, user: Reader, session: Db, asked: Download) -> Response:
    """The data of the citizen's timeline chart, with real dates."""
    t = asked.t
    citizen, decisions = visible_decisions(session, run, ref, user)
    found = drawn(session, run, citizen, decisions, t)
    if found is None:
        raise Refusal(404, N_("run %(run)s has no timeline stored for this citizen"), run=run.id)
    columns = (
        *(Column(t._(c)) for c in TIMELINE_COLUMNS[:2]),
        *(Column(t._(c), "date") for c in TIMELINE_COLUMNS[2:]),
    )
    table = Table(t._("Timeline"), columns, found.rows(t))
    name = t._("run %(run)s citizen %(citizen)s timeline", run=run.id, citizen=cpr.mask(citizen))
    return asked.send(table, name, what="timeline", run=run, citizens=citizen)


@pages.get("/runs/{run_id}/downloads/differences.{fmt}")
def differences_download(run: FoundRun, user: Reader, session: Db, asked: Download) -> Response:
    """Every stored difference of the run's latest replay check (of the user's municipalities)."""
    job = latest(session, run)
    if job is None or job.result is None:
        raise Refusal(404, N_("run %(run)s has no finished replay check"), run=run.id)
    citizens, differences = visible_differences(job, user, len(job.result.get("first", [])))
    name = asked.t._("run %(run)s replay differences", run=run.id)
    return asked.send(
        differences_table(differences, asked.t), name, what="differences", run=run, citizens=citizens
    )
