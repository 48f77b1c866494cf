"""A rule's source quote as a reader reads it. A quote is verbatim text of its source file (so a test
can find it there word for word): a line of SPEC.md may start in the middle of a sentence and carry
Markdown. Shown, it starts where its sentence starts — the fragment before the quote's first full
sentence is left out; a quote that is a fragment only is extended back to its sentence's start in the
file — ends with "…" where the sentence goes on, and its Markdown (emphasis, code, list markers) is
rendered. The quotes in the packs stay as they are."""

import re
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markupsafe import Markup

from engine.rules.pack import RULES_DIR

_MARKDOWN = MarkdownIt("zero").enable(["emphasis", "backticks", "escape"])
"""Inline Markdown only, and no HTML passes through (the "zero" preset escapes it)."""
_OPENING = r"[*_`\"“(]*[A-ZÆØÅ0-9]"
SENTENCE_END = re.compile(rf"[.!?][*_`\"”)]*\s+(?={_OPENING})")
"""Where a sentence ends and the next begins: `.`, `!` or `?` (closing emphasis or quotes after it),
space, then a capital (or a digit, a list's "1."), possibly opened by emphasis or a quote mark."""
BLOCK_START = re.compile(r"(?:\A|\n\s*\n|\n[ \t]*(?:[-*+]|\d+\.)[ \t]+|\n#+[ \t]+)")
"""Where a paragraph, a list item or a heading starts: a sentence starts there too."""
STARTED = re.compile(r"(?:\A|[.!?][*_`\"”)]*|\n[ \t]*\n|\n[ \t]*(?:[-*+]|\d+\.)|\n#+)\s*\Z")
"""Text before a sentence's start ends so: nothing, a sentence's end, a paragraph break, a list marker."""
LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
ENDS_SENTENCE = re.compile(r"[.!?][*_`\"”)]*$")
SPEC = "sources/SPEC.md"


@dataclass(frozen=True)
class Excerpt:
    markdown: str
    """The text shown, as Markdown on one line."""
    language: str
    """The language of the source (`da`; SPEC.md is `en`)."""

    @property
    def html(self) -> Markup:
        return Markup(_MARKDOWN.renderInline(self.markdown))


@cache
def source_text(document: str | None) -> str | None:
    """The text of a source file named by a pack (relative to rules/), None if it has none or it is gone."""
    if not document:
        return None
    path = (RULES_DIR / document).resolve()
    if RULES_DIR.resolve() not in path.parents or not path.is_file():
        return None
    return path.read_text(encoding="utf-8")


def _last_start(text: str) -> int:
    """Where the last sentence of `text` starts (0 when it has no sentence or block break)."""
    starts = [m.end() for m in SENTENCE_END.finditer(text)] + [m.end() for m in BLOCK_START.finditer(text)]
    return max(starts, default=0)


@cache
def excerpt(document: str | None, quote: str, *, title: str = "") -> Excerpt:
    """The readable excerpt of `quote` in `document` (a pack's source file, relative to rules/)."""
    text = source_text(document)
    shown = quote.strip()
    found = text.find(shown) if text else -1
    if text is not None and found > 0 and not STARTED.search(text[:found]):
        inner = SENTENCE_END.search(shown)
        if inner:
            shown = shown[inner.end() :]
        else:
            start = _last_start(text[:found])
            shown = text[start:found] + shown
    shown = " ".join(line.strip() for line in LIST_MARKER.sub("", shown).splitlines())
    if not ENDS_SENTENCE.search(shown):
        shown += " …"
    spec = document == SPEC or title.startswith("SPEC")
    return Excerpt(shown, "en" if spec else "da")
