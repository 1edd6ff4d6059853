"""Which rules keep last night's hits tonight without being evaluated again.

A rule is a query: its hits are a function of the tables it reads, of its definition (its SQL, its bound
parameters and income settings, the shared macros it calls, the engine's evidence and fingerprint statements)
and, for some rules, of the as-of date. When none of these changed since the rule's last evaluation, evaluating
it again gives exactly the hits it gave then, and the lifecycle would only move its open warnings' last-seen
date (issue 13: the typical night must cost a tenth of a full run, and most rules read nothing the night
changed). So each night the engine computes, per rule, a key over all of that (`rule_key`) and keeps it in
`alerts.rule_evaluations`; a rule whose key is the one kept is *carried*: not evaluated, its open warnings still
open, last seen tonight (`hedui.rules.lifecycle`).

What goes into the key:
- the rule's definition: the text of its SQL, its parameters and income settings as the policy binds them,
  the shared definitions and the income model's SQL, and the engine's statements that turn rows into evidence;
- its data: for each table the rule reads (`staged.<source>` of each source it declares, `linked.links` of
  those sources, the income model's sources when it reads `income.*`), the table's columns and an
  order-independent digest of its rows; the reviewers' confirmed links (`linked.review_links`), which the
  engine writes into the evidence;
- the as-of date at the rule's grain (`as_of_grain` in the rule file): the month (the income window), or nothing
  for a rule that neither binds `$as_of` nor reads the income model. A rule whose hits move with the day (the
  default for a rule that uses the as-of date: a window of days, an age, the date in its sentence) is evaluated
  every night and gets no key: computing one would cost the digests of what it reads for nothing.

A rule with a window (`window:` in its file, `hedui.rules.window_scope`) moves with the day, but only at the
window's edges: its key leaves out the as-of date and the records of its window source and their links, which
`alerts.window_records` keeps instead, record by record. When its key is the one kept, it is evaluated only for
the households whose records changed or crossed the window's edges since its last evaluation (*scoped*), and
the others keep their hits as a carried rule's do.

A rule is never carried when it reads a table outside that list (the key would not cover it), on a
`full_recompute` night, or when the previous night left it in a state that tonight's evaluation could change
without any input changing: a warning held or a hit deferred because a source had a problem (then a healthy
night resolves or raises it), or the rule skipped. Then it is evaluated, as every rule is on a full run.

Why carrying gives the warehouse a full evaluation gives: after a night's lifecycle, every subject the rule
held for has its latest episode open with that night's evidence, or closed by a caseworker with its fingerprint
(suppressed); and every open warning of the rule is one of its hits (none held). Caseworkers only close
warnings. So with the same hits tonight, the lifecycle's only change is `still_open`: last seen tonight. That
is what a carried rule gets (`tests/test_rule_carry.py` compares both warehouses for the kinds of nights).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from connectors.sql_text import sql_identifier
from hedui.rules.catalog import INCOME_MODEL_TABLES, Rule
from hedui.warehouse.schema import table_exists

# Bump when the engine's handling of a rule's rows changes in a way its statements' text does not show: every
# rule is then evaluated again on the next night.
CARRY_VERSION = 2

# Each row is hashed once, over its columns (a variadic hash: no struct built per row), and the digest is the
# count, the sum and the XOR of a salted hash of those hashes, order-independent. Hashing every row twice, as
# a struct, took 2.5 s of the default bench city's typical night for the snapshots the keys cover; this, 1.3 s.
# (The digests changed with it: every rule is evaluated whole once, on the first night after the change.)
_ROWS_DIGEST = """
select
    count(*),
    coalesce(sum(cast(row_hash as hugeint)), 0),
    coalesce(bit_xor(hash(row_hash, 'hedui')), 0)
from (
    select hash({columns}) as row_hash
    from {table}
)
"""

_LINKS_DIGEST = """
select
    source,
    count(*),
    coalesce(sum(cast(hash(links) as hugeint)), 0),
    coalesce(bit_xor(hash(links, 'hedui')), 0)
