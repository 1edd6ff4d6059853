"""A small, realistic sample warehouse with the documented schemas (docs/internals.md).

Used by the deliverables' tests, and handy for trying the deliverables by hand:

    con = duckdb.connect(); build_sample_warehouse(con)

It holds one county (常宁市) with three townships, four households, linked department records, warnings in
every state (household, member and outreach warnings, routed and unrouted), two runs with their ledgers and
quarantine. It does not depend on the connectors, the linker or the rule engine.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from tests.conftest import SAMPLES_AS_OF

SAMPLE_RUN_ID = "20261103T020000-1a2b3c"
PREVIOUS_RUN_ID = "20261102T020000-9f8e7d"


def make_id(region: str, birth: str, seq: str) -> str:
    """A valid 18-character citizen ID (ISO 7064 MOD 11-2 check character)."""
    body = f"{region}{birth}{seq}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(body, weights))
    return body + "10X98765432"[total % 11]


# People of the sample city.
ZHANG_WEI = make_id("430482", "19800312", "123")   # head of H001, owns a car and a flat
LI_FANG = make_id("430482", "19820715", "242")     # spouse in H001, co-owns a flat, many hospital bills
WANG_XIUYING = make_id("430482", "19650120", "326") # head of H002, severe disability not known to the system
LIU_JIANGUO = make_id("430482", "19400909", "411")  # member of H002, died
CHEN_MING = make_id("430482", "19751111", "517")    # head of H003, fuzzy-linked vehicle
ZHAO_LEI = make_id("430482", "20000101", "631")     # member of H003
HE_JUN = make_id("430482", "19900505", "713")       # head of H004, no warnings
SUN_LI = make_id("430482", "19880808", "825")       # outreach, routed to 西岭镇
ZHOU_QIANG = make_id("430482", "19700303", "939")   # outreach, unrouted

ALL_IDS = [ZHANG_WEI, LI_FANG, WANG_XIUYING, LIU_JIANGUO, CHEN_MING, ZHAO_LEI, HE_JUN, SUN_LI, ZHOU_QIANG]

DDL = """
create schema if not exists staged;
create schema if not exists linked;
create schema if not exists alerts;
create schema if not exists ledger;
create schema if not exists quarantine;

create or replace table staged.households (
    delivery_id varchar, file varchar, row_number bigint, record_key varchar,
    household_id varchar, head_name varchar, head_name_norm varchar, head_id_raw varchar, head_id_norm varchar,
    head_id_valid boolean, category varchar, status varchar, county varchar, township varchar, village varchar,
    household_size integer, applied_on date, enrolled_on date, monthly_benefit decimal(14,2),
    declared_monthly_income decimal(14,2));
create or replace table staged.members (
    delivery_id varchar, file varchar, row_number bigint, record_key varchar,
    household_id varchar, person_name varchar, person_name_norm varchar, id_raw varchar, id_norm varchar,
    id_valid boolean, sex varchar, birth_date date, relation varchar, disability_grade varchar,
    disability_grade_num integer);
create or replace table staged.housing (
    delivery_id varchar, file varchar, row_number bigint, record_key varchar,
    unit_no varchar, person_name varchar, person_name_norm varchar, id_raw varchar, id_norm varchar,
    id_valid boolean, co_ownership varchar, address varchar, use_type varchar, floor_area double,
    registered_on date, title_status varchar);
create or replace table staged.vehicle (
    delivery_id varchar, file varchar, row_number bigint, record_key varchar,
    plate varchar, plate_type varchar, vehicle_type varchar, person_name varchar, person_name_norm varchar,
    id_raw varchar, id_norm varchar, id_valid boolean, use_nature varchar, registered_on date,
    vehicle_status varchar);
create or replace table staged.medical (
    delivery_id varchar, file varchar, row_number bigint, record_key varchar,
    settlement_id varchar, settlement_type varchar, original_settlement_id varchar, person_name varchar,
    person_name_norm varchar, id_raw varchar, id_norm varchar, id_valid boolean, care_type varchar,
    admitted_on date, discharged_on date, settled_on date, institution varchar, diagnosis_code varchar,
    diagnosis_name varchar, total_cost decimal(14,2), fund_paid decimal(14,2),
    critical_illness_paid decimal(14,2), assistance_paid decimal(14,2), out_of_pocket decimal(14,2),
    out_of_pocket_mismatch boolean);
