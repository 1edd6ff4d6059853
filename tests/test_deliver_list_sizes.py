"""The lists' rows are sized and their evidence cut into records in SQL (`hedui/deliver/list_sizes.py`); a
caseworker must get the same workbooks as when the writer did it cell by cell in Python.

Two ways: the SQL pieces against the Python functions they replace, on arbitrary text (hypothesis: Chinese, wide
and narrow characters, control characters, line breaks, white space, 【); and whole lists, written by the writer and
by the reference (`tests/list_writer_before.py`, the writer as it was), compared part for part (every XML part of
every workbook: cell values and their formats, row heights, column widths, sheet names, protection, print setup,
validations, shared strings, styles) on the sample warehouse with awkward values and on a generated city.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hedui.deliver.evidence import detail_lines, install_deliver_macros
from hedui.deliver.list_sizes import PYTHON_WHITESPACE, evidence_entries_sql, size_parameters, wrapped_lines_sql
from hedui.deliver.lists import write_township_lists
from hedui.deliver.workbook import COLUMNS, DETAIL_COLUMNS, _lines, cell_text
from hedui.night import run_night
from hedui.synth import generate_city
from hedui.warehouse import open_readonly
from tests.conftest import SAMPLES_AS_OF
from tests.list_writer_before import write_lists_before
from tests.sample_warehouse import build_sample_warehouse

WIDTHS = sorted({width for _, width in COLUMNS + DETAIL_COLUMNS})

# Text as departments and the wording make it: Chinese, full-width punctuation, ASCII, Latin, astral characters
# (wide and not), the brackets that start a record, line breaks, carriage returns, control characters and
# non-characters, Python's white space.
_ALPHABET = st.sampled_from(
    list("核对张伟村社区（）【】，。：；０１ＡａabcXYZ019 -_/.,:;") + list(PYTHON_WHITESPACE)
    + ["\r", "\x00", "\x01", "\x1b", "\x7f", "\ufffe", "\uffff", "\u00e9", "\u0301", "😀", "\U00020001", "\u3000",
       "ｶ", "\u2e80", "\u303f", "\ua4d0", "\uffe6", "\uffe7", "\u1100", "\u115f", "\u1160"])
_TEXTS = st.lists(st.one_of(st.none(), st.text(_ALPHABET, max_size=300)), min_size=1, max_size=40)


@pytest.fixture(scope="module")
def con():
    return duckdb.connect()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=_TEXTS)
def test_sql_lines_and_records_are_those_the_python_gave(con, texts):
    sizes = ", ".join(f"{wrapped_lines_sql('t', width)} as lines_{width}" for width in WIDTHS)
    sql = (f"select t, {sizes}, {evidence_entries_sql('t')} as entries "
           "from unnest($texts) with ordinality as given(t, n) order by n")
    for text, *lines, entries in con.execute(sql, {**size_parameters(sql), "texts": texts}).fetchall():
        if text is None:
            assert lines == [None] * len(WIDTHS)
        else:
            assert lines == [_lines(cell_text(text), width) for width in WIDTHS], repr(text)
        assert entries == detail_lines(text), repr(text)


def test_the_white_space_left_out_of_the_records_is_pythons():
    assert PYTHON_WHITESPACE == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


def _parts(path: Path) -> dict[str, bytes]:
    """The workbook's parts, without docProps/core.xml (it holds the time the workbook was written)."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def _assert_same_workbooks(con, tmp_path: Path, as_of: dt.date) -> int:
    """Both writers' workbooks of every unit are the same, part for part; returns how many rows they hold."""
    written = write_township_lists(con, tmp_path / "now", as_of, workers=1)
    before = write_lists_before(con, tmp_path / "before", as_of)
    assert len(written) == len(before)
    for now_path, before_path in zip(written, before):
        now, then = _parts(now_path), _parts(before_path)
        assert list(now) == list(then), now_path.name
        for name in now:
            assert now[name] == then[name], (now_path.name, name)
    return con.execute("select count(*) from alerts.warnings where status = 'open'").fetchall()[0][0]


