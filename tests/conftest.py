"""Shared fixtures: landing zones built from the spec's samples, and warehouses to load them into."""

from __future__ import annotations

import datetime as dt
import os
import shutil
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


def pytest_report_header(config) -> str:
    seed = config.getoption("hypothesis_seed", None)
    return f"hypothesis seed: {seed if seed is not None else 'random per test (pass --hypothesis-seed to fix it)'}"


@pytest.fixture(scope="session")
def samples_night(tmp_path_factory) -> "SamplesNight":
    """The spec samples' first night (as of 2026-11-03), run ONCE per session with its deliverables.

    About 25 tests start from this night; running it for each cost minutes. Tests that only read the night
    (its warehouse, lists, report inputs) use this directly and must open the warehouse read-only; tests that
    run further nights on it take `first_night`, a private copy. The night's own behaviour is tested by the
    tests that read it (test_night_samples and others), so sharing it weakens none of them."""
    from hedui.night import run_night

    base = tmp_path_factory.mktemp("samples-night")
    landing = base / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    result = run_night(landing, base / "hedui.duckdb", SAMPLES_AS_OF, outputs=base / "out")
    assert result.outcome == "completed"
    return SamplesNight(landing, result.warehouse, result)


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
def tiny_demo(tmp_path_factory) -> tuple[Path, object]:
    """`hedui demo --preset tiny` as of 2026-11-03, run once per session through the command line (in-process):
    a generated city with its ground truth (city/truth), its night's warehouse and lists. About half a minute
    (a year of weekly event deliveries, each validated), so it is shared: `test_cli` checks the command,
    `test_synth_truth` compares the night with the city's truth."""
    from typer.testing import CliRunner

    from hedui.cli import app

    home = tmp_path_factory.mktemp("tiny-demo") / "demo"
    result = CliRunner().invoke(app, ["demo", "--dir", str(home), "--preset", "tiny", "--as-of", "2026-11-03",
                                      "--no-prefect"], env={"HEDUI_QUIET": "1", "COLUMNS": "200"})
    return home, result


@pytest.fixture
def ingest_con(tmp_path: Path):
    """A warehouse connection with the schema migrated, as a run's working copy has it."""
    from hedui.warehouse import migrate

    con = duckdb.connect(str(tmp_path / "ingest.duckdb"))
    migrate(con)
    yield con
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
