"""`fsm serve`, `fsm users`, `fsm tokens` and `fsm access-log`: the auditors' web UI, who may use it,
the tokens scripts use, and what was shown of a citizen. The users, sessions and the database
are imported by the commands, not at every command's start."""

import getpass
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from engine.faces.cli.common import app, command_group, console, database, fail
from engine.faces.permissions import PERMISSIONS
from models import cpr

users_app = command_group(
    "users",
    "Users of the web UI (`fsm serve`), kept in the database: a change takes effect at once."
    "\n\nExample: fsm users add alice --role auditor",
)
tokens_app = command_group(
    "tokens",
    "Tokens for scripts using the JSON API (`Authorization: Bearer TOKEN`), each with a role and an expiry."
    "\n\nExample: fsm tokens create nightly-export --role auditor --expires 90d",
)
Municipalities = Annotated[
    list[str] | None,
    typer.Option(
        "--municipality", "-m", help="Only this municipality (repeat for several; default: every one)"
    ),
]


def _when(moment: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"  # type: ignore[attr-defined]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
) -> None:
    """The auditors' web UI and JSON API (OpenAPI at /openapi.json), behind a login.

    Users are those of `fsm users`: without one it refuses to start. Settings come from FSM_*
    variables (docs/web.md: FSM_SECURE_COOKIES, FSM_TRUSTED_PROXIES, FSM_PUBLIC_ORIGIN, …).
    Example: fsm users add alice --role auditor && fsm serve --port 8000
    """
    from sqlalchemy.orm import Session

    from engine.faces import users
    from engine.faces.web.settings import settings_from_env

    try:
        settings = settings_from_env()
    except ValueError as error:
        raise fail(str(error)) from None
    engine = database()
    with Session(engine) as session:
        if not users.has_users(session):
            raise fail(
                "there is no user: add one with `fsm users add NAME --role auditor` (or bring over a former "
                "users file with `fsm users import fsm-users.toml`); the server never runs without authentication"
            )
    import uvicorn

    from engine.faces.web import create_app

    uvicorn.run(create_app(engine, settings), host=host, port=port, proxy_headers=False)


def _password() -> str:
    if sys.stdin.isatty():
        return typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name (letters, digits, '_', '.', '-')")],
    role: Annotated[str, typer.Option(help="auditor, auditor_cpr, privacy, or a role of `fsm users role`")],
    municipality: Municipalities = None,
) -> None:
    """Add a user of the web UI, or give an existing one a new role, password and municipalities (their
    sessions end at once). The password (at least 12 characters, not the name, not a common one) is
    asked for twice on a terminal, else read from the first line of standard input.

    Example: fsm users add alice --role auditor
    """
    from sqlalchemy.orm import Session

    from engine.faces import users
    from engine.faces.users import UsersError

    password = _password()
    try:
        with Session(database()) as session, session.begin():
            new, ended = users.add_user(session, name, role, password, municipality or ())
    except UsersError as error:
        raise fail(str(error)) from None
    ending = f"; {ended} sessions ended" if ended else ""
    console.print(f"{'added' if new else 'updated'} user {name} ({role}){ending}", highlight=False)


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="The user to remove")]) -> None:
    """Remove a user; their sessions end at once.

    Example: fsm users remove alice
    """
    from sqlalchemy.orm import Session

    from engine.faces import users
    from engine.faces.users import UsersError

    try:
        with Session(database()) as session, session.begin():
            ended = users.remove_user(session, name)
    except UsersError as error:
        raise fail(str(error)) from None
    console.print(f"removed user {name}; {ended} sessions ended", highlight=False)


@users_app.command("list")
def users_list() -> None:
    """Every user with role, municipalities, last login and live sessions.

    Example: fsm users list
    """
    from sqlalchemy.orm import Session

    from engine.faces import users

    with Session(database()) as session:
        listed = users.list_users(session)
    table = Table("user", "role", "municipalities", "last login", "sessions", "added")
    for u in listed:
        places = ", ".join(u.municipalities) if u.municipalities else "all"
        table.add_row(u.name, u.role, places, _when(u.last_login_at), str(u.sessions), _when(u.created_at))
    console.print(table)


@users_app.command("role")
def users_role(
    name: Annotated[str, typer.Argument(help="The role's name (lower-case letters, digits, '_')")],
    permission: Annotated[
        list[str] | None,
        typer.Option("--permission", "-p", help=f"A permission: {', '.join(PERMISSIONS)} (repeat)"),
    ] = None,
) -> None:
    """Define a role (or change a role's permissions); `fsm users roles` lists them.

    Example: fsm users role viewer --permission read
    """
    from sqlalchemy.orm import Session

    from engine.faces import users
    from engine.faces.users import UsersError

    try:
        with Session(database()) as session, session.begin():
            new = users.define_role(session, name, permission or [])
    except UsersError as error:
        raise fail(str(error)) from None
    console.print(
        f"{'defined' if new else 'changed'} role {name}: {', '.join(sorted(permission or [])) or 'no permission'}"
    )