def test_the_sample_lists_with_awkward_values_are_the_same_workbooks(tmp_path):
    con = duckdb.connect()
    build_sample_warehouse(con)
    # values that wrap, break lines, hold control characters and white space, in every wrapping cell
    con.execute("update staged.households set village = ? where household_id = 'H001'",
                ["城关村\r\n第二组（长长长长长长长长长长长长长长长长的名字）"])
    con.execute("update staged.households set village = ? where household_id = 'H002'", ["\u3000 \t"])
    con.execute("update alerts.warnings set person_name = ?, title_zh = ? where warning_id = 'W-ASSET_VEHICLE-0001'",
                ["张\x01伟😀\U00020001", "名下有车辆\n（排量\ufffe超标）" * 4])
    # evidence whose fields hold line breaks (one starting with 【, read as a record of its own), carriage returns,
    # control characters and white space, and a record as long as a medical settlement's
    evidence = json.loads(con.execute("select evidence from alerts.warnings where warning_id = 'W-ASSET_VEHICLE-0007'"
                                      ).fetchone()[0])
    record = evidence["records"][0]
    evidence["summary_zh"] = "车辆\r\n湘D3K721\n\n" + "很长的说明，" * 30
    evidence["records"] = [
        {**record, "fields": {**record["fields"], "备注": "第一行\n【伪】第二行\r\n\x0b第三行"}},
        {**record, "row_number": 3, "fields": {"备注": " \u3000\n\t"}},
        {**record, "row_number": 4, "fields": {f"字段{i}": "值" * i for i in range(40)}},
    ]
    con.execute("update alerts.warnings set evidence = ? where warning_id = 'W-ASSET_VEHICLE-0007'",
                [json.dumps(evidence, ensure_ascii=False)])
    rows = _assert_same_workbooks(con, tmp_path, SAMPLES_AS_OF)
    assert rows > 0


@pytest.fixture(scope="module")
def city_warehouse(tmp_path_factory) -> Path:
    """A generated city after one night (no deliverables): a few hundred open warnings, medical ones citing dozens
    of settlements."""
    root = tmp_path_factory.mktemp("list_sizes_city")
    as_of = dt.date(2026, 11, 20)
    manifest = generate_city(root / "city", members=800, seed=5, as_of=as_of)
    run_night(manifest.landing, root / "hedui.duckdb", as_of, deliver=False)
    return root / "hedui.duckdb"


def test_a_generated_citys_lists_are_the_same_workbooks(city_warehouse, tmp_path):
    con = open_readonly(city_warehouse)
    try:
        as_of = con.execute("select max(as_of) from ledger.runs").fetchone()[0]
        rows = _assert_same_workbooks(con, tmp_path, as_of)
        records = con.execute("select max(len(line_keys)) from alerts.list_texts").fetchone()[0]
    finally:
        con.close()
    assert rows >= 100 and records >= 10  # a city's worth: many rows, evidence of many records


def test_a_generated_citys_lists_read_in_many_batches_are_the_same_workbooks(city_warehouse, tmp_path, monkeypatch):
    """The lists' rows are read in batches of list places sized by the memory limit (`lists._row_batches`): with a
    share of the limit that makes more batches than there are units, so that some unit's rows span batches, the
    workbooks are still the ones the query sorted whole wrote."""
    from hedui.deliver import lists
    from hedui.evidence_batches import memory_limit_bytes

    con = open_readonly(city_warehouse, memory_limit="100MB")
    try:
        as_of = con.execute("select max(as_of) from ledger.runs").fetchone()[0]
        install_deliver_macros(con)
        (evidence_bytes,) = con.execute(
            "select sum(strlen(cast(evidence as varchar))) from alerts.warnings where status = 'open'").fetchone()
        monkeypatch.setattr(lists, "LISTS_SHARE_OF_MEMORY_LIMIT", evidence_bytes / 40 / memory_limit_bytes(con))
        con.execute(lists._UNITS_SQL)
        units = con.execute("select count(*) from _list_units").fetchone()[0]
        batches = len(lists._row_batches(con))
        _assert_same_workbooks(con, tmp_path, as_of)
    finally:
        con.close()
    assert batches > units  # more batches than units: a batch starts inside some unit
