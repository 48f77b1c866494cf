"""Jinja2 on the catalogues: `{% trans %}`, `_()`, `gettext()`, `ngettext()` and format filters, in the
language of the context variable `lang` of each render (so one environment serves every language,
request by request). Without `lang` a render speaks the web's default, Danish (or FSM_LANG's).

Filters: `money`, `percent` (a share of 1), `integer`, `decimal`, `date` (prose), `day` (tables;
these two take a date or ISO text), `month`, `moment`, `yes`, `municipality`, `programme`,
`group(programme)`, `code(kind)` — as `Texts` has them."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from engine.faces.i18n.catalogues import catalogue
from engine.faces.i18n.languages import Language, language
from engine.faces.i18n.texts import Texts, texts

WEB_DEFAULT = Language.da


def context_language(context: Context) -> Language:
    chosen = context.get("lang")
    return Language(chosen) if chosen else language(default=WEB_DEFAULT)


def _texts(context: Context) -> Texts:
    return texts(context_language(context))


@pass_context
def _gettext(context: Context, message: str) -> str:
    return catalogue(context_language(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return catalogue(context_language(context)).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, message_context: str, message: str) -> str:
    return catalogue(context_language(context)).pgettext(message_context, message)


@pass_context
def _npgettext(context: Context, message_context: str, singular: str, plural: str, n: int) -> str:
    return catalogue(context_language(context)).npgettext(message_context, singular, plural, n)


def _filter(show: Callable[..., str], convert: Callable[[Any], Any] = lambda value: value) -> Callable:
    @pass_context
    def shown(context: Context, value: Any, *args: Any, **options: Any) -> str:
        return "" if value is None else show(_texts(context), convert(value), *args, **options)

    return shown


def _day(value: date | str) -> date:
    """A date, or a stored document's ISO date (`2018-03-02`)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


@pass_context
def _rules_words(context: Context, text: str) -> Markup:
    """A sentence the rules wrote, in the page's language; marked English when it has no translation."""
    t = _texts(context)
    if t.said_as_written(text):
        return Markup('<span lang="en">%s</span>') % text
    return Markup.escape(t.rules_words(text))


FILTERS = {
    "money": _filter(Texts.money, lambda amount: Decimal(str(amount))),
    "percent": _filter(Texts.percent),
    "integer": _filter(Texts.integer),
    "decimal": _filter(Texts.decimal, lambda number: Decimal(str(number))),
    "date": _filter(Texts.date, _day),
    "day": _filter(Texts.day, _day),
    "month": _filter(Texts.month),
    "moment": _filter(Texts.moment),
    "yes": _filter(Texts.yes),
    "municipality": _filter(Texts.municipality),
    "programme": _filter(Texts.programme),
    "group": _filter(lambda t, key, programme: t.group(programme, key)),
    "code": _filter(lambda t, value, kind: t.code(kind, value)),
    "rules_words": _rules_words,
}


def install_jinja(environment: Environment) -> None:
    """Give `environment` the i18n extension (newstyle gettext: `{{ _("%(n)s members", n=3) }}`,
    autoescaped) on these catalogues, and the format filters."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]  # added by the extension
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    environment.filters.update(FILTERS)
