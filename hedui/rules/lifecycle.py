"""The warning lifecycle across nights: open, kept, resolved by fresh evidence, closed by a caseworker, reopened.

Input: the scratch table `_hedui_rule_hits` (one row per subject a rule holds for tonight, with evidence and
fingerprint).
Per subject (rule code, household, person) the latest episode in `alerts.warnings` decides what happens:

| condition tonight | latest episode | action |
| --- | --- | --- |
| holds | open | still_open: last_seen_on moves on; evidence updated in place (event evidence_changed when the fingerprint changes) |
| holds | closed by a caseworker, same fingerprint | suppressed: nothing changes |
| holds | none | new: event raised |
| holds | resolved, or closed by a caseworker with another fingerprint | new episode: event reopened, linked to the old |
| no longer holds | open, and none of the rule's sources has a problem | resolved: event resolved (naming the fresh data when the subject left scope) |
| no longer holds | open, a source has a problem, and fresh data of a healthy source shows the subject left the rule's scope | resolved: event resolved, naming the fresh data |
| no longer holds | open, a source has a problem, the subject still in scope | held: the warning stands as it was |
| carried (the rule was not evaluated: nothing it is computed from changed, `hedui.rules.rule_inputs`) | open | still_open: last_seen_on moves on |
| carried | not open | nothing changes |
| scoped (a rule with a window evaluated for some households, `hedui.rules.window_scope`), household outside the scope | open | still_open: last_seen_on moves on |
| scoped, household outside the scope | not open | nothing changes |

A scoped rule is evaluated for the households of its scope (`_rule_scope`): their subjects follow the rows
above; the others' hits are last evaluation's, so they are treated as a carried rule's.

A source has a problem tonight when its delivery was rejected, held back or failed, when it never delivered
(missing), or when its picture in force is not its newest delivery (not fresh). Its staged tables keep its last
good picture, so tonight's `_hedui_rule_hits` already is the condition evaluated on that picture plus tonight's fresh
data. Why a lapse on a problem night is still not taken at face value:

- Time moves while the picture stands still. Window rules (medical costs over 365 days, major illness, income
  over the three months before the as-of month) move their window with the as-of date; an event source that did
  not arrive, or a snapshot whose new delivery was refused, lacks exactly the records that would have kept the
  subject in the window. The lapse is then made by the problem ("no records" read from a missing delivery).
- The ledger, not the staged table, says whether a picture is good: a picture that is not fresh, or one that
  changed although its source reports a problem, is no evidence (defence in depth).

So on a problem night a lapse resolves only where it can be pinned on fresh data that the problem cannot have
made. Scope is such data: every rule raises for the members of active households, for active households, or
(outreach, level `person`) for people in no active household, and whether a subject is in that scope is decided
by the households and members snapshots alone, with the rule's own `active_statuses`:

| level | the subject left scope when | judged only if fresh tonight |
| --- | --- | --- |
| household | its household is no longer active (状态 changed, or gone from the snapshot) | households |
| member | its household is no longer active | households |
| member | the person is no longer a member of that household | members |
| person | the person is now a member of an active household | households and members |

A household that left assistance leaves every rule's scope whatever its department records say, and no problem of
another source can make it leave: its warnings resolve, and the event says which fresh data resolved it
(`resolved_by`) and which sources kept their last good picture (`problem_sources`). A subject still in scope is
held, since only the problem source could tell whether its condition really lapsed.

Readings considered and not taken:
- Trusting tonight's evaluation whenever a rule does not read the as-of date (the vehicle and property rules):
  on the picture that stands, only fresh data could have made the lapse. But that rests on the staged table being
  exactly the last good picture, which the lifecycle cannot check (the ledger says a source has a problem, not
  what its table holds), and it helps none of the window rules, which are most of the catalog and all the income
  rules.
- Evaluating each rule a second time, on the picture and at the as-of date the warning was last seen with, to
  tell a lapse made by fresh data from one made by the problem: a second run of every rule on every problem
  night, and a per-source comparison of records the rule files do not expose.
What the chosen reading leaves held is a lapse that fresh data did make inside the scope (a car sold, in a fresh
vehicle snapshot, on a night the members delivery was refused). It resolves on the first night the rule's
sources are all good again (usually the next): this errs on the side the contract demands, that a missing,
rejected or held-back delivery never resolves a warning.

The scope is judged after the plan, on the plan's lapsed rows only (`_SCOPE`): the snapshots are joined with
the few subjects that lapsed tonight, not with every open warning. When a lapsed warning resolves on a
night without problems and its subject left scope, its event carries the same, more precise reason.

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
    problem_sources varchar[],
    active_statuses varchar[],
    households_fresh boolean,
    members_fresh boolean,
    carried boolean,
    scoped boolean
);
create temp table if not exists _rule_scope (rule_code varchar, household_id varchar);
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
        evidence_fingerprint,
        household_id,
        person_id
    from alerts.warnings
    where rule_code in (select rule_code from _rule_guard)
    qualify row_number() over (partition by subject_key order by episode_seq desc) = 1
),

paired as (
    select
        coalesce(_hedui_rule_hits.rule_code, latest_episodes.rule_code) as rule_code,
        coalesce(_hedui_rule_hits.subject_key, latest_episodes.subject_key) as subject_key,
        _hedui_rule_hits.subject_key is not null as holds,
        latest_episodes.warning_id as latest_warning_id,
        latest_episodes.status as latest_status,
        latest_episodes.episode_seq as latest_episode_seq,
        latest_episodes.evidence_fingerprint as latest_fingerprint,
        latest_episodes.household_id as latest_household_id,
        latest_episodes.person_id as latest_person_id,
        _hedui_rule_hits.evidence_fingerprint as fingerprint,
        coalesce(_hedui_rule_hits.household_id, latest_episodes.household_id) as household_id
    from _hedui_rule_hits
    full outer join latest_episodes
        on _hedui_rule_hits.subject_key = latest_episodes.subject_key
),

-- the households a scoped rule was evaluated for tonight
in_scope as (
    select distinct rule_code, household_id
    from _rule_scope
)

select
    paired.rule_code,
    paired.subject_key,
    paired.latest_warning_id,
    paired.latest_status,
    paired.latest_household_id,
    paired.latest_person_id,
    coalesce(paired.latest_episode_seq, 0) + 1 as next_episode_seq,
    case
        -- a carried rule (not evaluated again, its hits unchanged: hedui.rules.rule_inputs) has no rows in
        -- _hedui_rule_hits; its open warnings are still open, and nothing else of it changes
        when _rule_guard.carried
            or (_rule_guard.scoped and in_scope.household_id is null)
            then case when paired.latest_status = 'open' then 'still_open' else 'none' end
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
    end as action,
    cast(null as varchar[]) as resolved_by,
    cast(null as varchar) as resolved_reason,
    _rule_guard.problem_sources
from paired
inner join _rule_guard
    on paired.rule_code = _rule_guard.rule_code
left join in_scope
    on paired.rule_code = in_scope.rule_code
    and paired.household_id = in_scope.household_id
"""

