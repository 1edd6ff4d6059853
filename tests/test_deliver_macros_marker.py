"""The wording macros are installed once per connection, and again after a rollback took them away: the rules
stage words the lists inside its own transaction, and a stage retried on the same connection after a rollback
must not find the macros marked as installed while they are gone."""

from __future__ import annotations

import duckdb

from hedui.deliver.evidence import install_deliver_macros


def _words(con) -> str:
    return con.execute("select severity_zh('high')").fetchone()[0]


def test_wording_macros_installed_in_a_rolled_back_transaction_are_installed_again():
    con = duckdb.connect()
    con.execute("begin transaction")
    install_deliver_macros(con)
    assert _words(con)
    con.execute("rollback")
    install_deliver_macros(con)  # the marker went with the macros: they are created again
    assert _words(con)


def test_wording_macros_install_on_a_read_only_warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    con = duckdb.connect(str(path), read_only=True)
    install_deliver_macros(con)
    install_deliver_macros(con)  # the second call finds them
    assert _words(con)
