"""The masked wording of each open warning's evidence, kept in `alerts.list_texts` so that lists reuse it.

Turning a warning's evidence JSON into the caseworker's words (`evidence_summary`, `evidence_detail`) costs tens
of microseconds per evidence record, and a household's medical warning can quote hundreds of settlements: on a
night where little changed, rewording every open warning was most of the time spent writing the lists. The
wording depends on the evidence alone, so it is kept per warning together with the md5 of the evidence it was
made from, and redone only for warnings that are new or whose evidence changed. The lists join it on both the
warning and the md5, so a stale wording is never used (they fall back to wording the evidence on the spot).

The detail (证据明细, every record in words, the costly part) is kept as one line per record in
`alerts.list_lines`, keyed by the record itself (`wording_line_key`: the md5 of its JSON and of the wording's
version), and each warning keeps its records' keys in order (`line_keys`). A warning whose evidence gains a
record, as a household's medical warning does with each week's settlements, then has that record worded, not the
hundreds it already cited, and the night writes the new lines and the warning's keys, not its whole detail again.
On the heavy bench city's typical night, 2% of the records cited by the warnings to word were new, and wording
every record of each changed warning again, with the commits writing the details, was half the warnings stage.
A record cited by several warnings is one line (the income records behind a household's INCOME_ABOVE_STANDARD
and INCOME_UNDERDECLARED warnings: 4,148 of the heavy bench tenth's 1.8 million lines).
`kept_wording_sql` puts a warning's detail together again, from lines that are all there or not at all.

Only the masked wording is kept (IDs masked as in every widely circulated output); the full-ID wording of a
household report is made on demand.
"""

from __future__ import annotations

import logging

import duckdb

from hedui.deliver.evidence import (
    ONE_RECORD_STRUCTURE,
    install_deliver_macros,
    record_line_masked_sql,
    thresholds_masked_sql,
)
from hedui.evidence_batches import (
    JSON_BYTES_PER_RECORD,
    WORDING_SHARE_OF_MEMORY_LIMIT,
    evidence_batches,
    place_ranges,
)
from hedui.step_commits import NO_STEP_COMMITS, StepCommits

log = logging.getLogger(__name__)

_TO_WORD_SIZE = "select count(*), coalesce(sum(evidence_bytes), 0) from _to_word"

_DROP_CLOSED = """
delete from alerts.list_texts as kept
where not exists (
    select 1
    from alerts.warnings as w
    where w.warning_id = kept.warning_id
        and w.status = 'open'
)
"""

# The open warnings whose wording must be made again or for the first time, found in one pass over the open
# warnings that computes each evidence's md5 (a short value, however long the evidence): the costly wording is then
# done, batch by batch, for these alone. Batching the pass itself (as the wording must be) read every open
# warning's evidence once per batch, on nights where a few hundred of 27,000 needed new words.
# Each keeps its row's place in alerts.warnings (`rowid`): a batch is a range of places, which DuckDB's scan of
# the warnings skips to, where a batch by a hash of the warning id read every warning's evidence again
# (34 s a batch, 22 batches, on the heavy bench city's first night).
_TO_WORD = """
create or replace temp table _to_word as
select
    w.warning_id,
    w.warning_row,
    w.evidence_md5,
    w.evidence_bytes,
    before.warning_id is not null as kept_before
from (
    select
        warning_id,
        rowid as warning_row,
        wording_md5(evidence) as evidence_md5,
        strlen(cast(evidence as varchar)) as evidence_bytes
    from alerts.warnings
    where status = 'open'
) as w
left join alerts.list_texts as before
    on before.warning_id = w.warning_id
where before.warning_id is null
    or before.evidence_md5 <> w.evidence_md5
"""

# The warnings of one batch to word, new or kept, their evidence read once: the summary and the thresholds in
# words, and the records, as JSON, for `_BATCH_RECORDS`.
_BATCH = """
create or replace temp table _batch as
select
    w.warning_id,
    to_word.evidence_md5,
    to_word.kept_before,
    evidence_summary(w.evidence, false) as summary_masked,
    {thresholds} as thresholds_masked,
    cast(json_extract(cast(w.evidence as json), '$.records') as json[]) as records
from _to_word as to_word
inner join alerts.warnings as w
    on w.warning_id = to_word.warning_id
where to_word.warning_row >= $first_row and to_word.warning_row < $end_row
    and w.rowid >= $first_row and w.rowid < $end_row
""".format(thresholds=thresholds_masked_sql("w.evidence"))