from linked.links as links
where source in (select unnest($sources))
group by source
"""

# A table's columns: with their types (what a key covers) and by name (what the digest hashes)
_COLUMNS = """
select
    list(column_name || ' ' || data_type order by column_index),
    list(column_name order by column_index)
from duckdb_columns()
where database_name = current_database() and schema_name = ? and table_name = ?
"""


@dataclass(frozen=True)
class CarryDecision:
    """Per rule: its key tonight, and whether it keeps last night's hits (carried) or why not; for a rule with a
    window, `scoped_since` is the as-of date of its last evaluation when it may be evaluated for the households
    whose records changed or crossed the window's edges since (hedui.rules.window_scope)."""

    key: str | None
    carried: bool
    reason: str
    scoped_since: dt.date | None = None


class InputDigests:
    """Digests of the tables rules read, each computed at most once a night; `sources` are every source whose
    links a key may need (their links are digested in one pass over linked.links)."""

    def __init__(self, con, sources) -> None:
        self._con = con
        self._sources = sorted(set(sources))
        self._tables: dict[str, str] = {}
        self._links: dict[str, str] | None = None

    def table(self, qualified: str) -> str:
        if qualified not in self._tables:
            if not table_exists(self._con, qualified):
                self._tables[qualified] = "absent"
            else:
                schema, name = qualified.split(".", 1)
                columns, names = self._con.execute(_COLUMNS, [schema, name]).fetchone()
                rows = self._con.execute(_ROWS_DIGEST.format(
                    table=qualified, columns=", ".join(sql_identifier(column) for column in names))).fetchone()
                self._tables[qualified] = json.dumps([columns, [str(value) for value in rows]])
        return self._tables[qualified]

    def links(self, source: str) -> str:
        if self._links is None:
            self._links = {}
            if table_exists(self._con, "linked.links"):
                columns, _ = self._con.execute(_COLUMNS, ["linked", "links"]).fetchone()
                for row in self._con.execute(_LINKS_DIGEST, {"sources": self._sources}).fetchall():
                    self._links[row[0]] = json.dumps([columns, [str(value) for value in row[1:]]])
        return self._links.get(source, "none")


def carry_blocker(rule: Rule) -> str | None:
    """Why the key cannot cover what `rule` reads (it names a table outside its sources, their links and the
    income model), or None."""
    if re.search(r"\bquery_table\s*\(", rule.sql, re.IGNORECASE):
        return "reads a table named at run time (query_table)"
    allowed = {f"staged.{source}" for source in key_sources(rule)} | {"linked.links", *INCOME_MODEL_TABLES}
    unknown = sorted(set(rule.tables_read) - allowed)
    return f"reads {', '.join(unknown)}" if unknown else None


def as_of_part(rule: Rule, as_of: dt.date) -> str:
    """The as-of date as far as the rule's hits depend on it, beyond what a window's records say (a rule with a
    window is scoped to the records that crossed its edges: hedui.rules.window_scope)."""
    if rule.window is not None:
        return ""
    if rule.as_of_grain == "day":
        return as_of.isoformat()
    if rule.as_of_grain == "month":
        return as_of.strftime("%Y-%m")
    return ""


# the tables the shared definitions read (active_households_of, active_members_of), whatever a rule declares
SHARED_DEFINITION_SOURCES = ("households", "members")


def key_sources(rule: Rule) -> tuple[str, ...]:
    """The sources whose staged table and links a rule's key covers: its own, those of the shared definitions,
    and the income model's when it reads `income.*`."""
    return tuple(sorted(set(rule.sources) | set(SHARED_DEFINITION_SOURCES)
                        | (set(_model_sources()) if rule.reads_income_model else set())))