# The open warnings whose condition lapsed (planned `resolve` or `held`): which fresh snapshot shows the subject
# out of the rule's scope (the table in the module docstring). A held one then resolves; a resolved one gets the
# more precise reason. Scope is judged on the staged households and members with the rule's own active statuses:
# the test of `active_households_of` / `active_members_of` (hedui/rules/shared_definitions.py). A statement of
# its own, on the plan's few lapsed rows, so that the snapshots are read only for those subjects.
_SCOPE = """
update _lifecycle_plan
set
    action = 'resolve',
    resolved_by = left_scope.resolved_by,
    resolved_reason = left_scope.resolved_reason
from (
    with

    lapsed as (
        select
            _lifecycle_plan.subject_key,
            _lifecycle_plan.latest_household_id as household_id,
            _lifecycle_plan.latest_person_id as person_id,
            _rule_guard.level,
            _rule_guard.active_statuses,
            _rule_guard.households_fresh,
            _rule_guard.members_fresh
        from _lifecycle_plan
        inner join _rule_guard
            on _lifecycle_plan.rule_code = _rule_guard.rule_code
        where _lifecycle_plan.action in ('resolve', 'held')
            and _rule_guard.active_statuses is not null
    ),

    active_households as (
        select distinct
            lapsed.subject_key
        from lapsed
        inner join staged.households
            on lapsed.household_id = households.household_id
        where list_contains(lapsed.active_statuses, households.status)
    ),

    memberships as (
        select distinct
            lapsed.subject_key
        from lapsed
        inner join staged.members
            on lapsed.household_id = members.household_id
            and lapsed.person_id = members.id_norm
    ),

    in_active_households as (
        select distinct
            lapsed.subject_key
        from lapsed
        inner join staged.members
            on lapsed.person_id = members.id_norm
        inner join staged.households
            on members.household_id = households.household_id
        where lapsed.level = 'person'
            and list_contains(lapsed.active_statuses, households.status)
    ),

    scope as (
        select
            lapsed.subject_key,
            lapsed.level,
            lapsed.households_fresh
                and lapsed.level in ('household', 'member')
                and active_households.subject_key is null as household_left,
            lapsed.members_fresh
                and lapsed.level = 'member'
                and memberships.subject_key is null as member_left,
            lapsed.households_fresh
                and lapsed.members_fresh
                and lapsed.level = 'person'
                and in_active_households.subject_key is not null as person_joined
        from lapsed
        left join active_households
            on lapsed.subject_key = active_households.subject_key
        left join memberships
            on lapsed.subject_key = memberships.subject_key
        left join in_active_households
            on lapsed.subject_key = in_active_households.subject_key
    )

    select
        subject_key,
        case
            when household_left then ['households']
            when member_left then ['members']
            else ['households', 'members']
        end as resolved_by,
        case
            when household_left and level = 'household'
                then 'fresh households data: the household is no longer active'
            when household_left
                then 'fresh households data: the member''s household is no longer active'
            when member_left
                then 'fresh members data: the person is no longer a member of the household'
            else 'fresh households and members data: the person is now a member of an active household'
        end as resolved_reason
    from scope
    where household_left or member_left or person_joined
) as left_scope
where _lifecycle_plan.subject_key = left_scope.subject_key
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
        'fingerprint', _hedui_rule_hits.evidence_fingerprint
    )
from _lifecycle_plan
inner join alerts.warnings
    on _lifecycle_plan.latest_warning_id = warnings.warning_id
inner join _hedui_rule_hits
    on _lifecycle_plan.subject_key = _hedui_rule_hits.subject_key
where _lifecycle_plan.action = 'still_open'
    and warnings.evidence_fingerprint <> _hedui_rule_hits.evidence_fingerprint
"""

