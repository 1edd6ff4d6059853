"""How many batches the warnings stage cuts its evidence into, from the linked records and the memory limit.

A rule gathers each household's evidence in a list aggregate, and the lists' wording turns each warning's
evidence into text: DuckDB can spill neither (nor the vectors of wide rows they pass along), so on a city whose
households cite hundreds of records each the work is cut into batches sized by the memory limit (issue 18).
"""

from __future__ import annotations

import math

from hedui.warehouse.schema import table_exists

# Memory one linked record takes while a rule turns it into evidence (the struct in the list aggregate, its JSON,
# the hash table around them), and the share of DuckDB's memory limit a batch's evidence may take. Measured on
# the heavy bench city (most households citing hundreds of settlements): see bench/prefecture.py.
EVIDENCE_BYTES_PER_RECORD = 4_000
EVIDENCE_SHARE_OF_MEMORY_LIMIT = 0.1
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


def evidence_batches(con, records: int | None = None) -> int:
    """How many batches the evidence is handled in (the rules of household and member level, by household; the
    lists' wording, by warning): enough that a batch's evidence (the linked records of its members) fits a share
    of the memory limit. Chosen from the data and the settings; 1 for an ordinary city, more for one whose
    households cite hundreds of records each, or at a small memory limit. `records`: the linked records the work
    covers, when it covers fewer than all (a rule evaluated for a scope of households); all links by default."""
    limit = memory_limit_bytes(con)
    if records is None:
        records = table_exists(con, "linked.links") and con.execute("select count(*) from linked.links").fetchone()[0]
    if not limit or not records:
        return 1
    return max(1, math.ceil(records * EVIDENCE_BYTES_PER_RECORD / (limit * EVIDENCE_SHARE_OF_MEMORY_LIMIT)))


