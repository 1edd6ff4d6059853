"""The data-contract suites, derived from the source declarations (``connectors/<source>.py``: columns, value
sets, personal data, dates not after their delivery's date, source-specific checks) and serialised to
``data_contracts/<source>.json`` in Great Expectations' own format.

The JSON files are what the pipeline loads (``hedui.contracts.suites``); this module is how they are
(re)written, so that every rule is stated once, in the declaration.  Regenerate with::

    python -m hedui.contracts.authoring          # from the repository root: writes data_contracts/*.json

A test checks the committed JSON equals what this module produces.

Every expectation carries ``meta`` that the quarantine step uses to write a reason a person can act on:

``rule``    short stable name of the rule (also the ``expectation`` column of ``quarantine.rows``)
``column``  the Chinese column name of the spec (used in reasons)
``src``     the raw-text column (``src_<name>``, or ``id_raw`` for IDs), to tell missing from unparseable
``kind``    text | date | month | amount | number | integer | id | code
``pii``     true for names, IDs, certificate numbers, plates, unit numbers, addresses: their value is never
            written into a reason (it goes only into ``quarantine.rows.value``)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from connectors import SOURCES as DECLARATIONS
from connectors import spec
from connectors.spec import DELIVERY_DATE
from hedui.contracts._gxenv import gx_offline

# The contract's kind of a declared column: a text column with a value set is a code.
_KINDS = {"text": "text", "name": "text", "id": "id", "date": "date", "month": "month", "amount": "amount",
          "int": "integer", "number": "number"}


@dataclass(frozen=True)
class ContractColumn:
    """A declared column as the contract sees it (`connectors.spec.Column`)."""

    name: str  # English name in the candidate table (docs/internals.md)
    label: str  # Chinese name of the spec
    kind: str  # text | date | month | amount | number | integer | id | code
    required: bool = False
    values: tuple[str, ...] = ()  # value set, if any
    pii: bool = False
    not_after_delivery: bool = False  # a date that cannot lie after the date of the row's delivery

    @classmethod
    def of(cls, column: spec.Column) -> "ContractColumn":
        kind = "code" if column.values else _KINDS[column.type]
        return cls(column.name, column.header, kind, column.required, column.values, column.is_personal,
                   column.not_after_delivery)

    @property
    def src(self) -> str:
        return f"{self.id_prefix}id_raw" if self.kind == "id" else f"src_{self.name}"

    @property
    def id_prefix(self) -> str:
        # households: head_id_raw / head_id_norm / ...; everyone else: id_raw / id_norm / ...
        return self.name[: -len("id")] if self.kind == "id" else ""


@dataclass(frozen=True)
class ContractSource:
    """A source's declaration as the contract sees it."""

    name: str
    title: str
    columns: tuple[ContractColumn, ...]
    checks: tuple[spec.Check, ...] = ()
    contract_columns: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, source: spec.Source) -> "ContractSource":
        return cls(source.name, source.title, tuple(ContractColumn.of(c) for c in source.columns), source.checks,
                   source.contract_columns)

    def col(self, name: str) -> ContractColumn:
        return next(c for c in self.columns if c.name == name)


SOURCES: dict[str, ContractSource] = {name: ContractSource.of(s) for name, s in DECLARATIONS.items()}


def _meta(c: ContractColumn, rule: str, **more) -> dict:
    m = {"rule": rule, "column": c.label, "src": c.src, "kind": c.kind, "pii": c.pii}
    m.update(more)
    return m


def _e(type_: str, meta: dict, **kwargs) -> dict:
    return {"type": type_, "kwargs": kwargs, "meta": meta}


def _not_null_src(src: str) -> dict:
    return {"type": "nullity", "column": {"name": src}, "is_null": False}


def _eq(column: str, value) -> dict:
    return {"type": "comparison", "column": {"name": column}, "operator": "==", "parameter": value}


