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
EVIDENCE_BYTES_PER_RECORD = 4_000
RULE_SHARE_OF_MEMORY_LIMIT = 0.25
WORDING_SHARE_OF_MEMORY_LIMIT = 0.1
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


def evidence_batches(con, records: int | None = None, share: float = RULE_SHARE_OF_MEMORY_LIMIT) -> int:
    """How many batches the evidence is handled in (the rules of household and member level, by household; the
    lists' wording, by warning): enough that a batch's evidence (the linked records of its members) fits a share
    of the memory limit. Chosen from the data and the settings; 1 for an ordinary city, more for one whose
    households cite hundreds of records each, or at a small memory limit. `records`: the linked records the work
    covers, when it covers fewer than all (the sources a rule reads, a scope of households); all links by default.
    `share`: of the memory limit a batch's records may take (the rules', or the wording's)."""
    limit = memory_limit_bytes(con)
    if records is None:
        records = table_exists(con, "linked.links") and con.execute("select count(*) from linked.links").fetchone()[0]
    if not limit or not records:
        return 1
    return max(1, math.ceil(records * EVIDENCE_BYTES_PER_RECORD / (limit * share)))




def linked_records_by_source(con) -> dict[str, int]:
    """How many linked records each source has (`linked.links`), the measure of a rule's evidence batches: a rule
    reads the records of its sources only."""
    if not table_exists(con, "linked.links"):
        return {}
    return dict(con.execute("select source, count(*) from linked.links group by source").fetchall())
