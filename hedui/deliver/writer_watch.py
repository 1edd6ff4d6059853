"""A list writer leaves when the night that started it is gone.

The workbook writers are worker processes of a pool (`lists._WorkbookWriters`) forked from a fork server. When the
night's process is killed outright (the OOM killer, `kill -9`, a machine's watchdog), nothing tells them: each waits
on the pool's queue forever, holding its memory (about 200 MB each on the prefecture bench), and keeps the fork
server alive with it; every such night left more of them. So each worker watches the night's process from a thread
and exits when it is gone. A workbook it was writing is left under its partial name (`workbook.partial_path`),
which the next lists remove.
"""

from __future__ import annotations

import os
import select
import threading
import time

from hedui.processes import process_alive

# The exit status of a writer whose night is gone (EX_SOFTWARE): not 0, the workbook was not finished.
NIGHT_GONE_EXIT = 70


def exit_when_gone(pid: int, poll_seconds: float = 1.0) -> None:
    """Pool initializer: exit this process as soon as process `pid` (the night) has ended. On Linux it waits on
    a pidfd, which becomes readable when that process ends (no polling, and a reused process ID cannot fool it);
    elsewhere it asks every `poll_seconds` whether the process still exists."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux, or the night already gone: ask by ID
        handle = None

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
        else:
            while process_alive(pid):
                time.sleep(poll_seconds)
        os._exit(NIGHT_GONE_EXIT)

    threading.Thread(target=watch, name="hedui-night-watch", daemon=True).start()
