"""Running `fsm` as a real process, as an operator would: its exit status and what it printed."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

FSM = Path(sys.executable).parent / "fsm"


@dataclass(frozen=True)
class Ended:
    status: int
    out: str
    err: str

    def one_line_error(self) -> str:
        """The one line a failure prints; fails the test on a traceback or a second line."""
        assert "Traceback" not in self.out + self.err, self.out + self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), self.err
        return lines[0]


def environment(url: str, **more: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "CI": "true", **more}


def start(
    args: Sequence[str], url: str, cwd: Path, *, prepare: Callable[[], None] | None = None
) -> subprocess.Popen[str]:
    """`fsm ARGS` started in its own process (not waited for)."""
    return subprocess.Popen(
        [str(FSM), *args],
        cwd=cwd,
        env=environment(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=prepare,
    )


def finish(process: subprocess.Popen[str], timeout: float = 300) -> Ended:
    out, err = process.communicate(timeout=timeout)
    return Ended(process.returncode, out, err)


def fsm(
    args: Sequence[str], url: str, cwd: Path, *, prepare: Callable[[], None] | None = None, shell: str = ""
) -> Ended:
    """`fsm ARGS` run to its end; with `shell`, the command is run by `sh -c` after those commands
    (e.g. mounts in a namespace of its own)."""
    if not shell:
        return finish(start(args, url, cwd, prepare=prepare))
    command = " ".join(f"'{a}'" for a in (str(FSM), *args))
    ended = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"{shell} && exec {command}"],
        cwd=cwd,
        env=environment(url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Ended(ended.returncode, ended.stdout, ended.stderr)


def needs_mount_namespaces() -> None:
    """Skip the test, saying why, where mount namespaces (`unshare -rm`: a tmpfs, a read-only
    mount of its own) cannot be had."""
    try:
        probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, text=True, timeout=30)
    except OSError as error:
        pytest.skip(f"unshare is not available: {error}")
    if probe.returncode != 0:
        pytest.skip(f"unshare -rm is not permitted: {probe.stderr.strip()}")


def stopped_with_its_workers(
    script: str, args: Sequence[str], url: str, cwd: Path, stop: signal.Signals
) -> Ended:
    """`python -c SCRIPT ARGS` (a script that slows its workers down, then runs fsm) started, sent
    `stop` once it has two workers, and run to its end; fails the test unless the two workers are
    gone by then, and on a traceback."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env={**os.environ, "DATABASE_URL": url},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        eventually(lambda: len(children(process.pid)) >= 2 or process.poll() is not None, 60)
        workers = children(process.pid)
        assert process.poll() is None and len(workers) == 2
        os.kill(process.pid, stop)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    eventually(lambda: not any(alive(w) for w in workers))
    assert "Traceback" not in err
    return Ended(process.returncode, out, err)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def eventually(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.02)
