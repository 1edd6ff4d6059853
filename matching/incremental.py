"""When old links stay right: what every link depends on besides its record, kept in `linked.link_state`,
and which event deliveries are linked, kept in `linked.linked_deliveries`."""

from __future__ import annotations

import hashlib
import json

import duckdb

from matching.sources import EVENT_SOURCES, table_exists

# Written by `hedui review import` (matching.review_decisions reads it); named here so the key needs no import
# of the module that applies the decisions.
REVIEW_DECISIONS_TABLE = "linked.review_decisions"

# Bump when a change to this package changes which links are made: the next night then relinks everything.
MATCHING_VERSION = 8


def inputs_key(con: duckdb.DuckDBPyConnection, cfg: dict) -> str | None:
    """What every link depends on besides the record itself: the snapshots in force (by checksum), the
    matching policy, this package's version and the linkage staff's review decisions in force. When it is
    unchanged, old links stay right; a new, changed or withdrawn decision relinks everything (its records may be
    old ones)."""
    if not table_exists(con, "ledger.source_state"):
        return None
    snapshots = con.execute("select source, checksum from ledger.source_state order by source").fetchall()
    payload = json.dumps(
        {"snapshots": snapshots, "matching": cfg, "version": MATCHING_VERSION, "review": _decisions_digest(con)},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _decisions_digest(con: duckdb.DuckDBPyConnection) -> str | None:
    """sha256 of every review decision in force (`matching.review_decisions`), in a fixed order; None without any."""
    if not table_exists(con, REVIEW_DECISIONS_TABLE):
        return None
    return con.execute(
        f"""
        select sha256(string_agg(
            json_array(source, record_fingerprint, person_id, household_id, decision)::varchar, '\n'
            order by source, record_fingerprint, person_id, household_id, decision
        ))
        from {REVIEW_DECISIONS_TABLE}
        """
    ).fetchone()[0]


def can_link_incrementally(con: duckdb.DuckDBPyConnection, key: str | None) -> bool:
    """Old links stay right when the inputs key is unchanged and every event delivery linked before is still
    loaded with the same content. A corrected resend (same delivery, new checksum) can change or drop any of its
    records, so it relinks everything, as a changed snapshot does."""
    if key is None or not all(
        table_exists(con, t)
        for t in ("linked.link_state", "linked.linked_deliveries", "linked.known_people", "ledger.event_deliveries")
    ):
        return False
    stored = con.execute("select inputs_key from linked.link_state").fetchone()
    if stored is None or stored[0] != key:
        return False
    changed = con.execute(
        """
        select count(*)
        from linked.linked_deliveries as linked
        left join ledger.event_deliveries as loaded
            on loaded.source = linked.source and loaded.delivery_id = linked.delivery_id
        where loaded.checksum is distinct from linked.checksum
        """
    ).fetchall()[0][0]
    return changed == 0


def remember(con: duckdb.DuckDBPyConnection, incremental: bool, key: str | None) -> None:
    """The inputs the links were made with, and the event deliveries (with their checksums) linked: after
    this stage every loaded event delivery is, since tonight's delta was every row of the others."""
    con.execute("create or replace table linked.link_state (inputs_key varchar, incremental boolean)")
    con.execute("insert into linked.link_state values (?, ?)", [key, incremental])
    con.execute("create or replace table linked.linked_deliveries (source varchar, delivery_id varchar, checksum varchar)")
    if table_exists(con, "ledger.event_deliveries"):
        con.execute(
            """
            insert into linked.linked_deliveries
            select source, delivery_id, checksum
            from ledger.event_deliveries
            where list_contains(?, source)
            order by source, delivery_id
            """,
            [list(EVENT_SOURCES)],
        )
    con.execute("comment on table linked.linked_deliveries is 'The event deliveries (and their checksums) whose records are all linked: the next night links only the records of other deliveries'")
    con.execute("comment on table linked.link_state is 'What the links were computed from (snapshot checksums, matching policy, code version)'")
