"""What caseworkers and the center see: masked township lists, household verification reports, run summaries."""

from hedui.deliver.lists import write_township_lists
from hedui.deliver.masking import install_masking_macros, mask_id, mask_ids_in_text
from hedui.deliver.report import household_report_data, render_household_report, rule_thresholds
from hedui.deliver.summary import RunSummary, build_run_summary, render_summary_console, summary_markdown

__all__ = [
    "RunSummary", "build_run_summary", "household_report_data", "install_masking_macros",
    "mask_id", "mask_ids_in_text", "render_household_report", "render_summary_console", "rule_thresholds",
    "summary_markdown",
    "write_township_lists",
]
