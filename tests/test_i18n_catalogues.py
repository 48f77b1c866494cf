"""The message catalogues are complete: every message marked for translation — in Python (`_()`,
`N_()`, `ngettext()`), in a Jinja template (`{% trans %}`, `_()`) and in the rule packs' labels — has
a Danish translation that keeps its placeholders; the catalogues hold nothing else; and the
glossary (docs/glossary.md) is what the catalogue says."""

import ast
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from engine.faces.i18n import Language, texts
from engine.faces.i18n.catalogues import po_file

ROOT = Path(__file__).parent.parent
MARKERS = {"_", "N_", "gettext", "ngettext"}


def marked(root: Path) -> dict[str, str]:
    """Every message pybabel extracts from `root` with its babel.cfg, by id (a plural by its singular),
    with the file it is in."""
    with (root / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = {}
    for filename, _line, message, _comments, _context in extract_from_dir(root, method_map, options_map):
        found[message[0] if isinstance(message, tuple) else message] = filename
    return found


def catalogue(language: Language):
    with po_file(language).open("rb") as handle:
        return read_po(handle)


def untranslated(root: Path) -> list[str]:
    """The messages marked in `root` that the Danish catalogue does not translate (or only fuzzily)."""
    danish = catalogue(Language.da)
    missing = []
    for message, filename in marked(root).items():
        entry = danish.get(message)
        strings = (
            entry.string
            if entry is not None and isinstance(entry.string, tuple)
            else (entry and entry.string,)
        )
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{filename}: {message!r}")
    return missing


def test_every_marked_message_has_a_danish_translation():
    assert untranslated(ROOT) == [], "run the catalogue workflow of docs/languages.md and translate these"


def test_the_english_catalogue_translates_nothing_so_english_needs_no_catalogue_at_run_time():
    english = [m for m in catalogue(Language.en) if m.id]
    strings = [s for m in english for s in (m.string if isinstance(m.string, tuple) else (m.string,))]
    ids = [i for m in english for i in (m.id if isinstance(m.id, tuple) else (m.id,))]
    assert len(english) > 700 and all(not string or string in ids for string in strings)
    assert texts(Language.en).ngettext("%(num)s member", "%(num)s members", 1200) == "1,200 members"


def test_a_template_message_without_a_danish_translation_is_found(tmp_path: Path):
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    templates = tmp_path / "engine" / "faces" / "web" / "templates"
    templates.mkdir(parents=True)
    (templates / "page.html").write_text(
        '<h1>{% trans %}A heading nobody translated{% endtrans %}</h1><p>{{ _("rate") }} {{ _("A page not translated yet") }}</p>\n'
        "<p>{% trans count=n %}{{ count }} new citizen{% pluralize %}{{ count }} new citizens{% endtrans %}</p>",
        encoding="utf-8",
    )
    assert set(marked(tmp_path)) == {
        "A heading nobody translated",
        "rate",
        "A page not translated yet",
        "%(count)s new citizen",
    }
    missing = untranslated(tmp_path)
    assert len(missing) == 3 and not any("'rate'" in m for m in missing)
    assert all(m.startswith("engine/faces/web/templates/page.html: ") for m in missing)


def literal_marks(path: Path) -> list[str]:
    """The string literals given to `_()`, `N_()`, `t._()`, `t.ngettext()` in a Python file — also
    those inside f-strings, which pybabel does not see."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        first = node.args[0]
        if name in MARKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append(first.value)
    return found


def test_no_marked_message_hides_where_pybabel_cannot_extract_it():
    extracted = set(marked(ROOT))
    hidden = [
        f"{path.relative_to(ROOT)}: {message!r}"
        for path in sorted((ROOT / "engine" / "faces").rglob("*.py"))
        for message in literal_marks(path)
        if message not in extracted
    ]
    assert hidden == [], "a marked message inside an f-string (or a conditional) is not extracted"


@pytest.mark.parametrize("language", list(Language))
def test_the_catalogues_hold_exactly_the_marked_messages(language: Language):
    held = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(language) if m.id}
    extracted = set(marked(ROOT))
    assert sorted(held - extracted) == [], "obsolete entries: pybabel update --ignore-obsolete removes them"
    assert sorted(extracted - held) == [], "new messages: pybabel extract and update add them"


def test_danish_translations_keep_every_placeholder():
    """Babel's checks, for the messages with placeholders (`30 % of` looks like one to Babel, and
    labels without placeholders are never formatted); and the named placeholders are the same."""
    problems = [
        f"{message.id!r}: {error}"
        for message, errors in catalogue(Language.da).check()
        for error in errors
        if "%(" in str(message.id)
    ]
    assert problems == []
    for message in catalogue(Language.da):
        if message.id and isinstance(message.id, str):
            assert set(re.findall(r"%\((\w+)\)s", message.id)) == set(
                re.findall(r"%\((\w+)\)s", message.string)
            )


def glossary() -> list[tuple[str, str]]:
    """The rows of docs/glossary.md's table: English, Danish."""
    text = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (?!English|---)([^|]+?) \| ([^|]+?) \|", text, flags=re.MULTILINE)
    return [(english.strip(), danish.strip()) for english, danish in rows]


def test_the_catalogue_translates_every_glossary_term_as_the_glossary_does():
    terms = glossary()
    assert len(terms) >= 20
    danish = texts(Language.da)
    assert [(english, danish._(english)) for english, _ in terms] == terms
