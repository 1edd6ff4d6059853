"""The masked wording of each open warning's evidence, kept in `alerts.list_texts` so that lists reuse it.

Turning a warning's evidence JSON into the caseworker's words (`evidence_summary`, `evidence_detail`) costs tens
of microseconds per evidence record, and a household's medical warning can quote a hundred settlements: on a
night where little changed, rewording every open warning was most of the time spent writing the lists. The
wording depends on the evidence alone, so it is kept per warning together with the md5 of the evidence it was
made from, and redone only for warnings that are new or whose evidence changed; the detail (every record in
words, the costly part) only when the records or thresholds changed. The lists join it on both the warning and
the md5, so a stale wording is never used (they fall back to wording the evidence on the spot).

Only the masked wording is kept (IDs masked as in every widely circulated output); the full-ID wording of a
household report is made on demand.
"""

from __future__ import annotations

import logging

import duckdb

from hedui.deliver.evidence import (
    ONE_RECORD_STRUCTURE,
    detail_from_lines_sql,
    install_deliver_macros,
    record_line_masked_sql,
)
from hedui.evidence_batches import (
    JSON_BYTES_PER_RECORD,
    WORDING_SHARE_OF_MEMORY_LIMIT,
    evidence_batches,
    place_ranges,
)
from hedui.step_commits import NO_STEP_COMMITS, StepCommits

log = logging.getLogger(__name__)

# What the detail wording reads: the records and the thresholds, not the summary or the facts. A warning whose
# summary or facts change while its records stay the same (a total restated, a resend's new delivery) keeps its
# costly detail; keyed on these alone, the detail is reworded only when they change.
# Both md5s also cover the wording's version (`wording_md5`, `wording_detail_md5` in evidence.py): new words for
# the thresholds, or a rule file's changed `wording_zh`, reword every kept text once.
_DETAIL_MD5 = "wording_detail_md5({ev})"

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
    before.warning_id is not null as kept_before,
    before.detail_md5 as before_detail_md5
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

# The warnings of one batch to word, new or kept, read once: their evidence, and for a kept one the md5 of the
# records and thresholds its kept detail was made from (read in `_TO_WORD`, a short value). The kept detail itself
# is never read: joining the kept wordings to the batch read every kept detail, the whole table's longest column,
# once per batch (on the heavy bench city's typical night, 54,262 warnings were reworded at 37 a second in 281
# batches, against 550 a second on its first night, when nothing was kept).
_BATCH = """
create or replace temp table _batch as
select
    *,
    kept_before and before_detail_md5 is not distinct from detail_md5 as detail_kept
from (
    select
        w.warning_id,
        w.evidence,
        to_word.evidence_md5,
        to_word.kept_before,
        to_word.before_detail_md5,
        {detail_md5} as detail_md5
    from _to_word as to_word
    inner join alerts.warnings as w
        on w.warning_id = to_word.warning_id
    where to_word.warning_row >= $first_row and to_word.warning_row < $end_row
        and w.rowid >= $first_row and w.rowid < $end_row
)
""".format(detail_md5=_DETAIL_MD5.format(ev="w.evidence"))

# Kept warnings whose records and thresholds are the ones their kept detail was made from: only the summary (a
# moving window's dates, a total restated) and the evidence's md5 change, an update of two short columns.
_UPDATE_RESUMMARISED = """
update alerts.list_texts as kept
set
    evidence_md5 = batch.evidence_md5,
    summary_masked = evidence_summary(batch.evidence, false)
from _batch as batch
where batch.detail_kept
    and kept.warning_id = batch.warning_id
"""

