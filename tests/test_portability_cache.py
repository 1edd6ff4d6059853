"""The portability check's answers are kept on disk, so that a process loading the catalog does not parse every
rule with sqlglot again; a changed question is never answered from the cache."""

from __future__ import annotations

import pytest

from hedui.engines import portability_cache
from hedui.rules import catalog
from hedui.rules.catalog import RuleFileError, load_catalog
from tests.test_rules_catalog import GOOD, write_rule


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(portability_cache.CACHE_DIR_ENV, str(tmp_path))
    return tmp_path / "portable-sql"


def test_an_answer_computed_once_is_read_back_by_the_next_process_without_computing(cache_dir):
    calls = []

    def compute():
        calls.append(1)
        return ["list_sum is not a Spark 3.3 built-in"]

    first = portability_cache.cached_problems("select list_sum([1])", compute)
    again = portability_cache.cached_problems("select list_sum([1])", compute)
    assert first == again == ["list_sum is not a Spark 3.3 built-in"]
    assert calls == [1]
    assert len(list(cache_dir.glob("*.json"))) == 1


def test_a_different_question_is_computed_not_answered_from_the_cache(cache_dir):
    portability_cache.cached_problems("select 1", lambda: [])
    assert portability_cache.cached_problems("select 2", lambda: ["asked"]) == ["asked"]


def test_an_unwritable_cache_folder_only_means_computing(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(portability_cache.CACHE_DIR_ENV, str(blocker))
    assert portability_cache.cached_problems("select 1", lambda: ["computed"]) == ["computed"]


def test_a_damaged_cache_file_is_computed_again(cache_dir):
    portability_cache.cached_problems("select 1", lambda: [])
    (path,) = cache_dir.glob("*.json")
    path.write_text("{not json")
    assert portability_cache.cached_problems("select 1", lambda: ["computed"]) == ["computed"]


def test_a_refusal_is_cached_as_a_refusal_and_the_portable_version_still_loads(cache_dir, tmp_path, monkeypatch):
    write_rule(tmp_path, GOOD)
    assert [rule.code for rule in load_catalog(tmp_path)] == ["TEST_RULE"]
    write_rule(tmp_path, GOOD.replace("'测试' as summary_zh,", "'测试' as summary_zh,\n    list_sum([1, 2]) as n,"))
    for _ in range(2):  # computed, then answered from the disk (as a new process would): refused both times
        monkeypatch.setattr(catalog, "_CHECKED", {})
        with pytest.raises(RuleFileError, match="list_sum"):
            load_catalog(tmp_path)
