"""`Texts`: everything a face shows, in one language — its messages, numbers, dates and names."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from engine.faces.i18n import formats, vocabulary
from engine.faces.i18n.catalogues import catalogue
from engine.faces.i18n.formats import Share
from engine.faces.i18n.languages import Language
from engine.faces.simulate import phrases as _scenario_phrases  # noqa: F401 - known to `recognised`
from engine.rules import phrases  # noqa: F401 - the rules' phrases, known to `recognised`
from engine.words import recognised, worded

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass(frozen=True)
class Texts:
    """Messages are English in the code, marked `t._("...")` (extracted by pybabel), with named
    placeholders: `t._("run %(run)s finished", run=3)`."""

    language: Language

    def _(self, message: str, **values: Any) -> str:
        """The translation of `message`, with `values` put into its `%(name)s` placeholders."""
        text = catalogue(self.language).gettext(message)
        return text % values if values else text

    def worded(self, document: Any) -> Any:
        """A document the engine stored with its messages (engine/words.py) said in this language."""
        return worded(document, self._, self._shown)

    def rules_words(self, text: str) -> str:
        """A sentence the engine wrote (a phrase of engine/rules/phrases.py or
        engine/faces/simulate/phrases.py) in this language; English, and text of no phrase, as written."""
        found = None if self.language is Language.en else recognised(text)
        if found is None:
            return text
        known, values = found
        return self._(known.message) % {
            name: self.money(Decimal(value.replace(",", ""))) if name in known.money else self._shown(value)
            for name, value in values.items()
        }

    def said_as_written(self, text: str) -> bool:
        """Whether `text` shows in English on this language's page: the rules' words of no phrase."""
        return self.language is not Language.en and recognised(text) is None

    def _shown(self, value: Any) -> Any:
        """A value in a message: an ISO date or month (`2018-03`) as this language writes them, the
        rules' sentence in it in this language."""
        if isinstance(value, str) and ISO_MONTH.fullmatch(value):
            return self.month(value, short=True)
        if isinstance(value, str) and ISO_DAY.fullmatch(value):
            return self.day(datetime.date.fromisoformat(value))
        if isinstance(value, str):
            return self.rules_words(value)
        return value

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The singular or plural (as the language counts), with `%(num)s` the count, formatted."""
        text = catalogue(self.language).ngettext(singular, plural, n)
        return text % {"num": self.integer(n), **values}

    def money(self, amount: Decimal | int) -> str:
        return formats.money(amount, self.language)

    def percent(self, share: Share, places: int = 1) -> str:
        return formats.percent(share, self.language, places)

    def integer(self, number: int) -> str:
        return formats.integer(number, self.language)

    def decimal(self, number: Decimal | int) -> str:
        return formats.decimal(number, self.language)

    def date(self, day: datetime.date) -> str:
        """A date in prose: `2. marts 2018`."""
        return formats.prose_date(day, self.language)

    def day(self, day: datetime.date) -> str:
        """A date in a table: `02-03-2018`."""
        return formats.table_date(day, self.language)

    def moment(self, when: datetime.datetime) -> str:
        """A moment in a table: `02-03-2018 14.05.09`."""
        return formats.moment(when, self.language)

    def month(self, day: datetime.date | str, *, short: bool = False) -> str:
        """A month (a date in it, or `YYYY-MM`): `marts 2018`."""
        first = datetime.date.fromisoformat(f"{day}-01") if isinstance(day, str) else day
        return formats.month(first, self.language, short=short)

    def yes(self, flag: bool) -> str:
        return self._("yes") if flag else self._("no")

    def code(self, kind: str, value: str) -> str:
        """The name of a code of `kind` (support, exit, match, programme, activity, marking):
        `kontanthjaelp` is "kontanthjælp"."""
        return self._(vocabulary.code(kind, value))

    def group(self, programme: str, key: str | None) -> str:
        """A visitation group's name: `1` of FSM1 is "Gruppe 1 – indsatsgruppen"; None is "Mangler visitation"."""
        return self._(vocabulary.group(programme, key))

    def municipality(self, code: str) -> str:
        """`Aalborg (851)`."""
        return vocabulary.municipality(code)

    def programme(self, programme: str) -> str:
        """`Flere skal med 1` (the programme's code when it has no name)."""
        return self._(vocabulary.PROGRAMMES.get(programme, programme))

    @property
    def excel_formats(self) -> dict[str, str]:
        """Excel number format codes by kind: money, share, int, date, month."""
        return formats.EXCEL[self.language]


@cache
def texts(language: Language | str) -> Texts:
    """The texts of a language (`da`, `en`)."""
    return Texts(Language(language))


ENGLISH = texts(Language.en)
