"""Deliveries over time: a citizen listed again with the same rows stores no new version, what was
known after each delivery stays exact, the incremental run's contract holds, a re-sent delivery is
recognised whatever its bytes and refused when it would undo corrections, and exemptions of
different markings may overlap — on SQLite and PostgreSQL."""

import csv
import random
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.input.delivery import read_delivery
from engine.input.importing import import_folder
from engine.input.timelines import load_timelines
from engine.rules.pack import get_pack
from engine.rules.programmes import evaluate_municipality
from engine.synthetic.national import changed_citizens, write_national
from models.db import CitizenVersion
from models.domain import CitizenTimeline
from tests.fsm2_timelines import GRANT

DATA = Path(__file__).parent / "data"
EXAMPLE = Path(__file__).parent.parent / "examples" / "delivery"


def national(folder: Path, citizens: int, changed: frozenset[int] = frozenset()) -> Path:
    write_national(folder, citizens, municipalities=4, changed=changed)
    return folder


def known(engine: Engine, delivery: int | None = None) -> dict[str, CitizenTimeline]:
    with Session(engine) as session:
        return {t.citizen_id: t for t in load_timelines(session, delivery=delivery)}


def timelines_of(folder: Path) -> dict[str, CitizenTimeline]:
    """A delivery's accepted rows as timelines, read without the database."""
    content = read_delivery(folder)
    return {
        c: CitizenTimeline.model_validate({"citizen_id": c, **records})
        for c, records in content.citizens.items()
    }


def current_versions(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        query = select(CitizenVersion.citizen_id, CitizenVersion.delivery_id).where(
            CitizenVersion.superseded_by.is_(None)
        )
        return {citizen: delivery for citizen, delivery in session.execute(query)}


def test_a_snapshot_repeating_unchanged_citizens_stores_versions_of_the_changed_ones_only(
    engine: Engine, tmp_path: Path
):
    import_folder(engine, national(tmp_path / "one", 400), report_dir=tmp_path / "r1")
    changed = changed_citizens(400, 0.05)
    second = import_folder(engine, national(tmp_path / "two", 400, changed), report_dir=tmp_path / "r2")
    assert (second.stored.changed, second.stored.unchanged) == (20, 380)
    assert (second.summary["changed"], second.summary["unchanged"]) == (20, 380)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(CitizenVersion)) == 420
    assert known(engine, 1) == timelines_of(tmp_path / "one")
    assert known(engine, 2) == known(engine) == timelines_of(tmp_path / "two")


def test_a_citizens_timeline_is_unchanged_since_a_run_that_read_delivery_r_iff_their_current_version_is_from_r_or_before(
    engine: Engine, tmp_path: Path
):
    """The contract of models/db.py that the nightly run's incremental mode relies on: "changed"
    means that some delivery after R gave the citizen other rows than they had just before it."""
    import_folder(engine, national(tmp_path / "one", 300), report_dir=tmp_path / "r1")
    two = national(tmp_path / "two", 300, changed_citizens(300, 0.04, seed=2))
    import_folder(engine, two, report_dir=tmp_path / "r2")
    three = national(tmp_path / "three", 310, changed_citizens(300, 0.04, seed=3))  # and ten new citizens
    import_folder(engine, three, report_dir=tmp_path / "r3")
    after = {n: known(engine, n) for n in (1, 2, 3)}
    versions = current_versions(engine)
    for run_read in (1, 2):
        unchanged = {c for c, version in versions.items() if version <= run_read}
        untouched = {
            c
            for c in after[3]
            if all(c in after[d - 1] and after[d][c] == after[d - 1][c] for d in range(run_read + 1, 4))
        }
        assert unchanged == untouched and 0 < len(unchanged) < len(after[3]), run_read
        assert all(after[run_read][c] == after[3][c] for c in unchanged)
    changed_back = {c for c in after[1] if after[1][c] == after[3][c] != after[2][c]}
    assert changed_back and all(versions[c] == 3 for c in changed_back)  # changed, not unchanged


def shuffled_copy(source: Path, folder: Path) -> Path:
    """The same delivery with every file's rows in another order."""
    folder.mkdir()
    for path in source.iterdir():
        header, *body = path.read_text().splitlines(keepends=True)
        random.Random(path.name).shuffle(body)
        (folder / path.name).write_text(header + "".join(body))
    return folder


def test_a_delivery_with_the_same_rows_is_already_imported_whatever_its_bytes_and_row_order(
    cli_env: Engine, tmp_path: Path
):
    assert CliRunner().invoke(app, ["import", str(EXAMPLE)]).exit_code == 0
    for resent in (DATA / "danish_excel", shuffled_copy(EXAMPLE, tmp_path / "shuffled")):
        again = CliRunner().invoke(app, ["import", str(resent)])
        assert again.exit_code == 0, again.output
        assert again.output.startswith(f"{resent}: already imported as delivery 1; ")
    assert current_versions(cli_env) == dict.fromkeys(known(cli_env), 1)


