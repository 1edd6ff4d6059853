"""Nights on the spec samples that put records in review, and a reviewer who fills in the review workbook.

After the samples' first night, night 2 brings strangers (valid IDs, in no household) named 王建国, 李秀英 and 陈思
in a medical delivery, and a housing snapshot with two more units registered without an ID: 李秀英's in 大坪村
(where her household lives) and 陈思's shop in 向阳社区 (hers). With a namesake whose home nobody knows, each of the
three name-only units (the sample's 王建国 unit among them) is ambiguous: it goes to review, one candidate each.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from stdnum.cn import ric

from hedui.night import run_night

from tests.conftest import SAMPLES_AS_OF, built_once, read_sample_rows, write_csv

NIGHT_2 = SAMPLES_AS_OF + dt.timedelta(days=1)
NIGHT_3 = SAMPLES_AS_OF + dt.timedelta(days=2)
NIGHT_4 = SAMPLES_AS_OF + dt.timedelta(days=3)

WANG_UNIT = "430482002003GB00007F00020003||王建国"  # the sample's unit without an ID
LI_UNIT = "430482001001GB00031F00010031||李秀英"
CHEN_UNIT = "430482004009GB00032F00030032||陈思"
WANG, LI, CHEN = "430482196203151313", "430482196508022424", "430482200805065227"


def stranger_id(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def strangers_and_unregistered_units(landing: Path) -> None:
    """Night 2's deliveries (see the module's docstring)."""
    header, rows = read_sample_rows("medical")
    strangers = []
    for number, (name, body) in enumerate((("王建国", "43048219700101123"), ("李秀英", "43048219710202234"),
                                           ("陈思", "43048219720303345")), start=1):
        row = list(rows[4])
        row[0], row[3], row[4] = f"Y2026110400077{number}", name, stranger_id(body)
        row[header.index("结算日期")] = NIGHT_2.isoformat()
        strangers.append(row)
    write_csv(landing / "medical" / "20261104" / "medical.csv", header, strangers, encoding="gb18030")
    housing_snapshot(landing, "20261104")


def housing_snapshot(landing: Path, folder: str, wang_address: str | None = None) -> None:
    """The sample housing snapshot with the two unregistered units added, as delivered in `folder`; with
    `wang_address`, the 王建国 unit's 坐落 corrected."""
    header, rows = read_sample_rows("housing")
    rows = [list(r) for r in rows]
    if wang_address is not None:
        for row in rows:
            if row[0] == WANG_UNIT.split("||")[0]:
                row[header.index("坐落")] = wang_address
    rows.append([LI_UNIT.split("||")[0], "李秀英", "", "单独所有", "湖南省衡阳市常宁市烟洲镇大坪村7组3号", "住宅", "80",
                 "2001-05-06", "现势"])
    rows.append([CHEN_UNIT.split("||")[0], "陈思", "", "单独所有", "湖南省衡阳市常宁市宜阳街道向阳社区8栋102", "商业", "65",
                 "2025-09-01", "现势"])
    write_csv(landing / "housing" / folder / "housing.csv", header, rows)


def fill_in(workbook: Path, decisions: dict[str, tuple[str, str]], reviewer: str | None = "李核对") -> Path:
    """The reviewer's work: for each record key (its 批次与行 cell names the file; the key is matched on the
    record's name and unit) the decision and reason, written into the workbook as a person would, in place."""
    from hedui.review.export import DECISION_HEADER, LIST_SHEET, REASON_HEADER, REVIEWER_HEADER

    book = openpyxl.load_workbook(workbook)
    sheet = book[LIST_SHEET]
    headers = [cell.value for cell in sheet[1]]
    col = {h: headers.index(h) + 1 for h in headers}
    for row in range(2, sheet.max_row + 1):
        unit = f"{sheet.cell(row, col['记录地址']).value}|{sheet.cell(row, col['记录姓名']).value}"
        for address_and_name, (decision, reason) in decisions.items():
            if unit == address_and_name:
                sheet.cell(row, col[DECISION_HEADER]).value = decision
                sheet.cell(row, col[REASON_HEADER]).value = reason
                if reviewer:
                    sheet.cell(row, col[REVIEWER_HEADER]).value = reviewer
    book.save(workbook)
    return workbook



@pytest.fixture(scope="session")
def review_night(samples_night, tmp_path_factory):
    """Night 2 on the samples (three name-only units in review), run once per session: its landing zone and its
    warehouse, which tests copy."""

    def build(base: Path) -> tuple[Path, Path]:
        landing = base / "landing"
        shutil.copytree(samples_night.landing, landing)
        warehouse = base / "w.duckdb"
        shutil.copyfile(samples_night.warehouse, warehouse)
        strangers_and_unregistered_units(landing)
        assert run_night(landing, warehouse, NIGHT_2, deliver=False).outcome == "completed"
        return landing, warehouse

    return built_once(tmp_path_factory, "review-night", build)[1]


def decide_on_night_2(landing: Path, warehouse: Path, out: Path) -> Path:
    """Export night 2's queue and decide as a reviewer would: 王建国 同一人, 李秀英 不是同一人, 陈思 无法判断;
    import the workbook (`hedui review import`); returns it."""
    from typer.testing import CliRunner

    from hedui.cli import app

    runner = CliRunner()
    exported = runner.invoke(app, ["review", "export", "-w", str(warehouse), "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    (workbook,) = out.glob("*.xlsx")
    fill_in(workbook, {
        WANG_ADDRESS: ("同一人", "户籍地址与坐落一致，电话核实"),
        LI_ADDRESS: ("不是同一人", "该房屋权利人为同名的外地人"),
        CHEN_ADDRESS: ("无法判断", "联系不上"),
    })
    imported = runner.invoke(app, ["review", "import", str(workbook), "-w", str(warehouse)])
    assert imported.exit_code == 0, imported.output
    assert "3 decision(s) recorded" in imported.output
    return workbook


WANG_ADDRESS = "湖南省衡阳市常宁市烟洲镇大坪村5组2号|王建国"
LI_ADDRESS = "湖南省衡阳市常宁市烟洲镇大坪村7组3号|李秀英"
CHEN_ADDRESS = "湖南省衡阳市常宁市宜阳街道向阳社区8栋102|陈思"
