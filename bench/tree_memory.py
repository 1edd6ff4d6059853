"""The memory a process and all its descendants hold at once, sampled while it runs.

`wait4`'s peak RSS is that of the largest single process among those waited for, never their sum: a night whose
caseworker lists are written by worker processes (each holding a township's workbook) beside the night's own
process holds more of the machine than any one of them. This samples the sum, in PSS (each shared page counted
once, shared among the processes that map it), from Linux's /proc; elsewhere it reports nothing.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_PROC = Path("/proc")


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = (_PROC / entry.name / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        parent = int(stat.rpartition(")")[2].split()[1])  # the command may hold spaces and parentheses
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _pss_kib(pid: int) -> int:
    try:
        with open(_PROC / str(pid) / "smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_mib(root: int) -> float:
    """PSS of `root` and every process descended from it, summed, in MiB."""
    children = _children_by_parent()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        total += _pss_kib(pid)
    return total / 1024


class TreeMemory:
    """Samples `tree_pss_mib(pid)` every `interval` seconds from start until stop; `peak_mib` is the largest
    sample, None where /proc cannot be read. A peak that lasts less than the interval can be missed."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid, self.interval = pid, interval
        self.peak_mib: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            sample = tree_pss_mib(self.pid)
            if sample:
                self.peak_mib = max(self.peak_mib or 0.0, sample)
            self._stop.wait(self.interval)

    def __enter__(self) -> "TreeMemory":
        if (_PROC / "self" / "smaps_rollup").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
