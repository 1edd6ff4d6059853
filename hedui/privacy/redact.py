"""Redaction of error text that may quote data values, before it reaches a log, a ledger or an exception.

DuckDB quotes the offending value in many error messages, in single or double quotes
(`Could not convert string '王建国' to INT32`, `duplicate key "430482196203151313"`) or bare
(`Type INT64 with value 430482196203151313 can't be cast`), and repeats the failing SQL, literals included, on
the lines after the first. `redact_error_text` keeps the first line, replaces every quoted text with `…` and
every run of ten or more digits (full-width too, with a trailing check character) with `…`.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’")
_LONG_NUMBER = re.compile(r"[0-9０-９][0-9０-９.]{8,}[0-9０-９XxＸｘ]+(?:[Ee][+-]?[0-9]+)?")


def redact_error_text(message: object) -> str:
    """The first line of `message` with quoted values and long numbers replaced by `…`."""
    text = str(message).strip()
    first = text.splitlines()[0] if text else ""
    first = _QUOTED.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[-1], first)
    return _LONG_NUMBER.sub("…", first)
