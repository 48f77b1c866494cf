"""Reading deliveries back for the nightly run: history ("what did we know after delivery N?"),
grants, exact money, both read paths, and a fixed number of queries however many citizens."""

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from engine.input import timelines as store
from engine.input.importing import import_folder
from engine.input.timelines import latest_delivery, load_grant_years, load_grants, load_timelines
from engine.synthetic.national import write_national
from models.db import CitizenVersion
from models.domain import CitizenTimeline

EXAMPLE = Path(__file__).parent.parent / "examples" / "delivery"
CITIZENS = "citizen_id,birth_date,death_date\n"
SUPPORT = "citizen_id,support,from,to\n"
RESIDENCE = "citizen_id,municipality,from,to\n"
GRANTS = "municipality,programme,amount,approved_on,project_start,project_end\n"
GRANT_YEARS = "municipality,programme,year,amount\n"

# Three deliveries: the second corrects A and lists nobody else; the third moves B to Herning.
DELIVERIES = {
    "one": {
        "citizens.csv": CITIZENS + "0101801234,,\n0202801234,,\n",
        "support.csv": SUPPORT + "0101801234,kontanthjaelp,2010-01-01,\n0202801234,dagpenge,2011-01-01,\n",
        "residence.csv": RESIDENCE + "0101801234,851,2000-01-01,\n0202801234,851,2000-01-01,\n",
        "grants.csv": GRANTS + "851,fsm1,100.00,2017-06-01,2017-08-01,2019-08-31\n",
        "grant_years.csv": GRANT_YEARS + "657,fsm2,2020,631215.00\n657,fsm2,2021,858805.00\n",
    },
    "two": {
        "citizens.csv": CITIZENS + "010180-1234,,2018-01-01\n",
        "support.csv": SUPPORT + "010180-1234,kontanthjaelp,2010-01-01,2017-12-31\n",
        "residence.csv": RESIDENCE + "010180-1234,851,2000-01-01,\n",
        "grants.csv": GRANTS + "851,fsm1,11749000.01,2017-06-01,2017-08-01,2019-08-31\n",
    },
    "three": {
        "citizens.csv": CITIZENS + "020280-1234,,\n",
        "support.csv": SUPPORT,  # B has no support from now on (a missing file would be refused)
        "residence.csv": RESIDENCE + "020280-1234,657,2000-01-01,\n",
        "grant_years.csv": GRANT_YEARS + "657,fsm2,2020,1.00\n",
    },
}


@pytest.fixture
def history(engine: Engine, tmp_path: Path) -> list[int]:
    """The three deliveries imported in order; their ids."""
    ids = []
    for name, files in DELIVERIES.items():
        folder = tmp_path / name
        folder.mkdir()
        for file, text in files.items():
            (folder / file).write_text(text, encoding="utf-8")
        ids.append(import_folder(engine, folder, report_dir=tmp_path / f"report-{name}").stored.delivery_id)
    return ids


def timelines(engine: Engine, **options) -> dict[str, CitizenTimeline]:
    with Session(engine) as session:
        return {t.citizen_id: t for t in load_timelines(session, **options)}


def test_a_correcting_delivery_replaces_what_is_known_from_then_on_and_keeps_the_earlier_knowledge(
    engine: Engine, history: list[int]
):
    one, two, three = history
    before, after = timelines(engine, delivery=one), timelines(engine, delivery=two)
    assert before["010180-1234"].support[0].end is None and before["010180-1234"].death_date is None
    assert str(after["010180-1234"].support[0].end) == "2017-12-31"
    assert str(after["010180-1234"].death_date) == "2018-01-01"
    assert after["020280-1234"].support[0].support.value == "dagpenge"  # not listed again: kept
    latest = timelines(engine)
    assert latest == timelines(engine, delivery=three)
    assert latest["020280-1234"].support == ()  # the third delivery lists B without support rows
    assert [r.municipality for r in latest["020280-1234"].residence] == ["657"]


def test_the_latest_delivery_is_the_greatest_id_and_none_before_any_import(engine: Engine, tmp_path: Path):
    with Session(engine) as session:
        assert latest_delivery(session) is None
        assert list(load_timelines(session)) == []
    import_folder(engine, EXAMPLE, report_dir=tmp_path / "r")
    with Session(engine) as session:
        assert latest_delivery(session) == 1


def test_each_import_stamps_the_versions_it_supersedes_and_no_other(engine: Engine, history: list[int]):
    with Session(engine) as session:
        stamps = set(
            session.execute(
                select(CitizenVersion.delivery_id, CitizenVersion.citizen_id, CitizenVersion.superseded_by)
            )
        )
    one, two, three = history
    assert stamps == {
        (one, "010180-1234", two),
        (one, "020280-1234", three),
        (two, "010180-1234", None),
        (three, "020280-1234", None),
    }


