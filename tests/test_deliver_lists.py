import datetime as dt
import os
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from hedui.deliver.lists import DETAIL_SHEET, HEADERS, INPUT_HEADERS, OUTCOME_CHOICES, write_township_lists
from hedui.deliver.workbook import CHECK_HEADER, DETAIL_COLUMNS
from tests.conftest import SAMPLES_AS_OF
from tests.sample_warehouse import ALL_IDS, build_sample_warehouse


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    con = duckdb.connect()
    build_sample_warehouse(con)
    out = tmp_path_factory.mktemp("lists")
    paths = write_township_lists(con, out, SAMPLES_AS_OF)
    return con, {p.name: p for p in paths}


def _sheet_rows(path: Path, sheet: int | str = 0) -> list[tuple]:
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    return list(ws.iter_rows(values_only=True))


def _records(path: Path) -> list[dict]:
    """The list's rows by header (without the hidden check code), each with its 证据明细 joined back from the
    evidence sheet (one row per record there)."""
    rows = _sheet_rows(path)
    details: dict[str, list[str]] = {}
    detail_rows = _sheet_rows(path, DETAIL_SHEET)
    for r in detail_rows[1:]:
        record = dict(zip(detail_rows[0], r))
        details.setdefault(record["预警编号"], []).append(record["证据内容"])
    records = []
    for r in rows[1:]:
        record = {h: v for h, v in zip(rows[0], r) if h != CHECK_HEADER}
        record["证据明细"] = "\n".join(details.get(record["预警编号"], [])) or None
        records.append(record)
    return records


def test_one_file_per_township_named_with_township_and_date_plus_unrouted(lists):
    _, paths = lists
    assert set(paths) == {
        "常宁市宜阳街道_预警核查清单_20261103.xlsx",
        "常宁市培元街道_预警核查清单_20261103.xlsx",
        "常宁市西岭镇_预警核查清单_20261103.xlsx",
        "常宁市_未分派主动发现名单_20261103.xlsx",
        "常宁市_县级复核名单_20261103.xlsx",
    }


def test_headers_are_the_chinese_importer_headers(lists):
    _, paths = lists
    for p in paths.values():
        header = _sheet_rows(p)[0]
        assert list(header) == HEADERS + [CHECK_HEADER]
        assert {"预警编号", "核查结果", "备注", "核查人", "核查日期"} <= set(header)


def test_township_isolation_only_open_warnings_of_that_township(lists):
    con, paths = lists
    for name, p in paths.items():
        ids = [r["预警编号"] for r in _records(p)]
        if "未分派" in name:
            expected = con.execute("select warning_id from alerts.warnings where status = 'open' "
                                   "and township is null").fetchall()
        elif "县级复核" in name:
            expected = con.execute("select warning_id from alerts.warnings where status = 'open' "
                                   "and category = 'integrity'").fetchall()
        else:
            township = name.split("_")[0].removeprefix("常宁市")
            expected = con.execute("select warning_id from alerts.warnings where status = 'open' and township = ?",
                                   [township]).fetchall()
        assert sorted(ids) == sorted(w for (w,) in expected), name
    xiling = [r["预警编号"] for r in _records(paths["常宁市西岭镇_预警核查清单_20261103.xlsx"])]
    assert "W-ASSET_VEHICLE-0008" not in xiling        # resolved
    assert "W-ASSET_PROPERTY-0009" not in xiling       # dismissed by a caseworker
    assert "W-OUTREACH_SEVERE_DISABILITY-0010" in xiling  # routed outreach goes to its township
    yiyang = [r["预警编号"] for r in _records(paths["常宁市宜阳街道_预警核查清单_20261103.xlsx"])]
    assert all(w not in yiyang for w in xiling)


def test_rows_in_route_order_village_then_household_then_urgency(lists):
    _, paths = lists
    rank = {"高": 0, "中": 1, "低": 2}
    for p in paths.values():
        recs = _records(p)
        keys = [(r["村社区"] is None, r["村社区"] or "", r["家庭编号"] is None, r["家庭编号"] or "",
                 rank[r["严重程度"]], r["核查截止日期"]) for r in recs]
        assert keys == sorted(keys), p.name
    peiyuan = _records(paths["常宁市培元街道_预警核查清单_20261103.xlsx"])
    assert [r["严重程度"] for r in peiyuan] == ["高", "中", "低"]
    xiling = _records(paths["常宁市西岭镇_预警核查清单_20261103.xlsx"])
    # the household's warning before the outreach of a person in no household
    assert [r["家庭编号"] for r in xiling] == ["H003", None]


