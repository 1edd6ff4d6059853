"""The one mechanism every connector shares: choose the deliveries that count, read them, commit them.

Snapshots (`households`, `members`, `housing`, `vehicle`, `disability`): the newest delivery dated on or before
the as-of date replaces the picture in force — unless its structure is broken (rejected) or it holds fewer
than half the rows of the previous picture (held back as suspicious); then the next older delivery is
considered, down to the picture already in force, which stands. A delivery whose checksum equals the picture
in force is not read again.

Events (`medical`, `death`, ...): every delivery dated on or before the as-of date is read once; a delivery
seen again with another checksum (a corrected resend) replaces its earlier version; each event counts once
across all deliveries, the newest delivery's version winning.

Each version of a record is stored once. `staged.<source>` holds each key's newest version (the rules read it
as a plain table); `staged.<source>_superseded` holds the versions that are not (a resend's older version, a
settlement before its refund correction: few); `staged.<source>_events`, every version, is a view of the two.
The rows as delivered are not kept a second time as text: the landing files are the record of what was
delivered, a loaded row keeps the as-delivered forms the pipeline interprets (`person_name`, `id_raw`, the
`*_raw` columns) and a quarantined row keeps its text in `quarantine.rows`. What a staged row cannot hold, the
columns a file has beyond its source's declaration, stays in `raw.<source>` (`extra`, JSON) as the extract
spec promises, one row per delivered row that had them: nothing for the usual delivery.

Everything is recorded in `ledger.deliveries` and `ledger.run_sources`; no failure of one source touches
another (the flow runs each source on its own and marks a failed one `failed`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from connectors import normalise
from connectors.comments import PROVENANCE, apply_comments, comment_staged_table
from connectors.digests import FileDigests
from connectors.discovery import Delivery, Discovery, discover
from connectors.delivery_reader import (
    DeliveryRejected,
    LoadedDelivery,
    checksum_files,
    drop_delivery_tables,
    files_json,
    read_deliveries,
    read_delivery,
)
from connectors.spec import Source
from connectors.typing_sql import DELIVERED_ON, staging_query
from hedui.run_info import RunInfo


@dataclass
class SourceOutcome:
    source: str
    in_force_delivery: str | None = None
    picture_date: dt.date | None = None
    newest_delivery: str | None = None
    problem: str | None = None
    deliveries: list[dict] = field(default_factory=list)  # ledger rows, for the summary
    changed: bool = False  # whether the staged table changed this run
    ledger_rows: list[list] = field(default_factory=list)  # written when the source commits
    new_event_deliveries: list[str] = field(default_factory=list)
    replaced_event_deliveries: list[str] = field(default_factory=list)  # corrected resends


@dataclass
class DeliveryReading:
    """What reading one source's deliveries needs, and the temporary tables the readings leave behind: named
    by `tags`, dropped by `drop_tables` once the source has committed or failed."""

    con: duckdb.DuckDBPyConnection
    source: Source
    run: RunInfo
    tmp_dir: Path
    results_dir: Path | None
    digests: FileDigests
    # Read every delivery again, as a full recompute does: the staged table just gained a declared column
    # (`ensure_tables`), which the rows loaded before lack.
    reread: bool = False
    tags: list[str] = field(default_factory=list)
    # `hedui nightly --engine spark`: the typing and the compiled contract run on Spark (SparkTempQueries)
    spark: Any = None

    def read(self, delivery: Delivery, tag: str) -> LoadedDelivery:
        """One delivery; raises DeliveryRejected when its structure is broken."""
        self.tags.append(tag)
        return read_delivery(self.con, delivery, self.source, tag=tag, as_of=self.run.as_of,
                             run_id=self.run.run_id, tmp_dir=self.tmp_dir, results_dir=self.results_dir,
                             spark=self.spark)

    def read_many(self, to_read: list[tuple[Delivery, str]]) -> dict[str, LoadedDelivery | DeliveryRejected]:
        """Several deliveries at once, by delivery id: each loaded or rejected."""
        self.tags.extend(tag for _, tag in to_read)
        return read_deliveries(self.con, to_read, self.source, as_of=self.run.as_of, run_id=self.run.run_id,
                               tmp_dir=self.tmp_dir, results_dir=self.results_dir, spark=self.spark)

    def checksum(self, delivery: Delivery) -> str:
        return checksum_files(delivery, self.digests)[0]

    def drop_tables(self) -> None:
        for tag in self.tags:
            drop_delivery_tables(self.con, tag)


@dataclass
class SourcePlan:
    """What reading a source's deliveries decided: its outcome (with the ledger rows to write) and the steps
    that write the deliveries taken, run in the source's one transaction."""

    outcome: SourceOutcome
    commit: list[Callable[[], None]] = field(default_factory=list)
    # an event source's rows to store tonight: each delivery loaded and its `<tag>_loaded` view
    event_rows: list[tuple[str, str]] = field(default_factory=list)