def rule_key(rule: Rule, bound: dict[str, Any], as_of: dt.date, digests: InputDigests, *,
             definitions: str, income_definition: str | None) -> str:
    """sha256 over what the rule's hits are a function of (the module docstring): `bound` are its parameters and
    income settings as the engine binds them, `definitions` the text of the shared macros and the engine's
    statements, `income_definition` the model's SQL and parameters (None when the rule does not read it)."""
    sources = key_sources(rule)
    # a window's records and their links are compared record by record (alerts.window_records), not digested
    windowed = {rule.window.source} if rule.window is not None else set()
    payload = {
        "version": CARRY_VERSION,
        "sql": rule.sql,
        "bound": bound,
        "definitions": definitions,
        "income": income_definition if rule.reads_income_model else None,
        "as_of": as_of_part(rule, as_of),
        "staged": {source: "window records" if source in windowed else digests.table(f"staged.{source}")
                   for source in sources},
        "links": {source: "window records" if source in windowed else digests.links(source) for source in sources},
        "review_links": digests.table("linked.review_links"),
        "window": _window_part(rule),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _window_part(rule: Rule) -> Any:
    from dataclasses import asdict

    from hedui.rules.window_scope import RECORDS_VERSION

    return None if rule.window is None else {"window": asdict(rule.window), "records_version": RECORDS_VERSION}


def digested_sources(rule: Rule) -> set[str]:
    """The sources whose staged table and links the rule's key digests (its window's source aside)."""
    return set(key_sources(rule)) - ({rule.window.source} if rule.window is not None else set())


def _model_sources() -> tuple[str, ...]:
    from hedui.income.model import MODEL_SOURCES

    return MODEL_SOURCES


def previous_state(con) -> tuple[dict[str, tuple[str, dt.date]], dict[str, Any] | None]:
    """The keys kept by the last night (rule code to key and the as-of date it was kept on), and that night's
    rule statistics (None before any)."""
    keys = {code: (key, as_of) for code, key, as_of in con.execute(
        "select rule_code, inputs_key, as_of from alerts.rule_evaluations").fetchall()} \
        if table_exists(con, "alerts.rule_evaluations") else {}
    row = con.execute(
        "select stats from alerts.rule_runs order by as_of desc, run_id desc limit 1"
    ).fetchone() if table_exists(con, "alerts.rule_runs") else None
    return keys, (json.loads(row[0]) if row and row[0] else None)


def decide(rule: Rule, key: str | None, previous_keys: dict[str, str | tuple[str, dt.date]],
           previous_stats: dict[str, Any] | None, *, full_recompute: bool) -> CarryDecision:
    """Whether `rule` keeps last night's hits tonight (the module docstring says when), or for a rule with a
    window whether it may be scoped; `key` is None for a rule whose hits move with the day. `previous_keys` are
    the kept keys, each with the as-of date it was kept on (`previous_state`), or the keys alone."""
    if rule.as_of_grain == "day" and rule.window is None:
        return CarryDecision(None, False, "its hits move with the as-of date (as_of_grain day)")
    blocker = carry_blocker(rule)
    if blocker:
        return CarryDecision(key, False, blocker)
    if full_recompute:
        return CarryDecision(key, False, "full recompute")
    previous = previous_keys.get(rule.code)
    previous_key, previous_as_of = previous if isinstance(previous, tuple) else (previous, None)
    if previous_key != key:
        return CarryDecision(key, False, "inputs, definition or as-of date changed" if rule.code in previous_keys
                             else "not evaluated before")
    counts = ((previous_stats or {}).get("per_rule") or {}).get(rule.code)
    if counts is None or rule.code in ((previous_stats or {}).get("skipped_rules") or {}):
        return CarryDecision(key, False, "not evaluated last night")
    if counts.get("held") or counts.get("deferred"):
        return CarryDecision(key, False, "warnings held or hits deferred last night")
    if rule.window is not None:
        if previous_as_of is None:
            return CarryDecision(key, False, "the as-of date of its last evaluation is not known")
        return CarryDecision(key, False, "scoped", scoped_since=previous_as_of)
    return CarryDecision(key, True, "unchanged")


def remember(con, keys: dict[str, str], as_of: dt.date) -> None:
    """Keep tonight's keys: of every rule evaluated or carried tonight but those whose hits move with the day;
    a rule skipped tonight has none."""
    con.execute("delete from alerts.rule_evaluations")
    if keys:  # none when every rule with a key was skipped (its sources never delivered)
        con.executemany("insert into alerts.rule_evaluations (rule_code, inputs_key, as_of) values (?, ?, ?)",
                        [(code, key, as_of) for code, key in sorted(keys.items())])
