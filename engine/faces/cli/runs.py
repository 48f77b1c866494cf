"""The nightly run and what reads it: `fsm run`, `status`, `explain`, `diff`, `audit verify`, `export`."""

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from engine.faces import render
from engine.faces.cli.common import (
    CORES,
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
)
from engine.runs import audit, results
from engine.runs.export import ExportFormat, export
from engine.runs.run import RunRefused, Terminated, nightly_run
from models import cpr

STOPPED, INTERRUPTED = 128 + 15, 128 + 2
"""`fsm run`'s exit status when SIGTERM or Ctrl-C (SIGINT) stopped it, as a shell reports a process
ended by that signal."""


@app.command("run")
def run_command(
    as_of: Annotated[
        date | None, typer.Option(formats=["%Y-%m-%d"], help="Evaluate as of this date (default: today)")
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
) -> None:
    """The nightly eligibility run: every municipality with a grant (or one), stored as a run.

    Citizens whose timeline and facts cannot have changed since the last run are carried over
    from it, not evaluated again; every municipality is concluded again.

    Exit status: 0 finished, 2 refused (another run is writing), 143 stopped by SIGTERM, 130 by Ctrl-C
    (the run is marked failed).
    Example: fsm run --as-of 2018-03-02
    """
    engine = database()
    day = as_of or date.today()
    with progress_bar("evaluating citizens") as bar:
        task = bar.add_task("citizens", total=None)
        try:
            outcome = nightly_run(
                engine,
                programme=programme,
                as_of=day,
                municipality=municipality,
                workers=workers,
                full=full,
                on_start=lambda _run, total: bar.update(task, total=total),
                advance=lambda n: bar.advance(task, n),
            )
        except RunRefused as error:
            raise fail(str(error)) from None
        except Terminated:
            typer.echo("error: the run was stopped (SIGTERM); it is marked failed", err=True)
            raise typer.Exit(STOPPED) from None
        except KeyboardInterrupt:
            typer.echo("error: the run was interrupted (Ctrl-C); it is marked failed", err=True)
            raise typer.Exit(INTERRUPTED) from None
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


@app.command()
def status(
    run: RunId = None,
    municipality: OnlyMunicipality = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON array, one object per municipality")
    ] = False,
    show_cpr: ShowCpr = False,
) -> None:
    """The status of each municipality in a run: members, exits, visitation, rates 1–3 and months.

    Example: fsm status --municipality 851 --json
    """
    with Session(database()) as session:
        try:
            found = results.get_run(session, run)
            shown = results.statuses(session, found, municipality)
        except results.NotFound as error:
            raise fail(str(error)) from None
    if not shown:
        raise fail(f"run {found.id} has no municipality {municipality}")
    if as_json:
        typer.echo(
            json.dumps(
                [render.masked_status(s, full_cpr=show_cpr) for s in shown], ensure_ascii=False, indent=2
            )
        )
        return
    console.print(
        f"run {found.id} ({found.status}), {found.programme} as of {found.as_of}, pack {found.pack_hash[:12]}"
    )
    for one in shown:
        render.municipality_status(console, one, full_cpr=show_cpr)


@app.command()
def explain(
    citizen: Annotated[
        str, typer.Argument(help="The citizen's id (CPR number with or without dash, or pseudonym)")
    ],
    run: RunId = None,
    show_cpr: ShowCpr = False,
) -> None:
    """One citizen's decisions in a run, each with its full trace.

    Example: fsm explain 050379-1234 --run 3
    """
    with Session(database()) as session:
        try:
            found = results.get_run(session, run)
            decisions = results.citizen_decisions(session, found, cpr.normalise(citizen.strip()))
        except results.NotFound as error:
            raise fail(str(error)) from None
    if not decisions:
        raise fail(f"run {found.id} has no decision about {cpr.shown(citizen, full=show_cpr)}")
    for decision in decisions:
        render.decision(console, decision, full_cpr=show_cpr)
        console.print()


@app.command()
def diff(
    first: Annotated[int, typer.Argument(help="The earlier run")],
    second: Annotated[int, typer.Argument(help="The later run")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per change")] = False,
    show_cpr: ShowCpr = False,
) -> None:
    """What changed between two runs (members, statuses, groups, rate decisions) and why.

    Example: fsm diff 3 4
    """
    with Session(database()) as session:
        try:
            changes = results.diff(session, results.get_run(session, first), results.get_run(session, second))
        except results.NotFound as error:
            raise fail(str(error)) from None
    documents = [
        {**change.__dict__, "subject": change.subject and cpr.shown(change.subject, full=show_cpr)}
        for change in changes
    ]
    if as_json:
        typer.echo(json.dumps(documents, ensure_ascii=False, indent=2, default=str))
        return
    console.print(f"{len(changes)} decisions differ between run {first} and run {second}")
    for change in documents:
        why = "; ".join(
            f"{k}: {render.value(a)} → {render.value(b)}" for k, (a, b) in change["facts_changed"].items()
        )
        failing = f" failing now: {', '.join(change['failed_after'])}" if change["failed_after"] else ""
        console.print(
            f"{change['municipality']} {change['subject'] or '(municipality)'} {change['decision']}: "
            f"{change['before']} → {change['after']}.{failing}" + (f" Because {why}." if why else "")
        )


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
    """Replay a stored run from the deliveries it read and the rule pack it used, and compare.

    Exit status: 0 identical, 1 different (the first differences are listed), 2 no such run or not finished.
    Example: fsm audit verify 3
    """
    try:
        found = audit.verify(database(), run, limit=show)
    except (results.NotFound, audit.NotVerifiable) as error:
        raise fail(str(error)) from None
    if found.identical:
        console.print(
            f"run {run}: identical — replaying it gives the same {found.decisions} decisions, statuses and parameters"
        )
        return
    console.print(f"run {run}: different — {found.differences} differences; the first {len(found.first)}:")
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
    raise typer.Exit(DIFFERENT)


@app.command("export")
def export_command(
    run: Annotated[int, typer.Argument(min=1, help="The run to export")],
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", help="jsonl: a decision a line; csv: a trace entry a row"),
    ] = ExportFormat.jsonl,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: standard output)")
    ] = None,
    show_cpr: ShowCpr = False,
) -> None:
    """A run's decisions and their traces for auditors, as JSON lines or CSV (CPR numbers masked).

    Example: fsm export 3 --format csv --output run-3.csv
    """
    with Session(database()) as session:
        try:
            found = results.get_run(session, run)
        except results.NotFound as error:
            raise fail(str(error)) from None
        chunks = export(session, found, fmt, full_cpr=show_cpr)
        if output is None:
            sys.stdout.writelines(chunks)
            return
        with output.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(chunks)
    console.print(f"run {run} exported to {output}", highlight=False)
