"""Redaction of error text that may quote data values, before it reaches a log, a ledger or an exception.

DuckDB quotes the offending value in many error messages, in single or double quotes
(`Could not convert string '王建国' to INT32`, `duplicate key "430482196203151313"`) or bare
(`Type INT64 with value 430482196203151313 can't be cast`), and repeats the failing SQL, literals included, on
the lines after the first. `redact_error_text` keeps the first line, replaces every quoted text with `…` and
every run of ten or more digits (full-width too, with a trailing check character) with `…`.

Any other error (a driver's, a library's) may quote a name bare, `could not convert … (王建国)`. Names are
Chinese text, and so are the column headers that make an error useful; so every run of Chinese characters is
replaced by `…` unless it is a word of the sources' own vocabulary (a column header or alias, a source title).
"""

from __future__ import annotations

import re
from functools import lru_cache

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’")
_LONG_NUMBER = re.compile(r"[0-9０-９][0-9０-９.]{8,}[0-9０-９XxＸｘ]+(?:[Ee][+-]?[0-9]+)?")


_CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·•・．]+")


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """The Chinese words an error may keep: headers, their aliases and source titles of every source."""
    from connectors import SOURCES

    words = set()
    for source in SOURCES.values():
        words.add(source.title)
        for column in source.columns:
            words.update(column.headers)
    return frozenset(w for word in words for w in _CHINESE.findall(word))


def redact_error_text(message: object) -> str:
    """The first line of `message` with quoted values, long numbers and Chinese text other than the sources'
    own vocabulary replaced by `…`."""
    text = str(message).strip()
    first = text.splitlines()[0] if text else ""
    first = _QUOTED.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[-1], first)
    first = _LONG_NUMBER.sub("…", first)
    vocabulary = _vocabulary()
    return _CHINESE.sub(lambda m: m.group(0) if m.group(0) in vocabulary else "…", first)
