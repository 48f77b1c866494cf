"""The `fsm` command line."""

import typer

app = typer.Typer(
    name="fsm",
    help="Flere skal med payout eligibility engine: target groups, rates and payouts, with a trace per decision.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
