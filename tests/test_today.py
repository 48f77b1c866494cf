"""Copenhagen's today (issue 16, point 4): the default as-of date is the date in Europe/Copenhagen,
whatever the process's time zone, around midnight and the daylight-saving changes; FSM_TIMEZONE may
name another zone."""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.input.importing import import_folder
from engine.rules.pack import get_pack
from engine.rules.programmes import programme_of
from engine.synthetic import aalborg, write_delivery
from models.runs import Run
from models.today import UnknownTimeZone, today

FAR_ZONES = ("Etc/GMT+12", "Etc/GMT-14", "UTC", "America/Los_Angeles")
"""Process time zones a server might have: a day behind and a day ahead of Copenhagen at times."""


@contextmanager
def process_in(zone: str) -> Iterator[None]:
    """The process's own time zone (TZ) set to `zone` for the block."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.fixture(params=FAR_ZONES)
def process_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("FSM_TIMEZONE", raising=False)
    with process_in(request.param):
        yield request.param


# (instant in UTC, the date in Copenhagen then)
EDGES = [
    ("2026-11-30T22:59:59Z", date(2026, 11, 30)),  # winter (UTC+1): a second before midnight
    ("2026-11-30T23:00:00Z", date(2026, 12, 1)),  # midnight
    ("2026-12-01T08:39:00Z", date(2026, 12, 1)),  # the 09:39 on 1 December
    ("2026-03-28T22:59:59Z", date(2026, 3, 28)),  # the night clocks go forward (02:00 → 03:00)
    ("2026-03-28T23:00:00Z", date(2026, 3, 29)),
    ("2026-03-29T01:30:00Z", date(2026, 3, 29)),  # just after the change: 03:30 summer time
    ("2026-03-29T21:59:59Z", date(2026, 3, 29)),  # summer (UTC+2): midnight is at 22:00 UTC
    ("2026-03-29T22:00:00Z", date(2026, 3, 30)),
    ("2026-10-24T21:59:59Z", date(2026, 10, 24)),  # the night clocks go back (03:00 → 02:00)
    ("2026-10-24T22:00:00Z", date(2026, 10, 25)),
    ("2026-10-25T00:30:00Z", date(2026, 10, 25)),  # 02:30 summer time, the first time round
    ("2026-10-25T01:30:00Z", date(2026, 10, 25)),  # 02:30 winter time, the second
    ("2026-10-25T22:59:59Z", date(2026, 10, 25)),
    ("2026-10-25T23:00:00Z", date(2026, 10, 26)),
    ("2024-02-28T23:00:00Z", date(2024, 2, 29)),  # a leap day begins
    ("2026-12-31T23:00:00Z", date(2027, 1, 1)),  # a new year begins
]


@pytest.mark.parametrize(("instant", "expected"), EDGES)
def test_today_is_copenhagens_date_whatever_the_process_zone(process_zone: str, instant: str, expected: date):
    with freeze_time(instant):
        assert today() == expected


def test_another_zone_may_be_named_and_a_wrong_name_is_refused(monkeypatch: pytest.MonkeyPatch):
    with freeze_time("2026-12-01T03:00:00Z"):
        assert today() == date(2026, 12, 1)
        monkeypatch.setenv("FSM_TIMEZONE", "America/New_York")
        assert today() == date(2026, 11, 30)
        monkeypatch.setenv("FSM_TIMEZONE", "Europe/Kopenhagen")
        with pytest.raises(UnknownTimeZone, match="FSM_TIMEZONE='Europe/Kopenhagen' is not a time zone"):
            today()


def test_fsm2_evaluates_as_of_copenhagens_today_by_default(process_zone: str):
    pack = get_pack("fsm2")
    citizen = aalborg.municipality("851", 5).citizens[0]
    with freeze_time("2020-12-31T23:30:00Z"):  # 1 January 2021 in Copenhagen
        found = programme_of(pack).decide_citizen(citizen, "851", pack)
    assert found.decided_on == date(2021, 1, 1)


@pytest.fixture
def imported(cli_env: Engine, tmp_path: Path) -> Engine:
    write_delivery(tmp_path / "delivery", [aalborg.municipality("851", 20)])
    import_folder(cli_env, tmp_path / "delivery", report_dir=tmp_path / "report")
    return cli_env


@pytest.mark.parametrize(("instant", "expected"), [EDGES[1], EDGES[2], EDGES[7], EDGES[13]])
def test_fsm_run_defaults_to_copenhagens_today(imported: Engine, instant: str, expected: date):
    with process_in("Etc/GMT+12"), freeze_time(instant):  # a day behind Copenhagen half the day
        result = CliRunner().invoke(app, ["run", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert f"as of {expected}" in result.output
    with Session(imported) as session:
        assert session.scalars(select(Run.as_of)).all() == [expected]


def test_a_wrong_time_zone_is_one_line_and_exit_2(imported: Engine, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FSM_TIMEZONE", "Mars/Olympus")
    for command in (["run"], ["rules"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, result.output
        assert result.output.strip().startswith("error: FSM_TIMEZONE='Mars/Olympus' is not a time zone")
