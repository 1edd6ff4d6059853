"""Loading the per-source suites from ``data_contracts/<source>.json``.

A suite file that cannot be read, is not GX's serialisation, names an expectation GX does not know, or
lacks the ``meta`` the quarantine step needs, raises :class:`ContractSuiteError` naming the file: a broken
contract must stop the run loudly, never validate nothing.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from connectors import SOURCES as DECLARATIONS
from hedui.contracts._gxenv import gx_offline

# the repository's data_contracts/, shipped in the package as hedui/data_contracts (docs/internals.md, "Data files")
SUITES_DIR = files("hedui") / "data_contracts"
# one suite per declared source (connectors/<source>.py); the Data Docs show each
SOURCES = tuple(DECLARATIONS)
REQUIRED_META = ("rule", "column", "src", "kind", "pii")


class ContractSuiteError(RuntimeError):
    """A suite file is missing or malformed. The message names the file."""


def suite_path(source: str, directory: Path | None = None) -> Traversable:
    return (Path(directory) if directory else SUITES_DIR) / f"{source}.json"


def load_suite_json(source: str, directory: Path | None = None) -> dict:
    path = suite_path(source, directory)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ContractSuiteError(f"{path}: no data contract suite for source {source!r}") from e
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ContractSuiteError(f"{path}: not valid JSON: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list) or not data.get("name"):
        raise ContractSuiteError(f"{path}: not a Great Expectations suite (needs 'name' and a list 'expectations')")
    for i, e in enumerate(data["expectations"]):
        if not isinstance(e, dict) or "type" not in e or not isinstance(e.get("kwargs"), dict):
            raise ContractSuiteError(f"{path}: expectation #{i} needs 'type' and 'kwargs'")
        missing = [k for k in REQUIRED_META if k not in (e.get("meta") or {})]
        if missing:
            raise ContractSuiteError(f"{path}: expectation #{i} ({e['type']}) lacks meta {missing}")
    return data


def load_suite(source: str, directory: Path | None = None):
    """The GX ExpectationSuite of ``source`` (a fresh object each call)."""
    gx_offline()
    import great_expectations as gx

    data = _cached(str(suite_path(source, directory)), source, str(directory) if directory else None)
    path = suite_path(source, directory)
    try:
        suite = gx.ExpectationSuite(
            name=data["name"],
            expectations=[dict(e, meta=dict(e["meta"], n=i)) for i, e in enumerate(data["expectations"])],
            meta=data.get("meta"),
            notes=data.get("notes"),
        )
    except Exception as e:  # GX raises several types for unknown expectations / bad kwargs
        raise ContractSuiteError(f"{path}: Great Expectations rejects this suite: {e}") from e
    if len(suite.expectations) != len(data["expectations"]):
        # GX logs and skips an expectation it cannot build; a contract must not silently lose a rule
        known = {e.expectation_type for e in suite.expectations}
        lost = [e["type"] for e in data["expectations"] if e["type"] not in known]
        raise ContractSuiteError(f"{path}: Great Expectations could not build expectation(s) {lost or '?'}")
    return suite


def _cached(path_key: str, source: str, directory: str | None) -> dict:
    # Read on every call: suites are small, and a cache would hide an edited file in a long-lived worker.
    return load_suite_json(source, Path(directory) if directory else None)