def test_no_full_id_anywhere_in_any_workbook(lists):
    _, paths = lists
    for p in paths.values():
        wb = openpyxl.load_workbook(p)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for value in row:
                    text = str(value)
                    for pid in ALL_IDS:
                        assert pid not in text, (p.name, ws.title, text)
                        assert pid[:17] not in text  # not even the 17-digit body of an invalid ID


def test_ids_are_masked_keeping_first_six_and_last_four(lists):
    _, paths = lists
    recs = _records(paths["常宁市宜阳街道_预警核查清单_20261103.xlsx"])
    vehicle = next(r for r in recs if r["预警编号"] == "W-ASSET_VEHICLE-0001")
    from tests.sample_warehouse import ZHANG_WEI
    assert vehicle["身份证号(脱敏)"] == ZHANG_WEI[:6] + "*" * 8 + ZHANG_WEI[-4:]
    assert ZHANG_WEI[:6] + "*" * 8 + ZHANG_WEI[-4:] in vehicle["证据明细"]


def test_each_row_explains_its_evidence_in_words(lists):
    _, paths = lists
    recs = _records(paths["常宁市西岭镇_预警核查清单_20261103.xlsx"])
    fuzzy = next(r for r in recs if r["预警编号"] == "W-ASSET_VEHICLE-0007")
    assert "湘D3K721" in fuzzy["证据说明"]
    detail = fuzzy["证据明细"]
    assert "机动车登记" in detail                      # which department
    assert "vehicle/20261027" in detail and "第2行" in detail  # which record
    assert "模糊匹配" in detail and "14.2" in detail     # how it was linked
    # which threshold, in words from the rule's metadata, not its parameter name
    assert "【适用标准】不计入的车辆类型：普通二轮摩托车、普通三轮摩托车" in detail
    assert "exempt_vehicle_types" not in detail and " = " not in detail
    assert fuzzy["首次预警日期"] == dt.datetime(2026, 11, 3)


def test_outcome_column_has_dropdown_validation_and_remark_column(lists):
    _, paths = lists
    p = paths["常宁市培元街道_预警核查清单_20261103.xlsx"]
    wb = openpyxl.load_workbook(p)
    ws = wb.worksheets[0]
    assert ws.title == "预警核查清单"
    col = HEADERS.index("核查结果") + 1
    letter = openpyxl.utils.get_column_letter(col)
    validations = ws.data_validations.dataValidation
    [dv] = [v for v in validations if v.type == "list"]
    assert dv.type == "list"
    assert dv.formula1 == '"' + ",".join(OUTCOME_CHOICES) + '"'
    assert str(dv.sqref) == f"{letter}2:{letter}4"
    assert ws.freeze_panes == "B2"
    assert ws.column_dimensions[letter].width > 5
    assert ws.cell(row=2, column=HEADERS.index("证据说明") + 1).alignment.wrap_text
    # blank input cells, ready to be filled in
    assert all(r[h] is None for r in _records(p) for h in INPUT_HEADERS)
    [date_rule] = [v for v in validations if v.type == "date"]
    date_letter = openpyxl.utils.get_column_letter(HEADERS.index("核查日期") + 1)
    assert str(date_rule.sqref) == f"{date_letter}2:{date_letter}4"


def test_summary_sheet_counts_per_rule_and_severity_with_as_of_and_instructions(lists):
    _, paths = lists
    rows = _sheet_rows(paths["常宁市宜阳街道_预警核查清单_20261103.xlsx"], "汇总")
    flat = [c for r in rows for c in r if c is not None]
    assert "2026-11-03" in flat
    by_label = {r[0]: r[1:5] for r in rows if r[0]}
    assert by_label["家庭成员名下有非豁免机动车（ASSET_VEHICLE）"] == (1, 0, 0, 1)
    assert by_label["家庭医疗个人自付费用较高（HARDSHIP_MEDICAL）"] == (0, 1, 0, 1)
    assert by_label["合计"] == (2, 1, 0, 3)
    assert any("核查结果" in str(c) and "下拉" in str(c) for c in flat)


