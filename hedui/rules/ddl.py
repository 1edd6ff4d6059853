"""The `alerts` schema: warnings, their history, caseworker outcomes, and the contract view `main.warnings`.

Idempotent: every statement is `create ... if not exists` or `create or replace view`, and the comments are
re-applied, so running it on every night's working copy is safe.
"""

from __future__ import annotations

CLOSED_BY_OUTCOME = ("confirmed", "dismissed", "benefit_adjusted")
STATUSES = ("open", "resolved", *CLOSED_BY_OUTCOME)

LIST_TEXTS_TABLE = """
create table if not exists alerts.list_texts (
    warning_id varchar not null,
    evidence_md5 varchar not null,
    summary_masked varchar,
    detail_masked varchar,
    detail_md5 varchar
);
alter table alerts.list_texts add column if not exists detail_md5 varchar;
"""

_TABLES = """
create schema if not exists alerts;

create table if not exists alerts.warnings (
    warning_id varchar primary key,
    rule_code varchar not null,
    title_zh varchar,
    category varchar,
    level varchar,
    subject_key varchar not null,
    episode_seq integer not null,
    household_id varchar,
    person_id varchar,
    person_name varchar,
    county varchar,
    township varchar,
    severity varchar not null,
    status varchar not null,
    first_raised_on date not null,
    last_seen_on date not null,
    due_on date not null,
    due_basis varchar not null,
    resolved_on date,
    closed_on date,
    closed_reason varchar,
    summary_zh varchar,
    evidence json,
    evidence_fingerprint varchar not null,
    reopened_from varchar,
    raised_run_id varchar not null,
    updated_run_id varchar not null
);

create table if not exists alerts.warning_events (
    warning_id varchar not null,
    run_id varchar,
    as_of date not null,
    event varchar not null,
    status_after varchar not null,
    detail json,
    recorded_at timestamp not null default current_timestamp
);

create table if not exists alerts.outcomes (
    warning_id varchar not null,
    outcome varchar not null,
    reason varchar,
    recorded_by varchar,
    recorded_at timestamp not null default current_timestamp,
    as_of date not null,
    evidence_fingerprint varchar not null,
    origin varchar
);

create table if not exists alerts.outcome_corrections (
    warning_id varchar not null,
    previous_outcome varchar not null,
    previous_reason varchar,
    previous_recorded_by varchar,
    previous_as_of date,
    outcome varchar not null,
    reason varchar not null,
    corrected_by varchar,
    as_of date not null,
    corrected_at timestamp not null default current_timestamp
);

create table if not exists alerts.rule_runs (
    run_id varchar primary key,
    as_of date not null,
    finished_at timestamp not null default current_timestamp,
    due_basis varchar,
    stats json
);

{list_texts}
create or replace view main.warnings as
select {view_columns}
from alerts.warnings;
"""

# The warning list contract (warning-rules.md) first, then what analysts filter and read.
WARNINGS_VIEW_COLUMNS = (
    "warning_id", "rule_code", "household_id", "person_id", "township", "severity", "status", "first_raised_on",
    "last_seen_on", "due_on", "evidence", "title_zh", "category", "county", "person_name", "summary_zh",
    "due_basis", "resolved_on", "closed_on", "closed_reason", "evidence_fingerprint", "reopened_from",
)

_COMMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "alerts.warnings": (
        "Every warning ever raised, one row per warning (one episode of a rule holding for a subject), in its current state",
        {
            "warning_id": "Stable id: hash of rule code, household, person, episode start and episode number",
            "rule_code": "Code of the rule in warnings/<code>.sql",
            "title_zh": "Chinese title of the rule",
            "category": "hidden_asset, hardship, change_of_circumstance or outreach",
            "level": "member, household or person: what the subject of the rule is",
            "subject_key": "rule_code|household_id|person_id: the subject whose episodes share it",
            "episode_seq": "1 for the first episode of the subject, 2 after it was closed and raised again, ...",
            "household_id": "家庭编号; null for outreach",
            "person_id": "Normalised 18-character ID of the member or person; null for household-level rules",
            "person_name": "Display name of the member, person or household head",
            "county": "区县 of the caseworker unit",
            "township": "乡镇街道 that receives the warning; null for unrouted outreach",
            "severity": "high, medium or low",
            "status": "open, resolved, or a caseworker outcome: confirmed, dismissed, benefit_adjusted",
            "first_raised_on": "As-of date of the run that first raised it",
            "last_seen_on": "As-of date of the latest run in which the condition held",
            "due_on": "first_raised_on plus the verification period in working days",
            "due_basis": "Calendar behind due_on: official_calendar, center_calendar or weekdays_fallback",
            "resolved_on": "As-of date of the run whose fresh data no longer showed the condition",
            "closed_on": "Date a caseworker outcome closed it",
            "closed_reason": "Caseworker's reason (required for a dismissal)",
            "summary_zh": "One sentence in Chinese for the caseworker",
            "evidence": "JSON: records (source, delivery, file, row, key, link, fields), facts and applied thresholds",
            "evidence_fingerprint": "sha256 of the evidence records' sources, keys and field values (not of the run)",
            "reopened_from": "warning_id of the closed or resolved episode this one follows",
            "raised_run_id": "Run that raised it",
            "updated_run_id": "Run that last changed it",
        },
    ),
    "alerts.warning_events": (
        "History of every warning: one row per change (raised, reopened, evidence_changed, resolved, outcome)",
        {
            "warning_id": "The warning that changed",
            "run_id": "Run that made the change; null for an outcome recorded outside a run",
            "as_of": "As-of date of the run, or the date of the outcome",
            "event": "raised, reopened, evidence_changed, resolved, outcome or outcome_corrected",
            "status_after": "Status of the warning after the change",
            "detail": "JSON detail: previous warning, old and new fingerprint, outcome and reason",
            "recorded_at": "Wall-clock time the row was written (UTC)",
        },
    ),
    "alerts.outcomes": (
        "Caseworker outcomes of verified warnings: one row per warning, the outcome in force (a correction replaces it and keeps the one before in alerts.outcome_corrections)",
        {
            "warning_id": "The warning verified",
            "outcome": "confirmed, dismissed or benefit_adjusted",
            "reason": "Caseworker's reason or note (required for a dismissal)",
            "recorded_by": "Who recorded it (user or file)",
            "recorded_at": "Wall-clock time it was recorded (UTC)",
            "as_of": "Date the outcome counts from",
            "evidence_fingerprint": "Fingerprint of the evidence the caseworker saw",
            "origin": "manual, or the name of the imported workbook",
        },
    ),
    "alerts.outcome_corrections": (
        "Corrections of caseworker outcomes (hedui outcome correct): one row per correction, the outcome before and after; alerts.outcomes holds the outcome in force",
        {
            "warning_id": "The warning whose outcome was corrected",
            "previous_outcome": "The outcome before the correction: confirmed, dismissed or benefit_adjusted",
            "previous_reason": "Its reason",
            "previous_recorded_by": "Who had recorded it",
            "previous_as_of": "The date it counted from",
            "outcome": "The outcome after the correction",
            "reason": "Why it was corrected (required)",
            "corrected_by": "Who corrected it",
            "as_of": "Date the corrected outcome counts from",
            "corrected_at": "Wall-clock time of the correction",
        },
    ),
    "alerts.list_texts": (
        "The caseworker lists' wording of each open warning's evidence, IDs masked (kept so that a night rewords only new or changed evidence)",
        {
            "warning_id": "The open warning",
            "evidence_md5": "md5 of the evidence the wording was made from; a wording whose md5 differs is never used",
            "summary_masked": "证据说明 of the lists: the summary sentence with IDs masked",
            "detail_masked": "证据明细 of the lists: every evidence record and the thresholds in words, IDs masked",
            "detail_md5": "md5 of the records and thresholds detail_masked was made from: a night that changes only the summary (a moving window's dates) keeps the detail",
        },
    ),
    "alerts.rule_runs": (
        "Runs of the rule engine: the as-of dates already processed, and their counts",
        {
            "run_id": "The run",
            "as_of": "Its as-of date; an earlier date than the latest is refused",
            "finished_at": "Wall-clock time it finished (UTC)",
            "due_basis": "Calendar basis of the due dates set in the run",
            "stats": "JSON counts per rule: new, still_open, resolved, suppressed, held, deferred",
        },
    ),
}

_VIEW_COMMENT = "The warning list contract (warning-rules.md): one row per warning, with the contract columns first"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ensure_alerts_schema(con) -> None:
    """Create the alerts tables and the `main.warnings` view if they do not exist, with their comments."""
    con.execute(_TABLES.replace("{list_texts}", LIST_TEXTS_TABLE)
                .replace("{view_columns}", ",\n    ".join(WARNINGS_VIEW_COLUMNS)))
    statements = []
    for table, (table_comment, columns) in _COMMENTS.items():
        statements.append(f"comment on table {table} is {_quote(table_comment)};")
        for column, comment in columns.items():
            statements.append(f"comment on column {table}.{column} is {_quote(comment)};")
    statements.append(f"comment on view main.warnings is {_quote(_VIEW_COMMENT)};")
    # `create or replace view` dropped the view's column comments: each column says what its alerts.warnings
    # column says.
    table_columns = _COMMENTS["alerts.warnings"][1]
    statements += [f"comment on column main.warnings.{column} is {_quote(table_columns[column])};"
                   for column in WARNINGS_VIEW_COLUMNS]
    con.execute("\n".join(statements))