# The batch's records, one row each in the evidence's order, with the key of their line; the JSON of a record is
# kept only when its line is not in alerts.list_lines yet (IN, not a join: a key is tested, never repeated).
_BATCH_RECORDS = """
create or replace temp table _batch_records as
select
    warning_id,
    record_no,
    line_key,
    case when line_key in (select line_key from alerts.list_lines) then null else record end as record
from (
    select
        warning_id,
        record_no,
        record,
        wording_line_key(record) as line_key
    from (
        select
            warning_id,
            unnest(records) as record,
            unnest(range(1, len(records) + 1)) as record_no
        from _batch
    )
)
"""

# The records not worded yet, each worded once (the same text as its line in `evidence_detail(ev, false)`,
# `hedui.deliver.evidence.record_line_masked_sql`). A record per row, not the whole list turned into text inside
# a lambda: 2,303 warnings citing 210,000 records were worded in 2.5 s instead of 4.1 s, the masking of each short
# line costing less than that of one long text.
_INSERT_NEW_LINES = """
insert into alerts.list_lines (line_key, line)
select
    line_key,
    {line}
from (
    select
        line_key,
        json_transform(any_value(record), '{one_record}') as rec
    from _batch_records
    where record is not null
    group by line_key
)
""".format(line=record_line_masked_sql("rec"), one_record=ONE_RECORD_STRUCTURE)

_WORDED = """
create or replace temp table _worded as
select
    batch.warning_id,
    batch.evidence_md5,
    batch.summary_masked,
    batch.thresholds_masked,
    coalesce(records.line_keys, cast([] as uhugeint[])) as line_keys,
    batch.kept_before
from _batch as batch
left join (
    select
        warning_id,
        list(line_key order by record_no) as line_keys
    from _batch_records
    group by warning_id
) as records
    on records.warning_id = batch.warning_id
"""

# The kept wordings worded again are replaced (deleted, inserted again), not updated: DuckDB keeps a transaction's
# updated values in memory, and on a night where every medical warning's evidence changes (a full run, a wording
# changed), an update of all their rows did not fit the memory limit.
_DELETE_REWORDED = """
delete from alerts.list_texts
where warning_id in (select warning_id from _worded where kept_before)
"""

_INSERT_WORDED = """
insert into alerts.list_texts (warning_id, evidence_md5, summary_masked, thresholds_masked, line_keys)
select warning_id, evidence_md5, summary_masked, thresholds_masked, line_keys
from _worded
"""

_DROP_BATCH_TABLES = """
drop table if exists _batch;
drop table if exists _batch_records;
drop table if exists _worded
"""

# The lines no kept wording cites any more (their warnings closed, or reworded without them).
_FORGET_UNCITED_LINES = """
delete from alerts.list_lines as kept
where not exists (
    select 1
    from (select unnest(line_keys) as line_key from alerts.list_texts) as cited
    where cited.line_key = kept.line_key
)
"""

# The kept wording of the warnings `{warnings}` (a query of warning IDs) as the lists show it: the summary, and the
# detail, the records' lines in the evidence's order, then the thresholds, one per line (what
# `evidence_detail(ev, false)` gives). The lines of only these warnings are read: a detail is put together by
# string_agg, which holds every line it aggregates in memory. A wording one of whose lines is missing is left out,
# never shown short: the lists then word that evidence on the spot.
_KEPT_WORDING = """
with

texts as (
    select warning_id, evidence_md5, summary_masked, thresholds_masked, line_keys
    from alerts.list_texts
    where warning_id in ({warnings})
),

lines as (
    select
        keys.warning_id,
        string_agg(kept.line, chr(10) order by keys.record_no) as joined,
        count(*) as lines
    from (
        select warning_id, unnest(line_keys) as line_key, generate_subscripts(line_keys, 1) as record_no
        from texts
    ) as keys
    inner join alerts.list_lines as kept
        on kept.line_key = keys.line_key
    group by keys.warning_id
)

select
    texts.warning_id,
    texts.evidence_md5,
    texts.summary_masked,
    concat_ws(chr(10), nullif(lines.joined, ''), texts.thresholds_masked) as detail_masked
from texts
left join lines
    on lines.warning_id = texts.warning_id
where coalesce(lines.lines, 0) = len(texts.line_keys)
"""


