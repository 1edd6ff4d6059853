"""Every kind of real-world mess the spec lists is read, normalised, or quarantined with a reason."""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from connectors import normalise
from hedui import stages
from hedui.run_info import RunInfo
from tests.conftest import SAMPLES_AS_OF, write_csv

DEATH_HEADER = ["公民身份号码", "姓名", "死亡日期", "注销日期"]


def ingest_death(con, landing, tmp_path):
    run = RunInfo("run", SAMPLES_AS_OF)
    stages.ingest(con, landing, "death", run, tmp_dir=tmp_path / "scratch", results_dir=None)
    return con.execute(
        "select rows_read, rows_loaded, rows_quarantined, status, reason from ledger.deliveries where source = 'death'"
    ).fetchone()


_SHARED: list[duckdb.DuckDBPyConnection] = []


def _shared_macros() -> duckdb.DuckDBPyConnection:
    if not _SHARED:
        con = duckdb.connect()
        normalise.register(con)
        _SHARED.append(con)
    return _SHARED[0]


@pytest.fixture
def macros():
    con = duckdb.connect()
    normalise.register(con)
    return con


VALID_BIRTHS = st.one_of(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 3)),
    st.sampled_from([dt.date(y, 2, 29) for y in (1904, 1960, 2000, 2020, 2024)]),  # leap days, 2000 included
    st.sampled_from([dt.date(y, m, 31) for y, m in ((1950, 3), (2019, 12), (2021, 5), (2026, 10))]),
)


@given(st.builds(lambda region, born, seq: f"{region}{born:%Y%m%d}{seq}",
                 st.from_regex(r"[1-6][0-9]{5}", fullmatch=True), VALID_BIRTHS,
                 st.from_regex(r"[0-9]{3}", fullmatch=True)))
@settings(max_examples=200, deadline=None)
def test_sql_validity_agrees_with_stdnum_check_character(body):
    """Every real birth date up to the as-of date (month ends, leap days, births after 2019): the SQL check
    accepts the right check character and refuses a wrong one, as stdnum does."""
    con = _shared_macros()
    full = body + ric.calc_check_digit(body + "0")
    wrong = body + ("0" if full[-1] != "0" else "1")
    valid, invalid = con.execute(
        "select hd_id_valid(hd_id_norm(?), date '2026-11-03'), hd_id_valid(hd_id_norm(?), date '2026-11-03')",
        [full, wrong],
    ).fetchone()
    assert valid is True and invalid is False


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("43048219901123357x", "43048219901123357X"),
        (" 430482 19650802 2424 ", "430482196508022424"),
        ("４３０４８２１９６５０８０２２４２４", "430482196508022424"),
        ("430482901123357", "43048219901123357X"),
        ("4.30482197801305E+17", None),
        ("not an id", None),
    ],
)
def test_id_variants_normalise_to_eighteen_upper_case_characters(macros, raw, expected):
    assert macros.execute("select hd_id_norm(?)", [raw]).fetchone()[0] == expected


def test_id_with_valid_check_character_but_impossible_date_is_not_valid(macros):
    body = "43048219990230123"  # 30 February
    full = body + ric.calc_check_digit(body + "0")
    assert macros.execute("select hd_id_valid(hd_id_norm(?), date '2026-11-03')", [full]).fetchone()[0] is False


def test_id_born_after_the_as_of_date_is_not_valid(macros):
    body = "43048220301010123"
    full = body + ric.calc_check_digit(body + "0")
    assert macros.execute("select hd_id_valid(?, date '2026-11-03')", [full]).fetchone()[0] is False


@pytest.mark.parametrize("text", ["2026-11-03", "2026/11/3", "20261103", "2026年11月3日", "2026.11.03", "2026-11-03 00:00:00"])
def test_every_spec_date_format_parses(macros, text):
    assert macros.execute("select hd_date(?)", [text]).fetchone()[0] == dt.date(2026, 11, 3)


@pytest.mark.parametrize("text, value", [("1234.5", 1234.5), ("1,234.50", 1234.5), ("1234.50元", 1234.5), ("", None), ("  ", None)])
def test_amount_formats_and_empty_is_unknown_not_zero(macros, text, value):
    result = macros.execute("select hd_amount(?)", [text]).fetchone()[0]
    assert (None if result is None else float(result)) == value


def test_traditional_characters_full_width_letters_and_dots_normalise(macros):
    rows = macros.execute(
        "select hd_name_norm(n) from (values ('陳麗華'), ('阿依古丽•买买提'), ('阿依古丽 . 买买提'), (' 王 磊 ')) t(n)"
    ).fetchall()
    assert [r[0] for r in rows] == ["陈丽华", "阿依古丽·买买提", "阿依古丽·买买提", "王磊"]


