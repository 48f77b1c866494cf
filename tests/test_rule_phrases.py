"""The sentences the rules write into what they store (engine/rules/phrases.py) stay as written and
are said in the reader's language where shown: each is recognised again from its text, with its
values; Danish has them with Danish dates and amounts; text of no phrase is left as written."""

from datetime import date

import pytest

from engine.faces.i18n import texts
from engine.rules import phrases
from engine.words import PHRASES, recognised

DANISH = texts("da")


@pytest.mark.parametrize("phrase", PHRASES, ids=lambda p: p.message[:40])
def test_every_phrase_is_recognised_from_its_text_with_its_values(phrase):
    values = {name: "1,234.00" if name in phrase.money else f"<{name}>" for name in phrase.pattern.groupindex}
    assert recognised(phrase(**values)) == (phrase, values)
    assert DANISH.rules_words(phrase(**values)) != phrase(**values)  # translated


def test_danish_has_the_rules_words_with_danish_dates_and_amounts():
    written = phrases.GRANT_YEARS_DIFFER(
        budgeted="11,000,000.00", grant="11,749,000.00", difference="749,000.00"
    )
    assert written == (
        "the grant's years add up to 11,000,000.00 kr, not to the grant of 11,749,000.00 kr (difference 749,000.00 kr)"
    )
    assert DANISH.rules_words(written) == (
        "tilskuddets år giver tilsammen 11.000.000,00\xa0kr., ikke tilskuddet på 11.749.000,00\xa0kr. "
        "(forskel 749.000,00\xa0kr.)"
    )
    started = phrases.PROJECT_NOT_STARTED(day=date(2017, 1, 1))
    assert (started, DANISH.rules_words(started)) == (
        "the project starts on 2017-01-01",
        "projektet begynder 01-01-2017",
    )
    assert texts("en").rules_words(started) == started


def test_text_of_no_phrase_is_left_as_written_and_marked_english_on_a_danish_page():
    assert recognised("something the rules never wrote") is None
    assert DANISH.rules_words("something the rules never wrote") == "something the rules never wrote"
    assert DANISH.said_as_written("something the rules never wrote")
    assert not DANISH.said_as_written(phrases.NOBODY_IN_THE_EFFORT_GROUP())
    assert not texts("en").said_as_written("something the rules never wrote")