def ensure_tables(con: duckdb.DuckDBPyConnection, source: Source) -> bool:
    """Create the source's raw and staged tables, empty, if they do not exist yet: a source that never
    delivered must read as 'missing' in the ledger, never break the queries that read it. Returns whether an
    existing staged table gained a column its declaration now has (its rows must be read again).

    One transaction: each table created and each comment written on its own would be a commit waiting for the
    disk, about 40 of them on a warehouse's first night."""
    normalise.register(con)
    con.execute("begin transaction")
    try:
        extended = _ensure_tables(con, source)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
    return extended


def _ensure_tables(con: duckdb.DuckDBPyConnection, source: Source) -> bool:
    src_cols = ", ".join(f"null::varchar as src_{c.name}" for c in source.columns)
    con.execute(
        f"create or replace temp view _empty_raw as select null::varchar as file, null::bigint as row_number, "
        f"null::date as {DELIVERED_ON}, "
        f"{src_cols}, null::json as extra where false"
    )
    _create_or_extend(con, f"raw.{source.name}", "select null::varchar as delivery_id, file, row_number, extra "
                                                  "from _empty_raw where false")
    working = [f"src_{c.name}" for c in source.columns] + [
        f"{'id' if c.name == 'id' else c.name}_sci_notation" for c in source.columns if c.type == "id"
    ]
    con.execute(
        f"create or replace temp table _empty_staged as "
        f"select null::varchar as delivery_id, null::date as delivery_date, * exclude ({', '.join(working)}) "
        f"from ({staging_query(source, '_empty_raw')}) where false"
    )
    extended = False
    for table in (source.staged_table, source.superseded_table):
        if table:
            extended = _create_or_extend(con, table, "select * from _empty_staged") or extended
    con.execute("drop table _empty_staged")
    con.execute("drop view _empty_raw")
    if source.kind == "event":
        # every version: bound by name when read, so a column added to both tables reaches it
        con.execute(f"create view if not exists {source.events_table} as select * from {source.staged_table} "
                    f"union all by name select * from {source.superseded_table}")
    apply_comments(con, f"raw.{source.name}",
                   f"Columns delivered beyond the declaration of {source.title} (unknown headers), as text in "
                   "extra (JSON), one row per delivered row that had them; the declared columns are in staged",
                   {"delivery_id": PROVENANCE["delivery_id"], "file": PROVENANCE["file"],
                    "row_number": PROVENANCE["row_number"],
                    "extra": "The unknown columns of the row: {header: text as delivered}"})
    for table in (source.staged_table, source.superseded_table, source.events_table):
        if table:
            comment_staged_table(con, table, source)
    return extended


