"""SHA-256 of landing files, remembered by the file's identity, so that a night does not hash again the year of
deliveries it already hashed.

Every night checks every delivery on the landing zone against what is loaded (by checksum). At prefecture scale
the landing zone holds a year of weekly medical deliveries, 4 GB; hashing it all again was 4 s of a 70 s quiet
night, for files nobody touched. A digest is kept per file (device and inode, whatever path reaches it) and
reused only while the size, modification time and change time (ctime, in nanoseconds) are as they were when it
was hashed. Writing to a file changes its mtime and ctime; replacing it gives a new inode; and ctime cannot be set
back by the sender (`touch` and `rsync --times` set mtime only). This is the test git uses for its index. A file
that changed while it was being hashed is not remembered.

The digests live in `ledger.file_digests` of the run's working copy, so they are published with the run or not
at all.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from connectors import encoding


def _identity(path: Path) -> tuple[tuple[int, int], tuple[int, int, int]]:
    """(device, inode): which file; (size, mtime_ns, ctime_ns): whether it is as it was."""
    st = os.stat(path)
    return (st.st_dev, st.st_ino), (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class FileDigests:
    """The digests known to the warehouse, plus those computed during this run (saved by `save`)."""

    def __init__(self, known: dict[tuple[int, int], tuple[tuple[int, int, int], str, str]] | None = None) -> None:
        self._known = known or {}
        self._new: dict[tuple[int, int], tuple[tuple[int, int, int], str, str]] = {}

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> "FileDigests":
        rows = con.execute(
            "select device, inode, size, mtime_ns, ctime_ns, sha256, path from ledger.file_digests"
        ).fetchall()
        return cls({(device, inode): ((size, mtime, ctime), digest, path)
                    for device, inode, size, mtime, ctime, digest, path in rows})

    def sha256(self, path: Path) -> str:
        file, state = _identity(path)
        known = self._new.get(file) or self._known.get(file)
        if known is not None and known[0] == state:
            return known[1]
        digest = encoding.sha256_of(path)
        if _identity(path) == (file, state):
            self._new[file] = (state, digest, os.path.abspath(path))
        return digest

    def save(self, con: duckdb.DuckDBPyConnection) -> None:
        if not self._new:
            return
        con.executemany(
            "insert or replace into ledger.file_digests (device, inode, size, mtime_ns, ctime_ns, sha256, path) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [(*file, *state, digest, path) for file, (state, digest, path) in sorted(self._new.items())],
        )
        self._known.update(self._new)
        self._new.clear()
