"""The warning lifecycle across nights: open, kept, resolved by fresh evidence, closed by a caseworker, reopened.

Input: the temp table `_rule_hits` (one row per subject a rule holds for tonight, with evidence and fingerprint).
Per subject (rule code, household, person) the latest episode in `alerts.warnings` decides what happens:

| condition tonight | latest episode | action |
| --- | --- | --- |
| holds | open | still_open: last_seen_on moves on; evidence updated in place (event evidence_changed when the fingerprint changes) |
| holds | closed by a caseworker, same fingerprint | suppressed: nothing changes |
| holds | none | new: event raised |
| holds | resolved, or closed by a caseworker with another fingerprint | new episode: event reopened, linked to the old |
| no longer holds | open, and none of the rule's sources has a problem | resolved: event resolved |
| no longer holds | open, a source has a problem | held: the warning stands as it was |

When a source whose *absence* of records raises the rule (`raises_on_absence_of`) has a problem, tonight's new
hits of that rule are deferred rather than raised. Every statement only writes rows that actually change, so
re-running an as-of date with the same inputs writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hedui.rules.catalog import Rule
from hedui.run_info import RunInfo

# Statuses a caseworker's outcome sets (alerts.warnings.status); the others are open and resolved.
CLOSED_BY_OUTCOME = ("confirmed", "dismissed", "benefit_adjusted")


@dataclass
class RuleCounts:
    new: int = 0
    still_open: int = 0
    resolved: int = 0
    suppressed: int = 0
    held: int = 0
    deferred: int = 0


_GUARD_DDL = """
create or replace temp table _rule_guard (
    rule_code varchar primary key,
    title_zh varchar,
    category varchar,
    level varchar,
    severity varchar,
    can_resolve boolean,
    can_raise boolean,
    problem_sources varchar[]
);
"""

_PLAN = """
create or replace temp table _lifecycle_plan as
with

latest_episodes as (
    select
        warning_id,
        rule_code,
        subject_key,
        episode_seq,
        status,
        evidence_fingerprint
    from alerts.warnings
    where rule_code in (select rule_code from _rule_guard)
    qualify row_number() over (partition by subject_key order by episode_seq desc) = 1
),

paired as (
    select
        coalesce(_rule_hits.rule_code, latest_episodes.rule_code) as rule_code,
        coalesce(_rule_hits.subject_key, latest_episodes.subject_key) as subject_key,
        _rule_hits.subject_key is not null as holds,
        latest_episodes.warning_id as latest_warning_id,
        latest_episodes.status as latest_status,
        latest_episodes.episode_seq as latest_episode_seq,
        latest_episodes.evidence_fingerprint as latest_fingerprint,
        _rule_hits.evidence_fingerprint as fingerprint
    from _rule_hits
    full outer join latest_episodes
        on _rule_hits.subject_key = latest_episodes.subject_key
)

select
    paired.rule_code,
    paired.subject_key,
    paired.latest_warning_id,
    paired.latest_status,
    coalesce(paired.latest_episode_seq, 0) + 1 as next_episode_seq,
    case
        when paired.holds and paired.latest_status = 'open' then 'still_open'
        when paired.holds
            and paired.latest_status in (select unnest($closed_by_outcome))
            and paired.latest_fingerprint = paired.fingerprint then 'suppressed'
        when paired.holds and not _rule_guard.can_raise then 'deferred'
        when paired.holds and paired.latest_warning_id is null then 'new'
        when paired.holds then 'reopen'
        when paired.latest_status = 'open' and _rule_guard.can_resolve then 'resolve'
        when paired.latest_status = 'open' then 'held'
        else 'none'
    end as action
from paired
inner join _rule_guard
    on paired.rule_code = _rule_guard.rule_code
"""

_EVENTS_EVIDENCE_CHANGED = """
insert into alerts.warning_events (warning_id, run_id, as_of, event, status_after, detail)
select
    warnings.warning_id,
    $run_id,
    $as_of,
    'evidence_changed',
    warnings.status,
    json_object(
        'previous_fingerprint', warnings.evidence_fingerprint,
        'fingerprint', _rule_hits.evidence_fingerprint
    )
from _lifecycle_plan
inner join alerts.warnings
    on _lifecycle_plan.latest_warning_id = warnings.warning_id