def _create_or_extend(con: duckdb.DuckDBPyConnection, table: str, empty_select: str) -> bool:
    """Create `table` with the columns of `empty_select`, or add the ones it lacks (a warehouse written before a
    declaration gained an optional column, households' 城乡 in spec v2); returns whether it added any. The rows
    already there get NULL in the new columns until the source's deliveries are read again."""
    con.execute(f"create table if not exists {table} as {empty_select}")
    schema, name = table.split(".")
    present = {c for (c,) in con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ?", [schema, name]).fetchall()}
    missing = [(column, type_) for column, type_ in
               con.execute(f"select column_name, column_type from (describe {empty_select})").fetchall()
               if column not in present]
    for column, type_ in missing:
        con.execute(f'alter table {table} add column "{column}" {type_}')
    return bool(missing)


def _ledger(outcome: SourceOutcome, run: RunInfo, source: Source, delivery_id: str, date, status: str,
            reason: str | None = None, loaded: LoadedDelivery | None = None, delivery: Delivery | None = None,
            checksum: str | None = None, counts: tuple[int, int, int, int] | None = None) -> None:
    if counts is None:
        if loaded is None:
            counts = (None, None, None, None)
        elif status == "loaded":
            counts = (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined, 0)
        else:
            counts = (loaded.rows_read, 0, 0, loaded.rows_read)
    notes = "; ".join(loaded.notes) if loaded is not None and loaded.notes else None
    reason = "; ".join(x for x in (reason, notes) if x) or None
    files = files_json(loaded, delivery) if delivery is not None else None
    outcome.ledger_rows.append(
        [run.run_id, source.name, delivery_id, date, source.kind, files,
         checksum or (loaded.checksum if loaded else None), *counts, status, reason]
    )
    outcome.deliveries.append({"delivery_id": delivery_id, "status": status, "reason": reason})


def _commit_quarantine(con, run: RunInfo, source: Source, loaded: LoadedDelivery) -> None:
    """The findings of one delivery: one set per delivery (reading it again replaces its earlier findings)."""
    did = loaded.delivery.delivery_id
    con.execute("delete from quarantine.rows where source = ? and delivery_id = ?", [source.name, did])
    con.execute("delete from quarantine.flags where source = ? and delivery_id = ?", [source.name, did])
    con.execute(
        f"insert into quarantine.rows select ?, ?, ?, file, row_number, expectation, column_name, value, reason "
        f"from {loaded.tag}_quarantine",
        [run.run_id, source.name, did],
    )
    con.execute(
        f"insert into quarantine.flags select ?, ?, ?, file, row_number, flag, detail from {loaded.tag}_flags",
        [run.run_id, source.name, did],
    )


def ingest_source(con: duckdb.DuckDBPyConnection, landing: Path, source: Source, run: RunInfo, *,
                  tmp_dir: Path, results_dir: Path | None = None, spark: Any = None) -> SourceOutcome:
    """Read and decide first (temporary tables only), then write everything in one transaction: a source
    is either wholly ingested or not at all, whatever fails and wherever. With `spark` (SparkTempQueries) the
    deliveries' typing and contract run on Spark (`connectors.delivery_reader.read_deliveries`)."""
    reread = ensure_tables(con, source) or run.full_recompute
    tmp_dir.mkdir(parents=True, exist_ok=True)
    found = discover(landing, source.name, run.as_of)
    digests = FileDigests() if run.full_recompute else FileDigests.load(con)  # a full recompute trusts no cache
    reading = DeliveryReading(con, source, run, tmp_dir, results_dir, digests, reread=reread, spark=spark)
    try:
        plan = _plan_snapshot(reading, found) if source.kind == "snapshot" else _plan_events(reading, found)
        outcome = plan.outcome
        con.execute("begin transaction")
        try:
            for step in plan.commit:
                step()
            if plan.event_rows:
                _store_event_rows(con, source, plan.event_rows, rebuild=bool(outcome.replaced_event_deliveries)
                                  or reading.reread)
            _finish_events_picture(con, source, outcome)
            if outcome.ledger_rows:
                con.executemany("insert into ledger.deliveries values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                outcome.ledger_rows)
            _record_run_source(con, run, source, outcome)
            digests.save(con)
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")
    finally:
        reading.drop_tables()
    return outcome


def _discovered(run: RunInfo, source: Source, found: Discovery) -> SourceOutcome:
    """The outcome as discovery leaves it: the folders passed over in the ledger, the newest delivery named."""
    outcome = SourceOutcome(source.name)
    for passed in found.passed:
        _ledger(outcome, run, source, passed.delivery_id, passed.date, passed.status, passed.reason)
    if found.deliveries:
        outcome.newest_delivery = found.deliveries[-1].delivery_id
    return outcome


def _plan_snapshot(reading: DeliveryReading, found: Discovery) -> SourcePlan:
    """The picture a snapshot source takes tonight (see the module's docstring), and what is said of every
    delivery considered."""
    con, source, run = reading.con, reading.source, reading.run
    outcome = _discovered(run, source, found)
    plan = SourcePlan(outcome)
    state = con.execute(
        "select in_force_delivery, delivery_date, checksum from ledger.source_state where source = ?",
        [source.name],
    ).fetchone()
    in_force_id, in_force_date, in_force_checksum = state if state else (None, None, None)
    # the picture in force, in rows loaded: what a new delivery would replace
    in_force_loaded = (con.execute(f"select count(*) from staged.{source.name}").fetchone()[0]
                       if in_force_id is not None else None)
    usual_share = _usual_quarantine_share(con, source)
    newest_first = list(reversed(found.deliveries))
    reads: dict[str, LoadedDelivery | DeliveryRejected] = {}

    def attempt(index: int) -> LoadedDelivery | DeliveryRejected:
        delivery = newest_first[index]
        if delivery.delivery_id not in reads:
            try:
                reads[delivery.delivery_id] = reading.read(delivery, f"d_{source.name}_{index}")
            except DeliveryRejected as exc:
                reads[delivery.delivery_id] = exc
        return reads[delivery.delivery_id]

    taken: LoadedDelivery | None = None
    first_problem: str | None = None
    decided: set[str] = set()
    for index, delivery in enumerate(newest_first):
        if in_force_date is not None and delivery.date < in_force_date:
            break
        if delivery.delivery_id == in_force_id and not reading.reread:
            checksum = reading.checksum(delivery)
            if checksum == in_force_checksum:
                _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "unchanged",
                        "same checksum as the picture in force: not read again", delivery=delivery,
                        checksum=checksum)  # counts NULL: this run read none of its rows
                decided.add(delivery.delivery_id)
                break
        known = None if run.full_recompute else _earlier_verdict(con, source, delivery, reading.digests)
        if known is not None and known[0] == "rejected":
            _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "rejected",
                    f"{known[2]} (unchanged since it was rejected: not read again)", delivery=delivery,
                    checksum=known[3], counts=_set_aside(known[1]))
            decided.add(delivery.delivery_id)
            first_problem = first_problem or "rejected"
            continue
        if (known is not None and known[0] == "held_back" and in_force_loaded
                and known[1] < run.policy.snapshot_min_ratio * in_force_loaded):
            # (its rows read already fall short of the picture in force, so its rows loaded would too)
            _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "held_back",
                    f"implausible drop: {known[1]} rows against {in_force_loaded} in the picture in force "
                    f"(threshold {run.policy.snapshot_min_ratio:.0%}); unchanged since it was held back: not read again",
                    delivery=delivery, checksum=known[3], counts=(known[1], 0, 0, known[1]))
            decided.add(delivery.delivery_id)
            first_problem = first_problem or "held_back"
            continue
        result = attempt(index)
        decided.add(delivery.delivery_id)
        if isinstance(result, DeliveryRejected):
            _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "rejected", str(result),
                    delivery=delivery, checksum=reading.checksum(delivery), counts=_set_aside(result.rows))
            first_problem = first_problem or "rejected"
            continue
        baseline = in_force_loaded
        if baseline is None:
            # First picture of this source: compare against the next older readable delivery, if any.
            for older in range(index + 1, len(newest_first)):
                candidate = attempt(older)
                if not isinstance(candidate, DeliveryRejected):
                    baseline = candidate.rows_loaded
                    break
        suspect = _suspect(run, result, baseline, usual_share)
        if suspect:
            _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "held_back", suspect,
                    loaded=result, delivery=delivery)
            first_problem = first_problem or "held_back"
            continue
        taken = result
        _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "loaded", loaded=result,
                delivery=delivery)
        break

    for delivery in newest_first:
        if delivery.delivery_id not in decided:
            _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "superseded",
                    "an older delivery: a newer picture is in force", delivery=delivery)

    if taken is not None:
        plan.commit.append(lambda: _commit_snapshot(con, run, source, taken))
        outcome.in_force_delivery, outcome.picture_date = taken.delivery.delivery_id, taken.delivery.date
        outcome.changed = True
    else:
        outcome.in_force_delivery, outcome.picture_date = in_force_id, in_force_date
    outcome.problem = first_problem if outcome.in_force_delivery else (first_problem or _absent(source))
    return plan


