"""The review items as the linkage staff see them: each record waiting in `linked.review_queue` (one item per
source and record fingerprint: identical records are decided once) beside every candidate member of
`linked.link_review`, with each comparison's level and weight.

Everything is read in one set-based query over the warehouse (read-only), the candidates of an item gathered
into a list by SQL; nothing here writes.
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


_NO_RECORD_FIELDS_SQL = """
select null::varchar as source, null::varchar as record_key, null::varchar as name, null::varchar as id_raw,
       null::varchar as birth, null::varchar as address, null::varchar as delivery_id, null::varchar as file,
       null::bigint as row_number
where false
"""

# Each item's candidates, best first, as one list per item.
_CANDIDATES_SQL = """
select
    items.source,
    items.record_fingerprint,
    list(
        {
            'person_id': review.person_id,
            'household_id': review.household_id,
            'name': members.person_name,
            'birth': strftime(members.birth_date, '%Y-%m-%d'),
            'relation': members.relation,
            'township': households.township,
            'village': households.village,
            'score': review.score,
            'id_level': review.id_level,
            'name_level': review.name_level,
            'birth_level': review.birth_level,
            'address_level': review.address_level,
            'id_weight': cast(review.weights ->> '$.id' as double),
            'name_weight': cast(review.weights ->> '$.name' as double),
            'birth_weight': cast(review.weights ->> '$.birth' as double),
            'address_weight': cast(review.weights ->> '$.address' as double),
            'prior_decision': decisions.decision
        }
        order by review.score desc nulls last, review.person_id, review.household_id
    ) as candidates
from _review_items as items
join linked.link_review as review
    on review.source = items.source and review.record_key = items.record_key
left join (
    select *
    from staged.members
    where (id_norm, household_id) in (select person_id, household_id from linked.link_review)
    qualify row_number() over (partition by id_norm, household_id order by record_key) = 1
) as members
    on members.id_norm = review.person_id and members.household_id = review.household_id
left join (
    select *
    from staged.households
    where household_id in (select household_id from linked.link_review)
    qualify row_number() over (partition by household_id order by record_key) = 1
) as households
    on households.household_id = review.household_id
left join linked.review_decisions as decisions
    on decisions.source = items.source
    and decisions.record_fingerprint = items.record_fingerprint
    and decisions.person_id = review.person_id
    and decisions.household_id = review.household_id
group by items.source, items.record_fingerprint
"""

# Each item with its department record (the latest delivery of it) and its candidates, in one query.
_ITEMS_SQL = """
with records as (
    select *
    from ({record_fields}) as records
    qualify row_number() over (partition by records.source, records.record_key order by records.delivery_id desc) = 1
),

candidates as ({candidates})

select
    items.source,
    items.record_fingerprint,
    items.record_key,
    items.records,
    items.reason,
    items.first_queued_on,
    items.marked_undecided,
    records.name,
    records.id_raw,
    case when records.birth is not null
         then substr(records.birth, 1, 4) || '-' || substr(records.birth, 5, 2) || '-' || substr(records.birth, 7, 2)
    end as birth,
    records.address,
    items.township,
    items.village,
    records.delivery_id,
    records.file,
    records.row_number,
    coalesce(candidates.candidates, []) as candidates
from _review_items as items
left join records on records.source = items.source and records.record_key = items.record_key
left join candidates
    on candidates.source = items.source and candidates.record_fingerprint = items.record_fingerprint
order by items.source, items.record_fingerprint
"""


def review_items(con: duckdb.DuckDBPyConnection, include_marked: bool = False) -> list[Item]:
    """The items waiting for a decision (with `include_marked`, also those marked 无法判断), each with its
    department record and its candidates, read in one query. A warehouse whose queue was never built (no night
    since migration 0009) has none."""
    if not table_exists(con, "linked.review_queue"):
        return []
    con.execute(f"create or replace temp table _review_items as {_QUEUE_SQL}", {"include_marked": include_marked})
    sources = [s for (s,) in con.execute("select distinct source from _review_items order by 1").fetchall()
               if s in SOURCES and table_exists(con, SOURCES[s].table)]
    record_fields = _record_fields_sql(sources) if sources else _NO_RECORD_FIELDS_SQL
    rows = con.execute(_ITEMS_SQL.format(record_fields=record_fields, candidates=_CANDIDATES_SQL)).fetchall()
    con.execute("drop table if exists _review_items")
    return [
        Item(
            source=source, fingerprint=fingerprint, record_key=key, records=records, reason=reason,
            first_queued_on=queued, marked_undecided=bool(marked), name=name, id_raw=id_raw, birth=birth,
            address=address, township=township, village=village, delivery_id=delivery_id, file=file,
            row_number=row_number, candidates=[_candidate(c) for c in candidates],
        )
        for (source, fingerprint, key, records, reason, queued, marked, name, id_raw, birth, address, township,
             village, delivery_id, file, row_number, candidates) in rows
    ]


def _candidate(row: dict) -> Candidate:
    return Candidate(
        person_id=row["person_id"], household_id=row["household_id"], name=row["name"], birth=row["birth"],
        relation=row["relation"], township=row["township"], village=row["village"], score=row["score"],
        levels={field: row[f"{field}_level"] for field in ("id", "name", "birth", "address")},
        weights={field: row[f"{field}_weight"] for field in ("id", "name", "birth", "address")},
        prior_decision=row["prior_decision"],
    )
