"""Caseworker outcomes: confirmed (属实), dismissed (不属实, with a reason), benefit_adjusted (已调整待遇).

An outcome closes a warning (open, or already resolved) and is kept in `alerts.outcomes` with the fingerprint of
the evidence the caseworker saw. Later runs respect it: while the condition holds with the same fingerprint, the
warning stays closed; with changed evidence a new episode opens (see `hedui.rules.lifecycle`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from hedui.rules.lifecycle import CLOSED_BY_OUTCOME

SHANGHAI = ZoneInfo("Asia/Shanghai")

OUTCOME_WORDS = {
    "属实": "confirmed",
    "confirmed": "confirmed",
    "不属实": "dismissed",
    "dismissed": "dismissed",
    "已调整待遇": "benefit_adjusted",
    "benefit_adjusted": "benefit_adjusted",
}
ID_HEADER = "预警编号"
OUTCOME_HEADER = "核查结果"
REASON_HEADER = "备注"
BY_HEADER = "核查人"
LIST_SHEET = "预警核查清单"
_HEADER_SEARCH_ROWS = 10


class OutcomeError(ValueError):
    """An outcome cannot be applied: unknown word, missing reason, unknown or already closed warning."""


def normalise_outcome(word: str) -> str:
    """The canonical outcome for a Chinese or English outcome word."""
    key = (word or "").strip()
    outcome = OUTCOME_WORDS.get(key) or OUTCOME_WORDS.get(key.lower())
    if outcome is None:
        raise OutcomeError("unknown outcome; use 属实/confirmed, 不属实/dismissed or 已调整待遇/benefit_adjusted")
    return outcome


def _today_shanghai() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def _apply(con, warning_id: str, outcome: str, reason: str | None, recorded_by: str | None,
           as_of: dt.date, origin: str) -> bool:
    """Apply one outcome; True when applied, False when the warning already carries the same outcome."""
    warning_id = (warning_id or "").strip()
    if not warning_id:
        raise OutcomeError("no warning id (预警编号)")
    outcome = normalise_outcome(outcome)
    reason = (reason or "").strip() or None
    if outcome == "dismissed" and reason is None:
        raise OutcomeError("a dismissal (不属实) needs a reason (备注)")
    row = con.execute(
        "select status, evidence_fingerprint from alerts.warnings where warning_id = ?", [warning_id]
    ).fetchone()
    if row is None:
        raise OutcomeError(f"no warning with id {warning_id}")
    status, fingerprint = row
    if status in CLOSED_BY_OUTCOME:
        if status == outcome:
            return False
        raise OutcomeError(f"warning {warning_id} is already closed as {status}")
    con.execute(
        """
        insert into alerts.outcomes (warning_id, outcome, reason, recorded_by, as_of, evidence_fingerprint, origin)
        values (?, ?, ?, ?, ?, ?, ?)
        """,
        [warning_id, outcome, reason, recorded_by, as_of, fingerprint, origin],
    )
    con.execute(
        "update alerts.warnings set status = ?, closed_on = ?, closed_reason = ? where warning_id = ?",
        [outcome, as_of, reason, warning_id],
    )
    con.execute(
        """
        insert into alerts.warning_events (warning_id, run_id, as_of, event, status_after, detail)
        values (?, null, ?, 'outcome', ?, ?)
        """,
        [
            warning_id,
            as_of,
            outcome,
            json.dumps(
                {"outcome": outcome, "reason": reason, "recorded_by": recorded_by, "previous_status": status,
                 "origin": origin, "fingerprint": fingerprint},
                ensure_ascii=False,
            ),
        ],
    )
    return True


def record_outcome(con, warning_id: str, outcome: str, reason: str | None, recorded_by: str | None = None,
                   as_of: dt.date | None = None) -> str:
    """Close a warning with a caseworker outcome; returns the canonical outcome.

    `outcome` is 属实/confirmed, 不属实/dismissed or 已调整待遇/benefit_adjusted; a dismissal needs a reason.
    Recording the same outcome again is a no-op; a different outcome on a closed warning is an OutcomeError.
    """
    canonical = normalise_outcome(outcome)
    _apply(con, warning_id, canonical, reason, recorded_by, as_of or _today_shanghai(), "manual")
    return canonical


@dataclass
class RowProblem:
    row: int
    warning_id: str | None
    reason: str


@dataclass
class ImportReport:
    file: str
    applied: int = 0
    unchanged: int = 0
    blank: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"{self.file}: {self.applied} outcome(s) applied, {self.unchanged} already recorded, "
            f"{self.blank} row(s) not filled in, {len(self.problems)} row(s) not applied"
        ]
        lines += [f"  row {p.row} ({p.warning_id or 'no id'}): {p.reason}" for p in self.problems]
        return "\n".join(lines)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def import_outcomes(con, path: Path | str, as_of: dt.date | None = None) -> ImportReport:
    """Apply the outcomes of a filled-in caseworker list (.xlsx, sheet 预警核查清单 or the first sheet).

    The header row (among the first rows) must hold 预警编号 and 核查结果; 备注 gives the reason and an
    optional 核查人 column the recorder. Rows with no 核查结果 are counted as not filled in; rows that cannot
    be applied are reported with the reason and the rest go on.
    """
    path = Path(path)
    report = ImportReport(file=path.name)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a file that is not a workbook
        raise OutcomeError(f"{path.name}: cannot be read as an .xlsx workbook ({exc.__class__.__name__})") from None
    try:
        sheet = workbook[LIST_SHEET] if LIST_SHEET in workbook.sheetnames else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header: dict[str, int] | None = None
        header_row = 0
        for header_row, values in enumerate(rows, start=1):
            names = [_cell_text(v) for v in values]
            if ID_HEADER in names and OUTCOME_HEADER in names:
                header = {name: i for i, name in enumerate(names) if name}
                break
            if header_row >= _HEADER_SEARCH_ROWS:
                break
        if header is None:
            raise OutcomeError(f"{path.name}: no header row with {ID_HEADER} and {OUTCOME_HEADER}")
        as_of = as_of or _today_shanghai()

        def cell(values, name):
            index = header.get(name)
            return _cell_text(values[index]) if index is not None and index < len(values) else ""

        for row_number, values in enumerate(rows, start=header_row + 1):
            warning_id = cell(values, ID_HEADER)
            outcome = cell(values, OUTCOME_HEADER)
            if not outcome:
                if warning_id:
                    report.blank += 1
                continue
            recorded_by = cell(values, BY_HEADER) or path.name
            try:
                applied = _apply(con, warning_id, outcome, cell(values, REASON_HEADER), recorded_by, as_of,
                                 path.name)
            except OutcomeError as exc:
                report.problems.append(RowProblem(row_number, warning_id or None, str(exc)))
                continue
            if applied:
                report.applied += 1
            else:
                report.unchanged += 1
    finally:
        workbook.close()
    return report
