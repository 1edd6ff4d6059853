"""The whole night on the spec's samples: exactly the warnings their README lists, lists, a report."""

from __future__ import annotations

import duckdb
import openpyxl
import pytest

from tests.conftest import SAMPLES_AS_OF
from tests.income_samples import EXPECTED_ALL_SAMPLE_WARNINGS

# The v2 samples' README: the 9 warnings of the v1 rules and the 7 of the income and integrity rules.
EXPECTED = EXPECTED_ALL_SAMPLE_WARNINGS


@pytest.fixture(scope="module")
def night(samples_night):
    """The session's shared first night on the samples (delivered); read-only here."""
    con = duckdb.connect(str(samples_night.warehouse), read_only=True)
    yield samples_night.result, con
    con.close()


def test_samples_raise_exactly_the_warnings_their_readme_lists(night):
    _, con = night
    rows = con.execute("select rule_code, household_id, person_id from warnings").fetchall()
    assert set(rows) == EXPECTED and len(rows) == len(EXPECTED) == 16


def test_no_integrity_warning_is_on_a_township_list(night):
    """Integrity warnings go to the county's review list (县级复核), since the staff concerned may work in the
    township; their township column still names the household's township."""
    result, con = night
    integrity = con.execute(
        "select warning_id, household_id, township from warnings where rule_code like 'INTEGRITY_%'"
    ).fetchall()
    assert sorted(h for _, h, _ in integrity) == ["CN-S-0001", "CN-S-0002", "CN-S-0003"]
    assert all(township for _, _, township in integrity)
    ids = {w for w, _, _ in integrity}
    lists = sorted((result.outputs / "lists").glob("*.xlsx"))
    cells = {path.name: {str(c.value) for ws in openpyxl.load_workbook(path) for row in ws.iter_rows() for c in row
                         if c.value is not None} for path in lists}
    review = [name for name in cells if "县级复核" in name]
    assert review and ids <= set().union(*(cells[name] for name in review))
    for name, values in cells.items():
        if "县级复核" not in name:
            assert not ids & values, name


def test_every_sample_warning_is_due_fifteen_working_days_later(night):
    _, con = night
    assert con.execute("select distinct due_on::varchar, first_raised_on::varchar from warnings").fetchall() == [
        ("2026-11-24", "2026-11-03")]


def test_outreach_to_a_township_the_households_do_not_know_is_unrouted(night):
    _, con = night
    assert con.execute(
        "select township from warnings where rule_code = 'OUTREACH_SEVERE_DISABILITY'"
    ).fetchone() == (None,)


def test_every_warning_carries_records_and_thresholds(night):
    _, con = night
    for evidence, in con.execute("select evidence::varchar from warnings").fetchall():
        assert '"records"' in evidence and '"thresholds"' in evidence


def test_run_completes_and_is_ledgered(night):
    result, con = night
    assert result.outcome == "completed"
    assert con.execute("select outcome from ledger.runs").fetchall() == [("completed",)]


def test_caseworker_lists_are_written_per_township_with_masked_ids(night):
    result, _ = night
    lists = sorted(p.name for p in (result.outputs / "lists").glob("*.xlsx"))
    assert any("烟洲镇" in name for name in lists)
    assert any("未分派" in name for name in lists)
    workbook = openpyxl.load_workbook(next((result.outputs / "lists").glob("*烟洲镇*.xlsx")))
    cells = [str(c.value) for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(full in " ".join(cells) for _, _, full in EXPECTED if full)
    assert any("********" in c for c in cells)


def test_verification_report_renders_for_the_household_under_review(night, tmp_path):
    from hedui.deliver.report import render_household_report

    result, con = night
    paths = render_household_report(con, "CN-S-0003", tmp_path, SAMPLES_AS_OF)
    html = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    assert "核对报告" in html and "CN-S-0003" in html
    assert any(p.suffix == ".pdf" for p in paths)