create or replace table staged.disability (
    delivery_id varchar, file varchar, row_number bigint, record_key varchar,
    cert_no varchar, person_name varchar, person_name_norm varchar, id_raw varchar, id_norm varchar,
    id_valid boolean, sex varchar, category varchar, grade varchar, grade_num integer, issued_on date,
    cert_status varchar, registered_address varchar);
create or replace table staged.death (
    delivery_id varchar, file varchar, row_number bigint, record_key varchar,
    person_name varchar, person_name_norm varchar, id_raw varchar, id_norm varchar, id_valid boolean,
    died_on date, deregistered_on date);

create or replace table linked.links (
    source varchar, record_key varchar, person_id varchar, household_id varchar, method varchar, score double,
    id_level varchar, name_level varchar, birth_level varchar, address_level varchar, weights json);
create or replace table linked.link_review (
    source varchar, record_key varchar, person_id varchar, household_id varchar, method varchar, score double,
    id_level varchar, name_level varchar, birth_level varchar, address_level varchar, weights json,
    reason varchar);

create or replace table alerts.warnings (
    warning_id varchar, rule_code varchar, title_zh varchar, category varchar, household_id varchar,
    person_id varchar, person_name varchar, county varchar, township varchar, severity varchar, status varchar,
    first_raised_on date, last_seen_on date, due_on date, due_basis varchar, resolved_on date,
    closed_reason varchar, evidence json, evidence_fingerprint varchar, raised_run_id varchar,
    updated_run_id varchar);
create or replace table alerts.warning_events (
    warning_id varchar, run_id varchar, as_of date, event varchar, status_after varchar, detail json,
    recorded_at timestamp);
create or replace table alerts.outcomes (
    warning_id varchar, outcome varchar, reason varchar, recorded_by varchar, recorded_at timestamp, as_of date,
    evidence_fingerprint varchar, origin varchar);
create or replace view main.warnings as select * from alerts.warnings;

create or replace table ledger.runs (
    run_id varchar, as_of date, started_at timestamp, finished_at timestamp, outcome varchar, message varchar);
create or replace table ledger.deliveries (
    run_id varchar, source varchar, delivery_id varchar, delivery_date date, kind varchar, files varchar,
    checksum varchar, rows_read bigint, rows_loaded bigint, rows_quarantined bigint, status varchar,
    reason varchar);
create or replace table ledger.run_sources (
    run_id varchar, source varchar, in_force_delivery varchar, newest_delivery varchar, picture_date date,
    picture_age_days integer, problem varchar, fresh boolean);
create or replace table quarantine.rows (
    run_id varchar, source varchar, delivery_id varchar, file varchar, row_number bigint, expectation varchar,
    column_name varchar, value varchar, reason varchar);
create or replace table quarantine.flags (
    run_id varchar, source varchar, delivery_id varchar, file varchar, row_number bigint, record_key varchar,
    flag varchar, detail varchar);
