"""The clerical review of uncertain links, end to end on real nights of the spec samples (tests.review_nights):
the export shows each record beside its candidates with the comparisons' levels and weights and what confirming
would do to the warnings; the reviewer's decisions come back with who and when; later nights link what was
confirmed (and the warning says it was confirmed by review, and by whom), never propose what was rejected, keep
无法判断 in review marked decided, ask again when the record changes, and hold through full relinks and a new
MATCHING_VERSION."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from hedui.cli import app
from hedui.night import run_night
from tests.conftest import query
from tests.review_nights import (
    CHEN,
    CHEN_UNIT,
    LI,
    LI_UNIT,
    NIGHT_2,
    NIGHT_3,
    NIGHT_4,
    WANG,
    WANG_UNIT,
    decide_on_night_2,
    review_night,  # noqa: F401 (a fixture, used by night2)
    housing_snapshot,
)

runner = CliRunner()
# openpyxl reads the weights' data bars (an Excel 2010 extension) without keeping them, and says so
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


@pytest.fixture
def night2(review_night, tmp_path) -> tuple[Path, Path]:  # noqa: F811
    """A private copy of night 2's landing zone and warehouse."""
    landing, warehouse = review_night
    shutil.copytree(landing, tmp_path / "landing")
    shutil.copyfile(warehouse, tmp_path / "w.duckdb")
    return tmp_path / "landing", tmp_path / "w.duckdb"


