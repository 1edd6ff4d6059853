"""Run the rule catalog against the staged and linked tables, then apply the warning lifecycle.

Each rule is one set-based query; its rows land in the scratch table `_hedui_rule_hits` (one row per subject the
condition holds for, with its evidence and fingerprint), and `hedui.rules.lifecycle` turns those hits into
new, kept, resolved or suppressed warnings.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from hedui import statements
from hedui.engines.spark_rules import SparkRuleFailed
from hedui.evidence_batches import evidence_batches, linked_records_by_source
from hedui.step_commits import NO_STEP_COMMITS, StepCommits
from hedui.deliver import list_texts
from hedui.deliver.list_texts import refresh_list_texts
from hedui.income.model import MODEL_SOURCES, build_income_tables
from hedui.income.settings import income_settings
from hedui.rules import lifecycle, rule_inputs, window_scope
from hedui.rules.catalog import OUTPUT_COLUMNS, Rule, load_catalog
from hedui.rules.lifecycle import RuleCounts
from hedui.review.evidence_note import NOTE_REVIEW_LINKS, note_review_links
from hedui.rules.shared_definitions import (
    CLEAR_HOUSEHOLD_SCOPE,
    SET_HOUSEHOLD_BATCH,
    SET_HOUSEHOLD_SCOPE,
    check_shared_parameters,
    install_rule_macros,
    shared_definitions_text,
)
from hedui.run_info import RunInfo, refuse_as_of_before
from hedui.warehouse.schema import table_exists
from hedui.workdays import add_working_days, calendar_overrides


STAGE = "warnings"


class RuleExecutionError(statements.StatementFailed):
    """A rule's query failed or returned the wrong shape; the message names the stage and the rule file."""

    @classmethod
    def of_rule(cls, rule: Rule, problem: str, batch_label: str = "") -> "RuleExecutionError":
        return cls.naming(STAGE, f"rule {rule.path.name}{batch_label}", problem)


@dataclass
class RuleStats:
    """What a run of the rules did, per rule code.

    new: warnings opened (first time or a new episode); still_open: open warnings whose condition still holds;
    resolved: open warnings whose condition no longer holds in fresh data; suppressed: the condition holds but
    a caseworker closed the warning and the evidence is unchanged; held: open warnings whose condition is no
    longer shown but a source has a problem, so they stand; deferred: new hits not raised because a source
    whose absence of records raises the rule has a problem.

    skipped_rules: rules not evaluated tonight, with the sources they read that never delivered (no staged table,
    or no delivery ever accepted): an income rule evaluated without the social insurance would read "no income".

    carried_rules: rules not evaluated again tonight because nothing they are computed from changed since their
    last evaluation (`hedui.rules.rule_inputs`): their open warnings are counted still_open; their suppressed
    count is not known without evaluating them and is 0. evaluated_because: why each other rule was evaluated.

    scoped_rules: rules with a window evaluated only for the households whose hits can have changed since their
    last evaluation (`hedui.rules.window_scope`), with how many households that was; their other households'
    open warnings are counted still_open, as a carried rule's.
    """

    run_id: str
    as_of: dt.date
    due_on: dt.date
    due_basis: str
    per_rule: dict[str, RuleCounts] = field(default_factory=dict)
    source_problems: dict[str, str] = field(default_factory=dict)
    ledger_checked: bool = False
    skipped_rules: dict[str, list[str]] = field(default_factory=dict)
    # active households the income rules could not test, by reason (城乡 unknown, ...)
    income_not_tested: dict[str, int] = field(default_factory=dict)
    carried_rules: list[str] = field(default_factory=list)
    evaluated_because: dict[str, str] = field(default_factory=dict)
    scoped_rules: dict[str, int] = field(default_factory=dict)

    @property
    def totals(self) -> RuleCounts:
        total = RuleCounts()
        for counts in self.per_rule.values():
            for name, value in asdict(counts).items():
                setattr(total, name, getattr(total, name) + value)
        return total

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "due_on": self.due_on.isoformat(),
            "due_basis": self.due_basis,
            "ledger_checked": self.ledger_checked,
            "source_problems": self.source_problems,
            "skipped_rules": self.skipped_rules,
            "income_not_tested": self.income_not_tested,
            "carried_rules": self.carried_rules,
            "evaluated_because": self.evaluated_because,
            "scoped_rules": self.scoped_rules,
            "per_rule": {code: asdict(counts) for code, counts in self.per_rule.items()},
            "totals": asdict(self.totals),
        }


