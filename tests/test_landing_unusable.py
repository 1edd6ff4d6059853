"""A missing or empty landing zone fails the night loudly instead of completing it from stale data.

A mistyped `--landing` or an unmounted share must not give `completed`, with every source keeping its
picture in force, looking fresh, and the lists going out. The night stops before it touches the warehouse: a
non-zero exit with one line saying why, nothing published (yesterday's warehouse byte for byte), nothing
delivered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from hedui.cli import app
from hedui.landing import LandingZoneUnusable
from hedui.night import run_night
from tests.conftest import SAMPLES_AS_OF

NEXT_NIGHT = SAMPLES_AS_OF + dt.timedelta(days=1)


def _unusable_landing(tmp_path, kind: str):
    landing = tmp_path / "landing-unusable"
    if kind == "empty":
        landing.mkdir()  # an unmounted share's mount point
    elif kind == "no_delivery":
        for source in ("households", "members", "medical"):
            (landing / source).mkdir(parents=True)  # the folders are there, no department delivered into them
    elif kind == "other_files":
        landing.mkdir()
        (landing / "README.md").write_text("not a delivery")
    elif kind == "a_file":
        landing = tmp_path / "landing.csv"
        landing.write_text("a,b\n")
    return landing  # "missing": never created


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind, says", [
    ("missing", "does not exist"),
    ("empty", "holds none of the source folders"),
    ("other_files", "holds none of the source folders"),
    ("no_delivery", "holds no delivery"),
    ("a_file", "is not a folder"),
])
def test_first_night_on_an_unusable_landing_zone_fails_and_creates_no_warehouse(tmp_path, kind, says):
    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(LandingZoneUnusable, match=says):
        run_night(_unusable_landing(tmp_path, kind), warehouse, SAMPLES_AS_OF, outputs=tmp_path / "out")
    assert not warehouse.exists()
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def _published_home(tmp_path_factory, samples_night):
    """The session's shared samples night laid out as a center's home folder: the warehouse with its Data Docs
    and validation results beside it, and its lists under outputs/<as-of>/ (where a night run without
    `outputs=` puts them)."""
    shared = samples_night.warehouse.parent
    home = tmp_path_factory.mktemp("published") / "home"
    home.mkdir()
    shutil.copyfile(samples_night.warehouse, home / "hedui.duckdb")
    for folder in ("data_docs", "validations"):
        shutil.copytree(shared / folder, home / folder)
    shutil.copytree(samples_night.result.outputs, home / "outputs" / SAMPLES_AS_OF.isoformat())
    return home


@pytest.fixture
def published_night(_published_home, tmp_path):
    """A warehouse holding the spec samples' night, with its lists and Data Docs (a private copy)."""
    home = tmp_path / "home"
    shutil.copytree(_published_home, home)
    return home / "hedui.duckdb"


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_a_later_night_on_an_unusable_landing_zone_keeps_the_previous_state_and_sends_nothing(
        published_night, tmp_path, kind):
    before = _digest(published_night)
    home = published_night.parent
    docs_before = sorted(p.relative_to(home) for p in (home / "data_docs").rglob("*"))
    with pytest.raises(LandingZoneUnusable):
        run_night(_unusable_landing(tmp_path, kind), published_night, NEXT_NIGHT)
    assert _digest(published_night) == before
    assert not (home / "outputs" / NEXT_NIGHT.isoformat()).exists()  # no lists from stale data
    assert sorted(p.relative_to(home) for p in (home / "data_docs").rglob("*")) == docs_before
    con = duckdb.connect(str(published_night), read_only=True)
    try:
        assert con.execute("select max(as_of), count(*) from ledger.runs").fetchone() == (SAMPLES_AS_OF, 1)
    finally:
        con.close()


@pytest.mark.parametrize("kind, says", [("missing", "does not exist"), ("empty", "holds none of the source folders")])
def test_hedui_nightly_without_prefect_exits_4_with_one_line_saying_why(published_night, tmp_path, kind, says):
    landing = _unusable_landing(tmp_path, kind)
    result = CliRunner().invoke(app, ["nightly", "--landing", str(landing), "--warehouse", str(published_night),
                                      "--as-of", NEXT_NIGHT.isoformat(), "--no-prefect"],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 4, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("night not run: ") and says in lines[0]
    assert str(landing) in lines[0]
    assert "completed" not in result.output
