"""What the list writer used to work out per cell in Python, worked out in the lists' query instead: how many
lines each wrapping cell takes (hence each row's height), and the evidence detail cut into one entry per record.

At prefecture scale the lists write about a million rows (each warning's row and its evidence records): sizing
them in Python was a sixth of the writer's CPU, cell by cell, in the worker processes. In SQL it is a few column
expressions over the rows the query selects anyway, vectorised and run by DuckDB's threads.

The SQL gives exactly what the Python gave (`workbook.row_height` over `workbook.cell_text`, `evidence.detail_lines`),
which `tests/test_deliver_list_sizes.py` checks on awkward text and whole generated cities:
- a cell's text as xlsx stores it: a control character or a non-character takes the 7 characters of `_xHHHH_`;
- its display width: an East Asian wide or full-width character counts two, any other one (the same classes as
  `workbook._WIDE_CLASS`, as an RE2 class);
- lines: each line of the text (split at line breaks) takes at least one line and wraps at the column's usable
  width (`max(width * _LINE_UNITS_PER_WIDTH, 1)`, bound as a parameter so that SQL divides by the same double);
- the detail's entries: a record starts at a line beginning with 【 (a line that does not continues the record
  before: a field value holding a line break), and entries that are all white space (Python's `str.isspace`
  characters) are left out.

The pieces with lambdas are SQL text composed here, not macros (DuckDB does not substitute a macro's parameters
inside a lambda body, see `evidence.py`); every lambda refers to its own parameter only, and the constants are
bound parameters named in `size_parameters`.
"""

from __future__ import annotations

import re

from hedui.deliver.workbook import _CONTROL, _LINE_UNITS_PER_WIDTH, _WIDE_CLASS, COLUMNS, DETAIL_COLUMNS

# Python's white space (the characters `str.strip()` removes), as the test checks against `str.isspace`.
PYTHON_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                     "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _re2_class(chars: str) -> str:
    """A Python character-class body of single characters and a-b ranges, with every character as RE2's \\x{..}."""
    return "".join(c if c == "-" else f"\\x{{{ord(c):x}}}" for c in chars)


# RE2 patterns, bound as parameters: the characters `workbook.cell_text` writes as _xHHHH_ (its `_CONTROL`); the
# characters that are not wide (removed, the length of what is left is the count of wide ones); a character that
# is not white space.
_CONTROL_RE2 = "[" + _re2_class(_CONTROL.pattern.removeprefix("[").removesuffix("]")) + "]"
_NARROW_RE2 = "[^" + _re2_class(_WIDE_CLASS) + "]+"  # runs: a third of the time of one character at a time
_NOT_BLANK_RE2 = "[^" + _re2_class(PYTHON_WHITESPACE) + "]"
# one line of printable ASCII (and tabs) and wide characters below U+10000: one UTF-8 byte each when narrow, three
# when wide (every wide one is above U+07FF)
_ASTRAL_WIDE = "\U00020000-\U0003fffd"
assert _WIDE_CLASS.endswith(_ASTRAL_WIDE)
_PLAIN_RE2 = "[\\x{9}\\x{20}-\\x{7e}" + _re2_class(_WIDE_CLASS.removesuffix(_ASTRAL_WIDE)) + "]*"


def size_parameters(sql: str) -> dict[str, object]:
    """The values of the parameters of `wrapped_lines_sql` and `evidence_entries_sql` that `sql` refers to (DuckDB
    refuses parameters a query does not name): the patterns, and the usable width of each column width of the list
    and evidence sheets (`usable_<width>`)."""
    params: dict[str, object] = {"wrap_control": _CONTROL_RE2, "wrap_narrow": _NARROW_RE2,
                                 "wrap_plain": _PLAIN_RE2, "entry_not_blank": _NOT_BLANK_RE2}
    for _, width in COLUMNS + DETAIL_COLUMNS:
        params[f"usable_{width}"] = float(max(width * _LINE_UNITS_PER_WIDTH, 1))
    return {name: value for name, value in params.items() if re.search(rf"\${name}\b", sql)}


def wrapped_lines_sql(text: str, width: int) -> str:
    """SQL: how many lines the text `text` (an SQL expression) wraps to in a column `width` characters wide (one
    of the sheets' widths); NULL for NULL.

    Most text is one line of printable ASCII and wide characters of the Basic Multilingual Plane, each of which
    takes one byte of UTF-8 when narrow and three when wide, so that its width is (characters + bytes) / 2: found
    so with one match, not a replacement of every run of narrow characters (the evidence's records take a third
    less time). Any other text is measured line by line, as `workbook.cell_text` stores it."""
    return f"""case when regexp_full_match({text}, $wrap_plain)
        then cast(greatest(1, ceil(((length({text}) + strlen({text})) // 2) / $usable_{width})) as integer)
        else cast(list_sum(list_transform(
            string_split(regexp_replace({text}, $wrap_control, '_x0000_', 'g'), chr(10)),
            lambda part: greatest(1, ceil(
                (length(part) + length(regexp_replace(part, $wrap_narrow, '', 'g'))) / $usable_{width}))
        )) as integer)
    end"""


def evidence_entries_sql(detail: str) -> str:
    """SQL: the evidence detail `detail` (an SQL expression) as a list of entries, one per record (as
    `evidence.detail_lines`): cut before each line that starts with 【, white-space entries left out."""
    return f"""list_filter(
        list_transform(string_split(coalesce({detail}, ''), chr(10) || '【'),
                       lambda piece, i: case when i = 1 then piece else '【' || piece end),
        lambda entry: regexp_matches(entry, $entry_not_blank))"""
