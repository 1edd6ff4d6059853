"""A night never removes the scratch copy of a review export still running, and removes the copy an export
that died left behind (`hedui.warehouse.publish.remove_stale_work_files`, `hedui.review.impact`)."""

from __future__ import annotations

import os
import subprocess
import sys

from hedui.warehouse.publish import remove_stale_work_files, review_scratch_path


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_night_keeps_a_running_exports_scratch_and_removes_a_dead_ones(tmp_path):
    warehouse = tmp_path / "hedui.duckdb"
    warehouse.write_bytes(b"published")
    running = review_scratch_path(warehouse, os.getpid())
    dead = review_scratch_path(warehouse, _dead_pid())
    dead_wal = dead.with_name(dead.name + ".wal")
    run_left = warehouse.with_name(warehouse.name + ".tmp-20261103-0200")
    for path in (running, dead, dead_wal, run_left):
        path.write_bytes(b"copy")

    removed = remove_stale_work_files(warehouse)

    assert set(removed) == {dead, dead_wal, run_left}
    assert running.exists() and warehouse.exists()
    assert not dead.exists() and not dead_wal.exists() and not run_left.exists()


def test_the_exports_scratch_is_not_named_like_a_runs_working_copy(tmp_path):
    warehouse = tmp_path / "hedui.duckdb"
    scratch = review_scratch_path(warehouse, 4242)
    assert scratch.parent == warehouse.parent  # beside the warehouse: the same personal data, the same place
    assert not scratch.name.startswith(warehouse.name + ".tmp-")
