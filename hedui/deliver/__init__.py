"""What caseworkers and the center see: masked township lists, household verification reports, run summaries.

The names below are imported when first used, not with the package: the caseworker lists' writer processes
import `hedui.deliver.workbook` alone (`lists._WorkbookWriters`), and importing this package eagerly gave each of
them the reports, the rules' catalog, openpyxl and Jinja too (1.2 s of the fork server's start, before the first
list could be written).
"""

from __future__ import annotations

import importlib

_WHERE = {
    "write_township_lists": "lists",
    "install_masking_macros": "masking",
    "mask_id": "masking",
    "mask_ids_in_text": "masking",
    "household_report_data": "report",
    "render_household_report": "report",
    "rule_thresholds": "report",
    "RunSummary": "summary",
    "build_run_summary": "summary",
    "render_summary_console": "summary",
    "summary_markdown": "summary",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
