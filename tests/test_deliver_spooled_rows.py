"""A unit's rows reach its workbook writer through a file (`hedui.deliver.spooled_rows`), so that the night's own
process holds one fetch of rows at a time, not whole units waiting in the pool."""

import os
import pickle
import subprocess
import sys

import duckdb
import openpyxl
import pytest

from hedui.deliver import lists
from hedui.deliver.spooled_rows import SpooledRows, spool_rows
from hedui.deliver.workbook import LIST_ROW
from tests.conftest import SAMPLES_AS_OF
from tests.sample_warehouse import build_sample_warehouse

_ENTRIES = LIST_ROW.index("_entries")


def _row(number: int, records: int) -> tuple:
    row = [f"W{number}"] + [None] * (len(LIST_ROW) - 1)
    row[_ENTRIES] = [f"记录{number}-{k}" for k in range(records)]
    return tuple(row)


def test_spooled_rows_read_back_the_same_rows_in_order_every_time(tmp_path):
    rows = [_row(n, n % 3) for n in range(7)]
    spooled = spool_rows(tmp_path / "unit.rows", iter(rows), chunk_rows=2)
    assert list(spooled) == rows
    assert list(spooled) == rows  # the list sheet, then the evidence sheet
    assert len(spooled) == 7
    assert spooled.records == sum(n % 3 for n in range(7))


def test_spooling_takes_the_rows_a_chunk_at_a_time_from_a_one_pass_iterator(tmp_path):
    taken = []

    def one_pass():
        for n in range(5):
            taken.append(n)
            yield _row(n, 1)

    spooled = spool_rows(tmp_path / "unit.rows", one_pass(), chunk_rows=2)
    assert taken == [0, 1, 2, 3, 4]
    with open(spooled.path, "rb") as file:
        chunks = []
        while True:
            try:
                chunks.append(pickle.load(file))
            except EOFError:
                break
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]


def test_spooled_rows_survive_being_handed_to_another_process(tmp_path):
    spooled = spool_rows(tmp_path / "unit.rows", [_row(1, 2)], chunk_rows=10)
    handed = pickle.loads(pickle.dumps(spooled))
    assert list(handed) == [_row(1, 2)] and handed.records == 2


def test_each_workbook_is_written_from_a_file_that_is_removed_once_it_is_written(tmp_path, monkeypatch):
    con = duckdb.connect()
    build_sample_warehouse(con)
    spill = tmp_path / "spill"
    con.execute(f"set temp_directory = '{spill}'")
    seen = []
    write = lists.write_list_workbook

    def watching(path, unit, rows, counts, as_of, kind):
        seen.append((unit, type(rows), getattr(rows, "path", None), getattr(rows, "path", tmp_path).exists()))
        if isinstance(rows, SpooledRows):  # caseworkers' rows: the directory is the user's alone
            assert rows.path.parent.stat().st_mode & 0o777 == 0o700
        write(path, unit, rows, counts, as_of, kind)

    monkeypatch.setattr(lists, "write_list_workbook", watching)
    lists.write_township_lists(con, tmp_path / "lists", SAMPLES_AS_OF, workers=1)
    with_rows = [(unit, kind, path, existed) for unit, kind, path, existed in seen if kind is SpooledRows]
    assert with_rows, "no unit's rows went through a file"
    assert all(existed and path.parent.parent == spill for _, _, path, existed in with_rows)
    assert all(kind is list for _, kind, _, _ in seen if kind is not SpooledRows)  # units without warnings
    assert not any(spill.iterdir()), "spooled rows were left behind"


def test_lists_written_in_worker_processes_leave_no_spooled_rows_behind(tmp_path):
    con = duckdb.connect()
    build_sample_warehouse(con)
    spill = tmp_path / "spill"
    con.execute(f"set temp_directory = '{spill}'")
    paths = lists.write_township_lists(con, tmp_path / "lists", SAMPLES_AS_OF, workers=2, parallel_from_rows=0)
    assert paths and all(p.exists() for p in paths)
    assert not any(spill.iterdir())


def _cells(path) -> list[list[tuple]]:
    workbook = openpyxl.load_workbook(path)
    return [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]


@pytest.mark.parametrize("workers", [1, 2])
def test_units_with_more_rows_than_one_fetch_keep_every_row(tmp_path, monkeypatch, workers):
    """The rows are read from the query a fetch at a time while each unit is spooled: a unit spans many fetches
    (here every row is a fetch of its own), and nothing may run on the connection in between."""
    con = duckdb.connect()
    build_sample_warehouse(con)
    whole = lists.write_township_lists(con, tmp_path / "whole", SAMPLES_AS_OF, workers=1)
    monkeypatch.setattr(lists, "_BATCH_ROWS", 1)
    fetched = lists.write_township_lists(con, tmp_path / "fetched", SAMPLES_AS_OF, workers=workers,
                                         parallel_from_rows=0)
    assert [p.name for p in fetched] == [p.name for p in whole]
    assert any(len(_cells(p)[0]) > 2 for p in whole)  # some unit has more than one warning
    for one_fetch, many_fetches in zip(whole, fetched):
        assert _cells(many_fetches) == _cells(one_fetch), one_fetch.name


def test_rows_a_killed_night_spooled_are_removed_by_the_next_lists_and_a_running_ones_are_not(tmp_path):
    con = duckdb.connect()
    build_sample_warehouse(con)
    spill = tmp_path / "spill"
    con.execute(f"set temp_directory = '{spill}'")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = spill / f"hedui-list-rows-{int(dead.stdout)}-abc"
    running = spill / f"hedui-list-rows-{os.getppid()}-def"  # this test's parent: alive
    for left in (killed, running):
        left.mkdir(parents=True)
        (left / "7.rows").write_bytes(b"rows")
    lists.write_township_lists(con, tmp_path / "lists", SAMPLES_AS_OF, workers=1)
    assert not killed.exists()
    assert (running / "7.rows").exists()
