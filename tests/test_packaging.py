"""The wheel ships every data file the code reads, and the code reads them as package resources.

`.ci/wheel-smoke` builds the wheel, installs it outside the repository and runs a night from it; these are the fast
checks that catch a new data file nobody declared before it gets that far. They read pyproject.toml's
`[tool.setuptools.package-data]` and expand its patterns the way setuptools does (glob, following the links
hedui/rule_catalog, hedui/data_contracts and hedui/policy.yaml to the top-level folders).
"""

from __future__ import annotations

import glob
import os
import tomllib
from importlib.resources import files
from pathlib import Path

import jinja2

from connectors import SOURCES
from connectors.typing_sql import SQL_DIR
from hedui.contracts.suites import suite_path
from hedui.policy import DEFAULT_POLICY_FILE
from hedui.rules import load_catalog

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("hedui", "connectors", "matching", "flows")
NOT_DATA = {".py", ".pyc", ".md"}  # code, and the folders' documentation (read in the repository)


def declared_package_data() -> set[Path]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared: set[Path] = set()
    for package, patterns in config["tool"]["setuptools"]["package-data"].items():
        folder = REPO / package.replace(".", "/")
        for pattern in patterns:
            declared |= {Path(p) for p in glob.glob(str(folder / pattern), recursive=True) if Path(p).is_file()}
    return declared


def files_in_packages() -> set[Path]:
    """Every file under the package folders, through the links, that is neither code nor documentation."""
    found: set[Path] = set()
    for package in PACKAGES:
        for root, dirs, names in os.walk(REPO / package, followlinks=True):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            found |= {Path(root) / name for name in names if Path(name).suffix not in NOT_DATA}
    return found


def files_the_code_reads() -> set[Path]:
    """The data files, asked for as each reader asks for them."""
    warehouse = files("hedui.warehouse")
    needed = {Path(rule.path) for rule in load_catalog()}
    needed |= {Path(suite_path(source)) for source in SOURCES}
    needed |= {Path(SQL_DIR / f"{source}.sql") for source in SOURCES} | {Path(SQL_DIR / "macros.sql")}
    needed |= {Path(DEFAULT_POLICY_FILE), Path(warehouse / "ddl.sql")}
    needed |= {Path(files("hedui.engines") / "spark_builtins.txt")}
    needed |= {Path(entry) for entry in (warehouse / "migrations").iterdir() if entry.name.endswith(".sql")}
    templates = jinja2.PackageLoader("hedui.deliver", "templates")
    needed |= {Path(files("hedui.deliver") / "templates" / name) for name in templates.list_templates()}
    return needed


def test_every_data_file_in_the_packages_is_declared_package_data():
    assert sorted(files_in_packages() - declared_package_data()) == []


def test_every_data_file_the_code_reads_is_declared_package_data():
    needed = files_the_code_reads()
    assert {path.suffix for path in needed} == {".sql", ".json", ".yaml", ".j2", ".txt"}
    assert sorted(needed - declared_package_data()) == []


def test_the_package_reads_the_repository_s_own_top_level_files_in_a_checkout():
    """The links keep warnings/, data_contracts/ and policy.yaml where the design puts them; an editable install
    reads them, not copies."""
    package = files("hedui")
    assert Path(package / "rule_catalog").resolve() == REPO / "warnings"
    assert Path(package / "data_contracts").resolve() == REPO / "data_contracts"
    assert Path(package / "policy.yaml").resolve() == REPO / "policy.yaml"
    assert {Path(rule.path).resolve().parent for rule in load_catalog()} == {REPO / "warnings"}


def test_no_module_finds_files_next_to_its_own_source():
    """`__file__`-relative paths are what left the wheel without its data files: resources only."""
    offenders = [
        str(path.relative_to(REPO))
        for package in PACKAGES
        for path in (REPO / package).rglob("*.py")
        if "__file__" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
