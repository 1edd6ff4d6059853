"""Reading one delivery: every file read (`connectors.file_reader`), typed, checked against its contract, and
split into rows to load and rows to quarantine. Nothing is written to the published tables here;
`connectors.ingest` decides whether the delivery is taken (a snapshot may still be held back) and then commits
its rows.

Tables left behind for the caller (temporary, named after the delivery's `tag`):
- `<tag>_raw`: a view of the text cells by column name, one row per record (`file`, `row_number`, `src_*`,
  `extra`), over the files' cell tables `<tag>_f<i>`
- `<tag>_loaded`: typed rows that passed the contract, with `delivery_id` and `delivery_date` (a view of the
  candidates of the deliveries typed together, which stay until `drop_delivery_tables`)
- `<tag>_quarantine`: one row per failure (file, row_number, expectation, column_name, value, reason)
- `<tag>_flags`: loaded rows with a finding (file, row_number, flag, detail)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from connectors import file_reader
from connectors.digests import FileDigests
from connectors.discovery import Delivery, delivery_checksum
from connectors.encoding import UnreadableFile
from connectors.encoding import scan as encoding_scan
from connectors.headers import StructuralError
from connectors.spec import DELIVERY_DATE, Source
from connectors.sql_text import sql_literal
from connectors.typing_sql import DELIVERED_ON, staging_query
from hedui import contracts
from hedui.contracts.validate import contract_engine


class DeliveryRejected(Exception):
    """The delivery's structure is broken: it is rejected whole, and the source keeps its last good picture.
    `rows`: its records as counted by the byte scan (set aside in the ledger), None when a file cannot be
    counted without reading it (a workbook, UTF-16)."""

    def __init__(self, reason: str, rows: int | None = None) -> None:
        super().__init__(reason)
        self.rows = rows


def file_label(index: int, path: Path | str) -> str:
    """How a file is named outside the warehouse: by its position in the delivery, never by its name, which
    senders sometimes make out of the contents (`李秀英等死亡名单_4304….csv`)."""
    suffix = Path(path).suffix.lower() or "no suffix"
    return f"file {index + 1} ({suffix})"


def _count_unread(path: Path) -> int | None:
    """The records of a file of a rejected delivery, by the byte scan alone (None for what it cannot count)."""
    if path.suffix.lower() == ".xlsx":
        return None
    try:
        scanned = encoding_scan(path)
    except OSError:
        return None
    return scanned.records.records if scanned.records is not None else None


def _rejected_rows(reads: list, failed_records: int | None, rest: tuple[Path, ...]) -> int | None:
    counts = [r.rows for r in reads] + [failed_records] + [_count_unread(p) for p in rest]
    return None if None in counts else sum(counts)


@dataclass
class LoadedDelivery:
    delivery: Delivery
    tag: str
    checksum: str
    files: list[dict] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    notes: list[str] = field(default_factory=list)
    # whether a file of the delivery has columns its source does not declare (kept in `raw.<source>`)
    unknown_columns: bool = False


def _cells_projection(read: file_reader.FileRead, source: Source, cells_table: str) -> str:
    """Map positional cells to named `src_` columns; unknown columns go into `extra` as JSON."""
    columns = [
        f"c{read.header.known[c.name]} as src_{c.name}" if c.name in read.header.known else f"null::varchar as src_{c.name}"
        for c in source.columns
    ]
    if read.header.extra:
        pairs = ", ".join(f"{sql_literal(name)}: c{pos}" for name, pos in read.header.extra.items())
        extra = f"to_json({{{pairs}}})"
    else:
        extra = "null::json"
    return (
        f"select {sql_literal(read.file)} as file, row_number, {', '.join(columns)}, {extra} as extra, _ragged "
        f"from {cells_table}"
    )


def checksum_files(delivery: Delivery, digests: FileDigests) -> tuple[str, dict[str, str]]:
    """The delivery's checksum from its files' SHA-256, reusing the digests of files not touched since they were
    hashed (and, within a run, of files already hashed for another check)."""
    sums = {f.name: digests.sha256(f) for f in delivery.files}
    return delivery_checksum(sums), sums


def _scratch_in_main() -> bool:
    """Whether the candidates live in `main` rather than as TEMP objects: Great Expectations (the `gx` contract
    engine) reads them through other cursors of the connection, which cannot see TEMP objects. The compiled
    engine reads them on the connection itself, and a TEMP table is never written to the warehouse's file (a
    table in `main` is: 20 million typed rows of a year of settlements, written only to be dropped)."""
    return contract_engine() == "gx"


def _scratch(name: str) -> str:
    return f"main.{name}" if _scratch_in_main() else f"temp.{name}"


def _create_scratch(kind: str, qualified: str) -> str:
    """`create or replace [temp] table|view <qualified>`, for a name `_scratch` qualified."""
    temporary = "temp " if qualified.startswith("temp.") else ""
    return f"create or replace {temporary}{kind} {qualified}"


def candidates_table(tag: str) -> str:
    """The typed rows of one delivery before validation: a view of its part of the batch's candidates
    (`batch_candidates_table`)."""
    return _scratch(f"_hedui_cand_{tag}")


def batch_candidates_table(tag: str) -> str:
    """The typed rows of every delivery read together, with `_part` (the delivery's position in the batch)."""
    return _scratch(f"_hedui_cand_batch_{tag}")


def _prepare(con: duckdb.DuckDBPyConnection, delivery: Delivery, source: Source, *, tag: str, as_of: dt.date,
             tmp_dir: Path) -> LoadedDelivery:
    """Read the delivery's files into `<tag>_raw` (a view of the text cells by column name); ragged rows go to
    quarantine. The rows are typed later, with the other deliveries read together (`_type_batch`)."""
    if not delivery.files:
        # name what was set aside (a refused link, a stray file): otherwise the reason does not say why
        raise DeliveryRejected("; ".join(["the delivery folder holds no .csv or .xlsx file", *delivery.skipped]), 0)
    reads: list[file_reader.FileRead] = []
    for index, path in enumerate(delivery.files):
        try:
            reads.append(file_reader.read_file(con, path, source, f"{tag}_f{index}", tmp_dir))
        except (StructuralError, UnreadableFile) as exc:
            raise DeliveryRejected(f"{file_label(index, path)}: {exc}",
                                   _rejected_rows(reads, exc.records, delivery.files[index + 1:])) from None
        except OSError as exc:
            raise DeliveryRejected(
                f"{file_label(index, path)}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    checksum = delivery_checksum({r.file: r.sha256 for r in reads})
    result = LoadedDelivery(delivery, tag, checksum)
    result.files = [{"file": r.file, "sha256": r.sha256, "encoding": r.encoding, "rows": r.rows} for r in reads]
    result.notes = [f"{file_label(i, r.file)}: {r.note}" for i, r in enumerate(reads) if r.note] + list(delivery.skipped)
    result.unknown_columns = any(r.header.extra for r in reads)

    # Views, not copies: the files' cell tables are the only materialisation of the text until typing, which
    # saves two full copies of every delivery (20 million rows for a year of settlements). The file tables
    # live until `drop_delivery_tables`, since `<tag>_raw` is read again when a delivery with unknown columns is
    # committed (their text goes to `raw.<source>`).
    union = "\nunion all by name\n".join(_cells_projection(r, source, f"{tag}_f{i}") for i, r in enumerate(reads))
    con.execute(f"create or replace temp view {tag}_cells as {union}")

    # Rows whose field count is wrong cannot be typed: they are quarantined as they are.
    con.execute(
        f"""
        create or replace temp table {tag}_quarantine as
        select file, row_number, 'row_structure' as expectation, null::varchar as column_name,
               null::varchar as value, _ragged as reason
        from {tag}_cells
        where _ragged is not null
        """
    )
    con.execute(
        f"create or replace temp view {tag}_raw as select * exclude (_ragged) from {tag}_cells where _ragged is null"
    )
    return result


def _type_batch(con: duckdb.DuckDBPyConnection, prepared: list[LoadedDelivery], source: Source,
                spark=None) -> str:
    """Type the rows of every delivery read together in ONE statement, into `batch_candidates_table`, and give
    each delivery its view `candidates_table(tag)`. One pass, not one per delivery: the names, IDs and dates
    are looked up once per distinct value of the whole batch, and a year of weekly settlements repeats the
    same people and dates every week (typing each of 53 deliveries on its own looked each person up 53 times
    and cost half of the medical ingest).

    With `spark` (a `hedui.engines.spark_temp_queries.SparkTempQueries`, `hedui nightly --engine spark`) the same
    statement runs on Spark over the read rows handed over as Parquet, and its rows come back with the types
    DuckDB's own evaluation gives them (docs/spark.md)."""
    batch = batch_candidates_table(prepared[0].tag)
    raw = f"{prepared[0].tag}_batch_raw"
    parts = "\nunion all\n".join(
        f"select {i} as _part, DATE '{p.delivery.date.isoformat()}' as {DELIVERED_ON}, * from {p.tag}_raw"
        for i, p in enumerate(prepared)
    )
    con.execute(f"create or replace temp view {raw} as {parts}")
    typing = staging_query(source, raw, ("_part",))
    try:
        if spark is None:
            con.execute(f"{_create_scratch('table', batch)} as {typing}")
        else:
            _type_on_spark(con, spark, source, batch, raw, typing)
    finally:
        con.execute(f"drop view if exists {raw}")
    for i, p in enumerate(prepared):
        con.execute(f"{_create_scratch('view', candidates_table(p.tag))} as "
                    f"select * exclude (_part) from {batch} where _part = {i}")
    return batch


def _type_on_spark(con: duckdb.DuckDBPyConnection, spark, source: Source, batch: str, raw: str,
                   typing: str) -> None:
    """The typing statement on Spark into the temp table `batch`; a failure names the stage and the source (never a
    value: `SparkQueryFailed` carries Spark's first line, not the rows)."""
    schema, name = batch.split(".", 1)
    spark.create_temp_table(con, name, typing, (raw,), {}, label=f"ingest.{source.name} (typing)")
    if schema != "temp":  # the gx contract engine reads the candidates through other cursors (`_scratch_in_main`)
        con.execute(f"{_create_scratch('table', batch)} as select * from temp.{name}")
        con.execute(f"drop table temp.{name}")


def read_deliveries(
    con: duckdb.DuckDBPyConnection,
    deliveries: list[tuple[Delivery, str]],
    source: Source,
    *,
    as_of: dt.date,
    run_id: str,
    tmp_dir: Path,
    results_dir: Path | None,
    spark=None,
) -> dict[str, LoadedDelivery | DeliveryRejected]:
    """Read several deliveries of one source (each with its table tag), validating all their rows against the
    source's contract in ONE Great Expectations run: a year of weekly deliveries costs one validation, not
    fifty. During validation a row is identified by `<folder>/<position of its file>` and its row number: the
    validation results are kept as files outside the warehouse, and a file's name can carry personal data.
    With `spark` (`SparkTempQueries`) the typing and the compiled contract run on Spark; the files are still
    read here, and what comes back is what DuckDB alone would have made."""
    outcome: dict[str, LoadedDelivery | DeliveryRejected] = {}
    prepared: list[LoadedDelivery] = []
    for delivery, tag in deliveries:
        try:
            loaded = _prepare(con, delivery, source, tag=tag, as_of=as_of, tmp_dir=tmp_dir)
        except DeliveryRejected as exc:
            outcome[delivery.delivery_id] = exc
            continue
        prepared.append(loaded)
        outcome[delivery.delivery_id] = loaded
    if not prepared:
        return outcome
    # the candidates stay until `drop_delivery_tables`: each delivery's `<tag>_loaded` is a view of them
    candidates = _type_batch(con, prepared, source, spark)
    _validate_and_finish(con, prepared, source, candidates, as_of=as_of, run_id=run_id, results_dir=results_dir,
                         spark=spark)
    return outcome


def _validate_and_finish(con: duckdb.DuckDBPyConnection, prepared: list[LoadedDelivery], source: Source,
                         candidates: str, *, as_of: dt.date, run_id: str, results_dir: Path | None,
                         spark=None) -> None:
    # A view over the candidate table: nothing is copied (and Great Expectations' cursors see it when the
    # candidates live in `main`). Each row's file is named by its delivery's folder and its position in it, and
    # the row carries its delivery's date, which the dates a department's extract cannot exceed are checked
    # against (`not_after_delivery`).
    batch = _scratch(f"_hedui_batch_{prepared[0].tag}")
    con.execute(
        f"{_create_scratch('view', batch)} as "
        f"select c.* exclude (_part) replace (labels.label as file), labels.delivery_date as {DELIVERY_DATE} "
        f"from {candidates} as c join ({_file_labels(prepared)}) as labels(part, file, label, delivery_date) "
        f"on c._part = labels.part and c.file = labels.file"
    )
    try:
        checked = contracts.validate_delivery(
            con, source.name, batch, as_of=as_of, run_id=run_id,
            delivery_id=prepared[0].delivery.delivery_id if len(prepared) == 1 else f"{source.name}/batch-{len(prepared)}",
            results_dir=results_dir, spark=spark,
        )
    finally:
        con.execute(f"drop view if exists {batch}")  # never published, whatever happens
    for loaded in prepared:
        prefix = loaded.delivery.folder + "/"
        con.execute(
            f"""
            insert into {loaded.tag}_quarantine
            select {_file_name(loaded, f"substr(file, {len(prefix) + 1})")}, row_number, expectation, column_name,
                   value, reason
            from {checked.failed}
            where starts_with(file, {sql_literal(prefix)})
            """
        )
        _finish(con, source, loaded)
    con.execute(f"drop table if exists {checked.failed}")


def _file_labels(prepared: list[LoadedDelivery]) -> str:
    """SQL: (part, file, label, delivery_date) for every file of the batch, its label `<folder>/<position of the
    file>`."""
    rows = ", ".join(
        f"({part}, {sql_literal(f['file'])}, {sql_literal(f'{p.delivery.folder}/{i + 1}')}, "
        f"DATE '{p.delivery.date.isoformat()}')"
        for part, p in enumerate(prepared) for i, f in enumerate(p.files)
    )
    return f"values {rows}"


def _file_name(loaded: LoadedDelivery, position: str) -> str:
    """SQL: the file's name again from its position (the inverse of `_file_labels`)."""
    cases = " ".join(f"when '{i + 1}' then {sql_literal(f['file'])}" for i, f in enumerate(loaded.files))
    return f"(case {position} {cases} end)"


def read_delivery(con: duckdb.DuckDBPyConnection, delivery: Delivery, source: Source, *, tag: str, as_of: dt.date,
                  run_id: str, tmp_dir: Path, results_dir: Path | None, spark=None) -> LoadedDelivery:
    """One delivery (see `read_deliveries`); raises DeliveryRejected when its structure is broken."""
    result = read_deliveries(con, [(delivery, tag)], source, as_of=as_of, run_id=run_id, tmp_dir=tmp_dir,
                             results_dir=results_dir, spark=spark)[delivery.delivery_id]
    if isinstance(result, DeliveryRejected):
        raise result
    return result


def _finish(con: duckdb.DuckDBPyConnection, source: Source, result: LoadedDelivery) -> None:
    """Split the candidates into loaded rows and quarantine, collect flags, and count."""
    tag, delivery = result.tag, result.delivery
    _drop_duplicate_keys(con, source, tag)

    working_columns = [f"src_{c.name}" for c in source.columns] + [
        f"{'id' if c.name == 'id' else c.name}_sci_notation" for c in source.columns if c.type == "id"
    ]
    # A view, not a copy: the rows are written once, when the delivery is committed (a year of settlements
    # copied here cost a tenth of the medical ingest).
    con.execute(
        f"""
        create or replace temp view {tag}_loaded as
        select
            {sql_literal(delivery.delivery_id)} as delivery_id,
            {sql_literal(delivery.date.isoformat())}::date as delivery_date,
            c.* exclude ({", ".join(working_columns)})
        from {candidates_table(tag)} as c
        anti join (select distinct file, row_number from {tag}_quarantine) as q
            on c.file = q.file and c.row_number = q.row_number
        """
    )
    _collect_flags(con, source, tag)

    result.rows_read = sum(f["rows"] for f in result.files)
    result.rows_loaded = con.execute(f"select count(*) from {tag}_loaded").fetchone()[0]
    result.rows_quarantined = con.execute(
        f"select count(*) from (select distinct file, row_number from {tag}_quarantine)"
    ).fetchone()[0]
    if result.rows_read != result.rows_loaded + result.rows_quarantined:
        raise RuntimeError(f"{source.name}: row accounting broken in {result.delivery.delivery_id}")


def _drop_duplicate_keys(con: duckdb.DuckDBPyConnection, source: Source, tag: str) -> None:
    """Snapshots: a key that repeats in one delivery keeps its first row; later rows are quarantined.
    Events: a repeat of the same event is the same event (counted once later), not a failure."""
    con.execute(
        f"""
        insert into {tag}_quarantine
        select c.file, c.row_number, 'key_present', 'record_key', null,
               'the record has no usable key (for example an ID that cannot be read), so it cannot be kept apart from others'
        from {candidates_table(tag)} as c
        anti join (select distinct file, row_number from {tag}_quarantine) as q
            on c.file = q.file and c.row_number = q.row_number
        where c.record_key is null
        """
    )
    if source.kind == "event":
        return
    con.execute(
        f"""
        insert into {tag}_quarantine
        with passing as (
            select c.file, c.row_number, c.record_key
            from {candidates_table(tag)} as c
            anti join (select distinct file, row_number from {tag}_quarantine) as q
                on c.file = q.file and c.row_number = q.row_number
        ),
        ranked as (
            select
                file,
                row_number,
                record_key,
                first_value(file || ' row ' || row_number) over (
                    partition by record_key order by file, row_number
                ) as first_seen,
                row_number() over (partition by record_key order by file, row_number) as occurrence
            from passing
        )
        select file, row_number, 'duplicate_key', 'record_key', record_key,
               'the same key appears earlier in this delivery (' || first_seen || '); the first row is kept'
        from ranked
        where occurrence > 1
        """
    )


def _collect_flags(con: duckdb.DuckDBPyConnection, source: Source, tag: str) -> None:
    checks = []
    id_only = {link.id for link in source.id_only_links}
    for column in (c for c in source.columns if c.type == "id"):
        id_prefix = column.id_prefix
        outcome = "never linked (this person is linked by a valid ID only)" if column.name in id_only else \
            "linked only by the fuzzy path"
        checks.append(
            f"select file, row_number, 'id_invalid' as flag, "
            f"'the ID fails its check character or birth date: {outcome}' as detail "
            f"from {tag}_loaded where {id_prefix}_raw is not null and not {id_prefix}_valid"
        )
    for column in (c for c in source.columns if c.type == "amount" and c.required):
        checks.append(
            f"select file, row_number, 'amount_unknown', "
            f"'{column.header} is empty: unknown (not zero); rules that need it treat it as unknown' "
            f"from {tag}_loaded where {column.name} is null"
        )
    for flag in source.flags:  # the declaration's own findings (medical: 个人自付; business: the credit code)
        checks.append(
            f"select file, row_number, {sql_literal(flag.name)}, {sql_literal(flag.detail)} "
            f"from {tag}_loaded where {flag.when}"
        )
    if checks:
        con.execute(f"create or replace temp table {tag}_flags as {' union all '.join(checks)}")
    else:
        con.execute(f"create or replace temp table {tag}_flags as select null::varchar as file, null::bigint as row_number, null::varchar as flag, null::varchar as detail where false")


def drop_delivery_tables(con: duckdb.DuckDBPyConnection, tag: str) -> None:
    for suffix in ("raw", "cells", "loaded"):
        con.execute(f"drop view if exists {tag}_{suffix}")
    for suffix in ("quarantine", "flags"):
        con.execute(f"drop table if exists {tag}_{suffix}")
    con.execute(f"drop view if exists {candidates_table(tag)}")
    con.execute(f"drop table if exists {batch_candidates_table(tag)}")  # held by the batch's first delivery
    files = con.execute(
        "select table_name from duckdb_tables() where temporary and regexp_full_match(table_name, $pattern)",
        {"pattern": re.escape(tag) + r"_f[0-9]+"},
    ).fetchall()
    for (name,) in files:
        con.execute(f"drop table if exists {name}")


def files_json(loaded: LoadedDelivery | None, delivery: Delivery) -> str:
    if loaded is not None:
        return json.dumps(loaded.files, ensure_ascii=False)
    return json.dumps([{"file": f.name} for f in delivery.files], ensure_ascii=False)
