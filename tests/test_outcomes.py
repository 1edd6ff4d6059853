"""Caseworker outcomes: one at a time, and from a filled-in caseworker list."""

from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pytest

from hedui.rules import OutcomeError, import_outcomes, raise_warnings, record_outcome
from hedui.rules.sample_fixtures import SAMPLE_AS_OF, build_sample_tables
from hedui.run_info import RunInfo


@pytest.fixture
def con():
    connection = duckdb.connect(":memory:")
    build_sample_tables(connection)
    raise_warnings(connection, RunInfo("r1", SAMPLE_AS_OF))
    yield connection
    connection.close()


def warning_ids(con):
    return [r[0] for r in con.execute("select warning_id from alerts.warnings order by rule_code, household_id, person_id").fetchall()]


def status_of(con, warning_id):
    return con.execute("select status, closed_reason, closed_on from alerts.warnings where warning_id = ?", [warning_id]).fetchone()


@pytest.mark.parametrize(
    ("word", "canonical"),
    [("属实", "confirmed"), ("confirmed", "confirmed"), ("已调整待遇", "benefit_adjusted"),
     ("benefit_adjusted", "benefit_adjusted"), (" Confirmed ", "confirmed")],
)
def test_outcome_words_in_chinese_and_english_close_the_warning(con, word, canonical):
    warning_id = warning_ids(con)[0]
    assert record_outcome(con, warning_id, word, None, recorded_by="cw01", as_of=dt.date(2026, 11, 10)) == canonical
    assert status_of(con, warning_id) == (canonical, None, dt.date(2026, 11, 10))
    [(outcome, by, fingerprint)] = con.execute(
        "select outcome, recorded_by, evidence_fingerprint from alerts.outcomes where warning_id = ?", [warning_id]
    ).fetchall()
    assert (outcome, by) == (canonical, "cw01")
    assert fingerprint == con.execute(
        "select evidence_fingerprint from alerts.warnings where warning_id = ?", [warning_id]
    ).fetchone()[0]
    assert con.execute(
        "select event, status_after from alerts.warning_events where warning_id = ? and event = 'outcome'", [warning_id]
    ).fetchall() == [("outcome", canonical)]


def test_dismissal_needs_a_reason(con):
    warning_id = warning_ids(con)[0]
    with pytest.raises(OutcomeError, match="needs a reason"):
        record_outcome(con, warning_id, "不属实", "  ")
    assert status_of(con, warning_id)[0] == "open"
    record_outcome(con, warning_id, "不属实", "房产已出售")
    assert status_of(con, warning_id)[:2] == ("dismissed", "房产已出售")


def test_unknown_warning_and_unknown_outcome_word_are_refused(con):
    with pytest.raises(OutcomeError, match="no warning with id WNOPE"):
        record_outcome(con, "WNOPE", "属实", None)
    with pytest.raises(OutcomeError, match="unknown outcome"):
        record_outcome(con, warning_ids(con)[0], "maybe", None)


def test_same_outcome_twice_is_a_no_op_and_a_different_one_is_refused(con):
    warning_id = warning_ids(con)[0]
    record_outcome(con, warning_id, "属实", None)
    record_outcome(con, warning_id, "confirmed", None)
    assert con.execute("select count(*) from alerts.outcomes").fetchone()[0] == 1
    with pytest.raises(OutcomeError, match="already closed as confirmed"):
        record_outcome(con, warning_id, "不属实", "x")


def test_outcome_on_a_resolved_warning_is_kept(con):
    warning_id = warning_ids(con)[0]
    con.execute("update alerts.warnings set status = 'resolved', resolved_on = ? where warning_id = ?", [SAMPLE_AS_OF, warning_id])
    record_outcome(con, warning_id, "已调整待遇", "已停保")
    assert status_of(con, warning_id)[0] == "benefit_adjusted"


def write_list(path, rows, title_rows=0):
    """A caseworker list as hedui.deliver.lists writes it: sheet 预警核查清单, Chinese headers."""
    from hedui.deliver.lists import HEADERS, LIST_SHEET

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = LIST_SHEET
    for _ in range(title_rows):
        sheet.append(["某镇预警核查清单"])
    sheet.append(HEADERS)
    for row in rows:
        values = {header: None for header in HEADERS}
        values.update(row)
        sheet.append([values[h] for h in HEADERS])
    workbook.save(path)
    return path


def test_import_applies_filled_rows_and_reports_the_rest(con, tmp_path):
    ids = warning_ids(con)
    path = write_list(
        tmp_path / "烟洲镇.xlsx",
        [
            {"预警编号": ids[0], "核查结果": "属实"},
            {"预警编号": ids[1], "核查结果": "不属实", "备注": "车辆已报废未注销"},
            {"预警编号": ids[2], "核查结果": "不属实"},
            {"预警编号": ids[3], "核查结果": "benefit_adjusted", "备注": "已调整"},
            {"预警编号": ids[4]},
            {"预警编号": "WDOESNOTEXIST00", "核查结果": "属实"},
            {"预警编号": ids[5], "核查结果": "待定"},
            {"预警编号": None, "核查结果": "属实"},
        ],
    )
    report = import_outcomes(con, path)
    assert (report.applied, report.unchanged, report.blank) == (3, 0, 1)
    assert [(p.row, p.warning_id) for p in report.problems] == [
        (4, ids[2]), (7, "WDOESNOTEXIST00"), (8, ids[5]), (9, None)
    ]
    assert "needs a reason" in report.problems[0].reason
    assert status_of(con, ids[0])[0] == "confirmed"
    assert status_of(con, ids[1])[:2] == ("dismissed", "车辆已报废未注销")
    assert status_of(con, ids[2])[0] == "open"
    assert status_of(con, ids[3])[0] == "benefit_adjusted"
    assert "3 outcome(s) applied" in str(report)
    # importing the same file again applies nothing new
    again = import_outcomes(con, path)
    assert (again.applied, again.unchanged) == (0, 3)


def test_import_finds_the_header_below_title_rows(con, tmp_path):
    ids = warning_ids(con)
    path = write_list(tmp_path / "list.xlsx", [{"预警编号": ids[0], "核查结果": "属实"}], title_rows=2)
    report = import_outcomes(con, path)
    assert report.applied == 1 and report.problems == []


def test_import_of_a_file_without_the_headers_is_refused(con, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["编号", "结果"])
    workbook.save(tmp_path / "wrong.xlsx")
    with pytest.raises(OutcomeError, match="wrong.xlsx: no header row"):
        import_outcomes(con, tmp_path / "wrong.xlsx")
