"""SQL macros that turn codes and a warning's evidence JSON into words for caseworkers.

Everything happens in the query (set-based), and every ID-like number in the words is masked with
`mask_ids_in_text` unless the caller asks for full IDs. Install with `install_deliver_macros(con)`; the macros are
temporary (connection scope), so a read-only warehouse works.
"""

from __future__ import annotations

import functools
import hashlib
import json

import duckdb

from connectors import SOURCES
from connectors.sql_text import sql_literal
from hedui.deliver.masking import install_masking_macros

# Each source's department label, from its declaration (connectors/<source>.py); the spec v2 sources are worded
# here too, for a warehouse whose connectors do not declare them yet (a declared label wins).
_CONTRACT_V2_LABELS = {
    "social_insurance": "人社部门社会保险缴费", "benefits": "人社部门社会保险待遇发放",
    "housing_fund": "住房公积金中心", "public_payroll": "财政部门工资统发", "business": "市场监管部门市场主体登记",
    "staff_roster": "民政部门经办人员近亲属备案",
}
SOURCE_LABELS = {**_CONTRACT_V2_LABELS, **{name: source.label for name, source in SOURCES.items()}}
SEVERITY_LABELS = {"high": "高", "medium": "中", "low": "低"}
# The spec's headings (warning-rules.md: hidden assets, new hardship and changes of circumstance, 主动发现);
# `asset` and `change` are older spellings of the first and third.
CATEGORY_LABELS = {
    "hidden_asset": "隐性资产", "hardship": "新增困难", "change_of_circumstance": "情况变化",
    "outreach": "主动发现", "asset": "隐性资产", "change": "情况变化",
    "income": "收入核对", "integrity": "廉政核查（县级复核）",
}
STATUS_LABELS = {
    "open": "待核查", "resolved": "已消除（新数据）", "confirmed": "核查属实", "dismissed": "核查不属实",
    "benefit_adjusted": "已调整待遇",
}
LINK_METHOD_LABELS = {"exact": "证件号一致", "id_normalised": "证件号规范化后一致", "fuzzy": "姓名等信息模糊匹配",
                      "review": "经人工核对确认"}


def _case(expr: str, labels: dict[str, str]) -> str:
    whens = " ".join(f"when '{k}' then '{v}'" for k, v in labels.items())
    return f"case {expr} {whens} else {expr} end"


# DuckDB does not substitute a macro's parameters inside a lambda body, and a macro holding a lambda cannot be
# called from another macro reliably; so the pieces with lambdas are SQL text, composed here, and every lambda
# refers to its own parameter only (a JSON object becomes a list of map entries).
# Field names whose values are citizen IDs or carry one (certificate numbers): masked as a whole when masking,
# whatever shape the value arrived in (spaces, full-width digits), on top of mask_ids_in_text over the text.
ID_FIELD_PATTERN = "身份|证件号|证明号|证号|id_raw|id_norm|person_id"


def _entries_sql(entries: str, value: str, kv_sep: str, sep: str, mask: bool = False) -> str:
    """SQL: map entries `entries` as 'key<kv_sep>value' pairs joined with `sep` (`value` reads `e.value`; a
    NULL value is '（空）'); NULL when `entries` is NULL. With `mask`, values of ID-bearing keys are masked as a
    whole.

    NULL entries are not replaced by an empty list (`coalesce(entries, [])`): in DuckDB 2.0 that coalesce, inside
    the lambda over a warning's records, made the detail of a medical warning ten times slower to word (40 of
    the 42 s that 3,000 warnings citing 446,000 settlements took; 4.5 s without it)."""
    if mask:
        value = f"case when regexp_matches(e.key, '{ID_FIELD_PATTERN}') then mask_id({value}) else {value} end"
    return (
        f"array_to_string(list_transform({entries}, "
        f"lambda e: e.key || '{kv_sep}' || coalesce({value}, '（空）')), '{sep}')"
    )


# One evidence record as a struct, parsed once per warning (json_transform ignores keys not named here):
# extracting each key from the record's JSON text separately parsed it again and again.
RECORD_STRUCTURE = (
    '[{"source": "VARCHAR", "delivery_id": "VARCHAR", "file": "VARCHAR", "row_number": "VARCHAR", '
    '"link_method": "VARCHAR", "link_score": "VARCHAR", "note_zh": "VARCHAR", "fields": "MAP(VARCHAR, VARCHAR)"}]'
)


