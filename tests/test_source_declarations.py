"""One declaration per source (`connectors/<source>.py`) is the only place its facts are written: every list that
names sources — the contract suites and the Data Docs, the rule catalog, the link and event sources, the labels,
the pseudonymous tables, the staged column comments — is derived from the declarations, and covers every staged
table of a real night."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from connectors import SOURCES
from connectors.link_sources import EVENT_SOURCES, LINK_SOURCES, DeclarationError, link_columns
from connectors.spec import Column, Source
from hedui.contracts import suites
from hedui.deliver.evidence import SOURCE_LABELS
from hedui.deliver.report import SECTION_COLUMNS, SOURCE_TITLES
from hedui.privacy.pseudonyms import PSEUDO_TABLES
from hedui.rules import catalog
from hedui.synth import city as synth_city
from hedui.synth import deliveries as synth_deliveries

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def staged_columns(samples_night) -> dict[str, list[str]]:
    """Every table of schema `staged` after the samples' first night, with its columns."""
    con = duckdb.connect(str(samples_night.warehouse), read_only=True)
    try:
        rows = con.execute("select table_name, column_name from duckdb_columns() "
                           "where schema_name = 'staged' order by table_name, column_index").fetchall()
    finally:
        con.close()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def test_the_staged_tables_of_a_night_are_exactly_the_declared_sources_and_their_event_stores(staged_columns):
    declared = {s.staged_table for s in SOURCES.values()} | {table for s in SOURCES.values()
                                                            for table in (s.events_table, s.superseded_table)
                                                            if table}
    assert {f"staged.{t}" for t in staged_columns} == declared


def test_every_staged_table_has_its_pseudonymous_table_label_suite_and_catalog_entry(staged_columns):
    staged = {t for t in staged_columns if f"staged.{t}" in {s.staged_table for s in SOURCES.values()}}
    assert staged == set(SOURCES)
    assert {t.source for t in PSEUDO_TABLES if t.source.startswith("staged.")} == {f"staged.{t}" for t in staged}
    assert set(SOURCE_LABELS) == staged and all(SOURCE_LABELS.values())
    assert set(suites.SOURCES) == staged
    assert set(catalog.SOURCES) == staged
    for source in staged:
        assert suites.load_suite_json(source)["meta"]["source"] == source


def test_every_staged_column_is_kept_hashed_or_dropped_by_its_pseudonymous_table(staged_columns):
    by_source = {t.source: t for t in PSEUDO_TABLES}
    for source in SOURCES.values():
        table = by_source[source.staged_table]
        read = {c for _, expr in table.columns for c in re.findall(r"\bs\.(\w+)", expr)}
        dropped = {d.split(" ")[0] for d in table.dropped}
        assert read | dropped == set(staged_columns[source.name]), source.name
        kept_as_is = {expr[len("s."):] for _, expr in table.columns if re.fullmatch(r"s\.\w+", expr)}
        assert not kept_as_is & dropped, source.name


def test_the_link_sources_are_the_declared_sources_with_a_name_and_an_id_except_the_member_spine(staged_columns):
    id_only = {link.link_source for s in SOURCES.values() for link in s.id_only_links}
    assert id_only == {"staff_roster_relative"}
    assert set(LINK_SOURCES) == {name for name, s in SOURCES.items() if s.linked} | id_only
    assert set(LINK_SOURCES) == set(SOURCES) - {"members"} | id_only
    for name, cols in LINK_SOURCES.items():
        present = set(staged_columns[cols.table.removeprefix("staged.")])
        assert {cols.name, cols.id_raw, cols.id_norm, cols.id_valid} <= present, name
    assert LINK_SOURCES["households"].id_norm == "head_id_norm"
    assert LINK_SOURCES["housing"].address == "address"
    # the staff roster's record is the staff member's; the declared relative is linked by the relative's ID only
    assert (LINK_SOURCES["staff_roster"].id_norm, LINK_SOURCES["staff_roster"].id_only) == ("staff_id_norm", False)
    relative = LINK_SOURCES["staff_roster_relative"]
    assert (relative.table, relative.name, relative.id_norm, relative.id_only) == (
        "staged.staff_roster", "relative_name_norm", "relative_id_norm", True)
    assert set(EVENT_SOURCES) == {n for n, s in SOURCES.items() if s.kind == "event"} >= {"medical", "death"}