# The "problem" of a v2 source no department has delivered yet: not a failure (a v1 landing zone completes as it
# did), and never read as "no records" (hedui.stages, the run summary).
NEVER_DELIVERED = "never_delivered"


def _absent(source: Source) -> str:
    """The problem of a source with nothing in force and no delivery tonight: `missing`, or `never_delivered`
    for a source a later spec version added (a landing zone written to the earlier version has none)."""
    return NEVER_DELIVERED if source.spec_version > 1 else "missing"


def _set_aside(rows: int | None) -> tuple:
    """The counts of a delivery not taken: every record it holds (counted by the byte scan) set aside; NULL
    when its records could not be counted without reading it (a workbook that does not open)."""
    return (rows, 0, 0, rows) if rows is not None else (None, None, None, None)


def _usual_quarantine_share(con, source: Source) -> float | None:
    """The share of rows the source's deliveries loaded before had quarantined (each delivery's latest
    reading); None when it has none yet."""
    row = con.execute(
        """
        select sum(rows_quarantined)::double / nullif(sum(rows_read), 0)
        from (select rows_read, rows_quarantined,
                     row_number() over (partition by delivery_id order by run_id desc) as latest
              from ledger.deliveries where source = ? and status = 'loaded' and rows_read is not null)
        where latest = 1
        """,
        [source.name],
    ).fetchone()
    return row[0] if row else None


