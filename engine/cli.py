"""The `fsm` command line. Commands are thin: the logic lives in the modules they call."""

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from engine import render
from engine.decide import decide_membership
from engine.errors import describe_validation_error
from engine.pack import PackError, get_pack, programmes
from models.domain import CitizenTimeline

app = typer.Typer(
    name="fsm",
    help="Flere skal med payout eligibility engine: target groups, rates and payouts, with a trace per decision.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="The rules of a rule pack: labels, parameters and sources.")
app.add_typer(rules_app, name="rules")

console = Console()
BAD_INPUT = 2

Programme = Annotated[str, typer.Option("--programme", "-p", help="Rule pack: " + ", ".join(programmes()))]
Municipality = Annotated[
    str, typer.Option("--municipality", "-m", help="3-digit municipality code, e.g. 851")
]
AsOf = Annotated[
    date | None,
    typer.Option(formats=["%Y-%m-%d"], help="Date the law is read at (default: the pack's cut-off date)"),
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
    found = decide_membership(timeline, municipality, pack_or_fail(programme), as_of=as_of)
    if as_json:
        document = found.model_dump(mode="json")
        document.update(member=found.outcome, failed_rules=found.failed_rules)
        if not show_cpr:
            document["subject"] = render.cpr.mask(found.subject)
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