inner join _rule_hits
    on _lifecycle_plan.subject_key = _rule_hits.subject_key
where _lifecycle_plan.action = 'still_open'
    and warnings.evidence_fingerprint <> _rule_hits.evidence_fingerprint
"""

# Still-open warnings in two steps: those whose content changed get every column, the rest only the date they
# were last seen. One statement setting every column rewrote the evidence of every open warning each night.
# The changed ones are replaced (collected, deleted, inserted again), not updated: DuckDB keeps a transaction's
# updated values in memory, and a medical warning's evidence quotes hundreds of settlements, so an update of
# every such warning (the window moves every night) did not fit any memory limit. Deleted and inserted rows spill.
_STILL_OPEN_CHANGED = """
create or replace temp table _still_open_changed as
select warnings.* replace (
    greatest(warnings.last_seen_on, cast($as_of as date)) as last_seen_on,
    _rule_hits.person_name as person_name,
    _rule_hits.county as county,
    _rule_hits.township as township,
    _rule_hits.summary_zh as summary_zh,
    _rule_hits.evidence as evidence,
    _rule_hits.evidence_fingerprint as evidence_fingerprint,
    $run_id as updated_run_id
)
from _lifecycle_plan
inner join alerts.warnings
    on _lifecycle_plan.latest_warning_id = warnings.warning_id
inner join _rule_hits
    on _lifecycle_plan.subject_key = _rule_hits.subject_key
where _lifecycle_plan.action = 'still_open'
    and (
        cast(warnings.evidence as varchar) is distinct from cast(_rule_hits.evidence as varchar)
        or warnings.person_name is distinct from _rule_hits.person_name
        or warnings.county is distinct from _rule_hits.county
        or warnings.township is distinct from _rule_hits.township
    )
"""

_DELETE_STILL_OPEN_CHANGED = """
delete from alerts.warnings
where warning_id in (select warning_id from _still_open_changed)
"""

_INSERT_STILL_OPEN_CHANGED = """
insert into alerts.warnings by name
select * from _still_open_changed
"""

_UPDATE_STILL_OPEN_SEEN = """
update alerts.warnings
set
    last_seen_on = cast($as_of as date),
    updated_run_id = $run_id
from _lifecycle_plan
where _lifecycle_plan.latest_warning_id = warnings.warning_id
    and _lifecycle_plan.action = 'still_open'
    and warnings.last_seen_on < cast($as_of as date)
"""

_INSERT_NEW = """
insert into alerts.warnings (
    warning_id,
    rule_code,
    title_zh,
    category,
    level,
    subject_key,
    episode_seq,
    household_id,
    person_id,
    person_name,
    county,
    township,
    severity,
    status,
    first_raised_on,
    last_seen_on,
    due_on,
    due_basis,
    summary_zh,
    evidence,
    evidence_fingerprint,
    reopened_from,
    raised_run_id,
    updated_run_id
)
select
    'W' || upper(left(sha256(
        _rule_hits.subject_key || '|' || strftime(cast($as_of as date), '%Y-%m-%d') || '|'
        || cast(_lifecycle_plan.next_episode_seq as varchar)
    ), 15)) as warning_id,
    _rule_hits.rule_code,
    _rule_guard.title_zh,
    _rule_guard.category,
    _rule_guard.level,
    _rule_hits.subject_key,
    _lifecycle_plan.next_episode_seq,
    _rule_hits.household_id,
    _rule_hits.person_id,
    _rule_hits.person_name,
    _rule_hits.county,
    _rule_hits.township,
    _rule_guard.severity,
    'open',
    cast($as_of as date),
    cast($as_of as date),
    cast($due_on as date),
    $due_basis,
    _rule_hits.summary_zh,
    _rule_hits.evidence,
    _rule_hits.evidence_fingerprint,
    _lifecycle_plan.latest_warning_id,
    $run_id,
    $run_id
from _lifecycle_plan
inner join _rule_hits
    on _lifecycle_plan.subject_key = _rule_hits.subject_key
inner join _rule_guard
    on _rule_hits.rule_code = _rule_guard.rule_code
