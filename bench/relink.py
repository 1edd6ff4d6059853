"""Relink a copy of a night's warehouse: the linking stage alone, as a full recomputation, in place.

    python bench/relink.py WAREHOUSE [--policy FILE] [--memory-limit 6GB] [--threads 2]

For measuring a change to `matching` on a big city without a whole night (ingest and warnings are most of a
night's time; a MATCHING_VERSION bump would relink everything at the next night anyway). WAREHOUSE is
rewritten: `linked.*` become what this checkout's matching makes of its staged tables, and the stage's review-queue
health adds its row to `ledger.review_queue_nights`, as a night's linking does; nothing else changes.
Never point it at a warehouse analysts read: copy it first. Then `bench/link_quality.py city` measures it.
Prints the stage's counts (no personal data) and its wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hedui.policy import load_policy  # noqa: E402
from hedui.run_info import RunInfo  # noqa: E402
from matching import link_records  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--policy", type=Path, default=None)
    parser.add_argument("--memory-limit", default="6GB")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    con = duckdb.connect(str(args.warehouse))
    temp = args.warehouse.with_name(args.warehouse.name + ".tmp")
    con.execute("set memory_limit = ?", [args.memory_limit])
    con.execute("set threads = ?", [int(args.threads)])
    con.execute("set temp_directory = ?", [str(temp)])
    (as_of,) = con.execute("select max(as_of) from ledger.runs").fetchone()
    run = RunInfo(run_id="relink", as_of=as_of or dt.date.today(), policy=load_policy(args.policy),
                  full_recompute=True)
    started = time.perf_counter()
    stats = link_records(con, run)
    con.execute("checkpoint")
    con.close()
    print(f"relinked in {time.perf_counter() - started:.1f}s: links {stats.links}; review {stats.review}; "
          f"fuzzy profiles {stats.fuzzy_profiles}; candidate pairs {stats.candidate_pairs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