def _suspect(run: RunInfo, result: LoadedDelivery, baseline: int | None, usual_share: float | None) -> str | None:
    """Why a delivery that read well must still not replace what is in force, or None. Both checks count the
    rows that would be LOADED: a delivery whose every row fails its contract reads in full and loads nothing."""
    ratio = run.policy.snapshot_min_ratio
    if baseline and result.rows_loaded < ratio * baseline:
        return (f"implausible drop: {result.rows_loaded} rows would load ({result.rows_read} read, "
                f"{result.rows_quarantined} quarantined) against {baseline} in the picture it would replace "
                f"(threshold {ratio:.0%}); held back as suspicious")
    if result.rows_read and usual_share is not None and result.rows_quarantined >= run.policy.quarantine_share_min_rows:
        share = result.rows_quarantined / result.rows_read
        if share > usual_share + run.policy.quarantine_share_jump:
            return (f"quarantine share jumped: {share:.0%} of its rows fail their contract against "
                    f"{usual_share:.0%} usually for this source (policy deliveries.quarantine_share_jump "
                    f"{run.policy.quarantine_share_jump:.0%}); held back as suspect")
    return None


def _earlier_verdict(con, source: Source, delivery: Delivery,
                     digests: FileDigests) -> tuple[str, int, str, str] | None:
    """A delivery rejected or held back before, with the same content (checksum): its verdict and row count,
    so that a broken or truncated delivery lying in the landing zone is not read again every night. (A held
    back delivery is judged again against the picture in force, from its known row count.)"""
    checksum, _ = checksum_files(delivery, digests)
    row = con.execute(
        """
        select status, rows_read, reason
        from ledger.deliveries
        where source = ? and delivery_id = ? and checksum = ?
          and (status = 'rejected' or (status = 'held_back' and rows_read is not null))
        order by run_id desc
        limit 1
        """,
        [source.name, delivery.delivery_id, checksum],
    ).fetchone()
    if row is None:
        return None
    status, rows_read, reason = row
    reason = reason.split(" (unchanged since")[0]
    return status, rows_read, reason, checksum


def _commit_unknown_columns(con, source: Source, loaded: LoadedDelivery) -> None:
    """The columns of the delivery's files that its source does not declare, row by row (`raw.<source>`): the
    extract spec keeps them, and the staged tables have no place for them. A delivery without any (the usual
    one) writes nothing, and its cells are not read again."""
    if loaded.unknown_columns:
        con.execute(f"insert into raw.{source.name} select ?, file, row_number, extra from {loaded.tag}_raw "
                    f"where extra is not null", [loaded.delivery.delivery_id])


def _commit_snapshot(con, run: RunInfo, source: Source, taken: LoadedDelivery) -> None:
    _commit_quarantine(con, run, source, taken)
    con.execute(f"delete from raw.{source.name}")
    _commit_unknown_columns(con, source, taken)
    con.execute(f"delete from staged.{source.name}")
    con.execute(f"insert into staged.{source.name} by name select * from {taken.tag}_loaded")
    con.execute(
        "insert or replace into ledger.source_state values (?, ?, ?, ?, ?)",
        [source.name, taken.delivery.delivery_id, taken.delivery.date, taken.checksum, taken.rows_read],
    )


