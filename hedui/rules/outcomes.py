"""Caseworker outcomes: confirmed (属实), dismissed (不属实, with a reason), benefit_adjusted (已调整待遇).

An outcome closes a warning (open, or already resolved) and is kept in `alerts.outcomes` with the fingerprint of
the evidence the caseworker saw. Later runs respect it: while the condition holds with the same fingerprint, the
warning stays closed; with changed evidence a new episode opens (see `hedui.rules.lifecycle`).

An outcome recorded by mistake is corrected with `correct_outcome` (`hedui outcome correct`): the outcome in
force is replaced, and the one before is kept in `alerts.outcome_corrections` with who corrected it and why.

Importing a filled-in list applies the rows it can and reports every other row: a row whose protected cells were
changed (the list's hidden check code says which), an outcome missing while the other input cells are filled
(typed into the wrong column), a value in a column without a header, an unknown word or warning. The report names
rows and columns only, never a cell's value: the lists hold names and IDs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.utils import get_column_letter

from hedui.deliver.workbook import (
    CHECK_HEADER,
    CHECKED_HEADERS,
    INPUT_HEADERS,
    LIST_SHEET,
    OUTCOME_HEADER,
    REASON_HEADER,
    VERIFIED_ON_HEADER,
    VERIFIER_HEADER,
    cell_codes,
)
from hedui.deliver.masking import mask_ids_in_text
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
        "select status, evidence_fingerprint, first_raised_on from alerts.warnings where warning_id = ?", [warning_id]
    ).fetchone()
    if row is None:
        raise OutcomeError(f"no warning with id {mask_ids_in_text(warning_id)}")
    status, fingerprint, first_raised_on = row
    if as_of < first_raised_on:
        raise OutcomeError(f"the outcome's date {as_of.isoformat()} is before the warning was first raised"
                           f" ({first_raised_on.isoformat()})")
    if status in CLOSED_BY_OUTCOME:
        if status == outcome:
            return False
        raise OutcomeError(f"warning {warning_id} is already closed as {status}; to change an outcome recorded by"
                           " mistake, use `hedui outcome correct`")
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


def correct_outcome(con, warning_id: str, outcome: str, reason: str, corrected_by: str | None = None,
                    as_of: dt.date | None = None) -> str:
    """Replace the outcome in force of a warning closed by a caseworker; returns the canonical new outcome.

    The reason (why the outcome is corrected) is required. The outcome before is kept in
    `alerts.outcome_corrections`, and `alerts.warning_events` gets an `outcome_corrected` event; the warning's
    status and reason become the new ones. Only a caseworker outcome can be corrected: an open or resolved
    warning takes an outcome with `record_outcome`."""
    warning_id = (warning_id or "").strip()
    canonical = normalise_outcome(outcome)
    reason = (reason or "").strip()
    if not reason:
        raise OutcomeError("a correction needs a reason (why the outcome recorded was wrong)")
    as_of = as_of or _today_shanghai()
    row = con.execute("select status from alerts.warnings where warning_id = ?", [warning_id]).fetchone()
    if row is None:
        raise OutcomeError(f"no warning with id {mask_ids_in_text(warning_id)}")
    (status,) = row
    if status not in CLOSED_BY_OUTCOME:
        raise OutcomeError(f"warning {warning_id} is {status}, not closed by a caseworker outcome: record its"
                           " outcome with `hedui outcome record`")
    if status == canonical:
        raise OutcomeError(f"warning {warning_id} is already closed as {canonical}; nothing to correct")
    before = con.execute(
        """
        select outcome, reason, recorded_by, as_of
        from alerts.outcomes
        where warning_id = ?
        order by recorded_at desc
        limit 1
        """,
        [warning_id],
    ).fetchone() or (status, None, None, None)
    con.execute(
        """
        insert into alerts.outcome_corrections (warning_id, previous_outcome, previous_reason, previous_recorded_by,
            previous_as_of, outcome, reason, corrected_by, as_of)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [warning_id, status, before[1], before[2], before[3], canonical, reason, corrected_by, as_of],
    )
    con.execute(
        """
        update alerts.outcomes
        set outcome = ?, reason = ?, recorded_by = ?, recorded_at = current_timestamp, as_of = ?, origin = 'correction'
        where warning_id = ?
        """,
        [canonical, reason, corrected_by, as_of, warning_id],
    )
    con.execute("update alerts.warnings set status = ?, closed_reason = ? where warning_id = ?",
                [canonical, reason, warning_id])
    con.execute(
        """
        insert into alerts.warning_events (warning_id, run_id, as_of, event, status_after, detail)
        values (?, null, ?, 'outcome_corrected', ?, ?)
        """,
        [warning_id, as_of, canonical,
         json.dumps({"previous_outcome": status, "outcome": canonical, "reason": reason, "corrected_by": corrected_by},
                    ensure_ascii=False)],
    )
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
    checked: bool = False  # the list carried check codes, so edited cells could be found

    @property
    def complete(self) -> bool:
        """Every row filled in was applied (or had been already)."""
        return not self.problems

    def __str__(self) -> str:
        lines = [
            f"{self.file}: {self.applied} outcome(s) applied, {self.unchanged} already recorded, "
            f"{self.blank} row(s) not filled in, {len(self.problems)} row(s) not applied"
        ]
        lines += [f"  row {p.row} ({p.warning_id or 'no id'}): {p.reason}" for p in self.problems]
        if not self.checked:
            lines.append("  (this list has no check codes: edited cells could not be looked for)")
        return "\n".join(lines)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _verified_on(value) -> dt.date | None:
    """核查日期 as typed: a date cell, or text such as 2026-11-25, 2026/11/25, 2026.11.25, 2026年11月25日."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE_TEXT.fullmatch(unicodedata.normalize("NFKC", str(value)).strip())
    if not match:
        raise OutcomeError(f"{VERIFIED_ON_HEADER} is not a date (write it as 2026-11-25)")
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise OutcomeError(f"{VERIFIED_ON_HEADER} is not a date (write it as 2026-11-25)") from None


def _edited_cells(values: tuple, header: dict[str, int]) -> list[str] | None:
    """The protected cells of a row that differ from what the list writer wrote, as 'header (column X)'; None
    when the row's check code itself is missing or damaged."""
    stored = _cell_text(values[header[CHECK_HEADER]]) if header[CHECK_HEADER] < len(values) else ""
    written = [stored[i:i + 8] for i in range(0, len(stored), 8)]
    if len(stored) != 8 * len(CHECKED_HEADERS):
        return None
    now = cell_codes([values[header[h]] if h in header and header[h] < len(values) else None
                      for h in CHECKED_HEADERS])
    return [f"{h} (column {get_column_letter(header[h] + 1)})" if h in header else f"{h} (column missing)"
            for h, before, after in zip(CHECKED_HEADERS, written, now) if before != after]


