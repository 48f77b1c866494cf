"""Any valid day works (issue 16, points 3 and 8): every as-of date from a pack's first rule date on
runs and evaluates, for both programmes; before it, a clear refusal; a rate whose rules or parameters
are not yet in force is "not yet decidable", and no month that cannot qualify says `needed: 0`."""

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.input.importing import import_folder
from engine.rules.pack import Pack, PackError, get_pack, pack_from_files
from engine.rules.payout import NOT_YET_DECIDABLE
from engine.rules.programmes import MunicipalityResult, evaluate_municipality, first_rule_day, programme_of
from engine.synthetic import Municipality, aalborg, herning, write_delivery
from models.runs import Run
from models.status import MunicipalityStatus

FSM1 = aalborg.municipality("851", 30)
HERNING = herning.municipality()
FSM2 = Municipality(HERNING.code, HERNING.grant, HERNING.citizens[:40])
EARLY_FSM2 = FSM2.grant.model_copy(update={"project_start": date(2018, 11, 1)})
"""An FSM2 grant whose project starts before the pack's rules apply (2019-01-01)."""


def month_ends(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        days.append(following - timedelta(days=1))
        day = following
    return days


SWEEP = month_ends(date(2016, 1, 1), date(2026, 12, 1))


def check_status(status: MunicipalityStatus) -> None:
    """What holds on every day: each rate decided or pending in words; no blocked month says it
    needed 0 more (a month that cannot qualify says so instead)."""
    for rate in status.rates:
        blocked = rate.blocked_by or {}
        assert rate.triggered == (rate.date is not None)
        for month in blocked.get("months", []):
            assert month.get("needed") != 0, (status.as_of, rate.rate, month)
            assert month.get("needed") or "nobody is in the effort group" in month["cannot_qualify"]
    for month in status.months:
        assert (month.needed is None) == (month.effort_group == 0)


def test_fsm1_every_month_end_from_2016_to_2026_runs_and_evaluates():
    pack = get_pack("fsm1")
    member = next(c for c in FSM1.citizens if programme_of(pack).decide_citizen(c, "851", pack).outcome)
    seen = set()
    for day in SWEEP:
        result = evaluate_municipality(pack, FSM1.grant, FSM1.citizens, day)
        check_status(result.status)
        json.dumps(result.status.model_dump(mode="json"))
        assert programme_of(pack).decide_citizen(member, "851", pack, as_of=day).outcome
        pending = [r.blocked_by["not_yet_decidable"] for r in result.status.rates if r.amount == 0]
        assert result.status.members == 30
        seen.add(bool(pending))
        if day < date(2017, 1, 1):
            assert pending == [f"not yet decidable on {day}: the rate rules apply from 2017-01-01"] * 3
            assert [d.verdict for d in result.rates] == [NOT_YET_DECIDABLE] * 3
            assert (
                result.rates[0].detail == {"blocked_by": {"not_yet_decidable": pending[0]}}
                and not result.status.months
            )
        else:
            assert not pending and result.status.rates[0].amount == Decimal("86673.00")
    assert seen == {True, False}


@pytest.mark.parametrize("grant", [FSM2.grant, EARLY_FSM2], ids=["herning", "project-from-2018-11-01"])
def test_fsm2_every_month_end_from_2019_runs_and_evaluates_and_earlier_ones_are_refused(grant):
    pack = get_pack("fsm2")
    assert first_rule_day(pack) == date(2019, 1, 1)
    for day in SWEEP:
        if day < date(2019, 1, 1):
            with pytest.raises(PackError, match=f"the fsm2 rules apply from 2019-01-01: .* as of {day}"):
                evaluate_municipality(pack, grant, FSM2.citizens, day)
            with pytest.raises(PackError, match="apply from 2019-01-01"):
                programme_of(pack).decide_citizen(FSM2.citizens[0], grant.municipality, pack, as_of=day)
            continue
        result = evaluate_municipality(pack, grant, FSM2.citizens, day)
        check_status(result.status)
        json.dumps(result.status.model_dump(mode="json"))
        programme_of(pack).decide_citizen(FSM2.citizens[0], grant.municipality, pack, as_of=day)
        months = [m.month for m in result.status.months]
        assert all(m >= "2019-01" for m in months) and months == sorted(months)


def test_an_fsm2_project_started_before_the_rules_counts_from_the_first_rule_date():
    early = evaluate_municipality(get_pack("fsm2"), EARLY_FSM2, FSM2.citizens, date(2019, 11, 30))
    assert [m.month for m in early.status.months][:2] == ["2019-01", "2019-02"]
    joined = [e.facts["joined_on"] for e in early.evaluations if e.decision == "fsm2.status"]
    assert joined and min(joined) == date(2019, 1, 1)


def late_rates(pack: Pack) -> Pack:
    """The pack with its rate parameters in force only from 2021-01-01 (a pack version could say so)."""
    files = dict(pack.files)
    files["parameters.yaml"] = files["parameters.yaml"].replace(
        "    - {from: 2019-01-01, value: 0.50}", "    - {from: 2021-01-01, value: 0.50}"
    )
    return pack_from_files(files, "late rates")


def test_an_fsm2_rate_whose_parameters_are_not_yet_in_force_is_not_yet_decidable():
    pack = late_rates(get_pack("fsm2"))
    result: MunicipalityResult = evaluate_municipality(pack, FSM2.grant, FSM2.citizens, date(2020, 6, 30))
    reason = "not yet decidable on 2020-06-30: rate1_share have no value in force then"
    assert [r.blocked_by for r in result.status.rates] == [{"not_yet_decidable": reason}] * 2
    assert [d.verdict for d in result.rates] == [NOT_YET_DECIDABLE] * 2
    later = evaluate_municipality(pack, FSM2.grant, FSM2.citizens, date(2021, 6, 30))
    assert later.status.rates[0].triggered and later.status.months


def test_a_month_with_an_empty_effort_group_cannot_qualify_and_is_said_so():
    """FSM1 rate 3 in the first project months, before anyone is visitated into group 1."""
    citizens = [c.model_copy(update={"visitations": ()}) for c in FSM1.citizens]
    result = evaluate_municipality(get_pack("fsm1"), FSM1.grant, citizens, date(2017, 10, 31))
    rate3 = result.status.rates[2]
    assert rate3.blocked_by == {
        "months": [
            {"month": month, "effort_group": 0, "cannot_qualify": "nobody is in the effort group"}
            for month in ("2017-08", "2017-09", "2017-10")
        ]
    }
    assert [m.needed for m in result.status.months] == [None, None, None]


@pytest.fixture
def two_programmes(cli_env: Engine, tmp_path: Path) -> Engine:
    write_delivery(tmp_path / "delivery", [FSM1, Municipality(FSM2.code, EARLY_FSM2, FSM2.citizens)])
    import_folder(cli_env, tmp_path / "delivery", report_dir=tmp_path / "report")
    return cli_env


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), terminal_width=200)


