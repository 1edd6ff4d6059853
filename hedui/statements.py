"""Which statement of which stage failed: named, without values, for the ledger and the log.

A database error's text may quote a value (a name, an ID), so what reaches the log and the ledger is redacted
to the point of saying little (`OutOfMemoryException: failed to allocate …`). What an operator needs on the
morning after is where the night died: the stage (`warnings`) and the statement (`rule HARDSHIP_MEDICAL:
query`, `lifecycle: _UPDATE_STILL_OPEN_CHANGED, batch 3 of 8`). Those names are the code's own words, never
data, so they are kept whole.

`StatementFailed` carries them in its message, in a fixed form, because the Prefect steps re-raise every error
rebuilt from its redacted text (`flows.nightly._without_values_in_errors`): attributes would be lost, the text
is not. `failure_of` reads them back from any error.

Most statements are not run through `run` (the linking's, the ingest's, the window scope's, the lists'): a
database error raised by one of them is named by where the code ran it, its innermost frames of the project's
own code (`statement_at`: `matching/namesakes.py:75 _add_tonights_facts`), which are code too, never data.
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
    otherwise `stage`, the one the night was in, with the statement where the code ran it when it is a database
    error (`statement_at`), or none. The error text is redacted either way."""
    from hedui.privacy import redact_error_text

    error = named(error, stage)
    text = redact_error_text(error)
    match = _FORM.search(text)
    if match:
        return Failure(match["stage"], match["statement"].strip(), match["error"].strip())
    return Failure(stage, None, f"{type(error).__name__}: {text}")


def named(error: BaseException, stage: str) -> BaseException:
    """A database error that names no statement, as a `StatementFailed` naming where the code ran it (the Prefect
    steps call this before the error loses its traceback); any other error as it is."""
    if not isinstance(error, duckdb.Error):
        return error
    statement = statement_at(error)
    return StatementFailed.naming(stage, statement, error) if statement else error


# The project's packages: `statement_at` names frames of their modules only (by module name, wherever installed)
_PACKAGES = ("hedui", "connectors", "matching", "flows")
# a helper's frame (`table_exists`) says little alone: its caller in the project is named too
_FRAMES_NAMED = 2


def _module_file(module: str, filename: str) -> str:
    """A module's file as the repository names it: `matching.namesakes` is `matching/namesakes.py`, a package's
    own module its `__init__.py`."""
    path = module.replace(".", "/")
    return f"{path}/__init__.py" if filename.endswith("__init__.py") else f"{path}.py"


def statement_at(error: BaseException) -> str | None:
    """Where the project's code ran the statement that raised `error`: its innermost frame of the project's own
    modules, and the one that called it, as `path:line function, from path:line function` (paths as in the
    repository). None when no frame of the project's modules is in the traceback. This module's frames (`run`)
    name nothing: the statement is its caller's."""
    frames = []
    traceback = error.__traceback__
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        code = traceback.tb_frame.f_code
        if module.split(".")[0] in _PACKAGES and module != __name__:
            frames.append(f"{_module_file(module, code.co_filename)}:{traceback.tb_lineno} {code.co_name}")
        traceback = traceback.tb_next
    if not frames:
        return None
    return ", from ".join(reversed(frames[-_FRAMES_NAMED:]))


def run(con: duckdb.DuckDBPyConnection, stage: str, statement: str, sql: str, parameters=None):
    """`con.execute(sql, parameters)`, a database error raised again as `StatementFailed` naming the statement.
    The original error is not chained (its text may quote a value)."""
    try:
        return con.execute(sql, parameters) if parameters is not None else con.execute(sql)
    except duckdb.Error as exc:
        raise StatementFailed.naming(stage, statement, exc) from None
