"""Helpers for the hostile-input and fault tests: one-source ingests into a throw-away warehouse, and the
accounting every delivery must satisfy whatever it held."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from hedui import stages
from hedui.run_info import RunInfo
from hedui.warehouse import migrate
from tests.conftest import SAMPLES_AS_OF

DEATH_HEADER = ["公民身份号码", "姓名", "死亡日期", "注销日期"]
# statuses that never read a row: nothing can be counted, so all four counts are NULL
UNREAD_STATUSES = {"rejected", "future", "ignored", "superseded", "failed", "unchanged"}


@dataclass
class IngestResult:
    ledger: list[dict]
    quarantine: list[dict]
    raw: list[dict]  # raw.<source>: the columns beyond the declaration
    staged: list[dict]
    flags: list[dict]
    # the rows as the reader read them, text by column (`<tag>_raw`), when asked for (`as_read=True`)
    read: list[dict] | None = None

    @property
    def delivery(self) -> dict:
        (only,) = [d for d in self.ledger if d["status"] not in ("ignored", "future")] or self.ledger
        return only


def staged_table(source: str) -> str:
    """Where every loaded row of a delivery lands: event sources keep each delivery's rows in `<source>_events`
    (the `<source>` table keeps each event once across deliveries)."""
    from connectors import SOURCES

    return f"{source}_events" if SOURCES[source].kind == "event" else source


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def ingest_files(files: dict[str, bytes], *, source: str = "death", folder: str = "20261103",
                 as_of: dt.date = SAMPLES_AS_OF, as_read: bool = False) -> IngestResult:
    """Ingest one delivery made of `files` (name -> bytes) of `source` into a fresh in-memory warehouse.
    Raises whatever the ingest raises: the callers assert it raises nothing. `as_read`: also read the delivery
    again with the reader alone, for its text cells, which the warehouse does not keep (`connectors.ingest`)."""
    base = Path(tempfile.mkdtemp(prefix="hedui-hostile-"))
    try:
        folder_path = base / "landing" / source / folder
        folder_path.mkdir(parents=True)
        for name, content in files.items():
            (folder_path / name).write_bytes(content)
        con = duckdb.connect()
        try:
            migrate(con)
            stages.ingest(con, base / "landing", source, RunInfo("hostile", as_of), tmp_dir=base / "scratch",
                          results_dir=None)
            assert_accounting(con)
            return IngestResult(
                ledger=_dicts(con, "select * from ledger.deliveries order by delivery_id"),
                quarantine=_dicts(con, "select * from quarantine.rows order by file, row_number"),
                raw=_dicts(con, f"select * from raw.{source} order by file, row_number"),
                staged=_dicts(con, f"select * from staged.{staged_table(source)} order by file, row_number"),
                flags=_dicts(con, "select * from quarantine.flags order by file, row_number"),
                read=_as_read(con, base / "landing", source, as_of, base / "scratch-read") if as_read else None,
            )
        finally:
            con.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _as_read(con: duckdb.DuckDBPyConnection, landing: Path, source: str, as_of: dt.date,
             scratch: Path) -> list[dict]:
    """The text cells of the delivery by column, as `connectors.delivery_reader` reads them before typing (rows
    of the right shape; none when the delivery is rejected, as the ingest on `con` rejected it)."""
    from connectors import SOURCES
    from connectors.delivery_reader import DeliveryRejected, drop_delivery_tables, read_delivery
    from connectors.discovery import discover

    rows: list[dict] = []
    scratch.mkdir(parents=True, exist_ok=True)  # a file that is not UTF-8 is transcoded there
    for index, delivery in enumerate(discover(landing, source, as_of).deliveries):
        tag = f"as_read_{index}"
        try:
            read_delivery(con, delivery, SOURCES[source], tag=tag, as_of=as_of, run_id="as-read", tmp_dir=scratch,
                          results_dir=None)
            rows += _dicts(con, f"select * from {tag}_raw order by file, row_number")
        except DeliveryRejected:
            # read again, a delivery is refused only if the ingest refused it too
            (status,) = con.execute("select status from ledger.deliveries where delivery_id = ?",
                                    [delivery.delivery_id]).fetchone()
            if status != "rejected":
                raise
        finally:
            drop_delivery_tables(con, tag)
    return rows


def assert_accounting(con: duckdb.DuckDBPyConnection) -> None:
    """Every delivery of every run: rows_read = loaded + quarantined + set aside; every refusal has a reason;
    the quarantine holds exactly the rows the ledger says, each with a reason; nothing is counted twice."""
    for d in _dicts(con, "select * from ledger.deliveries"):
        counts = (d["rows_read"], d["rows_loaded"], d["rows_quarantined"], d["rows_set_aside"])
        if d["status"] in ("loaded", "held_back"):
            assert None not in counts, d
        if d["rows_read"] is not None:
            assert None not in counts, d
            assert d["rows_read"] == d["rows_loaded"] + d["rows_quarantined"] + d["rows_set_aside"], d
            assert min(counts) >= 0, d
        else:
            assert d["status"] in UNREAD_STATUSES, d
            assert d["rows_loaded"] in (None, 0) and d["rows_quarantined"] in (None, 0), d
        if d["status"] in ("rejected", "held_back", "future", "ignored", "failed"):
            assert d["reason"] and d["reason"].strip(), d
    for d in _dicts(con, "select source, delivery_id, max(run_id) as run_id from ledger.deliveries "
                         "where status = 'loaded' group by all"):
        (latest_quarantined,) = con.execute(
            "select rows_quarantined from ledger.deliveries where source = ? and delivery_id = ? and run_id = ? "
            "and status = 'loaded'", [d["source"], d["delivery_id"], d["run_id"]]).fetchone()
        quarantined = con.execute(
            "select count(*) from (select distinct file, row_number from quarantine.rows "
            "where source = ? and delivery_id = ?)", [d["source"], d["delivery_id"]]).fetchall()[0][0]
        assert quarantined == latest_quarantined, (d, quarantined)
    assert con.execute("select count(*) from quarantine.rows where reason is null or trim(reason) = ''").fetchall()[0][0] == 0


def assert_accounting_file(path: Path) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert_accounting(con)
    finally:
        con.close()


def valid_id(body17: str) -> str:
    from stdnum.cn import ric

    return body17 + ric.calc_check_digit(body17 + "0")
