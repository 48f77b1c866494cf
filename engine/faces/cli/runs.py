"""The nightly run and what reads it: `fsm run`, `status`, `explain`, `diff`, `audit verify`, `export`.
Each command imports the run, the database and the rendering it uses (not every command's)."""

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from engine.faces.cli.common import (
    CORES,
    Lang,
    OnlyMunicipality,
    Programme,
    RunId,
    ShowCpr,
    Workers,
    app,
    command_group,
    console,
    database,
    fail,
    progress_bar,
    today_or_fail,
)
from engine.faces.cli.failures import Status, explained
from engine.faces.downloads import Separator
from engine.faces.i18n import Language, texts
from engine.runs.export_formats import ExportFormat
from models import cpr

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.runs import audit
    from engine.runs.run import RunOutcome


@app.command("run")
def run_command(
    as_of: Annotated[
        date | None,
        typer.Option(formats=["%Y-%m-%d"], help="Evaluate as of this date (default: today in Copenhagen)"),
    ] = None,
    programme: Programme = "fsm1",
    municipality: OnlyMunicipality = None,
    workers: Workers = CORES,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Evaluate every citizen (by default, unchanged citizens are carried over from the last run)",
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print a JSON summary for monitoring (and what changed since the last run)"
        ),
    ] = False,
) -> None:
    """The nightly eligibility run: every municipality with a grant (or one), stored as a run.

    Citizens whose timeline and facts cannot have changed since the last run are carried over
    from it, not evaluated again (`--full` evaluates everyone); every municipality is concluded again.

    Exit status (docs/exit-status.md): 0 finished; 2 refused: bad input (e.g. a day before the rules
    apply); 75 refused: another run holds the lock (try later); 143 stopped by SIGTERM, 130 by
    Ctrl-C (the run is marked failed); another failed run is marked failed and ends with one line
    and the status of its cause (1 unexpected, 4 busy, 6 disk full, …).
    Example: fsm run --as-of 2018-03-02 --json
    """
    from engine.rules.pack import PackError
    from engine.runs.run import RunRefused, Terminated, nightly_run

    engine = database()
    day = as_of or today_or_fail()
    started: list[int] = []
    with progress_bar("evaluating citizens") as bar:
        task = bar.add_task("citizens", total=None)

        def on_start(run_id: int, total: int) -> None:
            started.append(run_id)
            bar.update(task, total=total)

        try:
            outcome = nightly_run(
                engine,
                programme=programme,
                as_of=day,
                municipality=municipality,
                workers=workers,
                full=full,
                on_start=on_start,
                advance=lambda n: bar.advance(task, n),
            )
        except (RunRefused, PackError) as error:
            busy = isinstance(error, RunRefused)
            _report_unfinished(as_json, "refused", None, str(error))
            raise typer.Exit(Status.RUN_LOCKED if busy else Status.BAD_INPUT) from None
        except Terminated:
            _report_unfinished(as_json, "failed", started[0] if started else None, "stopped by SIGTERM")
            raise typer.Exit(Status.STOPPED) from None
        except KeyboardInterrupt:
            _report_unfinished(as_json, "failed", started[0] if started else None, "interrupted (Ctrl-C)")
            raise typer.Exit(Status.INTERRUPTED) from None
        except Exception as error:  # noqa: BLE001 - any failure of the run: one line, the run is marked failed
            status, why = explained(error)
            run_id = started[0] if started else None
            _report_unfinished(as_json, "failed", run_id, why)
            raise typer.Exit(status) from None
    if as_json:
        typer.echo(json.dumps(_run_summary(engine, outcome), ensure_ascii=False, indent=2))
        return
    for stale in outcome.interrupted:
        console.print(f"[yellow]run {stale} had been interrupted; it is now marked failed[/yellow]")
    members = sum(s.members for s in outcome.statuses)
    console.print(
        f"run {outcome.run_id} finished: {programme} as of {day}, {len(outcome.statuses)} municipalities, {members} members"
    )
    evaluated = outcome.citizens - outcome.carried
    console.print(
        f"{evaluated} citizens evaluated"
        + (
            f", {outcome.carried} carried over from run {outcome.carried_from}"
            if outcome.carried_from
            else ""
        )
    )