"""


def _ins(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"insert into {table} values ({marks})", rows)


def _ev(summary: str, records: list[dict], thresholds: dict, facts: dict | None = None) -> str:
    return json.dumps({"summary_zh": summary, "records": records, "thresholds": thresholds, "facts": facts or {}},
                      ensure_ascii=False)


def _rec(source, delivery, file, row, key, method, score, fields) -> dict:
    return {"source": source, "delivery_id": delivery, "file": file, "row_number": row, "record_key": key,
            "link_method": method, "link_score": score, "fields": fields}


def build_sample_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate the warehouse schema on `con`, replace the stage tables with the documented ones and fill them with
    the sample city."""
    from hedui.warehouse import migrate

    migrate(con)
    for stmt in DDL.split(";"):
        if stmt.strip():
            con.execute(stmt)
    d = dt.date
    hh_del, m_del = "households/20261103", "members/20261103"
    _ins(con, "staged.households", [
        (hh_del, "households.csv", 1, "H001", "H001", "张伟", "张伟", ZHANG_WEI, ZHANG_WEI, True, "城市低保", "在保",
         "常宁市", "宜阳街道", "城北社区", 2, d(2024, 3, 1), d(2024, 4, 1), 1240.00, 1200.00),
        (hh_del, "households.csv", 2, "H002", "H002", "王秀英", "王秀英", WANG_XIUYING, WANG_XIUYING, True, "农村低保",
         "审核中", "常宁市", "培元街道", "新塘村", 2, d(2026, 9, 20), None, None, 800.00),
        (hh_del, "households.csv", 3, "H003", "H003", "陈明", "陈明", CHEN_MING, CHEN_MING, True, "农村低保", "在保",
         "常宁市", "西岭镇", "平安村", 2, d(2023, 5, 10), d(2023, 6, 1), 650.00, 900.00),
        (hh_del, "households.csv", 4, "H004", "H004", "何军", "何军", HE_JUN, HE_JUN, True, "特困供养", "在保",
         "常宁市", "西岭镇", "石塘村", 1, d(2022, 1, 5), d(2022, 2, 1), 900.00, 0.00),
    ])
    _ins(con, "staged.members", [
        (m_del, "members.csv", 1, f"H001|{ZHANG_WEI}", "H001", "张伟", "张伟", ZHANG_WEI, ZHANG_WEI, True, "男",
         d(1980, 3, 12), "本人", None, None),
        (m_del, "members.csv", 2, f"H001|{LI_FANG}", "H001", "李芳", "李芳", LI_FANG, LI_FANG, True, "女",
         d(1982, 7, 15), "配偶", None, None),
        (m_del, "members.csv", 3, f"H002|{WANG_XIUYING}", "H002", "王秀英", "王秀英", WANG_XIUYING, WANG_XIUYING,
         True, "女", d(1965, 1, 20), "本人", "四级", 4),
        (m_del, "members.csv", 4, f"H002|{LIU_JIANGUO}", "H002", "刘建国", "刘建国", LIU_JIANGUO, LIU_JIANGUO, True,
         "男", d(1940, 9, 9), "配偶", None, None),
        (m_del, "members.csv", 5, f"H003|{CHEN_MING}", "H003", "陈明", "陈明", CHEN_MING, CHEN_MING, True, "男",
         d(1975, 11, 11), "本人", None, None),
        (m_del, "members.csv", 6, f"H003|{ZHAO_LEI}", "H003", "赵磊", "赵磊", ZHAO_LEI, ZHAO_LEI, True, "男",
         d(2000, 1, 1), "子", None, None),
        (m_del, "members.csv", 7, f"H004|{HE_JUN}", "H004", "何军", "何军", HE_JUN, HE_JUN, True, "男",
         d(1990, 5, 5), "本人", None, None),
    ])
    hs = "housing/20261020"
    _ins(con, "staged.housing", [
        (hs, "不动产.xlsx", 1, f"430482001001GB00001F00010001|{ZHANG_WEI}|张伟", "430482001001GB00001F00010001",
         "张伟", "张伟", ZHANG_WEI, ZHANG_WEI, True, "单独所有", "常宁市宜阳街道城北路8号1栋101", "住宅", 96.5,
         d(2019, 6, 1), "现势"),
        (hs, "不动产.xlsx", 2, f"430482001002GB00002F00020002|{LI_FANG}|李芳", "430482001002GB00002F00020002",
         "李芳", "李芳", LI_FANG, LI_FANG, True, "共同共有", "常宁市宜阳街道建设路12号2栋202", "住宅", 88.0,
         d(2021, 9, 15), "现势"),
        (hs, "不动产.xlsx", 3, "430482001002GB00002F00020002||张伟", "430482001002GB00002F00020002",
         "张伟", "张伟", None, None, False, "共同共有", "常宁市宜阳街道建设路12号2栋202", "住宅", 88.0,
         d(2021, 9, 15), "现势"),
        (hs, "不动产.xlsx", 4, f"430482003001GB00009F00010003|{CHEN_MING}|陈明", "430482003001GB00009F00010003",
         "陈明", "陈明", CHEN_MING, CHEN_MING, True, "单独所有", "常宁市西岭镇平安村3组", "住宅", 120.0,
         d(2010, 3, 1), "注销"),
    ])
    vh = "vehicle/20261027"
    _ins(con, "staged.vehicle", [
        (vh, "vehicle.csv", 1, f"湘DD52880|{ZHANG_WEI}|张伟", "湘DD52880", "小型新能源汽车", "小型普通客车", "张伟",
         "张伟", ZHANG_WEI, ZHANG_WEI, True, "非营运", d(2023, 8, 2), "正常"),
        (vh, "vehicle.csv", 2, "湘D3K721||陳明", "湘D3K721", "小型汽车", "小型轿车", "陳明", "陈明", "43048219751111517",
         None, False, "非营运", d(2020, 4, 18), "正常"),
        (vh, "vehicle.csv", 3, f"湘D8M113|{ZHAO_LEI}|赵磊", "湘D8M113", "普通摩托车", "普通二轮摩托车", "赵磊", "赵磊",
         ZHAO_LEI, ZHAO_LEI, True, "非营运", d(2022, 2, 2), "正常"),
    ])
    md1, md2 = "medical/20261001", "medical/20261101"
    med = [
        # settlement_id, type, original, name, id, care, adm, dis, settled, inst, dx, dxname, total, fund, crit, assist, oop, delivery, row
        ("JS2026031500011", "正常", None, LI_FANG, "住院", d(2026, 3, 2), d(2026, 3, 14), d(2026, 3, 15),
         "常宁市人民医院", "K80.1", "胆囊结石伴胆囊炎", 21000.00, 12600.00, 0.00, 1500.00, 6900.00, md1, 1),
        ("JS2026080100022", "正常", None, LI_FANG, "门诊慢特病", None, None, d(2026, 8, 1),
         "常宁市中医医院", "E11.9", "2型糖尿病", 3200.00, 1600.00, 0.00, 0.00, 1600.00, md1, 2),
        ("JS2026080100023", "正常", None, LI_FANG, "普通门诊", None, None, d(2026, 8, 1),
         "常宁市中医医院", "E11.9", "2型糖尿病", 900.00, 450.00, 0.00, 0.00, 450.00, md1, 3),
        ("JS2026080300031", "冲销", "JS2026080100023", LI_FANG, "普通门诊", None, None, d(2026, 8, 3),
         "常宁市中医医院", "E11.9", "2型糖尿病", -900.00, -450.00, 0.00, 0.00, -450.00, md1, 4),
        ("JS2026101800041", "正常", None, LI_FANG, "住院", d(2026, 10, 10), d(2026, 10, 17), d(2026, 10, 18),
         "南华大学附属第二医院", "K80.1", "胆囊结石伴胆囊炎", 9800.00, 6000.00, 0.00, 800.00, 3000.00, md2, 1),
        ("JS2025080200051", "正常", None, ZHANG_WEI, "住院", d(2025, 7, 25), d(2025, 8, 1), d(2025, 8, 2),
         "常宁市人民医院", "S82.2", "胫骨骨干骨折", 15000.00, 9000.00, 0.00, 0.00, 6000.00, md1, 5),
        ("JS2026092000061", "正常", None, WANG_XIUYING, "住院", d(2026, 9, 5), d(2026, 9, 19), d(2026, 9, 20),
         "湖南省肿瘤医院", "C34.9", "支气管或肺恶性肿瘤", 56000.00, 33600.00, 8000.00, 4000.00, 10400.00, md1, 6),
    ]
    _ins(con, "staged.medical", [
        (dl, "medical.csv", row, sid, sid, typ, orig, {LI_FANG: "李芳", ZHANG_WEI: "张伟", WANG_XIUYING: "王秀英"}[pid],
         {LI_FANG: "李芳", ZHANG_WEI: "张伟", WANG_XIUYING: "王秀英"}[pid], pid, pid, True, care, adm, dis, st, inst,
         dx, dxn, tot, fund, crit, asst, oop, False)
        for (sid, typ, orig, pid, care, adm, dis, st, inst, dx, dxn, tot, fund, crit, asst, oop, dl, row) in med
    ])
    ds = "disability/20261103"
    _ins(con, "staged.disability", [
        (ds, "disability.xlsx", 1, f"{WANG_XIUYING}42", f"{WANG_XIUYING}42", "王秀英", "王秀英", None, WANG_XIUYING,
         True, "女", "肢体", "二级", 2, d(2025, 12, 1), "有效", "湖南省常宁市培元街道新塘村5组"),
        (ds, "disability.xlsx", 2, f"{SUN_LI}51", f"{SUN_LI}51", "孙丽", "孙丽", SUN_LI, SUN_LI, True, "女", "智力",
         "一级", 1, d(2018, 5, 20), "有效", "湖南省常宁市西岭镇石塘村2组"),
        (ds, "disability.xlsx", 3, f"{ZHOU_QIANG}62", f"{ZHOU_QIANG}62", "周强", "周强", ZHOU_QIANG, ZHOU_QIANG, True,
         "男", "精神", "二级", 2, d(2020, 7, 7), "有效", "湖南省衡阳市某区某路"),
    ])
    _ins(con, "staged.death", [
        ("death/20261101", "death.csv", 1, LIU_JIANGUO, "刘建国", "刘建国", LIU_JIANGUO, LIU_JIANGUO, True,
         d(2026, 10, 12), d(2026, 10, 20)),
    ])
    _ins(con, "linked.links", [
        ("households", "H001", ZHANG_WEI, "H001", "exact", None, "exact", "exact", None, None, None),
        ("housing", f"430482001001GB00001F00010001|{ZHANG_WEI}|张伟", ZHANG_WEI, "H001", "exact", None, "exact",
         "exact", None, None, None),
        ("housing", f"430482001002GB00002F00020002|{LI_FANG}|李芳", LI_FANG, "H001", "exact", None, "exact",
         "exact", None, None, None),
        ("housing", "430482001002GB00002F00020002||张伟", ZHANG_WEI, "H001", "fuzzy", 12.8, "missing", "exact",
         None, "exact_norm", '{"name": 6.1, "address": 6.7}'),
        ("housing", f"430482003001GB00009F00010003|{CHEN_MING}|陈明", CHEN_MING, "H003", "exact", None, "exact",
         "exact", None, None, None),
        ("vehicle", f"湘DD52880|{ZHANG_WEI}|张伟", ZHANG_WEI, "H001", "exact", None, "exact", "exact", None, None, None),
        ("vehicle", "湘D3K721||陳明", CHEN_MING, "H003", "fuzzy", 14.2, "one_edit", "exact_norm", "exact", None,
         '{"id": 8.0, "name": 6.2}'),
        ("vehicle", f"湘D8M113|{ZHAO_LEI}|赵磊", ZHAO_LEI, "H003", "exact", None, "exact", "exact", None, None, None),
        *[("medical", m[0], m[3], "H001" if m[3] in (LI_FANG, ZHANG_WEI) else "H002", "exact", None, "exact",
           "exact", None, None, None) for m in med],
        ("disability", f"{WANG_XIUYING}42", WANG_XIUYING, "H002", "id_normalised", None, "exact_norm", "exact",
         None, None, None),
        ("death", LIU_JIANGUO, LIU_JIANGUO, "H002", "exact", None, "exact", "exact", None, None, None),
    ])
    _ins(con, "linked.link_review", [
        ("housing", "430482002007GB00011F00010001||何君", HE_JUN, "H004", "fuzzy", 4.1, "missing", "homophone",
         None, "one_edit", '{"name": 2.0, "address": 2.1}', "review_band"),
    ])

    def veh_fields(plate, vtype, owner, idv):
        return {"号牌号码": plate, "车辆类型": vtype, "机动车所有人": owner, "身份证明号码": idv, "机动车状态": "正常"}

    exempt = ["普通二轮摩托车", "普通三轮摩托车", "轻便二轮摩托车", "残疾人机动轮椅车", "拖拉机", "低速货车", "三轮汽车"]
    W = []

    def w(wid, code, title, cat, hh, pid, name, town, sev, status, first, last, due, resolved, reason, ev, raised,
          updated):
        W.append((wid, code, title, cat, hh, pid, name, "常宁市", town, sev, status, first, last, due,
                  "15个工作日（法定节假日顺延）", resolved, reason, ev, f"fp-{wid}", raised, updated))

    w("W-ASSET_VEHICLE-0001", "ASSET_VEHICLE", "家庭成员名下有非豁免机动车", "hidden_asset", "H001", ZHANG_WEI, "张伟",
      "宜阳街道", "high", "open", d(2026, 11, 2), d(2026, 11, 3), d(2026, 11, 23), None, None,
      _ev("张伟名下有1辆状态正常的小型普通客车（湘DD52880）。",
          [_rec("vehicle", vh, "vehicle.csv", 1, f"湘DD52880|{ZHANG_WEI}|张伟", "exact", None,
                veh_fields("湘DD52880", "小型普通客车", "张伟", ZHANG_WEI))],
          {"exempt_vehicle_types": exempt}), PREVIOUS_RUN_ID, PREVIOUS_RUN_ID)
    w("W-ASSET_PROPERTY-0002", "ASSET_PROPERTY", "家庭拥有多套住房或非住宅房产", "hidden_asset", "H001", None, None,
      "宜阳街道", "high", "open", d(2026, 11, 3), d(2026, 11, 3), d(2026, 11, 24), None, None,
      _ev("家庭成员共持有2套现势住宅。",
          [_rec("housing", hs, "不动产.xlsx", 1, "…", "exact", None,
                {"不动产单元号": "430482001001GB00001F00010001", "权利人": "张伟", "证件号码": ZHANG_WEI,
                 "规划用途": "住宅", "权属状态": "现势"}),
           _rec("housing", hs, "不动产.xlsx", 2, "…", "exact", None,
                {"不动产单元号": "430482001002GB00002F00020002", "权利人": "李芳", "证件号码": LI_FANG,
                 "规划用途": "住宅", "权属状态": "现势"})],
          {"min_residential_units": 2, "non_residential_use_types": ["商业", "办公", "工业"]},
          {"residential_units": 2, "business_units": 0}), SAMPLE_RUN_ID, SAMPLE_RUN_ID)
    w("W-HARDSHIP_MEDICAL-0003", "HARDSHIP_MEDICAL", "家庭医疗个人自付费用较高", "hardship", "H001", None, None,
      "宜阳街道", "medium", "open", d(2026, 10, 20), d(2026, 11, 3), d(2026, 11, 10), None, None,
      _ev("家庭近365天医疗个人自付合计11500.00元（冲销已抵扣），达到10000元。",
          [_rec("medical", md1, "medical.csv", 1, "JS2026031500011", "exact", None,
                {"结算流水号": "JS2026031500011", "结算日期": "2026-03-15", "个人自付": "6900.00"})],
          {"window_days": 365, "total_threshold": 10000, "income_test_min_total": 2000, "income_test_share": 0.5},
          {"out_of_pocket_365d": 11500.0}), PREVIOUS_RUN_ID, SAMPLE_RUN_ID)
    w("W-HARDSHIP_DISABILITY-0004", "HARDSHIP_DISABILITY", "成员持重度残疾证但系统记录等级较轻", "hardship", "H002",
      WANG_XIUYING, "王秀英", "培元街道", "medium", "open", d(2026, 11, 3), d(2026, 11, 3), d(2026, 11, 24), None,
      None,
      _ev("王秀英持有效的肢体二级残疾人证，救助系统记录为四级。",
          [_rec("disability", ds, "disability.xlsx", 1, f"{WANG_XIUYING}42", "id_normalised", None,
                {"残疾人证号": f"{WANG_XIUYING}42", "残疾类别": "肢体", "残疾等级": "二级", "证件状态": "有效"})],
          {"severe_max_grade": 2, "severe_special_categories": ["智力", "精神"]}),
      SAMPLE_RUN_ID, SAMPLE_RUN_ID)
    w("W-CHANGE_DECEASED-0005", "CHANGE_DECEASED", "家庭成员已死亡", "change_of_circumstance", "H002", LIU_JIANGUO, "刘建国",
      "培元街道", "high", "open", d(2026, 11, 1), d(2026, 11, 3), d(2026, 11, 21), None, None,
      _ev("刘建国于2026-10-12死亡，户籍已注销。",
          [_rec("death", "death/20261101", "death.csv", 1, LIU_JIANGUO, "exact", None,
                {"公民身份号码": LIU_JIANGUO, "姓名": "刘建国", "死亡日期": "2026-10-12"})], {}),
      PREVIOUS_RUN_ID, SAMPLE_RUN_ID)
    w("W-HARDSHIP_MAJOR_ILLNESS-0006", "HARDSHIP_MAJOR_ILLNESS", "成员患重特大疾病", "hardship", "H002",
      WANG_XIUYING, "王秀英", "培元街道", "low", "open", d(2026, 10, 1), d(2026, 11, 3), d(2026, 10, 22), None, None,
      _ev("王秀英2026-09-20住院结算，主诊断C34.9（支气管或肺恶性肿瘤）在重特大疾病目录内。",
          [_rec("medical", md1, "medical.csv", 6, "JS2026092000061", "exact", None,
                {"结算流水号": "JS2026092000061", "主诊断编码": "C34.9", "个人自付": "10400.00"})],
          {"window_days": 365, "major_illness_codes": ["C00-C97", "D61", "N18.5"]}), "20261001T020000-0a0b0c",
      SAMPLE_RUN_ID)
    w("W-ASSET_VEHICLE-0007", "ASSET_VEHICLE", "家庭成员名下有非豁免机动车", "hidden_asset", "H003", CHEN_MING, "陈明",
      "西岭镇", "high", "open", d(2026, 11, 3), d(2026, 11, 3), d(2026, 11, 24), None, None,
      _ev("陈明名下有1辆状态正常的小型轿车（湘D3K721），按姓名与证件号模糊关联。",
          [_rec("vehicle", vh, "vehicle.csv", 2, "湘D3K721||陳明", "fuzzy", 14.2,
                veh_fields("湘D3K721", "小型轿车", "陳明", "43048219751111517"))],
          {"exempt_vehicle_types": exempt}), SAMPLE_RUN_ID, SAMPLE_RUN_ID)
    w("W-ASSET_VEHICLE-0008", "ASSET_VEHICLE", "家庭成员名下有非豁免机动车", "hidden_asset", "H003", ZHAO_LEI, "赵磊",
      "西岭镇", "high", "resolved", d(2026, 9, 1), d(2026, 11, 2), d(2026, 9, 22), d(2026, 11, 3),
      "新数据中条件不再成立", _ev("赵磊名下有1辆小型轿车。", [], {}), "20260901T020000-aaaaaa", SAMPLE_RUN_ID)
    w("W-ASSET_PROPERTY-0009", "ASSET_PROPERTY", "家庭拥有多套住房或非住宅房产", "hidden_asset", "H004", None, None,
      "西岭镇", "high", "dismissed", d(2026, 8, 3), d(2026, 10, 1), d(2026, 8, 24), d(2026, 10, 2),
      "入户核查不属实", _ev("家庭成员持有1套商业用房。", [], {}), "20260803T020000-bbbbbb", "20261002T020000-cccccc")
    w("W-OUTREACH_SEVERE_DISABILITY-0010", "OUTREACH_SEVERE_DISABILITY", "重度残疾人主动发现", "outreach", None,
      SUN_LI, "孙丽", "西岭镇", "medium", "open", d(2026, 11, 3), d(2026, 11, 3), d(2026, 11, 24), None, None,
      _ev("孙丽持有效的智力一级残疾人证，不在任何在保或审核中家庭内。",
          [_rec("disability", ds, "disability.xlsx", 2, f"{SUN_LI}51", None, None,
                {"残疾人证号": f"{SUN_LI}51", "户籍地址": "湖南省常宁市西岭镇石塘村2组", "残疾等级": "一级"})],
          {"min_age_years": 16}), SAMPLE_RUN_ID, SAMPLE_RUN_ID)
    w("W-OUTREACH_SEVERE_DISABILITY-0011", "OUTREACH_SEVERE_DISABILITY", "重度残疾人主动发现", "outreach", None,
      ZHOU_QIANG, "周强", None, "medium", "open", d(2026, 11, 3), d(2026, 11, 3), d(2026, 11, 24), None, None,
      _ev("周强持有效的精神二级残疾人证，户籍地址未能匹配到乡镇街道。",
          [_rec("disability", ds, "disability.xlsx", 3, f"{ZHOU_QIANG}62", None, None,
                {"残疾人证号": f"{ZHOU_QIANG}62", "户籍地址": "湖南省衡阳市某区某路", "身份证号": ZHOU_QIANG})],
          {"min_age_years": 16}), SAMPLE_RUN_ID, SAMPLE_RUN_ID)
    _ins(con, "alerts.warnings", W)

    ts = dt.datetime(2026, 11, 3, 2, 30)
    ev = [
        ("W-ASSET_VEHICLE-0001", PREVIOUS_RUN_ID, d(2026, 11, 2), "raised"),
        ("W-ASSET_PROPERTY-0002", SAMPLE_RUN_ID, SAMPLES_AS_OF, "raised"),
        ("W-HARDSHIP_MEDICAL-0003", SAMPLE_RUN_ID, SAMPLES_AS_OF, "evidence_changed"),
        ("W-HARDSHIP_DISABILITY-0004", SAMPLE_RUN_ID, SAMPLES_AS_OF, "raised"),
        ("W-ASSET_VEHICLE-0007", SAMPLE_RUN_ID, SAMPLES_AS_OF, "raised"),
        ("W-ASSET_VEHICLE-0008", SAMPLE_RUN_ID, SAMPLES_AS_OF, "resolved"),
        ("W-OUTREACH_SEVERE_DISABILITY-0010", SAMPLE_RUN_ID, SAMPLES_AS_OF, "raised"),
        ("W-OUTREACH_SEVERE_DISABILITY-0011", SAMPLE_RUN_ID, SAMPLES_AS_OF, "raised"),
    ]
    _ins(con, "alerts.warning_events", [(a, b, c, e, "resolved" if e == "resolved" else "open", None, ts)
                                        for a, b, c, e in ev])
    _ins(con, "alerts.outcomes", [
        ("W-ASSET_PROPERTY-0009", "dismissed", "商铺已于2025年转让，登记未更新", "西岭镇核查员甲",
         dt.datetime(2026, 10, 2, 15, 0), d(2026, 10, 2), "fp-W-ASSET_PROPERTY-0009", "manual"),
    ])
    _ins(con, "ledger.runs", [
        (PREVIOUS_RUN_ID, d(2026, 11, 2), dt.datetime(2026, 11, 2, 2, 0), dt.datetime(2026, 11, 2, 2, 41),
         "succeeded", None),
        (SAMPLE_RUN_ID, SAMPLES_AS_OF, dt.datetime(2026, 11, 3, 2, 0), dt.datetime(2026, 11, 3, 2, 38),
         "succeeded", "vehicle/20261103 rejected; housing/20261103 held back"),
    ])
    R = SAMPLE_RUN_ID
    _ins(con, "ledger.deliveries", [
        (R, "households", "households/20261103", d(2026, 11, 3), "snapshot", "households.csv", "c1", 5, 4, 1,
         "loaded", None),
        (R, "members", "members/20261103", d(2026, 11, 3), "snapshot", "members.csv", "c2", 8, 7, 1, "loaded", None),
        (R, "housing", "housing/20261020", d(2026, 10, 20), "snapshot", "不动产.xlsx", "c3", 4, 4, 0, "unchanged",
         None),
        (R, "housing", "housing/20261103", d(2026, 11, 3), "snapshot", "不动产.xlsx", "c4", 1, 1, 0, "held_back",
         "行数从4降至1（低于上次的50%），暂不替换"),
        (R, "vehicle", "vehicle/20261027", d(2026, 10, 27), "snapshot", "vehicle.csv", "c5", 3, 3, 0, "unchanged",
         None),
        (R, "vehicle", "vehicle/20261103", d(2026, 11, 3), "snapshot", "vehicle.csv", "c6", 0, 0, 0, "rejected",
         "缺少必需列：号牌号码"),
        (R, "medical", "medical/20261001", d(2026, 10, 1), "event", "medical.csv", "c7", 6, 6, 0, "unchanged", None),
        (R, "medical", "medical/20261101", d(2026, 11, 1), "event", "medical.csv", "c8", 3, 1, 2, "loaded", None),
        (R, "disability", "disability/20261103", d(2026, 11, 3), "snapshot", "disability.xlsx", "c9", 3, 3, 0,
         "loaded", None),
        (R, "death", "death/20261101", d(2026, 11, 1), "event", "death.csv", "c10", 1, 1, 0, "unchanged", None),
        (PREVIOUS_RUN_ID, "vehicle", "vehicle/20261027", d(2026, 10, 27), "snapshot", "vehicle.csv", "c5", 3, 3, 0,
         "loaded", None),
    ])
    _ins(con, "ledger.run_sources", [
        (R, "households", "households/20261103", "households/20261103", d(2026, 11, 3), 0, None, True),
        (R, "members", "members/20261103", "members/20261103", d(2026, 11, 3), 0, None, True),
        (R, "housing", "housing/20261020", "housing/20261103", d(2026, 10, 20), 14, "held_back", False),
        (R, "vehicle", "vehicle/20261027", "vehicle/20261103", d(2026, 10, 27), 7, "rejected", False),
        (R, "medical", "medical/20261101", "medical/20261101", d(2026, 11, 1), 2, None, True),
        (R, "disability", "disability/20261103", "disability/20261103", d(2026, 11, 3), 0, None, True),
        (R, "death", "death/20261101", "death/20261101", d(2026, 11, 1), 2, None, True),
    ])
    _ins(con, "quarantine.rows", [
        (R, "households", "households/20261103", "households.csv", 5, "expect_column_values_to_not_be_null",
         "申报月收入", None, "必填项“申报月收入”为空"),
        (R, "members", "members/20261103", "members.csv", 8, "id_scientific_notation", "身份证号",
         "4.30482198501E+17", "身份证号被表格软件转成科学计数法，无法恢复"),
        (R, "medical", "medical/20261101", "medical.csv", 2, "expect_column_values_to_not_be_null", "结算日期", None,
         "必填项“结算日期”为空"),
        (R, "medical", "medical/20261101", "medical.csv", 3, "date_parse", "结算日期", "2026-13-01",
         "日期无法识别：2026-13-01"),
    ])
    _ins(con, "quarantine.flags", [
        (R, "vehicle", vh, "vehicle.csv", 2, "湘D3K721||陳明", "id_invalid", "校验位错误"),
    ])