def test_the_municipality_filter_uses_what_was_known_after_the_delivery(engine: Engine, history: list[int]):
    one, _, three = history
    assert sorted(timelines(engine, delivery=one, municipality="851")) == ["010180-1234", "020280-1234"]
    assert sorted(timelines(engine, delivery=three, municipality="851")) == ["010180-1234"]
    assert sorted(timelines(engine, municipality="657")) == ["020280-1234"]
    assert timelines(engine, municipality="159") == {}


def test_grant_rows_replace_earlier_rows_for_the_same_municipality_and_programme(
    engine: Engine, history: list[int]
):
    one, two, three = history
    with Session(engine) as session:
        assert [g.amount for g in load_grants(session, delivery=one)] == [Decimal("100.00")]
        assert [g.amount for g in load_grants(session)] == [Decimal("11749000.01")]
        assert load_grants(session, programme="fsm2") == []
        assert [(y.year, y.amount) for y in load_grant_years(session, delivery=two)] == [
            (2020, Decimal("631215.00")),
            (2021, Decimal("858805.00")),
        ]
        assert [(y.year, y.amount) for y in load_grant_years(session, programme="fsm2")] == [
            (2020, Decimal("1.00"))
        ]


def test_money_comes_back_as_exact_decimals(engine: Engine, history: list[int]):
    with Session(engine) as session:
        (grant,) = load_grants(session)
    assert isinstance(grant.amount, Decimal)
    assert grant.amount == Decimal("11749000.01")


@pytest.mark.parametrize("municipality", [None, "851", "657"])
@pytest.mark.parametrize("delivery", [None, 1, 2])
def test_reading_whole_tables_and_joining_on_current_versions_give_the_same_timelines(
    engine: Engine,
    history: list[int],
    monkeypatch: pytest.MonkeyPatch,
    delivery: int | None,
    municipality: str | None,
):
    monkeypatch.setattr(store, "SHALLOW", float("inf"))  # any history is "shallow": whole tables
    whole_tables = timelines(engine, delivery=delivery, municipality=municipality)
    monkeypatch.setattr(store, "SHALLOW", 0)  # any history is "deep": join
    assert timelines(engine, delivery=delivery, municipality=municipality) == whole_tables
    assert whole_tables or (municipality == "657" and delivery is not None)  # (they moved there in 3)


def test_timelines_read_back_equal_the_same_timelines_validated(engine: Engine, tmp_path: Path):
    import_folder(engine, EXAMPLE, report_dir=tmp_path / "r")
    read = list(timelines(engine).values())
    assert len(read) == 16
    for timeline in read:
        assert CitizenTimeline.model_validate(timeline.model_dump()) == timeline
    assert sum(len(t.support) + len(t.activities) + len(t.visitations) for t in read) == 19 + 16 + 10


def test_the_same_delivery_from_another_folder_is_recognised_by_its_checksum(engine: Engine, tmp_path: Path):
    first = import_folder(engine, EXAMPLE, report_dir=tmp_path / "r1")
    shutil.copytree(EXAMPLE, tmp_path / "copy")
    again = import_folder(engine, tmp_path / "copy", report_dir=tmp_path / "r2")
    assert (again.stored.delivery_id, again.stored.new) == (first.stored.delivery_id, False)


def test_reading_timelines_takes_the_same_number_of_queries_for_few_and_many_citizens(
    engine: Engine, tmp_path: Path, history: list[int]
):
    def queries() -> int:
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(engine, "before_cursor_execute", listen)
        try:
            timelines(engine)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return len(statements)

    few = queries()  # two citizens
    import_folder(engine, EXAMPLE, report_dir=tmp_path / "r")
    assert queries() == few  # eighteen citizens
    assert few <= 2 + len(store.KINDS)  # the versions, the history's depth, one query per table


@pytest.mark.parametrize("size", [1, 7, 40, 500])
def test_a_run_s_ranges_of_citizens_cover_every_known_citizen_once_size_by_size(
    engine: Engine, tmp_path: Path, size: int
):
    write_national(tmp_path / "delivery", 120, municipalities=3)
    import_folder(engine, tmp_path / "delivery", report_dir=tmp_path / "report")
    with Session(engine) as session:
        for municipality in (None, "101"):
            known = store.known_citizens(session, municipality=municipality)
            ranges, count = store.known_ranges(session, size, municipality=municipality)
            read = [
                [t.citizen_id for t in load_timelines(session, municipality=municipality, citizens=r)]
                for r in ranges
            ]
            assert count == len(known) and len(ranges) == -(-count // size)
            assert [c for ids in read for c in ids] == known
            assert [len(ids) for ids in read] == [size] * (len(read) - 1) + [len(read[-1])]
            assert 1 <= len(read[-1]) <= size and ranges[-1].after is None
