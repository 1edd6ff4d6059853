"""Make Great Expectations quiet and offline before it is imported.

GX 1.24 has no usage-statistics client of its own, but it honours ``GX_ANALYTICS_ENABLED`` (other 1.x
releases send PostHog events unless it is false) and shows tqdm progress bars; both are switched
off here, and every context hedui creates also sets ``analytics_enabled=False`` and disables progress bars.
"""

from __future__ import annotations

import logging
import os

_done = False


def gx_offline() -> None:
    global _done
    if _done:
        return
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")
    # GX logs expectation kwargs and sometimes values at INFO/DEBUG; keep it at WARNING.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    _done = True