# Still-open warnings in two steps: those whose content changed get every column, the rest only the date they
# were last seen. One statement setting every column rewrote the evidence of every open warning each night.
# The changed ones are replaced (collected, deleted, inserted again), not updated: DuckDB keeps a transaction's
# updated values in memory, and a medical warning's evidence quotes hundreds of settlements, so an update of
# every such warning (a full run, or a wording changed) did not fit any memory limit. Deleted and inserted rows spill.
# The collected rows are a scratch table of the database, not a temporary one: kept compressed in its file once
# committed (see `_HITS_DDL` in hedui.rules.engine).
#
# Which still-open warnings changed is decided on narrow rows: each side's evidence is reduced to its md5 in its
# own scan, before the join. Comparing the two evidence texts after joining the warnings with the hits held two
# wide rows side by side and ran out of memory (4.6 GiB) on the heavy bench city's typical night. Only the
# warnings that can differ are reduced: still open, with a hit tonight (a carried rule's, or a scoped rule's
# outside its scope, have none); reducing every warning's evidence took a second of a typical night.
_STILL_OPEN_DIFFERS = """
create or replace temp table _still_open_differs as
select _lifecycle_plan.latest_warning_id as warning_id, _lifecycle_plan.subject_key
from _lifecycle_plan
inner join (
    select warning_id, md5(cast(evidence as varchar)) as evidence_md5, person_name, county, township
    from alerts.warnings
    where warning_id in (
        select latest_warning_id
        from _lifecycle_plan
        where action = 'still_open'
            and subject_key in (select subject_key from _hedui_rule_hits)
    )
) as warnings
    on _lifecycle_plan.latest_warning_id = warnings.warning_id
inner join (
    select subject_key, md5(cast(evidence as varchar)) as evidence_md5, person_name, county, township
    from _hedui_rule_hits
) as hits
    on _lifecycle_plan.subject_key = hits.subject_key
where _lifecycle_plan.action = 'still_open'
    and (
        warnings.evidence_md5 is distinct from hits.evidence_md5
        or warnings.person_name is distinct from hits.person_name
        or warnings.county is distinct from hits.county
        or warnings.township is distinct from hits.township
    )
"""

# Their new rows: the warning's columns but the evidence (which it does not read), and the hit's.
_STILL_OPEN_CHANGED = """
create or replace table _hedui_still_open_changed as
select warnings.* replace (
    greatest(warnings.last_seen_on, cast($as_of as date)) as last_seen_on,
    _hedui_rule_hits.person_name as person_name,
    _hedui_rule_hits.county as county,
    _hedui_rule_hits.township as township,
    _hedui_rule_hits.summary_zh as summary_zh,
    _hedui_rule_hits.evidence as evidence,
    _hedui_rule_hits.evidence_fingerprint as evidence_fingerprint,
    $run_id as updated_run_id
)
from _still_open_differs
inner join alerts.warnings
    on _still_open_differs.warning_id = warnings.warning_id
inner join _hedui_rule_hits
    on _still_open_differs.subject_key = _hedui_rule_hits.subject_key
"""

