"""Pseudonymous analyst tables (schema `pseudo`): the warehouse without names, and with every identifying key
replaced by a keyed hash.

A pseudonym is `HMAC-SHA256(key, "<kind>:<value>")`, as lower-case hex, truncated to `PSEUDONYM_HEX_CHARS`
characters. The kind (`person`, `household`, `record`, ...) separates the key spaces: a person's pseudonym never
equals the pseudonym of a record key that happens to hold the same text. The same ID gives the same pseudonym in
every `pseudo` table of a run, so the tables join as the originals do; a different key gives different
pseudonyms (rotating the key changes every pseudonym and nothing else).

The key never enters the warehouse: it is read from the environment (`HEDUI_PSEUDONYM_KEY`, or a file named by
`HEDUI_PSEUDONYM_KEY_FILE`) at run time, and the hashing runs inside DuckDB, set-based, as RFC 2104 HMAC over
DuckDB's built-in `sha256()` (DuckDB has no `hmac` function). The two key pads are bound as prepared-statement
parameters of the `create table ... as select` statements: parameters are not stored with a table, so nothing
derived from the key is persisted. Since pseudonyms cannot be computed without the key, `pseudo.*` are tables
materialised by each night (`refresh_pseudonymous_views`), not views.

Which columns are kept, hashed or dropped: `docs/personal-data.md` (generated from `PSEUDO_TABLES` below and
checked by `tests/test_privacy_pseudonyms.py`). The tables of the staged sources are derived from the sources'
declarations (`staged_pseudo_table`), so a new source gets its pseudonymous table without an edit here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connectors import SOURCES
from connectors.spec import Source

log = logging.getLogger("hedui.privacy")

KEY_ENV = "HEDUI_PSEUDONYM_KEY"
KEY_FILE_ENV = "HEDUI_PSEUDONYM_KEY_FILE"
MIN_KEY_BYTES = 16
PSEUDONYM_HEX_CHARS = 16  # 64 bits: for 10 million distinct values a collision has a probability of about 3e-6
SCHEMA = "pseudo"
_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104's B)


class PseudonymKeyError(ValueError):
    """The configured key cannot be used (unreadable file, too short, both variables set). Never holds key bytes."""


def load_pseudonym_key(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The pseudonym key from `HEDUI_PSEUDONYM_KEY` (its UTF-8 bytes) or the file `HEDUI_PSEUDONYM_KEY_FILE`
    (its bytes, surrounding whitespace removed); None when neither is set. Raises PseudonymKeyError for a key
    that is set but unusable."""
    env = os.environ if environ is None else environ
    text, file = env.get(KEY_ENV) or None, env.get(KEY_FILE_ENV) or None
    if text and file:
        raise PseudonymKeyError(f"both {KEY_ENV} and {KEY_FILE_ENV} are set; set only one")
    if text:
        key = text.strip().encode("utf-8")
        origin = KEY_ENV
    elif file:
        try:
            key = Path(file).read_bytes().strip()
        except OSError as exc:
            raise PseudonymKeyError(f"{KEY_FILE_ENV}: cannot read the key file ({exc.strerror or type(exc).__name__})"
                                    ) from None
        origin = KEY_FILE_ENV
    else:
        return None
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(f"{origin}: the key is shorter than {MIN_KEY_BYTES} bytes; generate one with "
                                "python -c 'import secrets; print(secrets.token_hex(32))'")
    return key


def pseudonym(key: bytes, kind: str, value: str | None) -> str | None:
    """The pseudonym of one value, in Python (what the SQL computes for a column; for the center, which holds
    the key, to find one person's rows in `pseudo`)."""
    if value is None:
        return None
    digest = hmac.new(key, f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX_CHARS]


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _h(kind: str, expr: str) -> str:
    """SQL: the pseudonym of `expr` (NULL stays NULL), with the pads bound as $ipad / $opad."""
    inner = f"sha256($ipad::blob || encode('{kind}:' || ({expr})::varchar))"
    return f"left(sha256($opad::blob || unhex({inner})), {PSEUDONYM_HEX_CHARS})"


@dataclass(frozen=True)
class PseudoTable:
    name: str
    source: str                      # the warehouse table it is built from
    columns: tuple[tuple[str, str], ...]  # (output column, SQL expression; `H(kind, expr)` marks a pseudonym)
    dropped: tuple[str, ...]         # source columns left out, for the documentation
    where: str = ""

    def select_sql(self) -> str:
        cols = ",\n       ".join(f"{_expand(expr)} as {name}" for name, expr in self.columns)
        return f"select {cols}\nfrom {self.source} s{(' where ' + self.where) if self.where else ''}"


