"""A run's worker processes: they run their garbage collector although they were forked while the
parent had it paused, they keep none of the parent's sockets or run-lock files open, and one forked
at any moment ends by SIGTERM as a worker does."""

import gc
import multiprocessing
import multiprocessing.pool
import os
import signal
import socket
import stat
import threading
import time
from contextlib import suppress
from pathlib import Path

import pytest
from sqlalchemy import Engine

from engine import workers
from engine.runs.run import Terminated, _stopped_by_sigterm, run_lock
from models.database import make_engine


def _collector_runs(_: object) -> bool:
    return gc.isenabled()


def _is_socket(fd: int) -> bool:
    try:
        return stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False


def test_workers_run_their_collector_though_forked_while_it_was_paused():
    gc.disable()
    try:
        with workers.pool(2, lambda: None) as processes:
            assert list(processes.imap(_collector_runs, range(4))) == [True] * 4
    finally:
        gc.enable()


def test_workers_close_their_copies_of_the_parents_sockets_and_the_parent_keeps_them():
    left, right = socket.socketpair()
    try:
        with workers.pool(2, lambda: None) as processes:
            assert list(processes.imap(_is_socket, [left.fileno()] * 2)) == [False, False]
        left.sendall(b"still open")
        assert right.recv(16) == b"still open"
    finally:
        left.close()
        right.close()


def _lock_files(_: object) -> list[str]:
    folder = Path("/proc/self/fd")
    found = []
    for fd in os.listdir(folder):
        with suppress(OSError):  # the listing's own descriptor
            found.append(os.readlink(folder / fd))
    return [name for name in found if name.endswith(".run-lock")]


def test_a_forked_worker_holds_no_copy_of_the_run_lock(tmp_path: Path):
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'fsm.sqlite'}")
    with run_lock(engine):
        assert len(_lock_files(None)) == 1
        with workers.pool(2, lambda: None) as processes:
            assert list(processes.imap(_lock_files, range(2))) == [[], []]


def test_a_worker_forked_while_the_run_handles_sigterm_ends_by_it_quietly():
    """A pool forks a worker at any moment (one that died is replaced): SIGTERM reaching it before it
    sets its own handler ends it as the default would, not by the run's Terminated."""
    with _stopped_by_sigterm():
        child = os.fork()
        if child == 0:
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            finally:
                os._exit(3)  # reached only when the signal raised instead of ending the process
        _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM


class _SignalledWhileMade(multiprocessing.pool.Pool):
    """A pool that gets SIGTERM once its workers are forked, before it is fully made."""

    def _repopulate_pool(self) -> None:
        super()._repopulate_pool()
        if not hasattr(self, "_worker_handler"):  # in the making, not replacing a worker
            os.kill(os.getpid(), signal.SIGTERM)


class _SignalledWhileEnded(multiprocessing.pool.Pool):
    """A pool that gets SIGTERM as it begins to end."""

    def terminate(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        super().terminate()


def _pool_threads() -> list[threading.Thread]:
    """A pool's handler threads (named after their functions: `_handle_workers`, …) still alive."""
    return [t for t in threading.enumerate() if "(_handle_" in t.name]


@pytest.mark.parametrize("pool_class", [_SignalledWhileMade, _SignalledWhileEnded], ids=["made", "ended"])
def test_sigterm_while_a_pool_is_made_or_ended_takes_effect_once_it_is_whole(
    monkeypatch: pytest.MonkeyPatch, pool_class: type[multiprocessing.pool.Pool]
):
    """Cut short, a pool would keep a thread that forks new workers as the process exits."""
    monkeypatch.setattr(multiprocessing.pool, "Pool", pool_class)
    with pytest.raises(Terminated), _stopped_by_sigterm(), workers.pool(2, lambda: None) as processes:
        assert list(processes.imap(abs, [-1, -2])) == [1, 2]
    assert multiprocessing.active_children() == []
    assert _pool_threads() == []


def _a_chunk(done: Path) -> None:
    time.sleep(5)
    done.touch()


def test_sigterm_taken_by_another_thread_stops_the_wait_for_a_worker_at_once(tmp_path: Path):
    """The kernel hands a signal to any thread that does not block it; the main thread, which
    alone runs the handler, must not sleep through it until a chunk is done."""
    done = tmp_path / "done"
    with pytest.raises(Terminated), _stopped_by_sigterm(), workers.pool(2, lambda: None) as processes:
        results = processes.imap(_a_chunk, [done])
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()  # that thread takes it:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # the main thread never does
        try:
            next(results)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    assert not done.exists()


def _blocked(_: object) -> set[int]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, [])) & set(workers.HELD)


def test_a_worker_begins_with_sigterm_blocked_and_unblocks_it_once_its_handlers_are_set():
    """A signal that reaches a worker before its own handlers waits for them: it would otherwise
    meet the parent's, whose pending signals a fork forgets, and the worker would live on."""
    with workers._whole():
        child = os.fork()
        if child == 0:
            os._exit(0 if _blocked(None) == set(workers.HELD) else 1)
    _, status = os.waitpid(child, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    with workers.pool(2, lambda: None) as processes:
        assert list(processes.imap(_blocked, range(2))) == [set(), set()]
    assert _blocked(None) == set()
