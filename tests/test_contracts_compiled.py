"""The compiled contracts give Great Expectations' answer: on every suite, over rows that break each column in
each way a delivery can, both engines fail the same rows for the same reasons, with the same counts.

GX is the reference (``HEDUI_CONTRACT_ENGINE=gx``); the compiled engine is what a night runs. The rows are
made from each source's declaration, not listed by hand, so a column or rule added later is covered too.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest

from hedui.contracts import ContractSuiteError, validate_delivery
from hedui.contracts.authoring import SOURCES
from hedui.contracts.compiled import NotCompilable, compile_expectation
from tests.contract_candidates import make_candidates

AS_OF = date(2026, 11, 3)
MAP_FIELDS = ("element_count", "unexpected_count", "unexpected_percent", "missing_count", "missing_percent",
              "unexpected_percent_total", "unexpected_percent_nonmissing")


def _edges(column) -> list[dict]:
    """Overrides that break (or just touch the edge of) one column: missing, unreadable, out of range."""
    name, src = column.name, column.src
    if column.kind == "id":
        key = f"{column.id_prefix}id" if column.id_prefix else "id"
        return [{key: None}, {key: "4.30482196203151E+17"}, {key: "43048219620315"}, {key: "430482196203151313"}]
    edges: list[dict] = [{name: None, src: None}, {name: None, src: "  "}, {name: None, src: "不可读"}]
    if column.kind in ("date", "month"):
        edges += [{name: AS_OF}, {name: AS_OF + timedelta(days=1)}, {name: date(1900, 1, 1)}]
    elif column.kind == "amount":
        edges += [{name: Decimal("-0.01")}, {name: Decimal("0.00")}, {name: Decimal("12.50")}]
    elif column.kind == "integer":
        edges += [{name: -1}, {name: 0}, {name: 1}]
    elif column.kind == "number":
        edges += [{name: -0.5}, {name: 0.0}, {name: 18.0}]
    elif column.kind == "code":
        edges += [{name: v} for v in column.values] + [{name: "其他"}]
    else:
        edges += [{name: "x"}, {name: "4304821962031513131"}]
    return [dict(e, **({src: str(e[name])} if name in e and e[name] is not None and src not in e else {}))
            for e in edges]


def conformance_rows(source: str, combinations: int = 60) -> list[dict]:
    """Clean rows, each edge of each column alone, and seeded combinations of two or three edges (the
    conditional rules, such as a reversal's sign, need two columns to move together)."""
    edges = [e for column in SOURCES[source].columns for e in _edges(column)]
    rng = random.Random(f"contracts-{source}")
    combined = []
    for _ in range(combinations):
        row: dict = {}
        for e in rng.sample(edges, k=rng.choice((2, 3))):
            row.update(e)
        combined.append(row)
    return [{}, {}] + edges + combined


def _both(con, source):
    out = {}
    for engine in ("gx", "compiled"):
        res = validate_delivery(con, source, "cand", as_of=AS_OF, run_id="T", delivery_id=f"{source}/20261103",
                                engine=engine)
        failed = sorted(con.execute(
            f"SELECT row_number, file, expectation, column_name, value, reason, expectation_no FROM {res.failed}"
        ).fetchall(), key=repr)
        out[engine] = res, failed
    return out


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_compiled_contract_fails_the_rows_gx_fails_with_the_same_reasons_and_counts(source):
    con = duckdb.connect()
    make_candidates(con, "cand", source, conformance_rows(source))
    both = _both(con, source)
    (gx, gx_failed), (compiled, compiled_failed) = both["gx"], both["compiled"]

    assert compiled_failed == gx_failed
    assert len({row[0] for row in gx_failed}) > 5, "the crafted rows should break the suite in many places"
    assert (compiled.row_count, compiled.failed_row_count) == (gx.row_count, gx.failed_row_count)
    gx_results = gx.validation_result["results"]
    compiled_results = compiled.validation_result["results"]
    assert [r["expectation_config"]["meta"]["n"] for r in compiled_results] == \
        [r["expectation_config"]["meta"]["n"] for r in gx_results]
    for ours, theirs in zip(compiled_results, gx_results):
        label = (ours["expectation_config"]["type"], ours["expectation_config"]["kwargs"].get("column"))
        assert ours["success"] == theirs["success"], label
        assert ours["expectation_config"]["kwargs"] == theirs["expectation_config"]["kwargs"] | {
            "batch_id": ours["expectation_config"]["kwargs"]["batch_id"]}, label
        assert set(ours["result"]) == set(theirs["result"]), label
        for key in MAP_FIELDS:
            if key in theirs["result"]:
                assert ours["result"][key] == pytest.approx(theirs["result"][key]), (label, key)
        if (theirs["result"].get("unexpected_count") or 0) <= 20 and "unexpected_index_list" in theirs["result"]:
            assert sorted(map(repr, ours["result"]["unexpected_index_list"])) == \
                sorted(map(repr, theirs["result"]["unexpected_index_list"])), label
    assert compiled.statistics["unsuccessful_expectations"] == gx.statistics["unsuccessful_expectations"] > 0


@pytest.mark.parametrize("rows", [[], [{}, {}]], ids=["no-rows", "no-rows-in-a-conditional-domain"])
def test_a_delivery_with_nothing_to_judge_gets_gx_answer_too(rows):
    con = duckdb.connect()
    make_candidates(con, "cand", "medical", rows)
    both = _both(con, "medical")
    assert both["compiled"][1] == both["gx"][1] == []
    for ours, theirs in zip(both["compiled"][0].validation_result["results"],
                            both["gx"][0].validation_result["results"]):
        assert ours["success"] and theirs["success"]
        for key in MAP_FIELDS:
            assert ours["result"].get(key) == theirs["result"].get(key)


@pytest.mark.parametrize("expectation", [
    {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "a", "regex": "^x"}},
    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a", "value_set": ["x"], "mostly": 0.9}},
    {"type": "expect_column_pair_values_a_to_be_greater_than_b",
     "kwargs": {"column_A": "a", "column_B": "b", "ignore_row_if": "neither"}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "a"}},
], ids=["unknown-type", "mostly", "ignore-neither", "between-without-bounds"])
def test_an_expectation_the_compiler_cannot_match_to_gx_is_refused_not_approximated(expectation):
    with pytest.raises(NotCompilable):
        compile_expectation(3, expectation, AS_OF)