# The others' records, one row each in the evidence's order, worded line by line (the same text as
# `evidence_detail(ev, false)`, `hedui.deliver.evidence.record_line_masked_sql`), then joined per warning. Selected
# by WHERE, not as the branch of a CASE (or an argument of coalesce), where DuckDB worded every row's detail,
# whichever branch the row took. A record per row, not the whole list turned into text inside a lambda: 2,303
# warnings citing 210,000 records were worded in 2.5 s instead of 4.1 s, the masking of each short line costing
# less than that of one long text.
_RECORD_LINES = """
create or replace temp table _record_lines as
select
    warning_id,
    record_no,
    {line} as line
from (
    select
        warning_id,
        record_no,
        json_transform(record, '{one_record}') as rec
    from (
        select
            warning_id,
            unnest(records) as record,
            unnest(range(1, len(records) + 1)) as record_no
        from (
            select
                warning_id,
                cast(json_extract(cast(evidence as json), '$.records') as json[]) as records
            from _batch
            where not detail_kept
        )
    )
)
""".format(line=record_line_masked_sql("rec"), one_record=ONE_RECORD_STRUCTURE)

_WORDED = """
create or replace temp table _worded as
select
    batch.warning_id,
    batch.evidence_md5,
    evidence_summary(batch.evidence, false) as summary_masked,
    {detail} as detail_masked,
    batch.detail_md5,
    batch.kept_before
from _batch as batch
left join (
    select
        warning_id,
        string_agg(line, chr(10) order by record_no) as lines
    from _record_lines
    group by warning_id
) as records
    on records.warning_id = batch.warning_id
where not batch.detail_kept
""".format(detail=detail_from_lines_sql("records.lines", "batch.evidence"))

# The kept wordings worded again are replaced (deleted, inserted again), not updated: DuckDB keeps a transaction's
# updated values in memory, and on a night where every medical warning's evidence changes (a full run, a wording
# changed), an update of all their details did not fit the memory limit.
_DELETE_REWORDED = """
delete from alerts.list_texts
where warning_id in (select warning_id from _worded where kept_before)
"""

_INSERT_WORDED = """
insert into alerts.list_texts (warning_id, evidence_md5, summary_masked, detail_masked, detail_md5)
select warning_id, evidence_md5, summary_masked, detail_masked, detail_md5
from _worded
"""

_DROP_BATCH_TABLES = """
drop table if exists _batch;
drop table if exists _record_lines;
drop table if exists _worded
"""


def refresh_list_texts(con: duckdb.DuckDBPyConnection, batches: int | None = None,
                       commit_step: StepCommits = NO_STEP_COMMITS) -> int:
    """Bring `alerts.list_texts` in line with the open warnings; returns how many were (re)worded.

    The warnings are worded in `batches` batches (ranges of their rows' places in alerts.warnings, with about as
    much evidence to word in each; by default from the evidence to word and the memory limit,
    `hedui.evidence_batches`): the wording of a warning citing hundreds of records is long, and DuckDB holds a
    vector of such rows at once. `commit_step` is called after each batch (`hedui.step_commits`: in the night it
    commits, which frees the batch's evidence and wording).

    A place (rowid) is where a row is now, not a name: warnings added in the same transaction move when it
    commits (the night commits the lifecycle before the wording), and a checkpoint that compacts deleted rows
    moves the rows after them (DuckDB 2.0 compacts tables with indexes too), which a commit between batches can
    set off. So the wording ends by checking that every warning it was to word now has its wording, and words
    again, from their places read afresh, those it missed."""
    worded, missed = _word_in_batches(con, batches, commit_step)
    if missed:
        log.info("the warnings' places moved during the wording; %d warning(s) worded in a second pass", missed)
        worded += _word_in_batches(con, batches, commit_step)[0]
    return worded


def _word_in_batches(con: duckdb.DuckDBPyConnection, batches: int | None,
                     commit_step: StepCommits) -> tuple[int, int]:
    """One pass: the warnings to word, worded batch by batch; returns how many were worded, and how many of those
    to word are still without their wording (their places moved: `refresh_list_texts`)."""
    install_deliver_macros(con)
    con.execute(_DROP_CLOSED)
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
        worded += con.execute(_UPDATE_RESUMMARISED).fetchall()[0][0]
        con.execute(_RECORD_LINES)
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
