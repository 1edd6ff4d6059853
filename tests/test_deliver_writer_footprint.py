"""What writing a caseworker workbook costs a writer process beyond its cells: the modules its fork server imports,
and the garbage collector, which is paused while a workbook is built (`workbook.cyclic_gc_paused`)."""

import datetime as dt
import gc
import subprocess
import sys

import pytest

from hedui.deliver import lists, workbook
from hedui.deliver.workbook import CHECKED_HEADERS, LIST_ROW

_DATES = ("首次预警日期", "核查截止日期")


def _rows(count: int, records: int) -> list[tuple]:
    rows = []
    for n in range(count):
        cells = [dt.date(2026, 11, 3) if header in _DATES else ("高" if header == "严重程度" else f"{header}{n}")
                 for header in CHECKED_HEADERS]
        entries = [f"记录 {n}-{k}：自付 {k * 100} 元" for k in range(records)]
        rows.append(tuple(cells + [1, entries, [1] * records]))
    assert len(rows[0]) == len(LIST_ROW)
    return rows


def test_a_written_workbook_leaves_no_cycles_behind_and_the_collector_on(tmp_path):
    rows = _rows(300, 3)
    gc.collect()
    workbook.write_list_workbook(tmp_path / "unit.xlsx", "某镇", rows, [], dt.date(2026, 11, 21), "township")
    assert gc.isenabled()
    # the workbook and its sheets hold each other and every cell: freed when the workbook is done, not left for
    # a later full collection (a writer writes one unit after another)
    assert gc.collect() < 50


def test_the_collector_is_on_again_when_writing_a_workbook_fails(tmp_path, monkeypatch):
    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(workbook, "_write_sheets", broken)
    with pytest.raises(OSError, match="disk full"):
        workbook.write_list_workbook(tmp_path / "unit.xlsx", "某镇", _rows(3, 1), [], dt.date(2026, 11, 21),
                                     "township")
    assert gc.isenabled()
    assert not list(tmp_path.iterdir())


def test_the_list_writers_fork_server_imports_the_workbook_writer_and_nothing_of_the_night():
    imported = subprocess.run(
        [sys.executable, "-c",
         "import importlib, sys\n"
         f"for name in {lists.WRITER_MODULES!r}: importlib.import_module(name)\n"
         "print(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert "xlsxwriter" in imported
    for heavy in ("duckdb", "openpyxl", "jinja2", "pandas", "hedui.deliver.report", "hedui.deliver.lists",
                  "hedui.rules"):
        assert heavy not in imported, heavy
