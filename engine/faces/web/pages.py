"""Server-rendered pages: Jinja2 templates shipped with the package, the stylesheet inlined (no
asset is fetched from anywhere), and the filters the templates use."""

from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from engine.faces import render
from engine.faces.users import User

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")


def shown(item: Any) -> str:
    """A fact or parameter value as text: what blocks a rate in words, another mapping as `key: value`
    pairs, the rest as the CLI shows it. (CPR numbers in it are already shown as the user may see them.)"""
    if isinstance(item, dict) and ("citizens" in item or "months" in item):
        return render.blocked(item, full_cpr=True)
    if isinstance(item, dict):
        return "; ".join(f"{key}: {render.value(value)}" for key, value in item.items())
    return render.value(item)


TEMPLATES.env.filters["value"] = shown
TEMPLATES.env.filters["money"] = lambda amount: f"{Decimal(amount):,.2f}"
STYLE = (HERE / "static" / "style.css").read_text(encoding="utf-8")


def page(
    request: Request, name: str, context: dict[str, Any], *, user: User | None, status_code: int = 200
) -> Response:
    """A page from a template, with the user (for the header), the session's CSRF token (for its
    forms) and the stylesheet."""
    context = {"csrf": getattr(request.state, "csrf", None), **context, "user": user, "style": STYLE}
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)


def inline_svg(svg: bytes) -> str:
    """An SVG document as an element to put in a page (without its XML declaration and doctype)."""
    text = svg.decode("utf-8")
    return text[text.index("<svg") :]