def test_township_without_open_warnings_gets_an_empty_list_with_validation(tmp_path):
    con = duckdb.connect()
    build_sample_warehouse(con)
    con.execute("update alerts.warnings set status = 'confirmed' where township = '培元街道'")
    paths = write_township_lists(con, tmp_path, SAMPLES_AS_OF)
    p = next(p for p in paths if "培元街道" in p.name)
    assert _records(p) == []
    assert openpyxl.load_workbook(p).worksheets[0].data_validations.dataValidation


def _cell_values(path: Path) -> list[list[tuple]]:
    workbook = openpyxl.load_workbook(path)
    return [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]


def test_lists_written_by_worker_processes_equal_those_written_in_process(lists, tmp_path):
    con, in_process = lists
    paths = write_township_lists(con, tmp_path, SAMPLES_AS_OF, workers=2, parallel_from_rows=0)
    assert [p.name for p in paths] == list(in_process)
    for path in paths:
        assert _cell_values(path) == _cell_values(in_process[path.name]), path.name


def test_a_failing_worker_fails_the_lists_instead_of_leaving_one_out(lists, tmp_path):
    con, _ = lists
    blocked = tmp_path / "lists"
    blocked.mkdir()
    # a directory where a workbook should go: the worker cannot write it, and the error must reach the caller
    (blocked / "常宁市西岭镇_预警核查清单_20261103.xlsx").mkdir()
    with pytest.raises(Exception):
        write_township_lists(con, blocked, SAMPLES_AS_OF, workers=2, parallel_from_rows=0)


def test_lists_print_landscape_one_page_wide_with_the_header_on_every_page(lists):
    _, paths = lists
    for p in paths.values():
        wb = openpyxl.load_workbook(p)
        for sheet in (wb.worksheets[0], wb[DETAIL_SHEET]):
            setup = sheet.page_setup
            assert setup.orientation == "landscape" and setup.paperSize == 9, (p.name, sheet.title)
            assert sheet.sheet_properties.pageSetUpPr.fitToPage
            assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0)  # 1 is the default, left out of the file
            assert sheet.print_title_rows == "$1:$1"
        assert "第 &P 页" in wb.worksheets[0].oddFooter.center.text


def test_only_the_input_columns_can_be_typed_in(lists):
    _, paths = lists
    wb = openpyxl.load_workbook(paths["常宁市宜阳街道_预警核查清单_20261103.xlsx"])
    sheet = wb.worksheets[0]
    assert sheet.protection.sheet and wb[DETAIL_SHEET].protection.sheet and wb["汇总"].protection.sheet
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            unlocked = not cell.protection.locked
            assert unlocked == (header[cell.column - 1] in INPUT_HEADERS), (cell.coordinate, header[cell.column - 1])
    # the check code column is hidden, and left out of the printed area
    check_letter = openpyxl.utils.get_column_letter(header.index(CHECK_HEADER) + 1)
    assert sheet.column_dimensions[check_letter].hidden
    last_printed = sheet.print_area.split("!")[-1].split(":")[1]
    assert last_printed.startswith("$" + openpyxl.utils.get_column_letter(len(HEADERS)) + "$")


def test_row_heights_fit_the_wrapped_evidence(lists):
    from hedui.deliver.workbook import COLUMNS, _lines

    _, paths = lists
    widths = dict(COLUMNS)
    for p in paths.values():
        sheet = openpyxl.load_workbook(p).worksheets[0]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            summary = row[header.index("证据说明")].value
            lines = _lines(summary, widths["证据说明"])
            # a line of 10-point text is at least 13 points; the row is tall enough for every wrapped line
            assert sheet.row_dimensions[row[0].row].height >= 13 * lines, (p.name, row[0].row)
        detail = openpyxl.load_workbook(p)[DETAIL_SHEET]
        for row in detail.iter_rows(min_row=2):
            assert detail.row_dimensions[row[0].row].height >= 13 * _lines(row[5].value, 110)


def test_categories_are_in_chinese_as_the_spec_heads_them(lists):
    _, paths = lists
    categories = {r["类别"] for p in paths.values() for r in _records(p)}
    assert categories == {"隐性资产", "新增困难", "情况变化", "主动发现"}


