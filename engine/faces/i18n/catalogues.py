"""The message catalogues: `locale/<language>/LC_MESSAGES/messages.po`, gettext through Babel.

A catalogue is compiled in memory the first time a process asks for it (Babel's `read_po` and
`write_mo`), so there are no `.mo` files to build or to go stale: a fresh clone works as it is, and
an edited `.po` counts at the next start. A fuzzy entry counts as untranslated (its English is
shown). docs/languages.md has the workflow: `pybabel extract` with the repository's `babel.cfg`,
`pybabel update`, translate.
"""

import io
from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from typing import IO, Any

import yaml
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from engine.faces.i18n.languages import Language

DOMAIN = "messages"
LOCALE = files("engine.faces.i18n").joinpath("locale")


def po_file(language: Language) -> Any:
    """The catalogue file of `language` (a Traversable: a path in the package)."""
    return LOCALE.joinpath(language.value, "LC_MESSAGES", f"{DOMAIN}.po")


@cache
def catalogue(language: Language) -> NullTranslations:
    """The compiled catalogue of `language`: gettext, ngettext, pgettext, npgettext (Jinja2's i18n
    extension takes it as it is). English needs none: the messages are written in it, and its
    catalogue (kept for the translators' tools) translates nothing, which a test checks."""
    if language is Language.en:
        return NullTranslations()
    with po_file(language).open("rb") as handle:
        messages = read_po(handle, locale=language.value, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


SHOWN_KEYS = ("label", "shown_as")
"""What a rule pack's or parameter file's YAML shows people: labels, and the words of verdicts."""


def extract_rule_texts(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor for `rules/*/pack.yaml` and `parameters.yaml` (named in babel.cfg): every
    `label` and every verdict word of `shown_as`, with its line. The texts stay in the YAML (the pack's
    content hash covers them); the faces translate them when shown."""
    node = yaml.compose(fileobj)
    yield from _shown_texts(node)


def _shown_texts(node: yaml.Node | None) -> Iterator[tuple[int, str | None, str, list[str]]]:
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _shown_texts(item)
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        if key.value in SHOWN_KEYS:
            scalars = [value] if isinstance(value, yaml.ScalarNode) else [v for _, v in value.value]
            for scalar in scalars:
                yield scalar.start_mark.line + 1, None, scalar.value, []
        else:
            yield from _shown_texts(value)