def _report_unfinished(as_json: bool, status: str, run_id: int | None, error: str) -> None:
    """A run refused or failed: one line on standard error, and the JSON summary if asked for."""
    about = f"run {run_id} failed: " if run_id is not None else ""
    typer.echo(f"error: {about}{error.splitlines()[0] if error else status}", err=True)
    if as_json:
        typer.echo(json.dumps({"run": run_id, "status": status, "error": error}, ensure_ascii=False))


def _run_summary(engine: "Engine", outcome: "RunOutcome") -> dict[str, Any]:
    """`fsm run --json`: the run, its counts and seal, and what changed since the programme's last run."""
    from sqlalchemy.orm import Session

    from engine.runs import diff as diffs
    from engine.runs import results

    with Session(engine) as session:
        run = results.get_run(session, outcome.run_id)
        return {
            "run": run.id,
            "status": run.status,
            "programme": run.programme,
            "as_of": run.as_of.isoformat(),
            "delivery": run.delivery_id,
            "municipalities": len(outcome.statuses),
            "citizens": run.citizens,
            "members": run.members,
            "decisions": run.decisions,
            "digest": run.digest,
            "interrupted": outcome.interrupted,
            "since_previous": diffs.since_previous(session, run),
        }


@app.command()
def status(
    run: RunId = None,
    municipality: OnlyMunicipality = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON array, one object per municipality")
    ] = False,
    show_cpr: ShowCpr = False,
    lang: Lang = Language.en,
) -> None:
    """The status of each municipality in a run: members, exits, visitation, rates 1–3 and months.

    Example: fsm status --municipality 851 --lang da
    """
    from sqlalchemy.orm import Session

    from engine.faces import render
    from engine.runs import results

    with Session(database()) as session:
        try:
            found = results.get_run(session, run)
            shown = results.statuses(session, found, municipality)
        except results.NotFound as error:
            raise fail(str(error)) from None
    if not shown and municipality is not None:
        raise fail(f"run {found.id} has no municipality {municipality}")
    if found.status != "finished":
        raise fail(
            f"run {found.id} is {found.status}: it stored no results"
            + (f" ({found.error})" if found.error else "")
        )
    if not shown and not as_json:
        data = f"delivery {found.delivery_id}" if found.delivery_id is not None else "no delivery yet"
        console.print(
            f"run {found.id} ({found.status}), {found.programme} as of {found.as_of}, evaluated no municipality: "
            f"no {found.programme} grant was known ({data})",
            highlight=False,
            soft_wrap=True,
        )
        return
    if as_json:
        typer.echo(
            json.dumps(
                [render.masked_status(s, full_cpr=show_cpr) for s in shown], ensure_ascii=False, indent=2
            )
        )
        return
    t = texts(lang)
    console.print(
        t._(
            "run %(run)s (%(status)s), %(programme)s as of %(day)s, pack %(hash)s",
            run=found.id,
            status=t.code("run", found.status),
            programme=t.programme(found.programme),
            day=t.date(found.as_of),
            hash=found.pack_hash[:12],
        )
    )
    for one in shown:
        render.municipality_status(console, one, full_cpr=show_cpr, t=t)