def test_check_codes_survive_the_round_trip_of_awkward_characters(tmp_path):
    """Department values can hold carriage returns, control characters or non-characters; xlsx stores them as
    _xHHHH_. The check code of a cell read back must equal the one written, or an untouched row would read as
    edited."""
    import xlsxwriter

    from hedui.deliver.workbook import cell_codes

    values = ["甲\r乙", "a\r\nb", "tab\there", "x\x0b\x01", "\x1fz", "a\x7fb", "\ufffe?", "a\u0085b", "_x0041_",
              " 前后空格 ", "😀", dt.date(2026, 11, 3), None]
    path = tmp_path / "awkward.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for row, value in enumerate(values):
        if isinstance(value, dt.date):
            sheet.write_datetime(row, 0, dt.datetime.combine(value, dt.time()), date_format)
        elif value is not None:
            sheet.write_string(row, 0, value)
    workbook.close()
    back = [r[0] if r else None for r in openpyxl.load_workbook(path, read_only=True).active.iter_rows(
        max_row=len(values), values_only=True)]
    back += [None] * (len(values) - len(back))
    assert cell_codes(back) == cell_codes(values)


def _resident_mb(status_text: str) -> float:
    line = next(line for line in status_text.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads resident memory from /proc")
def test_list_writer_workers_do_not_carry_the_parents_memory():
    """The night's process holds DuckDB's buffers when it writes the lists: a worker forked from it would carry
    them (and copy them as the parent writes). The workers start small whatever the parent holds."""
    from hedui.deliver.lists import _WorkbookWriters

    ballast = bytearray(os.urandom(1024)) * (400 * 1024)  # 400 MB resident in this process
    assert _resident_mb(Path("/proc/self/status").read_text()) > 400
    with _WorkbookWriters(2) as writers:
        worker_status = writers.pool.submit(Path("/proc/self/status").read_text).result(timeout=120)
    assert _resident_mb(worker_status) < 150
    del ballast


def test_each_night_writes_every_list_with_its_own_as_of_and_overdue_count(tmp_path):
    """Nothing of a list is carried from an earlier night: written again two months on from the same warnings, each
    list names the later date and counts every warning overdue, while its rows are the same."""
    from hedui.deliver.workbook import LIST_SHEET

    con = duckdb.connect()
    build_sample_warehouse(con)
    later = SAMPLES_AS_OF + dt.timedelta(days=60)
    first = write_township_lists(con, tmp_path / "first", SAMPLES_AS_OF)
    second = write_township_lists(con, tmp_path / "second", later)
    assert [p.name.replace(later.strftime("%Y%m%d"), SAMPLES_AS_OF.strftime("%Y%m%d")) for p in second] == [
        p.name for p in first]
    overdue_moved = 0
    for before, after in zip(first, second):
        books = openpyxl.load_workbook(before), openpyxl.load_workbook(after)
        for sheet in (LIST_SHEET, DETAIL_SHEET):
            rows_before, rows_after = (list(b[sheet].iter_rows(values_only=True)) for b in books)
            assert rows_before == rows_after, (after.name, sheet)
        summaries = [{r[0]: r[1] for r in b["汇总"].iter_rows(values_only=True) if r[0]} for b in books]
        assert summaries[0]["数据截至日期（as-of）"] == SAMPLES_AS_OF.isoformat()
        assert summaries[1]["数据截至日期（as-of）"] == later.isoformat()
        assert summaries[1]["其中已超过核查截止日期"] == summaries[1]["待核查预警总数"]
        assert books[1].properties.title.endswith(later.isoformat())
        overdue_moved += summaries[0]["其中已超过核查截止日期"] < summaries[1]["其中已超过核查截止日期"]
    assert overdue_moved


# ---- more evidence than a sheet holds ------------------------------------------------------------------------


def test_a_sheet_holds_as_many_rows_as_excel_and_xlsxwriter_allow():
    from xlsxwriter.worksheet import Worksheet

    from hedui.deliver.workbook import SHEET_ROWS

    assert SHEET_ROWS == Worksheet().xls_rowmax == 2**20


def _evidence_sheets(path: Path) -> tuple[list[str], list[tuple]]:
    """The workbook's evidence sheets in order, and their rows one after the other (each sheet's header left out,
    after checking it is the header)."""
    wb = openpyxl.load_workbook(path)
    names = [name for name in wb.sheetnames if name.startswith(DETAIL_SHEET)]
    rows: list[tuple] = []
    for name in names:
        header, *body = wb[name].iter_rows(values_only=True)
        assert header == tuple(h for h, _ in DETAIL_COLUMNS)
        rows += body
    return names, rows


def test_evidence_with_more_records_than_a_sheet_holds_goes_on_in_further_sheets_none_left_out(
        tmp_path, monkeypatch):
    """xlsxwriter drops a cell past a sheet's last row without a word: a unit whose warnings cite more records than
    a sheet holds (the heavy bench city's townships cite millions of settlements) gets 证据明细(2) and so on, and
    every record is on one of them, in order; the 汇总 sheet says where. Here a sheet holds three records."""
    from hedui.deliver import workbook

    con = duckdb.connect()
    build_sample_warehouse(con)
    whole = {p.name: p for p in write_township_lists(con, tmp_path / "whole", SAMPLES_AS_OF)}
    monkeypatch.setattr(workbook, "SHEET_ROWS", 4)
    cut = {p.name: p for p in write_township_lists(con, tmp_path / "cut", SAMPLES_AS_OF)}

    assert set(cut) == set(whole)
    spanning = 0
    for name in whole:
        [single], records = _evidence_sheets(whole[name])
        sheets, cut_records = _evidence_sheets(cut[name])
        assert cut_records == records  # every record, in order, none twice
        assert sheets == [DETAIL_SHEET] + [f"{DETAIL_SHEET}({n})" for n in range(2, len(sheets) + 1)]
        assert len(sheets) == max(1, -(-len(records) // 3))
        assert _sheet_rows(cut[name], 0) == _sheet_rows(whole[name], 0)  # the list sheet is the same
        summary = "\n".join(str(v) for row in _sheet_rows(cut[name], "汇总") for v in row if v)
        if len(sheets) > 1:
            spanning += 1
            assert f"“{DETAIL_SHEET}”至“{sheets[-1]}”共 {len(sheets)} 张表" in summary
            wb = openpyxl.load_workbook(cut[name])
            assert all(wb[sheet].protection.sheet for sheet in sheets)
    assert spanning >= 2  # several units' evidence went on in further sheets


def test_a_unit_with_more_warnings_than_a_list_sheet_holds_is_refused_not_cut_short(tmp_path, monkeypatch):
    from hedui.deliver import workbook

    con = duckdb.connect()
    build_sample_warehouse(con)
    monkeypatch.setattr(workbook, "SHEET_ROWS", 3)  # a header and two warnings
    with pytest.raises(workbook.ListTooLong, match="more than the 2 rows a list sheet holds"):
        write_township_lists(con, tmp_path, SAMPLES_AS_OF, workers=1)


def _workbook_as_read(path: Path) -> dict:
    """What a caseworker's spreadsheet program reads of a workbook: per sheet, its cells' values, its row heights,
    its column widths, its protection, its validations, its print setup."""
    wb = openpyxl.load_workbook(path)
    read = {}
    for ws in wb.worksheets:
        read[ws.title] = {
            "cells": list(ws.iter_rows(values_only=True)),
            "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
            "widths": {c: d.width for c, d in ws.column_dimensions.items()},
            "protected": ws.protection.sheet,
            "validations": [(v.type, v.formula1, str(v.sqref)) for v in ws.data_validations.dataValidation],
            "print": (ws.page_setup.orientation, ws.page_setup.paperSize, ws.print_title_rows,
                      str(ws.print_area)),
            "locked": [[cell.protection.locked for cell in row] for row in ws.iter_rows()],
        }
    return read


def test_a_unit_with_very_many_records_written_row_by_row_reads_the_same(tmp_path, monkeypatch):
    """A unit whose evidence has more than `CONSTANT_MEMORY_FROM_RECORDS` records is written in xlsxwriter's
    constant_memory mode (rows to temporary files, strings inline), so that a worker never holds a heavy township's
    cells at once; what a spreadsheet program reads of it is the same. Here every unit is written that way."""
    from hedui.deliver import workbook

    con = duckdb.connect()
    build_sample_warehouse(con)
    kept = {p.name: p for p in write_township_lists(con, tmp_path / "in_memory", SAMPLES_AS_OF)}
    monkeypatch.setattr(workbook, "CONSTANT_MEMORY_FROM_RECORDS", -1)
    streamed = {p.name: p for p in write_township_lists(con, tmp_path / "streamed", SAMPLES_AS_OF)}
    assert set(streamed) == set(kept)
    for name in kept:
        with zipfile.ZipFile(streamed[name]) as archive:
            assert "xl/sharedStrings.xml" not in archive.namelist()  # written the other way indeed
        assert _workbook_as_read(streamed[name]) == _workbook_as_read(kept[name]), name
