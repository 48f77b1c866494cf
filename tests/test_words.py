"""The engine's stored messages (engine/words.py) said in a language: nested messages, lists of
messages and of values, dates as the language writes them, and the English JSON output unchanged."""

from engine.faces.i18n import texts
from engine.words import N_, said, worded

NOTE = said(
    N_("what held it back: %(before)s → %(after)s"),
    before=said(
        N_("%(months)s months short, the latest %(latest)s"),
        months=2,
        latest=[
            said(N_("%(month)s (%(needed)s more)"), month=m, needed=n)
            for m, n in (("2017-12", 78), ("2018-01", 63))
        ],
    ),
    after=said(N_("nothing")),
)


def test_a_message_is_said_in_english_with_its_values_as_stored():
    assert worded({"why": [NOTE], "code": "851"}) == {
        "why": [
            "what held it back: 2 months short, the latest 2017-12 (78 more); 2018-01 (63 more) → nothing"
        ],
        "code": "851",
    }
    assert worded(
        said(N_("months whose qualification changed: %(months)s"), months=["2018-03", "2018-04"])
    ) == ("months whose qualification changed: 2018-03, 2018-04")


def test_the_faces_say_it_in_danish_with_danish_dates_and_english_is_what_json_shows():
    assert texts("da").worded(NOTE) == (
        "hvad der holdt den tilbage: 2 måneder under kravet, de seneste dec. 2017 (78 flere); "
        "jan. 2018 (63 flere) → intet"
    )
    dated = said(N_("the as-of date: %(before)s → %(after)s"), before="2018-03-02", after="2019-08-31")
    assert texts("da").worded(dated) == "opgørelsesdatoen: 02-03-2018 → 31-08-2019"
    assert texts("en").worded([NOTE, dated]) == worded([NOTE, dated])