def _expand(expr: str) -> str:
    if expr.startswith("H(") and expr.endswith(")"):
        kind, inner = expr[2:-1].split(",", 1)
        return _h(kind.strip(), inner.strip())
    return expr


def _stem(name: str, suffixes: tuple[str, ...]) -> str:
    return next((name[: -len(x)] for x in suffixes if name.endswith(x)), name)


def staged_pseudo_table(source: Source) -> PseudoTable:
    """The pseudonymous table of a staged source, from its declaration (`connectors/<source>.py`).

    Names, and personal values without a pseudonym kind (addresses), are dropped; an ID becomes a `person`
    pseudonym (`person_pseudo`; `head_pseudo` for the head's ID) beside its validity; a column with a pseudonym
    kind becomes a keyed hash of that kind (`unit_no` -> `unit_pseudo`); a date declared `year_only` keeps its
    year; the record key becomes `record_pseudo`; everything else, the columns the staging SQL adds, and the
    delivery are kept. `tests/test_source_declarations.py` checks that this accounts for every staged column."""
    columns: list[tuple[str, str]] = [("record_pseudo", "H(record, s.record_key)")]
    dropped: list[str] = []
    for c in source.columns:
        if c.type == "name":
            dropped += [c.name, f"{c.name}_norm"]
        elif c.type == "id":
            p = c.id_prefix
            person = "person_pseudo" if p == "id" else f"{_stem(p, ('_id',))}_pseudo"
            columns += [(person, f"H(person, s.{p}_norm)"), (f"{p}_valid", f"s.{p}_valid")]
            dropped += [f"{p}_raw", f"{p}_norm"]
        elif c.pseudonym:
            columns.append((f"{_stem(c.name, ('_no', '_id'))}_pseudo", f"H({c.pseudonym}, s.{c.name})"))
            dropped.append(c.name)
        elif c.year_only:
            year = f"{_stem(c.name, ('_date', '_on'))}_year"
            columns.append((year, f"year(s.{c.name})"))
            dropped.append(f"{c.name} (as {year})")
        elif c.is_personal:
            dropped.append(c.name)
        else:
            columns.append((c.name, f"s.{c.name}"))
    columns += [(d.name, f"s.{d.name}") for d in source.derived]
    columns += [("delivery_id", "s.delivery_id"), ("delivery_date", "s.delivery_date")]
    return PseudoTable(source.name, source.staged_table, tuple(columns),
                       tuple(dropped) + ("record_key", "file", "row_number"))


PSEUDO_TABLES: tuple[PseudoTable, ...] = (
    *(staged_pseudo_table(source) for source in SOURCES.values()),
    PseudoTable("links", "linked.links", (
        ("source", "s.source"), ("record_pseudo", "H(record, s.record_key)"),
        ("person_pseudo", "H(person, s.person_id)"), ("household_pseudo", "H(household, s.household_id)"),
        ("method", "s.method"), ("score", "s.score"), ("id_level", "s.id_level"), ("name_level", "s.name_level"),
        ("birth_level", "s.birth_level"), ("address_level", "s.address_level"), ("weights", "s.weights")),
        ("record_key", "person_id", "household_id")),
    PseudoTable("link_review", "linked.link_review", (
        ("source", "s.source"), ("record_pseudo", "H(record, s.record_key)"),
        ("person_pseudo", "H(person, s.person_id)"), ("household_pseudo", "H(household, s.household_id)"),
        ("method", "s.method"), ("score", "s.score"), ("id_level", "s.id_level"), ("name_level", "s.name_level"),
        ("birth_level", "s.birth_level"), ("address_level", "s.address_level"), ("weights", "s.weights"),
        ("reason", "s.reason")),
        ("record_key", "person_id", "household_id")),
    PseudoTable("warnings", "alerts.warnings", (
        ("warning_pseudo", "H(warning, s.warning_id)"), ("rule_code", "s.rule_code"), ("title_zh", "s.title_zh"),
        ("category", "s.category"), ("level", "s.level"), ("household_pseudo", "H(household, s.household_id)"),
        ("person_pseudo", "H(person, s.person_id)"), ("county", "s.county"), ("township", "s.township"),
        ("severity", "s.severity"), ("status", "s.status"), ("episode_seq", "s.episode_seq"),
        ("first_raised_on", "s.first_raised_on"), ("last_seen_on", "s.last_seen_on"), ("due_on", "s.due_on"),
        ("due_basis", "s.due_basis"), ("resolved_on", "s.resolved_on"), ("closed_on", "s.closed_on"),
        ("reopened_from_pseudo", "H(warning, s.reopened_from)"), ("raised_run_id", "s.raised_run_id"),
        ("updated_run_id", "s.updated_run_id")),
        ("warning_id", "household_id", "person_id", "person_name", "subject_key", "summary_zh", "evidence",
         "evidence_fingerprint", "closed_reason", "reopened_from")),
    PseudoTable("warning_events", "alerts.warning_events", (
        ("warning_pseudo", "H(warning, s.warning_id)"), ("run_id", "s.run_id"), ("as_of", "s.as_of"),
        ("event", "s.event"), ("status_after", "s.status_after"), ("recorded_at", "s.recorded_at")),
        ("warning_id", "detail")),
)


