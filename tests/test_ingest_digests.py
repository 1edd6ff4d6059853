"""Landing files are hashed once: a digest is reused only while the file keeps its identity (path, device,
inode, size, mtime, ctime), and any write, replacement or change during hashing makes it be hashed again."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import duckdb
import pytest

from connectors import encoding
from connectors.digests import FileDigests
from hedui import stages
from hedui.run_info import RunInfo
from hedui.warehouse import migrate
from tests.conftest import SAMPLES_AS_OF


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """The files actually hashed (by `encoding.sha256_of`), in order."""
    calls: list[str] = []
    real = encoding.sha256_of

    def counting(path):
        calls.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(encoding, "sha256_of", counting)
    return calls


@pytest.fixture
def con():
    connection = duckdb.connect()
    migrate(connection)
    yield connection
    connection.close()


def _reloaded(con, digests: FileDigests) -> FileDigests:
    digests.save(con)
    return FileDigests.load(con)


def test_an_untouched_file_is_not_hashed_again_on_a_later_night(con, tmp_path, hashed):
    path = tmp_path / "medical.csv"
    path.write_bytes(b"a,b\n1,2\n")
    digests = FileDigests.load(con)
    first = digests.sha256(path)
    second = _reloaded(con, digests).sha256(path)
    assert first == second == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert hashed == ["medical.csv"]


def test_a_rewrite_of_the_same_size_with_its_mtime_set_back_is_hashed_again(con, tmp_path, hashed):
    path = tmp_path / "housing.csv"
    path.write_bytes(b"unit,area\nA1,98\n")
    digests = FileDigests.load(con)
    digests.sha256(path)
    stat = path.stat()
    time.sleep(0.01)
    path.write_bytes(b"unit,area\nA1,99\n")  # same size, new content
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # a sender preserving the old mtime
    assert _reloaded(con, digests).sha256(path) == hashlib.sha256(b"unit,area\nA1,99\n").hexdigest()
    assert hashed == ["housing.csv", "housing.csv"]


def test_a_file_replaced_under_the_same_name_is_hashed_again(con, tmp_path, hashed):
    path = tmp_path / "vehicle.csv"
    path.write_bytes(b"plate\nX1\n")
    digests = FileDigests.load(con)
    digests.sha256(path)
    replacement = tmp_path / "vehicle.csv.new"
    replacement.write_bytes(b"plate\nX2\n")
    os.replace(replacement, path)
    assert _reloaded(con, digests).sha256(path) == hashlib.sha256(b"plate\nX2\n").hexdigest()
    assert len(hashed) == 2


def test_a_file_that_changes_while_it_is_hashed_is_not_remembered(con, tmp_path, monkeypatch):
    path = tmp_path / "death.csv"
    path.write_bytes(b"id\n1\n")
    real = encoding.sha256_of

    def hash_then_append(p):
        digest = real(p)
        with open(p, "ab") as handle:
            handle.write(b"2\n")
        return digest

    monkeypatch.setattr(encoding, "sha256_of", hash_then_append)
    digests = FileDigests.load(con)
    digests.sha256(path)
    digests.save(con)
    assert con.execute("select count(*) from ledger.file_digests").fetchall()[0][0] == 0


def test_a_second_night_over_an_unchanged_landing_zone_hashes_nothing(sample_landing, tmp_path, hashed):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    migrate(con)
    for source in ("households", "medical"):
        stages.ingest(con, sample_landing, source, RunInfo("run-1", SAMPLES_AS_OF), tmp_dir=tmp_path / "t1",
                      results_dir=None)
    first_night = len(hashed)
    for source in ("households", "medical"):
        stages.ingest(con, sample_landing, source, RunInfo("run-2", SAMPLES_AS_OF), tmp_dir=tmp_path / "t2",
                      results_dir=None)
    statuses = con.execute(
        "select distinct status from ledger.deliveries where run_id = 'run-2'"
    ).fetchall()
    con.close()
    assert first_night > 0 and len(hashed) == first_night
    assert statuses == [("unchanged",)]


def test_a_hard_link_to_a_hashed_file_reuses_its_digest(con, tmp_path, hashed):
    path = tmp_path / "a" / "members.csv"
    path.parent.mkdir()
    path.write_bytes(b"id\n1\n")
    digests = FileDigests.load(con)
    digests.sha256(path)
    digests.save(con)  # linking changes the file's ctime: the digest must be taken after, as the bench does
    (tmp_path / "b").mkdir()
    os.link(path, tmp_path / "b" / "members.csv")
    digests = FileDigests.load(con)
    digests.sha256(path)
    digests.save(con)
    assert FileDigests.load(con).sha256(tmp_path / "b" / "members.csv") == hashlib.sha256(b"id\n1\n").hexdigest()
    assert hashed == ["members.csv", "members.csv"]  # once, then again after the link changed its ctime
