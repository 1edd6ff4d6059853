"""The portability check's answers, remembered on disk across processes.

Checking that a rule stays inside the portable subset means parsing, expanding and rewriting it with sqlglot:
about 0.1 s a rule, 1.3 s for the catalog. Every process that loads the catalog pays it once (a night, `hedui
report`, `hedui status`, each CLI call), although the answer only changes when the rule's text, its bound
values, sqlglot or the dialect's code change. So the answer is kept in a small JSON file per question, named
by a hash of all of these, under `$HEDUI_CACHE_DIR` (default `$XDG_CACHE_HOME/hedui` or `~/.cache/hedui`).

A cache that cannot be read or written is not an error: the check is then simply computed. A stale answer is
impossible by construction, since any change to what the answer depends on changes its file name.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from pathlib import Path

import sqlglot

CACHE_DIR_ENV = "HEDUI_CACHE_DIR"


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured) / "portable-sql"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hedui" / "portable-sql"


@cache
def _checker_version() -> str:
    """sqlglot's version, the text of the dialect's code and function list, and the macros a query expands
    into (a macro edited into non-portable SQL must not leave its callers' cached answers "portable"): what the
    answers depend on besides the query itself."""
    from hedui.rules.shared_definitions import _MACROS as RULE_MACROS

    digest = hashlib.sha256(sqlglot.__version__.encode())
    engines = files("hedui.engines")
    for name in sorted(("macros.py", "spark_rewrites.py", "spark_sql.py", "spark_builtins.txt")):
        digest.update(name.encode())
        digest.update(engines.joinpath(name).read_bytes())
    for package, name in (("connectors", "sql/macros.sql"), ("hedui.income", "window.sql"),
                          ("hedui.income", "model.sql")):
        digest.update(files(package).joinpath(name).read_bytes())
    digest.update(";".join(RULE_MACROS).encode())
    return digest.hexdigest()


def cached_problems(question: str, compute: Callable[[], list[str]]) -> list[str]:
    """The answer to `question` (the query and its bound values, as text) from the disk cache, else
    `compute()`, stored for the next process."""
    key = hashlib.sha256(f"{_checker_version()}\n{question}".encode()).hexdigest()
    path = cache_dir() / f"{key}.json"
    try:
        return list(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        pass
    problems = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                         suffix=".tmp") as tmp:
            json.dump(problems, tmp, ensure_ascii=False)
        os.replace(tmp.name, path)  # atomic: a concurrent reader sees the old state or the whole answer
    except OSError:
        pass
    return problems
