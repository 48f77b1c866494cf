"""The scenario builder: the changes of `fsm simulate` as rows of a plain form, checked by the same
checks as a scenario file (each problem beside its field), run to show baseline and scenario side by
side (web/simulation_view.py); the result downloaded as Excel and the scenario as YAML, a YAML file
uploaded to fill the form; scenarios saved per user, listed, opened by link, copied, shared and
deleted (engine/faces/simulate/saved.py). Only saved scenarios are written."""

import io
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from engine.faces.i18n import N_, Texts
from engine.faces.simulate import saved as store
from engine.faces.simulate.api import Invalid
from engine.faces.simulate.fields import scenario_fields
from engine.faces.simulate.roundtrip import read_upload, scenario_yaml
from engine.faces.simulate.tables import sheets
from engine.faces.simulate.workbook import workbook
from engine.faces.users import User
from engine.faces.web.auth import Simulator, check_csrf
from engine.faces.web.deps import Db, MunicipalityCode, Refusal
from engine.faces.web.pages import page, texts_of
from engine.faces.web.scenario_form import LABELS, Row, change_of, placed, rows_from, rows_of, unmasked
from engine.faces.web.simulation_view import result_of
from engine.faces.web.tables import MEDIA
from engine.faces.web.workbench import check_works_on, refusals, scope, simulated
from engine.rules.pack import programmes
from engine.runs import results

pages = APIRouter(include_in_schema=False)
routers = (pages,)
Key = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="A saved scenario's key")]
UPLOAD_LIMIT = 1 << 20
"""The largest scenario file taken (1 MiB)."""
HEAD = ("title", "base", "as_of")


def _programme(asked: str | None) -> str:
    return asked if asked in programmes() else "fsm1"


def form_fields(programme: str, t: Texts, user: User) -> dict[str, Any]:
    described = scenario_fields(
        programme, t=t, municipalities=None if user.municipalities is None else user.municipalities
    )
    described["by_op"] = {o["op"]: o for o in described["operations"]}
    return described


