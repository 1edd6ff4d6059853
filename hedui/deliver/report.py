"""The verification report (核对报告) of one household: everything the departments say about its members, the
totals against the policy thresholds, and the household's warnings with their evidence.

The report applies the rules' own parameters under the policy it runs under (`hedui report --policy`, the same
file the nightly takes): the totals are checked against `rules.<CODE>` of that policy over the rule files'
defaults, and severe disability is the rules' shared definition (`hedui.rules.shared_definitions`). A warning
shows the thresholds it was raised under, from its evidence.

`render_household_report` writes an HTML document (jinja2 template `templates/household_report.html.j2`, print
CSS with page breaks) and a PDF (reportlab, see `report_pdf`: it embeds its Chinese font, splits long tables
across pages, numbers its pages). Without reportlab installed it writes an .xlsx instead of the PDF. IDs are
masked unless `show_full_ids=True` (for the caseworker handling the case, on request).
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from hedui.deliver.evidence import SOURCE_LABELS, install_deliver_macros
from hedui.income.model import household_income
from hedui.income.settings import income_settings
from hedui.policy import Policy, load_policy
from hedui.rules.catalog import Rule, load_catalog
from hedui.rules.shared_definitions import (
    SEVERE_DISABILITY_PARAMETERS,
    check_shared_parameters,
    install_rule_macros,
)

# (header, key) per department table, shared by the HTML, PDF and XLSX renderers.
SECTION_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "housing": [("成员", "member"), ("不动产单元号", "unit_no"), ("权利人", "owner"), ("共有方式", "co_ownership"),
                ("坐落", "address"), ("规划用途", "use_type"), ("建筑面积(m²)", "floor_area"),
                ("登记日期", "registered_on"), ("权属状态", "title_status"), ("关联方式", "link")],
    "vehicle": [("成员", "member"), ("号牌号码", "plate"), ("号牌种类", "plate_type"), ("车辆类型", "vehicle_type"),
                ("所有人", "owner"), ("使用性质", "use_nature"), ("初次登记日期", "registered_on"),
                ("机动车状态", "vehicle_status"), ("豁免车型", "exempt"), ("关联方式", "link")],
    "medical": [("成员", "member"), ("结算流水号", "settlement_id"), ("结算类型", "settlement_type"),
                ("原结算流水号", "original_settlement_id"), ("医疗类别", "care_type"), ("结算日期", "settled_on"),
                ("医疗机构", "institution"), ("主诊断", "diagnosis_code"), ("诊断名称", "diagnosis_name"),
                ("总费用", "total_cost"), ("统筹支付", "fund_paid"), ("大病保险", "critical_illness_paid"),
                ("医疗救助", "assistance_paid"), ("个人自付", "out_of_pocket")],
    "disability": [("成员", "member"), ("残疾人证号", "cert_no"), ("残疾类别", "category"), ("残疾等级", "grade"),
                   ("发证日期", "issued_on"), ("证件状态", "cert_status"), ("救助系统记录等级", "grade_known"),
                   ("重度残疾", "severe"), ("关联方式", "link")],
    "death": [("成员", "member"), ("死亡日期", "died_on"), ("注销日期", "deregistered_on"), ("关联方式", "link")],
}
# The department tables' headings: the declared labels (connectors/<source>.py), in the order of the sections.
SOURCE_TITLES = {source: SOURCE_LABELS[source] for source in SECTION_COLUMNS}
MEMBER_COLUMNS = [("姓名", "person_name"), ("身份证号", "person_id"), ("性别", "sex"), ("出生日期", "birth_date"),
                  ("年龄", "age"), ("与户主关系", "relation"), ("救助系统记录残疾等级", "disability_grade")]
HOUSEHOLD_FIELDS = [("家庭编号", "household_id"), ("户主姓名", "head_name"), ("户主身份证号", "head_id"),
                    ("保障类别", "category"), ("状态", "status"), ("区县", "county"), ("乡镇街道", "township"),
                    ("村社区", "village"), ("家庭人口", "household_size"), ("申请日期", "applied_on"),
                    ("纳入日期", "enrolled_on"), ("月保障金(元)", "monthly_benefit"),
                    ("申报月收入(元)", "declared_monthly_income"), ("数据批次", "delivery_id")]


# The 收入核对 section's tables: (header, key).
INCOME_MONTH_COLUMNS = [("成员", "person_name"), ("月份", "month"), ("社保缴费基数", "social_insurance_base"),
                        ("公积金缴存基数", "housing_fund_base"), ("财政统发应发工资", "public_payroll_pay"),
                        ("社保待遇（已发放、非一次性）", "benefits_paid")]
INCOME_MEMBER_COLUMNS = [("成员", "person_name"), ("社保缴费基数月均", "social_insurance_wage"),
                         ("公积金缴存基数", "housing_fund_wage"), ("财政统发应发工资", "public_payroll_wage"),
                         ("工资（三者取最大）", "wage"), ("工资来源", "wage_source_zh"), ("待遇月均", "benefits"),
                         ("月收入", "member_income")]
INCOME_RECORD_COLUMNS = [("成员", "member_name"), ("来源", "source_zh"), ("记录", "record_label"), ("所属月份", "month"),
                         ("金额", "amount"), ("是否计入", "counted"), ("说明", "note_zh")]
WAGE_SOURCE_LABELS = {"social_insurance": "社保缴费基数", "housing_fund": "公积金缴存基数",
                      "public_payroll": "财政统发工资"}


def income_section(con: duckdb.DuckDBPyConnection, household_id: str, as_of: dt.date, policy: Policy,
                   declared: Any, underdeclared: dict[str, Any]) -> dict[str, Any] | None:
    """The 收入核对 section: the verified-income model of the household under `policy`, month by month and member
    by member, with the figures INCOME_ABOVE_STANDARD and INCOME_UNDERDECLARED use. None when the income sources
    have never delivered (no staged tables): the report then says so, it does not show zero income."""
    model = household_income(con, household_id, as_of, income_settings(policy))
    if model is None:
        return None
    hh = model["household"]
    for member in model["members"]:
        member["wage_source_zh"] = WAGE_SOURCE_LABELS.get(member["wage_source"], "无工资记录")
    for month in model["months"]:
        month["month"] = month["month"].strftime("%Y-%m")
    for record in model["records"]:
        record["source_zh"] = SOURCE_LABELS.get(record["component"], record["component"])
        record["month"] = record["month"].strftime("%Y-%m") if record["month"] else None
    tested = hh["not_tested_reason"] is None
    above = tested and hh["per_capita_income"] is not None and hh["per_capita_income"] > hh["income_limit"]
    excess = (hh["verified_monthly_income"] - declared) if declared is not None else None
    min_excess, share = underdeclared["min_excess"], underdeclared["min_excess_share"]
    under = excess is not None and excess >= min_excess and excess >= Decimal(str(share)) * declared
    return {
        "household": hh,
        "window": f"{hh['window_start']:%Y-%m} 至 {hh['window_end']:%Y-%m}",
        "months": model["months"], "members": model["members"], "records": model["records"],
        "month_columns": INCOME_MONTH_COLUMNS, "member_columns": INCOME_MEMBER_COLUMNS,
        "record_columns": INCOME_RECORD_COLUMNS,
        "tested": tested, "above_limit": above, "underdeclared": under, "excess": excess,
        "computation": [
            f"统计期：{hh['window_start']:%Y-%m} 至 {hh['window_end']:%Y-%m}（核对截止日期所在月之前的三个自然月）。",
            "每名成员的工资取三者中最大者（同一份工作常被三个部门同时记录，只计一次）：社保缴费基数（计入的险种和参保身份，"
            "退费与原记录相抵，三个月合计÷3）、公积金缴存基数（账户正常且最后缴存年月在统计期内）、财政统发应发工资（统计期内合计）；"
            "待遇为统计期内已发放、非一次性的待遇合计÷3。缴费基数是缴费的基数，不是实发工资的证明。",
            f"全户核实月收入 {fmt(hh['verified_monthly_income'])} 元 ÷ 家庭人口 {hh['divisor']} 人"
            f" ＝ 人均 {fmt(hh['per_capita_income'])} 元。",
            (f"适用标准：{hh['county']}{hh['urban_rural']}低保标准 {fmt(hh['standard'])} 元 × {hh['category']}倍数"
             f" {fmt(hh['multiplier'])} ＝ 限额 {fmt(hh['income_limit'])} 元；人均"
             + ("高于限额。" if above else "未高于限额。")) if tested else f"未核对：{hh['not_tested_reason']}。",
            (f"申报月收入 {fmt(declared)} 元，核实月收入高出 {fmt(excess)} 元（标准：至少 {min_excess} 元且至少为申报月收入的"
             f" {share} 倍）：" + ("达到。" if under else "未达到。")) if declared is not None else "未申报月收入，不比较。",
        ],
    }


# The HARDSHIP_DISABILITY parameters that define a severe disability (`severe_disability` of the shared macros).
_SEVERE_PARAMETERS = SEVERE_DISABILITY_PARAMETERS


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    used = {k: v for k, v in params.items() if f"${k}" in sql}  # DuckDB rejects unused named parameters
    cur = con.execute(sql, used)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def rule_thresholds(policy: Policy | None = None, catalog: list[Rule] | None = None) -> dict[str, dict[str, Any]]:
    """Each rule's parameters under `policy` (default: the policy file in force, as the nightly reads it): the
    rule file's defaults overridden by `rules.<CODE>`. A key the rule does not declare raises PolicyError."""
    policy = load_policy() if policy is None else policy
    catalog = load_catalog() if catalog is None else catalog
    parameters = {rule.code: policy.for_rule(rule.code, rule.defaults) for rule in catalog}
    check_shared_parameters(parameters, policy)
    return parameters