def _plan_events(reading: DeliveryReading, found: Discovery) -> SourcePlan:
    """The event deliveries read tonight: every delivery not loaded yet with the same content, each loaded,
    rejected or held back on its own."""
    con, source, run = reading.con, reading.source, reading.run
    outcome = _discovered(run, source, found)
    plan = SourcePlan(outcome)
    versions = con.execute(
        "select delivery_id, checksum, rows_loaded from ledger.event_deliveries where source = ?", [source.name]
    ).fetchall()
    known = {delivery_id: checksum for delivery_id, checksum, _ in versions}
    known_rows = {delivery_id: rows for delivery_id, _, rows in versions}
    to_read: list[tuple[Delivery, str]] = []
    for index, delivery in enumerate(found.deliveries):
        checksum = reading.checksum(delivery) if delivery.files else None
        if delivery.delivery_id in known and known[delivery.delivery_id] == checksum and not reading.reread:
            _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "unchanged",
                    "already loaded (same checksum)", delivery=delivery, checksum=checksum)
            continue
        to_read.append((delivery, f"e_{source.name}_{index}"))
    results = reading.read_many(to_read)
    usual_share = _usual_quarantine_share(con, source)
    for delivery, tag in to_read:
        loaded = results[delivery.delivery_id]
        kept = "; its earlier version stays loaded" if delivery.delivery_id in known else ""
        if isinstance(loaded, DeliveryRejected):
            _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "rejected", f"{loaded}{kept}",
                    delivery=delivery, counts=_set_aside(loaded.rows))
            outcome.problem = "rejected"
            continue
        resend = delivery.delivery_id in known and known[delivery.delivery_id] != loaded.checksum
        # a corrected resend replaces its earlier version: one that drops most of its rows (a header-only
        # resend) is held back like a shrunken snapshot, and a new delivery damaged throughout is held back too
        suspect = _suspect(run, loaded, known_rows.get(delivery.delivery_id) if resend else None, usual_share)
        if suspect:
            _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "held_back", f"{suspect}{kept}",
                    loaded=loaded, delivery=delivery)
            outcome.problem = outcome.problem or "held_back"
            continue
        _ledger(outcome, run, source, delivery.delivery_id, delivery.date, "loaded",
                "corrected resend: replaces the version loaded earlier" if resend else None,
                loaded=loaded, delivery=delivery)
        plan.commit.append(lambda loaded=loaded: _commit_event_delivery(con, run, source, loaded))
        plan.event_rows.append((delivery.delivery_id, f"{loaded.tag}_loaded"))
        (outcome.replaced_event_deliveries if resend else outcome.new_event_deliveries).append(delivery.delivery_id)
        outcome.changed = True
    return plan


def _commit_event_delivery(con, run: RunInfo, source: Source, loaded: LoadedDelivery) -> None:
    """The delivery's findings, unknown columns and ledger row; its rows are stored with the other deliveries
    loaded tonight (`_store_event_rows`)."""
    delivery = loaded.delivery
    _commit_quarantine(con, run, source, loaded)
    con.execute(f"delete from raw.{source.name} where delivery_id = ?", [delivery.delivery_id])
    _commit_unknown_columns(con, source, loaded)
    con.execute(
        "insert or replace into ledger.event_deliveries values (?, ?, ?, ?, ?, ?)",
        [source.name, delivery.delivery_id, delivery.date, loaded.checksum, loaded.rows_loaded, run.run_id],
    )


def _finish_events_picture(con, source: Source, outcome: SourceOutcome) -> None:
    if source.kind != "event":
        return
    newest = con.execute(
        "select delivery_id, delivery_date from ledger.event_deliveries where source = ? "
        "order by delivery_date desc, delivery_id desc limit 1", [source.name]
    ).fetchone()
    if newest:
        outcome.in_force_delivery, outcome.picture_date = newest
    elif outcome.problem is None:
        outcome.problem = _absent(source)


# Version order within a key: the newest delivery, then the later file and row of it (a row of an event delivery
# is named by delivery_id, file, row_number).
_NEWEST_FIRST = "delivery_date desc, delivery_id desc, file desc, row_number desc"
_NEWER = """
    new.delivery_date > old.delivery_date
    or (new.delivery_date = old.delivery_date and new.delivery_id > old.delivery_id)
    or (new.delivery_id = old.delivery_id and new.file > old.file)
    or (new.delivery_id = old.delivery_id and new.file = old.file and new.row_number > old.row_number)
"""
_SAME_ROW = "{a}.delivery_id = {b}.delivery_id and {a}.file = {b}.file and {a}.row_number = {b}.row_number"


