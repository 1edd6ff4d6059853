"""The warnings stage runs within DuckDB's memory limit whatever the number of warnings and evidence records
(issue 18): on a generated city whose households cite hundreds of settlements each (the `heavy` profile), at
a memory limit far below what the evidence takes at once, it raises the same warnings as with memory to spare.

Two mechanisms make it so: the rules of household and member level run in batches of households chosen from the
linked records and the memory limit (`hedui.evidence_batches`), and changed warnings and their
wording are replaced rather than updated in place (DuckDB holds a transaction's updated values in memory)."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from hedui.night import run_night
from hedui.policy import load_policy
from hedui.evidence_batches import evidence_batches
from hedui.rules.engine import raise_warnings
from hedui.run_info import RunInfo
from hedui.statements import StatementFailed
from hedui.synth import generate_city
from hedui.warehouse.publish import connect

AS_OF = dt.date(2026, 11, 20)
SMALL_LIMIT = "160MB"
ALERTS = ("alerts.warning_events", "alerts.list_texts", "alerts.rule_runs", "alerts.warnings")


@pytest.fixture(scope="module")
def heavy_night(tmp_path_factory):
    """A small city of the heavy profile after its first night (memory to spare): linked, warnings raised."""
    base = tmp_path_factory.mktemp("heavy")
    city = generate_city(base / "city", members=600, residents_per_member=1.2, as_of=AS_OF, seed=3,
                         profile="heavy")
    result = run_night(city.landing, base / "hedui.duckdb", AS_OF, deliver=False, allow_future_as_of=True)
    return result.warehouse


def _warnings(con) -> list[tuple]:
    return con.execute(
        "select warning_id, status, last_seen_on, evidence_fingerprint, md5(cast(evidence as varchar)), "
        "summary_zh from alerts.warnings order by warning_id"
    ).fetchall()


def _texts(con) -> list[tuple]:
    return con.execute("select * from alerts.list_texts order by warning_id").fetchall()


def _two_nights_of_warnings(warehouse, tmp_path, memory_limit: str | None):
    """From the linked city with no warnings: the warnings stage of a first night and of the next one (every
    medical warning's window, so its evidence, moves), on a connection limited to `memory_limit`."""
    copy = tmp_path / f"w-{memory_limit}.duckdb"
    shutil.copyfile(warehouse, copy)
    con = connect(copy, memory_limit=memory_limit, temp_directory=tmp_path / "spill", threads=1)
    try:
        for table in ALERTS:
            con.execute(f"delete from {table}")
        batches = evidence_batches(con)
        policy = load_policy()
        raise_warnings(con, RunInfo("night-1", AS_OF, policy))
        first = _warnings(con), _texts(con)
        raise_warnings(con, RunInfo("night-2", AS_OF + dt.timedelta(days=1), policy))
        return batches, first, (_warnings(con), _texts(con))
    finally:
        con.close()


def test_the_warnings_stage_of_a_city_with_heavy_evidence_runs_at_a_small_memory_limit(heavy_night, tmp_path):
    con = duckdb.connect(str(heavy_night), read_only=True)
    try:
        warnings, records = con.execute(
            "select count(*), sum(json_array_length(evidence -> '$.records')) from alerts.warnings "
            "where status = 'open'"
        ).fetchone()
    finally:
        con.close()
    assert warnings > 200 and records > 20_000  # many warnings, hundreds of records for many of them

    batches, first, second = _two_nights_of_warnings(heavy_night, tmp_path, SMALL_LIMIT)
    _, first_roomy, second_roomy = _two_nights_of_warnings(heavy_night, tmp_path, None)

    assert batches > 1  # the small limit cut the evidence into batches
    assert len(first[0]) == warnings
    assert first == first_roomy
    assert second == second_roomy
    changed = sum(a[3] != b[3] or a[4] != b[4] for a, b in zip(first[0], second[0]))
    assert changed > 0  # the next night replaced warnings whose evidence moved with the window


def test_without_batches_the_same_stage_runs_out_of_memory_at_that_limit(heavy_night, tmp_path, monkeypatch):
    """What the batches are for: cut into one batch, the same work does not fit the same limit (DuckDB cannot
    spill the list aggregates and the vectors of wide rows)."""
    from hedui.deliver import list_texts
    from hedui.rules import engine

    monkeypatch.setattr(engine, "evidence_batches", lambda con, *args, **kwargs: 1)
    monkeypatch.setattr(list_texts, "evidence_batches", lambda con, *args, **kwargs: 1)
    with pytest.raises(StatementFailed, match="OutOfMemoryException"):
        _two_nights_of_warnings(heavy_night, tmp_path, SMALL_LIMIT)
