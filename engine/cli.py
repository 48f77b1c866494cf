"""The `fsm` command line. Commands are thin: the logic lives in the modules they call."""

import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine import audit, cpr, render, results, synthetic
from engine.delivery import DeliveryError
from engine.errors import describe_validation_error
from engine.export import ExportFormat, export
from engine.importing import count_rows, import_folder
from engine.pack import PackError, get_pack, programmes
from engine.programmes import programme_of
from engine.run import RunRefused, nightly_run
from engine.simulate import chart as simulation_chart
from engine.simulate import document, tables, text, workbook
from engine.simulate.base import BaseData, load_base
from engine.simulate.loading import LoadedScenario, ScenarioError, Source, load_scenario
from engine.simulate.scenario import Scenario
from engine.simulate.simulation import Simulation
from engine.simulate.simulation import simulate as run_simulation
from engine.synthetic import aalborg, herning, write_delivery
from engine.users import UsersError, add_user, load_users, users_file
from models.database import downgrade, engine_from_env, upgrade
from models.domain import CitizenTimeline

app = typer.Typer(
    name="fsm",
    help="Flere skal med payout eligibility engine: target groups, rates and payouts, with a trace per decision."
    "\n\nExample: fsm evaluate examples/citizens/member.json --programme fsm1 --municipality 851",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(
    help="The rules of a rule pack: labels, parameters in force today and sources."
    "\n\nExample: fsm rules --programme fsm1"
)
app.add_typer(rules_app, name="rules")
db_app = typer.Typer(
    help="The database schema (Alembic migrations); DATABASE_URL chooses the database.\n\nExample: fsm db upgrade"
)
app.add_typer(db_app, name="db")

console = Console()
BAD_INPUT = 2

Programme = Annotated[str, typer.Option("--programme", "-p", help="Rule pack: " + ", ".join(programmes()))]
Municipality = Annotated[
    str, typer.Option("--municipality", "-m", help="3-digit municipality code, e.g. 851")
]
AsOf = Annotated[
    date | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="Date the law is read at (default: fsm1 the pack's cut-off date, fsm2 today)",
    ),
]
ShowCpr = Annotated[bool, typer.Option("--show-cpr", help="Show full CPR numbers (personal data)")]


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(BAD_INPUT)


def read_citizen(path: Path) -> CitizenTimeline:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"{path}: cannot read: {error}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(
            f"{path}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    try:
        return CitizenTimeline.model_validate(raw)
    except ValidationError as error:
        raise fail(f"{path}: {describe_validation_error(error)}") from None


def pack_or_fail(programme: str):  # noqa: ANN201 - returns engine.pack.Pack
    try:
        return get_pack(programme)
    except PackError as error:
        raise fail(str(error)) from None


@app.command()
def evaluate(
    file: Annotated[Path, typer.Argument(help="One citizen's timeline as JSON")],
    programme: Programme = "fsm1",
    municipality: Municipality = "851",
    as_of: AsOf = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    show_cpr: ShowCpr = False,
) -> None:
    """Decide whether one citizen belongs to a municipality's target group, and show why, rule by rule.

    Example: fsm evaluate examples/citizens/member.json --programme fsm1 --municipality 851 --json
    """
    timeline = read_citizen(file)
    pack = pack_or_fail(programme)
    found = programme_of(pack).decide_citizen(timeline, municipality, pack, as_of=as_of)
    if as_json:
        document = found.model_dump(mode="json")
        document.update(member=found.outcome, failed_rules=found.failed_rules)
        if not show_cpr:
            document["subject"] = cpr.mask(found.subject)
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        render.decision(console, found, full_cpr=show_cpr)


@rules_app.callback(invoke_without_command=True)
def rules_list(ctx: typer.Context, programme: Programme = "fsm1") -> None:
    """List the rules of a pack with labels, parameters in force today and sources.

    Example: fsm rules --programme fsm1
    """
    if ctx.invoked_subcommand is not None:
        return
    pack = pack_or_fail(programme)
    console.print(render.rules_table(pack, pack.rules(), pack.parameters_at(date.today())))


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. fsm1.five_years_on_support")],
) -> None:
    """Show one rule: condition, dated parameters and the source sentence it implements.

    Example: fsm rules show fsm1.five_years_on_support
    """
    programme = rule_id.split(".", 1)[0]
    pack = pack_or_fail(programme)
    try:
        rule = pack.rule(rule_id)
    except KeyError:
        raise fail(f"no rule {rule_id!r}; known: {', '.join(r.id for r in pack.rules())}") from None
    console.print(render.rule_detail(pack, rule))