def _record_text_sql(r: str, mask: bool = False) -> str:
    """SQL: one evidence record (a struct of RECORD_STRUCTURE, `r`) in words."""
    fields = _entries_sql(f"map_entries({r}.fields)", "e.value", "：", "，", mask)
    return (
        f"'【' || coalesce(source_label({r}.source), '未知来源') || '】'"
        f" || '批次 ' || coalesce({r}.delivery_id, '?')"
        f" || '，文件 ' || coalesce({r}.file, '?') || ' 第' || coalesce({r}.row_number, '?') || '行'"
        f" || '；关联方式：' || link_label({r}.link_method, {r}.link_score)"
        f" || coalesce('；核对说明：' || {r}.note_zh, '')"
        f" || coalesce('；' || nullif({fields}, ''), '')"
    )


# The thresholds applied, in words, joined with '；' (the evidence keeps them as {parameter: value}).
_THRESHOLDS_SQL = (
    "array_to_string(list_transform("
    "coalesce(map_entries(cast(cast(ev as json)->'thresholds' as map(varchar, json))), []),"
    " lambda e: threshold_text(e.key, e.value)), '；')"
)


def _records_sql(ev: str) -> str:
    """SQL: the evidence's records as a list of structs."""
    return f"coalesce(json_transform(json_extract(cast({ev} as json), '$.records'), '{RECORD_STRUCTURE}'), [])"


# One record of the evidence (one element of RECORD_STRUCTURE's list).
ONE_RECORD_STRUCTURE = RECORD_STRUCTURE.removeprefix("[").removesuffix("]")


def record_line_masked_sql(rec: str) -> str:
    """SQL: one evidence record (`rec`, a column holding a struct of ONE_RECORD_STRUCTURE) as its masked line of the
    detail: the same text as its line in `evidence_detail(ev, false)`. Masking each line alone masks what the whole
    detail's masking does: an ID-like number never spans a line break."""
    return f"mask_ids_in_text({_record_text_sql(rec, True)})"


def thresholds_masked_sql(ev: str) -> str:
    """SQL: the last line of the masked detail, the thresholds of the evidence `ev` in words (NULL for none): the
    detail of `evidence_detail(ev, false)` is the records' masked lines (`record_line_masked_sql`), then this."""
    return f"mask_ids_in_text('【适用标准】' || evidence_thresholds_text({ev}))"


@functools.lru_cache(maxsize=8)
def _wordings(folder: str) -> tuple[tuple[str, str], ...]:
    from hedui.rules.catalog import load_catalog, threshold_wordings  # the rule engine imports this module

    return tuple(threshold_wordings(load_catalog(folder)).items())


def threshold_wordings_in_force() -> dict[str, str]:
    """The caseworker wording of every threshold of the rule catalog in force ($HEDUI_RULES_DIR or warnings/)."""
    from hedui.rules.catalog import rules_dir

    return dict(_wordings(str(rules_dir())))


# A threshold's value in words: a list as 甲、乙、丙, anything else as its plain text.
_VALUE_TEXT_SQL = (
    "case when json_type(v) = 'ARRAY' then array_to_string(from_json(v, '[\"VARCHAR\"]'), '、')"
    " else json_extract_string(v, '$') end"
)


def _threshold_macro_sql(wordings: dict[str, str]) -> str:
    """`threshold_text(k, v)`: the parameter `k` with its JSON value `v` in the catalog's words (`wording_zh`,
    `{}` replaced by the value); a parameter the catalog does not know keeps its name."""
    if wordings:
        pairs = ", ".join(f"{sql_literal(k)}: {sql_literal(w)}" for k, w in wordings.items())
        lookup = f"map {{{pairs}}}[k]"
    else:
        lookup = "cast(null as varchar)"
    return (f"create or replace temp macro threshold_text(k, v) as ("
            f"coalesce(replace({lookup}, '{{}}', {_VALUE_TEXT_SQL}), k || '：' || {_VALUE_TEXT_SQL}))")


def wording_version(wordings: dict[str, str]) -> str:
    """What the kept wording of the lists (alerts.list_texts) depends on besides the evidence: this module's
    wording and the catalog's threshold words. Part of the md5s that key the kept wording, so that a change of
    either rewords every open warning once instead of leaving old words in the lists."""
    text = WORDING_REVISION + "|" + json.dumps(wordings, ensure_ascii=False, sort_keys=True)
    return hashlib.md5(text.encode("utf-8")).hexdigest()[:12]