_DELETE_STILL_OPEN_CHANGED = """
delete from alerts.warnings
where warning_id in (select warning_id from _hedui_still_open_changed)
"""

_INSERT_STILL_OPEN_CHANGED = """
insert into alerts.warnings by name
select * from _hedui_still_open_changed
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
        _hedui_rule_hits.subject_key || '|' || strftime(cast($as_of as date), '%Y-%m-%d') || '|'
        || cast(_lifecycle_plan.next_episode_seq as varchar)
    ), 15)) as warning_id,
    _hedui_rule_hits.rule_code,
    _rule_guard.title_zh,
    _rule_guard.category,
    _rule_guard.level,
    _hedui_rule_hits.subject_key,
    _lifecycle_plan.next_episode_seq,
    _hedui_rule_hits.household_id,
    _hedui_rule_hits.person_id,
    _hedui_rule_hits.person_name,
    _hedui_rule_hits.county,
    _hedui_rule_hits.township,
    _rule_guard.severity,
    'open',
    cast($as_of as date),
    cast($as_of as date),
    cast($due_on as date),
    $due_basis,
    _hedui_rule_hits.summary_zh,
    _hedui_rule_hits.evidence,
    _hedui_rule_hits.evidence_fingerprint,
    _lifecycle_plan.latest_warning_id,
    $run_id,
    $run_id
from _lifecycle_plan
inner join _hedui_rule_hits
    on _lifecycle_plan.subject_key = _hedui_rule_hits.subject_key
inner join _rule_guard
    on _hedui_rule_hits.rule_code = _rule_guard.rule_code
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
    json_object(
        'reason', coalesce(_lifecycle_plan.resolved_reason, 'the condition no longer holds in fresh data'),
        'resolved_by', _lifecycle_plan.resolved_by,
        'problem_sources', _lifecycle_plan.problem_sources
    )
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


def _load_guards(con, run: RunInfo, catalog: list[Rule], problems: dict[str, str], carried: set[str],
                 scoped: set[str]) -> None:
    """One row per rule: what tonight's problems allow it (resolve, raise), and what its scope is judged on.

    The scope sources count as fresh only when the rule reads them and they have no problem tonight; a rule
    without `active_statuses` has no scope the lifecycle can judge, so on a problem night its lapses are held."""
    con.execute(_GUARD_DDL)
    rows = []
    for rule in catalog:
        problem_sources = sorted(source for source in rule.sources if source in problems)
        absence_problems = [source for source in rule.raises_on_absence_of if source in problems]
        active_statuses = run.policy.for_rule(rule.code, rule.defaults).get("active_statuses")
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
                list(active_statuses) if active_statuses is not None else None,
                "households" in rule.sources and "households" not in problems,
                "members" in rule.sources and "members" not in problems,
                rule.code in carried,
                rule.code in scoped,
            )
        )
    con.executemany("insert into _rule_guard values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def apply_lifecycle(
    con,
    run: RunInfo,
    catalog: list[Rule],
    problems: dict[str, str],
    due_on: dt.date,
    due_basis: str,
    *,
    carried: set[str] = frozenset(),
    scoped: set[str] = frozenset(),
) -> dict[str, RuleCounts]:
    """Bring `alerts.warnings` and `alerts.warning_events` in line with `_hedui_rule_hits`; counts per rule code.
    The rules in `carried` were not evaluated tonight, their hits being last night's (`hedui.rules.rule_inputs`):
    their open warnings are still open. The rules in `scoped` were evaluated for the households of `_rule_scope`
    only (`hedui.rules.window_scope`): outside them, as if carried."""
    _load_guards(con, run, catalog, problems, set(carried), set(scoped))
    con.execute(_PLAN, {"closed_by_outcome": list(CLOSED_BY_OUTCOME)})
    con.execute(_SCOPE)
    base = {"run_id": run.run_id, "as_of": run.as_of}
    # events first where they compare the old state with the new one
    con.execute(_EVENTS_EVIDENCE_CHANGED, base)
    con.execute(_STILL_OPEN_DIFFERS)
    con.execute(_STILL_OPEN_CHANGED, base)
    con.execute(_DELETE_STILL_OPEN_CHANGED)
    con.execute(_INSERT_STILL_OPEN_CHANGED)
    con.execute("drop table if exists _hedui_still_open_changed")
    con.execute("drop table if exists _still_open_differs")
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
    con.execute("drop table if exists _rule_scope")
    return counts