def _store_event_rows(con: duckdb.DuckDBPyConnection, source: Source, deliveries: list[tuple[str, str]], *,
                      rebuild: bool) -> None:
    """Store the rows of the event deliveries loaded tonight (`deliveries`: each one's id and a relation of its
    rows), each
    once: merged into what is stored, or, when a delivery replaces its earlier version (a corrected resend) or
    every delivery was read again, by splitting every version anew (rare; see `rebuild_event_table`)."""
    ids, rows = [delivery_id for delivery_id, _ in deliveries], [relation for _, relation in deliveries]
    if rebuild:
        rebuild_event_table(con, source, rows, ids)
    else:
        merge_new_events(con, source, rows, ids)


def _insert_parts(con: duckdb.DuckDBPyConnection, table: str, parts: list[str], keep: str,
                  params: dict | None = None) -> None:
    """Insert into `table` the rows of each relation of `parts` that `keep` (a join clause on `version`)
    keeps, one statement per part. One statement over the union of a year's deliveries writes its row groups
    in parallel pieces that the next checkpoint rewrites (on a city of 50,000 members: 1.8 CPU s more at the
    checkpoint, 0.7 s more at the next night's, and 50 MiB of free blocks left in the file)."""
    for part in parts:
        con.execute(f"insert into {table} by name select version.* from {part} as version {keep}", params or {})


def rebuild_event_table(con: duckdb.DuckDBPyConnection, source: Source, deliveries: list[str] = (),
                        delivery_ids: list[str] = ()) -> None:
    """Split every version anew: each key's newest into `staged.<source>`, the others into
    `staged.<source>_superseded`. The versions are those stored, except the rows of `delivery_ids` (tonight's
    readings replace what was stored of them), plus the rows of `deliveries`, one relation per delivery of
    `delivery_ids` in the same order.

    The versions are ranked on narrow rows (key, delivery, file, row), then each table is written once, under
    a new name, from the tables as they were; the new ones then take the tables' names (the view
    `staged.<source>_events` reads them by name)."""
    staged, superseded = source.staged_table, source.superseded_table
    con.execute("create or replace temp table _replaced_event_deliveries as "
                "select unnest($ids::varchar[]) as delivery_id", {"ids": list(delivery_ids)})
    kept = " where delivery_id not in (select delivery_id from _replaced_event_deliveries)"
    parts = [f"(select * from {staged}{kept})", f"(select * from {superseded}{kept})", *deliveries]
    con.execute("create or replace temp view _event_versions as "
                + "\nunion all by name\n".join(f"select * from {part}" for part in parts))
    con.execute(
        f"""
        create or replace temp table _event_version_ranks as
        select delivery_id, file, row_number,
               row_number() over (partition by record_key order by {_NEWEST_FIRST}) = 1 as newest
        from _event_versions
        """
    )
    for table, newest in ((staged, True), (superseded, False)):
        con.execute(f"create or replace table {table}__split as select * from _event_versions where false")
        _insert_parts(con, f"{table}__split", parts,
                      f"semi join _event_version_ranks as ranks on {_SAME_ROW.format(a='version', b='ranks')} "
                      "and ranks.newest = $newest", {"newest": newest})
    con.execute("drop view _event_versions")
    con.execute("drop table _event_version_ranks")
    con.execute("drop table _replaced_event_deliveries")
    for table in (staged, superseded):
        con.execute(f"drop table {table}")
        con.execute(f"alter table {table}__split rename to {table.split('.')[1]}")
        comment_staged_table(con, table, source)  # the new table has none yet