def corrected(folder: Path) -> Path:
    """The example delivery with two citizens' support corrected and the grant raised."""
    shutil.copytree(EXAMPLE, folder)
    support = (folder / "support.csv").read_text()
    for before, after in (
        ("080580-1621,kontanthjaelp,2009-06-10,", "080580-1621,kontanthjaelp,2009-06-11,"),
        ("260972-1274,kontanthjaelp,2003-10-18,", "260972-1274,kontanthjaelp,2003-10-18,2019-12-31"),
    ):
        assert before in support
        support = support.replace(before, after)
    (folder / "support.csv").write_text(support)
    grants = (folder / "grants.csv").read_text().replace("11749000.00", "11750000.00")
    (folder / "grants.csv").write_text(grants)
    return folder


def test_a_resent_older_delivery_is_refused_saying_what_it_would_undo_unless_it_is_resent_on_purpose(
    cli_env: Engine, tmp_path: Path
):
    CliRunner().invoke(app, ["import", str(EXAMPLE)])
    assert CliRunner().invoke(app, ["import", str(corrected(tmp_path / "corrected"))]).exit_code == 0
    refused = CliRunner().invoke(
        app, ["import", str(DATA / "danish_excel")]
    )  # delivery 1 again, written otherwise
    assert refused.exit_code == 2
    assert refused.output.splitlines() == [
        "error: this delivery equals delivery 1, and delivery 2 came after it: importing it again would change "
        "back 2 citizens' rows and 1 grant rows to what delivery 1 said (give --resend if that is meant)",
        "error: nothing was imported",
    ]
    resent = CliRunner().invoke(app, ["import", str(DATA / "danish_excel"), "--resend"])
    assert resent.exit_code == 0, resent.output
    assert "imported as delivery 3; 16 citizens listed (2 new or changed, 14 unchanged)" in resent.output
    assert known(cli_env) == known(cli_env, 1) != known(cli_env, 2)
    again = CliRunner().invoke(app, ["import", str(EXAMPLE)])  # now equal to the latest
    assert again.output.startswith(f"{EXAMPLE}: already imported as delivery 3; ")


def test_a_delivery_with_the_same_accepted_rows_and_other_rejects_is_a_delivery_of_its_own(
    cli_env: Engine, tmp_path: Path
):
    CliRunner().invoke(app, ["import", str(EXAMPLE)])
    folder = shutil.copytree(EXAMPLE, tmp_path / "one-bad-row")
    with (folder / "support.csv").open("a") as handle:
        handle.write("nobody,kontanthjaelp,2010-01-01,\n")
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 3
    assert "imported as delivery 2; 16 citizens listed (0 new or changed, 16 unchanged)" in result.output
    assert current_versions(cli_env) == dict.fromkeys(known(cli_env), 1)


def test_exemptions_of_different_markings_may_overlap_and_a_day_is_exempt_while_any_of_them_covers_it(
    engine: Engine, tmp_path: Path
):
    imported = import_folder(engine, DATA / "overlapping_exemptions", report_dir=tmp_path / "r")
    with open(imported.report / "rejects.csv", encoding="utf-8") as handle:
        (reject,) = csv.DictReader(handle)
    assert (reject["line"], reject["reason"]) == (
        "4",
        "overlaps line 2: the same marking barsel twice on one day (2020-04-15)",
    )
    (citizen,) = known(engine).values()
    assert [(e.marking, str(e.start), str(e.end)) for e in citizen.exemptions] == [
        ("barsel", "2020-03-01", "2020-04-30"),
        ("sygdom", "2020-04-01", "2020-05-31"),
    ]
    result = evaluate_municipality(get_pack("fsm2"), GRANT, [citizen], date(2021, 12, 31))
    effort = {m.month: m.effort_group for m in result.status.months}
    assert [effort[m] for m in ("2020-02", "2020-03", "2020-04", "2020-05", "2020-06")] == [1, 0, 0, 0, 1]


def test_a_citizen_file_with_one_marking_twice_on_a_day_is_bad_input_and_two_markings_are_not():
    base = {"citizen_id": "pseudo_1", "birth_date": "1980-01-01"}
    two = [
        {"marking": "barsel", "from": "2020-03-01", "to": "2020-04-30"},
        {"marking": "sygdom", "from": "2020-04-01", "to": "2020-05-31"},
    ]
    assert len(CitizenTimeline.model_validate({**base, "exemptions": two}).exemptions) == 2
    twice = [*two, {"marking": "barsel", "from": "2020-04-15", "to": None}]
    with pytest.raises(
        ValueError, match=r"exemptions\[0\] and exemptions\[2\] overlap: barsel twice on 2020-04-15"
    ):
        CitizenTimeline.model_validate({**base, "exemptions": twice})
