"""Link every person-bearing department record to the right household member.

`link_records(con, run)` is the stage the nightly flow calls. It reads the staged tables and (re)creates
`linked.links` and `linked.link_review` (docs/internals.md), stage by stage:

1. Gather (`matching.records`): the records to link and the members, in the shape the comparisons read;
   and who else the registers know (`matching.namesakes`).
2. ID path (`matching.id_path`, set-based, in DuckDB or, with `--engine spark`, on Spark): a record whose ID is valid links to the member with
   the same `id_norm`. An ID carried by members of two households is ambiguous and goes to review.
3. Fuzzy path, only for records whose ID is missing or invalid: records are folded into distinct profiles
   (`matching.profiles`), blocked in SQL (`matching.blocking`), compared with rapidfuzz over the aligned
   candidate pairs and scored with Fellegi–Sunter weights whose u probabilities are measured on the data
   (`matching.frequencies`, `matching.scoring`), and decided (`matching.decision`): auto-accept, review
   band, or ambiguous (never a guess between near-equal members). With `--engine spark` the blocking and the
   scoring run on Spark, and the decision on DuckDB.
4. Write (`matching.writing`) the links and the review rows, and remember what they were made from
   (`matching.incremental`), so that a night of new events only links the new events.

The linkage staff's review decisions (`matching.review_decisions`) act on every stage: a rejected pair is
removed from the candidates before anything is decided, an accepted pair is linked (method `review`), and the
decisions are part of what the links were made from.

The stages pass their work through the temporary tables of `matching.temp_tables`, all dropped at the end.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import duckdb

from matching import blocking, incremental as link_state, review_decisions as review, temp_tables
from matching.comments import comment_linked_tables
from matching.decision import decide
from matching.frequencies import term_frequencies
from matching.id_path import id_path
from matching.incremental import MATCHING_VERSION
from matching.namesakes import known_people, namesakes_of_the_scored
from matching.profiles import fuzzy_profiles
from matching.records import collect_records, prepare_members
from matching.scoring import score_in_chunks
from matching.settings import settings_from_run
from matching.sources import EVENT_SOURCES, SOURCES, SourceColumns
from matching.writing import LINK_COLUMNS, write_links

# The stage and the names other code reads from `matching.link`, wherever they are defined.
__all__ = [
    "EVENT_SOURCES",
    "LINK_COLUMNS",
    "MATCHING_VERSION",
    "SOURCES",
    "LinkStats",
    "SourceColumns",
    "link_records",
]

log = logging.getLogger(__name__)


@dataclass
class LinkStats:
    """Counts of one linking run (no personal data)."""

    records: dict[str, int] = field(default_factory=dict)  # person-bearing records read, per source
    links: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> method -> links
    review: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> reason -> review rows
    fuzzy_profiles: int = 0
    candidate_pairs: int = 0
    incremental: bool = False  # only new event records were linked (the rest was unchanged)
    auto_accept_weight: float = 0.0  # the highest weight a sole fuzzy candidate needed this run (matching.decision)
    seconds: float = 0.0

    @property
    def total_links(self) -> int:
        return sum(n for per in self.links.values() for n in per.values())


def link_records(con: duckdb.DuckDBPyConnection, run, spark_queries=None) -> LinkStats:
    """(Re)create linked.links and linked.link_review from the staged tables; return counts. With `spark_queries`
    (`hedui nightly --engine spark`) the ID join, the blocking and the fuzzy scoring run on Spark; the rest of the
    stage (gathering, profiles, decisions, writing, review) on DuckDB."""
    started = time.perf_counter()
    cfg = settings_from_run(run)
    stats = LinkStats()
    key = link_state.inputs_key(con, cfg)
    incremental = link_state.can_link_incrementally(con, key) and not getattr(run, "full_recompute", False)
    stats.incremental = incremental
    con.execute("create schema if not exists linked")  # also linked alone: tests and benchmarks on bare connections
    try:
        present_sources = collect_records(con, delta_only=incremental)
        prepare_members(con)
        known_people(con, incremental)
        review.match_decisions(con)
        id_path(con, spark_queries)
        review.drop_rejected_id_hits(con)
        term_frequencies(con, cfg, incremental)
        stats.fuzzy_profiles = fuzzy_profiles(con)
        stats.candidate_pairs = blocking.build_candidates(con, list(cfg["blocking_keys"]), int(cfg["max_block_size"]),
                                                          spark_queries)
        stats.candidate_pairs -= review.drop_rejected_candidates(con)
        score_in_chunks(con, spark_queries)
        namesakes_of_the_scored(con)
        stats.auto_accept_weight = decide(con, cfg)
        write_links(con, incremental, adjust=review.apply_accepted)
        review.record_review_links(con, incremental)
        review.update_queue(con, run)
        link_state.remember(con, incremental, key)
        comment_linked_tables(con)  # its tables were just (re)created, which drops comments
        _count(con, stats, present_sources)
    finally:
        temp_tables.drop_all(con)
    stats.seconds = round(time.perf_counter() - started, 3)
    log.info(
        "linking done: %d links, %d fuzzy profiles, %d candidate pairs, auto-accept at up to %.1f bits, %.1fs; "
        "links per source/method %s; review %s",
        stats.total_links, stats.fuzzy_profiles, stats.candidate_pairs, stats.auto_accept_weight,
        stats.seconds, stats.links, stats.review,
    )
    return stats


def _count(con: duckdb.DuckDBPyConnection, stats: LinkStats, present_sources: list[str]) -> None:
    """Records read, links and review rows, per source (and method or reason)."""
    for source, n in con.execute(f"select source, count(*) from {temp_tables.RECORDS} group by source").fetchall():
        stats.records[source] = n
    for source in present_sources:
        stats.records.setdefault(source, 0)
    for source, method, n in con.execute(
        "select source, method, count(*) from linked.links group by source, method order by source, method"
    ).fetchall():
        stats.links.setdefault(source, {})[method] = n
    for source, reason, n in con.execute(
        "select source, reason, count(distinct record_key) from linked.link_review "
        "group by source, reason order by source, reason"
    ).fetchall():
        stats.review.setdefault(source, {})[reason] = n