def merge_new_events(con: duckdb.DuckDBPyConnection, source: Source, deliveries: list[str],
                     delivery_ids: list[str]) -> None:
    """Fold the rows of new deliveries (`deliveries`: a relation of each one's rows, `delivery_ids` their
    delivery ids, in the same order) into what is stored,
    without rereading the year of events before them, each row written once. The result equals
    `rebuild_event_table`: the versions in `staged.<source>` are each key's newest among the older deliveries,
    so per key the newest of (that, the newest new row) wins; the one that loses, and every other new row of
    the key, is a superseded version.

    The versions are ranked on narrow rows (key, delivery, file, row), never on whole records: a year of
    settlements read at once is 20 million wide rows, and ranking them (a window over every column) cost more
    than typing them."""
    staged, superseded = source.staged_table, source.superseded_table
    # each new row's rank among the new versions of its key (1: the newest, which may replace the stored one)
    new_rows = "\nunion all\n".join(
        f"select record_key, delivery_date, delivery_id, file, row_number from {part}" for part in deliveries)
    con.execute(
        f"""
        create or replace temp table _new_event_versions as
        select record_key, delivery_date, delivery_id, file, row_number,
               row_number() over (partition by record_key order by {_NEWEST_FIRST}) as version_rank
        from ({new_rows})
        """
    )
    # the stored versions a new row beats: they become superseded (moved, not copied)
    con.execute(
        f"""
        create or replace temp table _beaten_event_versions as
        select old.delivery_id, old.file, old.row_number
        from {staged} as old
        join _new_event_versions as new
            on new.version_rank = 1 and old.record_key = new.record_key and ({_NEWER})
        """
    )
    con.execute(f"insert into {superseded} by name select old.* from {staged} as old "
                f"semi join _beaten_event_versions as beaten on {_SAME_ROW.format(a='old', b='beaten')}")
    con.execute(f"delete from {staged} as old using _beaten_event_versions as beaten "
                f"where {_SAME_ROW.format(a='old', b='beaten')}")
    # the new rows that do not become their key's version: beaten by a newer new row (few: a key repeated
    # within tonight's deliveries), or by the version left in the table (an older delivery read late)
    con.execute(
        f"""
        create or replace temp table _new_event_losers as
        select delivery_id, file, row_number from _new_event_versions where version_rank > 1
        union all
        select new.delivery_id, new.file, new.row_number
        from _new_event_versions as new
        semi join {staged} as old on old.record_key = new.record_key
        where new.version_rank = 1
        """
    )
    _insert_parts(con, staged, deliveries,
                  f"anti join _new_event_losers as lost on {_SAME_ROW.format(a='version', b='lost')}")
    # the deliveries with a losing row (a minority: most rows of a delivery are new records), read once more
    losing = {delivery_id for (delivery_id,) in
              con.execute("select distinct delivery_id from _new_event_losers").fetchall()}
    with_losers = [part for part, delivery_id in zip(deliveries, delivery_ids) if delivery_id in losing]
    _insert_parts(con, superseded, with_losers,
                  f"semi join _new_event_losers as lost on {_SAME_ROW.format(a='version', b='lost')}")
    for name in ("_new_event_versions", "_beaten_event_versions", "_new_event_losers"):
        con.execute(f"drop table {name}")


def _record_run_source(con, run: RunInfo, source: Source, outcome: SourceOutcome) -> None:
    rows = con.execute(f"select count(*) from staged.{source.name}").fetchone()[0]
    age = (run.as_of - outcome.picture_date).days if outcome.picture_date else None
    con.execute(
        "insert into ledger.run_sources values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run.run_id, source.name, outcome.in_force_delivery, outcome.newest_delivery, outcome.picture_date, age,
         outcome.problem, outcome.problem is None, rows],
    )


def record_failed_source(con: duckdb.DuckDBPyConnection, run: RunInfo, source: Source, error: str) -> None:
    """A connector that crashed: the staged table keeps its last good picture; the ledger says so."""
    ensure_tables(con, source)
    state = con.execute(
        "select in_force_delivery, delivery_date from ledger.source_state where source = ?", [source.name]
    ).fetchone() if source.kind == "snapshot" else con.execute(
        "select delivery_id, delivery_date from ledger.event_deliveries where source = ? "
        "order by delivery_date desc limit 1", [source.name]
    ).fetchone()
    in_force, date = state if state else (None, None)
    _record_run_source(con, run, source, SourceOutcome(source.name, in_force, date, problem="failed"))
    con.execute(
        "insert into ledger.deliveries values (?, ?, ?, null, ?, null, null, null, null, null, null, 'failed', ?)",
        [run.run_id, source.name, f"{source.name}/*", source.kind, error[:500]],
    )
