"""The deliveries of a source read in one night are typed in one statement (`delivery_reader._type_batch`), and
the cleaning macros take a fast path for the common cell. Neither may change what is loaded: a delivery read
with others loads, quarantines and flags exactly what it does when it is read alone, night by night."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from connectors import normalise
from hedui import stages
from hedui.run_info import RunInfo
from hedui.warehouse import migrate
from tests.conftest import read_sample_rows, write_csv

AS_OF = dt.date(2026, 11, 3)
SPACES = [" ", "\t", "\n", "\x0b", "\x0c", "\r", "\xa0", "\u3000"]


@pytest.fixture
def con():
    connection = duckdb.connect()
    normalise.register(connection)
    yield connection
    connection.close()


def test_hd_clean_trims_every_listed_space_at_either_end_and_nothing_inside(con):
    values = ["", "a", "a b", "李 秀英", "x\u3000y", *SPACES, *(s + "李" for s in SPACES), *("李" + s for s in SPACES),
              *(s + "1 2" + s for s in SPACES), " \t\u3000 ", "\xa0\xa0x\xa0", "\u2003李"]
    got = con.execute("select hd_clean(v) from unnest($values) with ordinality as t(v, i) order by i",
                      {"values": values}).fetchall()
    expected = [v.strip("".join(SPACES)) or None for v in values]
    assert [g for (g,) in got] == expected
    assert con.execute("select hd_clean(null)").fetchone()[0] is None


def test_hd_id_compact_reads_spaced_full_width_and_lower_case_ids_as_before(con):
    cases = {
        "430482196203151313": "430482196203151313",
        "43048219620315131x": "43048219620315131X",
        "43048219620315131X": "43048219620315131X",
        "４３０４８２１９６２０３１５１３１３": "430482196203151313",
        "430482 19620315 1313": "430482196203151313",
        "\u3000430482196203151313\xa0": "430482196203151313",
        "4.30482196203151E+17": "4.30482196203151E+17",
        "4.30482196203151e+17": "4.30482196203151E+17",
        "430482620315131": "430482620315131",
        "  ": None,
    }
    for raw, compact in cases.items():
        assert con.execute("select hd_id_compact(?)", [raw]).fetchone()[0] == compact, raw


def _medical_deliveries(landing: Path) -> list[dt.date]:
    """Three medical deliveries with the mess a batch must type as each alone: padded and full-width
    values, a settlement delivered again (newer version) in a later week, a
    duplicate inside one delivery, and rows failing their contract."""
    header, rows = read_sample_rows("medical")
    # each dated on or after its settlements (a settlement after its delivery's date is refused)
    weeks = [dt.date(2026, 10, 29), dt.date(2026, 10, 30), AS_OF]
    first = [list(r) for r in rows]
    first[0][3] = "\u3000" + first[0][3] + " "  # a padded name
    first[1][4] = "４３０４８２２００８０５０６５２２７"  # a full-width ID
    second = [list(r) for r in rows[:3]]
    second[0][12] = "58,300.00"  # the settlement of week 1, again with another total: the newer version wins
    second[1][8] = "2026-13-45"  # not a date: quarantined
    second[2][4] = " " + second[2][4] + "\t"  # a padded ID
    third = [list(r) for r in rows[2:5]]
    third[0][12] = ""  # a required amount missing: unknown, flagged
    for week, week_rows in zip(weeks, (first, second, third)):
        write_csv(landing / "medical" / week.strftime("%Y%m%d") / "medical.csv", header, week_rows)
    return weeks


def _ingest(landings: list[Path], warehouse: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """One run per landing zone, all with the same as-of date (so the contract judges every row alike)."""
    con = duckdb.connect(str(warehouse))
    migrate(con)
    for night, landing in enumerate(landings):
        stages.ingest(con, landing, "medical", RunInfo(f"run-{night}", AS_OF), tmp_dir=tmp_path / "scratch",
                      results_dir=None)
    return con


def _contents(con, table: str) -> list[tuple]:
    return sorted(con.execute(f"select * from {table}").fetchall(), key=repr)


def test_deliveries_typed_together_load_quarantine_and_flag_what_each_does_alone(tmp_path):
    landing = tmp_path / "landing"
    weeks = _medical_deliveries(landing)
    # the same deliveries arriving one a night: each night's landing zone holds one more week
    growing = []
    for n in range(1, len(weeks) + 1):
        zone = tmp_path / f"landing-{n}"
        for week in weeks[:n]:
            folder = week.strftime("%Y%m%d")
            shutil.copytree(landing / "medical" / folder, zone / "medical" / folder)
        growing.append(zone)
    together = _ingest([landing], tmp_path / "together.duckdb", tmp_path)
    nightly = _ingest(growing, tmp_path / "nightly.duckdb", tmp_path)
    assert nightly.execute("select count(distinct run_id) from ledger.deliveries where status = 'loaded'"
                           ).fetchone()[0] == 3  # one delivery read each night
    for table in ("staged.medical_events", "staged.medical", "staged.medical_superseded"):
        assert _contents(together, table) == _contents(nightly, table), table
    for table in ("quarantine.rows", "quarantine.flags"):
        assert _contents(together, f"(select * exclude (run_id) from {table})") == \
            _contents(nightly, f"(select * exclude (run_id) from {table})"), table
    counts = "(select delivery_id, rows_read, rows_loaded, rows_quarantined from ledger.deliveries where status = 'loaded')"
    assert _contents(together, counts) == _contents(nightly, counts)
    # what the deliveries hold, so that the comparison compares something
    assert together.execute("select delivery_id, column_name from quarantine.rows").fetchall() == \
        [("medical/20261030", "settled_on")]
    assert {"amount_unknown", "out_of_pocket_mismatch"} <= {
        flag for (flag,) in together.execute("select flag from quarantine.flags").fetchall()}
    assert together.execute(
        "select total_cost from staged.medical where settlement_id = 'Y20261020000187'").fetchall() == \
        [(Decimal("58300.00"),)]
    assert together.execute(
        "select count(*) from staged.medical where id_norm = '430482200805065227'").fetchone()[0] >= 1
    # nothing of the batch is left behind: no scratch table or view in the warehouse or the session
    scratch = together.execute(
        "select count(*) from (select table_name as n from duckdb_tables() union all "
        "select view_name from duckdb_views() where not internal) where n like '%hedui_cand%' or n like 'e_medical%'"
    ).fetchone()[0]
    assert scratch == 0
    together.close()
    nightly.close()