@app.command()
def explain(
    citizen: Annotated[
        str, typer.Argument(help="The citizen's id (CPR number with or without dash, or pseudonym)")
    ],
    run: RunId = None,
    show_cpr: ShowCpr = False,
    lang: Lang = Language.en,
) -> None:
    """One citizen's decisions in a run, each with its full trace.

    Example: fsm explain 050379-1234 --run 3
    """
    from sqlalchemy.orm import Session

    from engine.faces import render
    from engine.runs import results

    with Session(database()) as session:
        try:
            found = results.get_run(session, run)
            decisions = results.citizen_decisions(session, found, cpr.normalise(citizen.strip()))
        except results.NotFound as error:
            raise fail(str(error)) from None
    if not decisions:
        raise fail(f"run {found.id} has no decision about {cpr.shown(citizen, full=show_cpr)}")
    for decision in decisions:
        render.decision(console, decision, full_cpr=show_cpr, t=texts(lang))
        console.print()


@app.command()
def diff(
    first: Annotated[int, typer.Argument(help="The earlier run")],
    second: Annotated[int, typer.Argument(help="The later run")],
    municipality: OnlyMunicipality = None,
    page: Annotated[int, typer.Option(min=1, help="Which page of the citizens' changes")] = 1,
    per_page: Annotated[int, typer.Option(min=1, max=10_000, help="Citizens' changes a page")] = 100,
    cross_programme: Annotated[
        bool, typer.Option("--cross-programme", help="Compare runs of different programmes anyway")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="One JSON object: the summary (on page 1), the page of changes, the total"
        ),
    ] = False,
    show_cpr: ShowCpr = False,
) -> None:
    """What changed between two runs: first per municipality (members, exits, visitation, each rate's
    date and amount, each month, with why), then the citizens whose decisions changed, a page at a
    time. Computed once per pair of runs and stored. Runs of different programmes are refused
    (exit 2) unless --cross-programme is given.

    Example: fsm diff 3 4 --municipality 851
    """
    from sqlalchemy.orm import Session

    from engine.faces import render
    from engine.runs import diff as diffs
    from engine.runs import results
    from engine.words import worded

    with Session(database()) as session:
        try:
            found = diffs.compare(
                session,
                results.get_run(session, first),
                results.get_run(session, second),
                cross_programme=cross_programme,
            )
        except (results.NotFound, diffs.NotComparable) as error:
            raise fail(str(error)) from None
        scope = None if municipality is None else {municipality}
        shown = diffs.changes(
            session, found, municipalities=scope, offset=(page - 1) * per_page, limit=per_page
        )
    total, summary, runs = found.citizens_in(scope), worded(found.summary_of(scope)), worded(found.runs)
    documents = [
        {**change.__dict__, "subject": cpr.shown(change.subject, full=show_cpr)}
        | {"facts_changed": cpr.shown_in(change.facts_changed, full=show_cpr)}
        for change in shown
    ]
    if as_json:
        document = {
            "runs": runs,
            "summary": summary if page == 1 else None,
            "total": total,
            "page": page,
            "per_page": per_page,
            "changes": documents,
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))
        return
    for line in render.diff_header(runs):
        console.print(line, highlight=False, soft_wrap=True)
    if page == 1:
        console.print(render.diff_counts(summary), highlight=False)
        for entry in summary["municipalities"]:
            for line in render.diff_municipality(entry):
                console.print(line, highlight=False, soft_wrap=True)
    last = max(1, -(-total // per_page))
    console.print(f"citizens: {total} changes, page {page} of {last}", highlight=False)
    for change in documents:
        console.print(render.diff_change(change), highlight=False, soft_wrap=True)
    if page < last:
        console.print(f"more: --page {page + 1}", highlight=False)


audit_app = command_group(
    "audit",
    "Audit stored runs: prove that a run's stored results are what its rules give on its data."
    "\n\nExample: fsm audit verify 3",
)


DIFFERENT = 1


@audit_app.command("verify")
def audit_verify(
    run: Annotated[int, typer.Argument(min=1, help="The run to replay")],
    show: Annotated[int, typer.Option(min=1, help="How many differences to list at most")] = 10,
    show_cpr: ShowCpr = False,
) -> None:
    """Replay a stored run from the deliveries it read and the rule pack it used, and compare; check
    its seal (the digest over what it stored) and the chain of finished runs.

    Exit status: 0 identical and sealed, 1 different or a seal or link broken (each named),
    2 no such run or not finished.
    Example: fsm audit verify 3
    """
    from engine.faces import render
    from engine.runs import audit, results

    try:
        found = audit.verify(database(), run, limit=show)
    except (results.NotFound, audit.NotVerifiable) as error:
        raise fail(str(error)) from None
    if found.identical:
        console.print(
            f"run {run}: identical — replaying it gives the same {found.decisions} decisions, statuses, parameters and counts"
        )
    else:
        console.print(
            f"run {run}: different — {found.differences} differences; the first {len(found.first)}:"
        )
        table = Table("municipality", "citizen", "what", "stored", "replayed")
        for d in found.first:
            table.add_row(
                d.municipality,
                cpr.shown(d.subject, full=show_cpr) if d.subject else "",
                d.what,
                render.value(cpr.shown_in(d.stored, full=show_cpr)),
                render.value(cpr.shown_in(d.replayed, full=show_cpr)),
            )
        console.print(table)
    console.print(_seal_words(found), highlight=False, soft_wrap=True)
    for broken in found.chain:
        console.print(f"chain broken: {broken}", highlight=False, soft_wrap=True)
    if not found.chain:
        console.print("chain: every finished run is linked to the one before it", highlight=False)
    if not found.trusted:
        raise typer.Exit(DIFFERENT)


def _seal_words(found: "audit.Verification") -> str:
    if found.sealed is None:
        return f"run {found.run_id}: not sealed (it finished before runs were); digest of what it stores: {found.recomputed}"
    if found.sealed:
        return f"run {found.run_id}: sealed — what it stores gives its digest {found.digest}"
    return f"run {found.run_id}: seal broken — stored digest {found.digest}, what it stores now gives {found.recomputed}"


@audit_app.command("chain")
def audit_chain() -> None:
    """Recompute the digest of every sealed run and follow the chain from run to run: finds a run
    changed, added or deleted since it was sealed, whichever it is.

    Exit status: 0 intact, 1 broken (each break named).
    Example: fsm audit chain
    """
    from engine.runs import audit

    found = audit.chain(database())
    for broken in found.broken:
        console.print(f"broken: {broken}", highlight=False, soft_wrap=True)
    if found.broken:
        raise typer.Exit(DIFFERENT)
    console.print(
        f"chain intact: {found.runs} sealed runs, each giving its digest and linked to the one before; "
        f"latest digest {found.head}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("export")
def export_command(
    run: Annotated[int, typer.Argument(min=1, help="The run to export")],
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format", "-f", help="jsonl: a decision a line; csv: a decision a row; csv-trace: a rule a row"
        ),
    ] = ExportFormat.jsonl,
    separator: Annotated[
        Separator,
        typer.Option(
            "--sep", help="CSV: semicolon (Danish Excel: 4.699.600,00; 02-03-2018) or comma (plain)"
        ),
    ] = Separator.semicolon,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: standard output)")
    ] = None,
    show_cpr: ShowCpr = False,
    lang: Lang = Language.en,
) -> None:
    """A run's decisions and their traces for auditors, as JSON lines or CSV (CPR numbers masked).

    CSV files open in Danish Excel: `;` between cells and a UTF-8 byte order mark (--sep comma for
    commas and plain values); their column titles are in the --lang language.
    Example: fsm export 3 --format csv --output run-3.csv
    """
    from sqlalchemy.orm import Session

    from engine.faces import run_export
    from engine.runs import results

    with Session(database()) as session:
        try:
            found = results.get_run(session, run)
        except results.NotFound as error:
            raise fail(str(error)) from None
        chunks = run_export.lines(session, found, fmt, separator=separator, t=texts(lang), full_cpr=show_cpr)
        if output is None:
            sys.stdout.writelines(chunks)
            return
        with output.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(chunks)
    console.print(f"run {run} exported to {output}", highlight=False)
