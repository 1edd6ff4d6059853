"""Where one source's ingest spends its time: the stage alone, on a landing zone, into a fresh warehouse.

    .venv/bin/python bench/ingest_profile.py <landing> [--source medical] [--as-of 2026-11-20]
                                             [--memory-limit 4GB] [--cprofile out.prof] [--top 25]

The full run (bench/prefecture.py) times whole stages; this says what inside one stage costs. It runs
`connectors.ingest.ingest_source` for one source, exactly as a night does (same connection settings, a fresh
migrated warehouse, one run), with two instruments:

- **phases**: the ingest's own steps (reading files, typing, contracts, splitting, committing quarantine and
  staged rows, merging events, comments, digests and ledger) timed by wrapping the functions that do them;
  exclusive time, so the phases add up to the stage;
- **statements**: every SQL statement the stage sends, grouped by its opening words, with its total time
  (the connection is wrapped; the time of a statement is what `execute` took).

`--cprofile` also writes a cProfile of the stage (read it with `python -m pstats`). Nothing of the landing
zone is changed; the warehouse is a temporary file, removed at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import connectors.delivery_reader as delivery_reader  # noqa: E402
import connectors.ingest as ingest  # noqa: E402
from connectors import SOURCES  # noqa: E402
from hedui import contracts  # noqa: E402
from hedui.policy import load_policy  # noqa: E402
from hedui.stages import begin_run  # noqa: E402
from hedui.warehouse.publish import connect  # noqa: E402
from hedui.warehouse.schema import migrate  # noqa: E402

# (module, function name, phase): the functions whose time is a phase of the ingest. Nested calls are
# subtracted from their caller (exclusive time), so that the phases add up to the whole.
PHASES = [
    (ingest, "ensure_tables", "tables and comments"),
    (ingest, "comment_staged_table", "tables and comments"),
    (delivery_reader, "checksum_files", "checksums"),
    (delivery_reader.file_reader, "read_file", "read files (scan, transcode, read_csv, ragged)"),
    (delivery_reader, "_prepare", "cells views, ragged rows"),
    (delivery_reader, "_type_batch", "typing (one statement for the deliveries read)"),
    (delivery_reader, "read_deliveries", "contract batch view, failed rows to quarantine"),
    (contracts, "validate_delivery", "contracts"),
    (delivery_reader, "_finish", "split loaded / quarantine, flags, counts"),
    (ingest, "_commit_quarantine", "commit quarantine"),
    (ingest, "_commit_event_delivery", "commit event delivery (unknown columns, ledger)"),
    (ingest, "_commit_snapshot", "commit snapshot (unknown columns, staged)"),
    (ingest, "rebuild_event_table", "merge events (rebuild)"),
    (ingest, "merge_new_events", "merge events (new deliveries)"),
    (ingest, "_record_run_source", "ledger"),
    (ingest, "_finish_events_picture", "ledger"),
    (ingest.FileDigests, "save", "checksums"),
]


class Clock:
    def __init__(self) -> None:
        self.exclusive: dict[str, float] = defaultdict(float)
        self.exclusive_cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list] = []  # [phase, started, CPU at start, wall and CPU of nested phases]

    @contextmanager
    def phase(self, name: str):
        frame = [name, time.perf_counter(), time.process_time(), 0.0, 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            spent, cpu = time.perf_counter() - frame[1], time.process_time() - frame[2]
            self.exclusive[name] += spent - frame[3]
            self.exclusive_cpu[name] += cpu - frame[4]
            self.calls[name] += 1
            if self._stack:
                self._stack[-1][3] += spent
                self._stack[-1][4] += cpu

    def wrap(self, owner, attribute: str, name: str) -> None:
        original = getattr(owner, attribute, None)
        if original is None:  # a step this version of the code does not have (profiling an older commit)
            return

        def timed(*args, **kwargs):
            with self.phase(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)
        # the modules that imported the function by name call their own reference: replace it there too
        for module in (ingest, delivery_reader):
            if getattr(module, attribute, None) is original and module is not owner:
                setattr(module, attribute, timed)


_WORDS = re.compile(r"\s+")


def statement_label(sql: str) -> str:
    """A statement's opening words, without its delivery tags (e_medical_12 → e_*), to group like statements."""
    text = _WORDS.sub(" ", sql.strip())
    text = re.sub(r"([de]_[a-z_]+?)_[0-9]+", r"\1_*", text)
    text = re.sub(r"_[0-9a-f]{10}\b", "_*", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    return text[:110]


class TimedConnection:
    """The connection, with every `execute` timed by statement. Everything else passes through."""

    def __init__(self, con, clock: Clock) -> None:
        self._con, self._clock = con, clock
        self.statements: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])

    def execute(self, sql, *args, **kwargs):
        started = time.perf_counter()
        result = self._con.execute(sql, *args, **kwargs)
        entry = self.statements[statement_label(sql)]
        entry[0] += time.perf_counter() - started
        entry[1] += 1
        return self if result is self._con else result

    def executemany(self, sql, *args, **kwargs):
        started = time.perf_counter()
        self._con.executemany(sql, *args, **kwargs)
        entry = self.statements[statement_label(sql)]
        entry[0] += time.perf_counter() - started
        entry[1] += 1
        return self

    def fetchone(self):
        return self._con.fetchone()

    def fetchall(self):
        return self._con.fetchall()

    @property
    def description(self):
        return self._con.description

    def __getattr__(self, name):
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--source", default="medical", choices=sorted(SOURCES))
    parser.add_argument("--as-of", default="2026-11-20", type=dt.date.fromisoformat)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--cprofile", type=Path, help="also write a cProfile of the stage here")
    parser.add_argument("--top", type=int, default=25, help="how many statements to list")
    parser.add_argument("--keep", type=Path, help="keep the warehouse at this path (to inspect it)")
    args = parser.parse_args()

    clock = Clock()
    for owner, attribute, name in PHASES:
        clock.wrap(owner, attribute, name)

    work = Path(tempfile.mkdtemp(prefix="hedui-ingest-profile-"))
    warehouse = args.keep or work / "hedui.duckdb"
    con = connect(warehouse, memory_limit=args.memory_limit, temp_directory=work / "duckdb-tmp")
    migrate(con, "profile")
    run = begin_run(con, as_of=args.as_of, landing=args.landing, policy=load_policy(), run_id="profile")
    timed = TimedConnection(con, clock)
    profiler = cProfile.Profile() if args.cprofile else None
    cpu0, started = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    with clock.phase("other (discovery, planning, transaction)"):
        outcome = ingest.ingest_source(timed, args.landing, SOURCES[args.source], run, tmp_dir=work / "tmp",
                                       results_dir=work / "validations")
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.cprofile)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    with clock.phase("checkpoint (outside the stage)"):
        con.execute("checkpoint")
    # every table of the source the ingest wrote, and its rows: each version is stored once (`staged.<source>`,
    # `staged.<source>_superseded` for an event source), `raw.<source>` holds unknown columns only
    stored = {f"{schema}.{table}": con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
              for schema, table in con.execute(
                  "select schema_name, table_name from duckdb_tables() where schema_name in ('raw', 'staged') "
                  "and (table_name = $name or table_name like $name || '\\_%' escape '\\') order by all",
                  {"name": args.source}).fetchall()}
    size = warehouse.stat().st_size
    con.close()

    loaded = sum(1 for d in outcome.deliveries if d["status"] == "loaded")
    print(f"{args.source}: {loaded} deliveries loaded; rows stored: "
          + ", ".join(f"{table} {rows:,}" for table, rows in stored.items())
          + f"; {os.cpu_count()} cores, memory limit {args.memory_limit}")
    print(f"stage: {wall:.1f} s wall, {cpu:.1f} s CPU (this process; DuckDB threads included); "
          f"warehouse after checkpoint {size / 2**20:.0f} MiB")
    # CPU is the process's (all DuckDB threads): on a machine shared with other work, wall time waits for the
    # cores and CPU time does not, so compare CPU between runs on a busy machine
    print(f"\n{'phase (exclusive time)':<58}{'wall s':>8}{'CPU s':>8}{'CPU %':>7}{'calls':>7}")
    for name, spent in sorted(clock.exclusive.items(), key=lambda kv: -kv[1]):
        cpu_spent = clock.exclusive_cpu[name]
        share = f"{cpu_spent / cpu:>7.0%}" if not name.startswith("checkpoint") else f"{'':>7}"
        print(f"{name:<58}{spent:>8.2f}{cpu_spent:>8.2f}{share}{clock.calls[name]:>7}")
    print(f"\n{'statement (opening words)':<112}{'s':>8}{'n':>6}")
    for label, (spent, count) in sorted(timed.statements.items(), key=lambda kv: -kv[1][0])[: args.top]:
        print(f"{label:<112}{spent:>8.2f}{count:>6}")
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
