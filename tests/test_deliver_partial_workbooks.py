"""A caseworker list appears under its name only when it is whole: it is written under a hidden partial name and
renamed (`hedui.deliver.workbook.partial_path`), so a night killed while writing the lists, or a full disk, never
leaves a half-written list where a caseworker would take it."""

import os
import subprocess
import sys

import duckdb
import openpyxl
import pytest

from hedui.deliver import lists, workbook
from tests.conftest import SAMPLES_AS_OF
from tests.sample_warehouse import build_sample_warehouse


def test_a_list_appears_under_its_name_only_once_it_is_whole(tmp_path, monkeypatch):
    path = tmp_path / "某镇_预警核查清单_20261124.xlsx"
    seen_while_writing = []
    write_sheets = workbook._write_sheets

    def watching(wb, *args):
        seen_while_writing.append((path.exists(), sorted(p.name for p in tmp_path.iterdir())))
        write_sheets(wb, *args)

    monkeypatch.setattr(workbook, "_write_sheets", watching)
    workbook.write_list_workbook(path, "某镇", [], [], SAMPLES_AS_OF, "township")
    assert seen_while_writing == [(False, [])]  # xlsxwriter writes the file when it closes the workbook
    assert openpyxl.load_workbook(path).sheetnames == [workbook.LIST_SHEET, workbook.DETAIL_SHEET,
                                                       workbook.SUMMARY_SHEET]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # nothing partial left beside it


def test_a_list_whose_writing_fails_leaves_neither_a_file_under_its_name_nor_a_partial_one(tmp_path, monkeypatch):
    def failing(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(workbook, "write_summary_sheet", failing)
    with pytest.raises(OSError, match="no space left"):
        workbook.write_list_workbook(tmp_path / "某镇_预警核查清单_20261124.xlsx", "某镇", [], [], SAMPLES_AS_OF,
                                     "township")
    assert list(tmp_path.iterdir()) == []


def test_a_partial_list_is_hidden_and_not_an_xlsx_name(tmp_path):
    partial = workbook.partial_path(tmp_path / "某镇_预警核查清单_20261124.xlsx")
    assert partial.parent == tmp_path
    assert partial.name.startswith(".") and not partial.name.endswith(".xlsx")
    assert partial.name.endswith(f"{workbook.PARTIAL_INFIX}{os.getpid()}")


def test_lists_a_killed_night_left_half_written_are_removed_by_the_next_lists_and_a_running_ones_are_not(tmp_path):
    con = duckdb.connect()
    build_sample_warehouse(con)
    out = tmp_path / "lists"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = out / f".甲镇_预警核查清单_20261124.xlsx{workbook.PARTIAL_INFIX}{int(dead.stdout)}"
    running = out / f".乙镇_预警核查清单_20261124.xlsx{workbook.PARTIAL_INFIX}{os.getppid()}"  # alive
    for left in (killed, running):
        left.write_bytes(b"PK half a zip")
    written = lists.write_township_lists(con, out, SAMPLES_AS_OF, workers=1)
    assert not killed.exists()
    assert running.exists()
    assert written and all(p.exists() and p.suffix == ".xlsx" for p in written)
    leftovers = {p.name for p in out.iterdir()} - {p.name for p in written}
    assert leftovers == {running.name}
