"""The server-rendered pages: what an auditor reads on each, CPR numbers never in URLs and masked
unless the role allows, and bad input answered by an error page (4xx), never a 500."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from models.runs import RunMunicipality
from tests.conftest import WebRuns, add_web_users, store_aalborg_runs
from tests.web import csrf_of, logged_in

CPR_IN_FULL = re.compile(r"\b\d{6}-\d{4}\b")


@pytest.fixture
def alice(web_runs: WebRuns) -> Iterator[TestClient]:
    with logged_in(web_runs.engine, "alice") as client:
        yield client


@pytest.fixture
def carol(web_runs: WebRuns) -> Iterator[TestClient]:
    with logged_in(web_runs.engine, "carol") as client:
        yield client


def html(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_the_runs_page_lists_every_run_and_offers_to_compare_two(alice):
    page = html(alice, "/")
    assert all(f'href="/runs/{n}"' in page for n in (1, 2, 3))
    assert 'action="/diff"' in page and "fejlet" in page
    assert (
        "kørsel 2: Flere skal med 1 pr. 31-08-2019</option>" in page
    )  # the compare form names the programme


def test_the_run_page_is_a_summary_line_per_municipality_linking_to_its_page(alice):
    page = html(alice, "/runs/2")
    assert "3.524.700,00\xa0kr." in page and "4.699.600,00\xa0kr." in page and "udløst 30-06-2018" in page
    assert "10 ikke visiteret pr. 31-08-2019" in page and ">Aalborg (851)</a>" in page
    assert 'href="/runs/2/municipalities/851"' in page and "11.749.000,00\xa0kr." in page
    assert re.search(r"\b\d{6}-(xxxx|\d{4})\b", page) is None  # no citizen on the summary
    assert (
        "<svg" not in page and 'href="/api/runs/2/export?format=csv"' in page and "show_cpr=true" not in page
    )


def test_the_municipality_page_shows_rates_what_blocks_them_and_the_share_chart_against_40_percent(alice):
    page = html(alice, "/runs/2/municipalities/851")
    assert "3.524.700,00\xa0kr." in page and "4.699.600,00\xa0kr." in page and "30-06-2018" in page
    assert "10 ikke visiteret pr. 31-08-2019" in page and 'href="?blocks_rate2=true#members"' in page
    assert "Gruppe 1 – indsatsgruppen: 473; Gruppe 2 – skal på rehab.møde: 293" in page
    assert "<h1>Aalborg (851) <small>Flere skal med 1, kørsel 2, opgjort pr. 31. august 2019" in page
    assert "<td>april 2018</td>" in page and "41,0\xa0%" in page  # the months: Danish months and shares
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert "rate 3: 40\xa0%" in chart and "kørsel 2" in chart and "aug. 2017" in chart
    assert "<?xml" not in page and "<script" not in page
    assert "fsm1.rate3.month_qualifies" in page  # the rate decisions' traces
    assert CPR_IN_FULL.search(page) is None


def test_a_failed_run_cannot_be_verified(alice):
    page = html(alice, "/runs/3")
    assert "Kun en færdig kørsel kan genberegnes" in page and 'action="/runs/3/verification"' not in page


def test_the_members_page_filters_and_pages_with_links_by_reference_not_cpr(alice):
    page = html(alice, "/runs/2/municipalities/851?status=active&group=1&per_page=20")
    assert "473 borgere i målgruppen passer · side 1 af 24" in page
    assert 'href="?status=active&amp;group=1&amp;page=2&amp;per_page=20#members"' in page
    links = re.findall(r'href="(/runs/2/citizens/[^"]+)"', page)
    assert len(links) == 20 and all(re.fullmatch(r"/runs/2/citizens/\d+", link) for link in links)
    assert CPR_IN_FULL.search(page) is None
    blocking = html(alice, "/runs/2/municipalities/851?status=&group=&blocks_rate2=true")
    assert "10 borgere i målgruppen passer" in blocking


def test_the_citizen_page_shows_each_decisions_trace_and_the_timeline(alice, carol):
    members = html(alice, "/runs/2/municipalities/851?group=1&per_page=1")
    link = re.search(r'href="(/runs/2/citizens/\d+)">(\d{6}-xxxx)<', members)
    assert link
    page = html(alice, link.group(1))
    assert f"Borger {link.group(2)}" in page and CPR_IN_FULL.search(page) is None
    for text in (
        "fsm1.membership",
        "fsm1.five_years_on_support",
        "window_first_day",
        "max_break_days",
        "fsm1.status",
    ):
        assert text in page
    assert "STAR har i december 2016 udsøgt digitalt" in page  # a source sentence
    timeline = page[page.index("<svg") : page.index("</svg>")]
    assert all(
        lane in timeline for lane in ("bopæl", "forsørgelse", "indsatser", "visitationer", "kontanthjælp")
    )
    data = page[page.index("<caption>", page.index("</svg>")) :]  # the chart's data as a table
    assert "<td>forsørgelse</td><td>kontanthjælp</td>" in data and re.search(
        r"<td>\d{2}-\d{2}-\d{4}</td>", data
    )
    full = html(carol, link.group(1))
    assert CPR_IN_FULL.search(full) and "xxxx" not in full.split("<main")[1].split("<svg")[0]
    assert CPR_IN_FULL.search(full.split("</title>")[0]) is None  # browser history keeps titles


def test_finding_a_citizen_by_cpr_number_posts_it_and_redirects_to_the_reference(carol):
    page = html(carol, "/runs/2/municipalities/851?per_page=1")
    number = CPR_IN_FULL.search(page).group(0)
    form = {"citizen_id": number, "csrf": csrf_of(page)}
    response = carol.post("/runs/2/citizens", data=form, follow_redirects=False)
    assert response.status_code == 303 and re.fullmatch(r"/runs/2/citizens/\d+", response.headers["location"])
    missing = carol.post(
        "/runs/2/citizens", data={**form, "citizen_id": "010101-1234"}, follow_redirects=False
    )
    assert missing.status_code == 200 and "Ingen borger i kørsel 2 vises som 010101-1234" in missing.text
    assert "<title>Kørsel 2 · søgning" in missing.text
    forged = carol.post("/runs/2/citizens", data={**form, "csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and number not in forged.text


def test_the_diff_page_lists_the_changes_between_two_runs(alice):
    page = html(alice, "/diff?first=1&second=2")
    assert (
        "borgeres afgørelser er ændret" in page
        and "rate 3: ikke udløst (3.524.700,00\xa0kr.) → udløst 30-06-2018" in page
        and "bemærk: kørsel 1 er opgjort pr. 02-03-2018, kørsel 2 pr. 31-08-2019" in page
        and "de seneste dec. 2017 (78 flere); jan. 2018 (63 flere)" in page
    )


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/runs/99", 404, "der er ingen kørsel 99"),
        ("/runs/x", 422, "run_id"),
        ("/runs/2/municipalities/851?page=0", 422, "page"),
        ("/runs/2/municipalities/851?blocks_rate2=maybe", 422, "blocks_rate2"),
        ("/runs/2/municipalities/123", 404, "kørsel 2 har ingen kommune 123"),
        ("/runs/2/citizens/99999999999", 422, "ref"),
        ("/diff?first=1", 422, "second"),
        ("/nowhere", 404, "Her er ingenting."),
    ],
)
def test_bad_input_on_a_page_gets_an_error_page_never_a_500(alice, url, status, says):
    assert says in html(alice, url, status=status)


def test_the_chart_line_is_the_rate3_share_the_run_stored(
    engine: Engine, aalborg_delivery: Path, tmp_path: Path
):
    store_aalborg_runs(engine, aalborg_delivery, tmp_path)
    add_web_users(engine)
    with Session(engine) as session, session.begin():
        row = session.get(RunMunicipality, (2, "851"))
        session.execute(
            update(RunMunicipality)
            .where(RunMunicipality.run_id == 2)
            .values(rate_parameters={**row.rate_parameters, "rate3_share": "0.35"})
        )
    with logged_in(engine, "alice") as client:
        page = html(client, "/runs/2/municipalities/851")
    assert "rate 3: 35\xa0%" in page and "rate 3: 40\xa0%" not in page
