"""A record linked by a reviewer says so in the warnings' evidence: its `link_method` is `review` (worded
经人工核对确认, `hedui.deliver.evidence`) and its `note_zh` names who confirmed it and when.

The rules put `links.method` in every evidence record; who decided is in `linked.review_links`, which the rules
do not read. Rather than every rule joining it, the engine adds the note to tonight's hits once, in one set-based
statement over the hits that quote a review link. The note is not part of the evidence fingerprint (which covers
the records' sources, keys and fields), so it never reopens a warning by itself.
"""

from __future__ import annotations

import duckdb

from hedui.warehouse.schema import table_exists

# `_hedui_rule_hits`' evidence with each review-linked record's note: a map from source|record_key to the note,
# looked up inside the lambda that rewrites the records of the hits that quote a review link.
NOTE_REVIEW_LINKS = """
update _hedui_rule_hits
set evidence = json_merge_patch(_hedui_rule_hits.evidence, json_object('records', to_json(list_transform(
    cast(json_extract(_hedui_rule_hits.evidence, '$.records') as json[]),
    lambda rec: case
        when (rec->>'link_method') = 'review'
        then json_merge_patch(rec, json_object('note_zh', notes.by_record[(rec->>'source') || '|' || (rec->>'record_key')]))
        else rec
    end
))))
from (
    select map(
        list(source || '|' || record_key),
        list('经人工核对确认为同一人（核对人：' || reviewer || '，' || strftime(decided_at, '%Y-%m-%d') || '）')
    ) as by_record
    from linked.review_links
) as notes
where contains(cast(_hedui_rule_hits.evidence as varchar), '"review"')
"""


def note_review_links(con: duckdb.DuckDBPyConnection) -> None:
    """Add to every evidence record linked by a reviewer who confirmed it and when (`_hedui_rule_hits`, in place)."""
    if not table_exists(con, "linked.review_links"):
        return
    if not con.execute("select exists (select 1 from linked.review_links)").fetchone()[0]:
        return
    con.execute(NOTE_REVIEW_LINKS)
