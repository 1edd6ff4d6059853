"""Atomic runs: work on a private copy of the warehouse, publish it by renaming it over the old file.

Analysts hold read-only connections to the published file. DuckDB will not open a file for writing while
another process reads it, and a reader must never see half a run; so a run copies the published file to
`<warehouse>.tmp-<run_id>`, does all its work there, checkpoints, and `os.replace`s it over the published
name. Readers that were already connected keep reading the old file (its inode lives until they close);
new readers see the whole new run. A run that dies leaves the published file untouched and a temporary
file that the next run removes.

The cost is one file copy per run (a few seconds per GB on ordinary disks, instant where the filesystem
supports reflinks); `shutil.copyfile` uses the kernel's copy_file_range where it can.
"""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb

from hedui.processes import owner_gone
from hedui.warehouse.lock import writer_lock
from hedui.warehouse.naming import check_warehouse_name
from hedui.warehouse.schema import check_readable, migrate

log = logging.getLogger("hedui.warehouse")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_work_files(warehouse: Path) -> list[Path]:
    """Temporary files of runs that died (only called while holding the writer lock), and the scratch copies of
    review exports whose process is gone (an export takes no lock: one still running keeps its copy)."""
    stale = sorted(warehouse.parent.glob(warehouse.name + ".tmp-*"))
    for path in sorted(warehouse.parent.glob(warehouse.name + REVIEW_SCRATCH_INFIX + "*")):
        pid = path.name.removeprefix(warehouse.name + REVIEW_SCRATCH_INFIX).split(".")[0]
        if not pid.isdigit() or owner_gone(pid):
            stale.append(path)
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


# A review export's scratch copy of the warehouse (`hedui.review.impact`): `<warehouse>.review-scratch-<pid>`. Not
# a run's `.tmp-*` name, which a night removes unasked while an export may still be reading its copy.
REVIEW_SCRATCH_INFIX = ".review-scratch-"


def review_scratch_path(warehouse: Path, pid: int) -> Path:
    """Where the review export of process `pid` copies `warehouse` (removed by that export when done, or by a
    night once the process is gone)."""
    return warehouse.with_name(f"{warehouse.name}{REVIEW_SCRATCH_INFIX}{pid}")


def _settings(memory_limit: str | None, temp_directory: Path | None, threads: int | None = None) -> dict[str, str]:
    """DuckDB's settings for a connection: only those given (DuckDB's defaults for the rest)."""
    config: dict[str, str] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if temp_directory:
        config["temp_directory"] = str(temp_directory)
    if threads:
        config["threads"] = str(threads)
    return config


def connect(path: Path, *, memory_limit: str | None = None, temp_directory: Path | None = None,
            threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config=_settings(memory_limit, temp_directory, threads))
    con.execute("set enable_progress_bar = false")  # a nightly job's log is not a terminal
    # Every timestamp the warehouse stores is UTC, as ledger.runs' are: a `default current_timestamp`
    # (warning events, outcomes) would otherwise be the machine's local time (Asia/Shanghai at the center) and
    # not compare with the runs' start and finish times.
    con.execute("set TimeZone = 'UTC'")
    return con


@contextmanager
def working_copy(warehouse: Path, run_id: str, *, wait_seconds: float = 0.0, memory_limit: str | None = None,
                 temp_directory: Path | None = None):
    """Yield a connection to a private copy of the warehouse, its schema migrated; publish it only if the block
    succeeds (a migration that fails publishes nothing either)."""
    warehouse = Path(warehouse).resolve()
    check_warehouse_name(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(warehouse, wait_seconds=wait_seconds):
        remove_stale_work_files(warehouse)
        work = warehouse.with_name(f"{warehouse.name}.tmp-{run_id}")
        if warehouse.exists():
            try:
                shutil.copyfile(warehouse, work)
            except BaseException:
                # a copy cut short (a full disk, a kill) must not stay behind filling the disk until next night
                work.unlink(missing_ok=True)
                raise
        con = connect(work, memory_limit=memory_limit, temp_directory=temp_directory)
        try:
            migrate(con, run_id)
            yield con
            drop_scratch_objects(con)
            con.execute("checkpoint")
            con.close()
            with open(work, "rb+") as handle:
                os.fsync(handle.fileno())
            set_aside_stray_wal(warehouse, run_id)
            os.replace(work, warehouse)
            set_aside_stray_wal(warehouse, run_id)  # written by a connection to the old file meanwhile
            _fsync_dir(warehouse.parent)
        except BaseException:
            try:
                con.close()
            finally:
                work.unlink(missing_ok=True)
                work.with_name(work.name + ".wal").unlink(missing_ok=True)
            raise


def set_aside_stray_wal(warehouse: Path, run_id: str) -> Path | None:
    """A `<warehouse>.wal` beside the published file belongs to no run: an analyst opened the warehouse
    read-write and wrote. Left there, DuckDB would try to replay it onto the newly published file and refuse
    every later open ("WAL checkpoint iteration does not match"). It is moved aside as
    `<warehouse>.wal.stray-<run_id>`, not deleted; the writes it holds are not in the published warehouse
    (the run started from the file without them): the analyst guide says so."""
    wal = warehouse.with_name(warehouse.name + ".wal")
    if not wal.exists():
        return None
    aside = wal.with_name(f"{wal.name}.stray-{run_id}")
    os.replace(wal, aside)
    log.warning("a stray write-ahead log beside the warehouse (a read-write connection) was set aside as %s",
                aside.name)
    return aside


def drop_scratch_objects(con: duckdb.DuckDBPyConnection) -> None:
    """Scratch tables and views a stage keeps in `main` (named `_hedui_…`: candidates that Great Expectations
    must see) are never published, even if a stage forgot one."""
    scratch = con.execute(
        """
        select 'view', view_name from duckdb_views() where not temporary and schema_name = 'main'
            and starts_with(view_name, '_hedui_')
        union all
        select 'table', table_name from duckdb_tables() where not temporary and schema_name = 'main'
            and starts_with(table_name, '_hedui_')
        order by 1 desc
        """
    ).fetchall()
    for kind, name in scratch:
        con.execute(f'drop {kind} if exists main."{name}"')


def open_readonly(warehouse: Path, *, memory_limit: str | None = None,
                  temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse; `SchemaError` if it needs a night to be upgraded first.
    The night's deliver stage passes its memory limit and temp directory: without them DuckDB takes 80% of the
    machine's memory, whatever the center set."""
    con = duckdb.connect(str(warehouse), read_only=True, config=_settings(memory_limit, temp_directory))
    try:
        check_readable(con, Path(warehouse).name)
    except BaseException:
        con.close()
        raise
    return con
