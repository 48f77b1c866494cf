"""FSM2's continuous target group (SPEC section 6) at its edges: the 30th birthday (given and CPR-derived
birth dates, 29 February), the change of law on 2020-01-01 for both benefits and every programme,
sticky participation and the only ways it ends, exemptions in and out, groups that are not locked,
and which activities count."""

from datetime import date

import pytest

from engine.rules.pack import get_pack
from engine.rules.programmes import MunicipalityResult, evaluate_municipality
from engine.rules.programmes.fsm2 import decide_citizen
from engine.rules.runner import Runner
from models.domain import CitizenTimeline
from tests.fsm2_timelines import GRANT, HERNING, participant

PACK = get_pack("fsm2")
ENGINE = Runner()
LAW_CHANGE = date(2020, 1, 1)
NEW_YEARS_EVE = date(2019, 12, 31)


def failing(timeline: CitizenTimeline, day: date) -> list[str]:
    """The eligibility rules the citizen fails on `day` ([] = in the target group)."""
    return decide_citizen(timeline, HERNING, PACK, as_of=day, engine=ENGINE).failed_rules


def evaluated(*timelines: CitizenTimeline, as_of: date = date(2021, 12, 31)) -> MunicipalityResult:
    return evaluate_municipality(PACK, GRANT, timelines, as_of, engine=ENGINE)


def status_of(result: MunicipalityResult, citizen: str = "fsm2-test-citizen"):
    (found,) = [e for e in result.evaluations if e.subject == citizen and e.decision == "fsm2.status"]
    return found


def months(result: MunicipalityResult) -> dict[str, tuple[int, int]]:
    """Month → (effort group, counted)."""
    return {m.month: (m.effort_group, m.in_activity) for m in result.status.months}


# -- the 30th birthday ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "born",
    [{"birth_date": date(1990, 3, 15)}, {"birth_date": None, "citizen_id": "150390-1234"}],
    ids=["birth date given", "birth date from the CPR number"],
)
def test_a_citizen_joins_the_target_group_on_the_30th_birthday_and_not_the_day_before(born) -> None:
    citizen = participant(**born)
    assert failing(citizen, date(2020, 3, 14)) == ["fsm2.aged_30"]
    assert failing(citizen, date(2020, 3, 15)) == []


def test_someone_born_on_29_february_turns_30_on_1_march_in_a_year_without_one() -> None:
    citizen = participant(birth_date=None, citizen_id="290292-1234")
    assert failing(citizen, date(2022, 2, 28)) == ["fsm2.aged_30"]
    assert failing(citizen, date(2022, 3, 1)) == []


def test_the_trace_shows_the_age_and_the_birth_date_it_was_counted_from() -> None:
    decision = decide_citizen(
        participant(birth_date=date(1990, 3, 15)), HERNING, PACK, as_of=date(2020, 3, 14)
    )
    (age,) = [entry for entry in decision.trace if entry.rule == "fsm2.aged_30"]
    assert age.facts == {"day": date(2020, 3, 14), "birth_date": date(1990, 3, 15), "age_on_day": 29}
    assert age.parameters == {"min_age": 30} and not age.passed


# -- the change of law on 2020-01-01 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("support", "programme", "on_new_years_eve", "on_new_years_day"),
    [
        ("kontanthjaelp", None, [], []),
        ("integrationsydelse", None, [], ["fsm2.qualifying_support"]),
        ("overgangsydelse", None, ["fsm2.qualifying_support"], []),
        ("kontanthjaelp", "selvforsoergelsesprogram", ["fsm2.outside_excluded_programmes"], []),
        ("kontanthjaelp", "hjemrejseprogram", ["fsm2.outside_excluded_programmes"], []),
        (
            "kontanthjaelp",
            "introduktionsprogram",
            ["fsm2.outside_excluded_programmes"],
            ["fsm2.outside_excluded_programmes"],
        ),
        ("kontanthjaelp", "integrationsprogram", [], []),
    ],
)
def test_on_2020_01_01_the_benefits_and_programmes_of_the_target_group_change(
    support, programme, on_new_years_eve, on_new_years_day
) -> None:
    programmes = [[programme, date(2019, 6, 1), date(2020, 6, 30)]] if programme else []
    citizen = participant(support=[[support, date(2015, 1, 1), None]], programmes=programmes)
    assert failing(citizen, NEW_YEARS_EVE) == on_new_years_eve
    assert failing(citizen, LAW_CHANGE) == on_new_years_day


def test_one_rule_reads_the_benefits_in_force_on_its_own_day() -> None:
    citizen = participant(support=[["integrationsydelse", date(2015, 1, 1), None]])
    entries = {
        day: next(
            e
            for e in decide_citizen(citizen, HERNING, PACK, as_of=day).trace
            if e.rule == "fsm2.qualifying_support"
        )
        for day in (NEW_YEARS_EVE, LAW_CHANGE)
    }
    assert entries[NEW_YEARS_EVE].parameters == {"eligible_support": ["kontanthjaelp", "integrationsydelse"]}
    assert entries[LAW_CHANGE].parameters == {"eligible_support": ["kontanthjaelp", "overgangsydelse"]}
    assert entries[NEW_YEARS_EVE].passed and not entries[LAW_CHANGE].passed


def test_every_failing_rule_is_named_not_only_the_first() -> None:
    citizen = participant(
        birth_date=date(1995, 1, 1),
        match=[["jobparat", date(2015, 1, 1), None]],
        support=[["sygedagpenge", date(2015, 1, 1), None]],
    )
    assert failing(citizen, date(2020, 6, 1)) == [
        "fsm2.activity_ready",
        "fsm2.aged_30",
        "fsm2.qualifying_support",
    ]


