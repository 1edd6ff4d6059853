"""Masking of citizen IDs for everything that leaves the warehouse.

`mask_id` keeps the first 6 characters (the region code) and the last 4 (the end of the sequence number and the
check character) and replaces everything between with `*`:

    >>> mask_id("43048219900101123X")
    '430482********123X'

The same rule is available inside DuckDB as the macro `mask_id(s)` (install it with `install_masking_macros(con)`),
so lists and reports mask set-based, in the query, and a full ID never reaches Python on the way to a file.
`mask_ids_in_text(t)` (Python and SQL) masks every ID-like run of digits inside free text, for example the
department fields quoted in a warning's evidence.

Edge cases: `None` stays `None`; surrounding whitespace is dropped; a value of 10 characters or fewer cannot
keep 6 + 4 characters without showing everything, so it is masked completely (same length, all `*`).
"""

from __future__ import annotations

import re

import duckdb

KEEP_HEAD = 6
KEEP_TAIL = 4

# An ID-like run inside free text: 15 to 20 characters of digits (the last four may hold an X), not glued to
# further digits. 18-character IDs, 15-digit first-generation IDs and 20-character disability certificate numbers
# (ID + category + grade) are all caught. A run right after a Latin letter is the tail of a record's own number,
# not an ID: a medical settlement's 结算流水号 (`Y202511210000022509`) is how a caseworker asks the insurance office
# about it, and masked it could not be looked up. Fields that hold IDs are masked whole by their name besides
# (`evidence.ID_FIELD_PATTERN`). Python and SQL use the same shape.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})[0-9]{5,10}([0-9Xx]{4})(?![0-9Xx])")


def mask_id(s: object) -> str | None:
    """`430482********123X`: first 6 and last 4 characters kept, `*` between (see module doc for edge cases)."""
    if s is None:
        return None
    text = str(s).strip()
    n = len(text)
    if n <= KEEP_HEAD + KEEP_TAIL:
        return "*" * n
    return text[:KEEP_HEAD] + "*" * (n - KEEP_HEAD - KEEP_TAIL) + text[-KEEP_TAIL:]


def mask_ids_in_text(text: object) -> str | None:
    """Mask every ID-like number inside `text` with `mask_id` (names and other words are left alone)."""
    if text is None:
        return None
    return _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), str(text))


MASKING_MACROS_SQL = r"""
create or replace macro mask_id(s) as (
    case
        when s is null then null
        when length(trim(cast(s as varchar))) <= 10 then repeat('*', length(trim(cast(s as varchar))))
        else left(trim(cast(s as varchar)), 6)
             || repeat('*', length(trim(cast(s as varchar))) - 10)
             || right(trim(cast(s as varchar)), 4)
    end
);
-- In SQL the hidden middle is always shown as 8 stars (the length of an 18-character ID's middle).
create or replace macro mask_ids_in_text(t) as (
    regexp_replace(
        cast(t as varchar),
        '(^|[^0-9A-Za-z])([0-9]{6})[0-9]{5,10}([0-9Xx]{4})',
        '\1\2********\3',
        'g'
    )
);
create or replace macro maybe_mask_id(s, show_full) as (
    case when show_full then cast(s as varchar) else mask_id(s) end
);
"""


def install_masking_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the temporary-scope macros `mask_id`, `mask_ids_in_text`, `maybe_mask_id` on `con`.

    The macros are created in the connection's temp schema, so a read-only warehouse can be used."""
    for stmt in MASKING_MACROS_SQL.split(";"):
        if stmt.strip():
            con.execute(stmt.replace("create or replace macro", "create or replace temp macro", 1))
