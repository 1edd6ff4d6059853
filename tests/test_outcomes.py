"""Caseworker outcomes: one at a time, and from a filled-in caseworker list."""

from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pytest

from hedui.deliver.workbook import LIST_SHEET
from hedui.rules import OutcomeError, correct_outcome, import_outcomes, raise_warnings, record_outcome
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES_AS_OF
from tests.spec_samples import build_sample_tables


@pytest.fixture
def con():
    connection = duckdb.connect(":memory:")
    build_sample_tables(connection)
    raise_warnings(connection, RunInfo("r1", SAMPLES_AS_OF))
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
    con.execute("update alerts.warnings set status = 'resolved', resolved_on = ? where warning_id = ?", [SAMPLES_AS_OF, warning_id])
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


# --- outcomes imported from lists written by the real list writer (hedui.deliver.lists) ---


@pytest.fixture
def listed(tmp_path):
    """A warehouse file with the samples' warnings, and the caseworker lists the real writer made of it:
    (warehouse path, {warning_id: list path})."""
    from hedui.deliver.lists import write_township_lists
    from hedui.warehouse import migrate

    warehouse = tmp_path / "hedui.duckdb"
    con = duckdb.connect(str(warehouse))
    migrate(con)  # a warehouse as the nightly run leaves it, so that the CLI opens it as it opens any
    build_sample_tables(con)
    raise_warnings(con, RunInfo("r1", SAMPLES_AS_OF))
    paths = write_township_lists(con, tmp_path / "lists", SAMPLES_AS_OF)
    con.close()
    where = {}
    for path in paths:
        for record in _list_records(path):
            where[record["预警编号"]] = path
    assert len(where) >= 6
    return warehouse, where


def fullest(where):
    """The list with the most warnings."""
    return max(set(where.values()), key=lambda p: (sum(1 for v in where.values() if v == p), p.name))


def _list_records(path):
    sheet = openpyxl.load_workbook(path)[LIST_SHEET]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row)) for row in rows]