# Raise when the wording below changes (the records' or the thresholds' words).
WORDING_REVISION = "4"


def macros_sql() -> list[str]:
    wordings = threshold_wordings_in_force()
    version = wording_version(wordings)
    return [
        _threshold_macro_sql(wordings),
        # the md5s the kept wording is keyed on: the evidence, and the wording it was made with
        f"create or replace temp macro wording_md5(ev) as (md5('{version}|' || cast(ev as varchar)))",
        # one evidence record's line (alerts.list_lines), keyed on the record and the wording it was made with
        f"create or replace temp macro wording_line_key(rec) as (md5_number('{version}|' || cast(rec as varchar)))",
        f"create or replace temp macro source_label(s) as ({_case('s', SOURCE_LABELS)})",
        f"create or replace temp macro severity_zh(s) as ({_case('s', SEVERITY_LABELS)})",
        "create or replace temp macro severity_rank(s) as "
        "(case s when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end)",
        f"create or replace temp macro category_zh(s) as ({_case('s', CATEGORY_LABELS)})",
        f"create or replace temp macro status_zh(s) as ({_case('s', STATUS_LABELS)})",
        "create or replace temp macro link_label(m, score) as (case "
        f"when m is null then '按证件或地址直接比对' "
        f"when m = 'fuzzy' then '{LINK_METHOD_LABELS['fuzzy']}（匹配得分' || coalesce(cast(score as varchar), '?') || '）' "
        f"else {_case('m', LINK_METHOD_LABELS)} end)",
        "create or replace temp macro evidence_thresholds_text(ev) as (nullif(" + _THRESHOLDS_SQL + ", ''))",
        # All records and the thresholds, one line each; IDs not yet masked.
        *[
            f"create or replace temp macro evidence_detail_{variant}(ev) as ("
            "concat_ws(chr(10),"
            " nullif(array_to_string(list_transform("
            "   " + _records_sql("ev") + ","
            "   lambda rec: " + _record_text_sql("rec", variant == "masked") + "), chr(10)), ''),"
            " '【适用标准】' || nullif(" + _THRESHOLDS_SQL + ", '')))"
            for variant in ("raw", "masked")
        ],
        "create or replace temp macro evidence_detail(ev, show_full) as ("
        "case when show_full then evidence_detail_raw(ev) else mask_ids_in_text(evidence_detail_masked(ev)) end)",
        "create or replace temp macro evidence_summary(ev, show_full) as ("
        "case when show_full then json_extract_string(cast(ev as json), '$.summary_zh')"
        " else mask_ids_in_text(json_extract_string(cast(ev as json), '$.summary_zh')) end)",
    ]


def detail_lines(detail: str | None) -> list[str]:
    """The evidence detail (one record per line, each starting with 【source】, then 【适用标准】) as one entry per
    record: a line not starting with 【 continues the one before (a field value holding a line break), so the
    entries joined with line breaks give the detail back."""
    lines: list[str] = []
    for line in (detail or "").split("\n"):
        if lines and not line.startswith("【"):
            lines[-1] += "\n" + line
        else:
            lines.append(line)
    return [line for line in lines if line.strip()]


def install_deliver_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Install the masking macros and the wording macros on `con`, unless this wording is installed already.

    Creating the macros takes a tenth of a second; a report per household, or a test rendering every household
    of a city, would pay it each time. Once they are all created, a temporary table named for the wording
    version marks them. A table, not a session variable: creating it is undone with the macros when the
    transaction they were made in rolls back (the rules stage words the lists inside its own), which a variable
    is not; and finding it in duckdb_tables() takes under a millisecond, where looking a macro up in
    duckdb_functions() took 17-45 ms."""
    marker = "_hd_deliver_macros_" + wording_version(threshold_wordings_in_force())
    installed = con.execute("select count(*) from duckdb_tables() where temporary and table_name = ?",
                            [marker]).fetchall()
    if installed[0][0]:
        return
    install_masking_macros(con)
    for stmt in macros_sql():
        con.execute(stmt)
    con.execute(f"create temp table if not exists {marker} (installed boolean)")
