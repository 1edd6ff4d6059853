"""Hostile workbooks: only the first sheet counts, merged and formula cells read as a person sees them, and a
workbook that is not one (a CSV renamed, a corrupt or truncated zip, a decompression or dimension bomb) is
read as what it is or rejected with a reason, after bounded work."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import zipfile

import openpyxl
import pytest
import xlsxwriter

from tests.hostile_support import DEATH_HEADER, ingest_files

ROW_A = ["430482196508022424", "李秀英", "2026-10-30", ""]
ROW_B = ["430482195007077158", "张伟", "2026-10-15", ""]


def workbook(build) -> bytes:
    book = openpyxl.Workbook()
    build(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def simple(book):
    sheet = book.active
    sheet.append(DEATH_HEADER)
    sheet.append(ROW_A)


def loaded_ids(result) -> list[str]:
    return sorted(r["id_norm"] for r in result.staged)


def test_only_the_first_sheet_of_several_counts():
    def build(book):
        simple(book)
        other = book.create_sheet("汇总")
        other.append(DEATH_HEADER)
        other.append(ROW_B)

    result = ingest_files({"d.xlsx": workbook(build)})
    assert result.delivery["status"] == "loaded"
    assert loaded_ids(result) == [ROW_A[0]]


def test_an_empty_first_sheet_rejects_the_delivery_even_when_a_later_sheet_has_the_data():
    def build(book):
        book.active.title = "封面"
        data = book.create_sheet("数据")
        data.append(DEATH_HEADER)
        data.append(ROW_A)

    result = ingest_files({"d.xlsx": workbook(build)})
    assert result.delivery["status"] == "rejected"
    assert "no header row" in result.delivery["reason"] or "empty" in result.delivery["reason"]


def test_merged_title_and_header_cells_read_as_shown():
    def build(book):
        sheet = book.active
        sheet.append(["常宁市户籍注销(死亡)名单"])
        sheet.merge_cells("A1:E1")
        sheet.append(["公民身份号码", "姓名", "死亡日期", "注销日期", None])
        sheet.merge_cells("D2:E2")  # a header cell merged across two columns
        sheet.append(ROW_A + ["备注"])
        sheet.append(ROW_B)

    result = ingest_files({"d.xlsx": workbook(build)})
    d = result.delivery
    assert (d["status"], d["rows_read"], d["rows_loaded"]) == ("loaded", 2, 2)
    assert [r["row_number"] for r in result.staged] == [1, 2]  # title and header rows do not count


def test_formula_cells_read_their_cached_value_and_a_formula_without_one_is_quarantined_with_a_reason():
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, DEATH_HEADER)
    sheet.write_string(1, 0, ROW_A[0])
    sheet.write_string(1, 1, ROW_A[1])
    sheet.write_formula(1, 2, '=TEXT(DATE(2026,10,30),"yyyy-mm-dd")', None, "2026-10-30")  # cached value
    sheet.write_string(2, 0, ROW_B[0])
    sheet.write_string(2, 1, ROW_B[1])
    sheet.write_formula(2, 2, '=TEXT(DATE(2026,10,15),"yyyy-mm-dd")', None, "")  # never calculated
    book.close()
    result = ingest_files({"d.xlsx": buffer.getvalue()})
    d = result.delivery
    assert (d["status"], d["rows_read"], d["rows_loaded"], d["rows_quarantined"]) == ("loaded", 2, 1, 1)
    assert [r["died_on"].isoformat() for r in result.staged] == ["2026-10-30"]
    (q,) = result.quarantine
    assert q["row_number"] == 2 and "死亡日期" in q["reason"] and "missing" in q["reason"]


def test_openpyxl_formulas_without_cached_values_never_load_the_formula_text():
    def build(book):
        sheet = book.active
        sheet.append(DEATH_HEADER)
        sheet.append([ROW_A[0], ROW_A[1], "=DATE(2026,10,30)", ""])

    result = ingest_files({"d.xlsx": workbook(build)})
    assert result.delivery["rows_quarantined"] == 1 and result.staged == []
    assert "死亡日期" in result.quarantine[0]["reason"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_csv_renamed_to_xlsx_is_read_as_csv_and_the_ledger_says_so(encoding):
    text = ",".join(DEATH_HEADER) + "\n" + ",".join(ROW_A) + "\n"
    result = ingest_files({"d.xlsx": text.encode(encoding)})
    d = result.delivery
    assert (d["status"], d["rows_loaded"]) == ("loaded", 1)
    assert "named .xlsx but is a CSV" in d["reason"]


def test_a_workbook_corrupted_inside_rejects_the_delivery():
    good = workbook(simple)
    middle = len(good) // 2
    result = ingest_files({"d.xlsx": good[:middle] + bytes(200) + good[middle + 200:]})
    assert result.delivery["status"] == "rejected"
    assert "workbook" in result.delivery["reason"]


def test_a_workbook_cut_off_in_transfer_is_rejected_as_a_truncated_workbook_not_a_bad_csv():
    good = workbook(simple)
    result = ingest_files({"d.xlsx": good[: len(good) // 2]})
    assert result.delivery["status"] == "rejected"
    assert "truncated" in result.delivery["reason"] and "workbook" in result.delivery["reason"]


def bomb(declared_size: int | None = None) -> bytes:
    """A real workbook whose sheet is padded with 300 MB of spaces (about 300 KB packed); optionally its zip
    directory lies about the sheet's inflated size."""
    source = zipfile.ZipFile(io.BytesIO(workbook(simple)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b" " * (300 << 20) + b"</sheetData>")
            archive.writestr(info, data)
    raw = bytearray(buffer.getvalue())
    if declared_size is not None:
        name = b"xl/worksheets/sheet1.xml"
        info = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo(name.decode())
        struct.pack_into("<I", raw, info.header_offset + 22, declared_size)  # local header
        position = 0
        while (position := raw.find(b"PK\x01\x02", position)) >= 0:  # central directory
            length = struct.unpack_from("<H", raw, position + 28)[0]
            if raw[position + 46: position + 46 + length] == name:
                struct.pack_into("<I", raw, position + 24, declared_size)
            position += 4
    return bytes(raw)


def test_a_decompression_bomb_is_refused_before_it_is_inflated():
    # CPU time, not wall time: inflating 300 MB of XML costs far more CPU than this, and a loaded CI machine
    # stretches wall time without the work growing.
    started = time.process_time()
    result = ingest_files({"d.xlsx": bomb()})
    assert time.process_time() - started < 10
    assert result.delivery["status"] == "rejected"
    assert "would inflate to" in result.delivery["reason"]


def test_a_bomb_whose_zip_directory_lies_about_its_size_is_rejected_after_bounded_work():
    started = time.process_time()
    result = ingest_files({"d.xlsx": bomb(declared_size=1000)})
    assert time.process_time() - started < 10
    assert result.delivery["status"] == "rejected"
    assert "corrupt workbook" in result.delivery["reason"]


DIMENSION_BOMB = """
import io, sys, openpyxl
from tests.hostile_support import ingest_files, DEATH_HEADER
book = openpyxl.Workbook(); sheet = book.active
sheet.append(DEATH_HEADER); sheet.append(["430482196508022424", "李秀英", "2026-10-30", ""])
sheet[sys.argv[1]] = "x"
buffer = io.BytesIO(); book.save(buffer)
result = ingest_files({"d.xlsx": buffer.getvalue()})
print("STATUS", result.delivery["status"]); print("REASON", result.delivery["reason"])
"""


@pytest.mark.parametrize("far_cell, reason", [
    ("XFD1048576", "sheet spans"),          # 17 billion cells: calamine would ask for 512 GB and abort
    ("XFD1", "columns, more than"),        # a header 16,384 cells wide
])
def test_a_few_kilobyte_workbook_with_a_far_away_cell_is_refused_not_allowed_to_abort_the_process(far_cell, reason):
    """Run in a child process: a Rust allocation failure aborts the interpreter (SIGABRT), which would take the
    test run with it."""
    process = subprocess.run([sys.executable, "-c", DIMENSION_BOMB, far_cell], capture_output=True, text=True,
                             timeout=120, cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert process.returncode == 0, process.stderr[-2000:]
    assert "STATUS rejected" in process.stdout and reason in process.stdout, process.stdout


def test_a_stray_cell_far_right_of_the_data_leaves_the_rows_readable():
    def build(book):
        simple(book)
        book.active["XFD3"] = "x"  # a note far to the right, below the data

    result = ingest_files({"d.xlsx": workbook(build)})
    d = result.delivery
    assert (d["status"], d["rows_loaded"]) == ("loaded", 1)
    assert d["rows_read"] == d["rows_loaded"] + d["rows_quarantined"]
