"""Landing-zone abuse: folders that are not dates, dates in the future, symbolic links out of the landing zone
or in loops, names that try `..`, and files that appear or vanish while a run reads the delivery."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from connectors import SOURCES, delivery_reader
from hedui import stages
from hedui.night import run_night
from hedui.run_info import RunInfo
from hedui.warehouse import migrate
from tests.conftest import SAMPLES_AS_OF, write_csv
from tests.hostile_support import DEATH_HEADER, assert_accounting

ROW_A = ["430482196508022424", "李秀英", "2026-10-30", ""]
ROW_B = ["430482195007077158", "张伟", "2026-10-15", ""]


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    migrate(con)
    yield con
    con.close()


def ingest(con, landing: Path, tmp_path: Path, run_id: str = "run", as_of: dt.date = SAMPLES_AS_OF):
    outcome = stages.ingest(con, landing, "death", RunInfo(run_id, as_of), tmp_dir=tmp_path / "scratch",
                            results_dir=None)
    assert_accounting(con)
    return outcome


def ledger(con, run_id: str = "run") -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "select delivery_id, status, reason, rows_read from ledger.deliveries where run_id = ?", [run_id]).fetchall()}


def death(landing: Path, folder: str, rows, name: str = "death.csv") -> Path:
    return write_csv(landing / "death" / folder / name, DEATH_HEADER, rows, encoding="gb18030")


@pytest.mark.parametrize("folder", ["2026-11-03", "20261332", "20250229", "2026110", "202611030", "abc",
                                    "２０２６１１０３", "20261103 ", "20261103.bak"])
def test_a_folder_that_is_not_a_real_date_is_ignored_with_a_reason(con, tmp_path, folder):
    landing = tmp_path / "landing"
    death(landing, folder, [ROW_A])
    ingest(con, landing, tmp_path)
    status, reason, _ = ledger(con)[f"death/{folder}"]
    assert status == "ignored" and "not a delivery date" in reason
    assert con.execute("select count(*) from staged.death").fetchall()[0][0] == 0


def test_a_delivery_dated_after_the_as_of_date_is_not_read(con, tmp_path):
    landing = tmp_path / "landing"
    death(landing, "20261103", [ROW_A])
    death(landing, "20261104", [ROW_B])
    death(landing, "29991231", [ROW_B])
    ingest(con, landing, tmp_path)
    entries = ledger(con)
    assert entries["death/20261104"][0] == entries["death/29991231"][0] == "future"
    assert "after the as-of date" in entries["death/29991231"][1]
    assert [r[0] for r in con.execute("select id_norm from staged.death").fetchall()] == [ROW_A[0]]


def test_a_delivery_folder_that_is_a_link_out_of_the_landing_zone_is_refused(con, tmp_path):
    outside = tmp_path / "outside" / "20261103"
    death(tmp_path / "outside_landing", "20261103", [ROW_B])
    outside.parent.mkdir()
    os.symlink(tmp_path / "outside_landing" / "death" / "20261103", outside)
    landing = tmp_path / "landing"
    (landing / "death").mkdir(parents=True)
    os.symlink(outside, landing / "death" / "20261103")
    ingest(con, landing, tmp_path)
    status, reason, _ = ledger(con)["death/20261103"]
    assert status == "rejected" and "leading out of the landing zone" in reason
    assert con.execute("select count(*) from staged.death_events").fetchall()[0][0] == 0


def test_a_file_that_links_out_of_the_landing_zone_is_not_read_and_the_ledger_names_it(con, tmp_path):
    secret = tmp_path / "secret.csv"
    write_csv(secret, DEATH_HEADER, [ROW_B])
    landing = tmp_path / "landing"
    death(landing, "20261103", [ROW_A])
    os.symlink(secret, landing / "death" / "20261103" / "other.csv")
    os.symlink("/etc/passwd", landing / "death" / "20261103" / "passwd.csv")
    ingest(con, landing, tmp_path)
    status, reason, rows_read = ledger(con)["death/20261103"]
    assert (status, rows_read) == ("loaded", 1)
    # named by their position in the folder (death.csv, other.csv, passwd.csv), never by name
    assert "folder entry 2 (.csv): symbolic link leading out of the landing zone" in reason
    assert "folder entry 3 (.csv): symbolic link leading out of the landing zone" in reason
    assert "other.csv" not in reason and "passwd" not in reason
    assert [r[0] for r in con.execute("select id_norm from staged.death").fetchall()] == [ROW_A[0]]


def test_symbolic_link_loops_and_dangling_links_are_refused_not_crashed(con, tmp_path):
    landing = tmp_path / "landing"
    death(landing, "20261103", [ROW_A])
    source = landing / "death"
    os.symlink("20261105", source / "20261104")
    os.symlink("20261104", source / "20261105")  # a loop of two folders
    os.symlink("nowhere", source / "20261102")  # dangling
    os.symlink("self.csv", source / "20261103" / "self.csv")  # a file linking to itself
    ingest(con, landing, tmp_path, as_of=dt.date(2026, 11, 5))
    entries = ledger(con)
    assert entries["death/20261104"][:2] == ("rejected", "symbolic link loop: it leads nowhere")
    assert entries["death/20261102"][:2] == ("rejected", "dangling symbolic link: its target does not exist")
    assert entries["death/20261103"][0] == "loaded" and "folder entry 2 (.csv): symbolic link loop" in entries["death/20261103"][1]


def test_names_that_try_dot_dot_never_read_outside_their_folder(con, tmp_path):
    landing = tmp_path / "landing"
    death(landing, "20261103", [ROW_A])
    death(landing, "..20261103", [ROW_B])  # a dot folder: work in progress, skipped
    death(landing, "20261103", [ROW_B], name="..csv")  # a hidden file
    death(tmp_path, "x", [ROW_B])  # tmp_path/death/x/death.csv, beside the landing zone
    os.symlink("../../death/x", landing / "death" / "20261101")  # a relative link climbing out
    os.symlink("../20261103/death.csv", landing / "death" / "20261103" / "again.csv")  # climbs, stays inside
    ingest(con, landing, tmp_path)
    entries = ledger(con)
    assert "death/..20261103" not in entries
    assert entries["death/20261101"][:2] == ("rejected", "symbolic link leading out of the landing zone")
    ids = [r[0] for r in con.execute("select id_norm from staged.death").fetchall()]
    assert ids == [ROW_A[0]]  # again.csv is ROW_A again (the same event once); ROW_B never read


def test_a_delivery_whose_only_file_is_a_refused_link_says_why(con, tmp_path):
    landing = tmp_path / "landing"
    (landing / "death" / "20261103").mkdir(parents=True)
    os.symlink("/etc/passwd", landing / "death" / "20261103" / "death.csv")
    ingest(con, landing, tmp_path)
    status, reason, _ = ledger(con)["death/20261103"]
    assert status == "rejected" and "symbolic link" in reason


def test_an_unchanged_snapshot_delivery_keeps_the_row_count_identity(sample_landing, first_night):
    """An unchanged delivery is not read again, so its row on the second night has no counts (NULL, as the
    ledger documents); the identity holds for the run that did read it, and the picture in force still holds
    exactly the rows that run loaded."""
    warehouse = first_night
    run_night(sample_landing, warehouse, SAMPLES_AS_OF + dt.timedelta(days=1), deliver=False)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        night2 = con.execute("select run_id from ledger.runs where as_of = ?",
                             [SAMPLES_AS_OF + dt.timedelta(days=1)]).fetchone()[0]
        unchanged = con.execute(
            "select source, delivery_id, checksum, rows_read, rows_loaded, rows_quarantined, rows_set_aside "
            "from ledger.deliveries where run_id = ? and status = 'unchanged' and kind = 'snapshot' order by 1",
            [night2]).fetchall()
        assert {row[0] for row in unchanged} == {name for name, s in SOURCES.items() if s.kind == "snapshot"}
        for source, delivery_id, checksum, *counts in unchanged:
            assert counts == [None, None, None, None], delivery_id  # this run read none of its rows
            read, loaded, quarantined, set_aside = con.execute(
                "select rows_read, rows_loaded, rows_quarantined, rows_set_aside from ledger.deliveries "
                "where delivery_id = ? and checksum = ? and status = 'loaded'", [delivery_id, checksum]).fetchone()
            assert read > 0 and read == loaded + quarantined + set_aside, delivery_id
            in_force = con.execute("select rows_in_force from ledger.run_sources where run_id = ? and source = ?",
                                   [night2, source]).fetchone()[0]
            staged = con.execute(f"select count(*) from staged.{source}").fetchone()[0]
            assert in_force == staged == loaded, delivery_id
    finally:
        con.close()


# --- files changing while the run reads ---------------------------------------------------------------

def test_a_file_added_to_a_delivery_while_it_is_read_is_never_half_counted(con, tmp_path, monkeypatch):
    """Discovery lists a.csv; while a.csv is being read, b.csv lands in the same folder. This run reads the
    delivery as it was listed (b.csv is neither read nor counted); the next run sees a new checksum and reads
    the whole delivery again, replacing the first version: the result equals one clean read of both files."""
    landing = tmp_path / "landing"
    death(landing, "20261103", [ROW_A], name="a.csv")
    real_read = delivery_reader.file_reader.read_file
    added = []

    def read_then_a_file_appears(con_, path, *args, **kwargs):
        if not added:
            death(landing, "20261103", [ROW_B], name="b.csv")
            added.append(path.name)
        return real_read(con_, path, *args, **kwargs)

    monkeypatch.setattr(delivery_reader.file_reader, "read_file", read_then_a_file_appears)
    ingest(con, landing, tmp_path, "run-1")
    monkeypatch.setattr(delivery_reader.file_reader, "read_file", real_read)
    assert added == ["a.csv"]
    status, _, rows_read = ledger(con, "run-1")["death/20261103"]
    assert (status, rows_read) == ("loaded", 1)
    assert con.execute("select count(*) from staged.death_events").fetchall()[0][0] == 1
    ingest(con, landing, tmp_path, "run-2")
    status, reason, rows_read = ledger(con, "run-2")["death/20261103"]
    assert (status, rows_read) == ("loaded", 2) and "corrected resend" in reason
    after = con.execute("select id_norm, file from staged.death order by 1").fetchall()

    clean = duckdb.connect()
    migrate(clean)
    stages.ingest(clean, landing, "death", RunInfo("clean", SAMPLES_AS_OF), tmp_dir=tmp_path / "s2", results_dir=None)
    assert clean.execute("select id_norm, file from staged.death order by 1").fetchall() == after
    assert con.execute("select count(*) from staged.death_events").fetchall()[0][0] == 2  # no row counted twice


@pytest.mark.parametrize("grow_on_scan", [1, 2])
def test_a_file_growing_while_it_is_read_ends_read_whole_and_once(con, tmp_path, monkeypatch, grow_on_scan):
    """A sender still appending. Pass 1 is the checksum taken to compare with what was loaded before
    (`sha256_of`), pass 2 the reader's own scan (checksum and encoding), after which DuckDB reads the file.
    Growing after either: this run's ledger counts what was read, and by the next night the delivery has been
    read whole, once."""
    landing = tmp_path / "landing"
    path = death(landing, "20261103", [ROW_A])
    encoding = delivery_reader.file_reader.encoding
    real = {"scan": encoding.scan, "sha256_of": encoding.sha256_of}
    passes = []

    def then_grow(name):
        def read_then_grow(p):
            result = real[name](p)
            passes.append((name, p.name))
            if len(passes) == grow_on_scan:
                with open(p, "ab") as handle:
                    handle.write(",".join(ROW_B).encode("gb18030") + b"\n")
            return result
        return read_then_grow

    for name in real:
        monkeypatch.setattr(encoding, name, then_grow(name))
    ingest(con, landing, tmp_path, "run-1")
    assert [name for name, _ in passes] == ["sha256_of", "scan"]  # the two passes this test grows the file after
    for name, function in real.items():
        monkeypatch.setattr(encoding, name, function)
    first = ledger(con, "run-1")["death/20261103"]
    assert first[0] == "loaded"
    assert con.execute("select count(*) from staged.death_events").fetchall()[0][0] == first[2]  # counted as read
    ingest(con, landing, tmp_path, "run-2")
    ingest(con, landing, tmp_path, "run-3")
    assert ledger(con, "run-3")["death/20261103"][0] == "unchanged"  # settled: the checksum is the file's
    ids = sorted(r[0] for r in con.execute("select id_norm from staged.death").fetchall())
    assert ids == sorted([ROW_A[0], ROW_B[0]])
    assert con.execute("select count(*) from staged.death_events").fetchall()[0][0] == 2
    assert path.exists()


def test_a_file_vanishing_between_discovery_and_read_fails_the_source_cleanly_and_the_others_go_on(sample_landing,
                                                                                                    tmp_path,
                                                                                                    monkeypatch):
    import connectors.ingest as ingest_module

    real_discover = ingest_module.discover

    def discover_then_vanish(landing, source, as_of):
        found = real_discover(landing, source, as_of)
        if source == "death":
            for delivery in found.deliveries:
                for f in delivery.files:
                    f.unlink()
        return found

    monkeypatch.setattr(ingest_module, "discover", discover_then_vanish)
    warehouse = tmp_path / "w.duckdb"
    result = run_night(sample_landing, warehouse, SAMPLES_AS_OF, deliver=False)
    assert result.failed_sources in ([], ["death"])
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        problems = dict(con.execute("select source, problem from ledger.run_sources").fetchall())
        assert problems["death"] in ("failed", "rejected")
        assert all(problems[s] is None for s in ("households", "members", "housing", "medical"))
        reason = con.execute("select reason from ledger.deliveries where source = 'death'").fetchall()[0][0]
        assert "No such file" in reason or "cannot be read" in reason
        assert_accounting(con)
    finally:
        con.close()
