"""The review items as the linkage staff see them: each record waiting in `linked.review_queue` (one item per
source and record fingerprint: identical records are decided once) beside every candidate member of
`linked.link_review`, with each comparison's level and weight.

Everything is read in a few set-based queries over the warehouse (read-only); nothing here writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb

from matching.records import BIRTH_FROM_ID_SQL, ID_CMP_SQL
from matching.sources import SOURCES, table_exists


@dataclass
class Candidate:
    person_id: str
    household_id: str
    name: str | None
    birth: str | None
    relation: str | None
    township: str | None
    village: str | None
    score: float | None
    levels: dict[str, str | None]
    weights: dict[str, float | None]
    prior_decision: str | None = None
    impact: list[tuple[str, str]] = field(default_factory=list)  # (rule code, 'raise' or 'change')


@dataclass
class Item:
    source: str
    fingerprint: str
    record_key: str
    records: int
    reason: str | None
    first_queued_on: object
    marked_undecided: bool
    name: str | None
    id_raw: str | None
    birth: str | None
    address: str | None
    township: str | None
    village: str | None
    delivery_id: str | None
    file: str | None
    row_number: object
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def item_id(self) -> str:
        """A short stable label of the item (source and fingerprint), for people to refer to it."""
        return "R" + hashlib.sha256(f"{self.source}|{self.fingerprint}".encode()).hexdigest()[:9].upper()

    @property
    def impact_rank(self) -> int:
        """0: confirming a candidate would raise a warning; 1: it would change one's evidence; 2: neither."""
        kinds = {kind for candidate in self.candidates for _, kind in candidate.impact}
        return 0 if "raise" in kinds else 1 if "change" in kinds else 2


_QUEUE_SQL = """
select
    source,
    record_fingerprint,
    min(record_key) as record_key,
    count(*) as records,
    min(reason) as reason,
    min(first_queued_on) as first_queued_on,
    coalesce(bool_or(decision = 'undecided'), false) as marked_undecided,
    any_value(township) as township,
    any_value(village) as village
from linked.review_queue
group by source, record_fingerprint
having $include_marked or not coalesce(bool_or(decision = 'undecided'), false)
"""


def _record_fields_sql(sources: list[str]) -> str:
    """The department records of the items, as delivered: name, ID, address, and where they came from."""
    parts = []
    for source in sources:
        cols = SOURCES[source]
        parts.append(
            f"""
            select
                '{source}' as source,
                record_key,
                {cols.name} as name,
                {cols.id_raw} as id_raw,
                {BIRTH_FROM_ID_SQL.format(id='(' + ID_CMP_SQL.format(id_norm=cols.id_norm, id_raw=cols.id_raw) + ')')} as birth,
                cast({cols.address or 'null'} as varchar) as address,
                cast(delivery_id as varchar) as delivery_id,
                cast(file as varchar) as file,
                row_number
            from {cols.rows}
            where record_key in (select record_key from _review_items where source = '{source}')
            """
        )
    return " union all ".join(parts)


_CANDIDATES_SQL = """
select
    items.source,
    items.record_fingerprint,
    review.person_id,
    review.household_id,
    members.person_name,
    strftime(members.birth_date, '%Y-%m-%d') as birth,
    members.relation,
    households.township,
    households.village,
    review.score,
    review.id_level, review.name_level, review.birth_level, review.address_level,
    cast(review.weights ->> '$.id' as double) as id_weight,
    cast(review.weights ->> '$.name' as double) as name_weight,
    cast(review.weights ->> '$.birth' as double) as birth_weight,
    cast(review.weights ->> '$.address' as double) as address_weight,
    decisions.decision as prior_decision
from _review_items as items
join linked.link_review as review
    on review.source = items.source and review.record_key = items.record_key
left join staged.members as members
    on members.id_norm = review.person_id and members.household_id = review.household_id
left join staged.households as households
    on households.household_id = review.household_id
left join linked.review_decisions as decisions
    on decisions.source = items.source
    and decisions.record_fingerprint = items.record_fingerprint
    and decisions.person_id = review.person_id
    and decisions.household_id = review.household_id
qualify row_number() over (
    partition by items.source, items.record_fingerprint, review.person_id, review.household_id
    order by members.record_key
) = 1
order by items.source, items.record_fingerprint, review.score desc nulls last, review.person_id, review.household_id
"""


def review_items(con: duckdb.DuckDBPyConnection, include_marked: bool = False) -> list[Item]:
    """The items waiting for a decision (with `include_marked`, also those marked 无法判断), each with its
    department record and its candidates. A warehouse whose queue was never built (no night since migration
    0009) has none."""
    if not table_exists(con, "linked.review_queue"):
        return []
    con.execute(f"create or replace temp table _review_items as {_QUEUE_SQL}", {"include_marked": include_marked})
    sources = [s for (s,) in con.execute("select distinct source from _review_items order by 1").fetchall()
               if s in SOURCES and table_exists(con, SOURCES[s].table)]
    fields: dict[tuple[str, str], tuple] = {}
    if sources:
        for row in con.execute(
            f"""
            select records.*
            from ({_record_fields_sql(sources)}) as records
            qualify row_number() over (partition by records.source, records.record_key order by records.delivery_id desc) = 1
            """
        ).fetchall():
            fields[(row[0], row[1])] = row[2:]
    items: dict[tuple[str, str], Item] = {}
    for source, fingerprint, key, records, reason, queued, marked, township, village in con.execute(
        "select * from _review_items order by source, record_fingerprint"
    ).fetchall():
        name, id_raw, birth, address, delivery_id, file, row_number = fields.get((source, key), (None,) * 7)
        items[(source, fingerprint)] = Item(
            source=source, fingerprint=fingerprint, record_key=key, records=records, reason=reason,
            first_queued_on=queued, marked_undecided=bool(marked), name=name, id_raw=id_raw,
            birth=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}" if birth else None, address=address,
            township=township, village=village, delivery_id=delivery_id, file=file, row_number=row_number,
        )
    for row in con.execute(_CANDIDATES_SQL).fetchall():
        (source, fingerprint, person_id, household_id, name, birth, relation, township, village, score,
         id_level, name_level, birth_level, address_level, id_w, name_w, birth_w, address_w, prior) = row
        items[(source, fingerprint)].candidates.append(Candidate(
            person_id=person_id, household_id=household_id, name=name, birth=birth, relation=relation,
            township=township, village=village, score=score,
            levels={"id": id_level, "name": name_level, "birth": birth_level, "address": address_level},
            weights={"id": id_w, "name": name_w, "birth": birth_w, "address": address_w},
            prior_decision=prior,
        ))
    con.execute("drop table if exists _review_items")
    return list(items.values())
