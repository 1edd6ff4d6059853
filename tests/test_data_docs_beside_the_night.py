"""Data Docs render in a child process started when ingest ends, into a staging copy the deliver stage swaps in.

What must hold: the pages of tonight's validations are there when the night returns, and not before the warehouse
is published; a night that fails or is interrupted leaves the site as it was and no renderer behind; a renderer
that fails fails the deliver stage with its (redacted) reason, never silently; two renderers never write at once;
and the site lists the runs of the policy's last `data_docs_days` days.
"""

from __future__ import annotations

import json
import time

import pytest

from hedui import night as night_module
from hedui.contracts import docs_process
from hedui.contracts.docs import build_data_docs
from hedui.contracts.docs_process import DataDocsBuild, DataDocsFailed, site_lock
from hedui.night import run_night
from hedui.policy import load_policy
from tests.conftest import SAMPLES_AS_OF, query


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


def _staging(home):
    return sorted(home.glob(f"{docs_process.STAGING_PREFIX}*"))


def test_a_night_returns_with_its_validations_rendered_and_the_policys_days_kept(sample_landing, tmp_path, started):
    policy = tmp_path / "policy.yaml"
    policy.write_text("deliveries:\n  data_docs_days: 30\n", encoding="utf-8")
    warehouse = tmp_path / "home" / "hedui.duckdb"
    night = run_night(sample_landing, warehouse, SAMPLES_AS_OF, policy=load_policy(policy))
    assert len(started) == 1 and started[0]._process.returncode == 0
    assert started[0]._process.args[-2] == "30"  # the policy's days reach the renderer (keep_days)
    index = warehouse.parent / "data_docs" / "index.html"
    assert index in night.deliverables
    rendered = list((warehouse.parent / "data_docs" / "validations").rglob("*.html"))
    saved = list((warehouse.parent / "validations" / night.run_id).rglob("*.json"))
    assert saved and len(rendered) == len(saved)
    # in the run's folder, not in a folder of the same name inside it
    assert {path.parent for path in saved} == {warehouse.parent / "validations" / night.run_id}
    assert night.run_id in index.read_text(encoding="utf-8")
    assert _staging(warehouse.parent) == []


def test_a_night_that_fails_after_ingest_leaves_the_site_and_no_renderer(sample_landing, tmp_path, started,
                                                                         monkeypatch):
    def broken_link(con, run):
        raise RuntimeError("link stage broken for the test")

    monkeypatch.setattr(night_module.stages, "link", broken_link)
    with pytest.raises(RuntimeError, match="link stage broken"):
        run_night(sample_landing, tmp_path / "home" / "hedui.duckdb", SAMPLES_AS_OF)
    assert len(started) == 1
    assert started[0]._process.returncode is not None  # finished before the night returned
    assert not (tmp_path / "home" / "data_docs").exists()  # the failed night's validations are listed nowhere
    assert _staging(tmp_path / "home") == []


def test_an_interrupted_night_stops_its_renderer_and_leaves_the_site(sample_landing, tmp_path, started, monkeypatch):
    def interrupted_link(con, run):
        raise KeyboardInterrupt

    monkeypatch.setattr(night_module.stages, "link", interrupted_link)
    with pytest.raises(KeyboardInterrupt):
        run_night(sample_landing, tmp_path / "home" / "hedui.duckdb", SAMPLES_AS_OF)
    assert len(started) == 1 and started[0]._process.returncode is not None
    assert not (tmp_path / "home" / "data_docs").exists()
    assert _staging(tmp_path / "home") == []


def test_a_renderer_that_fails_fails_the_deliver_stage_of_a_published_night(sample_landing, tmp_path, monkeypatch):
    monkeypatch.setattr(docs_process, "CHILD_MODULE", "hedui.contracts.no_such_renderer")
    warehouse = tmp_path / "home" / "hedui.duckdb"
    with pytest.raises(DataDocsFailed, match="exited with 1: .*No module named"):
        run_night(sample_landing, warehouse, SAMPLES_AS_OF)
    assert query(warehouse, "select count(*) from ledger.runs")[0][0] == 1  # published
    [(stage, error, published)] = query(warehouse, "select stage, error, published from ledger.failed_runs")
    assert (stage, published) == ("deliver", True) and "DataDocsFailed" in error
    assert not (tmp_path / "home" / "data_docs").exists() and _staging(tmp_path / "home") == []


def test_a_renderer_that_fails_says_why(tmp_path):
    results = tmp_path / "validations" / "run-1"
    results.mkdir(parents=True)
    (results / "members.json").write_text("{ not json", encoding="utf-8")
    build = DataDocsBuild.start(results, tmp_path / "data_docs", tmp_path / "validations", keep_days=92)
    with pytest.raises(DataDocsFailed, match="exited with 1: .*JSONDecodeError"):
        build.publish()
    with pytest.raises(DataDocsFailed):  # asked again (the night's own error path discards it once more)
        build.wait()
    build.discard()
    assert not (tmp_path / "data_docs").exists() and _staging(tmp_path) == []


def test_a_renderer_waits_for_the_site_lock_before_touching_anything(tmp_path):
    """A renderer orphaned by a killed night may still run when the next night's starts: they take turns."""
    results = tmp_path / "validations" / "asof20261103_started20261103T180000Z_aaaaaa"
    results.mkdir(parents=True)
    stale = tmp_path / f"{docs_process.STAGING_PREFIX}killed-night"
    stale.mkdir()
    with site_lock(tmp_path / "data_docs"):
        build = DataDocsBuild.start(results, tmp_path / "data_docs", tmp_path / "validations", keep_days=92)
        time.sleep(3)
        assert build._process.poll() is None and stale.exists()  # blocked on the lock, nothing touched
    index = build.publish()
    assert index.exists() and not stale.exists()


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
    old, recent = "asof20260802_started20260802T180000Z_aaaaaa", "asof20260803_started20260803T180000Z_bbbbbb"
    _as_run(results, validations / old)      # 93 days before: dropped
    _as_run(results, validations / recent)   # 92 days before: kept
    site = tmp_path / "site"
    build_data_docs(validations / night.run_id, site, history_dir=validations)  # no bound: every run
    assert old in (site / "index.html").read_text(encoding="utf-8")
    build_data_docs(validations / night.run_id, site, history_dir=validations, keep_days=92)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert night.run_id in index and recent in index and old not in index
    assert not list((site / "validations").rglob(f"*{old}*"))
    assert len(list((validations / old).rglob("*.json"))) == len(results)
