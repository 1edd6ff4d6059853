"""The prefecture bench's peak memory counts every process of a run at once (`bench/tree_memory.py`): the caseworker
lists are written by worker processes beside the night's own, and `wait4`'s peak is one process's, never their
sum."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "bench" / "tree_memory.py"
_spec = importlib.util.spec_from_file_location("tree_memory", _PATH)
tree_memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tree_memory)

# A parent holding 120 MiB that starts a child holding 160 MiB and waits for it: both at once.
_PARENT = """
import subprocess, sys
held = bytearray(120 * 2**20); held[::4096] = b"x" * len(held[::4096])
child = subprocess.Popen([sys.executable, "-c", '''
import time
held = bytearray(160 * 2**20); held[::4096] = b"y" * len(held[::4096])
time.sleep(2)
'''])
child.wait()
"""


def test_the_peak_is_every_process_of_the_run_at_once_not_the_largest_one():
    if not Path("/proc/self/smaps_rollup").exists():
        import pytest

        pytest.skip("needs Linux's /proc")
    process = subprocess.Popen([sys.executable, "-c", _PARENT])
    with tree_memory.TreeMemory(process.pid, interval=0.2) as tree:
        _, status, _ = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # both processes' pages at once: more than either holds alone (160 MiB and an interpreter's 10 to 20). wait4's
    # peak cannot be compared here: it counts the child as it was forked from this test process, before its exec.
    assert tree.peak_mib >= 120 + 160
