"""SQL expressions that turn a failing (row, expectation) into the quarantine columns ``value`` and
``reason``. Everything runs inside DuckDB (set-based); no row value passes through Python.

Reasons are for a person: ``结算日期 '2026-13-45' is not a date``. Values of columns marked ``pii`` (names,
IDs, certificate numbers, plates, unit numbers, addresses) never appear in a reason, only in ``value``.
"""

from __future__ import annotations

from connectors.sql_text import sql_identifier, sql_literal

KIND_WORD = {
    "date": "a date",
    "month": "a month (such as 202610, 2026-10 or 2026年10月)",
    "amount": "an amount in yuan",
    "number": "a number",
    "integer": "a whole number",
}


lit = sql_literal  # the short name the expressions below use


ident = sql_identifier  # the short name the expressions below use


def _v(col: str) -> str:
    return f"CAST(c.{ident(col)} AS VARCHAR)"


def value_and_reason(exp: dict) -> tuple[str, str, str]:
    """(column_name, value SQL, reason SQL) for one expectation of a suite (its JSON dict)."""
    kw, meta = exp["kwargs"], exp["meta"]
    rule, label, src, kind, pii = meta["rule"], meta["column"], meta["src"], meta["kind"], meta["pii"]
    column = kw.get("column") or kw.get("column_A") or ""
    L = lit(label)
    raw = f"c.{ident(src)}" if src else "NULL"
    quoted_raw = f"{L} || ' ''' || {raw} || ''''"
    if rule == "required":
        if kind in KIND_WORD:
            not_parsed = f"{quoted_raw} || ' is not {KIND_WORD[kind]}'"
        elif pii:
            not_parsed = f"{L} || ' could not be read'"
        else:
            not_parsed = f"{quoted_raw} || ' could not be read'"
        reason = (
            f"CASE WHEN {raw} IS NULL OR trim(CAST({raw} AS VARCHAR)) = '' "
            f"THEN {L} || ' is missing (required)' ELSE {not_parsed} END"
        )
        return column, raw, reason
    if rule == "parseable":
        word = KIND_WORD.get(kind, "readable")
        return column, raw, f"{quoted_raw} || ' is not {word}'"
    if rule == "value_set":
        allowed = "、".join(kw["value_set"])
        return column, _v(column), f"{L} || ' ''' || {_v(column)} || ''' is not one of {allowed}'"
    if rule == "not_after_delivery":
        b = kw["column_B"]  # the date; column_A is the delivery's date
        return b, _v(b), f"{L} || ' ' || {_v(b)} || ' is after the date of its delivery ' || {_v(kw['column_A'])}"
    if rule == "id_scientific_notation":
        return (
            src,
            raw,
            f"{L} || ' arrived in scientific notation (spreadsheet damage): the number cannot be recovered; "
            f"ask the department to resend it as text'",
        )
    if rule == "id_normalisable":
        return src, raw, f"{L} || ' cannot be normalised to an 18-character citizen ID number'"
    if rule == "at_least_one":
        return column, _v(column), f"{L} || ' ' || {_v(column)} || ' is less than 1'"
    if rule == "not_negative":
        return column, _v(column), f"{L} || ' ' || {_v(column)} || ' is negative'"
    if rule == "not_before":
        a, b = kw["column_A"], kw["column_B"]
        other = lit(meta["other"])
        value = f"{_v(a)} || ' < ' || {_v(b)}"
        return a, value, f"{L} || ' ' || {_v(a)} || ' is before ' || {other} || ' ' || {_v(b)}"
    if rule == "reversal_names_original":
        return column, "NULL", f"'a 冲销 (reversal) settlement must name the settlement it reverses in ' || {L}"
    if rule == "reversal_negative":
        word = "negative" if kw.get("strict_max") else "negative or zero"
        return column, _v(column), f"{L} || ' ' || {_v(column)} || ' on a 冲销 (reversal) row must be {word}'"
    if rule == "normal_not_negative":
        return column, _v(column), f"{L} || ' ' || {_v(column)} || ' is negative on a 正常 settlement (only 冲销 rows are negative)'"
    if rule == "refund_names_original":
        return column, "NULL", f"'a 退费 (refund) must name the contribution it refunds in ' || {L}"
    if rule == "refund_negative":
        return column, _v(column), f"{L} || ' ' || {_v(column)} || ' on a 退费 (refund) row must be negative'"
    if rule == "contribution_not_negative":
        return column, _v(column), f"{L} || ' ' || {_v(column)} || ' is negative on a 正常 contribution (only 退费 rows are negative)'"
    if rule == "cert_no_format":
        return (
            column,
            "c.cert_no",
            f"{L} || ' has ' || length(c.cert_no) || ' characters and is not an 18-character ID followed by "
            f"a category digit 1–7 and a grade digit 1–4'",
        )
    # any rule added to a suite later still gets a readable, value-free reason
    return column, _v(column) if column else "NULL", f"{L} || ' fails ' || {lit(exp['type'])}"