def test_the_report_titles_its_department_tables_with_the_declared_labels():
    assert set(SOURCE_TITLES) == set(SECTION_COLUMNS)
    assert all(SOURCE_TITLES[s] == SOURCES[s].label for s in SOURCE_TITLES)


def test_a_linked_declaration_without_an_id_column_is_refused_by_name():
    toy = Source("toy", "玩具", "玩具（测试）", "snapshot", (Column("姓名", "person_name", "name"),))
    with pytest.raises(DeclarationError, match="toy"):
        link_columns(toy)


def test_the_synthetic_city_delivers_declared_sources_with_their_headers_and_kind():
    """The city stands for the departments, so it writes its own headers rather than reading the declarations
    (a declaration that lost an alias then fails on the city's deliveries); here they are held to them. A new
    source need not be in the city; the seven of the spec are. The city may leave out an optional column (a
    department of spec v1 sends no 城乡), never add one or reorder them."""
    assert {"households", "members", "housing", "vehicle", "medical", "disability", "death"} <= set(
        synth_city.MODULES) <= set(SOURCES)
    schedule = synth_deliveries.schedule(synth_deliveries.dt.date(2026, 11, 3))
    assert set(schedule) == set(synth_city.MODULES)
    for name in synth_city.MODULES:
        source = SOURCES[name]
        synth = {c.name: c for c in synth_city.MODULES[name].COLUMNS}
        assert list(synth) == [c.header for c in source.columns if c.required or c.header in synth], name
        for column in (c for c in source.columns if c.header in synth):
            # the connector may know more aliases than the city sends, never fewer
            assert set(synth[column.header].aliases) <= set(column.aliases), (name, column.header)
            assert synth[column.header].required == column.required, (name, column.header)
        events = {d.fate == synth_deliveries.EVENT for d in schedule[name] if d.fate != synth_deliveries.FUTURE}
        assert events == {source.kind == "event"}, name


