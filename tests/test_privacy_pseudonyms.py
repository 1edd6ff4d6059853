"""The pseudonymous analyst tables (schema `pseudo`): joinable pseudonyms, no identities, no key in the warehouse."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import duckdb
import pytest

from hedui.privacy import (
    KEY_ENV, KEY_FILE_ENV, PSEUDO_TABLES, PseudonymKeyError, build_pseudonymous_views, export_pseudonymous,
    load_pseudonym_key, pseudonym, refresh_pseudonymous_views,
)
from hedui.privacy.pseudonyms import _pads
from tests.test_privacy_leaks import SAMPLE_IDS, SENSITIVE, leaks

KEY_A = b"test-key-A-0123456789abcdef"
KEY_B = b"test-key-B-0123456789abcdef"
WANG_JIANGUO = "430482196203151313"  # head of CN-S-0001: member, household head, housing, vehicle, medical


@pytest.fixture(scope="module")
def published(samples_night) -> Path:
    """The session's shared first night on the samples; every test copies it before writing."""
    return samples_night.warehouse


def _built(published: Path, folder: Path, key: bytes) -> Path:
    path = folder / "w.duckdb"
    shutil.copy(published, path)
    con = duckdb.connect(str(path))
    try:
        build_pseudonymous_views(con, key)
        con.execute("checkpoint")
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def with_key_a(published, tmp_path_factory) -> Path:
    return _built(published, tmp_path_factory.mktemp("a"), KEY_A)


def _all_cells(con, schema: str) -> str:
    parts = []
    for (table,) in con.execute("select table_name from duckdb_tables() where schema_name = ?", [schema]).fetchall():
        for row in con.execute(f"select * from {schema}.{table}").fetchall():
            parts.extend(str(v) for v in row if v is not None)
    return "\n".join(parts)


def test_sql_pseudonyms_equal_python_hmac_sha256(with_key_a):
    con = duckdb.connect(str(with_key_a), read_only=True)
    members = con.execute("select person_pseudo from pseudo.members").fetchall()
    ids = con.execute("select id_norm from staged.members").fetchall()
    assert sorted(p for (p,) in members) == sorted(pseudonym(KEY_A, "person", i) for (i,) in ids)
    assert all(len(p) == 16 and int(p, 16) >= 0 for (p,) in members)


def test_the_same_id_has_the_same_pseudonym_in_every_table(with_key_a):
    con = duckdb.connect(str(with_key_a), read_only=True)
    expected = pseudonym(KEY_A, "person", WANG_JIANGUO)
    for table, column in [("members", "person_pseudo"), ("households", "head_pseudo"), ("links", "person_pseudo"),
                          ("housing", "person_pseudo"), ("vehicle", "person_pseudo"), ("medical", "person_pseudo"),
                          ("warnings", "person_pseudo")]:
        assert con.execute(f"select count(*) from pseudo.{table} where {column} = ?", [expected]).fetchone()[0] > 0, table


def test_pseudo_tables_join_as_the_originals_do(with_key_a):
    con = duckdb.connect(str(with_key_a), read_only=True)
    original = con.execute("""
        select l.source, m.sex, count(*) from linked.links l
        join staged.members m on m.id_norm = l.person_id and m.household_id = l.household_id
        join staged.households h on h.household_id = l.household_id
        group by all order by all""").fetchall()
    pseudo = con.execute("""
        select l.source, m.sex, count(*) from pseudo.links l
        join pseudo.members m on m.person_pseudo = l.person_pseudo and m.household_pseudo = l.household_pseudo
        join pseudo.households h on h.household_pseudo = l.household_pseudo
        group by all order by all""").fetchall()
    assert original and pseudo == original
    assert con.execute("""
        select count(*) from pseudo.links l join pseudo.medical m on l.source = 'medical'
        and m.record_pseudo = l.record_pseudo""").fetchone()[0] == con.execute(
        "select count(*) from linked.links where source = 'medical'").fetchone()[0]


def test_different_keys_give_different_pseudonyms(published, with_key_a, tmp_path):
    with_key_b = _built(published, tmp_path, KEY_B)
    a = duckdb.connect(str(with_key_a), read_only=True)
    b = duckdb.connect(str(with_key_b), read_only=True)
    pa = {p for (p,) in a.execute("select person_pseudo from pseudo.members").fetchall()}
    pb = {p for (p,) in b.execute("select person_pseudo from pseudo.members").fetchall()}
    assert len(pa) == len(pb) == 7 and not pa & pb
    # everything else is unchanged by the key
    drop = ("record_pseudo", "person_pseudo", "household_pseudo")
    rest = "select * exclude (" + ", ".join(drop) + ") from pseudo.members order by all"
    assert a.execute(rest).description and not [d for d in a.execute(rest).description if d[0].endswith("_pseudo")]
    assert a.execute(rest).fetchall() == b.execute(rest).fetchall()


def test_no_full_id_or_name_in_any_pseudo_table(with_key_a):
    con = duckdb.connect(str(with_key_a), read_only=True)
    text = _all_cells(con, "pseudo")
    assert WANG_JIANGUO in _all_cells(con, "staged")  # the scan does see IDs where they are
    assert text and leaks(text, SENSITIVE) == []
    assert con.execute("select count(*) from duckdb_tables() where schema_name = 'pseudo'").fetchone()[0] == len(
        PSEUDO_TABLES)