def kept_wording_sql(warnings: str) -> str:
    """SQL: the kept wording (warning_id, evidence_md5, summary_masked, detail_masked) of the warnings whose IDs the
    query `warnings` gives; join it on the evidence's md5 too (`wording_md5(evidence)`), so as never to show a
    wording of other evidence."""
    return _KEPT_WORDING.format(warnings=warnings)


def refresh_list_texts(con: duckdb.DuckDBPyConnection, batches: int | None = None,
                       commit_step: StepCommits = NO_STEP_COMMITS) -> int:
    """Bring `alerts.list_texts` in line with the open warnings; returns how many were (re)worded.

    The warnings are worded in `batches` batches (ranges of their rows' places in alerts.warnings, with about as
    much evidence to word in each; by default from the evidence to word and the memory limit,
    `hedui.evidence_batches`): the wording of a warning citing hundreds of records is long, and DuckDB holds a
    vector of such rows at once. `commit_step` is called after each batch (`hedui.step_commits`: in the night it
    commits, which frees the batch's evidence and wording). The lines no wording cites any more are then removed.

    A place (rowid) is where a row is now, not a name: warnings added in the same transaction move when it
    commits (the night commits the lifecycle before the wording), and a checkpoint that compacts deleted rows
    moves the rows after them (DuckDB 2.0 compacts tables with indexes too), which a commit between batches can
    set off. So the wording ends by checking that every warning it was to word now has its wording, and words
    again, from their places read afresh, those it missed."""
    install_deliver_macros(con)
    (closed,) = con.execute(_DROP_CLOSED).fetchone()
    worded, missed = _word_in_batches(con, batches, commit_step)
    if missed:
        log.info("the warnings' places moved during the wording; %d warning(s) worded in a second pass", missed)
        worded += _word_in_batches(con, batches, commit_step)[0]
    if closed or worded:
        con.execute(_FORGET_UNCITED_LINES)
    return worded


def _word_in_batches(con: duckdb.DuckDBPyConnection, batches: int | None,
                     commit_step: StepCommits) -> tuple[int, int]:
    """One pass: the warnings to word, worded batch by batch; returns how many were worded, and how many of those
    to word are still without their wording (their places moved: `refresh_list_texts`)."""
    con.execute(_TO_WORD)
    warnings, evidence_bytes = con.execute(_TO_WORD_SIZE).fetchone()
    if not warnings:
        con.execute("drop table _to_word")
        return 0, 0
    batches = batches or evidence_batches(con, evidence_bytes // JSON_BYTES_PER_RECORD + 1, warnings,
                                          share=WORDING_SHARE_OF_MEMORY_LIMIT)
    worded = 0
    for first_row, end_row in _row_ranges(con, batches, evidence_bytes):
        con.execute(_BATCH, {"first_row": first_row, "end_row": end_row})
        con.execute(_BATCH_RECORDS)
        con.execute(_INSERT_NEW_LINES)
        con.execute(_WORDED)
        con.execute(_DELETE_REWORDED)
        worded += con.execute(_INSERT_WORDED).fetchall()[0][0]
        con.execute(_DROP_BATCH_TABLES)
        commit_step()
    (missed,) = con.execute(_NOT_WORDED).fetchone()
    con.execute("drop table _to_word")
    return worded, missed


# The warnings the pass was to word that have no wording of their evidence: none, unless their places moved.
_NOT_WORDED = """
select count(*)
from _to_word as to_word
anti join alerts.list_texts as texts
    on texts.warning_id = to_word.warning_id
    and texts.evidence_md5 = to_word.evidence_md5
"""


def _row_ranges(con, batches: int, evidence_bytes: int) -> list[tuple[int, int]]:
    """The batches as ranges [first, end) of places in alerts.warnings, each holding about as much evidence to word.
    The places of the warnings added tonight are far above the others (DuckDB numbers a transaction's new rows from
    far above the table's: 36,028,797,018,960,000 in DuckDB 2.0), so the ranges follow the places to word, not
    equal spans of places (a medical warning quoting hundreds of settlements weighs a hundred of another rule's, and
    the warnings of one rule sit together in the table). `evidence_bytes`: the evidence to word in all."""
    return place_ranges(con, "_to_word", "warning_row", "evidence_bytes", -(-int(evidence_bytes) // batches))
