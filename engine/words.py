"""Words to translate, made where the engine knows them and translated where a face shows them
(engine/faces/i18n): no layer beneath the faces knows a language.

The rules write some words into what they decide and store — a warning, why a rate cannot be
decided yet — as English text, which stays as the rules wrote it (a replay must find it again).
Each is a `Phrase` (engine/rules/phrases.py): a template it is made by and recognised by again
(`recognised(text)`), so a face can say it in the reader's language.

`N_("…")` marks an English message for the catalogues. A document the engine stores keeps a message
with its values as `said(N_("… %(name)s …"), name=value)`, i.e. `{"say": …, "with": {…}}`; a value
may itself be such a message, or a list (of messages, joined by "; ", or of values, by ", "). `worded(document, translate)`
gives the document with every message said in the language of `translate` (gettext), English with
`str`: what JSON output and the CLI show.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


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


@dataclass(frozen=True)
class Phrase:
    """An English message with `%(name)s` placeholders that the rules write as text; `money`: the
    placeholders holding an amount as `1,234.00`."""

    message: str
    money: frozenset[str] = frozenset()
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts, seen, end = [], set(), 0
        for found in PLACEHOLDER.finditer(self.message):
            name = found.group(1)
            parts.append(re.escape(self.message[end : found.start()].replace("%%", "%")))
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
            end = found.end()
        parts.append(re.escape(self.message[end:].replace("%%", "%")))
        object.__setattr__(self, "pattern", re.compile("".join(parts)))

    def __call__(self, **values: Any) -> str:
        return self.message % values


PHRASES: list[Phrase] = []


def phrase(message: str, *, money: tuple[str, ...] = ()) -> Phrase:
    """A phrase the rules write, known to `recognised`."""
    made = Phrase(message, frozenset(money))
    PHRASES.append(made)
    return made


def recognised(text: str) -> tuple[Phrase, dict[str, str]] | None:
    """The phrase `text` was made by, with its values; None for text of no phrase."""
    if " " not in text:  # a code or a number, as most values are: no phrase is one word
        return None
    for known in PHRASES:
        if found := known.pattern.fullmatch(text):
            return known, found.groupdict()
    return None