# A table of the database, not a temporary one, created and dropped inside the stage (so never published:
# `hedui.warehouse.publish.drop_scratch_objects` drops any left). Committed (the night commits after each batch,
# `hedui.step_commits`), its rows are in the database file, compressed; a temporary table's rows stay in memory or
# go to the temp directory as they are. On the heavy bench city the hits' evidence is 5 to 6 GB of JSON: as a
# temporary table in one transaction it spilled 10.4 GB of temp files and, with the windows' records, filled the
# disk (issue 18); committed batch by batch, the rules left no temp files (2.6 GB of such JSON took 545 MB of file).
_HITS_DDL = """
create or replace table _hedui_rule_hits (
    rule_code varchar not null,
    subject_key varchar not null,
    household_id varchar,
    person_id varchar,
    county varchar,
    township varchar,
    person_name varchar,
    summary_zh varchar,
    evidence json,
    evidence_fingerprint varchar
);
"""

# The fingerprint covers what the records say (source, key, field values), not where or when they arrived. Each
# hit's records are read once into a list, sorted (source, key, fields) and joined, all inside the row: the same
# digest as unnesting every record and aggregating it back per hit, in a fifth of the time at prefecture scale.
# It is computed as the hits are inserted: an update of every hit afterwards held all the new values in memory
# (DuckDB keeps a transaction's updates there) and failed on a city whose evidence is large.
_FINGERPRINT_OF_RECORDS = """
sha256(coalesce(
    array_to_string(
        list_transform(
            list_sort(list_transform(
                json_transform(
                    {records},
                    '[{{"source": "VARCHAR", "record_key": "VARCHAR", "fields": "JSON"}}]'
                ),
                lambda record: {{
                    'source': record.source,
                    'record_key': record.record_key,
                    'fields': cast(record.fields as varchar)
                }}
            )),
            lambda record: record.source || '|' || record.record_key || '|' || record.fields
        ),
        chr(10)
    ),
    ''
))
"""

# The fingerprint of a hit's `evidence` column, as an expression.
FINGERPRINT_OF_EVIDENCE = _FINGERPRINT_OF_RECORDS.format(records="evidence -> '$.records'")

_INSERT_HITS = """
insert into _hedui_rule_hits
select
    rule_code,
    subject_key,
    household_id,
    person_id,
    county,
    township,
    person_name,
    summary_zh,
    evidence,
    {fingerprint} as evidence_fingerprint
from (
    select
        $rule_code as rule_code,
        $rule_code || '|' || coalesce(household_id, '') || '|' || coalesce(person_id, '') as subject_key,
        household_id,
        person_id,
        county,
        township,
        person_name,
        summary_zh,
        json_object(
            'rule_code', $rule_code,
            'summary_zh', summary_zh,
            'records', cast(evidence_records as json),
            'facts', cast(facts as json),
            'thresholds', cast($thresholds as json)
        ) as evidence
    from _rule_output
)
""".format(fingerprint=FINGERPRINT_OF_EVIDENCE)


class _NamedStatements:
    """The connection the lifecycle and the lists' wording write through: every statement they run is named by
    the module constant that holds its text (`lifecycle _DELETE_STILL_OPEN_CHANGED`), so that a failure says
    which it was (`hedui.statements`). They keep their own statements; new ones are named as they are added."""

    def __init__(self, con, module) -> None:
        self._con = con
        self._prefix = module.__name__.rsplit(".", 1)[-1]
        self._names = {text: name for name, text in vars(module).items()
                       if name.startswith("_") and name.isupper() and isinstance(text, str)}

    def execute(self, sql: str, parameters=None):
        name = self._names.get(sql, "unnamed statement")
        return statements.run(self._con, STAGE, f"{self._prefix} {name}", sql, parameters)

    def __getattr__(self, attribute: str):
        return getattr(self._con, attribute)


def _redact(message: str) -> str:
    from hedui.privacy import redact_error_text

    return redact_error_text(message)


def rule_parameters(rule: Rule, run: RunInfo) -> dict[str, Any]:
    """The rule's parameter values for the run: its defaults overridden by the policy's `rules.<code>`."""
    return run.policy.for_rule(rule.code, rule.defaults)


