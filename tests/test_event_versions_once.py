"""Each version of an event record is stored once (issue 18): `staged.medical` holds each key's newest version,
`staged.medical_superseded` the others, and `staged.medical_events` (every version) is a view of the two.

The oracle for "every version" is what the old `staged.medical_events` table held: each delivery's accepted
rows, a corrected resend replacing its delivery's earlier rows. It is computed here without the merge: every
delivery in the landing zone is ingested alone into a fresh warehouse, and their rows are put together; the
newest version of each key is ranked from them with the old `rebuild_event_table` query.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from hedui import stages
from hedui.run_info import RunInfo
from hedui.warehouse import migrate
from tests.conftest import FIXTURES, read_sample_rows, write_csv

HEADER, ROWS = read_sample_rows("medical")
NIGHTS = [dt.date(2026, 11, 3), dt.date(2026, 11, 5), dt.date(2026, 11, 6), dt.date(2026, 11, 7)]
NEWEST_FIRST = "delivery_date desc, delivery_id desc, file desc, row_number desc"


def _with(row: list[str], **changes: str) -> list[str]:
    """A copy of a sample row with columns (by header position name) changed."""
    copy = list(row)
    for header, value in changes.items():
        copy[HEADER.index(header)] = value
    return copy


def _deliver(landing: Path, folder: str, rows: list[list[str]]) -> None:
    write_csv(landing / "medical" / folder / "medical.csv", HEADER, rows, encoding="gb18030")


def _night_landings(landing: Path) -> None:
    """What each night finds. Night 1: a week's settlements and the next delivery resending them (the older
    versions are beaten within the night). Night 2: a corrected amount for one settlement, one settlement twice
    in the same file, and a reversal. Night 3: an older delivery read late (the stored versions stay newest).
    Night 4: night 2's delivery resent corrected without its first row (that key's earlier version is newest
    again: the split is rebuilt)."""
    _deliver(landing, "20261025", ROWS[:3])  # dated on its newest settlement's day (none may be later)
    _deliver(landing, "20261103", ROWS)


def _night(landing: Path, night: int) -> None:
    if night == 2:
        _deliver(landing, "20261105", [
            _with(ROWS[0], 医疗总费用="58,300.00", 个人自付="12,000.00"),
            _with(ROWS[1], 医疗总费用="240"),
            _with(ROWS[1], 医疗总费用="250"),
            _with(ROWS[1], 结算流水号="Y20261105000999", 结算类型="冲销", 原结算流水号=ROWS[1][0],
                  医疗总费用="-250", 统筹基金支付="-120", 个人自付="-130"),
        ])
    elif night == 3:
        _deliver(landing, "20261101", [_with(ROWS[2], 医疗总费用="3000")])
    elif night == 4:
        _deliver(landing, "20261105", [
            _with(ROWS[1], 医疗总费用="240"),
            _with(ROWS[1], 医疗总费用="260"),
            _with(ROWS[1], 结算流水号="Y20261105000999", 结算类型="冲销", 原结算流水号=ROWS[1][0],
                  医疗总费用="-260", 统筹基金支付="-120", 个人自付="-140"),
        ])


def _ingest(con, landing: Path, as_of: dt.date, scratch: Path, run_id: str, *, full: bool = False) -> None:
    stages.ingest(con, landing, "medical", RunInfo(run_id, as_of, full_recompute=full), tmp_dir=scratch,
                  results_dir=None)


def _columns(con) -> str:
    names = [n for (n,) in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'staged' and table_name = 'medical' "
        "order by column_name").fetchall()]
    return ", ".join(f'"{n}"' for n in names)


def _rows(con, table: str, columns: str) -> list[tuple]:
    return con.execute(f"select {columns} from {table} order by all").fetchall()


def _every_version_alone(landing: Path, as_of: dt.date, scratch: Path) -> duckdb.DuckDBPyConnection:
    """The oracle: each delivery ingested alone, its rows put together in `versions`."""
    oracle = duckdb.connect()
    for folder in sorted((landing / "medical").iterdir()):
        if dt.date(int(folder.name[:4]), int(folder.name[4:6]), int(folder.name[6:])) > as_of:
            continue
        alone = scratch / f"alone-{folder.name}"
        shutil.copytree(folder, alone / "medical" / folder.name)
        con = duckdb.connect(str(alone / "w.duckdb"))
        migrate(con)
        _ingest(con, alone, as_of, scratch / f"s-{folder.name}", "alone")
        con.close()
        oracle.execute(f"attach '{alone / 'w.duckdb'}' as alone (read_only)")
        oracle.execute("create table if not exists versions as select * from alone.staged.medical_events where false")
        oracle.execute("insert into versions by name select * from alone.staged.medical_events")
        oracle.execute("detach alone")
        shutil.rmtree(alone)
    oracle.execute(f"""create table newest as select * exclude (version_rank) from (
        select *, row_number() over (partition by record_key order by {NEWEST_FIRST}) as version_rank
        from versions) where version_rank = 1""")
    return oracle


@pytest.fixture(scope="module")
def four_nights(tmp_path_factory):
    """The warehouse after each of the four nights, with the oracle of each night."""
    base = tmp_path_factory.mktemp("versions-once")
    landing = base / "landing"
    _night_landings(landing)
    con = duckdb.connect(str(base / "w.duckdb"))
    migrate(con)
    seen = []
    for night, as_of in enumerate(NIGHTS, start=1):
        _night(landing, night)
        _ingest(con, landing, as_of, base / "scratch", f"night-{night}")
        columns = _columns(con)
        oracle = _every_version_alone(landing, as_of, base / f"oracle-{night}")
        seen.append({
            "night": night,
            "staged": _rows(con, "staged.medical", columns),
            "superseded": _rows(con, "staged.medical_superseded", columns),
            "events": _rows(con, "staged.medical_events", columns),
            "versions": _rows(oracle, "versions", columns),
            "newest": _rows(oracle, "newest", columns),
            "counts": con.execute("select (select count(*) from staged.medical), "
                                  "(select count(*) from staged.medical_superseded)").fetchone(),
        })
        oracle.close()
    yield con, landing, base, seen
    con.close()


def test_each_version_is_stored_once_in_the_physical_tables(four_nights):
    con, _, _, seen = four_nights
    for night in seen:
        staged_rows, superseded_rows = night["counts"]
        assert staged_rows + superseded_rows == len(night["versions"]), night["night"]
        assert not set(night["staged"]) & set(night["superseded"]), night["night"]
    # the nights did make superseded versions (resends within a night, across nights, a late older delivery)
    assert [n["counts"][1] for n in seen] == [4, 7, 8, 7]  # the sample sends Y20261020000187 twice
    kinds = dict(con.execute("select table_name, table_type from information_schema.tables "
                             "where table_schema = 'staged' and table_name like 'medical%'").fetchall())
    assert kinds == {"medical": "BASE TABLE", "medical_superseded": "BASE TABLE", "medical_events": "VIEW"}
    # raw.medical keeps no text copy of the rows: the samples have no unknown columns
    assert con.execute("select count(*) from raw.medical").fetchone()[0] == 0


def test_the_events_view_holds_every_version_the_old_events_table_held(four_nights):
    _, _, _, seen = four_nights
    for night in seen:
        assert night["events"] == night["versions"], night["night"]


def test_staged_medical_holds_each_keys_newest_version_after_resends_and_corrections(four_nights):
    _, _, _, seen = four_nights
    for night in seen:
        assert night["staged"] == night["newest"], night["night"]
    # night 4's corrected resend dropped the corrected settlement: its 20261103 version is the newest again
    last = {row for row in seen[-1]["staged"]}
    assert any("medical/20261103" in row and ROWS[0][0] in row for row in last)


def test_a_full_recompute_stores_what_the_incremental_nights_stored(four_nights, tmp_path):
    con, landing, _, seen = four_nights
    columns = _columns(con)
    _ingest(con, landing, NIGHTS[-1], tmp_path / "s", "full", full=True)
    assert _rows(con, "staged.medical", columns) == seen[-1]["staged"]
    assert _rows(con, "staged.medical_superseded", columns) == seen[-1]["superseded"]
    fresh = duckdb.connect()
    migrate(fresh)
    _ingest(fresh, landing, NIGHTS[-1], tmp_path / "fresh", "once")
    assert _rows(fresh, "staged.medical", columns) == seen[-1]["staged"]
    assert _rows(fresh, "staged.medical_superseded", columns) == seen[-1]["superseded"]


def _as_before_migration_12(con) -> list[tuple]:
    """Turn the warehouse back into the layout migrations 1 to 11 left: a real `staged.medical_events` table
    with every version, and `raw.medical` holding every row's text. Returns the versions it holds."""
    con.execute("begin transaction")
    con.execute("create table staged.medical_events_table as select * from staged.medical_events")
    con.execute("drop view staged.medical_events")
    con.execute("drop table staged.medical_superseded")
    con.execute("alter table staged.medical_events_table rename to medical_events")
    con.execute("drop table raw.medical")
    con.execute("""create table raw.medical as
        select delivery_id, file, row_number, id_raw as src_id, person_name as src_name,
               case when row_number = 1 then to_json({'备注': 'kept'}) end as extra
        from staged.medical_events""")
    con.execute("delete from meta.schema_migrations where version = 12")
    con.execute("commit")
    return con.execute("select * from staged.medical_events order by all").fetchall()


