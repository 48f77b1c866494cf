"""`fsm serve` and `fsm users`: the auditors' web UI and who may use it."""

import sys
from typing import Annotated

import typer

from engine.faces.cli.common import app, command_group, console, database, fail

users_app = command_group(
    "users",
    "Users of the web UI (`fsm serve`), kept in the users file (FSM_USERS, default fsm-users.toml)."
    "\n\nExample: fsm users add alice --role auditor",
)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
) -> None:
    """The auditors' web UI and JSON API (OpenAPI at /openapi.json), behind a login.

    Users come from the users file (FSM_USERS, default fsm-users.toml): without one it refuses to start.
    Example: fsm users add alice --role auditor && fsm serve --port 8000
    """
    from engine.faces.users import UsersError, load_users, users_file

    try:
        users = load_users(users_file())
    except UsersError as error:
        raise fail(str(error)) from None
    import uvicorn

    from engine.faces.web import create_app

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
    from engine.faces.users import UsersError, add_user, users_file

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