def test_pseudo_tables_have_no_identifying_column(with_key_a):
    con = duckdb.connect(str(with_key_a), read_only=True)
    columns = {c for (c,) in con.execute("select column_name from duckdb_columns() where schema_name = 'pseudo'")
               .fetchall()}
    forbidden = {"person_id", "id_norm", "id_raw", "person_name", "person_name_norm", "head_name", "head_id_norm",
                 "household_id", "record_key", "cert_no", "unit_no", "plate", "address", "registered_address",
                 "evidence", "birth_date", "settlement_id", "warning_id", "summary_zh", "file", "row_number"}
    assert not columns & forbidden


def test_no_key_material_is_stored_in_the_warehouse(with_key_a):
    ipad, opad = _pads(KEY_A)
    secrets_ = [KEY_A, KEY_A.hex().encode(), ipad, opad, ipad.hex().encode(), opad.hex().encode()]
    con = duckdb.connect(str(with_key_a), read_only=True)
    texts = []
    for schema, table, column in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where data_type in ('VARCHAR', 'JSON', 'BLOB') and not internal and database_name = current_database()"
    ).fetchall():
        texts += [str(v) for (v,) in con.execute(f'select "{column}" from "{schema}"."{table}"').fetchall() if v]
    for meta in ("select value from duckdb_settings()", "select comment from duckdb_tables()",
                 "select comment from duckdb_columns()", "select sql from duckdb_views()",
                 "select sql from duckdb_tables()", "select macro_definition from duckdb_functions()",
                 "select comment from duckdb_schemas()"):
        texts += [str(v) for (v,) in con.execute(meta).fetchall() if v]
    con.close()
    joined = "\n".join(texts).encode("utf-8", "surrogatepass")
    assert texts and not [s for s in secrets_ if s in joined or s.lower() in joined.lower()]
    raw = with_key_a.read_bytes()
    assert not [s for s in secrets_ if s in raw]


def test_a_run_without_key_builds_nothing_says_so_once_and_drops_stale_tables(with_key_a, tmp_path, caplog):
    path = tmp_path / "w.duckdb"
    shutil.copy(with_key_a, path)
    con = duckdb.connect(str(path))
    caplog.set_level(logging.INFO, logger="hedui.privacy")
    assert refresh_pseudonymous_views(con, environ={}) is False
    assert con.execute("select count(*) from duckdb_tables() where schema_name = 'pseudo'").fetchone()[0] == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "hedui.privacy"]
    assert len(messages) == 1 and KEY_ENV in messages[0]


def test_a_run_with_a_key_file_builds_the_tables(published, tmp_path):
    key_file = tmp_path / "pseudonym.key"
    key_file.write_bytes(KEY_A + b"\n")
    path = tmp_path / "w.duckdb"
    shutil.copy(published, path)
    con = duckdb.connect(str(path))
    assert refresh_pseudonymous_views(con, environ={KEY_FILE_ENV: str(key_file)}) is True
    assert con.execute("select person_pseudo from pseudo.members where person_pseudo = ?",
                       [pseudonym(KEY_A, "person", WANG_JIANGUO)]).fetchall()


@pytest.mark.parametrize("environ", [
    {KEY_ENV: "tiny-k3y"},
    {KEY_ENV: KEY_A.decode(), KEY_FILE_ENV: "/somewhere/key"},
    {KEY_FILE_ENV: "/nonexistent/hedui-pseudonym.key"},
], ids=["too-short", "both-set", "missing-file"])
def test_an_unusable_key_is_refused_without_showing_it(environ):
    with pytest.raises(PseudonymKeyError) as caught:
        load_pseudonym_key(environ)
    message = str(caught.value)
    assert message and KEY_A.decode() not in message and "tiny-k3y" not in message


def test_an_unusable_key_does_not_fail_the_night_step(published, tmp_path, caplog):
    path = tmp_path / "w.duckdb"
    shutil.copy(published, path)
    con = duckdb.connect(str(path))
    caplog.set_level(logging.WARNING, logger="hedui.privacy")
    assert refresh_pseudonymous_views(con, environ={KEY_ENV: "too-short"}) is False
    assert "too-short" not in caplog.text and "shorter than" in caplog.text


def test_export_holds_only_the_pseudo_tables(with_key_a, tmp_path):
    dest = tmp_path / "pseudo.duckdb"
    tables = export_pseudonymous(with_key_a, dest)
    con = duckdb.connect(str(dest), read_only=True)
    assert sorted(t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()) == sorted(tables)
    assert {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()} == {"main"}
    assert len(tables) == len(PSEUDO_TABLES)
    assert leaks(_all_cells(con, "main")) == [] and not [i for i in SAMPLE_IDS if i.encode() in dest.read_bytes()]


def test_personal_data_doc_lists_every_pseudo_table_and_column():
    from hedui.privacy.pseudonyms import pseudo_columns_markdown

    doc = (Path(__file__).resolve().parents[1] / "docs" / "personal-data.md").read_text(encoding="utf-8")
    assert pseudo_columns_markdown() in doc
