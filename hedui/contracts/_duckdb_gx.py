"""Running GX's SQL execution engine against the caller's DuckDB database.

* The engine's connections are ``con.cursor()`` of the caller's connection, so GX reads the very same
  database instance (the run's working copy), whatever config it was opened with. Opening the file again
  by path from duckdb-engine fails ("different configuration than existing connections").
* GX 1.x's ``SqlAlchemyExecutionEngine.execute_query`` returns a cursor result *after* handing the
  connection back to the pool; with duckdb-engine the pending result is gone by then and every metric fails
  with ``IndexError: list index out of range`` (GX issue #11579). We buffer the rows before the connection
  is released. The patch is applied once, only to that method, and is a no-op for other result kinds.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_patched = False


def patch_gx_sql_engine() -> None:
    global _patched
    with _lock:
        if _patched:
            return
        from great_expectations.execution_engine import sqlalchemy_execution_engine as see

        cls = see.SqlAlchemyExecutionEngine

        def execute_query(self, query):  # same signature as GX's
            with self.get_connection() as connection:
                result = self._execute_query_with_recovery(connection, query)
                if getattr(result, "returns_rows", False):
                    return result.freeze()()  # rows buffered while the connection is still ours
                return result

        execute_query.__doc__ = cls.execute_query.__doc__
        cls.execute_query = execute_query
        _patched = True


def engine_kwargs(con) -> dict:
    """SQLAlchemy create_engine kwargs that make every pooled connection a cursor of ``con``."""
    import duckdb_engine

    return {
        "creator": lambda: duckdb_engine.ConnectionWrapper(con.cursor()),
        # a DuckDB result dies with a rollback; GX reads results only after release (see above)
        "pool_reset_on_return": None,
    }