def test_a_suite_outside_the_compiled_subset_stops_the_delivery_naming_its_file(tmp_path):
    import json

    from hedui.contracts.suites import SUITES_DIR

    suite = json.loads((SUITES_DIR / "death.json").read_text(encoding="utf-8"))
    suite["expectations"].append({"type": "expect_column_values_to_match_regex",
                                  "kwargs": {"column": "person_name", "regex": "^."},
                                  "meta": {"rule": "r", "column": "姓名", "src": "", "kind": "text", "pii": True}})
    (tmp_path / "death.json").write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")
    con = duckdb.connect()
    make_candidates(con, "cand", "death", [{}])
    with pytest.raises(ContractSuiteError, match="death.json.*expect_column_values_to_match_regex"):
        validate_delivery(con, "death", "cand", as_of=AS_OF, run_id="T", delivery_id="death/1", suites_dir=tmp_path)


def test_the_compiled_engine_does_not_import_great_expectations():
    import subprocess
    import sys

    code = (
        "import sys, duckdb, datetime\n"
        "from tests.contract_candidates import make_candidates\n"
        "from hedui.contracts import validate_delivery\n"
        "con = duckdb.connect(); make_candidates(con, 'cand', 'medical', [{}])\n"
        "validate_delivery(con, 'medical', 'cand', as_of=datetime.date(2026, 11, 3), run_id='T', delivery_id='m/1')\n"
        "print('great_expectations' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"HEDUI_CONTRACT_ENGINE": "compiled", "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "False"
