"""Property-based hostile input for the CSV connectors: whatever bytes a department sends, the ingest never
raises, a broken delivery is rejected with a reason, and every row read is loaded or quarantined (with a
reason), never dropped or counted twice.

Each example runs a real ingest (encoding detection, DuckDB reader, Great Expectations validation: about
0.05 s for a rejection, 0.3-0.8 s for a delivery that loads), so example counts are kept small; set
HEDUI_HOSTILE_EXAMPLES to run more (for example 500 overnight).
"""

from __future__ import annotations

import codecs
import os

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.hostile_support import DEATH_HEADER, ingest_files, valid_id

EXAMPLES = int(os.environ.get("HEDUI_HOSTILE_EXAMPLES", "0")) or None


# Shrinking re-runs the ingest hundreds of times (minutes); the failing example is printed unshrunk unless
# HEDUI_HOSTILE_SHRINK=1.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if os.environ.get("HEDUI_HOSTILE_SHRINK") else [])


def bounded(n: int):
    # Not derandomized: each run draws new examples (CI prints its --hypothesis-seed to replay a failure).
    return settings(max_examples=EXAMPLES or n, deadline=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def to_csv(rows: list[list[str]], terminator: str = "\n") -> str:
    """RFC 4180 as senders' tools write it: a field is quoted when it holds a comma, a quote, CR or LF (Python's
    csv module only quotes the characters of its own line terminator, so a bare CR would go out unquoted), and
    a record of one empty field is written as `""` so that it is not a blank line."""
    def field(value: str) -> str:
        if any(c in value for c in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join((",".join(field(v) for v in row) if row != [""] else '""') + terminator for row in rows)


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
chinese_names = st.text(CJK, min_size=1, max_size=6)
# Birth dates: any real date up to the as-of date, so the 29th-31st, leap days and children born after 2019
# come up, with leap days and month ends drawn on purpose (a uniform draw rarely lands on them).
birth_dates = st.one_of(
    st.dates(min_value=__import__("datetime").date(1930, 1, 1), max_value=__import__("datetime").date(2026, 11, 3)),
    st.sampled_from([__import__("datetime").date(y, 2, 29) for y in (1932, 1960, 1996, 2000, 2020, 2024)]),
    st.sampled_from([__import__("datetime").date(y, m, 31) for y, m in ((1988, 1), (2019, 12), (2023, 8), (2026, 10))]),
)
ids = st.builds(
    lambda region, born, seq: valid_id(f"{region}{born:%Y%m%d}{seq:03d}"),
    st.sampled_from(["430482", "430421", "110101"]), birth_dates, st.integers(0, 999),
)
dates = st.dates(min_value=__import__("datetime").date(2020, 1, 1),
                 max_value=__import__("datetime").date(2026, 11, 3)).map(lambda d: d.isoformat())
# A valid death: the person's ID, a name, and a date of death on or after the birth in the ID (a death before
# the birth is quarantined, as test_hostile_values checks; these rows are meant to load).
valid_deaths = st.tuples(st.sampled_from(["430482", "430421", "110101"]), birth_dates, st.integers(0, 999)).flatmap(
    lambda p: st.tuples(
        st.just(valid_id(f"{p[0]}{p[1]:%Y%m%d}{p[2]:03d}")), chinese_names,
        st.dates(min_value=max(p[1], __import__("datetime").date(2020, 1, 1)),
                 max_value=__import__("datetime").date(2026, 11, 3)).map(lambda d: d.isoformat())))
death_rows = st.lists(valid_deaths, min_size=0, max_size=6, unique_by=lambda r: r[0])


def assert_rejected(result, *words: str) -> None:
    d = result.delivery
    assert d["status"] == "rejected", d
    assert any(w in d["reason"] for w in words), d["reason"]


# --- arbitrary bytes ------------------------------------------------------------------------------------

@given(content=st.one_of(
    st.binary(max_size=3000),
    # the right header, then anything: the part most likely to reach DuckDB's reader
    st.binary(max_size=3000).map(lambda b: (",".join(DEATH_HEADER) + "\n").encode("utf-8") + b),
    st.binary(max_size=3000).map(lambda b: (",".join(DEATH_HEADER) + "\n").encode("gb18030") + b),
), name=st.sampled_from(["d.csv", "d.xlsx"]))
@example(content=b"", name="d.csv")
@example(content=b"\x00" * 64, name="d.csv")
@example(content=b"PK\x03\x04" + b"\x00" * 40, name="d.xlsx")
@example(content=(",".join(DEATH_HEADER) + "\r").encode() + b"\r".join([b"1,2,3,4"] * 3), name="d.csv")
@example(content=(",".join(DEATH_HEADER) + "\n").encode("utf-16-le"), name="d.csv")
@bounded(45)
def test_arbitrary_bytes_never_crash_the_ingest_and_every_row_is_accounted_for(content, name):
    result = ingest_files({name: content}, as_read=True)  # raises nothing; accounting is asserted inside
    d = result.delivery
    assert d["status"] in ("loaded", "rejected"), d
    if d["status"] == "loaded":
        # each record read is either read into cells or quarantined for its structure, never both or neither
        structural = {q["row_number"] for q in result.quarantine if q["expectation"] == "row_structure"}
        assert not structural & {r["row_number"] for r in result.read}
        assert len(result.read) + len(structural) == d["rows_read"]
        assert len(result.staged) == d["rows_loaded"]
    else:
        assert result.read == [] and result.raw == [] and result.staged == []


# --- encodings of Chinese text --------------------------------------------------------------------------

@given(rows=death_rows, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
@bounded(25)
def test_chinese_text_in_every_supported_encoding_loads_every_row_unchanged(rows, encoding):
    content = to_csv([DEATH_HEADER[:3], *[list(r) for r in rows]]).encode(encoding)
    result = ingest_files({"d.csv": content})
    d = result.delivery
    assert d["status"] == "loaded", d
    assert (d["rows_read"], d["rows_loaded"], d["rows_quarantined"]) == (len(rows), len(rows), 0)
    assert sorted((r["id_norm"], r["person_name"], r["died_on"].isoformat()) for r in result.staged) == sorted(rows)


@given(rows=death_rows.filter(bool), latin=st.text(st.characters(min_codepoint=0xC0, max_codepoint=0xFF),
                                                   min_size=1, max_size=8))
@bounded(20)
def test_latin1_bytes_in_a_chinese_file_are_rejected_or_read_never_crash(rows, latin):
    """Latin-1 cannot encode Chinese; a sender's Latin-1 export of Chinese text arrives as Chinese headers in
    GB18030 with Latin-1 bytes in the values. Either it is not GB18030 (rejected, with the byte offset) or it
    happens to be (it loads, and its strange names are kept as delivered, every row accounted for)."""
    head = to_csv([DEATH_HEADER[:3]]).encode("gb18030")
    body = "".join(f"{i},{latin},{day}\n" for i, _, day in rows).encode("latin-1")
    result = ingest_files({"d.csv": head + body})
    d = result.delivery
    if d["status"] == "rejected":
        assert "not readable as UTF-8 or GB18030" in d["reason"] or "truncated" in d["reason"], d
    else:
        assert d["status"] == "loaded" and d["rows_read"] == len(rows), d


# --- headers: order, aliases, spelling, duplicates ------------------------------------------------------

ALIASES = {"公民身份号码": ["公民身份号码", "身份证号", " 身份证号 ", "身份证号\u3000"],
           "姓名": ["姓名", "姓 名", "\ufeff姓名"],
           "死亡日期": ["死亡日期", "死亡日期 "],
           "注销日期": ["注销日期", "注销日期\t"]}


@given(rows=death_rows.filter(bool), order=st.permutations(DEATH_HEADER), data=st.data(),
       extras=st.lists(st.sampled_from(["备注", "联系电话", "Unnamed: 5", ""]), max_size=3))
@bounded(25)
def test_any_header_order_alias_and_spelling_loads_the_same_values(rows, order, data, extras):
    header = [data.draw(st.sampled_from(ALIASES[h])) for h in order]
    def by_name(r):
        return {"公民身份号码": r[0], "姓名": r[1], "死亡日期": r[2], "注销日期": ""}

    header_out = header + [e for e in extras]
    body = [[by_name(r)[h] for h in order] + ["x"] * len(extras) for r in rows]
    result = ingest_files({"d.csv": to_csv([header_out, *body]).encode("gb18030")})
    d = result.delivery
    assert d["status"] == "loaded", d
    assert (d["rows_loaded"], d["rows_quarantined"]) == (len(rows), 0)
    assert sorted((r["id_norm"], r["person_name"], r["died_on"].isoformat()) for r in result.staged) == sorted(rows)


@given(rows=death_rows, twice=st.sampled_from([("公民身份号码", "身份证号"), ("姓名", "姓名"), ("死亡日期", "死亡日期 ")]),
       position=st.integers(0, 4))
@bounded(15)
def test_a_column_arriving_twice_rejects_the_delivery_naming_the_column(rows, twice, position):
    header = [h for h in DEATH_HEADER]
    header.insert(position, twice[1])
    if twice[0] != twice[1] and twice[0] not in header:
        header.append(twice[0])
    body = [list(r) + [""] * (len(header) - 3) for r in rows]
    result = ingest_files({"d.csv": to_csv([header, *body]).encode("utf-8")})
    assert_rejected(result, "appears twice")
    assert result.staged == [] and result.raw == []


# --- structure: stray delimiters and quotes, newlines, NULs, ragged rows, BOMs, long fields -------------

nasty_field = st.one_of(
    st.text(st.sampled_from(list('李王,"\n\r\x00\ufeff ;\t秀英') + ["a", "1"]), max_size=12),
    ids, chinese_names, dates,
)


@given(records=st.lists(st.lists(nasty_field, min_size=1, max_size=7), max_size=8),
       encoding=st.sampled_from(["utf-8", "gb18030"]), terminator=st.sampled_from(["\n", "\r\n"]))
@example(records=[["a\x00b", "x", "2026-01-01"]], encoding="utf-8", terminator="\n")
@example(records=[["\ufeff430482196508022424", "李", "2026-01-01", ""]], encoding="utf-8", terminator="\n")
@bounded(30)
def test_well_quoted_mess_reads_record_for_record_and_ragged_rows_are_quarantined(records, encoding, terminator):
    """Properly quoted CSV with commas, quotes, line breaks, NULs and BOMs inside fields, and rows of every
    length: each record is one row read; a record with the wrong number of fields is quarantined as
    `row_structure`; a record with four fields is read with its cells exactly as written."""
    content = to_csv([DEATH_HEADER, *records], terminator).encode(encoding)
    result = ingest_files({"d.csv": content}, as_read=True)
    d = result.delivery
    assert d["status"] == "loaded", d
    assert d["rows_read"] == len(records)
    structural = {q["row_number"] for q in result.quarantine if q["expectation"] == "row_structure"}
    assert structural == {i + 1 for i, r in enumerate(records) if len(r) != 4}
    assert all(q["reason"] for q in result.quarantine)
    four = {i + 1: r for i, r in enumerate(records) if len(r) == 4}
    raw = {r["row_number"]: [r["src_id"], r["src_person_name"], r["src_died_on"], r["src_deregistered_on"]]
           for r in result.read}
    assert set(raw) == set(four)
    for number, record in four.items():
        assert raw[number] == record, (number, raw[number], record)


@given(lines=st.lists(st.lists(st.sampled_from(list('4李,"\n\r\x00\ufeff') + ["2026-01-01", "430482196508022424", '""']),
                               max_size=16).map("".join), max_size=8))
@example(lines=['430482196508022424,"李秀英,2026-10-30,2026-11-02', "430482195007077158,张伟,2026-10-15,"])
@example(lines=['430482196508022424,李"秀"英,2026-10-30,'])
@bounded(30)
def test_stray_quotes_and_delimiters_never_crash_and_every_row_is_accounted_for(lines):
    """Unbalanced quotes and stray delimiters written by hand (not by a CSV writer): whatever the reader
    makes of them, the delivery loads or is rejected with a reason, and the counts add up."""
    content = (",".join(DEATH_HEADER) + "\n" + "\n".join(lines)).encode("utf-8")
    result = ingest_files({"d.csv": content})
    assert result.delivery["status"] in ("loaded", "rejected")


def test_empty_file_rejects_the_delivery():
    assert_rejected(ingest_files({"d.csv": b""}), "empty file")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", ""])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_a_file_of_only_a_header_loads_zero_rows(newline, encoding):
    d = ingest_files({"d.csv": (",".join(DEATH_HEADER) + newline).encode(encoding)}).delivery
    assert (d["status"], d["rows_read"], d["rows_loaded"], d["rows_quarantined"]) == ("loaded", 0, 0, 0)


def test_lines_ending_in_a_bare_carriage_return_are_read_as_records():
    rows = ["430482196508022424,李秀英,2026-10-30,2026-11-02", "430482195007077158,张伟,2026-10-15,"]
    d = ingest_files({"d.csv": "\r".join([",".join(DEATH_HEADER), *rows]).encode("gb18030")}).delivery
    assert (d["status"], d["rows_read"], d["rows_loaded"]) == ("loaded", 2, 2)


def test_utf16_without_a_bom_is_rejected_not_crashed():
    content = (",".join(DEATH_HEADER) + "\n430482196508022424,李秀英,2026-10-30,\n").encode("utf-16-le")
    result = ingest_files({"d.csv": content})
    assert_rejected(result, "required column", "cannot be read as CSV")


def test_a_bom_in_the_middle_of_a_file_quarantines_only_the_row_it_damages():
    content = codecs.BOM_UTF8 + (",".join(DEATH_HEADER) + "\n").encode() + codecs.BOM_UTF8 + \
        "430482196508022424,李秀英,2026-10-30,\n430482195007077158,张伟,2026-10-15,\n".encode()
    result = ingest_files({"d.csv": content})
    d = result.delivery
    assert (d["status"], d["rows_read"], d["rows_loaded"], d["rows_quarantined"]) == ("loaded", 2, 1, 1)
    (q,) = result.quarantine
    assert q["row_number"] == 1 and "公民身份号码" in q["reason"]


@pytest.mark.parametrize("where", ["name", "extra column"])
def test_a_one_megabyte_field_is_read_whole(where):
    big = "李" * (1 << 20)
    header = DEATH_HEADER + (["备注"] if where == "extra column" else [])
    row = ["430482196508022424", big if where == "name" else "李秀英", "2026-10-30", ""] + \
        ([big] if where == "extra column" else [])
    result = ingest_files({"d.csv": to_csv([header, row]).encode("utf-8")})
    d = result.delivery
    assert (d["status"], d["rows_read"], d["rows_loaded"]) == ("loaded", 1, 1)
    if where == "name":
        assert len(result.staged[0]["person_name"]) == 1 << 20
    else:
        assert len(result.raw[0]["extra"]) > 1 << 20


def test_a_header_fifty_thousand_columns_wide_is_rejected_not_run_out_of_memory():
    content = (",".join(DEATH_HEADER) + "," * 50_000 + "\n430482196508022424,李秀英,2026-10-30,\n").encode()
    assert_rejected(ingest_files({"d.csv": content}), "columns, more than")


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_file_cut_off_inside_a_character_is_rejected_as_truncated(encoding):
    text = ",".join(DEATH_HEADER) + "\n430482196508022424,李秀英,2026-10-30,\n430482195007077158,张伟,2026-10-15,\n"
    content = text.encode(encoding)
    cut = content.rfind("张".encode(encoding)) + 1
    assert_rejected(ingest_files({"d.csv": content[:cut]}), "truncated")


# --- the same properties on a source with amounts: medical -----------------------------------------------

MEDICAL_HEADER = ["结算流水号", "姓名", "身份证号", "医疗类别", "结算日期", "医疗总费用", "个人自付"]
amounts = st.one_of(st.decimals(-10_000, 100_000, places=2, allow_nan=False).map(str),
                    st.sampled_from(["", "1,234.50", "￥12", "12元", "1e3", "-0", "NaN", "∞", "１２３"]))


@given(rows=st.lists(st.tuples(st.text("0123456789Y", min_size=1, max_size=10), chinese_names, ids,
                               st.sampled_from(["普通门诊", "住院", "急诊", ""]), dates, amounts, amounts),
                     max_size=6),
       encoding=st.sampled_from(["utf-8", "gb18030"]))
@bounded(12)
def test_medical_rows_with_any_amounts_are_loaded_or_quarantined_with_a_reason(rows, encoding):
    result = ingest_files({"m.csv": to_csv([MEDICAL_HEADER, *[list(r) for r in rows]]).encode(encoding)},
                          source="medical", as_read=True)
    d = result.delivery
    assert d["status"] == "loaded", d
    assert d["rows_read"] == len(rows)
    # an amount loads as unknown (NULL) only when it was delivered empty, and then it is flagged; an amount
    # that does not parse never loads as unknown, it is quarantined
    raw = {r["row_number"]: r for r in result.read}
    unknown = {(f["row_number"], f["detail"].split(" ")[0]) for f in result.flags if f["flag"] == "amount_unknown"}
    for r in result.staged:
        for column, header in (("total_cost", "医疗总费用"), ("out_of_pocket", "个人自付")):
            if r[column] is None:
                assert raw[r["row_number"]][f"src_{column}"].strip() == "", (r, raw[r["row_number"]])
                assert (r["row_number"], header) in unknown
    for q in result.quarantine:
        assert q["reason"] and q["expectation"]


def test_a_character_right_after_a_closing_quote_rejects_the_delivery_without_quoting_the_line():
    """DuckDB's lenient reader splits a multi-byte character that follows a closing quote into invalid UTF-8
    and raises; that error rejects the delivery, not the whole source, and the reason keeps the line number
    but not the line (it holds names and IDs)."""
    content = (",".join(DEATH_HEADER) + '\n430482196508022424,"李"秀英,2026-10-30,\n').encode("utf-8")
    result = ingest_files({"d.csv": content})
    assert_rejected(result, "CSV reader refused the file at line")
    assert "430482196508022424" not in result.delivery["reason"] and "秀英" not in result.delivery["reason"]


def test_text_after_a_closing_quote_quarantines_that_row_and_keeps_the_others():
    """DuckDB's lenient reader reads `"李"abc` as `李ab` without a word; the row is quarantined instead, and
    the record numbers stay right after a quoted field that holds a newline."""
    content = (",".join(DEATH_HEADER) + '\n430482196508022424,"王\n五",2026-10-30,\n'
               '430482196508022424,"李"abc,2026-10-30,\n430482196508022424,"赵""六",2026-10-30,\n').encode("utf-8")
    result = ingest_files({"d.csv": content}, as_read=True)
    assert sorted(r["src_person_name"] for r in result.read) == ["王\n五", '赵"六']
    assert [(q["row_number"], q["expectation"]) for q in result.quarantine] == [(2, "row_structure")]
    assert "misquoted field" in result.quarantine[0]["reason"]
