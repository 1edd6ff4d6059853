"""alerts.list_texts: the lists' wording of each open warning is made once, redone only when its evidence
changes, and a stale wording is never shown."""

import re

import duckdb
import pytest

from hedui.deliver.evidence import install_deliver_macros
from hedui.deliver.list_texts import kept_wording_sql, refresh_list_texts
from hedui.deliver.lists import write_township_lists
from hedui.warehouse import migrate
from tests.conftest import SAMPLES_AS_OF
from tests.sample_warehouse import build_sample_warehouse
from tests.test_deliver_lists import _records


@pytest.fixture()
def con():
    con = duckdb.connect()
    build_sample_warehouse(con)
    return con


def _open_count(con) -> int:
    return con.execute("select count(*) from alerts.warnings where status = 'open'").fetchall()[0][0]


def _all_rows(con, out) -> dict[str, dict]:
    rows = {}
    for path in write_township_lists(con, out, SAMPLES_AS_OF):
        for record in _records(path):
            rows[record["预警编号"]] = record
    return rows


def test_kept_wording_is_the_wording_made_on_the_spot(con, tmp_path):
    on_the_spot = _all_rows(con, tmp_path / "a")
    assert refresh_list_texts(con) == _open_count(con) > 0
    assert _all_rows(con, tmp_path / "b") == on_the_spot


def test_only_new_or_changed_evidence_is_reworded(con):
    refresh_list_texts(con)
    assert refresh_list_texts(con) == 0
    (warning_id,) = con.execute("select min(warning_id) from alerts.warnings where status = 'open'").fetchall()[0]
    con.execute(
        "update alerts.warnings set evidence = json_merge_patch(evidence, '{\"summary_zh\": \"新的证据说明\"}') "
        "where warning_id = ?", [warning_id],
    )
    assert refresh_list_texts(con) == 1
    assert con.execute("select count(*) from alerts.list_texts").fetchall()[0][0] == _open_count(con)


def test_a_stale_wording_is_never_shown(con, tmp_path):
    refresh_list_texts(con)
    (warning_id,) = con.execute("select min(warning_id) from alerts.warnings where status = 'open'").fetchall()[0]
    con.execute(
        "update alerts.warnings set evidence = json_merge_patch(evidence, '{\"summary_zh\": \"新的证据说明\"}') "
        "where warning_id = ?", [warning_id],
    )
    rows = _all_rows(con, tmp_path)  # no refresh: the kept wording no longer matches the evidence
    assert rows[warning_id]["证据说明"] == "新的证据说明"


def test_closed_warnings_lose_their_wording(con):
    refresh_list_texts(con)
    con.execute("update alerts.warnings set status = 'dismissed' where status = 'open'")
    refresh_list_texts(con)
    assert con.execute("select count(*) from alerts.list_texts").fetchall()[0][0] == 0


def _kept(con) -> dict[str, tuple[str, str]]:
    """warning_id -> (summary, detail) of the kept wording, as the lists read it."""
    rows = con.execute(kept_wording_sql("select warning_id from alerts.list_texts")).fetchall()
    return {warning_id: (summary, detail) for warning_id, _md5, summary, detail in rows}


def _lines(con) -> int:
    return con.execute("select count(*) from alerts.list_lines").fetchone()[0]


def _mark_lines_of(con, warning_id: str) -> None:
    """A marker in place of each kept line of the warning's records shows which lines are worded again."""
    con.execute(
        "update alerts.list_lines set line = '（保留的行）' "
        "where line_key in (select unnest(line_keys) from alerts.list_texts where warning_id = ?)", [warning_id])


def test_the_kept_wording_masks_ids(con):
    refresh_list_texts(con)
    install_deliver_macros(con)
    kept = _kept(con)
    assert len(kept) == _open_count(con)
    assert not [warning_id for warning_id, (summary, detail) in kept.items()
                if re.search("[0-9]{17}[0-9X]", (summary or "") + (detail or ""))]


def _first_open(con) -> str:
    return con.execute("select min(warning_id) from alerts.warnings where status = 'open'").fetchall()[0][0]


def _first_open_with_records(con) -> str:
    return con.execute("select min(warning_id) from alerts.warnings where status = 'open' "
                       "and json_array_length(evidence, '$.records') > 0").fetchall()[0][0]


def test_a_new_summary_over_the_same_records_words_no_record_again(con, tmp_path):
    refresh_list_texts(con)
    warning_id = _first_open_with_records(con)
    _mark_lines_of(con, warning_id)
    lines = _lines(con)
    con.execute(
        "update alerts.warnings set evidence = json_merge_patch(evidence, '{\"summary_zh\": \"窗口移动后的说明\"}') "
        "where warning_id = ?", [warning_id],
    )
    assert refresh_list_texts(con) == 1
    summary, detail = _kept(con)[warning_id]
    assert summary == "窗口移动后的说明"
    assert detail.startswith("（保留的行）") and _lines(con) == lines


