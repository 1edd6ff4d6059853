"""Shared fixtures: landing zones built from the spec's samples, and warehouses to load them into."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "spec_samples"
SAMPLES_AS_OF = dt.date(2026, 11, 3)


@pytest.fixture
def sample_landing(tmp_path: Path) -> Path:
    """A private copy of the spec's samples as a landing zone (tests may add deliveries to it)."""
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    return landing


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
