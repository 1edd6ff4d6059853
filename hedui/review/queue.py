"""The review queue's health after a night (`ledger.review_queue_nights`), for the run summary and `hedui status`:
items waiting, new tonight, marked 无法判断, links confirmed by a reviewer, pairs rejected, and the oldest wait."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from hedui.warehouse.schema import table_exists


@dataclass(frozen=True)
class QueueHealth:
    waiting: int
    new_tonight: int
    marked_undecided: int
    confirmed_links: int
    rejected_pairs: int
    oldest_waiting_since: dt.date | None
    as_of: dt.date | None

    @property
    def oldest_waiting_days(self) -> int | None:
        if self.oldest_waiting_since is None or self.as_of is None:
            return None
        return (self.as_of - self.oldest_waiting_since).days

    def line_zh(self) -> str:
        """One line in Chinese (no names, no IDs)."""
        oldest = (f"，最早 {self.oldest_waiting_since} 入队（已等 {self.oldest_waiting_days} 天）"
                  if self.oldest_waiting_since else "")
        return (f"关联待核对 {self.waiting} 项（今晚新增 {self.new_tonight}）{oldest}；已核对：无法判断 "
                f"{self.marked_undecided} 项，人工确认关联 {self.confirmed_links} 条，排除候选 {self.rejected_pairs} 对")


def queue_health(con: duckdb.DuckDBPyConnection, run_id: str) -> QueueHealth | None:
    """The queue after run `run_id`'s linking; None when the warehouse keeps no queue (before migration 0009) or
    the run did not link."""
    if not table_exists(con, "ledger.review_queue_nights"):
        return None
    row = con.execute(
        """
        select waiting, new_tonight, marked_undecided, confirmed_links, rejected_pairs, oldest_waiting_since, as_of
        from ledger.review_queue_nights
        where run_id = ?
        """,
        [run_id],
    ).fetchone()
    return QueueHealth(*row) if row else None
