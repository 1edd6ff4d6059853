"""Whether a process still runs: what tells a dead process's leftovers from a live one's.

Several things a process leaves behind carry its ID in their names (a review export's scratch copy, the lists'
spooled rows and partial workbooks), so that a later process removes them only once their owner is gone; and
the list writers watch their night by its ID (`hedui.deliver.writer_watch`). Kept apart from the warehouse code,
which imports DuckDB, because the list writers' fork server preloads only small modules.
"""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs."""
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def owner_gone(pid_text: str) -> bool:
    """Whether the process named by `pid_text` (the ID read from a leftover's name) has ended; a name that holds
    no ID names no owner, and is not taken for a dead one's."""
    return pid_text.isdigit() and not process_alive(int(pid_text))
