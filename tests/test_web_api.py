"""The JSON API on SQLite and PostgreSQL: runs, municipalities, members, citizens, diff, verification
and exports — their content, CPR masking by role, and clear 4xx answers (never a 500) to bad input."""

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.runs import diff as diffs
from engine.runs import results
from models.runs import StoredDecision
from tests.conftest import WebRuns
from tests.web import bearer
from tests.web import client as web_client

TOKENS: dict[str, str] = {}


@pytest.fixture
def client(web_runs: WebRuns) -> Iterator[TestClient]:
    TOKENS.update(web_runs.tokens)
    with web_client(web_runs.engine) as client:
        yield client


def get(client: TestClient, url: str, user: str = "alice", status: int = 200):
    response = client.get(url, headers=bearer(TOKENS[user]))
    assert response.status_code == status, response.text
    return response


def post(client: TestClient, url: str, body: dict, user: str = "alice"):
    return client.post(url, json=body, headers=bearer(TOKENS[user]))


def is_masked(citizen: str) -> bool:
    return citizen.endswith("-xxxx") and len(citizen) == 11


def test_runs_are_listed_latest_first_with_their_record(client):
    runs = get(client, "/api/runs").json()
    assert [(r["id"], r["status"], r["as_of"]) for r in runs] == [
        (3, "failed", "2019-08-31"),
        (2, "finished", "2019-08-31"),
        (1, "finished", "2018-03-02"),
    ]
    assert runs[1]["members"] == 1220 and runs[1]["delivery_id"] == 1 and len(runs[1]["pack_hash"]) == 64


def test_a_run_has_a_summary_line_per_municipality_naming_no_citizen(client):
    detail = get(client, "/api/runs/2").json()
    assert detail["run"]["id"] == 2
    (status,) = detail["municipalities"]
    assert (status["municipality"], status["name"], status["members"], status["active"]) == (
        "851",
        "Aalborg",
        1220,
        969,
    )
    rates = {r["rate"]: r for r in status["rates"]}
    assert [rates[n]["amount"] for n in (1, 2, 3)] == ["3524700.00", "4699600.00", "3524700.00"]
    assert rates[2]["triggered"] is False and rates[2]["blocked_by"] == {
        "day": "2019-08-31",
        "not_visitated": 10,
    }
    assert get(client, "/api/runs/2", user="otto").json()["municipalities"] == []


def test_a_municipality_names_who_blocks_rate_2_masked_for_an_auditor_in_full_for_auditor_cpr(client):
    masked = get(client, "/api/runs/2/municipalities/851").json()["status"]["rates"][1]["blocked_by"]
    assert len(masked["citizens"]) == 10 and all(is_masked(c) for c in masked["citizens"])
    full = get(client, "/api/runs/2/municipalities/851", user="carol").json()["status"]["rates"][1][
        "blocked_by"
    ]
    assert not any(c.endswith("xxxx") for c in full["citizens"])
    assert [c[:6] for c in full["citizens"]] == [c[:6] for c in masked["citizens"]]
    assert get(client, "/api/runs/2/municipalities/851", user="otto", status=403).json() == {
        "detail": "forbidden: municipality 851 is not among those you may see"
    }


def test_a_municipality_has_its_rate_decisions_with_traces_and_the_parameters_the_run_used(client):
    detail = get(client, "/api/runs/2/municipalities/851").json()
    assert detail["rate_parameters"]["rate3_share"] == "0.40"
    decisions = {d["decision"]: d for d in detail["rate_decisions"]}
    assert set(decisions) == {"fsm1.rate1", "fsm1.rate2", "fsm1.rate3"}
    rate3 = decisions["fsm1.rate3"]
    assert rate3["outcome"] is True and rate3["decided_on"] == "2018-06-30"
    months = [e for e in rate3["trace"] if e["rule"] == "fsm1.rate3.month_qualifies"]
    assert months and all(e["source"]["quote"] and "effort_group" in e["facts"] for e in months)
    assert all(is_masked(c) for c in decisions["fsm1.rate2"]["detail"]["blocked_by"]["citizens"])


def members(client: TestClient, query: str = "", user: str = "alice") -> dict:
    return get(client, f"/api/runs/2/municipalities/851/members{query}", user=user).json()