def import_outcomes(con, path: Path | str, as_of: dt.date | None = None) -> ImportReport:
    """Apply the outcomes of a filled-in caseworker list (.xlsx, sheet 预警核查清单 or the first sheet).

    The header row (among the first rows) must hold 预警编号 and 核查结果; 备注 gives the reason, 核查人 who
    verified (else the file's name is recorded), 核查日期 the date the outcome counts from (else `as_of`, default
    today). A row with nothing in its input columns is counted as not filled in. Every other row is applied, or
    reported with why it was not (`report.complete` is False then): protected cells changed, an outcome missing
    while other input cells are filled, a value in a column without a header, an unknown word or warning, an
    outcome different from the one already recorded (that takes `correct_outcome`).
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
        report.checked = CHECK_HEADER in header
        headed = set(header.values())
        today = _today_shanghai()
        as_of = as_of or today

        def cell(values, name):
            index = header.get(name)
            return _cell_text(values[index]) if index is not None and index < len(values) else ""

        for row_number, values in enumerate(rows, start=header_row + 1):
            if all(_cell_text(v) == "" for v in values):
                continue
            warning_id = cell(values, ID_HEADER) or None

            def problem(reason: str) -> None:
                # the row's 预警编号 is named only when it is one: a cell typed over may hold anything, a name too
                known = warning_id and con.execute(
                    "select count(*) from alerts.warnings where warning_id = ?", [warning_id]).fetchone()[0]
                report.problems.append(RowProblem(row_number, warning_id if known else None, reason))

            stray = [get_column_letter(i + 1) for i, v in enumerate(values) if i not in headed and _cell_text(v)]
            if stray:
                problem(f"a value in column(s) {', '.join(stray)}, which have no header; nothing applied")
                continue
            if report.checked:
                edited = _edited_cells(values, header)
                if edited is None:
                    problem(f"the row's check code ({CHECK_HEADER}) is missing or damaged; nothing applied")
                    continue
                if edited:
                    problem(f"cell(s) that must not be changed were changed: {', '.join(edited)}; nothing applied"
                            " (only 核查结果, 备注, 核查人 and 核查日期 may be filled in)")
                    continue
            outcome = cell(values, OUTCOME_HEADER)
            if not outcome:
                filled = [h for h in INPUT_HEADERS if h != OUTCOME_HEADER and cell(values, h)]
                if filled:
                    problem(f"{OUTCOME_HEADER} is empty but {', '.join(filled)} is filled in: was the outcome"
                            " typed into the wrong column? nothing applied")
                elif warning_id:
                    report.blank += 1
                continue
            try:
                index = header.get(VERIFIED_ON_HEADER)
                verified_on = _verified_on(values[index] if index is not None and index < len(values) else None)
                if verified_on is not None and verified_on > today:
                    raise OutcomeError(f"{VERIFIED_ON_HEADER} is in the future")
                recorded_by = cell(values, VERIFIER_HEADER) or path.name
                applied = _apply(con, warning_id or "", outcome, cell(values, REASON_HEADER), recorded_by,
                                 verified_on or as_of, path.name)
            except OutcomeError as exc:
                problem(str(exc))
                continue
            if applied:
                report.applied += 1
            else:
                report.unchanged += 1
    finally:
        workbook.close()
    return report
