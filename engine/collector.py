"""Pausing Python's cyclic garbage collector around work that makes many small acyclic objects."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: building half a million small acyclic records
    would set it off thousands of times, each pass slower than the last, for nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
