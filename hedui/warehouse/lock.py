"""One writer at a time: an exclusive advisory lock beside the warehouse file.

Two nightly runs started at once must never both write. The second one either waits (up to `wait_seconds`)
or refuses with `WarehouseBusy`. The lock is an `flock` on `<warehouse>.lock`, released by the kernel when
the process dies, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another process is writing the warehouse."""


@contextmanager
def writer_lock(warehouse: Path, wait_seconds: float = 0.0):
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(f"another run is writing {warehouse.name}; try again later") from None
                time.sleep(0.5)
        yield
    finally:
        os.close(fd)