def test_ragged_rows_are_quarantined_and_the_rest_of_the_delivery_loads(ingest_con, tmp_path):
    landing = tmp_path / "landing"
    path = landing / "death" / "20261103" / "death.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "公民身份号码,姓名,死亡日期,注销日期\n"
        "430482196508022424,李秀英,2026-10-30,2026-11-02\n"
        "430482195007077158,张伟,2026/10/15\n"  # too few fields
        "430482197209099119,刘强,2026-10-01,2026-10-02,extra\n"  # too many
        '430482200805065227,"陈\n思",2026-10-01,2026-10-03\n',  # a quoted embedded newline is one record
        encoding="utf-8",
    )
    read, loaded, quarantined, status, _ = ingest_death(ingest_con, landing, tmp_path)
    assert (read, loaded, quarantined, status) == (4, 2, 2, "loaded")
    reasons = dict(ingest_con.execute("select row_number, reason from quarantine.rows").fetchall())
    assert "too few fields" in reasons[2] and "too many fields" in reasons[3]


def test_header_aliases_and_column_order_do_not_matter(ingest_con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / "death" / "20261103" / "d.csv", ["死亡日期", "姓名", "身份证号", "备注"],
              [["2026-10-30", "李秀英", "430482196508022424", "note"]], encoding="gb18030")
    read, loaded, *_ = ingest_death(ingest_con, landing, tmp_path)
    assert (read, loaded) == (1, 1)
    assert ingest_con.execute("select id_norm, died_on::varchar from staged.death").fetchone() == (
        "430482196508022424", "2026-10-30")
    extra = ingest_con.execute("select extra::varchar from raw.death").fetchone()[0]
    assert "备注" in extra  # unknown columns are kept in the raw layer


def test_duplicated_header_rejects_the_delivery(ingest_con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / "death" / "20261103" / "d.csv", ["公民身份号码", "姓名", "死亡日期", "身份证号"],
              [["430482196508022424", "李秀英", "2026-10-30", "430482196508022424"]])
    *_, status, reason = ingest_death(ingest_con, landing, tmp_path)
    assert status == "rejected" and "appears twice" in reason


def test_file_in_no_known_encoding_rejects_the_delivery(ingest_con, tmp_path):
    landing = tmp_path / "landing"
    path = landing / "death" / "20261103" / "d.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes("公民身份号码,姓名,死亡日期\n".encode("gb18030") + b"\x81\x20\xff\xfe\x80\n")
    *_, status, reason = ingest_death(ingest_con, landing, tmp_path)
    assert status == "rejected" and "not readable" in reason


def test_a_delivery_of_several_files_is_one_delivery(ingest_con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / "death" / "20261103" / "part1.csv", DEATH_HEADER,
              [["430482196508022424", "李秀英", "2026-10-30", ""]], encoding="gb18030")
    write_csv(landing / "death" / "20261103" / "part2.csv", DEATH_HEADER[:3],
              [["430482195007077158", "张伟", "2026-10-15"]], encoding="utf-8-sig")
    read, loaded, quarantined, status, _ = ingest_death(ingest_con, landing, tmp_path)
    assert (read, loaded, status) == (2, 2, "loaded")


def test_workbook_that_is_really_a_csv_is_read_as_csv(ingest_con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / "death" / "20261103" / "d.xlsx", DEATH_HEADER, [["430482196508022424", "李秀英", "2026-10-30", ""]])
    read, loaded, _, status, reason = ingest_death(ingest_con, landing, tmp_path)
    assert (read, loaded, status) == (1, 1, "loaded")
    assert "read as CSV" in reason


def test_corrupt_workbook_rejects_the_delivery(ingest_con, tmp_path):
    import zipfile

    landing = tmp_path / "landing"
    path = landing / "death" / "20261103" / "d.xlsx"
    path.parent.mkdir(parents=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really")
    *_, status, reason = ingest_death(ingest_con, landing, tmp_path)
    assert status == "rejected" and "workbook" in reason


def test_settlement_without_a_type_counts_as_normal_or_as_reversal_when_it_names_an_original(ingest_con, tmp_path):
    landing = tmp_path / "landing"
    header = ["结算流水号", "结算类型", "原结算流水号", "姓名", "身份证号", "医疗类别", "结算日期", "医疗总费用", "个人自付"]
    write_csv(landing / "medical" / "20261103" / "m.csv", header, [
        ["Y1", "", "", "王建国", "430482196203151313", "住院", "2026-10-20", "5000", "1000"],
        ["Y2", "", "Y1", "王建国", "430482196203151313", "住院", "2026-10-21", "-5000", "-1000"],
    ])
    run = RunInfo("run", SAMPLES_AS_OF)
    stages.ingest(ingest_con, landing, "medical", run, tmp_dir=tmp_path / "scratch", results_dir=None)
    types = dict(ingest_con.execute("select settlement_id, settlement_type from staged.medical").fetchall())
    assert types == {"Y1": "正常", "Y2": "冲销"}


def test_the_unchanged_check_hashes_the_same_bytes_as_the_full_scan(tmp_path):
    from connectors.encoding import scan, sha256_of

    for name, data in {"utf8.csv": "姓名,身份证号\n张伟,1\n".encode(), "gbk.csv": "姓名\n王芳\n".encode("gb18030"),
                       "bom.csv": b"\xef\xbb\xbfa,b\n1,2\n", "empty.csv": b""}.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert sha256_of(path) == scan(path).sha256 == hashlib.sha256(data).hexdigest()
