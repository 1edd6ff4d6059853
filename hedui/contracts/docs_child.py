"""`python -m hedui.contracts.docs_child RESULTS SITE HISTORY KEEP_DAYS STAGING`: render Data Docs into a staging
copy of the site, as the night's child process.

See `hedui.contracts.docs_process` for why the rendering runs apart from the night, and how the staging copy
becomes the site.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from hedui.contracts.docs_process import STAGING_PREFIX, site_lock


def main(argv: list[str]) -> int:
    results_dir, site, history_dir = (Path(arg) for arg in argv[:3])
    keep_days = int(argv[3])
    staging = Path(argv[4])
    try:
        # the night's own stages come first where both want a core: at the lowest priority the renderer takes
        # what they leave idle (at nice 5 it took a quarter of a contended core, about 1.5 s of the default bench
        # city's typical night, measured in alternated runs)
        os.nice(19)
    except OSError:  # pragma: no cover - not permitted here
        pass
    with site_lock(site):
        # no other renderer runs now: a staging copy left by a killed night's renderer is garbage
        for stale in site.parent.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        if site.exists():
            shutil.copytree(site, staging, symlinks=True)
        from hedui.contracts.docs import build_data_docs

        build_data_docs(results_dir, staging, history_dir=history_dir, keep_days=keep_days)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
