"""The spec's samples load with exactly the outcome their README states."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from connectors import SOURCES
from hedui import stages
from hedui.run_info import RunInfo
from hedui.warehouse import migrate
from tests.conftest import SAMPLES, SAMPLES_AS_OF


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The samples ingested once for the whole module: every test here only reads the result."""
    tmp_path = tmp_path_factory.mktemp("ingest_samples")
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    con = duckdb.connect(str(tmp_path / "ingest.duckdb"))
    migrate(con)
    run = RunInfo("run-1", SAMPLES_AS_OF)
    for source in SOURCES:
        stages.ingest(con, landing, source, run, tmp_dir=tmp_path / "scratch", results_dir=None)
    yield con
    con.close()


def test_every_sample_delivery_is_loaded_and_its_rows_add_up(loaded):
    rows = loaded.execute(
        "select source, status, rows_read, rows_loaded, rows_quarantined, rows_set_aside from ledger.deliveries"
    ).fetchall()
    assert {r[0] for r in rows} == set(SOURCES)
    for source, status, read, loaded_, quarantined, set_aside in rows:
        assert status == "loaded", source
        assert read == loaded_ + quarantined + set_aside, source


def test_sample_row_counts_per_source(loaded):
    counts = dict(loaded.execute("select source, rows_read from ledger.deliveries").fetchall())
    assert counts == {"households": 4, "members": 7, "housing": 7, "vehicle": 5, "medical": 6,
                      "disability": 4, "death": 2, "social_insurance": 11, "benefits": 7, "housing_fund": 3,
                      "public_payroll": 4, "business": 5, "staff_roster": 4}


def test_housing_id_damaged_into_scientific_notation_is_quarantined_with_that_reason(loaded):
    rows = loaded.execute(
        "select file, row_number, column_name, value, reason from quarantine.rows where source = 'housing'"
    ).fetchall()
    assert len(rows) == 1
    file, row_number, column, value, reason = rows[0]
    assert (file, row_number, value) == ("housing.csv", 5, "4.30482197801305E+17")
    assert "scientific" in reason.lower() or "科学计数" in reason


def test_resent_settlement_counts_once(loaded):
    assert loaded.execute("select count(*) from staged.medical where settlement_id = 'Y20261020000187'").fetchone()[0] == 1
    assert loaded.execute("select count(*) from staged.medical").fetchone()[0] == 5


def test_out_of_pocket_disagreement_is_flagged_and_stated_value_used(loaded):
    flagged = loaded.execute(
        "select row_number from quarantine.flags where source = 'medical' and flag = 'out_of_pocket_mismatch'"
    ).fetchall()
    assert flagged == [(5,)]
    assert loaded.execute(
        "select out_of_pocket from staged.medical where settlement_id = 'Y20261029000099'"
    ).fetchone()[0] == 3500


def test_mistyped_vehicle_id_is_kept_and_flagged_not_quarantined(loaded):
    row = loaded.execute(
        "select person_name, person_name_norm, id_norm, id_valid from staged.vehicle where plate = '湘DD52880'"
    ).fetchone()
    assert row == ("陳麗華", "陈丽华", "430482197811304687", False)
    assert loaded.execute(
        "select count(*) from quarantine.flags where source = 'vehicle' and flag = 'id_invalid'"
    ).fetchone()[0] == 1


def test_ids_are_normalised_in_every_variant(loaded):
    members = dict(loaded.execute("select person_name, id_norm from staged.members").fetchall())
    assert members["王磊"] == "43048219901123357X"  # lower-case x
    housing = loaded.execute("select id_raw, id_norm, id_valid from staged.housing where id_raw is not null").fetchall()
    by_raw = {raw: (norm, valid) for raw, norm, valid in housing}
    assert by_raw["４３０４８２１９６５０８０２２４２４"] == ("430482196508022424", True)  # full-width
    assert by_raw["430482901123357"] == ("43048219901123357X", True)  # 15-digit upgrade


def test_disability_id_is_taken_from_the_certificate_when_empty(loaded):
    rows = dict(loaded.execute("select cert_no, id_norm from staged.disability").fetchall())
    assert rows["43048219720909911962"] == "430482197209099119"
    assert rows["43048219780130468742"] == "430482197801304687"


def test_xlsx_title_rows_are_skipped_and_date_cells_and_text_dates_both_parse(loaded):
    rows = loaded.execute("select row_number, issued_on::varchar from staged.disability order by row_number").fetchall()
    assert rows == [(1, "2026-09-18"), (2, "2026-10-09"), (3, "2019-04-01"), (4, "2011-01-01")]


def test_dates_and_amounts_in_every_sample_format(loaded):
    rows = loaded.execute(
        "select household_id, applied_on::varchar, enrolled_on::varchar, monthly_benefit, declared_monthly_income "
        "from staged.households order by household_id"
    ).fetchall()
    assert rows[0] == ("CN-S-0001", "2021-04-06", "2021-05-10", 1260, 900)
    assert rows[1][:3] == ("CN-S-0002", "2023-01-02", "2023-02-01")
    assert rows[2][:3] == ("CN-S-0003", "2026-10-28", None)  # empty 纳入日期 while 审核中


def test_minority_names_compare_equal_whatever_their_dot(loaded):
    head = loaded.execute("select head_name_norm from staged.households where household_id = 'CN-S-0003'").fetchone()[0]
    member = loaded.execute("select person_name_norm from staged.members where household_id = 'CN-S-0003'").fetchone()[0]
    assert head == member == "阿依古丽·买买提"


def test_gb18030_and_bom_files_are_detected(loaded):
    encodings = {
        source: files
        for source, files in loaded.execute("select source, files::varchar from ledger.deliveries").fetchall()
    }
    assert '"gb18030"' in encodings["households"]
    assert '"utf-8-sig"' in encodings["members"]
    assert '"xlsx"' in encodings["disability"]


def test_only_the_damaged_housing_row_is_quarantined(loaded):
    assert loaded.execute("select source, row_number from quarantine.rows").fetchall() == [("housing", 5)]


def test_exited_household_without_declared_income_loads_with_income_unknown(loaded):
    row = loaded.execute(
        "select status, declared_monthly_income from staged.households where household_id = 'CN-S-0004'"
    ).fetchone()
    assert row == ("已退出", None)
    assert loaded.execute(
        "select count(*) from quarantine.flags where source = 'households' and flag = 'amount_unknown'"
    ).fetchone()[0] == 1
