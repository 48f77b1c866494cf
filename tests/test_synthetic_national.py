"""The national benchmark shape: deterministic, diverse, and a second delivery that differs only in
the citizens it changes."""

import csv
from pathlib import Path

from engine.synthetic.national import changed_citizens, citizen_id, municipality_codes, write_national
from models.municipalities import names


def _rows(folder: Path) -> dict[str, list[list[str]]]:
    return {p.name: list(csv.reader(p.open(encoding="utf-8"))) for p in sorted(folder.glob("*.csv"))}


def test_the_official_list_has_98_municipalities_and_the_shape_uses_them_all():
    assert len(names()) == 98 and names()["851"] == "Aalborg" and names()["657"] == "Herning"
    assert municipality_codes() == list(names())


def test_citizen_ids_are_unique_cpr_numbers_of_the_1900s():
    ids = [citizen_id(i) for i in range(30_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 11 and i[6] == "-" and i[7] == "0" for i in ids)


def test_the_same_seed_writes_the_same_delivery_and_changed_citizens_differ_only_in_themselves(tmp_path):
    first = write_national(tmp_path / "a", 600)
    again = write_national(tmp_path / "b", 600)
    assert first == again and _rows(tmp_path / "a") == _rows(tmp_path / "b")
    assert 9 <= first.rows / first.citizens <= 12
    changed = changed_citizens(600, 0.05)
    write_national(tmp_path / "c", 600, changed=changed)
    old, new = _rows(tmp_path / "a"), _rows(tmp_path / "c")
    ids = {citizen_id(i) for i in changed}
    for name in old:
        assert [r for r in old[name] if r[0] not in ids] == [r for r in new[name] if r[0] not in ids], name
    projects = ("visitations.csv", "activities.csv")
    assert any([r for r in old[n] if r[0] in ids] != [r for r in new[n] if r[0] in ids] for n in projects)


def test_a_delivery_of_only_some_citizens_lists_just_them(tmp_path):
    only = frozenset({3, 17, 42})
    written = write_national(tmp_path / "d", 600, only=only)
    listed = [row[0] for row in _rows(tmp_path / "d")["citizens.csv"][1:]]
    assert written.citizens == 3 and listed == [citizen_id(i) for i in sorted(only)]