def source_problems(con, run_id: str) -> tuple[dict[str, str], bool]:
    """Problems of this run's sources from `ledger.run_sources`, and whether the ledger was there to read.

    A source has a problem when its `problem` is set (rejected, held_back, missing) or when its picture is not
    fresh (`fresh` false: a newer delivery exists than the one in force).
    """
    if not table_exists(con, "ledger.run_sources"):
        return {}, False
    rows = con.execute(
        """
        select
            source,
            coalesce(problem, case when fresh is false then 'not_fresh' end) as problem
        from ledger.run_sources
        where run_id = ?
            and (problem is not null or fresh is false)
        """,
        [run_id],
    ).fetchall()
    return {source: problem for source, problem in rows}, True


def never_delivered(con, run_id: str, sources) -> set[str]:
    """The sources among `sources` that have no picture at all: no staged table (no connector, or a warehouse from
    before it); or, per the ledger of this run, a problem and no delivery ever accepted (`in_force_delivery` null:
    missing, or a first delivery rejected or held back), with nothing in its staged table either."""
    absent = {source for source in sources if not table_exists(con, f"staged.{source}")}
    if table_exists(con, "ledger.run_sources"):
        unaccepted = [source for (source,) in con.execute(
            """
            select source
            from ledger.run_sources
            where run_id = ?
                and in_force_delivery is null
                and problem is not null
                and source in (select unnest(?))
            """,
            [run_id, sorted(set(sources) - absent)],
        ).fetchall()]
        # the names are declared sources (the catalog checks them), not input
        absent |= {source for source in unaccepted
                   if not con.execute(f"select exists (select 1 from staged.{source})").fetchone()[0]}
    return absent


def latest_processed_as_of(con) -> dt.date | None:
    return con.execute("select max(as_of) from alerts.rule_runs").fetchone()[0]


@dataclass
class Evaluation:
    """What evaluating the catalog tonight left out: the rules skipped (a source they read never delivered), the
    rules carried (nothing they are computed from changed: `hedui.rules.rule_inputs`), and the active households
    the income model could not test, counted by reason; and each rule's key tonight, skipped rules aside.

    scoped_since: the rules with a window that may be evaluated for a scope of households, with the as-of date of
    their last evaluation; scopes: those evaluated so, with the scope's number of households (its households in
    the temp table `_rule_scope`); window_records: tonight's records of the windows (hedui.rules.window_scope)."""

    skipped_rules: dict[str, list[str]] = field(default_factory=dict)
    income_not_tested: dict[str, int] = field(default_factory=dict)
    carried: set[str] = field(default_factory=set)
    evaluated_because: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    scoped_since: dict[str, dt.date] = field(default_factory=dict)
    scopes: dict[str, int] = field(default_factory=dict)
    window_records: window_scope.WindowRecords | None = None


# Rules of these levels are about members of active households, each household by its own records: they reach
# households only through the shared `active_households_of`/`active_members_of`, so they can be evaluated one
# batch of households at a time (`hedui.evidence_batches`) and the batches' rows add up to the whole. A rule gathers
# each household's evidence in a list aggregate, which DuckDB cannot spill: the batches keep it within the
# memory limit at any number of warnings and evidence records. Outreach (level person) looks for people in *no*
# active household, which a batch cannot tell; its evidence is a person's certificates, small.
BATCHED_LEVELS = ("household", "member")


def _batchable(rule: Rule) -> bool:
    return rule.level in BATCHED_LEVELS and any(
        f"{macro}(" in rule.sql for macro in ("active_households_of", "active_members_of"))