def test_the_migration_upgrades_an_events_table_in_place_keeping_every_version(four_nights, tmp_path):
    con, _, base, _ = four_nights
    copy = tmp_path / "before-12.duckdb"
    con.execute("checkpoint")
    shutil.copy(base / "w.duckdb", copy)
    old = duckdb.connect(str(copy))
    try:
        newest = old.execute("select * from staged.medical order by all").fetchall()
        versions = _as_before_migration_12(old)
        with_unknown = old.execute("select count(*) from raw.medical where extra is not null").fetchone()[0]
        assert [m.version for m in migrate(old, "upgrade")] == [12]
        assert old.execute("select * from staged.medical_events order by all").fetchall() == versions
        assert old.execute("select * from staged.medical order by all").fetchall() == newest
        assert old.execute("select count(*) from staged.medical_superseded").fetchone()[0] == \
            len(versions) - len(newest)
        assert old.execute("select table_type from information_schema.tables where table_schema = 'staged' "
                           "and table_name = 'medical_events'").fetchone()[0] == "VIEW"
        # the unknown columns of the old raw rows stay; the text of the declared ones goes
        assert {c for (c,) in old.execute("select column_name from duckdb_columns() where schema_name = 'raw' "
                                          "and table_name = 'medical'").fetchall()} == \
            {"delivery_id", "file", "row_number", "extra"}
        assert old.execute("select count(*) from raw.medical").fetchone()[0] == with_unknown > 0
    finally:
        old.close()