def database() -> Engine:
    """The database of `DATABASE_URL` (default: the embedded SQLite file), brought to the latest schema."""
    engine = engine_from_env()
    upgrade(engine)
    return engine


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Bring the database to the latest schema (or to REVISION).

    Example: DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test fsm db upgrade
    """
    upgrade(engine_from_env(), revision)
    console.print(f"database {database_url_shown()} is at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "base") -> None:
    """Undo migrations down to REVISION (default: an empty database).

    Example: fsm db downgrade base
    """
    downgrade(engine_from_env(), revision)
    console.print(f"database {database_url_shown()} is at {revision}")


def database_url_shown() -> str:
    return engine_from_env().url.render_as_string(hide_password=True)


SOME_REJECTED = 3


@app.command("import")
def import_command(
    folder: Annotated[Path, typer.Argument(help="A delivery: a folder of CSV files (SPEC section 3)")],
    report_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where rejects.csv and summary.json go (default: import-reports/delivery-<id>-<time>/)"
        ),
    ] = None,
    show_cpr: ShowCpr = False,
) -> None:
    """Import one data delivery; bad rows go to a rejects report, good rows are never lost.

    Citizen ids in rejects.csv are masked (DDMMYY-xxxx) unless --show-cpr is given.

    Exit status: 0 all rows accepted (or the same delivery was imported before: nothing changes),
    3 some rejected, 2 the delivery cannot be read (nothing imported).
    Example: fsm import examples/delivery --report-dir reports/2018-03
    """
    engine = database()
    with progress_bar("reading rows") as bar:
        task = bar.add_task("rows", total=count_rows(folder) if folder.is_dir() else None)
        try:
            imported = import_folder(
                engine,
                folder,
                report_dir=report_dir,
                advance=lambda n: bar.advance(task, n),
                show_cpr=show_cpr,
            )
        except DeliveryError as error:
            raise fail(f"{error}; nothing was imported") from None
    counts = [(f.name, f.rows_read, f.accepted, f.rejected) for f in imported.content.files]
    if console.is_terminal:
        table = Table("file", "rows read", "accepted", "rejected", title=str(imported))
        for name, *numbers in counts:
            table.add_row(name, *map(str, numbers))
        console.print(table)
    else:
        typer.echo(str(imported))
        for name, read, accepted, rejected in counts:
            typer.echo(f"{name}: {read} rows read = {accepted} accepted + {rejected} rejected")
    for name in imported.content.ignored:
        typer.echo(f"ignored: {name} is not a file of a delivery")
    typer.echo(f"report: {imported.report / 'rejects.csv'} and {imported.report / 'summary.json'}")
    if imported.content.rejects and imported.stored.new:
        raise typer.Exit(SOME_REJECTED)


def progress_bar(total_label: str) -> Progress:
    """A progress bar on a terminal; silent in CI and when output is not a terminal."""
    quiet = bool(os.environ.get("CI")) or not sys.stdout.isatty()
    return Progress(
        TextColumn(total_label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=quiet,
        console=console,
    )


CORES = os.cpu_count() or 1
Workers = Annotated[int, typer.Option(min=1, help="Processes that evaluate municipalities")]
OnlyMunicipality = Annotated[str | None, typer.Option("--municipality", "-m", help="Only this municipality")]
RunId = Annotated[int | None, typer.Option("--run", help="Run id (default: the latest finished run)")]


@app.command("run")
def run_command(
    as_of: Annotated[
        date | None, typer.Option(formats=["%Y-%m-%d"], help="Evaluate as of this date (default: today)")
    ] = None,
    programme: Programme = "fsm1",
    municipality: OnlyMunicipality = None,
    workers: Workers = CORES,
) -> None:
    """The nightly eligibility run: every municipality with a grant (or one), stored as a run.

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
                on_start=lambda _run, total: bar.update(task, total=total),
                advance=lambda n: bar.advance(task, n),
            )
        except RunRefused as error:
            raise fail(str(error)) from None
    for stale in outcome.interrupted:
        console.print(f"[yellow]run {stale} had been interrupted; it is now marked failed[/yellow]")
    members = sum(s.members for s in outcome.statuses)
    console.print(
        f"run {outcome.run_id} finished: {programme} as of {day}, {len(outcome.statuses)} municipalities, {members} members"
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


@dataclass(frozen=True)
class Demo:
    name: str
    build: Callable[[], synthetic.Municipality]
    status_day: date


DEMOS = {
    "fsm1": Demo("Aalborg, FSM1, as in seed 002", lambda: aalborg.municipality("851"), aalborg.STATUS_DAY),
    "fsm2": Demo("Herning, FSM2, as in seed 003", herning.municipality, herning.STATUS_DAY),
}


@app.command()
def demo(
    programme: Programme = "fsm1",
    as_of: Annotated[
        date | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="The status date (default: fsm1 2018-03-02, fsm2 2021-12-31)"
        ),
    ] = None,
    workers: Workers = CORES,
) -> None:
    """Build a synthetic municipality — Aalborg's FSM1 project in 2018 (seed 002), or Herning's FSM2
    project (seed 003) with --programme fsm2 — import it, run, and print the status.

    Example: fsm demo --programme fsm2
    """
    if programme not in DEMOS:
        raise fail(f"no demo for {programme!r}; known: {', '.join(DEMOS)}")
    shown = DEMOS[programme]
    place = shown.build()
    engine = database()
    with tempfile.TemporaryDirectory() as folder:
        delivery = Path(folder) / f"{programme}-demo"
        write_delivery(delivery, [place])
        imported = import_folder(engine, delivery)
    console.print(f"demo delivery ({shown.name}) imported: {imported}")
    run_command(
        as_of=as_of or shown.status_day, programme=programme, municipality=place.code, workers=workers
    )
    status(run=None, municipality=place.code, as_json=False, show_cpr=False)


