"""Server-rendered pages: Jinja2 templates shipped with the package, in the reader's language (the
message catalogues and formats of engine/faces/i18n), the stylesheet inlined (no asset is fetched
from anywhere, no script), and the filters the templates use.

The language of a page: the reader's choice (the switch on every page, kept in a cookie), else the
browser's Accept-Language, else the server's setting (FSM_LANG; Danish by default)."""

from html import escape
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from engine.faces import quotes, render
from engine.faces.cells import Kind
from engine.faces.i18n import Language, Texts, negotiate, texts
from engine.faces.i18n.jinja import context_language, install_jinja
from engine.faces.users import User
from engine.faces.web.auth import cookie, form_token, keep_form_token, settings_of

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
LANGUAGE_COOKIE = "fsm_lang"
NAMES = {Language.da: "Dansk", Language.en: "English"}
"""Each language by its own name (the switch offers it so)."""


def chosen(request: Request) -> Language:
    """The language of the pages for this request."""
    kept = request.cookies.get(cookie(request, LANGUAGE_COOKIE), "")
    if kept in Language.__members__:
        return Language(kept)
    return negotiate(request.headers.get("accept-language"), default=settings_of(request).language)


def texts_of(request: Request) -> Texts:
    """The texts of the request's language (for what a route words itself: charts, tables)."""
    return texts(chosen(request))


def _code(item: Any) -> bool:
    return isinstance(item, str) and not render.ISO_DATE.fullmatch(item)


@pass_context
def _value(context: Context, item: Any) -> str:
    """A value as `shown` has it; a code as the data has it (`kontanthjaelp`, `active`) marked as code."""
    if _code(item) or (isinstance(item, list) and item and all(_code(i) for i in item)):
        codes = [item] if isinstance(item, str) else item
        return Markup(", ").join(Markup("<code>{}</code>").format(code) for code in codes)
    return render.shown(item, texts(context_language(context)))


@pass_context
def _translated(context: Context, message: str | None) -> str:
    """A message named elsewhere (a rule pack's label or verdict), translated."""
    return "" if not message else texts(context_language(context))._(message)


@pass_context
def _cell(context: Context, value: Any, kind: Kind = "text") -> str:
    """A typed cell of a table (downloads.Table) as the page shows it, in the page's language."""
    t = texts(context_language(context))
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t.yes(value)
    shown: dict[str, Any] = {"month": t.month, "share": t.percent, "money": t.money, "date": t.day}
    if kind in shown:
        return shown[kind](value)
    return t.integer(value) if isinstance(value, int) else str(value)


def _excerpt(source: dict[str, Any]) -> quotes.Excerpt:
    """A trace entry's source quote as a reader reads it (engine/faces/quotes.py)."""
    return quotes.excerpt(source.get("document"), source["quote"], title=source.get("title") or "")


install_jinja(TEMPLATES.env)
TEMPLATES.env.filters.update({"value": _value, "translated": _translated, "excerpt": _excerpt, "cell": _cell})
STYLE = (HERE / "static" / "style.css").read_text(encoding="utf-8")


def here(request: Request) -> str:
    """This page's address (where the language switch brings the reader back): a GET's own, and for
    a form's answer the page of the same path."""
    query = f"?{request.url.query}" if request.method == "GET" and request.url.query else ""
    return request.url.path + query


def page(
    request: Request, name: str, context: dict[str, Any], *, user: User | None, status_code: int = 200
) -> Response:
    """A page from a template in the request's language, with the user (for the header), the CSRF
    token of its forms (the session's; without a session, the login cookie's, set when new) and the
    stylesheet."""
    language = chosen(request)
    token, new = (context["csrf"], False) if context.get("csrf") else form_token(request)
    context = {
        "here": here(request),
        **context,
        "csrf": token,
        "user": user,
        "style": STYLE,
        "lang": language.value,
        "languages": {other.value: NAMES[other] for other in Language if other is not language},
    }
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Content-Language"] = language.value
    if new:
        keep_form_token(request, response, token)
    return response


def inline_svg(svg: bytes, label: str) -> str:
    """An SVG document as an image in a page (without its XML declaration and doctype), named by
    `label` for those who do not see it (its data follow it as a table)."""
    text = svg.decode("utf-8")
    start = text.index("<svg")
    return f'<svg role="img" aria-label="{escape(label)}"' + text[start + len("<svg") :]