# -- participation: sticky, and how it ends ---------------------------------------------------------


def test_a_participant_who_finds_a_job_keeps_participating_and_counts() -> None:
    citizen = participant(
        support=[
            ["kontanthjaelp", date(2015, 1, 1), date(2020, 4, 30)],
            ["selvforsoergende", date(2020, 5, 1), None],
        ],
        activities=[["ordinaere_timer", date(2020, 5, 1), None]],
    )
    result = evaluated(citizen)
    assert failing(citizen, date(2021, 12, 31)) == ["fsm2.qualifying_support"]
    assert status_of(result).passed and result.status.active == 1
    assert months(result)["2021-12"] == (1, 1) and months(result)["2020-04"] == (1, 0)


def test_an_integration_benefit_recipient_of_2019_keeps_participating_after_the_law_change() -> None:
    result = evaluated(participant(support=[["integrationsydelse", date(2015, 1, 1), None]]))
    assert status_of(result).passed
    assert status_of(result).facts["last_eligible_day"] == NEW_YEARS_EVE


@pytest.mark.parametrize(
    ("changes", "exit_status"),
    [
        (
            {"residence": [[HERNING, date(2000, 1, 1), date(2020, 5, 31)], ["661", date(2020, 6, 1), None]]},
            "fraflyttet",
        ),
        ({"death_date": date(2020, 6, 1)}, "doed"),
        (
            {
                "support": [
                    ["kontanthjaelp", date(2015, 1, 1), date(2020, 5, 31)],
                    ["folkepension", date(2020, 6, 1), None],
                ]
            },
            "folkepension",
        ),
    ],
    ids=["moves out", "dies", "folkepension"],
)
def test_a_participant_leaves_by_moving_out_dying_or_reaching_folkepension(changes, exit_status) -> None:
    result = evaluated(participant(**changes))
    status = status_of(result)
    assert not status.passed and status.detail["exit_status"] == exit_status
    assert status.facts["left_on"] == date(2020, 6, 1)
    assert result.status.exits == {exit_status: 1} and (result.status.members, result.status.active) == (1, 0)
    assert months(result)["2020-05"] == (1, 0) and months(result)["2020-07"] == (0, 0)


AWAY_MARCH_TO_AUGUST = [
    [HERNING, date(2000, 1, 1), date(2020, 2, 29)],
    ["661", date(2020, 3, 1), date(2020, 8, 31)],
    [HERNING, date(2020, 9, 1), None],
]


def test_a_participant_who_moved_out_joins_again_only_by_becoming_eligible_again() -> None:
    result = evaluated(participant(residence=AWAY_MARCH_TO_AUGUST))
    assert status_of(result).passed and status_of(result).facts["joined_on"] == date(2020, 9, 1)
    assert [months(result)[m][0] for m in ("2020-02", "2020-03", "2020-08", "2020-09")] == [1, 0, 0, 1]
    jobparat_on_return = participant(
        residence=AWAY_MARCH_TO_AUGUST,
        match=[
            ["aktivitetsparat", date(2015, 1, 1), date(2020, 8, 31)],
            ["jobparat", date(2020, 9, 1), None],
        ],
    )
    gone = status_of(evaluated(jobparat_on_return))
    assert not gone.passed and gone.detail["exit_status"] == "fraflyttet"


def test_a_citizen_never_in_the_target_group_is_not_a_member_and_has_no_status() -> None:
    result = evaluated(participant(match=[["jobparat", date(2015, 1, 1), None]]))
    assert result.status.members == 0
    assert [e.decision for e in result.evaluations] == ["fsm2.eligibility"]
    assert result.status.warnings[0].startswith("1 citizens outside the target group")


# -- the effort group: exemptions, groups, what counts -------------------------------------------------


@pytest.mark.parametrize(
    ("first_day", "february"),
    [(date(2020, 2, 1), (0, 0)), (date(2020, 2, 2), (1, 0))],
    ids=["the whole of February exempted", "one day of February without"],
)
def test_an_exemption_takes_a_member_out_of_the_effort_group_while_it_lasts(first_day, february) -> None:
    result = evaluated(participant(exemptions=[["barsel", first_day, date(2020, 4, 30)]]))
    found = months(result)
    assert found["2020-01"] == (1, 0) and found["2020-02"] == february
    assert found["2020-03"] == found["2020-04"] == (0, 0) and found["2020-05"] == (1, 0)


def test_an_exempted_participant_is_counted_apart_on_the_as_of_date() -> None:
    result = evaluated(participant(exemptions=[["sygdom", date(2021, 12, 1), None]]))
    assert result.status.visitation == {"indsats": 0, "rehab": 0, "fritaget": 1, "mangler": 0}


def test_groups_are_not_locked_a_citizen_moves_from_rehab_to_the_effort_group() -> None:
    result = evaluated(
        participant(visitations=[["rehab", date(2019, 12, 10)], ["indsats", date(2020, 5, 20)]])
    )
    found = months(result)
    assert found["2020-04"] == (0, 0) and found["2020-05"] == (1, 0)
    assert result.status.visitation["indsats"] == 1


@pytest.mark.parametrize(
    ("activity", "counts"),
    [("ordinaere_timer", True), ("ordinaer_uddannelse", True), ("loentilskud", False), ("fleksjob", False)],
)
def test_only_ordinary_hours_and_ordinary_education_count(activity, counts) -> None:
    result = evaluated(participant(activities=[[activity, date(2020, 3, 31), date(2020, 3, 31)]]))
    assert months(result)["2020-03"] == (1, int(counts))
    assert months(result)["2020-04"] == (1, 0)
