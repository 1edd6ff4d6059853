"""The masked wording of each open warning's evidence, kept in `alerts.list_texts` so that lists reuse it.

Turning a warning's evidence JSON into the caseworker's words (`evidence_summary`, `evidence_detail`) costs tens
of microseconds per evidence record, and a household's medical warning can quote a hundred settlements: on a
night where little changed, rewording every open warning was most of the time spent writing the lists. The
wording depends on the evidence alone, so it is kept per warning together with the md5 of the evidence it was
made from, and redone only for warnings that are new or whose evidence changed. The lists join it on both the
warning and the md5, so a stale wording is never used (they fall back to wording the evidence on the spot).

Only the masked wording is kept (IDs masked as in every widely circulated output); the full-ID wording of a
household report is made on demand.
"""

from __future__ import annotations

import duckdb

from hedui.deliver.evidence import install_deliver_macros

_DROP_STALE = """
delete from alerts.list_texts as kept
where not exists (
    select 1
    from alerts.warnings as w
    where w.warning_id = kept.warning_id
        and w.status = 'open'
        and md5(cast(w.evidence as varchar)) = kept.evidence_md5
)
"""

_ADD_MISSING = """
insert into alerts.list_texts (warning_id, evidence_md5, summary_masked, detail_masked)
select
    w.warning_id,
    md5(cast(w.evidence as varchar)),
    evidence_summary(w.evidence, false),
    evidence_detail(w.evidence, false)
from alerts.warnings as w
where w.status = 'open'
    and not exists (select 1 from alerts.list_texts as kept where kept.warning_id = w.warning_id)
"""


def refresh_list_texts(con: duckdb.DuckDBPyConnection) -> int:
    """Bring `alerts.list_texts` in line with the open warnings; returns how many were (re)worded."""
    install_deliver_macros(con)
    con.execute(_DROP_STALE)
    return con.execute(_ADD_MISSING).fetchall()[0][0]
