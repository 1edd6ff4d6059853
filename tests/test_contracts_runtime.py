"""As-of parameter, malformed suites, saved results, Data Docs, and no values in logs."""

from __future__ import annotations

import json
import logging
from datetime import date

import duckdb
import pytest

from hedui.contracts import (
    ContractStructureError,
    ContractSuiteError,
    build_data_docs,
    load_suite,
    validate_delivery,
)
from hedui.contracts.suites import SUITES_DIR
from tests.contract_candidates import make_candidates


def _validate(con, source, as_of, results_dir=None, suites_dir=None, table="cand"):
    return validate_delivery(con, source, table, as_of=as_of, run_id="20261103T020000-abc", delivery_id=f"{source}/20261103",
                             results_dir=results_dir, **({"suites_dir": suites_dir} if suites_dir else {}))


def test_a_date_after_its_delivery_fails_whatever_the_as_of_date():
    """The bound is the row's delivery date, so a later night reading the same delivery judges it alike."""
    con = duckdb.connect()
    make_candidates(con, "cand", "medical", [dict(settled_on=date(2026, 11, 10))])  # delivered 2026-11-03
    for as_of in (date(2026, 11, 3), date(2026, 11, 10), date(2026, 11, 30)):
        assert _validate(con, "medical", as_of).failed_row_count == 1
    make_candidates(con, "cand", "medical", [dict(settled_on=date(2026, 11, 10), delivery_date=date(2026, 11, 10))])
    assert _validate(con, "medical", date(2026, 11, 30)).failed_row_count == 0


def test_suites_check_dates_against_the_delivery_date_column():
    data = json.loads((SUITES_DIR / "death.json").read_text(encoding="utf-8"))
    checked = {e["kwargs"]["column_B"] for e in data["expectations"] if e["meta"]["rule"] == "not_after_delivery"}
    assert checked == {"died_on", "deregistered_on"}
    assert {e["kwargs"]["column_A"] for e in data["expectations"] if e["meta"]["rule"] == "not_after_delivery"} == {
        "delivery_date"}


@pytest.mark.parametrize(
    "content",
    ["{ not json", json.dumps({"name": "x"}), json.dumps({"name": "x", "expectations": [{"type": "expect_nothing_real",
                                                            "kwargs": {}, "meta": {"rule": "r", "column": "c", "src": "", "kind": "text", "pii": False}}]}),
     json.dumps({"name": "x", "expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}]})],
    ids=["bad-json", "no-expectations", "unknown-expectation", "no-meta"],
)
def test_malformed_suite_fails_loudly_naming_the_file(tmp_path, content):
    (tmp_path / "death.json").write_text(content, encoding="utf-8")
    with pytest.raises(ContractSuiteError) as ei:
        load_suite("death", tmp_path)
    assert str(tmp_path / "death.json") in str(ei.value)
    con = duckdb.connect()
    make_candidates(con, "cand", "death", [{}])
    with pytest.raises(ContractSuiteError, match="death.json"):
        _validate(con, "death", date(2026, 11, 3), suites_dir=tmp_path)


def test_missing_suite_names_the_file(tmp_path):
    with pytest.raises(ContractSuiteError, match="vehicle.json"):
        load_suite("vehicle", tmp_path)


def test_candidate_table_without_a_required_column_is_a_structure_error():
    con = duckdb.connect()
    make_candidates(con, "cand_all", "death", [{}])
    con.execute("CREATE TABLE cand AS SELECT * EXCLUDE (src_died_on) FROM cand_all")
    with pytest.raises(ContractStructureError, match="src_died_on"):
        _validate(con, "death", date(2026, 11, 3))


def test_results_are_saved_per_run_and_data_docs_index_is_built(tmp_path):
    con = duckdb.connect()
    make_candidates(con, "cand", "medical", [{}, dict(care_type="急诊", src_care_type="急诊")])
    res = _validate(con, "medical", date(2026, 11, 3), results_dir=tmp_path / "results")
    assert res.result_path and res.result_path.exists()
    assert res.result_path.parent.name == "20261103T020000-abc"
    saved = json.loads(res.result_path.read_text(encoding="utf-8"))
    assert saved["meta"]["hedui"]["delivery_id"] == "medical/20261103"
    assert saved["statistics"]["unsuccessful_expectations"] == 1
    index = build_data_docs(tmp_path / "results", tmp_path / "docs")
    assert index == tmp_path / "docs" / "index.html" and index.exists()
    html = index.read_text(encoding="utf-8")
    assert "hedui.medical" in html
    pages = list((tmp_path / "docs").rglob("*.html"))
    assert any("validations" in str(p) for p in pages)


PII_NAME, PII_ID = "欧阳娜娜", "430482199001011234"


def test_no_value_of_a_failing_row_appears_in_logs_results_or_docs(tmp_path, caplog, capsys):
    con = duckdb.connect()
    bad = dict(person_name=PII_NAME, id=PII_ID, id_norm=None, settled_on=None, src_settled_on="2026-13-45",
               care_type="急诊X", src_care_type="急诊X")
    make_candidates(con, "cand", "members", [dict(person_name=PII_NAME, id=PII_ID, id_norm=None, relation="儿子X",
                                                  src_relation="儿子X")])
    make_candidates(con, "cand2", "medical", [bad])
    with caplog.at_level(logging.DEBUG):
        r1 = _validate(con, "members", date(2026, 11, 3), results_dir=tmp_path / "r")
        r2 = _validate(con, "medical", date(2026, 11, 3), results_dir=tmp_path / "r", table="cand2")
        build_data_docs(tmp_path / "r", tmp_path / "docs")
    assert r1.failed_row_count == 1 and r2.failed_row_count == 1
    out = capsys.readouterr()
    text = caplog.text + out.out + out.err
    for path in list((tmp_path / "r").rglob("*.json")) + list((tmp_path / "docs").rglob("*.html")):
        text += path.read_text(encoding="utf-8")
    for secret in (PII_NAME, PII_ID, "儿子X", "急诊X", "2026-13-45"):
        assert secret not in text, secret
    # the values are kept where they belong: the quarantine rows inside the warehouse
    vals = {v for (v,) in con.sql(f"SELECT value FROM {r1.failed}").fetchall()}
    assert PII_ID in vals and "儿子X" in vals
    # and reasons on name/ID columns never carry the value
    reasons = " ".join(r for (r,) in con.sql(f"SELECT reason FROM {r1.failed} UNION ALL SELECT reason FROM {r2.failed}").fetchall())
    assert PII_ID not in reasons and PII_NAME not in reasons