@users_app.command("roles")
def users_roles() -> None:
    """Every role and its permissions.

    Example: fsm users roles
    """
    from sqlalchemy.orm import Session

    from engine.faces import users

    with Session(database()) as session:
        found = users.roles(session)
    table = Table("role", "permissions")
    for role, permissions in sorted(found.items()):
        table.add_row(role, ", ".join(sorted(permissions)) or "—")
    console.print(table)


@users_app.command("import")
def users_import(
    path: Annotated[
        Path, typer.Argument(help="A users file of earlier versions (FSM_USERS, fsm-users.toml)")
    ],
) -> None:
    """Bring the users (with their password hashes) and roles of a former TOML users file into the
    database; users already there are left as they are. The file is read no more afterwards.

    Example: fsm users import fsm-users.toml
    """
    from sqlalchemy.orm import Session

    from engine.faces import users
    from engine.faces.users import UsersError

    try:
        with Session(database()) as session, session.begin():
            found = users.import_file(session, path)
    except UsersError as error:
        raise fail(str(error)) from None
    console.print(
        f"imported {len(found.users)} users and {len(found.roles)} roles from {path}"
        + (f"; already there, left as they are: {', '.join(found.skipped)}" if found.skipped else ""),
        highlight=False,
    )


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What the token is for (letters, digits, '_', '.', '-')")],
    role: Annotated[str, typer.Option(help="The role the token acts with")],
    expires: Annotated[str, typer.Option(help="How long it lives: days or hours, e.g. 90d, 12h")] = "90d",
    municipality: Municipalities = None,
) -> None:
    """Create a token for scripts and print it, once (only its hash is kept).

    Example: fsm tokens create nightly-export --role auditor --expires 90d
    """
    from sqlalchemy.orm import Session

    from engine.faces import sessions
    from engine.faces.users import UsersError

    try:
        lifetime = sessions.parse_duration(expires)
        with Session(database()) as session, session.begin():
            secret = sessions.create_token(session, name, role, lifetime, municipality or ())
    except UsersError as error:
        raise fail(str(error)) from None
    typer.echo(secret)
    typer.echo(
        f"token {name} ({role}) lives {expires}: it is shown this once; send it as `Authorization: Bearer …`",
        err=True,
    )


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token with its role, expiry, last use and state (never the token itself).

    Example: fsm tokens list
    """
    from sqlalchemy.orm import Session

    from engine.faces import sessions, users

    with Session(database()) as session:
        found = sessions.tokens(session)
    moment = users.now()
    table = Table("token", "role", "municipalities", "created", "expires", "last used", "state")
    for t in found:
        places = ", ".join(t.municipalities) if t.municipalities else "all"
        table.add_row(
            t.name,
            t.role,
            places,
            _when(t.created_at),
            _when(t.expires_at),
            _when(t.last_used_at),
            sessions.token_state(t, moment),
        )
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(name: Annotated[str, typer.Argument(help="The token to revoke")]) -> None:
    """Revoke a token: the next request with it gets 401.

    Example: fsm tokens revoke nightly-export
    """
    from sqlalchemy.orm import Session

    from engine.faces import sessions
    from engine.faces.users import UsersError

    try:
        with Session(database()) as session, session.begin():
            sessions.revoke_token(session, name)
    except UsersError as error:
        raise fail(str(error)) from None
    console.print(f"revoked token {name}", highlight=False)


@app.command("access-log")
def access_log_command(
    citizen: Annotated[str, typer.Option(help="The citizen (CPR number with or without dash, or pseudonym)")],
    since: Annotated[date | None, typer.Option(formats=["%Y-%m-%d"], help="Only from this day on")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write every entry to this CSV file")] = None,
) -> None:
    """What was shown of a citizen, by whom, when and from where — the answer to a request for insight
    (GDPR art. 15): views, lists, searches, replay checks, and exports of runs holding them. Logged too.

    Example: fsm access-log --citizen 050379-1234 --since 2026-01-01 --csv insight.csv
    """
    from sqlalchemy.orm import Session

    from engine.faces import access_log, downloads

    with Session(database()) as session:
        who = f"cli:{getpass.getuser()}"
        detail = f"since {since or 'ever'}"
        normal = cpr.normalise(citizen.strip())
        access_log.record(
            session, who, "access log", None, [normal], full_cpr=True, client="cli", detail=detail
        )
        entries = list(access_log.for_citizen(session, normal, since))
    if csv_file is not None:
        with csv_file.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(downloads.csv_lines(access_log.table(entries)))
        console.print(f"{len(entries)} entries written to {csv_file}", highlight=False)
        return
    table = Table("when (UTC)", "who", "what", "run", "full CPR", "from", "detail")
    for e in entries:
        full = "" if e.full_cpr is None else ("yes" if e.full_cpr else "no")
        table.add_row(
            _when(e.at), e.user, e.action, str(e.run_id or ""), full, e.client or "", e.detail or ""
        )
    console.print(f"{len(entries)} entries")
    console.print(table)
