"""The rows of one caseworker unit, kept in a file between the lists' query and the process that writes its workbook.

Handed to a worker process as arguments, a unit's rows stayed in the night's own process until the workbook was
written (a process pool keeps a task's arguments until its result is in), whole units at a time, beside DuckDB's
buffers: on the heavy bench city a township cites 937,338 evidence records, and the night's process reached 6.5 GB
while the lists were written. Spooled, the night's process holds one fetch of rows at a time, and the writer reads
the file a chunk at a time, once for the list sheet and once for the evidence sheet.

The file is the rows pickled in chunks, written and read by the same version of hedui within one night: it is a
hand-over between two processes, not a format anything else reads.
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path

from hedui.deliver.workbook import LIST_ROW

_ENTRIES = LIST_ROW.index("_entries")


class SpooledRows:
    """A unit's rows on disk, in order, with how many there are and how many evidence records they hold (what the
    writer decides on before it writes a cell: `workbook.ListTooLong`, `workbook.CONSTANT_MEMORY_FROM_RECORDS`).

    Iterating reads the file again, a chunk at a time; it can be iterated any number of times. Plain values only, so
    that a worker process can be handed it."""

    def __init__(self, path: Path, rows: int, records: int) -> None:
        self.path = Path(path)
        self.rows = rows
        self.records = records

    def __len__(self) -> int:
        return self.rows

    def __iter__(self) -> Iterator[tuple]:
        with open(self.path, "rb") as file:
            while True:
                try:
                    chunk = pickle.load(file)
                except EOFError:
                    return
                yield from chunk

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def spool_rows(path: Path, rows: Iterable[tuple], chunk_rows: int) -> SpooledRows:
    """Write `rows` (each laid out as `workbook.LIST_ROW`) to `path` in chunks of `chunk_rows`, holding one chunk at
    a time."""
    count = records = 0
    rows = iter(rows)
    with open(path, "wb") as file:
        while chunk := list(itertools.islice(rows, chunk_rows)):
            pickle.dump(chunk, file, protocol=pickle.HIGHEST_PROTOCOL)
            count += len(chunk)
            records += sum(len(row[_ENTRIES]) for row in chunk)
    return SpooledRows(path, count, records)
