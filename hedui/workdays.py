"""Working days on the official Chinese calendar (public holidays and adjusted working days, 调休).

`chinese_calendar` knows the State Council's schedule up to the last year it was released for (2026 in the
installed version) and raises `NotImplementedError` for later years. For such a year the center can load the
announced schedule into `ref.calendar_days` (see `load_calendar_file`); failing that, Monday to Friday count as
working days and the result says so with the basis `weekdays_fallback`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import chinese_calendar

BASIS_OFFICIAL = "official_calendar"
BASIS_CENTER = "center_calendar"
BASIS_FALLBACK = "weekdays_fallback"

# the weaker basis wins when a count spans years of different bases
_BASIS_RANK = {BASIS_OFFICIAL: 0, BASIS_CENTER: 1, BASIS_FALLBACK: 2}

_TYPE_WORDS = {
    "休": False,
    "假": False,
    "holiday": False,
    "off": False,
    "班": True,
    "workday": True,
    "work": True,
}

class CalendarFileError(ValueError):
    """A holiday list file cannot be read or holds a line that is not a date and a known day type."""


def _official_is_workday(day: dt.date) -> bool | None:
    """The official calendar's answer, or None when it has no data for the day's year."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def _day_status(day: dt.date, overrides: Mapping[dt.date, bool], override_years: set[int]) -> tuple[bool, str]:
    official = _official_is_workday(day)
    if official is not None:
        return official, BASIS_OFFICIAL
    if day.year in override_years:
        return overrides.get(day, day.weekday() < 5), BASIS_CENTER
    return day.weekday() < 5, BASIS_FALLBACK


def add_working_days(
    start: dt.date, n: int, overrides: Mapping[dt.date, bool] | None = None
) -> tuple[dt.date, str]:
    """The n-th working day after `start` (counting starts the day after) and the basis of the count.

    `overrides` maps days of years the official calendar does not know to working (True) or not (False); a
    year counts as known to the center when the mapping holds any day of it, and its unlisted days follow
    Monday to Friday. The basis is `official_calendar`, `center_calendar` or `weekdays_fallback`: the weakest
    one any counted day needed.
    """
    if n < 0:
        raise ValueError("the number of working days must not be negative")
    overrides = dict(overrides or {})
    override_years = {day.year for day in overrides}
    basis = BASIS_OFFICIAL
    day = start
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        is_workday, day_basis = _day_status(day, overrides, override_years)
        if _BASIS_RANK[day_basis] > _BASIS_RANK[basis]:
            basis = day_basis
        if is_workday:
            counted += 1
    return day, basis


def load_calendar_file(con, path: Path | str) -> int:
    """Load a holiday list (CSV `date,type`, type 休/班 or holiday/workday) into `ref.calendar_days`.

    Days already present are replaced. Returns the number of days loaded. A malformed line fails the whole
    file (nothing is loaded) with its line number.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="gb18030")
    except OSError as exc:
        raise CalendarFileError(f"calendar file {path.name}: {exc.strerror}") from exc
    rows: dict[dt.date, bool] = {}
    reader = csv.reader(text.splitlines())
    for line_no, fields in enumerate(reader, start=1):
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) < 2:
            raise CalendarFileError(f"calendar file {path.name}, line {line_no}: expected `date,type`")
        raw_day, raw_type = fields[0].strip(), fields[1].strip()
        if line_no == 1 and raw_day.lower() in {"date", "日期"}:
            continue
        try:
            day = dt.date.fromisoformat(raw_day.replace("/", "-"))
        except ValueError:
            raise CalendarFileError(f"calendar file {path.name}, line {line_no}: not a date (YYYY-MM-DD)") from None
        kind = _TYPE_WORDS.get(raw_type.lower())
        if kind is None:
            raise CalendarFileError(
                f"calendar file {path.name}, line {line_no}: day type must be 休/班 or holiday/workday"
            )
        rows[day] = kind
    if rows:
        con.executemany(
            "insert or replace into ref.calendar_days (day, is_workday, source) values (?, ?, ?)",
            [(day, kind, path.name) for day, kind in sorted(rows.items())],
        )
    return len(rows)


def calendar_overrides(con) -> dict[dt.date, bool]:
    """The center's loaded days (`ref.calendar_days`), or an empty mapping when none were loaded."""
    return dict(con.execute("select day, is_workday from ref.calendar_days").fetchall())
