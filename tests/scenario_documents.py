"""Hypothesis strategies for scenario documents (the JSON a form sends): every operation with its
keys, mostly good values and some that the checks refuse — a date outside the project, a group of
the other programme, an unknown citizen, a count or a parameter value of the wrong kind — so that
what is compared covers the errors too. And what two outputs may differ in when one scenario is
given twice in different texts (its name and lines)."""

import re
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from models.codes import Activity

PROJECT_FIRST, PROJECT_LAST = date(2017, 8, 1), date(2019, 8, 31)


def days(first: date = date(2017, 7, 15), last: date = date(2019, 9, 15)) -> st.SearchStrategy[str]:
    """ISO dates, most inside the project period, a few outside it."""
    return st.integers(0, (last - first).days).map(lambda n: (first + timedelta(days=n)).isoformat())


def who(citizens: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    counts = st.one_of(
        st.integers(1, 40),
        st.just("all"),
        st.integers(1, 100).map(lambda n: f"{n}%"),
        st.integers(1, 40),
        st.sampled_from(["many", 0, "150%"]),
    )
    named = st.lists(st.sampled_from(citizens), min_size=1, max_size=4, unique=True)
    unknown = named.map(lambda c: [*c, "010101-1234"])
    return st.one_of(
        counts.map(lambda c: {"count": c}),
        counts.map(lambda c: {"count": c}),
        named.map(lambda c: {"citizens": c}),
        unknown.map(lambda c: {"citizens": c}),
    )


GROUPS = st.sampled_from(["1", "1", "2", "3", "udskudt", "1", "2", "indsats"])
ACTIVITIES = st.sampled_from([str(a) for a in Activity])
PARAMETERS = st.sampled_from(
    [
        ("rate3_share", "0.35"),
        ("rate3_share", 0.3),
        ("rate3_share", "0.25"),
        ("rate3_months", 2),
        ("min_activity_days", 5),
        ("rate2_population", "all"),
        ("cutoff_date", "2016-06-30"),
        ("rate3_months", "two"),
        ("no_such_parameter", 1),
    ]
)


def change(citizens: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    visitate = st.fixed_dictionaries(
        {"op": st.just("visitate"), "date": days(), "group": GROUPS},
        optional={"only_active": st.booleans()},
    )
    add = st.fixed_dictionaries(
        {"op": st.just("add_activity"), "activity": ACTIVITIES, "from": days()}
    ).flatmap(
        lambda d: st.one_of(
            st.integers(1, 120).map(lambda n: {**d, "days": n}),
            st.integers(0, 120).map(
                lambda n: {**d, "to": (date.fromisoformat(d["from"]) + timedelta(days=n)).isoformat()}
            ),
        )
    )
    end = st.fixed_dictionaries(
        {"op": st.just("end_activity"), "date": days()}, optional={"activity": ACTIVITIES}
    )
    move = st.fixed_dictionaries(
        {"op": st.just("move_group"), "date": days(), "group": GROUPS}, optional={"from_group": GROUPS}
    )
    leave = st.fixed_dictionaries(
        {
            "op": st.just("exit"),
            "date": days(),
            "reason": st.sampled_from(
                [
                    "doed",
                    "fraflyttet",
                    "ingen_registrering",
                    "selvforsoergende",
                    "foertidspension",
                    "kontanthjaelp",
                ]
            ),
        }
    )
    on_citizens = st.one_of(visitate, add, end, move, leave).flatmap(
        lambda d: who(citizens).map(lambda w: {**d, **w})
    )
    reform = PARAMETERS.map(lambda p: {"op": "set_parameter", "name": p[0], "value": p[1]})
    return st.one_of(on_citizens, on_citizens, reform)


def documents(citizens: list[str], base: str) -> st.SearchStrategy[dict[str, Any]]:
    """Scenario documents on the base (a delivery folder or `latest`) of municipality 851's citizens."""
    return st.fixed_dictionaries(
        {
            "municipality": st.just("851"),
            "base": st.just(base),
            "as_of": days(date(2017, 9, 1), date(2019, 9, 30)),
            "changes": st.lists(change(citizens), min_size=1, max_size=3),
        },
        optional={"title": st.text(min_size=1, max_size=30), "programme": st.just("fsm1")},
    )


def without_places(document: dict[str, Any], name: str) -> dict[str, Any]:
    """A simulation's document without what says where the scenario was written: its name, the
    lines of its changes, and the name and line that begin each warning about a place in it."""
    shown = {**document, "simulation": {**document["simulation"], "file": None}}
    shown["changes"] = [{**c, "line": None} for c in document["changes"]]
    shown["differences"] = [
        {
            **d,
            "change": {**d["change"], "line": None},
            "then_changed_by": [{**r, "line": None} for r in d["then_changed_by"]],
        }
        for d in document["differences"]
    ]
    prefix = re.compile(rf"^{re.escape(name)}(, line \d+)?, ")
    shown["warnings"] = [prefix.sub("", w) for w in document["warnings"]]
    return shown