def evaluate_rules(con, run: RunInfo, catalog: list[Rule], *, batches: int | None = None,
                   spark_rules=None, commit_step: StepCommits = NO_STEP_COMMITS) -> Evaluation:
    """Run every rule that is not carried and collect its rows, with evidence and fingerprint, in the scratch
    table `_hedui_rule_hits`. A carried rule (nothing it is computed from changed: `hedui.rules.rule_inputs`) is
    not run; the result names the carried rules and why each other rule was run.

    The shared definitions the rules call (active households, severe disability) are created first, and the
    verified-income model (income.*) is rebuilt when its sources have all delivered and an income rule is run. A rule that reads a source
    which never delivered is skipped: the result names those rules with the sources that were missing, and counts
    the active households the income model could not test. The rules of household and member level run in
    `batches` batches of households (default: `hedui.evidence_batches.evidence_batches` of the linked records of
    the sources each reads). A rule with a window whose key is the one kept is evaluated only for the households
    whose records changed or crossed the window's edges since its last evaluation (`hedui.rules.window_scope`), in
    as many batches as their records take.

    With `spark_rules` (a `hedui.engines.spark_rules.SparkRules`) each rule's query runs on Spark, in one batch
    (Spark spills what DuckDB cannot), and its rows come back to `_rule_output`: the checks, the evidence, the
    fingerprints and all that follows stay on DuckDB.

    `commit_step` is called after each batch (`hedui.step_commits`: in the night it commits, which frees the
    batch's `_rule_output`)."""
    parameters = {rule.code: rule_parameters(rule, run) for rule in catalog}
    check_shared_parameters(parameters, run.policy)
    settings = income_settings(run.policy)
    absent = never_delivered(con, run.run_id, {source for rule in catalog for source in rule.sources})
    skipped = {rule.code: sorted(set(rule.sources) & absent) for rule in catalog if set(rule.sources) & absent}
    install_rule_macros(con)
    evaluation = Evaluation(skipped_rules=skipped)
    _decide_carry(con, run, catalog, parameters, settings, evaluation)
    income_rules = [rule for rule in catalog if set(MODEL_SOURCES) <= set(rule.sources) and rule.code not in skipped]
    if any(rule.code not in evaluation.carried for rule in income_rules):
        # the model's tables, like the hits, are a function of what the income rules' keys cover: when every
        # income rule is carried, the tables built with those inputs stand
        build_income_tables(con, run.as_of, settings)
    if income_rules:
        active = sorted({status for rule in income_rules for status in parameters[rule.code].get("active_statuses", [])})
        evaluation.income_not_tested = dict(con.execute(
            """
            select not_tested_reason, count(*)
            from income.households
            where not_tested_reason is not null
                and status in (select unnest($active))
            group by not_tested_reason
            order by not_tested_reason
            """,
            {"active": active},
        ).fetchall())
    con.execute(_HITS_DDL)
    con.execute(_RULE_SCOPE_DDL)
    for rule in catalog:
        if rule.code in evaluation.scoped_since and (spark_rules is not None or not _batchable(rule)):
            evaluation.evaluated_because[rule.code] = "a scope of households is evaluated on DuckDB only"
            del evaluation.scoped_since[rule.code]
    # a scoped rule's scratch tables are temporary (hedui.rules.window_scope.WindowRecords); those of a rule
    # evaluated whole are the database's
    whole = {rule.code for rule in catalog
             if rule.window is not None and rule.code not in skipped and rule.code not in evaluation.scoped_since}
    evaluation.window_records = window_scope.WindowRecords(con, catalog, whole_rules=whole)
    linked = linked_records_by_source(con)
    for rule in catalog:
        if rule.code in skipped or rule.code in evaluation.carried:
            continue
        settings_used = {name: settings[name] for name in rule.uses_settings}
        rule_batches = 1
        if _batchable(rule) and spark_rules is None:
            # its sources' linked records, and the households of the source that has the most
            measures = [linked.get(source, (0, 0)) for source in rule.sources]
            rule_batches = batches or evidence_batches(con, sum(records for records, _ in measures),
                                                       max((households for _, households in measures), default=0))
        since = evaluation.scoped_since.get(rule.code)
        if since is not None:
            rule_batches = _scope(con, run, rule, parameters[rule.code], since, evaluation)
        # a rule with a window reads the rows of its source it can read, not the whole table (a full recompute
        # reads the table: hedui.rules.window_scope.on_window_rows)
        evaluated = rule if rule.window is None or run.full_recompute or spark_rules is not None \
            else window_scope.on_window_rows(rule, evaluation.window_records)
        for batch in range(rule_batches):
            con.execute(SET_HOUSEHOLD_BATCH, {"batches": rule_batches, "batch": batch})
            _evaluate_rule(con, run, evaluated, parameters[rule.code], settings_used,
                           f", batch {batch + 1} of {rule_batches}" if rule_batches > 1 else "", spark_rules)
            commit_step()
        if rule_batches > 1:
            repeated = con.execute(
                "select count(*) - count(distinct subject_key) from _hedui_rule_hits where rule_code = ?", [rule.code]
            ).fetchone()[0]
            if repeated:  # it reads households other than through the shared definitions
                raise RuleExecutionError.of_rule(
                    rule, f"query returns {repeated} subject(s) in more than one household batch")
        if since is not None:
            con.execute(CLEAR_HOUSEHOLD_SCOPE)
    con.execute(SET_HOUSEHOLD_BATCH, {"batches": 1, "batch": 0})
    con.execute("drop table if exists _rule_output")
    return evaluation


