"""Commit a long stage in steps where the night's atomicity comes from elsewhere.

Inside one DuckDB transaction nothing a stage replaces is freed before the commit, because the transaction could
still roll back: every version of a temporary table made again for each batch (`create or replace temp table
_rule_output`, the wording's `_changed`) and every row deleted stays, in memory or in the temp directory. On the
heavy bench city (issue 18) the rules' batches alone left 6 GB of such versions behind, and the warnings stage ran
out of disk before it ended. The batches bounded the memory of each statement, but not what the transaction kept.

The night works on a private copy of the warehouse that is published only whole
(`hedui.warehouse.publish.working_copy`): a night that fails deletes the copy, so its stages need not be one
transaction each, and committing after each batch frees what the batch left behind. Analysts still never see half
a run: they read the published file, not the copy. A stage called on a published warehouse (tests, tools) stays
one transaction: there `NO_STEP_COMMITS` is passed, and a step commit does nothing.
"""

from __future__ import annotations

import duckdb


class StepCommits:
    """`commit_step()` commits the work so far and opens the next transaction, when `enabled`;
    `commit_step(checkpoint=True)` also writes the database file up to date first (see
    `hedui.deliver.list_texts.refresh_list_texts`, which reads rows' places)."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None, enabled: bool) -> None:
        self._con = con
        self.enabled = enabled and con is not None

    def __call__(self, *, checkpoint: bool = False) -> None:
        if self.enabled:
            self._con.execute("commit")
            if checkpoint:
                self._con.execute("checkpoint")
            self._con.execute("begin transaction")


NO_STEP_COMMITS = StepCommits(None, False)
