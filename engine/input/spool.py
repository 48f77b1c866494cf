"""Rows kept aside in batches between reading a delivery and storing it, on disk, in flat memory.

A delivery is read whole before anything is stored — its checks span files, and only then is it
known which of its citizens changed — yet its million rows are never held in memory together.
A file read by a worker process goes to a spool of its own (`part`), whose batches are then
taken into the whole (`take`), in the order of the delivery's files.
"""

import io
import marshal
import tempfile
from collections.abc import Iterator
from typing import IO, Any

Batch = list[tuple[Any, ...]]
Written = list[tuple[str, int, int]]
"""Batches as a spool's file holds them: (label, offset, size)."""


class Spool:
    """Batches of plain tuples (text, numbers, None), each under a label, read back in order."""

    def __init__(self, *, in_memory: bool = False) -> None:
        self._file: IO[bytes] = io.BytesIO() if in_memory else tempfile.TemporaryFile(prefix="fsm-import-")  # noqa: SIM115 - close() closes it
        self._size = 0
        self._batches: list[tuple[IO[bytes], str, int, int]] = []
        self._files = [self._file]

    def add(self, label: str, batch: Batch) -> None:
        if batch:
            data = marshal.dumps(batch)
            self._file.seek(self._size)  # reading moves it
            self._file.write(data)
            self._batches.append((self._file, label, self._size, len(data)))
            self._size += len(data)

    def part(self) -> "Spool":
        """A spool with a file of its own, closed with this one: made before a worker process is
        forked, added to by that worker, and its batches then taken into this one."""
        part = Spool()
        self._files.append(part._file)
        return part

    def written(self) -> Written:
        """What was added (in a worker, whose parent cannot see it): its batches, written out."""
        self._file.flush()
        return [(label, offset, size) for file, label, offset, size in self._batches if file is self._file]

    def take(self, part: "Spool", written: Written) -> None:
        """Append the batches a worker wrote to `part` (as its `written` said)."""
        self._batches.extend(part._entries(written))

    def read(self, written: Written) -> Iterator[tuple[str, Batch]]:
        """The batches a worker wrote to this spool (as its `written` said)."""
        return _loaded(self._entries(written))

    def batches(self) -> Iterator[tuple[str, Batch]]:
        """Each batch in the order added or taken."""
        return _loaded(self._batches)

    def _entries(self, written: Written) -> list[tuple[IO[bytes], str, int, int]]:
        return [(self._file, label, offset, size) for label, offset, size in written]

    def close(self) -> None:
        for file in self._files:
            file.close()

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _loaded(entries: list[tuple[IO[bytes], str, int, int]]) -> Iterator[tuple[str, Batch]]:
    """The batches (marshal's loads of whole bytes: its load from a file reads in small pieces,
    ten times slower)."""
    for file, label, offset, size in entries:
        file.seek(offset)
        yield label, marshal.loads(file.read(size))
