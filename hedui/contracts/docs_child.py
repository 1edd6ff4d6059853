"""`python -m hedui.contracts.docs_child RESULTS DOCS HISTORY`: render Data Docs, as the night's child process.

See `hedui.contracts.docs_process` for why the rendering runs apart from the night.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    results_dir, docs_dir, history_dir = (Path(arg) for arg in argv)
    try:
        os.nice(5)  # the night's own stages come first where both want a core
    except OSError:  # pragma: no cover - not permitted here
        pass
    from hedui.contracts.docs import build_data_docs

    build_data_docs(results_dir, docs_dir, history_dir=history_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
