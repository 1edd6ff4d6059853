"""bench/link_quality.py: the city harness against a hand-made truth, and our scoring on FEBRL4."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from matching import link_records
from test_matching_fixtures import run_info, sample_city

_PATH = Path(__file__).resolve().parent.parent / "bench" / "link_quality.py"
_spec = importlib.util.spec_from_file_location("link_quality", _PATH)
link_quality = importlib.util.module_from_spec(_spec)
sys.modules["link_quality"] = link_quality
_spec.loader.exec_module(link_quality)


@pytest.fixture()
def city(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = sample_city().build()
    link_records(con, run_info())
    con.execute(f"attach '{warehouse}' as w")
    for schema in ("staged", "linked"):
        con.execute(f"create schema w.{schema}")
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_catalog = 'memory'",
            [schema],
        ).fetchall():
            con.execute(f"create table w.{schema}.{name} as select * from {schema}.{name}")
    con.execute("detach w")
    truth = tmp_path / "city" / "truth"
    truth.mkdir(parents=True)
    vehicle = [  # row 1..5 of the sample vehicle file
        ("43048219901123357X", "CN-S-0001", True),
        ("430482197801304687", "CN-S-0002", True),
        ("430482196203151313", "CN-S-0001", True),
        ("430482195007077158", "CN-S-0004", True),
        ("430421198102198338", None, False),
    ]
    pd.DataFrame(
        [("20261103", "vehicle.csv", i, p, h, linkable) for i, (p, h, linkable) in enumerate(vehicle, start=1)],
        columns=["delivery", "file", "row_number", "true_person_id", "member_household_id", "linkable"],
    ).to_parquet(truth / "records_vehicle.parquet")
    housing = [  # rows 1..6 as staged (the quarantined row is not staged)
        ("430482196203151313", "CN-S-0001", True),
        ("430482196508022424", "CN-S-0001", True),
        ("430482196203151313", "CN-S-0001", True),
        ("430482196508022424", "CN-S-0001", True),  # deliberately wrong truth: the 王磊 link must count as wrong
        ("430421198102198338", None, False),
        ("430482195007077158", "CN-S-0004", True),
    ]
    pd.DataFrame(
        [("20261103", "housing.csv", i, p, h, linkable) for i, (p, h, linkable) in enumerate(housing, start=1)],
        columns=["delivery", "file", "row_number", "true_person_id", "member_household_id", "linkable"],
    ).to_parquet(truth / "records_housing.parquet")
    return tmp_path / "city", warehouse


def test_city_harness_counts_correct_and_wrong_links_per_source_and_method(city, capsys):
    city_dir, warehouse = city
    results = {q.label: q for q in link_quality.main_city(["--city", str(city_dir), "--warehouse", str(warehouse)])}
    v = results["ours vehicle"]
    assert (v.links, v.correct, v.relevant) == (4, 4, 4)
    assert results["ours vehicle / fuzzy"].correct == 1
    h = results["ours housing"]
    assert (h.links, h.correct, h.relevant) == (5, 4, 5)
    assert results["ours housing / id_normalised"].precision == pytest.approx(0.5)
    assert results["ours ALL"].links == 9
    assert "precision" in capsys.readouterr().out


def test_our_scoring_links_febrl4_with_high_precision():
    a, b = link_quality.load_febrl()
    q = link_quality.run_febrl_ours(a, b, with_id=False, margin=6.0)
    assert q.precision >= 0.999
    assert q.recall >= 0.98


def test_a_right_link_the_truth_calls_unlinkable_counts_for_precision_but_never_lifts_recall_above_one(city):
    """A reviewer may rightly link a record the data alone cannot decide (the truth's `linkable` is false): the
    link is right, but recall is over the linkable records and stays at most 1."""
    city_dir, warehouse = city
    path = city_dir / "truth" / "records_vehicle.parquet"
    truth = pd.read_parquet(path)
    truth.loc[truth["row_number"] == 1, "linkable"] = False  # rightly linked, yet not linkable from the data
    truth.to_parquet(path)
    results = {q.label: q for q in link_quality.main_city(["--city", str(city_dir), "--warehouse", str(warehouse)])}
    v = results["ours vehicle"]
    assert (v.links, v.correct, v.relevant) == (4, 4, 3)
    assert v.precision == 1.0
    assert v.recall == 1.0


def test_the_review_queue_is_counted_per_source_against_the_records_without_a_valid_id():
    """The sample city's two records without a valid ID (a housing unit, a vehicle) link at 20 bits; with the
    auto-accept weight at 40 both wait in the review band, and the harness counts them so."""
    con = sample_city().build()
    link_records(con, run_info())
    queue = {row[0]: row[1:] for row in link_quality.review_queue(con)}
    assert queue["ALL"] == (2, 0, 0, 0)
    con = sample_city().build()
    link_records(con, run_info(auto_accept_weight=40.0))
    queue = {row[0]: row[1:] for row in link_quality.review_queue(con)}
    assert queue["housing"] == (1, 1, 0, 1)  # without a valid ID, in review, ambiguous, review band
    assert queue["vehicle"] == (1, 1, 0, 1)
    assert queue["ALL"] == (2, 2, 0, 2)
