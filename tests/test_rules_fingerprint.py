"""The evidence fingerprint: what the records say, in any order, and nothing about where or when they arrived.

Warnings already in a warehouse carry fingerprints made by the earlier formulation (every record unnested and
aggregated back per hit). A suppressed warning stays suppressed only while the fingerprint is the same, so the
current one-pass formulation must give the same digest, byte for byte, in the awkward cases too: record keys
that are prefixes of one another, records without a key, hits without records.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from hedui.rules.engine import _HITS_DDL, FINGERPRINT_OF_EVIDENCE

# the earlier formulation, kept here as the definition the stored fingerprints were made with
REFERENCE = """
select
    _hedui_rule_hits.subject_key,
    sha256(coalesce(
        string_agg(
            (record ->> 'source') || '|' || (record ->> 'record_key') || '|' || cast(record -> 'fields' as varchar),
            chr(10)
            order by (record ->> 'source'), (record ->> 'record_key'), cast(record -> 'fields' as varchar)
        ),
        ''
    )) as fingerprint
from _hedui_rule_hits
left join lateral (
    select unnest(cast(json_extract(_hedui_rule_hits.evidence, '$.records[*]') as json[])) as record
) as records on true
group by _hedui_rule_hits.subject_key
"""


def record(source, key, delivery="d1", row=1, **fields):
    return {"source": source, "delivery_id": delivery, "row_number": row, "record_key": key, "fields": fields}


HITS = {
    "prefix_keys": [record("housing", "A12", 面积=120.5), record("housing", "A1", 面积="98"),
                    record("housing", "A1|x", 面积=None)],
    "two_sources": [record("vehicle", "V2", 号牌号码="湘D3K7Q2"), record("housing", "H9", 坐落="常宁市宜阳街道1号"),
                    record("vehicle", "V10", 号牌号码="湘D7Z1Z1")],
    "same_key_two_versions": [record("medical", "M1", 个人自付=10), record("medical", "M1", 个人自付=9.5)],
    "record_without_key": [record("death", None, 死亡日期="2026-11-08"), record("death", "D1", 死亡日期="2026-11-09")],
    "nested_fields": [record("medical", "M2", 明细={"b": [1, 2], "a": "甲"})],
    "no_records": [],
}


@pytest.fixture
def con():
    connection = duckdb.connect(":memory:")
    connection.execute(_HITS_DDL)
    rows = [(code, code, json.dumps({"summary_zh": "…", "records": records}, ensure_ascii=False))
            for code, records in HITS.items()]
    rows.append(("records_missing", "records_missing", json.dumps({"summary_zh": "…"})))
    connection.executemany(
        "insert into _hedui_rule_hits (rule_code, subject_key, evidence) values (?, ?, ?)", rows
    )
    yield connection
    connection.close()


def fingerprints(con) -> dict[str, str]:
    return dict(con.execute(f"select subject_key, {FINGERPRINT_OF_EVIDENCE} from _hedui_rule_hits").fetchall())


def test_the_fingerprint_equals_the_earlier_formulation_in_awkward_cases(con):
    reference = dict(con.execute(REFERENCE).fetchall())
    assert fingerprints(con) == reference


def test_the_fingerprint_ignores_record_order_delivery_and_row(con):
    first = fingerprints(con)["two_sources"]
    shuffled = [record("housing", "H9", delivery="d7", row=40, 坐落="常宁市宜阳街道1号"),
                record("vehicle", "V10", delivery="d7", row=2, 号牌号码="湘D7Z1Z1"),
                record("vehicle", "V2", delivery="d8", row=1, 号牌号码="湘D3K7Q2")]
    con.execute("update _hedui_rule_hits set evidence = ? where subject_key = 'two_sources'",
                [json.dumps({"records": shuffled}, ensure_ascii=False)])
    assert fingerprints(con)["two_sources"] == first


def test_a_changed_field_value_changes_the_fingerprint(con):
    first = fingerprints(con)["nested_fields"]
    con.execute("update _hedui_rule_hits set evidence = ? where subject_key = 'nested_fields'",
                [json.dumps({"records": [record("medical", "M2", 明细={"b": [1, 3], "a": "甲"})]}, ensure_ascii=False)])
    assert fingerprints(con)["nested_fields"] != first


def test_hits_without_records_share_the_digest_of_nothing(con):
    result = fingerprints(con)
    empty = con.execute("select sha256('')").fetchone()[0]
    assert result["no_records"] == result["records_missing"] == empty