def test_a_record_added_to_the_evidence_is_the_only_record_worded(con, tmp_path):
    """A household's medical warning gains a week's settlements: the records it already cited keep their lines,
    only the new one is worded, and the detail lists them all in the evidence's order."""
    refresh_list_texts(con)
    warning_id = _first_open_with_records(con)
    (cited,) = con.execute("select json_array_length(evidence, '$.records') from alerts.warnings "
                           "where warning_id = ?", [warning_id]).fetchone()
    _mark_lines_of(con, warning_id)
    lines = _lines(con)
    con.execute(
        "update alerts.warnings set evidence = json_merge_patch(evidence, json_object('records', "
        "list_append(cast(evidence->'records' as json[]), json_object('source', 'medical', 'record_key', 'NEW1', "
        "'fields', json_object('结算编号', 'JS-NEW-1'))))) where warning_id = ?", [warning_id])
    assert refresh_list_texts(con) == 1
    _summary, detail = _kept(con)[warning_id]
    worded = [line for line in detail.split("\n") if not line.startswith("【适用标准】")]
    assert worded[:cited] == ["（保留的行）"] * cited
    assert len(worded) == cited + 1 and "JS-NEW-1" in worded[-1]
    assert _lines(con) == lines + 1
    assert _all_rows(con, tmp_path)[warning_id]["证据明细"] == detail


def test_changed_records_reword_the_detail(con, tmp_path):
    refresh_list_texts(con)
    warning_id = _first_open(con)
    before = _kept(con)[warning_id]
    con.execute(
        "update alerts.warnings set evidence = json_merge_patch(evidence, "
        "json_object('records', [json_object('source', 'vehicle', 'record_key', 'K1', "
        "'fields', json_object('号牌号码', '湘D9Z9Z9'))])) where warning_id = ?", [warning_id],
    )
    assert refresh_list_texts(con) == 1
    _summary, after = _kept(con)[warning_id]
    assert "湘D9Z9Z9" in after and after != before[1]
    assert _all_rows(con, tmp_path)[warning_id]["证据明细"] == after


def test_a_record_cited_by_two_warnings_is_one_line_and_lines_no_wording_cites_are_forgotten(con):
    first, second = [row[0] for row in con.execute(
        "select warning_id from alerts.warnings where status = 'open' order by warning_id limit 2").fetchall()]
    record = ('[{"source": "medical", "record_key": "SHARED", "fields": {"结算编号": "JS-SHARED"}}]')
    con.execute("update alerts.warnings set evidence = json_merge_patch(evidence, json_object('records', ?::json))"
                " where warning_id in (?, ?)", [record, first, second])
    refresh_list_texts(con)
    shared = "select count(*) from alerts.list_lines where line like '%JS-SHARED%'"
    assert con.execute(shared).fetchone()[0] == 1
    assert "JS-SHARED" in _kept(con)[first][1] and "JS-SHARED" in _kept(con)[second][1]
    con.execute("update alerts.warnings set status = 'dismissed' where warning_id = ?", [first])
    refresh_list_texts(con)
    assert con.execute(shared).fetchone()[0] == 1  # the second still cites it
    con.execute("update alerts.warnings set status = 'dismissed' where status = 'open'")
    refresh_list_texts(con)
    assert _lines(con) == 0


def test_a_wording_with_a_line_missing_is_never_shown_short(con, tmp_path):
    on_the_spot = _all_rows(con, tmp_path / "a")
    refresh_list_texts(con)
    warning_id = _first_open_with_records(con)
    con.execute("delete from alerts.list_lines where line_key = "
                "(select line_keys[1] from alerts.list_texts where warning_id = ?)", [warning_id])
    assert warning_id not in _kept(con)
    assert _all_rows(con, tmp_path / "b")[warning_id] == on_the_spot[warning_id]


def test_a_kept_wording_table_from_before_its_lines_is_replaced_and_every_warning_worded_again(tmp_path):
    con = duckdb.connect()
    build_sample_warehouse(con)
    # kept wordings written before migration 13 (list_lines) ran: whole details
    con.execute("delete from meta.schema_migrations where name = 'list_lines'")
    con.execute("drop table alerts.list_lines")
    con.execute("drop table alerts.list_texts")
    con.execute("create table alerts.list_texts (warning_id varchar not null, evidence_md5 varchar not null, "
                "summary_masked varchar, detail_masked varchar, detail_md5 varchar)")
    con.execute("insert into alerts.list_texts select warning_id, 'x', 's', 'd', 'x' from alerts.warnings")
    assert [m.name for m in migrate(con)] == ["list_lines"]
    assert con.execute("select count(*) from alerts.list_texts").fetchone()[0] == 0
    assert refresh_list_texts(con) == _open_count(con)
    assert len(_kept(con)) == _open_count(con)


def _texts(con) -> list[tuple]:
    return con.execute("select * from alerts.list_texts order by warning_id").fetchall()


