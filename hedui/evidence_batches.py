"""How many batches the warnings stage cuts its evidence into, from the linked records and the memory limit.

A rule gathers each household's evidence in a list aggregate, and the lists' wording turns each warning's
evidence into text: DuckDB cannot spill the vectors of wide rows they pass along (nor an ordered list aggregate,
which is why the rules gather with `ordered_list`), so on a city whose households cite hundreds of records each
the work is cut into batches sized by the memory limit (issue 18). Each batch reads the rule's tables again, so
the batches are as few as the memory allows: a rule's batches are sized by the linked records of the sources it
reads, not by every linked record.
"""

from __future__ import annotations

import math

from hedui.warehouse.schema import table_exists

# Memory one linked record takes while a rule turns it into evidence (the joined row, the struct in the list
# aggregate, its JSON, the hash tables around them), and the share of DuckDB's memory limit a batch's records may
# take: in a rule's query (its aggregates spill, but the hits' fingerprints and JSON are wide rows that do not),
# and in the lists' wording (each record becomes a line of text beside its JSON: a smaller share).
# Each batch reads the rule's tables again, so the share is the largest that holds: on the heavy test city
# (tests/test_warnings_memory.py, 160 MB) a rule's share of 0.5 ran out of memory in the hits' insert, and the
# wording's of 0.25. On the heavy bench city (300k members, 18.6 million linked settlements, 5 GB) a tenth of the
# limit per batch made HARDSHIP_MEDICAL 156 batches of 11 s, each reading the window's rows and the links again.
# The wording's share is smaller: a record's line of text, masked, is several times its JSON, and on the heavy bench
# city a tenth of the limit per batch ran out of memory (4.6 GiB) in the wording's insert; a fortieth worded
# 313,605 warnings (6.4 GB of evidence) in 518 batches, in 740 s, with DuckDB at most 3.5 GB.
EVIDENCE_BYTES_PER_RECORD = 4_000
RULE_SHARE_OF_MEMORY_LIMIT = 0.25
WORDING_SHARE_OF_MEMORY_LIMIT = 0.025
# The caseworker lists' rows query holds a batch of units' wording, cut into records, and sorts it: the units are
# cut into batches whose warnings' evidence adds up to this share of the limit (hedui.deliver.lists).
LISTS_SHARE_OF_MEMORY_LIMIT = 0.1
# A record's JSON in a warning's evidence (a settlement's is about 370 bytes): the wording counts records by it.
JSON_BYTES_PER_RECORD = 400
# The rows DuckDB passes between operators at once (its vector size).
VECTOR_ROWS = 2_048
_UNITS = {"b": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def memory_limit_bytes(con) -> int | None:
    """DuckDB's memory limit on `con` in bytes (it reports it as `953.6 MiB`), None when it cannot be read."""
    (text,) = con.execute("select current_setting('memory_limit')").fetchone()
    number, _, unit = str(text).strip().partition(" ")
    try:
        return int(float(number) * _UNITS[unit.strip().lower() or "b"])
    except (ValueError, KeyError):
        return None


def evidence_batches(con, records: int | None = None, rows: int | None = None,
                     share: float = RULE_SHARE_OF_MEMORY_LIMIT) -> int:
    """How many batches the evidence is handled in (the rules of household and member level, by household; the
    lists' wording, by warning). Chosen from the data and the settings: 1 for an ordinary city, more for one whose
    households cite hundreds of records each, or at a small memory limit.

    Two bounds, the larger wins:
    - a batch's records take at most the memory limit, so that its joins and aggregates run in memory (they would
      spill, slowly: the heavy bench city's HARDSHIP_MEDICAL in one batch spilled 12 GB and had not finished in
      ten minutes; in 16 it took 30 s a batch);
    - the rows DuckDB handles at once (a vector of 2,048) of the widest evidence, each row holding its household's
      records, take at most `share` of the limit: neither the rows nor the values computed from them spill. A
      batch of fewer rows than a vector is a smaller vector, so at a small limit the batches are sized by this.

    `records`: the linked records the work covers (the sources a rule reads, a scope of households); all links by
    default. `rows`: the rows they are gathered into (households, warnings); unknown, every batch is taken to be
    one vector. `share`: the rules', or the lists' wording's (each record also becomes a line of text)."""
    limit = memory_limit_bytes(con)
    if records is None:
        records = table_exists(con, "linked.links") and con.execute("select count(*) from linked.links").fetchone()[0]
    if not limit or not records:
        return 1
    rows_that_fit = limit * share / (records / rows * EVIDENCE_BYTES_PER_RECORD) if rows else 0
    # the second bound holds the first (share <= 1): it applies alone when a vector of the widest rows does not fit
    fits = limit if rows_that_fit >= VECTOR_ROWS else limit * share
    return max(1, math.ceil(records * EVIDENCE_BYTES_PER_RECORD / fits))


def linked_records_by_source(con) -> dict[str, tuple[int, int]]:
    """How many linked records of a household's member each source has (`linked.links`), and of how many households
    (approximately): the measure of a rule's evidence batches, since a rule reads the records of its sources only,
    and gathers those of members."""
    if not table_exists(con, "linked.links"):
        return {}
    return {source: (records, households) for source, records, households in con.execute(
        "select source, count(household_id), approx_count_distinct(household_id) from linked.links group by source"
    ).fetchall()}


# The first place of each batch: the places in order, cut where their sizes add up to the next `$batch_bytes`.
_BATCH_STARTS = """
select min({position}) as first_place
from (
    select
        {position},
        (sum({size}) over (order by {position} rows unbounded preceding) - {size}) // $batch_bytes as batch
    from {table}
)
group by batch
order by first_place
"""

AFTER_LAST_PLACE = 2**63 - 1


def place_ranges(con, table: str, position: str, size: str, batch_bytes: int) -> list[tuple[int, int]]:
    """The rows of `table` in the order of their `position` column, cut into ranges [first, end) of positions whose
    `size` column adds up to about `batch_bytes` (a row bigger than that is a range alone); the last range ends at
    AFTER_LAST_PLACE. Positions need not be dense; an empty table gives []. The names are the caller's code,
    not input."""
    starts = [first for (first,) in con.execute(
        _BATCH_STARTS.format(table=table, position=position, size=size), {"batch_bytes": max(1, int(batch_bytes))}
    ).fetchall()]
    return list(zip(starts, [*starts[1:], AFTER_LAST_PLACE]))
