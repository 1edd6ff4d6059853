"""Which statement of which stage failed: named, without values, for the ledger and the log.

A database error's text may quote a value (a name, an ID), so what reaches the log and the ledger is redacted
to the point of saying little (`OutOfMemoryException: failed to allocate …`). What an operator needs on the
morning after is where the night died: the stage (`warnings`) and the statement (`rule HARDSHIP_MEDICAL:
query`, `lifecycle: _UPDATE_STILL_OPEN_CHANGED, batch 3 of 8`). Those names are the code's own words, never
data, so they are kept whole.

`StatementFailed` carries them in its message, in a fixed form, because the Prefect steps re-raise every error
rebuilt from its redacted text (`flows.nightly._without_values_in_errors`): attributes would be lost, the text
is not. `failure_of` reads them back from any error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

_FORM = re.compile(r"stage (?P<stage>[a-z_.]+), statement \[(?P<statement>[^\]\n]+)\]: (?P<error>.*)", re.S)


class StatementFailed(RuntimeError):
    """A named statement of a stage failed; the message is `stage <stage>, statement [<statement>]: <error>`,
    the error being the database's exception type and its redacted first line."""

    @classmethod
    def naming(cls, stage: str, statement: str, error: BaseException | str) -> "StatementFailed":
        from hedui.privacy import redact_error_text

        said = error if isinstance(error, str) else f"{type(error).__name__}: {redact_error_text(error)}"
        return cls(f"stage {stage}, statement [{statement}]: {said}")


@dataclass(frozen=True)
class Failure:
    """Where a night died and with what, without values: what `ledger.failed_runs` and the log record."""

    stage: str
    statement: str | None
    error: str


def failure_of(error: BaseException, stage: str) -> Failure:
    """The stage and statement an error names (a `StatementFailed`, or one rebuilt from its text by Prefect);
    otherwise `stage`, the one the night was in, with no statement. The error text is redacted either way."""
    from hedui.privacy import redact_error_text

    text = redact_error_text(error)
    match = _FORM.search(text)
    if match:
        return Failure(match["stage"], match["statement"].strip(), match["error"].strip())
    return Failure(stage, None, f"{type(error).__name__}: {text}")


def run(con: duckdb.DuckDBPyConnection, stage: str, statement: str, sql: str, parameters=None):
    """`con.execute(sql, parameters)`, a database error raised again as `StatementFailed` naming the statement.
    The original error is not chained (its text may quote a value)."""
    try:
        return con.execute(sql, parameters) if parameters is not None else con.execute(sql)
    except duckdb.Error as exc:
        raise StatementFailed.naming(stage, statement, exc) from None
