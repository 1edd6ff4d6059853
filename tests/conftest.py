"""Shared fixtures: landing zones built from the spec's samples, and warehouses to load them into."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

# Hypothesis draws new examples on every run (no derandomize). A failure prints the falsifying example and a
# `@reproduce_failure` blob; `.ci/run` also passes and prints `--hypothesis-seed`, so the same run can be replayed.
hypothesis_settings.register_profile("hedui", print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hedui"))

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "spec_samples"
SAMPLES_AS_OF = dt.date(2026, 11, 3)


@pytest.fixture
def sample_landing(tmp_path: Path) -> Path:
    """A private copy of the spec's samples as a landing zone (tests may add deliveries to it)."""
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    return landing


# The files that take longest, measured (`pytest --durations`), longest first. `.ci/run` hands whole files to its two
# workers in collection order (pytest-xdist, --dist loadfile), so starting with these and ending with the short
# ones keeps both workers busy until the end instead of leaving one alone with a long file. That order holds only
# with --no-loadscope-reorder (README, .ci/run): by default xdist reorders the files by their number of tests.
LONGEST_FIRST = (
    "test_faults", "test_spark_engine", "test_incremental", "test_hostile_input", "test_deliver_report_city",
    "test_rule_scope", "test_flow_states", "test_privacy_leaks", "test_analyst_guide",
    "test_data_docs_beside_the_night", "test_hostile_families", "test_last_good_picture",
    "test_warehouse_atomic", "test_flow_prefect", "test_warnings_memory", "test_summary_nights",
    "test_matching_namesakes", "test_review_workflow", "test_lifecycle_problem_sources", "test_scheduling",
    "test_data_docs_offline",
)


def pytest_collection_modifyitems(config, items) -> None:
    """Run the longest files first (LONGEST_FIRST), the rest in their usual order; tests stay in file order."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(Path(str(item.fspath)).stem, len(rank)))


def pytest_report_header(config) -> str:
    seed = config.getoption("hypothesis_seed", None)
    return f"hypothesis seed: {seed if seed is not None else 'random per test (pass --hypothesis-seed to fix it)'}"


def built_once(tmp_path_factory, name: str, build):
    """`build(folder)` run once per test session, even when pytest-xdist splits the session over worker processes
    (`.ci/run` does): the first worker to ask builds into a folder all the workers share, under a file lock, and
    leaves the pickled return value beside it; the others wait on the lock and read it. Returns the folder and
    the value. Callers only read what was built (or copy it), as they did when each session built its own."""
    import fcntl
    import pickle

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's base temporary folder, shared by the workers
    folder, done = root / f"shared-{name}", root / f"shared-{name}.pickle"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed here left
            folder.mkdir()
            value = build(folder)
            done.write_bytes(pickle.dumps(value))
    return folder, pickle.loads(done.read_bytes())


@pytest.fixture(scope="session")
def samples_night(tmp_path_factory) -> "SamplesNight":
    """The spec samples' first night (as of 2026-11-03), run ONCE per session with its deliverables.

    About 25 tests start from this night; running it for each cost minutes. Tests that only read the night
    (its warehouse, lists, report inputs) use this directly and must open the warehouse read-only; tests that
    run further nights on it take `first_night`, a private copy. The night's own behaviour is tested by the
    tests that read it (test_night_samples and others), so sharing it weakens none of them."""

    def build(base: Path) -> SamplesNight:
        from hedui.night import run_night

        landing = base / "landing"
        shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
        result = run_night(landing, base / "hedui.duckdb", SAMPLES_AS_OF, outputs=base / "out")
        assert result.outcome == "completed"
        return SamplesNight(landing, result.warehouse, result)

    return built_once(tmp_path_factory, "samples-night", build)[1]


class SamplesNight:
    """Where the shared first night lives: its landing zone, its published warehouse, its `NightResult`."""

    def __init__(self, landing: Path, warehouse: Path, result) -> None:
        self.landing, self.warehouse, self.result = landing, warehouse, result


@pytest.fixture
def first_night(samples_night, tmp_path: Path) -> Path:
    """A private copy of the warehouse after the samples' first night, at `tmp_path/w.duckdb`: the state
    `run_night(sample_landing, tmp_path / "w.duckdb", SAMPLES_AS_OF, deliver=False)` leaves, without paying
    for the night again (a DuckDB file is copied in milliseconds). Its ledger names the session's landing
    zone; the next night reads `sample_landing` (a copy of the same files) and hashes them afresh."""
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(samples_night.warehouse, warehouse)
    return warehouse


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`hedui demo --preset tiny --no-prefect` as of 2026-11-03, run once per session as cron or a user runs it:
    a process of its own, stdout a pipe, COLUMNS=80. It leaves a generated city with its ground truth
    (city/truth), its night's warehouse, lists and Data Docs. About half a minute (a year of weekly event
    deliveries, each validated), so it is shared: `test_cli` checks the command and what it leaves,
    `test_summary_nights` what it prints, `test_synth_truth` compares the night with the city's truth, and
    `test_analyst_guide` runs the guide's queries on its warehouse."""

    def build(base: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hedui.cli", "demo", "--dir", str(base / "demo"), "--preset", "tiny",
             "--as-of", SAMPLES_AS_OF.isoformat(), "--no-prefect"],
            capture_output=True, text=True, timeout=900, env={**os.environ, "COLUMNS": "80", "HEDUI_QUIET": "1"})

    folder, done = built_once(tmp_path_factory, "tiny-demo", build)
    return folder / "demo", done


@pytest.fixture
def ingest_con(tmp_path: Path):
    """A warehouse connection with the schema migrated, as a run's working copy has it."""
    from hedui.warehouse import migrate

    con = duckdb.connect(str(tmp_path / "ingest.duckdb"))
    migrate(con)
    yield con
    con.close()


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    """The rows of `sql` on a warehouse file, opened read-only for just this query (as an analyst's client would)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    """Write a department CSV as senders do (quoted where needed), in the given encoding."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_sample_rows(source: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV sample, decoded whatever its encoding."""
    import csv
    import io

    from connectors.encoding import scan

    path = next((SAMPLES / source / "20261103").glob("*.csv"))
    text = path.read_bytes().decode(scan(path).encoding)
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]
