"""A run's worker processes: forked, so that they inherit the run's work (set by the parent before),
and bound to their parent's life.

A worker must never outlive its parent, nor keep anything of the parent's alive: killed with
SIGKILL or SIGTERM, the parent takes its workers with it (the kernel sends them SIGKILL when it
dies, PR_SET_PDEATHSIG), and a worker closes its copies of the sockets it inherited at once, so a
PostgreSQL server sees the parent's connections — its run lock and open transaction — end with
the parent, not when the last worker's chunk is done. Workers open connections of their own.
"""

import ctypes
import gc
import multiprocessing
import os
import signal
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

PR_SET_PDEATHSIG = 1
"""prctl(2): the signal a process gets when its parent dies (Linux)."""


class InProcess:
    """The calling process itself, used like a pool of one worker."""

    imap = staticmethod(map)


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies, however it dies (kill -9 included)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None and prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


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
    marks the run failed, is the parent's alone) and Ctrl-C is for the parent to handle; its
    garbage collector runs (it was forked while the parent had it paused), never looking at the
    objects it inherited (frozen: their pages stay shared with the parent); then `start`."""
    _die_with_parent(parent)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _close_inherited_sockets()
    start()
    gc.freeze()
    gc.enable()


@contextmanager
def pool(workers: int, start: Callable[[], None]) -> Iterator[Any]:
    """`workers` forked processes (each runs `start` first), or the calling process for one."""
    if workers < 2:
        yield InProcess()
        return
    with multiprocessing.get_context("fork").Pool(
        workers, initializer=_start, initargs=(os.getpid(), start)
    ) as forked:
        yield forked
