"""A rule's source quote as the web shows it: rendered from Markdown (never raw, never as HTML the
quote could carry), starting where its sentence starts and marked where its sentence goes on — while
the packs keep their quotes verbatim (tests/test_rule_packs.py finds each in its source file)."""

import pytest

from engine.faces.quotes import excerpt
from engine.rules.pack import get_pack

SPEC = "sources/SPEC.md"
SEED = "sources/002_61829fe39599d796.txt"


def test_a_quote_starting_mid_sentence_is_shown_from_its_first_full_sentence():
    shown = excerpt(
        SPEC,
        "is frozen. A citizen is **eligible** on day t iff resident in K, alive, `aktivitetsparat`, aged 30 or more",
    )
    assert shown.html == (
        "A citizen is <strong>eligible</strong> on day t iff resident in K, alive, "
        "<code>aktivitetsparat</code>, aged 30 or more …"
    )
    assert shown.language == "en"


def test_a_fragment_is_extended_back_to_its_sentences_start_in_the_source():
    shown = excerpt(SPEC, '(parameter `min_age = 30`; the executive order\'s wording is "fyldt 30 år"), and')
    assert shown.markdown.startswith("A citizen is **eligible** on day t iff resident in K")
    assert shown.markdown.endswith(
        '(parameter `min_age = 30`; the executive order\'s wording is "fyldt 30 år"), and …'
    )
    continued = excerpt(
        SPEC,
        "`project_start` ≤ s ≤ t, and on every day of (s, t] lived in K, was alive and did not have support",
    )
    assert continued.html.startswith(
        "<strong>Participation is sticky</strong>: a citizen <strong>participates</strong>"
    )


def test_a_list_item_loses_its_marker_and_a_whole_sentence_stays_as_it_is():
    item = excerpt(
        SPEC,
        "- **Payout**: rate 1 = 50 % of the grant, triggered on approval. Rate 2 = the rest, decided by the best",
    )
    assert item.html.startswith("<strong>Payout</strong>: rate 1 = 50 % of the grant") and item.html.endswith(
        "best …"
    )
    quote = "Hvis ydelsen har været afbrudt med mere end fire uger i løbet af perioden, er borgerne dog ikke omfattet af projektet."
    whole = excerpt(SEED, quote)
    assert (whole.markdown, whole.language) == (quote, "da")
    assert (
        excerpt(SEED, "*Første rate på 30 %* af kommunens bevilling").html
        == "<em>Første rate på 30 %</em> af kommunens bevilling …"
    )


def test_html_in_a_quote_is_text_and_a_missing_file_leaves_the_quote_alone():
    shown = excerpt(None, 'A <script>alert("x")</script> & *that*.', title="STAR")
    assert shown.html == "A &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <em>that</em>."
    assert excerpt("../../etc/passwd", "Root.").markdown == "Root."


@pytest.mark.parametrize("programme", ["fsm1", "fsm2"])
def test_every_quote_of_the_packs_starts_a_sentence_when_shown(programme: str):
    pack = get_pack(programme)
    for decision in pack.decisions:
        for rule in decision.rules:
            source = pack.sources[rule.source.ref]
            shown = excerpt(source.file, rule.source.quote, title=source.title).markdown
            assert shown.lstrip("*_`")[:1].isupper(), (rule.id, shown)
            assert "\n" not in shown and not shown.startswith("- ")
