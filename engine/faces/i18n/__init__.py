"""Languages: Danish (`da`) and English (`en`) for everything the faces show — gettext message
catalogues through Babel (`locale/*/LC_MESSAGES/messages.po`) and Babel's CLDR formats.

The API the faces use:
- `language(explicit, default=...)`: the language chosen (explicit, else FSM_LANG, else the default);
  `negotiate(accept_language, default=...)`: the first of ours in an Accept-Language header.
- `texts(language)` → `Texts`: `t._("…", name=value)`, `t.ngettext(…)`, `t.money(Decimal)`,
  `t.percent(share)`, `t.integer(n)`, `t.decimal(d)`, `t.date(day)` (prose), `t.day(day)` (tables),
  `t.month(…)`, `t.yes(flag)`, `t.code(kind, code)`, `t.group(programme, key)`,
  `t.municipality(code)`, `t.programme(code)`, `t.excel_formats`.
- `engine.faces.i18n.jinja.install_jinja(environment)`: Jinja2's i18n extension on these catalogues
  and the same formats as filters; each render picks its language by the context variable `lang`
  (not imported here: the command line does without Jinja2).
- `N_("…")`: marks a message where it is named, to be translated where it is shown.

docs/languages.md: how to add or change a translation, and the formats.
"""

from engine.faces.i18n.catalogues import catalogue
from engine.faces.i18n.languages import SETTING, Language, UnknownLanguage, language, negotiate
from engine.faces.i18n.texts import ENGLISH, Texts, texts
from engine.words import N_

__all__ = [
    "ENGLISH",
    "N_",
    "SETTING",
    "Language",
    "Texts",
    "UnknownLanguage",
    "catalogue",
    "language",
    "negotiate",
    "texts",
]
