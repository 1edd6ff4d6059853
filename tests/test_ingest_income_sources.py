"""The six income and integrity sources of spec v2 (section 4b) and the households' v2 columns, from the spec
samples through the connectors and the linking: every row loaded or quarantined with a reason, months in every
listed form, refunds and returned payments kept with their status, a resend counted once, a failing credit code
kept and flagged, the strangers unlinked, the staff roster's relatives linked by their own ID only; and a
landing zone written to spec v1 still runs, its never-delivered v2 sources said, not counted."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import openpyxl
import pytest

from connectors import SOURCES
from hedui import stages
from hedui.deliver.summary import build_run_summary
from hedui.policy import Policy
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES, SAMPLES_AS_OF, read_sample_rows, write_csv

V2_SOURCES = ("social_insurance", "benefits", "housing_fund", "public_payroll", "business", "staff_roster")
WANG_JIANGUO, LI_XIUYING, WANG_LEI = "430482196203151313", "430482196508022424", "43048219901123357X"
CHEN_LIHUA, AYGUL = "430482197801304687", "430482198512126049"
STRANGER_ZHANG, LIU_QIANG = "430421198102198338", "430482197209099119"
D = dt.date


@pytest.fixture(scope="module")
def night(samples_night):
    con = duckdb.connect(str(samples_night.warehouse), read_only=True)
    yield con
    con.close()


def _links(con, source: str) -> dict[str, tuple[str, str, str]]:
    return {key: (person, household, method) for key, person, household, method in con.execute(
        "select record_key, person_id, household_id, method from linked.links where source = ?", [source]
    ).fetchall()}


# --- every row accounted for ----------------------------------------------------------------------------------

def test_every_v2_sample_row_is_loaded_and_the_counts_add_up(night):
    rows = dict((source, rest) for source, *rest in night.execute(
        "select source, status, rows_read, rows_loaded, rows_quarantined, rows_set_aside from ledger.deliveries "
        "where list_contains(?, source)", [list(V2_SOURCES)]).fetchall())
    assert rows == {
        "social_insurance": ["loaded", 11, 11, 0, 0],
        "benefits": ["loaded", 7, 7, 0, 0],
        "housing_fund": ["loaded", 3, 3, 0, 0],
        "public_payroll": ["loaded", 4, 4, 0, 0],
        "business": ["loaded", 5, 5, 0, 0],
        "staff_roster": ["loaded", 4, 4, 0, 0],
    }
    assert night.execute("select count(*) from quarantine.rows where list_contains(?, source)",
                         [list(V2_SOURCES)]).fetchone()[0] == 0
    problems = night.execute("select source, problem from ledger.run_sources where list_contains(?, source)",
                             [list(V2_SOURCES)]).fetchall()
    assert dict(problems) == {s: None for s in V2_SOURCES}


# --- months, refunds, returned payments, resends ---------------------------------------------------------------

def test_months_in_every_listed_form_read_as_the_first_of_their_month(night):
    months = dict(night.execute(
        "select contribution_id, contribution_month from staged.social_insurance").fetchall())
    assert months["SB202608004411"] == D(2026, 8, 1)  # 202608
    assert months["SB202609004411"] == D(2026, 9, 1)  # 2026-09
    assert months["SB202610004411"] == D(2026, 10, 1)  # 2026年10月
    benefit = dict(night.execute("select payment_id, benefit_month from staged.benefits").fetchall())
    assert benefit["DY2026070211"] == D(2026, 7, 1) and benefit["DY2026090211"] == D(2026, 9, 1)
    fund = dict(night.execute("select account_no, last_deposit_month from staged.housing_fund").fetchall())
    assert fund == {"430482000145": D(2026, 10, 1), "430482000233": D(2018, 12, 1), "430421000877": D(2026, 10, 1)}
    payroll = dict(night.execute("select id_norm, payroll_month from staged.public_payroll "
                                 "where staff_category <> '离退休'").fetchall())
    assert payroll[AYGUL] == D(2026, 10, 1)  # 2026-10


def test_the_refund_is_staged_with_its_status_negative_base_and_original(night):
    row = night.execute(
        "select contribution_status, contribution_base, original_contribution_id from staged.social_insurance "
        "where contribution_id = 'SB202610009902'").fetchone()
    assert row == ("退费", -5000, "SB202610004498")
    # the charge it cancels stays too: the rules net the two
    assert night.execute("select contribution_status, contribution_base from staged.social_insurance "
                         "where contribution_id = 'SB202610004498'").fetchone() == ("正常", 5000)


def test_the_returned_payment_is_staged_with_its_status(night):
    assert night.execute("select payment_status, amount from staged.benefits where payment_id = 'DY2026100987'"
                         ).fetchone() == ("已退回", 2150)
    assert night.execute("select count(*) from staged.benefits where payment_status = '已发放'").fetchone()[0] == 6


def test_the_contribution_delivered_twice_is_counted_once(night):
    assert night.execute("select count(*) from staged.social_insurance_events "
                         "where contribution_id = 'SB202610004411'").fetchone()[0] == 2
    assert night.execute("select count(*) from staged.social_insurance "
                         "where contribution_id = 'SB202610004411'").fetchone()[0] == 1
    assert night.execute("select count(*) from staged.social_insurance").fetchone()[0] == 10


def test_the_sample_credit_codes_pass_their_check_and_raise_no_flag(night):
    assert night.execute("select bool_and(credit_code_valid), count(*) from staged.business").fetchone() == (True, 5)
    assert night.execute("select count(*) from quarantine.flags where source = 'business'").fetchone()[0] == 0


def test_household_v2_columns_and_their_defaults(night):
    rows = night.execute("select household_id, urban_rural_raw, urban_rural, filed_separately_raw, filed_separately "
                         "from staged.households order by household_id").fetchall()
    assert rows == [
        ("CN-S-0001", None, "农村", "是", True),  # empty 城乡: 农村 from its 农村低保
        ("CN-S-0002", "城市", "城市", None, False),  # empty 备案 means 否
        ("CN-S-0003", "农村", "农村", "否", False),
        ("CN-S-0004", "农村", "农村", None, False),
    ]


# --- linking ------------------------------------------------------------------------------------------------

def test_the_members_rows_of_every_v2_source_link_and_the_strangers_do_not(night):
    linked = {source: {person for person, _, _ in _links(night, source).values()} for source in V2_SOURCES}
    assert linked["social_insurance"] == {WANG_LEI, CHEN_LIHUA}
    assert linked["benefits"] == {WANG_JIANGUO, CHEN_LIHUA}  # 刘强 is in no household
    assert linked["housing_fund"] == {WANG_LEI, CHEN_LIHUA}
    assert linked["public_payroll"] == {WANG_LEI, AYGUL, "430482195007077158"}
    assert linked["business"] == {WANG_JIANGUO, CHEN_LIHUA, "430482195007077158"}
    stranger_rows = night.execute(
        "select count(*) from linked.links where person_id = ? or record_key like ?", [STRANGER_ZHANG,
                                                                                        f"%{STRANGER_ZHANG}%"]
    ).fetchone()[0]
    assert stranger_rows == 0
    assert LIU_QIANG not in {p for per in linked.values() for p in per}
    # 王磊's wage rows link to CN-S-0001 by ID; the payroll's lower-case x too
    payroll = _links(night, "public_payroll")
    assert {(h, m) for p, h, m in payroll.values() if p == WANG_LEI} == {("CN-S-0001", "id_normalised")}


def test_the_staff_member_links_by_the_staff_columns_only(night):
    staff = _links(night, "staff_roster")
    # of the four staff rows, only 阿依古丽 (an applicant herself) is a member
    assert {(p, h) for p, h, _ in staff.values()} == {(AYGUL, "CN-S-0003")}
    assert set(staff) == {f"{AYGUL}|"}


def test_a_declared_relative_links_by_the_relative_id_under_its_own_source(night):
    relatives = _links(night, "staff_roster_relative")
    assert relatives == {
        f"43048219750611213X|{CHEN_LIHUA}": (CHEN_LIHUA, "CN-S-0002", "exact"),
        f"430482196802143155|{LI_XIUYING}": (LI_XIUYING, "CN-S-0001", "exact"),
    }
    keys = {k for (k,) in night.execute("select record_key from staged.staff_roster").fetchall()}
    assert set(relatives) <= keys  # the same record_key as the staged row


def test_a_relative_named_without_an_id_is_never_linked(night):
    key = "430482198203054176|张伟"  # 赵磊's father 张伟, no ID: a 张伟 is a member, yet nothing links
    assert night.execute("select count(*) from staged.staff_roster where record_key = ?", [key]).fetchone()[0] == 1
    assert night.execute("select count(*) from linked.links where record_key = ?", [key]).fetchone()[0] == 0
    assert night.execute("select count(*) from linked.link_review where record_key = ?", [key]).fetchone()[0] == 0


# --- contracts: a bad value per source, a failing credit code ----------------------------------------------------

def _rewrite_csv(landing, source, edit) -> None:
    header, rows = read_sample_rows(source)
    edit(header, rows)
    folder = landing / source / "20261103"
    shutil.rmtree(folder)
    write_csv(folder / f"{source}.csv", header, rows)


def _rewrite_xlsx(landing, source, header_row: int, column: str, value: str) -> None:
    path = next((landing / source / "20261103").glob("*.xlsx"))
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[header_row]]
    sheet.cell(row=header_row + 1, column=headers.index(column) + 1, value=value)
    book.save(path)


def _set(column: str, value: str):
    def edit(header, rows):
        rows[0][header.index(column)] = value
    return edit


BAD_VALUES = {
    # source: (how the first data row is damaged, the column the reason names, words of the reason)
    "social_insurance": (lambda landing: _rewrite_csv(landing, "social_insurance", _set("费款所属期", "2026年13月")),
                         "费款所属期", "is not a month"),
    "benefits": (lambda landing: _rewrite_xlsx(landing, "benefits", 2, "发放状态", "已领取"),
                 "发放状态", "is not one of"),
    "housing_fund": (lambda landing: _rewrite_csv(landing, "housing_fund", _set("账户状态", "冻结")),
                     "账户状态", "is not one of"),
    "public_payroll": (lambda landing: _rewrite_csv(landing, "public_payroll", _set("人员类别", "临时工")),
                       "人员类别", "is not one of"),
    "business": (lambda landing: _rewrite_csv(landing, "business", _set("人员角色", "股东")),
                 "人员角色", "is not one of"),
    "staff_roster": (lambda landing: _rewrite_xlsx(landing, "staff_roster", 3, "岗位", "保安"),
                     "岗位", "is not one of"),
}


@pytest.mark.parametrize("source", V2_SOURCES)
def test_the_contract_quarantines_a_bad_value_of_each_v2_source_with_a_reason(
        source, ingest_con, sample_landing, tmp_path):
    damage, header, words = BAD_VALUES[source]
    damage(sample_landing)
    outcome = stages.ingest(ingest_con, sample_landing, source, RunInfo("r", SAMPLES_AS_OF),
                            tmp_dir=tmp_path / "scratch", results_dir=None)
    assert outcome.problem is None
    read, loaded, quarantined = ingest_con.execute(
        "select rows_read, rows_loaded, rows_quarantined from ledger.deliveries where source = ?", [source]
    ).fetchone()
    assert quarantined == 1 and read == loaded + quarantined
    (reason,) = ingest_con.execute("select reason from quarantine.rows where source = ?", [source]).fetchone()
    assert reason.startswith(header) and words in reason


def test_a_credit_code_failing_its_check_is_kept_and_flagged(ingest_con, sample_landing, tmp_path):
    good = "91430482MA4L0R1B1G"
    bad = good[:-1] + "H"

    def edit(header, rows):
        column = header.index("统一社会信用代码")
        next(r for r in rows if r[column] == good)[column] = bad

    _rewrite_csv(sample_landing, "business", edit)
    stages.ingest(ingest_con, sample_landing, "business", RunInfo("r", SAMPLES_AS_OF),
                  tmp_dir=tmp_path / "scratch", results_dir=None)
    assert ingest_con.execute("select credit_code_valid, registration_status from staged.business "
                              "where credit_code = ?", [bad]).fetchone() == (False, "吊销")
    assert ingest_con.execute("select count(*) from staged.business").fetchone()[0] == 5
    flags = ingest_con.execute("select row_number, flag, detail from quarantine.flags where source = 'business'"
                               ).fetchall()
    assert [(r, f) for r, f, _ in flags] == [(2, "credit_code_invalid")]
    assert bad not in flags[0][2]  # the detail names the check, not the code
    assert ingest_con.execute("select count(*) from quarantine.rows").fetchone()[0] == 0


# --- a landing zone written to spec v1 ---------------------------------------------------------------------------

def test_a_v1_landing_zone_completes_and_says_which_v2_sources_never_delivered(ingest_con, tmp_path):
    landing = tmp_path / "v1-landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md", *V2_SOURCES))
    run = stages.begin_run(ingest_con, as_of=SAMPLES_AS_OF, landing=landing, policy=Policy())
    for source in SOURCES:
        stages.ingest(ingest_con, landing, source, run, tmp_dir=tmp_path / "scratch", results_dir=None)
    problems = dict(ingest_con.execute("select source, problem from ledger.run_sources").fetchall())
    assert {s: p for s, p in problems.items() if p} == {s: "never_delivered" for s in V2_SOURCES}
    for source in V2_SOURCES:  # present and empty, so the rules that read them run
        assert ingest_con.execute(f"select count(*) from {SOURCES[source].staged_table}").fetchone()[0] == 0
    assert stages.finish_run(ingest_con, run, {}) == "completed"
    (message,) = ingest_con.execute("select message from ledger.runs").fetchone()
    assert message.startswith("never delivered") and all(s in message for s in V2_SOURCES)
    summary = {s.source: s for s in build_run_summary(ingest_con, run.run_id).sources}
    assert summary["social_insurance"].in_force_delivery is None
    assert summary["social_insurance"].problems == ["从未交付：尚无该来源数据（不是“无记录”）"]
    assert summary["households"].problems == []


def test_a_v1_source_that_never_delivered_is_still_a_problem_of_the_night(ingest_con, tmp_path):
    landing = tmp_path / "no-vehicle"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md", "vehicle"))
    run = stages.begin_run(ingest_con, as_of=SAMPLES_AS_OF, landing=landing, policy=Policy())
    for source in ("households", "vehicle"):
        stages.ingest(ingest_con, landing, source, run, tmp_dir=tmp_path / "scratch", results_dir=None)
    assert ingest_con.execute("select problem from ledger.run_sources where source = 'vehicle'").fetchone() == (
        "missing",)
    assert stages.finish_run(ingest_con, run, {}) == "completed_with_problems"


def test_a_warehouse_staged_before_the_v2_household_columns_gains_them_and_rereads_its_picture(
        ingest_con, sample_landing, tmp_path):
    run = RunInfo("r1", SAMPLES_AS_OF)
    stages.ingest(ingest_con, sample_landing, "households", run, tmp_dir=tmp_path / "s", results_dir=None)
    # as a warehouse of spec v1 has it: no v2 columns
    for column in ("urban_rural_raw", "filed_separately_raw", "urban_rural", "filed_separately"):
        ingest_con.execute(f"alter table staged.households drop column {column}")
    stages.ingest(ingest_con, sample_landing, "households", RunInfo("r2", SAMPLES_AS_OF),
                  tmp_dir=tmp_path / "s", results_dir=None)
    status = ingest_con.execute("select status from ledger.deliveries where run_id = 'r2'").fetchone()[0]
    assert status == "loaded"  # read again, not "unchanged": the rows lacked the new columns
    assert ingest_con.execute("select urban_rural, filed_separately from staged.households "
                              "where household_id = 'CN-S-0001'").fetchone() == ("农村", True)


def test_a_contribution_resent_in_a_later_delivery_is_counted_once(ingest_con, sample_landing, tmp_path):
    header, rows = read_sample_rows("social_insurance")
    resent = [r for r in rows if r[0] == "SB202609004411"]
    write_csv(sample_landing / "social_insurance" / "20261104" / "resend.csv", header, resent, encoding="gb18030")
    stages.ingest(ingest_con, sample_landing, "social_insurance", RunInfo("r", D(2026, 11, 4)),
                  tmp_dir=tmp_path / "scratch", results_dir=None)
    assert ingest_con.execute("select count(*) from staged.social_insurance_events "
                              "where contribution_id = 'SB202609004411'").fetchone()[0] == 2
    assert ingest_con.execute("select delivery_id from staged.social_insurance "
                              "where contribution_id = 'SB202609004411'").fetchall() == [
        ("social_insurance/20261104",)]  # once, the newest delivery's version
    assert ingest_con.execute("select count(*) from staged.social_insurance").fetchone()[0] == 10


def test_a_relative_whose_id_fails_its_check_is_flagged_and_never_linked(ingest_con, sample_landing, tmp_path):
    _rewrite_xlsx(sample_landing, "staff_roster", 3, "近亲属身份证号", CHEN_LIHUA[:-1] + "8")  # wrong check digit
    run = RunInfo("r", SAMPLES_AS_OF)
    for source in ("households", "members", "staff_roster"):
        stages.ingest(ingest_con, sample_landing, source, run, tmp_dir=tmp_path / "scratch", results_dir=None)
    (detail,) = ingest_con.execute("select detail from quarantine.flags where source = 'staff_roster'").fetchone()
    assert "never linked" in detail
    stages.link(ingest_con, run)
    relatives = ingest_con.execute("select person_id from linked.links where source = 'staff_roster_relative'"
                                   ).fetchall()
    assert relatives == [(LI_XIUYING,)]  # 陈丽华's name alone, with a broken ID, ties no household to staff
    assert ingest_con.execute("select count(*) from linked.link_review where source = 'staff_roster_relative'"
                              ).fetchone()[0] == 0