_RULE_SCOPE_DDL = "create or replace temp table _rule_scope (rule_code varchar, household_id varchar)"

_ADD_RULE_SCOPE = "insert into _rule_scope select $rule_code, household_id from _window_scope"


def _scope(con, run: RunInfo, rule: Rule, params: dict[str, Any], since: dt.date, evaluation: Evaluation) -> int:
    """Set the shared definitions to see only the households whose hits under `rule` can have changed since
    `since` (hedui.rules.window_scope), note them for the lifecycle (`_rule_scope`) and the reason; returns the
    number of batches the scope's evidence takes."""
    length = params[rule.window.length_parameter] if rule.window.length_parameter else None
    scope = window_scope.scope_households(con, evaluation.window_records, rule, since, run.as_of, length)
    evaluation.evaluated_because[rule.code] = scope.reason
    evaluation.scopes[rule.code] = scope.households
    con.execute(SET_HOUSEHOLD_SCOPE)
    con.execute(_ADD_RULE_SCOPE, {"rule_code": rule.code})
    return evidence_batches(con, window_scope.linked_records_in_scope(con, evaluation.window_records, rule),
                            scope.households)


def _decide_carry(con, run: RunInfo, catalog: list[Rule], parameters: dict[str, dict[str, Any]],
                  settings: dict[str, Any], evaluation: Evaluation) -> None:
    """Each rule's key tonight, and which rules keep last night's hits (`hedui.rules.rule_inputs`): into
    `evaluation` (keys, carried, evaluated_because). A skipped rule gets no key."""
    from hedui.income.model import income_definition_text

    keyed = {rule.code: rule for rule in catalog
             if rule.code not in evaluation.skipped_rules and (rule.as_of_grain != "day" or rule.window is not None)}
    digests = rule_inputs.InputDigests(
        con, {source for rule in keyed.values() for source in rule_inputs.digested_sources(rule)})
    previous_keys, previous_stats = rule_inputs.previous_state(con)
    definitions = shared_definitions_text() + _HITS_DDL + _INSERT_HITS + NOTE_REVIEW_LINKS
    income_definition = income_definition_text(settings)
    income_tables_kept = table_exists(con, "income.households")
    for rule in catalog:
        if rule.code in evaluation.skipped_rules:
            continue
        bound = {**parameters[rule.code], **{name: settings[name] for name in rule.uses_settings}}
        key = rule_inputs.rule_key(rule, bound, run.as_of, digests, definitions=definitions,
                                   income_definition=income_definition) if rule.code in keyed else None
        decision = rule_inputs.decide(rule, key, previous_keys, previous_stats, full_recompute=run.full_recompute)
        if decision.carried and rule.reads_income_model and not income_tables_kept:
            decision = rule_inputs.CarryDecision(key, False, "the income model's tables are missing")
        if key is not None:
            evaluation.keys[rule.code] = key
        if decision.carried:
            evaluation.carried.add(rule.code)
        elif decision.scoped_since is not None:
            evaluation.scoped_since[rule.code] = decision.scoped_since  # the reason comes with the scope
        else:
            evaluation.evaluated_because[rule.code] = decision.reason


def _evaluate_rule(con, run: RunInfo, rule: Rule, params: dict[str, Any], settings_used: dict[str, Any],
                   batch_label: str, spark_rules=None) -> None:
    """One rule (or one batch of it): its rows, checked, with their evidence, into `_hedui_rule_hits`. The policy's
    income settings the rule uses are bound beside its parameters and stated among its thresholds. The rows come
    from DuckDB, or from Spark when `spark_rules` is given."""
    bound = dict(params)
    if rule.uses_as_of:
        bound["as_of"] = run.as_of
    bound.update(settings_used)
    try:
        if spark_rules is None:
            con.execute(f"create or replace temp table _rule_output as\n{rule.sql}", bound)
        else:
            spark_rules.create_rule_output(con, rule, bound)
    except duckdb.Error as exc:
        raise RuleExecutionError.of_rule(rule, f"query failed: {type(exc).__name__}: {_redact(str(exc))}",
                                         batch_label) from None
    except SparkRuleFailed as exc:
        raise RuleExecutionError.of_rule(rule, _redact(str(exc)), batch_label) from None
    columns = tuple(row[0] for row in con.execute("select * from _rule_output limit 0").description)
    if columns != OUTPUT_COLUMNS:
        raise RuleExecutionError.of_rule(
            rule, f"query returns columns {', '.join(columns)}; expected {', '.join(OUTPUT_COLUMNS)}"
        )
    duplicates = statements.run(con, STAGE, f"rule {rule.code}: duplicate subjects{batch_label}", """
        select count(*) from (
            select household_id, person_id
            from _rule_output
            group by household_id, person_id
            having count(*) > 1
        )
        """).fetchone()[0]
    if duplicates:
        raise RuleExecutionError.of_rule(rule, f"query returns {duplicates} subject(s) more than once")
    thresholds = json.dumps({**params, **settings_used}, ensure_ascii=False, default=str)
    statements.run(con, STAGE, f"rule {rule.code}: _INSERT_HITS{batch_label}", _INSERT_HITS,
                   {"rule_code": rule.code, "thresholds": thresholds})