def household_report_data(con: duckdb.DuckDBPyConnection, household_id: str, as_of: dt.date,
                          policy: Policy | None = None, show_full_ids: bool = False,
                          catalog: list[Rule] | None = None) -> dict[str, Any]:
    """Everything the report shows, as plain data (the HTML, PDF and XLSX renderers all use this).

    The totals are checked against the rules' parameters under `policy` (default: the policy file in force)."""
    th = rule_thresholds(policy, catalog)
    prop, vehicle, medical_rule, disab = (th["ASSET_PROPERTY"], th["ASSET_VEHICLE"], th["HARDSHIP_MEDICAL"],
                                          th["HARDSHIP_DISABILITY"])
    install_deliver_macros(con)
    install_rule_macros(con)
    window_start = as_of - dt.timedelta(days=int(medical_rule["window_days"]) - 1)
    p = {"hh": household_id, "full": show_full_ids, "as_of": as_of, "start": window_start}

    hh = _rows(con, """
        select household_id, head_name, maybe_mask_id(coalesce(head_id_norm, head_id_raw), $full) as head_id,
               category, status, county, township, village, household_size, applied_on, enrolled_on,
               monthly_benefit, declared_monthly_income, delivery_id
        from staged.households where household_id = $hh""", p)
    if not hh:
        raise HouseholdNotFound(household_id)

    members = _rows(con, """
        select person_name, maybe_mask_id(id_norm, $full) as person_id, sex, birth_date, relation,
               disability_grade,
               date_diff('year', birth_date, $as_of)
                 - case when strftime(birth_date, '%m%d') > strftime($as_of::date, '%m%d') then 1 else 0 end as age
        from staged.members where household_id = $hh
        order by case relation when '本人' then 0 else 1 end, birth_date""", {k: p[k] for k in ("hh", "full", "as_of")})

    link = """from linked.links l
        join staged.{src} s on s.record_key = l.record_key
        left join staged.members m on m.household_id = l.household_id and m.id_norm = l.person_id
        where l.source = '{src}' and l.household_id = $hh"""
    link_cols = "m.person_name as member, link_label(l.method, l.score) as link, s.delivery_id"
    housing = _rows(con, f"""
        select {link_cols}, s.unit_no, s.person_name as owner, s.co_ownership, s.address, s.use_type, s.floor_area,
               s.registered_on, s.title_status
        {link.format(src='housing')} order by s.title_status desc, s.unit_no, member""", {"hh": household_id})
    vehicles = _rows(con, f"""
        select {link_cols}, s.plate, s.plate_type, s.vehicle_type, s.person_name as owner, s.use_nature,
               s.registered_on, s.vehicle_status,
               list_contains($exempt, s.vehicle_type) as exempt
        {link.format(src='vehicle')} order by s.vehicle_status, s.plate""",
        {"hh": household_id, "exempt": vehicle["exempt_vehicle_types"]})
    medical = _rows(con, f"""
        select {link_cols}, s.settlement_id, s.settlement_type, s.original_settlement_id, s.care_type,
               s.settled_on, s.institution, s.diagnosis_code, s.diagnosis_name, s.total_cost, s.fund_paid,
               s.critical_illness_paid, s.assistance_paid, s.out_of_pocket
        {link.format(src='medical')} and s.settled_on between $start and $as_of
        order by s.settled_on, s.settlement_id""", {"hh": household_id, "start": window_start, "as_of": as_of})
    disability = _rows(con, f"""
        select {link_cols}, maybe_mask_id(s.cert_no, $full) as cert_no, s.category, s.grade, s.issued_on,
               s.cert_status, m.disability_grade as grade_known,
               severe_disability(s.cert_status, s.grade_num, s.category, $valid_cert_statuses, $severe_max_grade,
                                 $severe_max_grade_special, $severe_special_categories) as severe
        {link.format(src='disability')} order by member""",
        {"hh": household_id, "full": show_full_ids, **{k: disab[k] for k in _SEVERE_PARAMETERS}})
    severe_zh = con.execute("select severe_disability_zh($severe_max_grade, $severe_max_grade_special,"
                            " $severe_special_categories)", {k: disab[k] for k in _SEVERE_PARAMETERS[1:]}).fetchone()[0]
    deaths = _rows(con, f"""
        select {link_cols}, s.died_on, s.deregistered_on
        {link.format(src='death')} order by s.died_on""", {"hh": household_id})

    totals = _rows(con, """
        with h as (
            select distinct s.unit_no, s.use_type from linked.links l
            join staged.housing s on s.record_key = l.record_key
            where l.source = 'housing' and l.household_id = $hh and s.title_status = '现势'),
        v as (
            select distinct s.plate from linked.links l join staged.vehicle s on s.record_key = l.record_key
            where l.source = 'vehicle' and l.household_id = $hh and s.vehicle_status = '正常'
              and not list_contains($exempt, s.vehicle_type)),
        md as (
            select s.settlement_id, s.total_cost, s.out_of_pocket from linked.links l
            join staged.medical s on s.record_key = l.record_key
            where l.source = 'medical' and l.household_id = $hh and s.settled_on between $start and $as_of)
        select
            (select count(*) from h where list_contains($residential, use_type)) as residential_units,
            (select count(*) from h where list_contains($business, use_type))    as business_units,
            (select count(*) from v)                                             as vehicles_counted,
            (select count(*) from md)                                            as settlements,
            (select coalesce(sum(total_cost), 0) from md)                        as medical_total_cost,
            (select coalesce(sum(out_of_pocket), 0) from md)                     as medical_out_of_pocket
        """, {"hh": household_id, "exempt": vehicle["exempt_vehicle_types"],
              "residential": prop["residential_use_types"], "business": prop["non_residential_use_types"],
              "start": window_start, "as_of": as_of})[0]

    income = hh[0]["declared_monthly_income"]
    months = int(medical_rule["income_test_months"])
    income_period = "年" if months == 12 else f"{months}个月"
    period_income = (Decimal(income) * months) if income is not None else None
    oop = Decimal(totals["medical_out_of_pocket"])
    share = Decimal(str(medical_rule["income_test_share"]))
    income_bar = (period_income * share) if period_income is not None else None
    residential = "/".join(prop["residential_use_types"])
    checks = [
        {"item": f"现势{residential}套数", "value": totals["residential_units"],
         "threshold": f"≥ {prop['min_residential_units']} 套",
         "met": totals["residential_units"] >= prop["min_residential_units"], "rule": "ASSET_PROPERTY"},
        {"item": "现势" + "/".join(prop["non_residential_use_types"]) + "用房", "value": totals["business_units"],
         "threshold": f"≥ {prop['min_non_residential_units']} 套",
         "met": totals["business_units"] >= prop["min_non_residential_units"], "rule": "ASSET_PROPERTY"},
        {"item": "状态正常的非豁免机动车", "value": totals["vehicles_counted"],
         "threshold": f"≥ {vehicle['min_vehicles']} 辆", "met": totals["vehicles_counted"] >= vehicle["min_vehicles"],
         "rule": "ASSET_VEHICLE"},
        {"item": f"近{medical_rule['window_days']}天医疗个人自付（冲销已抵扣，元）", "value": f"{oop:,.2f}",
         "threshold": f"≥ {medical_rule['total_threshold']:,} 元；或 ≥ {medical_rule['income_test_min_total']:,} 元且"
                      f" ≥ {income_period}申报收入×{medical_rule['income_test_share']}"
                      + (f"（= {income_bar:,.2f} 元）" if income_bar is not None else "（申报收入未知）"),
         "met": bool(oop >= medical_rule["total_threshold"]
                     or (oop >= medical_rule["income_test_min_total"] and income_bar is not None
                         and oop >= income_bar)),
         "rule": "HARDSHIP_MEDICAL"},
        {"item": "持有效重度残疾人证的成员", "value": sum(1 for d in disability if d["severe"]),
         "threshold": f"≥ 1 人（{severe_zh}）", "met": any(d["severe"] for d in disability),
         "rule": "HARDSHIP_DISABILITY"},
        {"item": f"截至{as_of.isoformat()}已死亡的成员", "value": sum(1 for d in deaths if d["died_on"] <= as_of),
         "threshold": "≥ 1 人", "met": any(d["died_on"] <= as_of for d in deaths), "rule": "CHANGE_DECEASED"},
    ]

    income = income_section(con, household_id, as_of, load_policy() if policy is None else policy,
                            hh[0]["declared_monthly_income"], th["INCOME_UNDERDECLARED"]) \
        if "INCOME_UNDERDECLARED" in th else None
    if income is not None and income["tested"]:
        checks.append({"item": "人均核实月收入（元）", "value": fmt(income["household"]["per_capita_income"]),
                       "threshold": f"> 低保标准×倍数（= {fmt(income['household']['income_limit'])} 元）",
                       "met": income["above_limit"], "rule": "INCOME_ABOVE_STANDARD"})
    if income is not None and income["excess"] is not None:
        checks.append({"item": "核实月收入高出申报月收入（元）", "value": fmt(income["excess"]),
                       "threshold": f"≥ {th['INCOME_UNDERDECLARED']['min_excess']} 元且 ≥ 申报月收入×"
                                    f"{th['INCOME_UNDERDECLARED']['min_excess_share']}",
                       "met": income["underdeclared"], "rule": "INCOME_UNDERDECLARED"})

    # the caseworker's outcome of a closed warning: the latest one recorded (a correction replaces it)
    warnings = _rows(con, """
        select w.warning_id, w.rule_code, coalesce(w.title_zh, w.rule_code) as title,
               category_zh(w.category) as category, severity_zh(w.severity) as severity,
               status_zh(w.status) as status, w.status as status_code,
               w.person_name, maybe_mask_id(w.person_id, $full) as person_id, w.first_raised_on, w.last_seen_on,
               w.due_on, w.resolved_on, w.closed_reason,
               case when o.warning_id is not null then status_zh(o.outcome) end as outcome,
               coalesce(o.reason, w.closed_reason) as outcome_reason, o.recorded_by as outcome_by,
               o.as_of as outcome_on,
               evidence_summary(w.evidence, $full) as summary, evidence_detail(w.evidence, $full) as detail
        from alerts.warnings w
        left join (
            select warning_id, outcome, reason, recorded_by, as_of
            from alerts.outcomes
            qualify row_number() over (partition by warning_id order by recorded_at desc) = 1
        ) o on o.warning_id = w.warning_id and w.status = o.outcome
        where w.household_id = $hh
        order by case w.status when 'open' then 0 else 1 end, severity_rank(w.severity), w.due_on, w.warning_id""",
        {"hh": household_id, "full": show_full_ids})

    return {
        "household": hh[0], "members": members, "as_of": as_of, "window_start": window_start,
        "thresholds": th, "show_full_ids": show_full_ids,
        "sections": {"housing": housing, "vehicle": vehicles, "medical": medical, "disability": disability,
                     "death": deaths},
        "source_titles": SOURCE_TITLES, "section_columns": SECTION_COLUMNS, "member_columns": MEMBER_COLUMNS,
        "household_fields": HOUSEHOLD_FIELDS, "totals": totals, "checks": checks, "warnings": warnings,
        "income": income,
        "generated_at": dt.datetime.now().replace(microsecond=0),
    }


