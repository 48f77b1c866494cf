"""The web UI at national scale (not a test: it prints figures).

Builds once (and reuses) a national database — engine.synthetic.national.write_national (100,000
citizens, 98 municipalities), imported and run as of 2019-07-31 — then starts `fsm serve` on it in a
process of its own and asks each page and API call of the auditors' web five times over loopback,
printing the best and median times (loopback adds well under a millisecond: these are the server's
times) and the response's size — the pages in Danish, and downloads of their tables (Excel, CSV).
The export is streamed to the end (JSON lines, a decision a CSV row, a rule a CSV row): time to the
first byte, the whole, and the server's peak memory before and after (VmHWM). A trivial route
(`/api/me`) is the floor.

    PYTHONPATH=. .venv/bin/python scripts/benchmark_web.py [--database /tmp/fsm-national.sqlite] [--citizens 100000]
"""

import argparse
import os
import re
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx2
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.faces.sessions import create_token
from engine.faces.users import add_user
from engine.input.importing import import_folder
from engine.runs.run import nightly_run
from engine.synthetic.national import write_national
from models.database import make_engine, upgrade
from models.runs import StoredDecision
from tests.web import served

REPEAT = 5


def build(database: Path, citizens: int) -> None:
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with tempfile.TemporaryDirectory() as folder:
        write_national(Path(folder) / "delivery", citizens)
        import_folder(engine, Path(folder) / "delivery", report_dir=Path(folder) / "report")
    nightly_run(engine, as_of=date(2019, 7, 31))
    engine.dispose()


def prepare(database: Path) -> tuple[str, str, int, str]:
    """A token and a user for the benchmark; a municipality, a citizen's reference and CPR number."""
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    name = f"bench-{os.getpid()}"
    with Session(engine) as session, session.begin():
        token = create_token(session, name, "auditor_cpr", timedelta(hours=2))
        add_user(session, name, "auditor_cpr", "Benchmark-Harbour-42")
        ref, citizen, municipality = session.execute(
            select(StoredDecision.id, StoredDecision.citizen_id, StoredDecision.municipality)
            .where(StoredDecision.run_id == 1, StoredDecision.citizen_id.is_not(None))
            .limit(1)
        ).one()
    engine.dispose()
    return token, municipality, ref, citizen


def peak(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) // 1024


def timed(client: httpx2.Client, method: str, url: str, **options: object) -> tuple[float, float, int, int]:
    times, size, status = [], 0, 0
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.request(method, url, **options)
        times.append(time.perf_counter() - started)
        size, status = len(response.content), response.status_code
    return min(times), statistics.median(times), size, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", type=Path, default=Path(tempfile.gettempdir()) / "fsm-national.sqlite")
    parser.add_argument("--citizens", type=int, default=100_000)
    args = parser.parse_args()
    if not args.database.exists():
        started = time.perf_counter()
        build(args.database, args.citizens)
        print(f"built {args.database} ({args.citizens:,} citizens): {time.perf_counter() - started:.0f} s")
    token, municipality, ref, citizen = prepare(args.database)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with served(args.database, searches_per_minute="100000", searches_per_day="100000") as (base, process):
        headers = {"Authorization": f"Bearer {token}"}
        with httpx2.Client(base_url=base, headers=headers, timeout=300) as api:
            browser = httpx2.Client(base_url=base, headers={"Origin": base}, timeout=300)
            login = browser.get("/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
            form = {"username": f"bench-{os.getpid()}", "password": "Benchmark-Harbour-42", "csrf": csrf}
            assert browser.post("/login", data=form).status_code == 303
            api.post("/api/runs/1/verification")
            routes = [
                (browser, "GET", "/", {}),
                (browser, "GET", "/runs/1", {}),
                (browser, "GET", f"/runs/1/municipalities/{municipality}", {}),
                (browser, "GET", f"/runs/1/municipalities/{municipality}?blocks_rate2=true&per_page=500", {}),
                (browser, "GET", f"/runs/1/citizens/{ref}", {}),
                (browser, "GET", "/runs/1/downloads/municipalities.xlsx", {}),
                (browser, "GET", f"/runs/1/municipalities/{municipality}/downloads/members.xlsx", {}),
                (browser, "GET", f"/runs/1/municipalities/{municipality}/downloads/members.csv", {}),
                (browser, "GET", f"/runs/1/citizens/{ref}/downloads/rules.xlsx", {}),
                (api, "GET", "/api/me", {}),
                (api, "GET", "/api/runs", {}),
                (api, "GET", "/api/runs/1", {}),
                (api, "GET", f"/api/runs/1/municipalities/{municipality}", {}),
                (api, "GET", f"/api/runs/1/municipalities/{municipality}/members?per_page=500", {}),
                (api, "GET", f"/api/runs/1/citizens/{ref}", {}),
                (api, "POST", "/api/runs/1/citizens/search", {"json": {"citizen_id": citizen}}),
                (api, "GET", "/api/runs/1/verification", {}),
                (api, "GET", "/openapi.json", {}),
            ]
            floor = timed(api, "GET", "/api/me")[0]
            print(f"{'route':<62} {'best s':>8} {'median s':>9} {'size':>10} {'× floor':>8}")
            for client, method, url, options in routes:
                best, median, size, status = timed(client, method, url, **options)
                print(
                    f"{method} {url:<58} {best:8.3f} {median:9.3f} {size:10,} {best / floor:8.1f}  {status}"
                )
            for fmt in ("jsonl", "csv", "csv-trace"):
                before = peak(process.pid)
                started = time.perf_counter()
                first, size = None, 0
                with api.stream("GET", f"/api/runs/1/export?format={fmt}") as response:
                    for chunk in response.iter_bytes():
                        first = first or time.perf_counter() - started
                        size += len(chunk)
                whole = time.perf_counter() - started
                print(
                    f"export {fmt}: first byte {first:.3f} s, whole {whole:.1f} s, {size / 2**20:,.0f} MiB; "
                    f"server peak memory {before} → {peak(process.pid)} MiB"
                )
            browser.close()


if __name__ == "__main__":
    main()