def raise_warnings(con, run: RunInfo, catalog: list[Rule] | None = None, *, spark_rules=None,
                   commit_steps: bool = False) -> RuleStats:
    """Evaluate the rule catalog for the run's as-of date and bring `alerts.warnings` up to date.

    Refuses (AsOfBeforeLatestRun) an as-of date earlier than one already processed; re-running the latest
    as-of date with the same inputs changes nothing. With `spark_rules` the rules' queries run on Spark
    (`evaluate_rules`); the result is the same.

    One transaction, unless `commit_steps`: then it commits after each batch of the rules and of the wording, and
    between its steps, which frees what each left behind (`hedui.step_commits`). Only for a connection to the
    night's working copy, whose publication is the atomic step; a failure then leaves the copy half done.
    """
    refuse_as_of_before(latest_processed_as_of(con), run.as_of)
    if catalog is None:
        catalog = load_catalog()
    problems, ledger_checked = source_problems(con, run.run_id)
    due_on, due_basis = add_working_days(run.as_of, run.policy.verification_working_days, calendar_overrides(con))

    con.execute("begin transaction")
    commit_step = StepCommits(con, commit_steps)
    try:
        evaluation = evaluate_rules(con, run, catalog, spark_rules=spark_rules, commit_step=commit_step)
        if table_exists(con, "alerts.rule_evaluations"):
            rule_inputs.remember(con, evaluation.keys, run.as_of)
        if table_exists(con, "alerts.window_records"):
            # tonight's records of each window, the next night's comparison (every windowed rule with a key)
            window_scope.remember(con, evaluation.window_records,
                                  [rule for rule in catalog if rule.window is not None and rule.code in evaluation.keys])
        # the windows' records are the largest scratch tables after the hits; dropped before the lifecycle
        evaluation.window_records.drop()
        commit_step()
        note_review_links(con)  # a link a reviewer confirmed says so, and by whom, in the evidence
        # a source that never delivered is a problem of the rules that read it: their warnings stand, none resolves
        # (the stats name them under skipped_rules; source_problems stays what the ledger says)
        never = {source for sources in evaluation.skipped_rules.values() for source in sources}
        counts = lifecycle.apply_lifecycle(_NamedStatements(con, lifecycle), run, catalog,
                                           {**dict.fromkeys(never, "missing"), **problems}, due_on, due_basis,
                                           carried=evaluation.carried, scoped=set(evaluation.scopes))
        stats = RuleStats(
            run_id=run.run_id,
            as_of=run.as_of,
            due_on=due_on,
            due_basis=due_basis,
            per_rule={rule.code: counts.get(rule.code, RuleCounts()) for rule in catalog},
            source_problems=problems,
            ledger_checked=ledger_checked,
            skipped_rules=evaluation.skipped_rules,
            income_not_tested=evaluation.income_not_tested,
            carried_rules=sorted(evaluation.carried),
            evaluated_because=evaluation.evaluated_because,
            scoped_rules=evaluation.scopes,
        )
        con.execute(
            "insert or replace into alerts.rule_runs (run_id, as_of, due_basis, stats) values (?, ?, ?, ?)",
            [run.run_id, run.as_of, due_basis, json.dumps(stats.as_dict(), ensure_ascii=False)],
        )
        con.execute("drop table if exists _hedui_rule_hits")
        # committed, and the file checkpointed, before the wording reads the warnings' places (rowid), which the
        # commit of rows added tonight and a checkpoint compacting deleted rows would move
        commit_step(checkpoint=True)
        # the lists' wording of new or changed evidence, in the same transaction unless in steps
        refresh_list_texts(_NamedStatements(con, list_texts), commit_step=commit_step)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return stats