class HouseholdNotFound(LookupError):
    """No household with the number asked for; the message says so in plain words without repeating what was
    typed (a citizen ID or a name typed by mistake would be echoed into a terminal or a log)."""

    def __init__(self, household_id: str) -> None:
        super().__init__("没有找到所给家庭编号对应的家庭：最新一次核对的救助家庭名单中没有这个编号，请核对后重试"
                         "（所给编号不在此重复显示）。")


def resolve_household_id(con: duckdb.DuckDBPyConnection, typed: str) -> str:
    """The household number as the warehouse holds it, for a number typed in any case, with full-width
    characters or surrounding spaces (as ingest trims 家庭编号). Raises HouseholdNotFound when no household, or
    more than one, answers to it."""
    exact = con.execute("select household_id from staged.households where household_id = ?", [typed]).fetchall()
    if exact:
        return exact[0][0]
    wanted = unicodedata.normalize("NFKC", typed or "").strip().upper()
    found = con.execute("select distinct household_id from staged.households where upper(trim(household_id)) = ?",
                        [wanted]).fetchall()
    if len(found) != 1:
        raise HouseholdNotFound(typed)
    return found[0][0]


def render_household_report(con: duckdb.DuckDBPyConnection, household_id: str, out_dir: Path, as_of: dt.date,
                            policy: Policy | None = None, show_full_ids: bool = False,
                            catalog: list[Rule] | None = None) -> list[Path]:
    """Write `核对报告_<家庭编号>_<YYYYMMDD>.html` and `.pdf` (or `.xlsx` without reportlab); return the paths.

    `household_id` may be typed in lower case or with full-width characters. Raises HouseholdNotFound for an
    unknown household, and ReportFontMissing (after writing the HTML) when no font can be embedded in the PDF.
    A caller rendering many households passes the loaded `catalog` (and `policy`) once, instead of each report
    reading and validating every rule file again."""
    household_id = resolve_household_id(con, household_id)
    data = household_report_data(con, household_id, as_of, policy, show_full_ids, catalog)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"核对报告_{household_id}_{as_of.strftime('%Y%m%d')}" + ("_完整证件号" if show_full_ids else "")
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(render_html(data), encoding="utf-8")
    try:
        from hedui.deliver.report_pdf import write_pdf
    except ImportError:  # reportlab missing: an .xlsx prints reliably too
        from hedui.deliver.report_xlsx import write_xlsx
        other = out_dir / f"{stem}.xlsx"
        write_xlsx(data, other)
    else:
        other = out_dir / f"{stem}.pdf"
        write_pdf(data, other)
    return [html_path, other]


def fmt(value: Any) -> str:
    """Display form of a value in the report."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


@functools.cache
def _template() -> jinja2.Template:
    """The report's template, compiled once per process: compiling it took 50 ms, as long as rendering a page,
    and a process that renders many households' reports paid it for each."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("hedui.deliver", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["fmt"] = fmt
    return env.get_template("household_report.html.j2")


def render_html(data: dict[str, Any]) -> str:
    return _template().render(**data)
