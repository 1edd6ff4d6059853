"""The city's policy: every threshold and setting that a city may change without touching code.

Defaults live beside the code that uses them (a rule file's `parameters`, the matching module's bands); the
policy file (`policy.yaml` at the repository root, shipped with the package; or the file passed with `--policy`)
overrides them. A key the code does not know is an error, not a silent no-op: a mistyped threshold must not fall
back to a default unnoticed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from hedui import strict_yaml

# the repository's policy.yaml, shipped in the package as hedui/policy.yaml (docs/internals.md, "Data files")
DEFAULT_POLICY_FILE = files("hedui") / "policy.yaml"

KNOWN_SECTIONS = {"verification", "deliveries", "matching", "income", "rules"}


class PolicyError(ValueError):
    """The policy file is malformed or names a setting that does not exist."""


@dataclass(frozen=True)
class Policy:
    """Policy overrides, read from a file; `source` says which file, for the run ledger."""

    verification: dict[str, Any] = field(default_factory=dict)
    deliveries: dict[str, Any] = field(default_factory=dict)
    matching: dict[str, Any] = field(default_factory=dict)
    # verified income (hedui.income.settings): standards per county and 城乡, multipliers, counted types
    income: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "(built-in defaults)"

    @property
    def verification_working_days(self) -> int:
        return int(self.verification.get("working_days", 15))

    @property
    def snapshot_min_ratio(self) -> float:
        """A snapshot with fewer rows than this share of the previous one is held back as suspicious."""
        return float(self.deliveries.get("snapshot_min_ratio", 0.5))

    @property
    def quarantine_share_jump(self) -> float:
        """A delivery whose share of quarantined rows exceeds the source's usual share by more than this (0.3:
        30 percentage points) is held back as suspect: a whole export damaged the same way (every ID as
        `="4304…"`, a stray comma on every row) must not replace good data with nothing."""
        return float(self.deliveries.get("quarantine_share_jump", 0.3))

    @property
    def quarantine_share_min_rows(self) -> int:
        """…when at least this many of its rows are quarantined (a tiny delivery's share says little)."""
        return int(self.deliveries.get("quarantine_share_min_rows", 5))

    @property
    def data_docs_days(self) -> int:
        """The Data Docs site lists the validations of the runs of this many days before tonight's as-of date
        (hedui.contracts.docs); the results stay under validations/."""
        return _number(self.deliveries, "data_docs_days", 92, int, minimum=0)

    @property
    def late_factor(self) -> float:
        """A source whose newest delivery is older than this many times its usual interval is late
        (connectors.cadence)."""
        return _number(self.deliveries, "late_factor", 2.0, float, minimum=1.0)

    @property
    def late_min_days(self) -> int:
        """…and more than this many days past its usual interval (a daily source is not late over a weekend)."""
        return _number(self.deliveries, "late_min_days", 7, int, minimum=0)

    @property
    def expected_every_days(self) -> dict[str, int]:
        """Per source, the days between deliveries the center expects, in place of the interval learnt from the
        source's history; a source hedui does not know raises PolicyError."""
        from connectors import SOURCES

        expected = self.deliveries.get("expected_every_days") or {}
        if not isinstance(expected, dict):
            raise PolicyError("policy deliveries.expected_every_days must map sources to days")
        unknown = sorted(set(expected) - set(SOURCES))
        if unknown:
            raise PolicyError(f"policy deliveries.expected_every_days: unknown source(s) {', '.join(unknown)}; "
                              f"known: {', '.join(SOURCES)}")
        return {source: _number(expected, source, None, int, minimum=1, where="deliveries.expected_every_days")
                for source in expected}

    def section(self, name: str, defaults: dict[str, Any]) -> dict[str, Any]:
        """`defaults` overridden by the policy's section `name`; unknown keys raise PolicyError."""
        return _merge(defaults, getattr(self, name), f"{name}")

    def for_rule(self, code: str, defaults: dict[str, Any]) -> dict[str, Any]:
        """A rule's parameters: the rule file's defaults overridden by `rules.<code>` of the policy."""
        return _merge(defaults, self.rules.get(code, {}), f"rules.{code}")


def _number(section: dict[str, Any], key: str, default, kind: type, *, minimum, where: str = "deliveries"):
    """`section[key]` as a number of `kind` at least `minimum` (the default when absent); PolicyError naming the
    setting otherwise: a mistyped value must fail when the policy is read, not hours into a night."""
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
        raise PolicyError(f"policy {where}.{key} must be a{'n integer' if kind is int else ' number'}, not {value!r}")
    if value < minimum:
        raise PolicyError(f"policy {where}.{key} must be at least {minimum}, not {value!r}")
    return kind(value)


def _merge(defaults: dict[str, Any], overrides: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise PolicyError(f"policy {where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(defaults))}")
    merged = copy.deepcopy(defaults)
    merged.update(copy.deepcopy(overrides))
    return merged


def load_policy(path: Path | None = None) -> Policy:
    """Read the policy file; with no path, the shipped `policy.yaml` if present, else built-in defaults."""
    if path is None:
        path = DEFAULT_POLICY_FILE
        if not path.is_file():
            return Policy()
    else:
        path = Path(path)
    try:
        data = strict_yaml.load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"policy file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"policy file {path}: expected a mapping at the top level")
    unknown = sorted(set(data) - KNOWN_SECTIONS)
    if unknown:
        raise PolicyError(f"policy file {path}: unknown section(s) {', '.join(unknown)}")
    for name, value in data.items():
        if value is not None and not isinstance(value, dict):
            raise PolicyError(f"policy file {path}: section {name} must be a mapping")
    rules = data.get("rules") or {}
    for code, params in rules.items():
        if not isinstance(params, dict):
            raise PolicyError(f"policy file {path}: rules.{code} must be a mapping")
    policy = Policy(
        verification=data.get("verification") or {},
        deliveries=data.get("deliveries") or {},
        matching=data.get("matching") or {},
        income=data.get("income") or {},
        rules=rules,
        source=str(path),
    )
    # checked now, not when the night has run for hours
    policy.expected_every_days  # noqa: B018
    policy.data_docs_days  # noqa: B018
    policy.late_factor  # noqa: B018
    policy.late_min_days  # noqa: B018
    return policy
