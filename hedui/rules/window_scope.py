"""Evaluate a windowed rule only for the households whose hits can have changed since its last evaluation.

HARDSHIP_MEDICAL and HARDSHIP_MAJOR_ILLNESS count each household's settlements of the 365 days ending on the
as-of date: their hits move with the day, so the rule carry (`hedui.rules.rule_inputs`) never keeps them, and each
night evaluated them for every household, though a typical night brings one week of settlements for a few
thousand households (issue 13: the typical night must cost a tenth of a full run).

A rule file declares its window (`window:`, `hedui.rules.catalog.Window`): the source, the date column, the length
parameter, and how a reversal names the record it reverses. Then a household's hits can differ between the last
evaluation (as-of d0) and tonight (d1) only when

1. something the rule reads for it changed: a household or member (the households and members snapshots), a
   definition or parameter, a reviewer's link (the rule's key, `rule_inputs.rule_key`, covers all of these; the
   window's records and their links aside), or one of its records or links (`alerts.window_records`, below);
2. a record crosses the window's edges: a record dated in [d0 - W + 1, d1 - W] leaves it, one dated in
   (d0, d1] enters it (a record dated in the future enters on its day);
3. a reversal starts to count (dated in (d0, d1]) or changed: it acts on the households of the records it
   reverses, whoever the reversal itself is linked to (often nobody).

So when the key is the one kept at the last evaluation, the rule is evaluated only for the households of (1) to
(3), the *scope*: the shared definitions `active_households_of`/`active_members_of` see only them
(`hedui.rules.shared_definitions`), and the lifecycle treats the rule as evaluated for them and carried for the
others: their open warnings still open, last seen tonight, nothing resolved outside the scope
(`hedui.rules.lifecycle`). When the key differs (a snapshot, a parameter, a definition, a reviewer's link), the
rule is evaluated for every household, as on a full run.

The records (1) compares are those the rule can read: every record of the source that is linked (once per link)
and every reversal, each with a hash over the columns of the record that the window's rules name, and over its
link. A column no rule with that window names cannot change its hits (`columns_read`: every column, when a rule
could read one without naming it). They are kept per rule
in `alerts.window_records` at each evaluation, scoped or not; tonight's are compared with them (EXCEPT both
ways). Comparing record by record rather than a digest of the table is what makes the scope work on a real week:
a weekly medical delivery resends a few hundred settlements of the week before (each a newer version of its
record, replacing the older), and a delivery corrected, a record relinked or a reversal arriving all show as the
records that changed, with the households on both sides (before and after), instead of forcing every household
to be evaluated.

The rows those records come from (the linked records and the reversals, with the columns the rules name) are a
tenth of the medical table: built once a night, the window's rules read them instead of `staged.<source>`
(`on_window_rows`), which is what their header promises they read. Without that, each rule scanned the year of
the city's settlements whatever its scope, and the comparison's own scan cost what the scope saved.

Why the scoped night leaves the warehouse a full evaluation leaves: a household outside the scope has the same
members, the same records and links, the same reversals acting on them and no record crossing an edge, so the
rule's rows for it are the ones of its last evaluation; the evidence holds the records and thresholds, not the
date (the rules state their window by its length). After that evaluation's lifecycle, each such hit's warning is
open with that evidence or closed by a caseworker with its fingerprint, and every open warning of the rule is
a hit (a night that left warnings held or hits deferred is followed by a full evaluation). The lifecycle's only
change for them is then `still_open`. `tests/test_rule_scope.py` compares both warehouses for each kind of night.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass

from connectors.sql_text import sql_identifier
from hedui.rules.catalog import Rule, Window

# Bump when what the records' hash covers changes: every windowed rule is then evaluated whole once.
RECORDS_VERSION = 2

_COLUMNS = """
select list(column_name order by column_index)
from duckdb_columns()
where database_name = current_database() and schema_name = ? and table_name = ?
"""

# The rows of the window's source its rules can read: the linked records and the reversals, with the columns the
# rules read (`columns_read`). A tenth of the medical table: the rules read it instead (`on_window_rows`).
_WINDOW_ROWS = """
create or replace {kind} {rows} as
select {record_columns}
from staged.{source}
where record_key in (select record_key from linked.links where source = $source)
    or {reversal}
"""

# The records of the window's source the rule can read, each linked record once per link and every reversal
# (linked or not), with a hash over the columns of the record its rules read (`columns_read`) and of its link. Identical rows (a link repeated)
# are one row whose hash counts them: a repeat appearing is a change.
_CURRENT_RECORDS = """
create or replace {kind} {table} as
with

records as (
    select
        record_key,
        hash({record_columns}) as row_hash,
        {date_column} as record_date,
        {reversal} as reversal,
        {reaches} as reaches
    from {rows}
),