def test_members_are_filtered_by_status_group_and_blocking_rate_2(client, stored_runs):
    everyone = members(client, "?per_page=500")
    assert everyone["total"] == 1220 and len(everyone["members"]) == 500
    assert members(client, "?status=active")["total"] == 969
    assert members(client, "?status=foertidspension")["total"] == 75
    assert members(client, "?status=active&group=1")["total"] == 473
    blocking = members(client, "?blocks_rate2=true")
    assert blocking["total"] == 10
    assert all(m["blocks_rate2"] and m["active"] and m["group"] == "mangler" for m in blocking["members"])
    assert all(is_masked(m["citizen"]) for m in blocking["members"])
    assert members(client, "?blocks_rate2=false")["total"] == 1210
    with Session(stored_runs) as session:
        run = results.get_run(session, 2)
        (status,) = results.statuses(session, run)
        expected = sorted(results.rate2_blockers(status))
    assert [m["citizen"] for m in members(client, "?blocks_rate2=true", user="carol")["members"]] == expected


def test_members_are_paginated_in_citizen_order_without_overlap(client):
    first, second = members(client, "?per_page=7"), members(client, "?per_page=7&page=2")
    refs = [m["ref"] for m in first["members"] + second["members"]]
    assert len(refs) == len(set(refs)) == 14
    both = members(client, "?per_page=14", user="carol")["members"]
    assert [m["ref"] for m in both] == refs
    assert [m["citizen"] for m in both] == sorted(m["citizen"] for m in both)
    assert members(client, "?page=1000")["members"] == []


def test_a_citizen_has_every_decision_of_the_run_with_rule_facts_parameters_and_source(client):
    member = members(client, "?status=active&group=1&per_page=1")["members"][0]
    citizen = get(client, f"/api/runs/2/citizens/{member['ref']}").json()
    assert citizen["citizen"] == member["citizen"] and is_masked(citizen["citizen"])
    decisions = {d["decision"]: d for d in citizen["decisions"]}
    assert set(decisions) == {"fsm1.membership", "fsm1.status"}
    membership = decisions["fsm1.membership"]
    assert membership["outcome"] is True and membership["decided_on"] == "2016-12-31"
    assert membership["subject"] == member["citizen"]
    rules = {e["rule"]: e for e in membership["trace"]}
    five = rules["fsm1.five_years_on_support"]
    assert five["passed"] and five["facts"]["window_first_day"] == "2011-12-31"
    assert five["parameters"]["max_break_days"] == 28 and five["source"]["quote"]
    assert decisions["fsm1.status"]["detail"] == {"group": "1"}
    full = get(client, f"/api/runs/2/citizens/{member['ref']}", user="carol").json()
    assert not full["citizen"].endswith("xxxx") and full["decisions"][0]["subject"] == full["citizen"]


def test_a_citizen_is_found_by_cpr_number_in_the_request_body_in_any_spelling(client):
    member = members(client, "?per_page=1", user="carol")["members"][0]
    for spelling in (member["citizen"], member["citizen"].replace("-", "")):
        response = post(client, "/api/runs/2/citizens/search", {"citizen_id": spelling}, user="carol")
        assert response.status_code == 200
        found = response.json()
        assert (found["query"], [m["citizen"] for m in found["matches"]]) == (
            member["citizen"],
            [member["citizen"]],
        )
        assert (
            get(client, f"/api/runs/2/citizens/{found['matches'][0]['ref']}", user="carol").json()["citizen"]
            == (member["citizen"])
        )
    missing = post(client, "/api/runs/2/citizens/search", {"citizen_id": "0101011234"}, user="carol")
    assert missing.status_code == 200 and missing.json()["matches"] == []


def test_a_masked_search_answers_a_hit_and_a_miss_of_the_same_birth_date_alike(client):
    number = members(client, "?per_page=1", user="carol")["members"][0]["citizen"]
    miss = number[:7] + ("0000" if number[7:] != "0000" else "0001")
    hit = post(client, "/api/runs/2/citizens/search", {"citizen_id": number})
    missed = post(client, "/api/runs/2/citizens/search", {"citizen_id": miss})
    assert hit.status_code == missed.status_code == 200
    assert hit.json() == missed.json()
    assert hit.json()["query"] == number[:6] + "-xxxx" and hit.json()["matches"]
    assert all(is_masked(m["citizen"]) for m in hit.json()["matches"])


def test_a_citizen_reference_of_another_run_or_of_a_rate_decision_is_not_found(client, stored_runs):
    ref = members(client, "?per_page=1")["members"][0]["ref"]
    assert get(client, f"/api/runs/1/citizens/{ref}", status=404).json() == {
        "detail": f"run 1 has no citizen with reference {ref}"
    }
    with Session(stored_runs) as session:
        rate = session.scalar(
            select(StoredDecision.id).where(StoredDecision.run_id == 2, StoredDecision.citizen_id.is_(None))
        )
    for missing in (rate, 2147483647):
        get(client, f"/api/runs/2/citizens/{missing}", status=404)


