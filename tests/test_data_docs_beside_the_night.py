"""Data Docs render in a child process started when ingest ends, and the deliver stage waits for them.

What must hold: the pages of tonight's validations are there when the night returns; a renderer that fails fails
the deliver stage with its (redacted) reason, never silently; and a night that fails after ingest does not return
while its renderer still writes into the site (a retry minutes later would write beside it).
"""

from __future__ import annotations

import json

import pytest

from hedui import night as night_module
from hedui.contracts.docs import build_data_docs
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
    build = DataDocsBuild.start(results, tmp_path / "data_docs", tmp_path / "validations", keep_days=92)
    with pytest.raises(DataDocsFailed, match="exited with 1: .*JSONDecodeError"):
        build.wait()
    with pytest.raises(DataDocsFailed):  # asked again (the night's own error path settles it twice)
        build.wait()
    build.settle()



def _as_run(results: list, folder) -> None:
    """Copies of a night's results filed as another run's (folder and the run name GX keys its pages by)."""
    (folder / folder.name).mkdir(parents=True)  # as validate_delivery files them: <run>/<run>/<suite>.json
    for path in results:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["meta"]["run_id"]["run_name"] = folder.name
        (folder / folder.name / path.name).write_text(json.dumps(data), encoding="utf-8")


def test_the_site_lists_the_runs_of_the_last_data_docs_days_and_keeps_every_result(sample_landing, tmp_path):
    """A year of nights must not be read again every night: the site holds the runs of the last 92 days (policy
    deliveries.data_docs_days); older pages go, their results stay under validations/."""
    warehouse = tmp_path / "home" / "hedui.duckdb"
    night = run_night(sample_landing, warehouse, SAMPLES_AS_OF, deliver=False)  # as of 2026-11-03
    validations = warehouse.parent / "validations"
    results = sorted((validations / night.run_id).rglob("*.json"))
    assert results
    old, recent = "asof20260703_started20260703T180000Z_aaaaaa", "asof20260803_started20260803T180000Z_bbbbbb"
    _as_run(results, validations / old)      # 123 days before
    _as_run(results, validations / recent)   # 92 days before: kept
    site = tmp_path / "site"
    build_data_docs(validations / night.run_id, site, history_dir=validations)  # no bound: every run
    assert old in (site / "index.html").read_text(encoding="utf-8")
    build_data_docs(validations / night.run_id, site, history_dir=validations, keep_days=92)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert night.run_id in index and recent in index and old not in index
    assert not list((site / "validations").rglob(f"*{old}*"))
    assert len(list((validations / old).rglob("*.json"))) == len(results)
