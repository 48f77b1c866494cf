"""Rows kept aside in batches between reading a delivery and storing it, on disk, in flat memory.

A delivery is read whole before anything is stored — its checks span files, and only then is it
known which of its citizens changed — yet its million rows are never held in memory together.
"""

import io
import marshal
import tempfile
from collections.abc import Iterator
from typing import IO, Any

Batch = list[tuple[Any, ...]]


class Spool:
    """Batches of plain tuples (text, numbers, None), each under a label, read back in order."""

    def __init__(self, *, in_memory: bool = False) -> None:
        self._file: IO[bytes] = io.BytesIO() if in_memory else tempfile.TemporaryFile(prefix="fsm-import-")  # noqa: SIM115 - close() closes it
        self._labels: list[tuple[str, int]] = []

    def add(self, label: str, batch: Batch) -> None:
        if batch:
            data = marshal.dumps(batch)
            self._file.write(data)
            self._labels.append((label, len(data)))

    def batches(self) -> Iterator[tuple[str, Batch]]:
        """Each batch in the order added (marshal's loads of whole bytes: its load from a file
        reads in small pieces, ten times slower)."""
        self._file.seek(0)
        for label, size in self._labels:
            yield label, marshal.loads(self._file.read(size))
        self._file.seek(0, io.SEEK_END)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