def test_the_migration_fails_and_changes_nothing_when_a_newest_version_is_not_among_the_versions(four_nights,
                                                                                                   tmp_path):
    con, _, base, _ = four_nights
    copy = tmp_path / "broken.duckdb"
    con.execute("checkpoint")
    shutil.copy(base / "w.duckdb", copy)
    old = duckdb.connect(str(copy))
    try:
        versions = _as_before_migration_12(old)
        old.execute("update staged.medical set row_number = row_number + 1000 where record_key = ?", [ROWS[0][0]])
        with pytest.raises(RuntimeError, match="not every newest version"):
            migrate(old, "upgrade")
        assert old.execute("select * from staged.medical_events order by all").fetchall() == versions
        assert old.execute("select table_type from information_schema.tables where table_schema = 'staged' "
                           "and table_name = 'medical_events'").fetchone()[0] == "BASE TABLE"
    finally:
        old.close()


def test_a_0_1_0_warehouse_keeps_every_event_version_through_the_upgrade(tmp_path):
    path = tmp_path / "old.duckdb"
    with gzip.open(FIXTURES / "warehouses" / "v0.1.0-samples.duckdb.gz", "rb") as packed, open(path, "wb") as out:
        shutil.copyfileobj(packed, out)
    con = duckdb.connect(str(path))
    try:
        tables = [t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'staged' "
                                            "and table_name like '%\\_events' escape '\\'").fetchall()]
        assert tables  # the fixture has event tables to upgrade
        before = {t: con.execute(f"select * from staged.{t} order by all").fetchall() for t in tables}
        migrate(con, "upgrade")
        after = {t: con.execute(f"select * from staged.{t} order by all").fetchall() for t in tables}
        assert after == before and sum(map(len, after.values())) > 0
    finally:
        con.close()