def expectation_dicts(source: ContractSource) -> list[dict]:
    out: list[dict] = []
    src_cols = sorted(
        {"file", "row_number", DELIVERY_DATE}
        | {c.src for c in source.columns}
        | {c.name for c in source.columns if c.kind != "id"}
        | {f"{c.id_prefix}{x}" for c in source.columns if c.kind == "id"
           for x in ("id_norm", "id_valid", "id_sci_notation")}
    )
    out.append(
        _e(
            "expect_table_columns_to_match_set",
            {"rule": "columns_present", "column": "", "src": "", "kind": "table", "pii": False},
            column_set=src_cols,
            exact_match=False,
        )
    )
    for c in source.columns:
        parsed = f"{c.id_prefix}id_raw" if c.kind == "id" else c.name
        if c.required and c.kind != "amount":
            out.append(_e("expect_column_values_to_not_be_null", _meta(c, "required"), column=parsed))
        elif c.kind in ("date", "month", "amount", "number", "integer"):
            # Optional columns, and required amounts: an empty amount is "unknown, not zero" (spec, section 3),
            # which the samples confirm (an exited household with no declared income loads). It is flagged by
            # the connector (`amount_unknown`); a delivered value that does not parse still fails.
            # optional, but when a value was delivered it must parse
            out.append(
                _e(
                    "expect_column_values_to_not_be_null",
                    _meta(c, "parseable"),
                    column=parsed,
                    row_condition=_not_null_src(c.src),
                )
            )
        if c.values:
            out.append(
                _e("expect_column_values_to_be_in_set", _meta(c, "value_set"), column=c.name,
                   value_set=list(c.values))
            )
        if c.not_after_delivery:
            out.append(
                _e(
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    _meta(c, "not_after_delivery"),
                    column_A=DELIVERY_DATE,
                    column_B=c.name,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
            )
        if c.kind == "id":
            out.append(
                _e(
                    "expect_column_values_to_be_in_set",
                    _meta(c, "id_scientific_notation"),
                    column=f"{c.id_prefix}id_sci_notation",
                    value_set=[False],
                )
            )
    out.extend(_check(source, check) for check in source.checks)
    return out


def _check(s: ContractSource, check: spec.Check) -> dict:
    """The expectation of one source-specific check of the declaration (`connectors.spec`)."""
    c = s.col(check.column)
    if isinstance(check, spec.Between):
        bounds = {k: v for k, v in (("min_value", check.min_value), ("max_value", check.max_value),
                                    ("strict_max", check.strict_max)) if v is not None}
        when = {"row_condition": _eq(*check.when)} if check.when else {}
        return _e("expect_column_values_to_be_between", _meta(c, check.rule), column=c.name, **bounds, **when)
    if isinstance(check, spec.NotBefore):
        other = check.other_label or s.col(check.other).label
        return _e("expect_column_pair_values_a_to_be_greater_than_b",
                  _meta(c, check.rule, other=other, other_column=check.other),
                  column_A=c.name, column_B=check.other, or_equal=True, ignore_row_if="either_value_is_missing")
    if isinstance(check, spec.NotNull):
        when = {"row_condition": _eq(*check.when)} if check.when else {}
        return _e("expect_column_values_to_not_be_null", _meta(c, check.rule), column=check.target or c.name, **when)
    if isinstance(check, spec.IdNormalisable):
        return _e("expect_column_values_to_not_be_null", _meta(c, check.rule), column=f"{c.id_prefix}id_norm",
                  row_condition=_not_null_src(c.src))
    if isinstance(check, spec.LengthEquals):
        return _e("expect_column_value_lengths_to_equal", _meta(c, check.rule), column=c.name, value=check.length)
    if isinstance(check, spec.InSet):
        return _e("expect_column_values_to_be_in_set", _meta(c, check.rule), column=check.target,
                  value_set=list(check.values))
    raise TypeError(f"{s.name}: no expectation for the check {check!r}")


def build_suite_json(source: str) -> dict:
    """The suite for one source, as GX serialises it (ExpectationSuite.to_json_dict())."""
    gx_offline()
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    src = SOURCES[source]
    suite = gx.ExpectationSuite(
        name=f"hedui.{source}",
        meta={
            "source": source,
            "title": src.title,
            "hedui_contract_version": 2,
            "columns_added": {DELIVERY_DATE: "the date of the row's delivery (its folder's name); dates marked "
                                             "not_after_delivery must not be later"},
        },
    )
    if src.contract_columns:
        suite.meta["derived_columns"] = dict(src.contract_columns)
    for i, d in enumerate(expectation_dicts(src)):
        d["meta"]["n"] = i
        suite.add_expectation_configuration(ExpectationConfiguration(**d))
    out = suite.to_json_dict()
    out.pop("id", None)
    for e in out["expectations"]:
        e.pop("id", None)
    return out


def write_all(directory: Path) -> list[Path]:
    """Write every suite into `directory` (the repository's data_contracts/, never the installed package)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SOURCES:
        p = directory / f"{name}.json"
        p.write_text(json.dumps(build_suite_json(name), ensure_ascii=False, indent=2, sort_keys=False) + "\n",
                     encoding="utf-8")
        paths.append(p)
    return paths


if __name__ == "__main__":
    import sys

    for p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "data_contracts")):
        print(p)
