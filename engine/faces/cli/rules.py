"""`fsm evaluate` and `fsm rules`: one citizen's decision, and the rules of a pack."""

import json
from pathlib import Path
from typing import Annotated

import typer

from engine.faces.cli.common import (
    AsOf,
    Municipality,
    Programme,
    ShowCpr,
    app,
    console,
    fail,
    pack_or_fail,
    read_citizen,
    today_or_fail,
)
from models import cpr
from models.today import UnknownTimeZone

rules_app = typer.Typer(
    help="The rules of a rule pack: labels, parameters in force today and sources."
    "\n\nExample: fsm rules --programme fsm1"
)
app.add_typer(rules_app, name="rules")


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
    from engine.faces import render
    from engine.rules.pack import PackError
    from engine.rules.programmes import programme_of

    timeline = read_citizen(file)
    pack = pack_or_fail(programme)
    try:
        found = programme_of(pack).decide_citizen(timeline, municipality, pack, as_of=as_of)
    except (PackError, UnknownTimeZone) as error:
        raise fail(str(error)) from None
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
    from engine.faces import render

    pack = pack_or_fail(programme)
    console.print(render.rules_table(pack, pack.rules(), pack.parameters_at(today_or_fail())))


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. fsm1.five_years_on_support")],
) -> None:
    """Show one rule: condition, dated parameters and the source sentence it implements.

    Example: fsm rules show fsm1.five_years_on_support
    """
    from engine.faces import render

    programme = rule_id.split(".", 1)[0]
    pack = pack_or_fail(programme)
    try:
        rule = pack.rule(rule_id)
    except KeyError:
        raise fail(f"no rule {rule_id!r}; known: {', '.join(r.id for r in pack.rules())}") from None
    console.print(render.rule_detail(pack, rule))
