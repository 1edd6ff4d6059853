"""Data Docs render in a child process started when ingest ends, and the deliver stage waits for them.

What must hold: the pages of tonight's validations are there when the night returns; a renderer that fails fails
the deliver stage with its (redacted) reason, never silently; and a night that fails after ingest does not return
while its renderer still writes into the site (a retry minutes later would write beside it).
"""

from __future__ import annotations

import pytest

from hedui import night as night_module
from hedui.contracts.docs_process import DataDocsBuild, DataDocsFailed
from hedui.night import run_night
from tests.conftest import SAMPLES_AS_OF


@pytest.fixture
def started(monkeypatch):
    """Every DataDocsBuild the night starts."""
    builds: list[DataDocsBuild] = []
    original = DataDocsBuild.start

    def start(*args, **kwargs):
        build = original(*args, **kwargs)
        builds.append(build)
        return build

    monkeypatch.setattr(night_module.DataDocsBuild, "start", start)
    return builds


def test_a_night_returns_with_its_validations_rendered_by_the_child(sample_landing, tmp_path, started):
    warehouse = tmp_path / "home" / "hedui.duckdb"
    result = run_night(sample_landing, warehouse, SAMPLES_AS_OF)
    assert len(started) == 1
    assert started[0]._process.returncode == 0
    index = warehouse.parent / "data_docs" / "index.html"
    assert index in result.deliverables
    rendered = list((warehouse.parent / "data_docs" / "validations").rglob("*.html"))
    saved = list((warehouse.parent / "validations" / result.run_id).rglob("*.json"))
    assert saved and len(rendered) == len(saved)
    assert result.run_id in index.read_text(encoding="utf-8")


def test_a_night_that_fails_after_ingest_waits_for_its_renderer(sample_landing, tmp_path, started, monkeypatch):
    def broken_link(con, run):
        raise RuntimeError("link stage broken for the test")

    monkeypatch.setattr(night_module.stages, "link", broken_link)
    with pytest.raises(RuntimeError, match="link stage broken"):
        run_night(sample_landing, tmp_path / "home" / "hedui.duckdb", SAMPLES_AS_OF)
    assert len(started) == 1
    assert started[0]._process.returncode is not None  # finished before the night returned


def test_a_renderer_that_fails_says_why(tmp_path):
    results = tmp_path / "validations" / "run-1"
    results.mkdir(parents=True)
    (results / "members.json").write_text("{ not json", encoding="utf-8")
    build = DataDocsBuild.start(results, tmp_path / "data_docs", tmp_path / "validations")
    with pytest.raises(DataDocsFailed, match="exited with 1: .*JSONDecodeError"):
        build.wait()
    with pytest.raises(DataDocsFailed):  # asked again (the night's own error path settles it twice)
        build.wait()
    build.settle()