# A toy source added to the declarations before anything derived is imported: every derived list takes it up,
# its suite is a real GX suite that rejects a bad value, and its pseudonymous table hashes and drops as declared.
_TOY_FLOW = r"""
import datetime as dt, json, sys, tempfile
from pathlib import Path
import duckdb
import connectors
from connectors.spec import Between, Column, Derived, Source

connectors.SOURCES["pension"] = Source(
    name="pension", title="养老金发放", label="养老金发放（人力资源和社会保障局）", kind="event",
    key=("payment_id",), link_address="address",
    columns=(
        Column("发放流水号", "payment_id", required=True, pseudonym="payment"),
        Column("姓名", "person_name", "name", required=True),
        Column("身份证号", "id", "id", required=True),
        Column("发放日期", "paid_on", "date", required=True, not_after_delivery=True),
        Column("发放金额", "amount", "amount", required=True),
        Column("发放状态", "status", values=("已发放", "已退回")),
        Column("居住地址", "address", personal=True),
    ),
    derived=(Derived("returned", "True when the payment came back"),),
    checks=(Between("amount", "not_negative", min_value=0),),
)

from connectors.comments import staged_column_comments
from connectors.link_sources import EVENT_SOURCES, LINK_SOURCES
from hedui.contracts import suites, validate_delivery
from hedui.contracts.authoring import write_all
from hedui.deliver.evidence import SOURCE_LABELS
from hedui.privacy.pseudonyms import PSEUDO_TABLES
from hedui.rules import catalog
import matching.link
from tests.contract_candidates import candidate_columns

out = {
    "suites": "pension" in suites.SOURCES, "catalog": "pension" in catalog.SOURCES,
    "label": SOURCE_LABELS.get("pension"), "event": "pension" in EVENT_SOURCES,
    "link": LINK_SOURCES["pension"].__dict__, "matching": "pension" in matching.link.SOURCES
    and "pension" in matching.link.EVENT_SOURCES,
    "pseudo": [[t.columns, t.dropped] for t in PSEUDO_TABLES if t.name == "pension"],
    "comments": sorted(staged_column_comments(connectors.SOURCES["pension"])),
}
with tempfile.TemporaryDirectory() as tmp:
    write_all(Path(tmp))
    cols = candidate_columns("pension")
    con = duckdb.connect()
    con.execute(f"create table cand ({', '.join(f'{n} {t}' for n, t in cols)})")
    good = dict(file="p.csv", row_number=1, payment_id="P1", src_payment_id="P1", person_name="王建国",
                src_person_name="王建国", id_raw="430482196203151313", id_norm="430482196203151313", id_valid=True,
                id_sci_notation=False, paid_on=dt.date(2026, 10, 1), src_paid_on="2026-10-01", amount=1200,
                src_amount="1200", status="已发放", src_status="已发放", address="某地", src_address="某地")
    bad = dict(good, row_number=2, status="发放中", src_status="发放中")
    con.executemany(f"insert into cand values ({', '.join('?' for _ in cols)})",
                    [[r.get(n) for n, _ in cols] for r in (good, bad)])
    result = validate_delivery(con, "pension", "cand", as_of=dt.date(2026, 11, 3), run_id="T",
                               delivery_id="pension/20261103", suites_dir=Path(tmp))
    out["failed"] = con.execute(f"select row_number, expectation, reason from {result.failed}").fetchall()
json.dump(out, sys.stdout, ensure_ascii=False)
"""


def test_a_toy_declaration_flows_into_every_derived_list_and_its_suite_validates():
    done = subprocess.run([sys.executable, "-c", _TOY_FLOW], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["suites"] and out["catalog"] and out["event"] and out["matching"]
    assert out["label"] == "养老金发放（人力资源和社会保障局）"
    assert out["link"] == {"table": "staged.pension", "name": "person_name_norm", "id_raw": "id_raw",
                           "id_norm": "id_norm", "id_valid": "id_valid", "address": "address", "id_only": False}
    [(columns, dropped)] = out["pseudo"]
    assert dict(columns) == {
        "record_pseudo": "H(record, s.record_key)", "payment_pseudo": "H(payment, s.payment_id)",
        "person_pseudo": "H(person, s.id_norm)", "id_valid": "s.id_valid", "paid_on": "s.paid_on",
        "amount": "s.amount", "status": "s.status", "returned": "s.returned", "delivery_id": "s.delivery_id",
        "delivery_date": "s.delivery_date"}
    assert set(dropped) == {"payment_id", "person_name", "person_name_norm", "id_raw", "id_norm", "address",
                            "record_key", "file", "row_number"}
    assert {"record_key", "returned", "id_norm", "person_name_norm", "paid_on"} <= set(out["comments"])
    [(row, expectation, reason)] = out["failed"]
    assert (row, expectation) == (2, "expect_column_values_to_be_in_set") and "发放状态" in reason


def test_each_staging_sql_builds_the_record_key_from_the_declared_key_columns():
    """`record_key` is computed by the staging SQL; its comment and the docs say what the declaration's `key`
    says, so the two must name the same columns."""
    for source in SOURCES.values():
        sql = (REPO / "connectors" / "sql" / f"{source.name}.sql").read_text(encoding="utf-8")
        code = "\n".join(line.split("--")[0] for line in sql.splitlines())
        expression = re.search(r",\s*([^,]*(?:\([^()]*\)[^,]*)*)\s+as\s+record_key", code, re.S)
        assert expression, source.name
        named = set(re.findall(r"\b([a-z_]+)\b(?!\s*\()", re.sub(r"'[^']*'", "", expression.group(1))))
        assert named == set(source.key), (source.name, named)
