"""`python -m hedui.contracts.docs_child RESULTS DOCS HISTORY KEEP_DAYS`: render Data Docs, as the night's child process.

See `hedui.contracts.docs_process` for why the rendering runs apart from the night.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    results_dir, docs_dir, history_dir = (Path(arg) for arg in argv[:3])
    keep_days = int(argv[3])
    try:
        os.nice(5)  # the night's own stages come first where both want a core
    except OSError:  # pragma: no cover - not permitted here
        pass
    from hedui.contracts.docs import build_data_docs

    build_data_docs(results_dir, docs_dir, history_dir=history_dir, keep_days=keep_days)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
