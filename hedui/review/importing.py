"""`hedui review import`: the decisions of a filled-in review workbook into `linked.review_decisions`.

Each row whose 核对结论 is filled is one decision about one candidate of one item, keyed by the row's hidden key
(source, record fingerprint, candidate member and household). A row is applied when:
- its key is one the export wrote (a candidate of an item in review now, or one decided before);
- its 核对结论 is one of 同一人 / 不是同一人 / 无法判断, and it has a reviewer (its 核对人, or `--reviewer`);
- its item has at most one 同一人, and not 同一人 beside 无法判断.
Every other filled row is reported by row number and column, never by value: the workbook holds names and IDs.
Rows with nothing filled in are skipped.

Importing the same workbook again changes nothing (a decision identical to the one recorded keeps its time). A
later 同一人 for another candidate of the same record replaces the earlier one. The caller runs the import in a
working copy of the warehouse (`hedui.warehouse.working_copy`): it is published whole, or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import openpyxl

from hedui.review.export import (
    DECISION_HEADER,
    DECISION_WORDS,
    KEY_HEADER,
    LIST_SHEET,
    REASON_HEADER,
    REVIEWER_HEADER,
)

_KEY = re.compile(r"(?P<source>[a-z_]+)\|(?P<fingerprint>[0-9a-f]{64})\|(?P<person>[^|]+)\|(?P<household>[^|]+)")


class ReviewImportError(ValueError):
    """The file is not a review workbook (no `待核对关联` sheet with the headers the export writes)."""


@dataclass
class ImportReport:
    file_name: str
    recorded: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = [f"{self.file_name}: {self.recorded} decision(s) recorded, {self.unchanged} already recorded"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


@dataclass
class _Row:
    number: int
    source: str
    fingerprint: str
    person_id: str
    household_id: str
    decision: str
    reason: str | None
    reviewer: str


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _read_rows(path: Path, default_reviewer: str | None, report: ImportReport) -> list[_Row]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook at all: one line, no content quoted
        raise ReviewImportError("the file given is not a readable .xlsx review workbook") from exc
    try:
        if LIST_SHEET not in workbook.sheetnames:
            raise ReviewImportError(f"the file given has no sheet {LIST_SHEET}: not a review workbook")
        rows = workbook[LIST_SHEET].iter_rows(values_only=True)
        headers = [_text(h) for h in next(rows, ())]
        missing = [h for h in (DECISION_HEADER, REASON_HEADER, REVIEWER_HEADER, KEY_HEADER) if h not in headers]
        if missing:
            raise ReviewImportError(f"the sheet {LIST_SHEET} lacks the column(s) {'、'.join(missing)}")
        at = {h: headers.index(h) for h in (DECISION_HEADER, REASON_HEADER, REVIEWER_HEADER, KEY_HEADER)}
        read: list[_Row] = []
        for number, values in enumerate(rows, start=2):
            cell = {h: _text(values[i]) if i < len(values) else "" for h, i in at.items()}
            if not (cell[DECISION_HEADER] or cell[REASON_HEADER] or cell[REVIEWER_HEADER]):
                continue
            if not cell[DECISION_HEADER]:
                report.problems.append(f"row {number}: {REASON_HEADER} or {REVIEWER_HEADER} filled in but no "
                                       f"{DECISION_HEADER}")
                continue
            decision = DECISION_WORDS.get(cell[DECISION_HEADER])
            if decision is None:
                report.problems.append(f"row {number}: {DECISION_HEADER} is not one of {' / '.join(DECISION_WORDS)}")
                continue
            key = _KEY.fullmatch(cell[KEY_HEADER])
            if key is None:
                report.problems.append(f"row {number}: the hidden column {KEY_HEADER} was changed or emptied")
                continue
            reviewer = cell[REVIEWER_HEADER] or (default_reviewer or "").strip()
            if not reviewer:
                report.problems.append(f"row {number}: no {REVIEWER_HEADER} (fill it in, or give --reviewer)")
                continue
            read.append(_Row(number, key["source"], key["fingerprint"], key["person"], key["household"],
                             decision, cell[REASON_HEADER] or None, reviewer))
        return read
    finally:
        workbook.close()


def _consistent(rows: list[_Row], report: ImportReport) -> list[_Row]:
    """The rows of items whose decisions agree: at most one 同一人, and not 同一人 beside 无法判断."""
    by_item: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for row in rows:
        by_item[(row.source, row.fingerprint)].append(row)
    kept = []
    for item_rows in by_item.values():
        same = [r for r in item_rows if r.decision == "same"]
        if len(same) > 1 or (same and any(r.decision == "undecided" for r in item_rows)):
            numbers = ", ".join(str(r.number) for r in item_rows)
            report.problems.append(f"rows {numbers}: one item, conflicting {DECISION_HEADER} (at most one 同一人, "
                                   "and not beside 无法判断)")
            continue
        kept.extend(item_rows)
    return kept


def import_review_decisions(con: duckdb.DuckDBPyConnection, path: Path, reviewer: str | None = None,
                            now: dt.datetime | None = None) -> ImportReport:
    """Record the decisions of the workbook at `path` (see the module's docstring); returns what was done."""
    path = Path(path)
    report = ImportReport(file_name=path.name if path.name.isascii() else "(the file given)")
    rows = _consistent(_read_rows(path, reviewer, report), report)
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    con.execute("create or replace temp table _review_import (number integer, source varchar, record_fingerprint "
                "varchar, person_id varchar, household_id varchar, decision varchar, reason varchar, "
                "reviewer varchar)")
    if rows:
        con.executemany("insert into _review_import values (?, ?, ?, ?, ?, ?, ?, ?)",
                        [(r.number, r.source, r.fingerprint, r.person_id, r.household_id, r.decision, r.reason,
                          r.reviewer) for r in rows])
    # a key the export wrote: a candidate in review now, or a pair decided before (the same workbook again)
    unknown = con.execute(
        """
        select number from _review_import as incoming
        where not exists (
                select 1
                from linked.review_queue as queue
                join linked.link_review as review
                    on review.source = queue.source and review.record_key = queue.record_key
                where queue.source = incoming.source
                    and queue.record_fingerprint = incoming.record_fingerprint
                    and review.person_id = incoming.person_id
                    and review.household_id = incoming.household_id
            )
            and not exists (
                select 1 from linked.review_decisions as decided
                where decided.source = incoming.source
                    and decided.record_fingerprint = incoming.record_fingerprint
                    and decided.person_id = incoming.person_id
                    and decided.household_id = incoming.household_id
            )
        order by number
        """
    ).fetchall()
    for (number,) in unknown:
        report.problems.append(f"row {number}: not a candidate in review any more (the record changed, or the "
                               "workbook is not from this warehouse): export a new workbook")
    con.execute("delete from _review_import where number in (select unnest(?))", [[n for (n,) in unknown]])
    report.unchanged = con.execute(
        """
        select count(*) from _review_import as incoming
        join linked.review_decisions as decided using (source, record_fingerprint, person_id, household_id)
        where decided.decision = incoming.decision
            and decided.reason is not distinct from incoming.reason
            and decided.reviewer = incoming.reviewer
        """
    ).fetchone()[0]
    con.execute(
        """
        delete from _review_import as incoming
        using linked.review_decisions as decided
        where decided.source = incoming.source
            and decided.record_fingerprint = incoming.record_fingerprint
            and decided.person_id = incoming.person_id
            and decided.household_id = incoming.household_id
            and decided.decision = incoming.decision
            and decided.reason is not distinct from incoming.reason
            and decided.reviewer = incoming.reviewer
        """
    )
    # a new 同一人 replaces an earlier 同一人 for another candidate of the same record
    con.execute(
        """
        delete from linked.review_decisions as decided
        using (select distinct source, record_fingerprint from _review_import where decision = 'same') as accepted
        where decided.source = accepted.source
            and decided.record_fingerprint = accepted.record_fingerprint
            and decided.decision = 'same'
        """
    )
    report.recorded = con.execute(
        """
        insert or replace into linked.review_decisions
            (source, record_fingerprint, person_id, household_id, decision, reason, reviewer, decided_at, origin)
        select source, record_fingerprint, person_id, household_id, decision, reason, reviewer, $now, $origin
        from _review_import
        order by number
        """,
        {"now": now, "origin": path.name},
    ).fetchone()[0]
    con.execute("drop table _review_import")
    return report