def pseudo_columns_markdown() -> str:
    """The table of `docs/personal-data.md` that lists every pseudo table: kept, hashed and dropped columns."""
    lines = ["| table | built from | pseudonyms (keyed hash) | kept as they are | dropped |",
             "| --- | --- | --- | --- | --- |"]
    for t in PSEUDO_TABLES:
        hashed = [f"`{name}`" for name, expr in t.columns if expr.startswith("H(")]
        kept = [f"`{name}`" for name, expr in t.columns if not expr.startswith("H(")]
        lines.append(f"| `{SCHEMA}.{t.name}` | `{t.source}` | {', '.join(hashed)} | {', '.join(kept)} | "
                     f"{', '.join(f'`{d}`' for d in t.dropped)} |")
    return "\n".join(lines) + "\n"


def _exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ? and not temporary",
        [schema, table]).fetchone()[0])


def build_pseudonymous_views(con: duckdb.DuckDBPyConnection, key: bytes) -> list[str]:
    """(Re)build every `pseudo.*` table from the warehouse on `con`, in one transaction; return their names.

    A source table the warehouse does not have yet (a first night whose source failed) gives no pseudo table.
    """
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(f"the key is shorter than {MIN_KEY_BYTES} bytes")
    ipad, opad = _pads(key)
    built: list[str] = []
    con.execute("begin transaction")
    try:
        con.execute(f"drop schema if exists {SCHEMA} cascade")
        con.execute(f"create schema {SCHEMA}")
        for table in PSEUDO_TABLES:
            if not _exists(con, table.source):
                continue
            con.execute(f"create table {SCHEMA}.{table.name} as\n{table.select_sql()}", {"ipad": ipad, "opad": opad})
            built.append(f"{SCHEMA}.{table.name}")
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
    return built


def drop_pseudonymous_views(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"drop schema if exists {SCHEMA} cascade")


def refresh_pseudonymous_views(con: duckdb.DuckDBPyConnection, environ: Mapping[str, str] | None = None) -> bool:
    """The night's step: build `pseudo.*` with the key from the environment. Without a usable key, drop any
    earlier `pseudo` tables (they would silently go stale), say so once, and return False: the night goes on."""
    try:
        key = load_pseudonym_key(environ)
    except PseudonymKeyError as exc:
        drop_pseudonymous_views(con)
        log.warning("pseudonymous tables not built: %s", exc)
        return False
    if key is None:
        drop_pseudonymous_views(con)
        log.warning("pseudonymous tables not built: no key (set %s or %s)", KEY_ENV, KEY_FILE_ENV)
        return False
    built = build_pseudonymous_views(con, key)
    log.info("pseudonymous tables built: %d", len(built))
    return True


def export_pseudonymous(warehouse: Path, dest: Path) -> list[str]:
    """Copy the `pseudo` tables of a published warehouse into a new DuckDB file `dest` (schema `main`).

    DuckDB has no per-schema permissions: an analyst who may see only pseudonyms gets this file, never the
    warehouse. Refuses to overwrite an existing `dest`."""
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} exists")
    con = duckdb.connect(str(dest))
    try:
        con.execute(f"attach '{_sql_text(Path(warehouse).resolve())}' as warehouse (read_only)")
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'warehouse' and schema_name = ? "
            "order by 1", [SCHEMA]).fetchall()]
        for table in tables:
            con.execute(f"create table main.{table} as select * from warehouse.{SCHEMA}.{table}")
        con.execute("detach warehouse")
    finally:
        con.close()
    return tables


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")