def export(warehouse: Path, out: Path) -> Path:
    result = runner.invoke(app, ["review", "export", "-w", str(warehouse), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert not any(word in result.output for word in ("王建国", "李秀英", "陈思", "430482"))  # counts only
    (path,) = out.glob("*.xlsx")
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only: it holds full IDs
    return path


def rows_of(workbook: Path) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(workbook, read_only=True)["待核对关联"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def link_of(warehouse: Path, record_key: str) -> list[tuple]:
    return query(warehouse, "select person_id, method from linked.links where record_key = ?", [record_key])


def in_review(warehouse: Path, record_key: str) -> bool:
    return query(warehouse, "select count(*) from linked.link_review where record_key = ?", [record_key])[0][0] > 0


def decide_all(landing: Path, warehouse: Path, tmp_path: Path) -> Path:
    return decide_on_night_2(landing, warehouse, tmp_path / "review")


def test_the_export_shows_each_record_beside_its_candidates_with_levels_weights_and_impact_first(night2, tmp_path):
    _, warehouse = night2
    rows = rows_of(export(warehouse, tmp_path / "review"))
    assert len(rows) == 3 and len({row["核对项"] for row in rows}) == 3
    by_name = {row["记录姓名"]: row for row in rows}
    wang = by_name["王建国"]
    assert (wang["记录地址"], wang["记录村社区"], wang["成员身份证号"], wang["成员出生日期"], wang["家庭编号"],
            wang["成员村社区"]) == ("湖南省衡阳市常宁市烟洲镇大坪村5组2号", "大坪村", WANG, "1962-03-15", "CN-S-0001",
                                 "大坪村")
    assert (wang["证件号比对"], wang["姓名比对"], wang["住址比对"]) == ("记录无证件号", "一致", "同村社区")
    assert wang["姓名权重"] > 10 and wang["住址权重"] > 5
    assert wang["总分"] == pytest.approx(wang["证件号权重"] + wang["姓名权重"] + wang["出生日期权重"] + wang["住址权重"],
                                       abs=0.01)
    assert "同名者" in wang["待核对原因"]
    # 陈思's shop would raise a property warning for her household; the two homes in 大坪村 change the open one
    assert rows[0]["记录姓名"] == "陈思" and rows[0]["影响"].startswith("新增预警 ASSET_PROPERTY")
    assert all(row["影响"].startswith("改变预警证据 ASSET_PROPERTY") for row in rows[1:])
    assert all(not row["核对结论"] for row in rows)


def test_the_impact_found_within_a_small_memory_limit_is_the_same_and_leaves_no_scratch_behind(night2, tmp_path):
    """The export runs the rules on a copy of the warehouse, as a night does: under the memory limit it is given,
    spilling to a folder of its own, and nothing of the copy or the spill stays beside the warehouse."""
    _, warehouse = night2
    default = rows_of(export(warehouse, tmp_path / "default"))
    result = runner.invoke(app, ["review", "export", "-w", str(warehouse), "-o", str(tmp_path / "small"),
                                 "--memory-limit", "64MB"])
    assert result.exit_code == 0, result.output
    (small,) = (tmp_path / "small").glob("*.xlsx")
    assert [(row["记录姓名"], row["影响"]) for row in rows_of(small)] == [(row["记录姓名"], row["影响"]) for row in default]
    assert not list(warehouse.parent.glob(warehouse.name + ".tmp-*"))
    assert not list(warehouse.parent.glob(warehouse.name + ".review-scratch-*"))
    assert not list((warehouse.parent / ".work").glob("review-spill-*"))


def test_the_export_offers_the_three_decisions_in_a_drop_down_and_protects_the_rest(night2, tmp_path):
    _, warehouse = night2
    book = openpyxl.load_workbook(export(warehouse, tmp_path / "review"))
    sheet = book["待核对关联"]
    (validation,) = sheet.data_validations.dataValidation
    assert validation.formula1 == '"同一人,不是同一人,无法判断"'
    assert sheet.protection.sheet
    headers = [cell.value for cell in sheet[1]]
    assert not sheet.cell(2, headers.index("核对结论") + 1).protection.locked
    assert sheet.cell(2, headers.index("记录姓名") + 1).protection.locked
    assert sheet.freeze_panes == "E2"


def test_decisions_are_recorded_with_who_and_when_and_importing_again_changes_nothing(night2, tmp_path):
    landing, warehouse = night2
    workbook = decide_all(landing, warehouse, tmp_path)
    recorded = query(warehouse, "select person_id, decision, reviewer, reason, decided_at from "
                                "linked.review_decisions order by person_id")
    assert sorted((p, d, r) for p, d, r, _, _ in recorded) == sorted(
        [(WANG, "same", "李核对"), (LI, "different", "李核对"), (CHEN, "undecided", "李核对")])
    assert all(decided_at is not None for *_, decided_at in recorded)
    again = runner.invoke(app, ["review", "import", str(workbook), "-w", str(warehouse)])
    assert again.exit_code == 0 and "0 decision(s) recorded, 3 already recorded" in again.output
    assert query(warehouse, "select person_id, decision, reviewer, reason, decided_at from linked.review_decisions "
                            "order by person_id") == recorded


def test_malformed_rows_are_rejected_by_row_and_column_without_their_values(night2, tmp_path):
    _, warehouse = night2
    workbook = export(warehouse, tmp_path / "review")
    book = openpyxl.load_workbook(workbook)
    sheet = book["待核对关联"]
    headers = [cell.value for cell in sheet[1]]
    col = {h: headers.index(h) + 1 for h in headers}
    sheet.cell(2, col["核对结论"]).value = "也许"  # not one of the three
    sheet.cell(3, col["核对结论"]).value = "同一人"  # no reviewer, none given
    sheet.cell(4, col["核对结论"]).value = "不是同一人"
    sheet.cell(4, col["核对人"]).value = "王核对"
    sheet.cell(4, col["键（勿改）"]).value = "housing|damaged"
    book.save(workbook)
    result = runner.invoke(app, ["review", "import", str(workbook), "-w", str(warehouse)])
    assert result.exit_code == 1, result.output
    assert "row 2: 核对结论 is not one of" in result.output
    assert "row 3: no 核对人" in result.output
    assert "row 4: the hidden column" in result.output
    assert "也许" not in result.output and "王核对" not in result.output and "430482" not in result.output
    assert query(warehouse, "select count(*) from linked.review_decisions") == [(0,)]


def test_the_next_night_links_the_confirmed_pair_with_evidence_naming_the_reviewer(night2, tmp_path):
    landing, warehouse = night2
    decide_all(landing, warehouse, tmp_path)
    assert run_night(landing, warehouse, NIGHT_3, deliver=False).outcome == "completed"
    assert link_of(warehouse, WANG_UNIT) == [(WANG, "review")]
    assert not in_review(warehouse, WANG_UNIT)
    assert query(warehouse, "select reviewer from linked.review_links where record_key = ?", [WANG_UNIT]) == [
        ("李核对",)]
    (evidence,) = query(warehouse, "select evidence from alerts.warnings where rule_code = 'ASSET_PROPERTY' "
                                   "and household_id = 'CN-S-0001' and status = 'open'")[0]
    assert '"link_method":"review"' in evidence.replace(" ", "")
    assert "经人工核对确认为同一人（核对人：李核对，" in evidence
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        from hedui.deliver.evidence import install_deliver_macros

        install_deliver_macros(con)
        (text,) = con.execute("select evidence_detail_masked(evidence) from alerts.warnings where rule_code = "
                              "'ASSET_PROPERTY' and household_id = 'CN-S-0001' and status = 'open'").fetchone()
    finally:
        con.close()
    assert "关联方式：经人工核对确认；核对说明：经人工核对确认为同一人（核对人：李核对" in text


def test_a_rejected_pair_is_never_proposed_again_and_a_marked_one_stays_in_review_marked_decided(night2, tmp_path):
    landing, warehouse = night2
    decide_all(landing, warehouse, tmp_path)
    run_night(landing, warehouse, NIGHT_3, deliver=False)
    assert link_of(warehouse, LI_UNIT) == [] and not in_review(warehouse, LI_UNIT)
    assert link_of(warehouse, CHEN_UNIT) == [] and in_review(warehouse, CHEN_UNIT)
    assert query(warehouse, "select decision from linked.review_queue where record_key = ?", [CHEN_UNIT]) == [
        ("undecided",)]
    assert rows_of(export(warehouse, tmp_path / "again")) == []  # nothing left waiting
    assert query(warehouse, "select waiting, new_tonight, marked_undecided, confirmed_links, rejected_pairs "
                            "from ledger.review_queue_nights where as_of = ?", [NIGHT_3]) == [(0, 0, 1, 1, 1)]


def test_a_changed_record_is_asked_again(night2, tmp_path):
    landing, warehouse = night2
    decide_all(landing, warehouse, tmp_path)
    run_night(landing, warehouse, NIGHT_3, deliver=False)
    assert link_of(warehouse, WANG_UNIT) == [(WANG, "review")]
    housing_snapshot(landing, "20261106", wang_address="湖南省衡阳市常宁市烟洲镇大坪村5组2号附1")
    run_night(landing, warehouse, NIGHT_4, deliver=False)
    assert link_of(warehouse, WANG_UNIT) == [] and in_review(warehouse, WANG_UNIT)
    assert query(warehouse, "select waiting, new_tonight, oldest_waiting_since from ledger.review_queue_nights "
                            "where as_of = ?", [NIGHT_4]) == [(1, 1, NIGHT_4)]
    (row,) = rows_of(export(warehouse, tmp_path / "asked-again"))
    assert (row["记录姓名"], row["记录地址"]) == ("王建国", "湖南省衡阳市常宁市烟洲镇大坪村5组2号附1")
    assert not row["核对结论"]  # the decision was about the record before the change


def test_decisions_survive_a_full_relink_and_a_new_matching_version(night2, tmp_path, monkeypatch):
    import matching.incremental

    landing, warehouse = night2
    decide_all(landing, warehouse, tmp_path)
    run_night(landing, warehouse, NIGHT_3, deliver=False, full_recompute=True)
    assert link_of(warehouse, WANG_UNIT) == [(WANG, "review")]
    monkeypatch.setattr(matching.incremental, "MATCHING_VERSION", matching.incremental.MATCHING_VERSION + 1)
    run_night(landing, warehouse, NIGHT_4, deliver=False)
    assert query(warehouse, "select incremental from linked.link_state") == [(False,)]  # relinked everything
    assert link_of(warehouse, WANG_UNIT) == [(WANG, "review")]
    assert link_of(warehouse, LI_UNIT) == [] and not in_review(warehouse, LI_UNIT)
    assert in_review(warehouse, CHEN_UNIT)
    assert query(warehouse, "select first_queued_on from linked.review_queue where record_key = ?", [CHEN_UNIT]) == [
        (NIGHT_2,)]


def test_queue_health_is_in_the_run_summary_and_status(night2):
    _, warehouse = night2
    result = runner.invoke(app, ["status", "-w", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "关联待核对 3 项（今晚新增 3）" in result.output.replace("\n", "")
    assert f"最早 {NIGHT_2} 入队" in result.output.replace("\n", "")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        from hedui.deliver.summary import build_run_summary, summary_markdown

        run_id = con.execute("select run_id from ledger.runs where as_of = ?", [NIGHT_2]).fetchone()[0]
        summary = build_run_summary(con, run_id)
    finally:
        con.close()
    assert (summary.review_queue.waiting, summary.review_queue.new_tonight) == (3, 3)
    assert "关联待核对 3 项" in summary_markdown(summary)