links as (
    select
        record_key,
        household_id,
        hash({link_columns}) as link_hash
    from linked.links
    where source = $source
)

select
    records.record_key,
    links.household_id,
    hash(records.row_hash, links.link_hash, count(*)) as record_hash,
    records.reversal,
    records.reaches,
    records.record_date
from records
left join links
    on records.record_key = links.record_key
where links.record_key is not null
    or records.reversal
group by
    records.record_key,
    links.household_id,
    records.row_hash,
    links.link_hash,
    records.reversal,
    records.reaches,
    records.record_date
"""

# Tonight's records against those kept at the rule's last evaluation: added (in tonight's, not kept) and removed.
_CHANGED = """
create or replace {kind} {changed} as
select 'added' as side, *
from (
    select record_key, household_id, record_hash, reversal, reaches from {table}
    except
    select record_key, household_id, record_hash, reversal, reaches from alerts.window_records
    where rule_code = $rule_code
)
union all
select 'removed' as side, *
from (
    select record_key, household_id, record_hash, reversal, reaches from alerts.window_records
    where rule_code = $rule_code
    except
    select record_key, household_id, record_hash, reversal, reaches from {table}
)
"""

# The households whose hits can have changed since $since (the module docstring, 1 to 3), with why.
_SCOPE = """
create or replace temp table _window_scope as
with

crossing as (
    select household_id
    from {table}
    where not reversal
        and (
            (record_date > cast($since as date) and record_date <= cast($as_of as date))
            or (
                $length is not null
                and record_date >= cast($since as date) - cast($length - 1 as integer)
                and record_date <= cast($as_of as date) - cast($length as integer)
            )
        )
),

reached as (
    select reaches from {changed} where reversal and reaches is not null
    union
    select reaches from {table}
    where reversal
        and reaches is not null
        and record_date > cast($since as date)
        and record_date <= cast($as_of as date)
),

reversed as (
    select records.household_id
    from {table} as records
    inner join reached
        on records.reaches = reached.reaches
    where not records.reversal
),

scope as (
    select household_id, 'changed' as why from {changed}
    union all
    select household_id, 'reversed' as why from reversed
    union all
    select household_id, 'crossing' as why from crossing
)

select
    household_id,
    list(distinct why order by why) as why
from scope
where household_id is not null
group by household_id
"""

_SCOPE_COUNTS = """
select
    (select count(*) from _window_scope),
    (select count(*) from {changed}),
    (select count(*) from _window_scope where list_contains(why, 'reversed')),
    (select count(*) from _window_scope where list_contains(why, 'crossing'))
"""

# The kept records of each rule, reduced to a digest: two rules with the same window whose kept records are the
# same (evaluated on the same nights, as HARDSHIP_MEDICAL and HARDSHIP_MAJOR_ILLNESS are) have the same
# comparison with tonight's records, which is then computed once (a second each on the default bench city's
# typical night).
_KEPT_DIGESTS = """
select
    rule_code,
    count(*),
    sum(cast(hash(record_key, household_id, record_hash, reversal, reaches) as hugeint)),
    bit_xor(hash(record_key, household_id, record_hash, reversal, reaches, 'hedui'))
from alerts.window_records
where rule_code in (select unnest($codes))
group by rule_code
"""

# A reversal linked to nobody has no household: the columns are matched as EXCEPT matches them (NULL to NULL).
_FORGET_REMOVED = """
delete from alerts.window_records as kept
using {changed} as removed
where kept.rule_code = $rule_code
    and removed.side = 'removed'
    and kept.record_key = removed.record_key
    and kept.household_id is not distinct from removed.household_id
    and kept.record_hash = removed.record_hash
    and kept.reversal = removed.reversal
    and kept.reaches is not distinct from removed.reaches