AsJson = Annotated[
    bool, typer.Option("--json", help='One JSON object: {"baseline", "scenario", "differences", ...}')
]
Xlsx = Annotated[Path | None, typer.Option("--xlsx", help="Also write every table to this Excel file")]
Chart = Annotated[
    Path | None,
    typer.Option("--chart", help="Also draw the monthly shares, baseline and scenario, to a .png or .svg"),
]


def fail_scenario(error: ScenarioError) -> typer.Exit:
    """Every problem of a scenario on stderr, one `error:` line each (they name their lines)."""
    return fail("\nerror: ".join(error.messages))


def simulated(loaded: LoadedScenario, chart: Path | None, base: BaseData | None = None) -> Simulation:
    """Simulate on `base` (default: the scenario's own base data); problems exit with status 2."""
    if chart is not None and chart.suffix.lower() not in simulation_chart.SUFFIXES:
        raise fail(f"--chart {chart}: the file must end in .png or .svg")
    try:
        return run_simulation(loaded, base or load_base(loaded))
    except ScenarioError as error:
        raise fail_scenario(error) from None


def show_simulation(
    simulation: Simulation, as_json: bool, xlsx: Path | None, chart: Path | None, show_cpr: bool
) -> None:
    if as_json:
        typer.echo(document.dumps(simulation, full_cpr=show_cpr))
    else:
        text.show(console, simulation, full_cpr=show_cpr)
    if xlsx is not None:
        workbook.save(tables.sheets(simulation, full_cpr=show_cpr), xlsx)
        typer.echo(f"wrote {xlsx}", err=as_json)
    if chart is not None:
        simulation_chart.save_chart(simulation, chart)
        typer.echo(f"wrote {chart}", err=as_json)


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="A scenario file (YAML): base data, as-of date, changes")],
    as_json: AsJson = False,
    xlsx: Xlsx = None,
    chart: Chart = None,
    show_cpr: ShowCpr = False,
) -> None:
    """Try a what-if scenario on a copy of the data: baseline and scenario side by side, the money, and
    which change made which decision differ. Nothing is written to the data or the runs.

    Example: fsm simulate examples/scenarios/visitate-and-internships.yaml --xlsx out/scenario.xlsx --chart out/shares.png
    """
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as error:
        raise fail_scenario(error) from None
    show_simulation(simulated(loaded, chart), as_json, xlsx, chart, show_cpr)