def document_of(
    form: Mapping[str, str],
    municipality: str,
    programme: str,
    rows: list[Row],
    saved: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The scenario document the form stands for (citizens masked from a saved scenario unmasked)."""
    described = scenario_fields(programme)
    kinds = {o["op"]: {f["name"]: f["type"] for f in o["fields"]} for o in described["operations"]}
    codes = {p["name"] for p in described["parameters"] if p["type"] == "codes"}
    document: dict[str, Any] = {"municipality": municipality, "programme": programme}
    for name in HEAD:
        if text := form.get(name, "").strip():
            document[name] = int(text) if name == "base" and text.isdigit() else text
    kept = saved.get("changes", []) if saved else []
    document["changes"] = [
        unmasked(
            change_of(row.op, row.values, kinds.get(row.op, {}), codes), kept[i] if i < len(kept) else None
        )
        for i, row in enumerate(rows)
    ]
    return document


def builder(
    request: Request,
    user: User,
    municipality: str,
    programme: str,
    rows: list[Row],
    head: Mapping[str, str],
    *,
    problems: list[dict[str, Any]] = (),  # type: ignore[assignment]
    key: str | None = None,
    saved: store.SavedScenario | None = None,
    result: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    t = texts_of(request)
    described = form_fields(programme, t, user)
    fields_of = {op: {f["name"] for f in o["fields"]} for op, o in described["by_op"].items()}
    problems = list(problems)
    context = {
        "here": f"/scenarios/{key}" if key else f"/municipalities/{municipality}/scenario",
        "labels": {name: t._(label) for name, label in LABELS.items()},
        "invalid": bool(problems),
        "municipality": municipality,
        "programme": programme,
        "fields": described,
        "rows": rows,
        "head": head,
        "problems": placed(rows, problems, fields_of),
        "key": key,
        "saved": saved,
        "result": result,
        "upload_limit": UPLOAD_LIMIT,
    }
    return page(request, "scenario.html", context, user=user, status_code=status)


@pages.get("/municipalities/{municipality}/scenario", response_class=HTMLResponse)
def new_scenario(request: Request, municipality: MunicipalityCode, user: Simulator) -> Response:
    """A new scenario; the query may fill the form as the form itself would send it (a scenario as
    a link: `?c0-op=visitate&c0-group=1`)."""
    check_works_on(user, municipality)
    asked = dict(request.query_params)
    head = {name: asked.get(name, "") for name in HEAD} | {"base": asked.get("base") or "latest"}
    return builder(request, user, municipality, _programme(asked.get("programme")), rows_of(asked), head)


def _file(body: bytes | str, name: str, media: str) -> Response:
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _saved_document(session: Session, user: User, key: str | None) -> Mapping[str, Any] | None:
    if not key:
        return None
    with refusals():
        return store.get_scenario(session, key=key, user=user.name, municipalities=scope(user)).document


def answer(
    request: Request, session: Session, user: User, municipality: str, form: Mapping[str, str]
) -> Response:
    """What a button of the builder asks: add or remove a row, run, save, or download."""
    programme, key = _programme(form.get("programme")), form.get("key") or None
    rows, action = rows_of(form), form.get("action", "run")
    head = {name: form.get(name, "") for name in HEAD}
    t = texts_of(request)
    if action == "add":
        if form.get("new_op") in form_fields(programme, t, user)["by_op"]:
            rows.append(Row(form["new_op"], {}))
        return builder(request, user, municipality, programme, rows, head, key=key)
    if action.startswith("remove-") and action[7:].isdigit():
        del rows[int(action[7:]) : int(action[7:]) + 1]
        return builder(request, user, municipality, programme, rows, head, key=key)
    document = document_of(form, municipality, programme, rows, _saved_document(session, user, key))
    try:
        if action == "yaml":
            return _file(scenario_yaml(document), "scenario.yaml", "application/yaml; charset=utf-8")
        if action == "save":
            return _save(session, user, key, document)
        simulation = simulated(request, session, user, document, f"scenario {action}")
    except Invalid as error:
        return builder(
            request, user, municipality, programme, rows, head, problems=error.problems, key=key, status=422
        )
    if action == "xlsx":
        written = io.BytesIO()
        workbook(sheets(simulation, full_cpr=user.may("full_cpr"), t=t), t).save(written)
        return _file(written.getvalue(), "scenario.xlsx", MEDIA["xlsx"])
    result = result_of(simulation, user, t)
    return builder(request, user, municipality, programme, rows, head, key=key, result=result)


def _save(session: Session, user: User, key: str | None, document: Mapping[str, Any]) -> Response:
    with refusals(document["municipality"]):
        mine = (
            key
            and store.get_scenario(session, key=key, user=user.name, municipalities=scope(user)).owner
            == user.name
        )
        if key and mine:
            found = store.update_scenario(
                session, key=key, user=user.name, municipalities=scope(user), document=document
            )
        else:
            found = store.save_scenario(
                session, user=user.name, municipalities=scope(user), document=document
            )
    session.commit()
    return RedirectResponse(f"/scenarios/{found.key}", status_code=303)


@pages.post("/municipalities/{municipality}/scenario", response_class=HTMLResponse)
async def scenario_form(
    request: Request, municipality: MunicipalityCode, user: Simulator, session: Db
) -> Response:
    form = {k: v for k, v in (await request.form(max_fields=4000)).items() if isinstance(v, str)}
    check_csrf(request, form.get("csrf"))
    check_works_on(user, municipality)
    return await run_in_threadpool(answer, request, session, user, municipality, form)


@pages.post("/municipalities/{municipality}/scenario/upload", response_class=HTMLResponse)
def upload_scenario(
    request: Request,
    municipality: MunicipalityCode,
    user: Simulator,
    file: Annotated[UploadFile, File(description="A scenario file (YAML)")],
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(request, csrf)
    check_works_on(user, municipality)
    text = file.file.read(UPLOAD_LIMIT + 1)
    if len(text) > UPLOAD_LIMIT:
        raise Refusal(413, N_("the file is larger than %(limit)s bytes"), limit=UPLOAD_LIMIT)
    uploaded = read_upload(text, name=file.filename or "upload.yaml")
    document = uploaded.document or {}
    given = document.get("municipality")
    if isinstance(given, str) and given != municipality and user.sees(given):
        municipality = given
    head = {name: "" if document.get(name) is None else str(document[name]) for name in HEAD}
    rows = rows_from(document, full_cpr=True)
    programme = _programme(document.get("programme") if isinstance(document.get("programme"), str) else None)
    status = 422 if uploaded.problems else 200
    return builder(
        request, user, municipality, programme, rows, head, problems=uploaded.problems, status=status
    )


@pages.get("/scenarios", response_class=HTMLResponse)
def scenarios_html(request: Request, user: Simulator, session: Db) -> Response:
    found = store.list_scenarios(session, user=user.name, municipalities=scope(user))
    return page(
        request, "scenarios.html", {"scenarios": found, "municipalities": _places(session, user)}, user=user
    )


def _places(session: Session, user: User) -> list[str]:
    """The municipalities a new scenario may be of: the user's, or those of the latest run."""
    if user.municipalities is not None:
        return sorted(user.municipalities)
    try:
        latest = results.get_run(session)
    except results.NotFound:
        return []
    return sorted(s.municipality for s in results.statuses(session, latest))


@pages.get("/scenarios/{key}", response_class=HTMLResponse)
def saved_scenario(request: Request, key: Key, user: Simulator, session: Db) -> Response:
    with refusals():
        found = store.get_scenario(session, key=key, user=user.name, municipalities=scope(user))
    document = found.document
    head = {name: "" if document.get(name) is None else str(document[name]) for name in HEAD}
    rows = rows_from(document, full_cpr=user.may("full_cpr") or found.owner == user.name)
    return builder(request, user, found.municipality, found.programme, rows, head, key=key, saved=found)


@pages.post("/scenarios/{key}/{action}")
def saved_action(
    request: Request,
    key: Key,
    action: Annotated[str, Path(pattern=r"^(share|unshare|copy|delete)$")],
    user: Simulator,
    session: Db,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(request, csrf)
    where, mine = scope(user), user.name
    with refusals():
        if action == "copy":
            key = store.copy_scenario(session, key=key, user=mine, municipalities=where).key
        elif action == "delete":
            store.delete_scenario(session, key=key, user=mine, municipalities=where)
        else:
            store.share_scenario(session, key=key, user=mine, municipalities=where, shared=action == "share")
    session.commit()
    return RedirectResponse("/scenarios" if action == "delete" else f"/scenarios/{key}", status_code=303)
