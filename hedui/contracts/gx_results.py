"""Validation results in Great Expectations' serialisation (``ExpectationSuiteValidationResult.to_json_dict``),
without values, whichever engine validated.

Why GX's format: the saved results are what ``docs.py`` hands to GX to render Data Docs, and what an
analyst already knows how to read. The compiled engine writes them here with GX's own arithmetic
(``great_expectations.expectations.expectation._format_map_output``), so the two engines' results are
interchangeable; ``scrub`` removes the value samples GX puts in its own.
"""

from __future__ import annotations

INDEX_COLUMNS = ["file", "row_number"]
PARTIAL_INDEX_COUNT = 20  # GX's partial_unexpected_count, as gx_engine.RESULT_FORMAT asks of GX
# value-bearing keys GX puts in a result; removed before the result is kept anywhere
VALUE_KEYS = ("partial_unexpected_list", "unexpected_list", "partial_unexpected_counts", "unexpected_counts",
              "details")
NO_EXCEPTION = {"raised_exception": False, "exception_traceback": None, "exception_message": None}


def map_result(*, element_count: int, judged_count: int | None, unexpected_count: int,
               index_list: list[dict], index_query: str, pair: bool) -> dict:
    """GX's COMPLETE result of a column (pair) map expectation, values left out.

    ``judged_count`` is GX's ``nonnull_count``: None for ``not_be_null``, whose result has no missing count.
    Over no rows GX's single-column count is a SQL sum of nothing, so it reports None; its pair count is 0."""
    if element_count == 0 and not pair:
        unexpected_count = None
    total = nonmissing = missing_percent = None
    missing = None if judged_count is None else element_count - judged_count
    if element_count > 0 and unexpected_count is not None:
        total = unexpected_count / element_count * 100
        if missing is None:
            nonmissing = total
        else:
            missing_percent = missing / element_count * 100
            nonmissing = unexpected_count / judged_count * 100 if judged_count else None
    result = {"element_count": element_count, "unexpected_count": unexpected_count, "unexpected_percent": nonmissing,
              "unexpected_index_column_names": list(INDEX_COLUMNS)}
    if missing is not None:
        result.update(missing_count=missing, missing_percent=missing_percent, unexpected_percent_total=total,
                      unexpected_percent_nonmissing=nonmissing)
    result.update(partial_unexpected_index_list=index_list[:PARTIAL_INDEX_COUNT],
                  unexpected_index_list=index_list[:PARTIAL_INDEX_COUNT], unexpected_index_query=index_query)
    return result


def expectation_result(exp: dict, n: int, batch_id: str, success: bool, result: dict, parameters: dict) -> dict:
    """One expectation's result; its kwargs show the suite parameters' values, as GX's do."""
    kwargs = {k: parameters[v["$PARAMETER"]] if isinstance(v, dict) and set(v) == {"$PARAMETER"} else v
              for k, v in exp["kwargs"].items()}
    config = {"type": exp["type"], "kwargs": {"batch_id": batch_id, **kwargs},
              "meta": {**exp["meta"], "n": n}}
    if "severity" in exp:
        config["severity"] = exp["severity"]
    return {"success": success, "expectation_config": config, "result": result, "meta": {},
            "exception_info": dict(NO_EXCEPTION)}


def suite_result(suite_name: str, results: list[dict], meta: dict) -> dict:
    good = sum(1 for r in results if r["success"])
    statistics = {"evaluated_expectations": len(results), "successful_expectations": good,
                  "unsuccessful_expectations": len(results) - good,
                  "success_percent": good / len(results) * 100 if results else None}
    return {"success": good == len(results), "results": results, "suite_name": suite_name, "suite_parameters": {},
            "statistics": statistics, "meta": meta, "id": None}


def scrub(result_dict: dict) -> dict:
    """Remove every row value from a serialised GX validation result (keep counts and row references)."""
    for r in result_dict.get("results", []):
        res = r.get("result") or {}
        for k in VALUE_KEYS:
            res.pop(k, None)
        for k in ("partial_unexpected_index_list", "unexpected_index_list"):
            if isinstance(res.get(k), list):
                res[k] = [{c: d.get(c) for c in INDEX_COLUMNS} for d in res[k]
                          if isinstance(d, dict)][:PARTIAL_INDEX_COUNT]
    return result_dict