@app.command()
def forecast(
    municipality: Municipality,
    programme: Programme = "fsm1",
    base: Annotated[
        str, typer.Option(help="latest (the latest run's data), a run id, or a delivery folder")
    ] = "latest",
    start: Annotated[
        date | None,
        typer.Option(
            "--from",
            formats=["%Y-%m-%d"],
            help="Measure the pace on this day (default: the run's as-of date)",
        ),
    ] = None,
    until: Annotated[
        date | None,
        typer.Option(
            "--until", formats=["%Y-%m-%d"], help="Evaluate as of this day (default: the project's end)"
        ),
    ] = None,
    window_weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks of visitation pace measured")] = 8,
    trend_months: Annotated[
        int, typer.Option(min=1, max=24, help="Months the activity trend is drawn through")
    ] = 3,
    as_json: AsJson = False,
    xlsx: Xlsx = None,
    chart: Chart = None,
    show_cpr: ShowCpr = False,
) -> None:
    """Project the current pace (visitations per week, the activity share's trend) to the end of the
    project: whether and when rates 2 and 3 would trigger, with the assumption in words.

    Example: fsm forecast --municipality 851 --chart out/forecast.png
    """
    source = Source("forecast", Path.cwd())
    try:
        scenario = Scenario.model_validate(
            {
                "municipality": municipality,
                "programme": programme,
                "base": int(base) if base.isdigit() else base,
                "title": f"forecast of {municipality}",
                "forecast": {"from": start, "window_weeks": window_weeks, "trend_months": trend_months},
            }
        )
    except ValidationError as error:
        raise fail(describe_validation_error(error)) from None
    loaded = LoadedScenario(scenario, source)
    try:
        base = load_base(loaded)
    except ScenarioError as error:
        raise fail_scenario(error) from None
    loaded = LoadedScenario(scenario.model_copy(update={"as_of": until or base.grant.project_end}), source)
    show_simulation(simulated(loaded, chart, base), as_json, xlsx, chart, show_cpr)


def command_group(name: str, help: str) -> typer.Typer:
    """A group of sub-commands, `fsm NAME COMMAND`."""
    group = typer.Typer(help=help)
    app.add_typer(group, name=name)
    return group


audit_app = command_group(
    "audit",
    "Audit stored runs: prove that a run's stored results are what its rules give on its data."
    "\n\nExample: fsm audit verify 3",
)
users_app = command_group(
    "users",
    "Users of the web UI (`fsm serve`), kept in the users file (FSM_USERS, default fsm-users.toml)."
    "\n\nExample: fsm users add alice --role auditor",
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
) -> None:
    """The auditors' web UI and JSON API (OpenAPI at /openapi.json), behind a login.

    Users come from the users file (FSM_USERS, default fsm-users.toml): without one it refuses to start.
    Example: fsm users add alice --role auditor && fsm serve --port 8000
    """
    try:
        users = load_users(users_file())
    except UsersError as error:
        raise fail(str(error)) from None
    import uvicorn

    from engine.web import create_app

    uvicorn.run(create_app(database(), users), host=host, port=port)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (letters, digits, '_', '.', '-')")],
    role: Annotated[
        str, typer.Option(help="auditor (CPR masked), auditor_cpr (full CPR), or a role of the file")
    ],
) -> None:
    """Add a user of the web UI, or give an existing one a new role and password: asked for twice on
    a terminal, else read from the first line of standard input.

    Example: fsm users add alice --role auditor
    """
    path = users_file()
    if sys.stdin.isatty():
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        new = add_user(path, name, role, password)
    except UsersError as error:
        raise fail(str(error)) from None
    console.print(f"{'added' if new else 'updated'} user {name} ({role}) in {path}", highlight=False)