where _lifecycle_plan.action in ('new', 'reopen')
"""

_EVENTS_NEW = """
insert into alerts.warning_events (warning_id, run_id, as_of, event, status_after, detail)
select
    warnings.warning_id,
    $run_id,
    $as_of,
    case when _lifecycle_plan.action = 'reopen' then 'reopened' else 'raised' end,
    'open',
    json_object(
        'previous_warning_id', _lifecycle_plan.latest_warning_id,
        'previous_status', _lifecycle_plan.latest_status,
        'fingerprint', warnings.evidence_fingerprint,
        'due_on', warnings.due_on,
        'due_basis', warnings.due_basis
    )
from _lifecycle_plan
inner join alerts.warnings
    on _lifecycle_plan.subject_key = warnings.subject_key
    and _lifecycle_plan.next_episode_seq = warnings.episode_seq
where _lifecycle_plan.action in ('new', 'reopen')
"""

_EVENTS_RESOLVED = """
insert into alerts.warning_events (warning_id, run_id, as_of, event, status_after, detail)
select
    _lifecycle_plan.latest_warning_id,
    $run_id,
    $as_of,
    'resolved',
    'resolved',
    json_object('reason', 'the condition no longer holds in fresh data')
from _lifecycle_plan
where _lifecycle_plan.action = 'resolve'
"""

_UPDATE_RESOLVED = """
update alerts.warnings
set
    status = 'resolved',
    resolved_on = cast($as_of as date),
    updated_run_id = $run_id
from _lifecycle_plan
where _lifecycle_plan.latest_warning_id = warnings.warning_id
    and _lifecycle_plan.action = 'resolve'
"""

_COUNTS = """
select
    rule_code,
    action,
    count(*) as n
from _lifecycle_plan
where action <> 'none'
group by
    rule_code,
    action
"""

_ACTION_COUNTER = {
    "new": "new",
    "reopen": "new",
    "still_open": "still_open",
    "resolve": "resolved",
    "suppressed": "suppressed",
    "held": "held",
    "deferred": "deferred",
}


def _load_guards(con, catalog: list[Rule], problems: dict[str, str]) -> None:
    con.execute(_GUARD_DDL)
    rows = []
    for rule in catalog:
        problem_sources = sorted(source for source in rule.sources if source in problems)
        absence_problems = [source for source in rule.raises_on_absence_of if source in problems]
        rows.append(
            (
                rule.code,
                rule.title_zh,
                rule.category,
                rule.level,
                rule.severity,
                not problem_sources,
                not absence_problems,
                problem_sources,
            )
        )
    con.executemany("insert into _rule_guard values (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def apply_lifecycle(
    con,
    run: RunInfo,
    catalog: list[Rule],
    problems: dict[str, str],
    due_on: dt.date,
    due_basis: str,
) -> dict[str, RuleCounts]:
    """Bring `alerts.warnings` and `alerts.warning_events` in line with `_rule_hits`; counts per rule code."""
    _load_guards(con, catalog, problems)
    con.execute(_PLAN, {"closed_by_outcome": list(CLOSED_BY_OUTCOME)})
    base = {"run_id": run.run_id, "as_of": run.as_of}
    # events first where they compare the old state with the new one
    con.execute(_EVENTS_EVIDENCE_CHANGED, base)
    con.execute(_STILL_OPEN_CHANGED, base)
    con.execute(_DELETE_STILL_OPEN_CHANGED)
    con.execute(_INSERT_STILL_OPEN_CHANGED)
    con.execute("drop table if exists _still_open_changed")
    con.execute(_UPDATE_STILL_OPEN_SEEN, base)
    con.execute(_INSERT_NEW, {**base, "due_on": due_on, "due_basis": due_basis})
    con.execute(_EVENTS_NEW, base)
    con.execute(_EVENTS_RESOLVED, base)
    con.execute(_UPDATE_RESOLVED, base)

    counts: dict[str, RuleCounts] = {}
    for rule_code, action, n in con.execute(_COUNTS).fetchall():
        rule_counts = counts.setdefault(rule_code, RuleCounts())
        attribute = _ACTION_COUNTER[action]
        setattr(rule_counts, attribute, getattr(rule_counts, attribute) + n)
    con.execute("drop table if exists _lifecycle_plan")
    con.execute("drop table if exists _rule_guard")
    return counts
