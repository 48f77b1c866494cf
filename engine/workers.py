"""Worker processes — a run's, an import's: forked, so that they inherit the work (set by the parent
before), and bound to their parent's life.

A worker must never outlive its parent, nor keep anything of the parent's alive: killed with
SIGKILL or SIGTERM, the parent takes its workers with it (the kernel sends them SIGKILL when it
dies, PR_SET_PDEATHSIG), and a worker closes its copies of the sockets it inherited at once, so a
PostgreSQL server sees the parent's connections — its run lock and open transaction — end with
the parent, not when the last worker's chunk is done. Workers open connections of their own.

The parent waits for its workers' results in slices of `WAKE` seconds, never in one wait: the
kernel may hand SIGTERM to any of the process's threads (a pool's own, a progress bar's), and only
the main thread runs the handler, when it runs; waiting in one piece, it would stop only once a
chunk is done, a minute later.

A pool is made and ended whole: SIGTERM or Ctrl-C arriving meanwhile takes effect just after. Cut
short, a pool is left with its worker handler alive: as the process exits, that thread replaces
the workers being ended with new ones, forked into a run that is over.
"""

import ctypes
import gc
import multiprocessing
import multiprocessing.pool
import os
import signal
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

PR_SET_PDEATHSIG = 1
"""prctl(2): the signal a process gets when its parent dies (Linux)."""

WAKE = 0.2
"""Seconds the parent waits for a result before it looks at the signals that came meanwhile."""

HELD = (signal.SIGTERM, signal.SIGINT)
"""The signals a pool is made and ended without (see `_whole`)."""


class InProcess:
    """The calling process itself, used like a pool of one worker."""

    imap = imap_unordered = staticmethod(map)


class Forked:
    """Forked worker processes, used through `imap` and `imap_unordered` alone (see the module
    docstring)."""

    def __init__(self, pool: multiprocessing.pool.Pool) -> None:
        self._pool = pool

    def imap(self, function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """`function` of every item, in order, the work handed out at once."""
        return _awake(self._pool.imap(function, items))

    def imap_unordered(self, function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """`function` of every item, as each is done."""
        return _awake(self._pool.imap_unordered(function, items))


def _awake(results: multiprocessing.pool.IMapIterator) -> Iterator[Any]:
    """The results, each waited for in slices of `WAKE` seconds."""
    while True:
        try:
            yield results.next(timeout=WAKE)
        except multiprocessing.TimeoutError:
            continue
        except StopIteration:
            return


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies, however it dies (kill -9 included)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None and prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


@contextmanager
def _whole() -> Iterator[None]:
    """SIGTERM and SIGINT arriving within the block take effect once it is done (see the module
    docstring): the handlers hold them meanwhile, and the main thread blocks them, so that the
    processes and threads it starts begin with them blocked too — a worker gets a signal sent to it
    once it has set its own handlers (`_start`), never before. Only the main thread handles
    signals: elsewhere, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []

    def hold(signum: int, frame: object) -> None:
        arrived.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in HELD}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # one still pending reaches its handler here
        for signum in dict.fromkeys(arrived):
            signal.raise_signal(signum)


def _close_inherited_sockets() -> None:
    """Close this process's copies of the sockets it inherited: the parent's database connections,
    which a worker never uses. Only the copies: the parent's connections stay open. (The pool's
    own channels are pipes, not sockets.)"""
    if not os.path.isdir("/proc/self/fd"):
        return
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
        except OSError:
            pass  # the descriptor of the listing itself, closed by now


def _start(parent: int, start: Callable[[], None]) -> None:
    """A new worker: it ends with its parent; SIGTERM ends it at once (the parent's handler, which
    marks the run failed, is the parent's alone) and Ctrl-C is for the parent to handle, both
    unblocked only once those handlers are set (one sent before waits, pending, till then); its
    garbage collector runs (it was forked while the parent had it paused), never looking at the
    objects it inherited (frozen: their pages stay shared with the parent); then `start`."""
    _die_with_parent(parent)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)
    _close_inherited_sockets()
    start()
    gc.freeze()
    gc.enable()


@contextmanager
def pool(workers: int, start: Callable[[], None]) -> Iterator[InProcess | Forked]:
    """`workers` forked processes (each runs `start` first), or the calling process for one."""
    if workers < 2:
        yield InProcess()
        return
    context = multiprocessing.get_context("fork")
    forked = None
    try:
        with _whole():
            forked = context.Pool(workers, initializer=_start, initargs=(os.getpid(), start))
        yield Forked(forked)
    finally:
        if forked is not None:
            with _whole():
                forked.terminate()
