"""Which language a face speaks: the languages there are, the setting, and the browser's wish."""

import os
from enum import StrEnum


class Language(StrEnum):
    da = "da"
    en = "en"


SETTING = "FSM_LANG"
"""The environment variable that sets the language when nothing more explicit does."""


class UnknownLanguage(ValueError):
    pass


def language(explicit: str | None = None, *, default: Language) -> Language:
    """`explicit` (an option, the web's switch), else the setting FSM_LANG, else `default` (the
    face's own: the CLI's is English, the web's Danish). An unknown value is refused by name."""
    for given, where in ((explicit, "language"), (os.environ.get(SETTING), SETTING)):
        if given:
            try:
                return Language(given.strip().lower())
            except ValueError:
                known = ", ".join(Language)
                raise UnknownLanguage(f"{where} {given!r}: the languages are {known}") from None
    return default


def negotiate(accept_language: str | None, *, default: Language) -> Language:
    """The first of our languages in an HTTP Accept-Language header, by quality (`da-DK,da;q=0.9,
    en;q=0.8`): a region is ignored (`en-US` is English), `q=0` refuses a language, `*` accepts
    `default`. Nothing acceptable, or no header: `default`. A malformed part is skipped."""
    wishes: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        for parameter in rest.split(";"):
            name, _, number = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        if tag and 0 < quality <= 1:
            wishes.append((-quality, order, tag.split("-")[0].strip().lower()))
    for _, _, primary in sorted(wishes):
        if primary == "*":
            return default
        if primary in Language.__members__:
            return Language(primary)
    return default