def test_fsm_run_on_the_cut_off_day_and_on_an_early_fsm2_project_finish(two_programmes: Engine):
    ran = invoke("run", "--as-of", "2016-12-31", "--workers", "1")
    assert ran.exit_code == 0, ran.output
    (status,) = json.loads(invoke("status", "--json").output)
    assert status["members"] == 30
    assert {r["blocked_by"]["not_yet_decidable"] for r in status["rates"]} == {
        "not yet decidable on 2016-12-31: the rate rules apply from 2017-01-01"
    }
    assert "not yet decidable on 2016-12-31" in invoke("status").output
    early = invoke("run", "--programme", "fsm2", "--as-of", "2019-03-31", "--workers", "1")
    assert early.exit_code == 0, early.output
    (fsm2,) = json.loads(invoke("status", "--json").output)
    assert [m["month"] for m in fsm2["months"]] == ["2019-01", "2019-02", "2019-03"]


def test_a_day_before_the_pack_s_first_rule_date_is_refused_in_one_line_and_stores_no_run(
    two_programmes: Engine,
):
    refused = invoke("run", "--programme", "fsm2", "--as-of", "2018-12-31")
    assert refused.exit_code == 2
    assert refused.output.strip() == (
        "error: the fsm2 rules apply from 2019-01-01: nothing can be decided as of 2018-12-31"
    )
    early = invoke("run", "--as-of", "2015-12-31")
    assert early.exit_code == 2 and "the fsm1 rules apply from 2016-01-01" in early.output
    with Session(two_programmes) as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0


def test_fsm_evaluate_before_the_rules_apply_is_one_line_exit_2(tmp_path: Path):
    member = Path(__file__).parent.parent / "examples" / "citizens" / "member.json"
    for programme, day in (("fsm2", "2018-06-01"), ("fsm1", "2015-06-01")):
        found = invoke("evaluate", str(member), "--programme", programme, "--as-of", day)
        assert found.exit_code == 2, found.output
        assert found.output.startswith("error: the ") and len(found.output.splitlines()) == 1
    fine = invoke("evaluate", str(member), "--programme", "fsm1", "--as-of", "2018-06-01", "--json")
    assert fine.exit_code == 0 and json.loads(fine.output)["member"] is True
