"""A pre-imported process that forks one nightly run per request, so that a kill loop pays the imports once.

Protocol (one JSON object per line): the test writes {"landing", "warehouse", "as_of"}; the zygote answers
{"pid": …} as soon as the child is forked, then {"pid": …, "exit": code or -signal} when it ends. The
zygote holds no DuckDB connection and no lock when it forks: every child starts clean.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# The expensive imports, done once before any fork (no connection is opened here).
import great_expectations  # noqa: E402,F401

import hedui.contracts  # noqa: E402,F401
import hedui.rules  # noqa: E402,F401
import matching  # noqa: E402,F401
from hedui.night import run_night  # noqa: E402


def main() -> None:
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run_night(Path(request["landing"]), Path(request["warehouse"]),
                          dt.date.fromisoformat(request["as_of"]), deliver=False)
            except BaseException as exc:  # noqa: BLE001 - reported through the exit code
                print(f"run failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                code = 1
            finally:
                sys.stdout.flush()
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"pid": pid, "exit": code}), flush=True)


if __name__ == "__main__":
    main()