def fill(path, out, entries: dict[str, dict]):
    """A caseworker's copy of the list at `path`, with cells typed in by header, per warning: saved as `out`."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[LIST_SHEET]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for column, value in entries.get(row[0].value, {}).items():
            row[header.index(column)].value = value
    workbook.save(out)
    return out


def alerts_tables(con) -> dict[str, list[tuple]]:
    """Every alerts table an import writes, without wall-clock times."""
    return {
        "warnings": con.execute("select * from alerts.warnings order by warning_id").fetchall(),
        "outcomes": con.execute("select * exclude (recorded_at) from alerts.outcomes order by warning_id").fetchall(),
        "events": con.execute("select * exclude (recorded_at) from alerts.warning_events "
                              "order by warning_id, event, status_after").fetchall(),
        "corrections": con.execute("select * exclude (corrected_at) from alerts.outcome_corrections "
                                   "order by warning_id").fetchall(),
    }


def test_import_of_a_real_list_applies_filled_rows_and_a_second_import_changes_no_table(listed, tmp_path):
    warehouse, where = listed
    path = fullest(where)
    ids = [r["预警编号"] for r in _list_records(path)]
    assert len(ids) >= 5
    filled = fill(path, tmp_path / "filled.xlsx", {
        ids[0]: {"核查结果": "属实", "核查人": "张核查", "核查日期": dt.datetime(2026, 11, 5)},
        ids[1]: {"核查结果": "不属实", "备注": "车辆已报废未注销", "核查日期": "2026年11月6日"},
        ids[2]: {"核查结果": "不属实"},
        ids[3]: {"核查结果": "属实", "核查日期": "2026-10-01"},
        ids[4]: {"核查结果": "属实", "核查日期": "下周"},
    })
    con = duckdb.connect(str(warehouse))
    report = import_outcomes(con, filled, as_of=dt.date(2026, 11, 10))
    assert (report.applied, report.unchanged) == (2, 0) and report.checked
    assert report.blank == len(ids) - 5
    assert [(p.row, p.warning_id) for p in report.problems] == [(4, ids[2]), (5, ids[3]), (6, ids[4])]
    assert "needs a reason" in report.problems[0].reason
    assert "before the warning was first raised" in report.problems[1].reason
    assert "核查日期 is not a date" in report.problems[2].reason
    assert not report.complete
    assert status_of(con, ids[0]) == ("confirmed", None, dt.date(2026, 11, 5))
    assert status_of(con, ids[1]) == ("dismissed", "车辆已报废未注销", dt.date(2026, 11, 6))
    assert status_of(con, ids[2])[0] == "open"
    assert con.execute("select recorded_by from alerts.outcomes where warning_id = ?", [ids[0]]).fetchone() == ("张核查",)
    assert con.execute("select recorded_by from alerts.outcomes where warning_id = ?", [ids[1]]).fetchone() == ("filled.xlsx",)

    before = alerts_tables(con)
    again = import_outcomes(con, filled, as_of=dt.date(2026, 11, 11))
    assert (again.applied, again.unchanged) == (0, 2)
    assert alerts_tables(con) == before
    con.close()


def test_an_outcome_typed_into_the_wrong_column_is_not_applied_and_says_which(listed, tmp_path):
    warehouse, where = listed
    path = fullest(where)
    records = _list_records(path)
    ids = [r["预警编号"] for r in records]
    filled = fill(path, tmp_path / "filled.xlsx", {
        ids[0]: {"备注": "属实"},            # the outcome in the remark column
        ids[1]: {"证据说明": "属实"},         # the outcome typed over the evidence
    })
    con = duckdb.connect(str(warehouse))
    before = alerts_tables(con)
    report = import_outcomes(con, filled)
    assert (report.applied, report.blank) == (0, len(ids) - 2)
    assert [(p.row, p.warning_id) for p in report.problems] == [(2, ids[0]), (3, ids[1])]
    assert "核查结果 is empty but 备注 is filled in" in report.problems[0].reason
    assert "证据说明 (column K)" in report.problems[1].reason
    assert alerts_tables(con) == before
    con.close()


def test_edited_protected_cells_are_named_by_row_and_column_without_their_values(listed, tmp_path):
    warehouse, where = listed
    path = fullest(where)
    records = _list_records(path)
    first = records[0]
    filled = fill(path, tmp_path / "filled.xlsx", {
        first["预警编号"]: {"核查结果": "属实", "姓名": "某某某", "身份证号(脱敏)": "430482199001011234",
                           "核查截止日期": dt.datetime(2030, 1, 1)},
    })
    con = duckdb.connect(str(warehouse))
    report = import_outcomes(con, filled)
    [problem] = report.problems
    assert problem.row == 2
    assert "姓名 (column D), 身份证号(脱敏) (column E), 核查截止日期 (column J)" in problem.reason
    assert status_of(con, first["预警编号"])[0] == "open"
    text = str(report)
    for value in ("某某某", "430482199001011234", first["姓名"], first["身份证号(脱敏)"], first["证据说明"]):
        assert value not in text
    # a citizen ID typed over the 预警编号 is not echoed: the row is named by its number only
    second = records[1]
    filled = fill(path, tmp_path / "over-id.xlsx", {second["预警编号"]: {"预警编号": "430482199001011234",
                                                                       "核查结果": "属实"}})
    report = import_outcomes(con, filled)
    assert [(p.row, p.warning_id) for p in report.problems] == [(3, None)]
    assert "预警编号 (column A)" in report.problems[0].reason and "430482199001011234" not in str(report)
    con.close()


def test_a_value_in_a_column_without_a_header_is_reported(listed, tmp_path):
    warehouse, where = listed
    path = fullest(where)
    first = _list_records(path)[0]["预警编号"]
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[LIST_SHEET]
    sheet.cell(row=2, column=sheet.max_column + 2, value="属实")
    workbook.save(tmp_path / "filled.xlsx")
    con = duckdb.connect(str(warehouse))
    report = import_outcomes(con, tmp_path / "filled.xlsx")
    assert [(p.row, p.warning_id) for p in report.problems] == [(2, first)]
    assert "which have no header" in report.problems[0].reason
    con.close()


def test_a_correction_replaces_the_outcome_and_keeps_the_one_before(con):
    warning_id = warning_ids(con)[0]
    record_outcome(con, warning_id, "属实", "车辆在用", recorded_by="cw01", as_of=dt.date(2026, 11, 5))
    with pytest.raises(OutcomeError, match="needs a reason"):
        correct_outcome(con, warning_id, "不属实", " ")
    assert correct_outcome(con, warning_id, "不属实", "录入错误：车辆已于2025年过户", corrected_by="cw02",
                           as_of=dt.date(2026, 11, 8)) == "dismissed"
    assert status_of(con, warning_id)[:2] == ("dismissed", "录入错误：车辆已于2025年过户")
    assert con.execute("select outcome, reason, recorded_by, as_of, origin from alerts.outcomes "
                       "where warning_id = ?", [warning_id]).fetchall() == [
        ("dismissed", "录入错误：车辆已于2025年过户", "cw02", dt.date(2026, 11, 8), "correction")]
    assert con.execute("select * exclude (corrected_at) from alerts.outcome_corrections").fetchall() == [
        (warning_id, "confirmed", "车辆在用", "cw01", dt.date(2026, 11, 5), "dismissed", "录入错误：车辆已于2025年过户",
         "cw02", dt.date(2026, 11, 8))]
    assert con.execute("select event, status_after from alerts.warning_events where warning_id = ? "
                       "order by recorded_at", [warning_id]).fetchall()[-2:] == [
        ("outcome", "confirmed"), ("outcome_corrected", "dismissed")]
    # a second correction keeps both before it
    correct_outcome(con, warning_id, "已调整待遇", "复核后确认已停保", corrected_by="cw03")
    assert [r[0] for r in con.execute("select previous_outcome from alerts.outcome_corrections "
                                      "order by corrected_at").fetchall()] == ["confirmed", "dismissed"]


def test_only_an_outcome_can_be_corrected_and_only_to_another_one(con):
    open_id, closed_id = warning_ids(con)[:2]
    with pytest.raises(OutcomeError, match="not closed by a caseworker outcome"):
        correct_outcome(con, open_id, "属实", "x")
    record_outcome(con, closed_id, "属实", None)
    with pytest.raises(OutcomeError, match="nothing to correct"):
        correct_outcome(con, closed_id, "confirmed", "x")
    with pytest.raises(OutcomeError, match="no warning with id WNOPE"):
        correct_outcome(con, "WNOPE", "属实", "x")


# --- the command line: exit codes ---


def _hedui(*args):
    from typer.testing import CliRunner

    from hedui.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_import_exits_0_when_every_row_applies_1_when_one_does_not_2_for_a_non_list(listed, tmp_path):
    warehouse, where = listed
    path = fullest(where)
    ids = [r["预警编号"] for r in _list_records(path)]
    good = fill(path, tmp_path / "good.xlsx", {ids[0]: {"核查结果": "属实"}})
    result = _hedui("outcome", "import", good, "--warehouse", warehouse)
    assert result.exit_code == 0, result.output
    assert "1 outcome(s) applied" in result.output

    partly = fill(path, tmp_path / "partly.xlsx", {ids[1]: {"核查结果": "属实"}, ids[2]: {"备注": "不属实"}})
    result = _hedui("outcome", "import", partly, "--warehouse", warehouse)
    assert result.exit_code == 1, result.output
    assert "1 row(s) not applied" in result.output and "wrong column" in result.output
    con = duckdb.connect(str(warehouse), read_only=True)
    assert [status_of(con, w)[0] for w in ids[:3]] == ["confirmed", "confirmed", "open"]  # the good row applied
    con.close()

    other = tmp_path / "notes.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["编号", "结果"])
    workbook.save(other)
    result = _hedui("outcome", "import", other, "--warehouse", warehouse)
    assert result.exit_code == 2 and "no header row" in result.output


def test_cli_correct_changes_an_outcome_and_refuses_without_a_reason(listed):
    warehouse, where = listed
    warning_id = sorted(where)[0]
    assert _hedui("outcome", "record", warning_id, "属实", "--warehouse", warehouse).exit_code == 0
    result = _hedui("outcome", "record", warning_id, "不属实", "--reason", "x", "--warehouse", warehouse)
    assert result.exit_code == 2 and "hedui outcome correct" in result.output
    assert _hedui("outcome", "correct", warning_id, "不属实", "--warehouse", warehouse).exit_code == 2  # no --reason
    result = _hedui("outcome", "correct", warning_id, "不属实", "--reason", "录入错误", "--by", "cw02",
                    "--warehouse", warehouse)
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(warehouse), read_only=True)
    assert status_of(con, warning_id)[:2] == ("dismissed", "录入错误")
    assert con.execute("select previous_outcome, outcome, corrected_by from alerts.outcome_corrections").fetchall() == [
        ("confirmed", "dismissed", "cw02")]
    con.close()


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
