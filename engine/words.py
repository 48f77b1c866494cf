"""Words to translate, made where the engine knows them and translated where a face shows them
(engine/faces/i18n): no layer beneath the faces knows a language.

`N_("…")` marks an English message for the catalogues. A document the engine stores keeps a message
with its values as `said(N_("… %(name)s …"), name=value)`, i.e. `{"say": …, "with": {…}}`; a value
may itself be such a message, or a list (of messages, joined by "; ", or of values, by ", "). `worded(document, translate)`
gives the document with every message said in the language of `translate` (gettext), English with
`str`: what JSON output and the CLI show.
"""

from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:
    """Marks `message` for the catalogues where it is named, to be translated where it is shown."""
    return message


def _kept(value: Any) -> Any:
    return value


def said(message: str, **values: Any) -> dict[str, Any]:
    return {"say": message, "with": values}


def worded(document: Any, translate: Callable[[str], str] = str, shown: Callable[[Any], Any] = _kept) -> Any:
    """`document` with its messages said in words (lists and mappings walked; other values kept), the
    values put into a message as `shown` gives them (a date as the language writes it, say)."""
    if isinstance(document, dict):
        if document.keys() == {"say", "with"}:
            return translate(document["say"]) % {
                name: _value(value, translate, shown) for name, value in document["with"].items()
            }
        return {key: worded(value, translate, shown) for key, value in document.items()}
    if isinstance(document, list):
        return [worded(item, translate, shown) for item in document]
    return document


def _value(value: Any, translate: Callable[[str], str], shown: Callable[[Any], Any]) -> Any:
    """A message's value: a message said, a list joined (messages by "; ", values by ", ")."""
    if isinstance(value, list):
        messages = any(isinstance(item, dict) for item in value)
        return ("; " if messages else ", ").join(str(_value(item, translate, shown)) for item in value)
    if isinstance(value, dict):
        return worded(value, translate, shown)
    return shown(value)