def test_the_diff_names_what_changed_between_two_runs(client, stored_runs):
    found = get(client, "/api/diff?first=1&second=2").json()
    with Session(stored_runs) as session:
        stored = diffs.compare(session, results.get_run(session, 1), results.get_run(session, 2))
        expected = diffs.changes(session, stored)
    assert found["total"] == len(expected)
    assert [(c["decision"], c["before"], c["after"]) for c in found["changes"]] == [
        (c.decision, c.before, c.after) for c in expected
    ]
    assert (
        found["runs"]["notes"][0]
        == "run 1 is as of 2018-03-02, run 2 as of 2019-08-31: decisions may change with the date alone"
    )
    (place,) = found["summary"]["municipalities"]
    assert [r["rate"] for r in place["rates"]] == [3] and len(place["months"]) > 12  # rate 2: 10 unvisitated
    assert get(client, "/api/diff?first=2&second=2").json()["total"] == 0
    assert (
        get(client, "/api/diff?first=1&second=2&page=2&per_page=1").json()["changes"] == found["changes"][1:2]
    )


def test_a_failed_run_cannot_be_replayed_and_an_unchecked_run_says_so(client):
    response = client.post("/api/runs/3/verification", headers=bearer(TOKENS["alice"]))
    assert response.status_code == 409
    assert response.json() == {"detail": "run 3 is failed: only a finished run can be replayed"}
    assert get(client, "/api/runs/3/verification", status=404).json() == {
        "detail": "run 3 has not been checked yet: POST to start a replay"
    }
    locked = client.post("/api/runs/2/verification", headers=bearer(TOKENS["petra"]))
    assert locked.status_code == 403


def test_exports_give_every_decision_with_its_trace_cpr_masked_by_default(client):
    lines = get(client, "/api/runs/1/export").text.splitlines()
    documents = [json.loads(line) for line in lines]
    assert len(documents) == 2748 and {d["run"] for d in documents} == {1}
    citizens = [d for d in documents if d["decision"] == "fsm1.status"]
    assert len(citizens) == 1220 and all(is_masked(d["subject"]) for d in citizens)
    response = get(client, "/api/runs/1/export?format=csv-trace&sep=comma&show_cpr=true", user="carol")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="run-1.rules.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))
    assert {r["regel"] for r in rows} >= {"fsm1.five_years_on_support", "fsm1.rate3.month_qualifies"}
    assert not any(r["borger"].endswith("xxxx") for r in rows)
    decisions = client.get(
        "/api/runs/1/export?format=csv", headers={**bearer(TOKENS["alice"]), "Accept-Language": "en"}
    )
    assert decisions.headers["content-disposition"] == 'attachment; filename="run-1.csv"'
    rows = list(csv.DictReader(io.StringIO(decisions.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2748 and all(is_masked(r["citizen"]) for r in rows if r["decision"] == "fsm1.status")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/runs/0", 422),
        ("/api/runs/abc", 422),
        ("/api/runs/99999999999", 422),
        ("/api/runs/99", 404),
        ("/api/runs/2/municipalities/85", 422),
        ("/api/runs/2/municipalities/999", 404),
        ("/api/runs/2/municipalities/999/members", 404),
        ("/api/runs/2/municipalities/851/members?page=0", 422),
        ("/api/runs/2/municipalities/851/members?per_page=501", 422),
        ("/api/runs/2/municipalities/851/members?status=DROP%20TABLE", 422),
        ("/api/runs/2/municipalities/851/members?blocks_rate2=maybe", 422),
        ("/api/runs/2/citizens/0", 422),
        ("/api/diff?first=1", 422),
        ("/api/diff?first=1&second=x", 422),
        ("/api/diff?first=1&second=99", 404),
        ("/api/runs/2/verification?limit=0", 422),
        ("/api/runs/2/verification?limit=101", 422),
        ("/api/runs/99/verification", 404),
        ("/api/runs/2/export?format=xml", 422),
        ("/api/runs/99/export", 404),
        ("/api/nothing", 404),
    ],
)
def test_bad_input_gets_a_clear_4xx_never_a_500(client, url, status):
    response = get(client, url, status=status)
    detail = response.json()["detail"]
    assert detail and (status != 422 or detail[0]["loc"])


def test_a_bad_search_body_gets_422_that_never_echoes_what_was_sent(client):
    for body in (
        {},
        {"citizen_id": ""},
        {"citizen_id": "a b"},
        {"citizen_id": "x" * 65},
        {"citizen_id": "010203-1234 "},
    ):
        response = post(client, "/api/runs/2/citizens/search", body)
        assert response.status_code == 422, body
        assert "1234" not in response.text and "xxxxxxxx" not in response.text
        assert all("input" not in e for e in response.json()["detail"])