"""

_KEEP_ADDED = """
insert into alerts.window_records (rule_code, record_key, household_id, record_hash, reversal, reaches)
select $rule_code, record_key, household_id, record_hash, reversal, reaches
from {changed}
where side = 'added'
"""


@dataclass(frozen=True)
class Scope:
    """What a scoped evaluation covers: the households, and in words why (for `evaluated_because`)."""

    households: int
    reason: str


def columns_read(rules: list[Rule], columns: list[str]) -> list[str]:
    """Of the window source's `columns`, those the `rules` (the rules with that window) can read: every column one
    of them names, and the key. Every column when a rule could read one without naming it: a whole row used as a
    value (`to_json(settlements)`), a star inside an expression (`struct_pack(*)`), DuckDB's `COLUMNS(...)`, a
    PIVOT, or SQL the parser cannot read. A `select *` that only passes the columns on, and `count(*)`, are fine:
    what the rule then uses is named."""
    import sqlglot
    from sqlglot import exp

    named = {"record_key"}
    for rule in rules:
        text = rule.sql.lower()
        if any(word in text for word in ("columns(", "pivot")):
            return columns
        try:
            tree = sqlglot.parse_one(rule.sql, read="duckdb")
        except sqlglot.errors.ParseError:
            return columns
        aliases = {node.alias_or_name.lower() for node in tree.find_all(exp.Table, exp.CTE, exp.Subquery)}
        used = {column.name.lower() for column in tree.find_all(exp.Column) if column.name}
        if used & aliases:
            return columns
        for star in tree.find_all(exp.Star):
            parent = star.parent
            if isinstance(parent, exp.Column):
                parent = parent.parent
            if not isinstance(parent, (exp.Select, exp.Count)):
                return columns
        named |= used
    return [column for column in columns if column.lower() in named]


class WindowRecords:
    """Tonight's records of each window, computed once per window (two rules with the same window share them), and
    each rule's comparison with its kept records, computed once per rule (the scope and `remember` read it), in
    scratch tables that `drop` removes. `catalog`: the rules whose columns the records' hash covers (the rules with
    the same window); every column without it.

    The scratch tables of a rule evaluated whole tonight (`whole_rules`: not scoped), and of its window, are tables
    of the database (`_hedui_window_…`, created and dropped inside the warnings stage), not temporary ones: on a
    first night every record is "added", tens of millions of rows on the heavy bench city, which once committed
    (the night commits in steps) DuckDB keeps compressed in the database file, where a temporary table spilled
    them as they are to the temp directory (see `_HITS_DDL` in hedui.rules.engine). A scoped rule's comparison
    holds what changed since its last evaluation, a few thousand records on a typical night: its tables, and its
    window's when no rule of that window is evaluated whole, are temporary, which DuckDB keeps in memory as long
    as they fit (and spills when they do not) instead of compressing them into the file. That took the default
    bench city's typical night from 7.4 s to 4.6 s for the windows' records (a statement profile of one night)."""

    def __init__(self, con, catalog: list[Rule] | None = None, whole_rules=None) -> None:
        self._con = con
        self._catalog = catalog
        # every rule is evaluated whole unless told otherwise (a test, a caller without scopes)
        self._whole = None if whole_rules is None else set(whole_rules)
        self._tables: dict[Window, str] = {}
        self._rows: dict[Window, str] = {}
        self._compared: dict[str, str] = {}

    def changed(self, rule: Rule) -> str:
        """The scratch table of the rule's records added and removed since its last evaluation (side added or
        removed)."""
        if rule.code not in self._compared:
            same = self._same_kept_records(rule)
            if same is not None:
                self._compared[rule.code] = self._compared[same]
                return self._compared[rule.code]
            name = f"_hedui_window_changed_{len(self._compared)}"
            self._con.execute(_CHANGED.format(kind=self._kind({rule.code}), table=self.table(rule.window),
                                              changed=name), {"rule_code": rule.code})
            self._compared[rule.code] = name
        return self._compared[rule.code]

    def _same_kept_records(self, rule: Rule) -> str | None:
        """A rule already compared, with the same window, the same kind of scratch table and the same kept
        records as `rule` (`_KEPT_DIGESTS`), or None."""
        if self._catalog is None:
            return None
        kind = self._kind({rule.code})
        others = [other.code for other in self._catalog
                  if other.code in self._compared and other.window == rule.window
                  and self._kind({other.code}) == kind]
        if not others:
            return None
        digests = {code: digest for code, *digest in
                   self._con.execute(_KEPT_DIGESTS, {"codes": [rule.code, *others]}).fetchall()}
        mine = digests.get(rule.code)
        return next((code for code in others if mine is not None and digests.get(code) == mine), None)

    def table(self, window: Window) -> str:
        """The scratch table of tonight's records of `window` (record_key, household_id, record_hash, reversal,
        reaches, record_date)."""
        if window not in self._tables:
            signature = hashlib.sha256(json.dumps(asdict(window), sort_keys=True).encode()).hexdigest()[:12]
            rows, name = f"_hedui_window_rows_{signature}", f"_hedui_window_records_{signature}"
            readers = None if self._catalog is None else [rule for rule in self._catalog if rule.window == window]
            bound = {"source": window.source,
                     **({"reversal_value": window.reversal_value} if window.has_reversals else {})}
            kind = self._kind({rule.code for rule in readers} if readers is not None else None)
            for sql in _current_records_sql(self._con, window, rows, name, readers, kind):
                self._con.execute(sql, bound)
            self._rows[window], self._tables[window] = rows, name
        return self._tables[window]

    def _kind(self, codes: set[str] | None) -> str:
        """`temp table` when none of the rules `codes` (None: any rule) is evaluated whole tonight, else `table`."""
        if self._whole is None or codes is None or codes & self._whole:
            return "table"
        return "temp table"

    def rows(self, window: Window) -> str:
        """The scratch table of the rows of the window's source its rules can read (`_WINDOW_ROWS`)."""
        self.table(window)
        return self._rows[window]

    def drop(self) -> None:
        for name in {*self._tables.values(), *self._rows.values(), *self._compared.values()}:
            self._con.execute(f"drop table if exists {name}")
        self._tables.clear()
        self._rows.clear()
        self._compared.clear()


