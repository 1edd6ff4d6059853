"""Which review items matter for the warnings: what the rules would say if each candidate were confirmed.

The rule catalog is evaluated, exactly as the night evaluates it (`hedui.rules.engine.evaluate_rules`), on a
scratch copy of the warehouse in which every candidate of every item is linked. A hit whose evidence quotes an
item's record, in the household (or for the person) of one of its candidates, is that candidate's impact:
`raise` when no open warning has that subject, `change` when the open one's evidence fingerprint differs. Hits
that do not quote a review record are what the rules say already and are not attributed.

The scratch copy is written beside the warehouse (it holds the same personal data, so it stays where the
warehouse is) as `<warehouse>.review-scratch-<pid>` (`hedui.warehouse.publish.review_scratch_path`), removed when
done. A night removes the copy of an export whose process died and leaves that of one still running alone (under
a run's `.tmp-*` name, a night would remove it unasked, mid-export). Linking every candidate at once
costs one evaluation, not one per item; an item whose candidates share a household may be credited with a hit
that only their sum raises, which the reviewer sees as one more reason to look at it first.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hedui.policy import Policy
from hedui.rules.catalog import Rule
from hedui.review.items import Item
from hedui.warehouse.publish import connect, review_scratch_path

_PROBE_LINKS = """
insert into linked.links
select review.source, review.record_key, review.person_id, review.household_id, 'review', review.score,
       review.id_level, review.name_level, review.birth_level, review.address_level, review.weights
from linked.link_review as review
where (review.source, review.record_key) in (select source, record_key from _review_probe)
"""

# Each hit that quotes a probed record, with what the warnings say of its subject today.
_IMPACT = """
with quoted as (
    select hits.rule_code, hits.household_id, hits.person_id, hits.evidence_fingerprint, quote.source,
           quote.record_key
    from _hedui_rule_hits as hits,
         unnest(json_transform(json_extract(hits.evidence, '$.records'),
                               '[{"source": "VARCHAR", "record_key": "VARCHAR"}]')) as quoted_records(quote)
),
open_warnings as (
    select rule_code, household_id, person_id, evidence_fingerprint
    from alerts.warnings
    where status = 'open'
)
select distinct
    quoted.source,
    quoted.record_key,
    review.person_id,
    review.household_id,
    quoted.rule_code,
    case when open_warnings.rule_code is null then 'raise' else 'change' end as kind
from quoted
join linked.link_review as review
    on review.source = quoted.source
    and review.record_key = quoted.record_key
    and (review.household_id = quoted.household_id or review.person_id = quoted.person_id)
left join open_warnings
    on open_warnings.rule_code = quoted.rule_code
    and open_warnings.household_id is not distinct from quoted.household_id
    and open_warnings.person_id is not distinct from quoted.person_id
where open_warnings.evidence_fingerprint is distinct from quoted.evidence_fingerprint
order by all
"""


def attach_impact(warehouse: Path, items: list[Item], policy: Policy, latest_run: tuple[str, object] | None,
                  catalog: list[Rule], memory_limit: str | None = None) -> None:
    """Fill each candidate's `impact` ([(rule code, 'raise' or 'change')]) by evaluating the rules on a scratch
    copy of `warehouse` with every item's candidates linked, as of `latest_run` (run id, as-of date: the night
    whose open warnings the export compares with), with the rules of `catalog`.

    The rules run over the whole warehouse, as a night's do, so they get a night's bounds: DuckDB's memory limit
    (`memory_limit`, default as the night's) and a spill folder of this export's own beside the warehouse."""
    if not items or latest_run is None:
        return
    from hedui.night import default_memory_limit
    from hedui.rules.engine import evaluate_rules
    from hedui.run_info import RunInfo

    warehouse = Path(warehouse).resolve()
    scratch = review_scratch_path(warehouse, os.getpid())
    spill = warehouse.parent / ".work" / f"review-spill-{os.getpid()}"
    try:
        shutil.copyfile(warehouse, scratch)
        con = connect(scratch, memory_limit=memory_limit or default_memory_limit(), temp_directory=spill)
        try:
            con.execute(
                "create temp table _review_probe as select unnest($sources) as source, unnest($keys) as record_key",
                {"sources": [item.source for item in items], "keys": [item.record_key for item in items]},
            )
            con.execute(_PROBE_LINKS)
            # every rule evaluated (none keeps last night's hits, hedui.rules.rule_inputs): the impact compares
            # each rule's hits on the scratch copy with the open warnings
            evaluate_rules(con, RunInfo(run_id=latest_run[0], as_of=latest_run[1], policy=policy,
                                        full_recompute=True), catalog)
            found = con.execute(_IMPACT).fetchall()
        finally:
            con.close()
    finally:
        scratch.unlink(missing_ok=True)
        scratch.with_name(scratch.name + ".wal").unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)
    by_pair: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}
    for source, record_key, person_id, household_id, rule_code, kind in found:
        by_pair.setdefault((source, record_key, person_id, household_id), []).append((rule_code, kind))
    for item in items:
        for candidate in item.candidates:
            candidate.impact = by_pair.get((item.source, item.record_key, candidate.person_id,
                                            candidate.household_id), [])