def _worded_in_one_batch_then_half_written_again_in_a_transaction(con) -> list[tuple]:
    """The wording made in one batch (returned), then none, and a transaction opened in which half the warnings
    are written again, so that their places are a transaction's new rows."""
    refresh_list_texts(con, batches=1)
    in_one = _texts(con)
    con.execute("delete from alerts.list_texts")
    con.execute("begin transaction")
    con.execute("create temp table _again as select * from alerts.warnings where hash(warning_id) % 2 = 0")
    con.execute("delete from alerts.warnings where warning_id in (select warning_id from _again)")
    con.execute("insert into alerts.warnings select * from _again")
    return in_one


def test_wording_in_batches_of_row_ranges_words_each_warning_once_as_in_one_batch(con):
    """The batches are ranges of the warnings' places in alerts.warnings, including the places of warnings added
    in the same transaction (which DuckDB numbers from far above the table's rows: 36,028,797,018,960,000 in 2.0): every warning is worded once, as in one batch."""
    in_one = _worded_in_one_batch_then_half_written_again_in_a_transaction(con)
    places = con.execute("select count(*) filter (where rowid >= 10 ** 15), count(*) filter (where rowid < 10 ** 15) "
                         "from alerts.warnings where status = 'open'").fetchone()
    assert places[0] > 0 and places[1] > 0
    assert refresh_list_texts(con, batches=4) == _open_count(con) > 4
    con.execute("commit")
    assert _texts(con) == in_one


def test_wording_in_committed_steps_words_each_warning_once_as_in_one_transaction(con, caplog):
    """The night commits after each batch of the wording (hedui.step_commits). A commit moves the places of
    warnings added in the same transaction (from far above the table's rows to its end), so batches read before
    it miss them: the wording finds those it missed and words them in a second pass, and every warning is worded
    once, as in one batch."""
    from hedui.step_commits import StepCommits

    in_one = _worded_in_one_batch_then_half_written_again_in_a_transaction(con)
    with caplog.at_level("INFO", logger="hedui.deliver.list_texts"):
        assert refresh_list_texts(con, batches=4, commit_step=StepCommits(con, True)) == _open_count(con) > 4
    con.execute("commit")
    assert "second pass" in caplog.text  # the places did move: the check is what made the wording whole
    assert _texts(con) == in_one


_AWKWARD_RECORDS = [
    # a record with every part, an ID in an ID-named field and another in free text
    '[{"source": "vehicle", "delivery_id": "d1", "file": "a.csv", "row_number": 3, "link_method": "fuzzy",'
    ' "link_score": 0.93, "note_zh": "备注 430482199001011234 结束",'
    ' "fields": {"身份证号": "430482199001011234", "车牌": "湘A12345", "空": null}}]',
    # a field value holding a line break and a 【, fields empty, fields missing, nothing but the source
    '[{"source": "medical", "fields": {"说明": "第一行\\n【第二行】"}}, {"source": "medical", "fields": {}},'
    ' {"source": "medical"}, {}]',
    # no records
    '[]',
]


def test_a_detail_worded_record_by_record_is_the_detail_worded_whole(con):
    """The kept detail is worded a record per row and joined (`_INSERT_NEW_LINES`, `kept_wording_sql`): it must be,
    character for character,
    what `evidence_detail(ev, false)` words from the whole evidence, whatever the records hold; masking included."""
    warning_ids = [row[0] for row in con.execute(
        "select warning_id from alerts.warnings where status = 'open' order by warning_id limit 5").fetchall()]
    assert len(warning_ids) == 5
    for warning_id, records in zip(warning_ids, _AWKWARD_RECORDS):
        con.execute("update alerts.warnings set evidence = json_merge_patch(evidence, json_object('records', ?::json))"
                    " where warning_id = ?", [records, warning_id])
    # one without records at all, one without thresholds
    con.execute("update alerts.warnings set evidence = json_merge_patch(evidence, '{\"records\": null}')"
                " where warning_id = ?", [warning_ids[3]])
    con.execute("update alerts.warnings set evidence = json_merge_patch(evidence, '{\"thresholds\": null}')"
                " where warning_id = ?", [warning_ids[4]])
    assert refresh_list_texts(con) == _open_count(con)
    install_deliver_macros(con)
    differing = con.execute(
        f"""
        select count(*)
        from ({kept_wording_sql("select warning_id from alerts.list_texts")}) as kept
        inner join alerts.warnings as w using (warning_id)
        where kept.detail_masked is distinct from evidence_detail(w.evidence, false)
            or kept.summary_masked is distinct from evidence_summary(w.evidence, false)
        """).fetchone()[0]
    assert differing == 0
    kept = _kept(con)
    assert len(kept) == _open_count(con)
    masked = kept[warning_ids[0]][1]
    assert "430482199001011234" not in masked and "430482********1234" in masked
    broken = kept[warning_ids[1]][1]
    assert "第一行\n【第二行】" in broken
