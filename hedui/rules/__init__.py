"""The rule engine: the catalog of `warnings/*.sql`, the engine that runs it, the warning lifecycle, outcomes."""

from hedui.rules.catalog import Rule, RuleFileError, load_catalog
from hedui.rules.engine import RuleExecutionError, RuleStats, raise_warnings
from hedui.rules.lifecycle import RuleCounts
from hedui.rules.outcomes import ImportReport, OutcomeError, correct_outcome, import_outcomes, record_outcome

__all__ = [
    "ImportReport",
    "OutcomeError",
    "Rule",
    "RuleCounts",
    "RuleExecutionError",
    "RuleFileError",
    "RuleStats",
    "correct_outcome",
    "import_outcomes",
    "load_catalog",
    "raise_warnings",
    "record_outcome",
]