def _current_records_sql(con, window: Window, rows: str, table: str, readers: list[Rule] | None,
                         kind: str = "table") -> tuple[str, str]:
    (record_columns,) = con.execute(_COLUMNS, ["staged", window.source]).fetchone()
    if readers:
        record_columns = columns_read(readers, record_columns)
    (link_columns,) = con.execute(_COLUMNS, ["linked", "links"]).fetchone()
    if window.has_reversals:
        reversal = f"coalesce({sql_identifier(window.reversal_column)} = $reversal_value, false)"
        reaches = (f"case when {reversal} then {sql_identifier(window.reverses_column)}"
                   f" else {sql_identifier(window.key_column)} end")
    else:
        reversal, reaches = "false", "cast(null as varchar)"
    listed = ", ".join(sql_identifier(c) for c in record_columns)
    return (
        _WINDOW_ROWS.format(kind=kind, rows=rows, record_columns=listed, source=window.source, reversal=reversal),
        _CURRENT_RECORDS.format(
            kind=kind,
            table=table,
            rows=rows,
            record_columns=listed,
            link_columns=", ".join(sql_identifier(c) for c in link_columns),
            date_column=sql_identifier(window.date_column),
            reversal=reversal,
            reaches=reaches,
        ),
    )


def on_window_rows(rule: Rule, records: WindowRecords) -> Rule:
    """The rule reading the rows of its window's source it can read (`WindowRecords.rows`: the linked records and
    the reversals, a tenth of the medical table) instead of the whole staged table: what its window header
    promises it reads, so its rows are the same. A `full_recompute` night reads the staged table, so that the
    tests comparing the two nights hold each rule to its promise."""
    import re

    from hedui.rules.catalog import tables_named

    pattern = re.compile(r'\bstaged\s*\.\s*"?' + re.escape(rule.window.source) + r'"?(?![a-z0-9_])', re.IGNORECASE)
    sql = pattern.sub(records.rows(rule.window), rule.sql)
    if f"staged.{rule.window.source}" in tables_named(sql):  # named in a way the pattern missed: read it whole
        return rule
    return dataclasses.replace(rule, sql=sql)


def scope_households(con, records: WindowRecords, rule: Rule, since: dt.date, as_of: dt.date,
                     length: int | None) -> Scope:
    """The households whose hits can have changed between `since` (the rule's last evaluation) and `as_of`, into
    the temp table `_window_scope` (household_id, why); the rule's comparison with its kept records stays for
    `remember`, which must come after (it changes the kept records). `length` is the window's length in days, None for a
    window open to the past."""
    changed_table = records.changed(rule)
    con.execute(_SCOPE.format(table=records.table(rule.window), changed=changed_table),
                {"since": since, "as_of": as_of, "length": length})
    households, changed, reversed_, crossing = con.execute(_SCOPE_COUNTS.format(changed=changed_table)).fetchone()
    return Scope(households, f"scoped to {households} households since {since.isoformat()}: {changed} of their"
                             f" records changed, {reversed_} reached by reversals, {crossing} with records crossing"
                             " the window's edges")


def linked_records_in_scope(con, records: WindowRecords, rule: Rule) -> int:
    """How many of the window's records the scope's households have: what the evidence batches are sized by."""
    return con.execute(
        f"select count(*) from {records.table(rule.window)}"
        " where household_id in (select household_id from _window_scope)").fetchone()[0]


def remember(con, records: WindowRecords, rules: list[Rule]) -> None:
    """Keep tonight's records of each windowed rule evaluated tonight (scoped or whole), as the next night's
    comparison; the records of every other rule are forgotten (a rule skipped tonight, or without a window)."""
    # every comparison first: one rule's may be another's (`WindowRecords.changed`), judged on the kept records
    # before any of them changes
    changed = {rule.code: records.changed(rule) for rule in rules}
    con.execute("delete from alerts.window_records where rule_code not in (select unnest($codes))",
                {"codes": [rule.code for rule in rules]})
    for rule in rules:
        con.execute(_FORGET_REMOVED.format(changed=changed[rule.code]), {"rule_code": rule.code})
        con.execute(_KEEP_ADDED.format(changed=changed[rule.code]), {"rule_code": rule.code})
