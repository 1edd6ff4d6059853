"""bench/relink.py relinks a copy of a night's warehouse with this checkout's matching, and touches nothing
but what the linking stage writes: on an unchanged warehouse it gives back the night's links, even when they were taken away. (The stage's
review-queue health adds its row to the ledger, as any run's linking does; the ledgers are left out.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb

from tests.warehouse_state import data_state

_PATH = Path(__file__).resolve().parent.parent / "bench" / "relink.py"
_spec = importlib.util.spec_from_file_location("relink", _PATH)
relink = importlib.util.module_from_spec(_spec)
sys.modules["relink"] = relink
_spec.loader.exec_module(relink)


def test_relinking_a_nights_warehouse_gives_its_links_and_changes_nothing_else(first_night, capsys):
    before = data_state(first_night, ledgers=False)
    assert before["linked.links"]  # the samples' night made links to compare
    con = duckdb.connect(str(first_night))
    con.execute("delete from linked.links")  # a relink that did nothing would leave none
    con.close()
    assert relink.main([str(first_night), "--memory-limit", "1GB", "--threads", "1"]) == 0
    after = data_state(first_night, ledgers=False)
    assert after == before
    assert "relinked in" in capsys.readouterr().out
