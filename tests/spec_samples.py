"""The spec samples (`samples/README.md`, dated 2026-11-03) as staged and linked tables, and the warnings they
must raise.

The rows are the sample deliveries after the connectors and the linking stage have done their work, as the
samples README says they should: IDs normalised, the resent settlement counted once, the damaged housing ID
quarantined, the traditional-character vehicle owner linked by the fuzzy path. Building them directly lets the
rule engine be tested on its own, without the connectors or the matcher.

The expected warnings (`EXPECTED_SAMPLE_WARNINGS`) are written here once, in the tests and not in the package
under test: a rule change that moved both the warnings and a package-side copy of this set would otherwise
pass unnoticed.
"""

from __future__ import annotations

import datetime as dt

# The warnings the spec samples must raise as of their date (`tests.conftest.SAMPLES_AS_OF`), as their README
# lists them. Subjects are (rule_code, household_id, person_id); household-level warnings have no person,
# outreach has no household.
EXPECTED_SAMPLE_WARNINGS = frozenset({
    ("ASSET_PROPERTY", "CN-S-0001", None),
    ("ASSET_VEHICLE", "CN-S-0001", "43048219901123357X"),
    ("ASSET_VEHICLE", "CN-S-0002", "430482197801304687"),
    ("HARDSHIP_MEDICAL", "CN-S-0001", None),
    ("HARDSHIP_MAJOR_ILLNESS", "CN-S-0001", "430482196203151313"),
    ("HARDSHIP_DISABILITY", "CN-S-0002", "430482197801304687"),
    ("HARDSHIP_DISABILITY", "CN-S-0002", "430482200805065227"),
    ("CHANGE_DECEASED", "CN-S-0001", "430482196508022424"),
    ("OUTREACH_SEVERE_DISABILITY", None, "430482197209099119"),
})

_PERSON_COLUMNS = """
    person_name varchar,
    person_name_norm varchar,
    id_raw varchar,
    id_norm varchar,
    id_valid boolean,
"""

_COMMON = """
    delivery_id varchar,
    file varchar,
    row_number bigint,
    record_key varchar,
"""

STAGED_DDL = f"""
create schema if not exists staged;
create schema if not exists linked;
create schema if not exists ledger;
create or replace table staged.households ({_COMMON}
    household_id varchar, head_name varchar, head_name_norm varchar, head_id_raw varchar, head_id_norm varchar,
    head_id_valid boolean, category varchar, status varchar, county varchar, township varchar, village varchar,
    household_size integer, applied_on date, enrolled_on date, monthly_benefit decimal(14,2),
    declared_monthly_income decimal(14,2)
);
create or replace table staged.members ({_COMMON} {_PERSON_COLUMNS}
    household_id varchar, sex varchar, birth_date date, relation varchar, disability_grade varchar,
    disability_grade_num integer
);
create or replace table staged.housing ({_COMMON} {_PERSON_COLUMNS}
    unit_no varchar, co_ownership varchar, address varchar, use_type varchar, floor_area double,
    registered_on date, title_status varchar
);
create or replace table staged.vehicle ({_COMMON} {_PERSON_COLUMNS}
    plate varchar, plate_type varchar, vehicle_type varchar, use_nature varchar, registered_on date,
    vehicle_status varchar
);
create or replace table staged.medical ({_COMMON} {_PERSON_COLUMNS}
    settlement_id varchar, settlement_type varchar, original_settlement_id varchar, care_type varchar,
    admitted_on date, discharged_on date, settled_on date, institution varchar, diagnosis_code varchar,
    diagnosis_name varchar, total_cost decimal(14,2), fund_paid decimal(14,2), critical_illness_paid decimal(14,2),
    assistance_paid decimal(14,2), out_of_pocket decimal(14,2), out_of_pocket_mismatch boolean
);
create or replace table staged.disability ({_COMMON} {_PERSON_COLUMNS}
    cert_no varchar, sex varchar, category varchar, grade varchar, grade_num integer, issued_on date,
    cert_status varchar, registered_address varchar
);
create or replace table staged.death ({_COMMON} {_PERSON_COLUMNS}
    died_on date, deregistered_on date
);
create or replace table linked.links (
    source varchar, record_key varchar, person_id varchar, household_id varchar, method varchar, score double,
    id_level varchar, name_level varchar, birth_level varchar, address_level varchar, weights json
);
create table if not exists ledger.run_sources (
    run_id varchar, source varchar, in_force_delivery varchar, newest_delivery varchar, picture_date date,
    picture_age_days integer, problem varchar, fresh boolean
);
"""

D = dt.date

HOUSEHOLDS = [
    # household_id, head_name, head_id, category, status, county, township, village, size, applied, enrolled, benefit, income
    ("CN-S-0001", "王建国", "430482196203151313", "农村低保", "在保", "常宁市", "烟洲镇", "大坪村", 3, D(2021, 4, 6), D(2021, 5, 10), 1260.00, 900),
    ("CN-S-0002", "陈丽华", "430482197801304687", "城市低保", "在保", "常宁市", "宜阳街道", "向阳社区", 2, D(2023, 1, 2), D(2023, 2, 1), 980.5, 0),
    ("CN-S-0003", "阿依古丽·买买提", "430482198512126049", "低保边缘", "审核中", "常宁市", "塔山乡", "石塘村", 1, D(2026, 10, 28), None, None, 1500),
    ("CN-S-0004", "张伟", "430482195007077158", "特困供养", "已退出", "常宁市", "大堡乡", "龙口村", 1, D(2015, 3, 3), D(2015, 3, 20), 0, None),
]

MEMBERS = [
    # household_id, name, id_raw, id_norm, sex, birth, relation, grade
    ("CN-S-0001", "王建国", "430482196203151313", "430482196203151313", "男", D(1962, 3, 15), "本人", None),
    ("CN-S-0001", "李秀英", "430482196508022424", "430482196508022424", "女", D(1965, 8, 2), "配偶", None),
    ("CN-S-0001", "王磊", "43048219901123357x", "43048219901123357X", "男", D(1990, 11, 23), "子", None),
    ("CN-S-0002", "陈丽华", "430482197801304687", "430482197801304687", "女", D(1978, 1, 30), "本人", "四级"),
    ("CN-S-0002", "陈思", "430482200805065227", "430482200805065227", "女", D(2008, 5, 6), "女", None),
    ("CN-S-0003", "阿依古丽·买买提", "430482198512126049", "430482198512126049", "女", D(1985, 12, 12), "本人", None),
    ("CN-S-0004", "张伟", "430482195007077158", "430482195007077158", "男", D(1950, 7, 7), "本人", None),
]

HOUSING = [
    # row_number, unit_no, name, name_norm, id_raw, id_norm, id_valid, co_ownership, address, use, area, registered, status
    (1, "430482001001GB00001F00010001", "王建国", "王建国", "430482196203151313", "430482196203151313", True, "共同共有", "湖南省衡阳市常宁市烟洲镇大坪村3组12号", "住宅", 96.4, D(2009, 6, 18), "现势"),
    (2, "430482001001GB00001F00010001", "李秀英", "李秀英", "４３０４８２１９６５０８０２２４２４", "430482196508022424", True, "共同共有", "湖南省衡阳市常宁市烟洲镇大坪村3组12号", "住宅", 96.4, D(2009, 6, 18), "现势"),
    (3, "430482002003GB00007F00020003", "王建国", "王建国", None, None, None, "单独所有", "湖南省衡阳市常宁市烟洲镇大坪村5组2号", "住宅", 120.0, D(1998, 4, 2), "现势"),
    (4, "430482004009GB00011F00030011", "王磊", "王磊", "430482901123357", "43048219901123357X", True, "单独所有", "湖南省衡阳市常宁市宜阳街道建设路18号", "商业", 45.2, D(2024, 3, 9), "现势"),
    (6, "430482004009GB00013F00030013", "张伟", "张伟", "430421198102198338", "430421198102198338", True, "单独所有", "湖南省衡阳市衡阳县西渡镇解放路5号", "住宅", 88.0, D(2019, 8, 8), "现势"),
    (7, "430482001002GB00021F00040021", "张伟", "张伟", "430482195007077158", "430482195007077158", True, "单独所有", "湖南省衡阳市常宁市大堡乡龙口村1组7号", "住宅", 60.0, D(2003, 1, 15), "注销"),
]

VEHICLES = [
    # row, plate, plate_type, vehicle_type, name, name_norm, id_raw, id_norm, id_valid, use, registered, status
    (1, "湘D3K7Q2", "小型汽车", "小型轿车", "王磊", "王磊", "43048219901123357X", "43048219901123357X", True, "非营运", D(2025, 12, 30), "正常"),
    (2, "湘DD52880", "小型新能源汽车", "小型普通客车", "陳麗華", "陈丽华", "430482197811304687", "430482197811304687", False, "非营运", D(2026, 2, 14), "正常"),
    (3, "湘D8M611", "普通摩托车", "普通二轮摩托车", "王建国", "王建国", "430482196203151313", "430482196203151313", True, "非营运", D(2017, 5, 5), "正常"),
    (4, "湘D1A2B3", "小型汽车", "小型轿车", "张伟", "张伟", "430482195007077158", "430482195007077158", True, "非营运", D(2012, 2, 2), "转出"),
    (5, "湘DX9X9X", "小型汽车", "小型轿车", "张伟", "张伟", "430421198102198338", "430421198102198338", True, "非营运", D(2020, 10, 10), "正常"),
]

MEDICAL = [
    # row, settlement_id, type, original, name, id, care, admitted, discharged, settled, institution, dx, dx_name, total, fund, critical, assistance, oop, mismatch
    (6, "Y20261020000187", "正常", None, "王建国", "430482196203151313", "住院", D(2026, 10, 2), D(2026, 10, 19), D(2026, 10, 20), "常宁市人民医院", "C34.9", "支气管或肺恶性肿瘤", 58200, 33500, 9800, 3000, 11900, False),
    (2, "Y20261021000033", "正常", None, "陈思", "430482200805065227", "普通门诊", None, None, D(2026, 10, 21), "宜阳街道社区卫生服务中心", "J06.9", "急性上呼吸道感染", 236.5, 120, 0, 0, 116.5, False),
    (3, "Y20261025000410", "正常", None, "陈丽华", "430482197801304687", "门诊慢特病", None, None, D(2026, 10, 25), "常宁市中医医院", "N18.3", "慢性肾脏病3期", 3100, 2000, 0, 0, 1100, False),
    (4, "Y20261028000052", "冲销", "Y20261025000410", "陈丽华", "430482197801304687", "门诊慢特病", None, None, D(2026, 10, 28), "常宁市中医医院", "N18.3", "慢性肾脏病3期", -3100, -2000, 0, 0, -1100, False),
    (5, "Y20261029000099", "正常", None, "刘强", "430482197209099119", "住院", D(2026, 10, 20), D(2026, 10, 28), D(2026, 10, 29), "常宁市人民医院", "I63.9", "脑梗死", 12000, 8000, 0, 0, 3500, True),
]

DISABILITY = [
    # row, cert_no, name, name_norm, id_raw, id_norm, sex, category, grade, grade_num, issued, status, address
    (1, "43048219780130468742", "陳麗華", "陈丽华", None, "430482197801304687", "女", "肢体", "二级", 2, D(2026, 9, 18), "有效", "湖南省衡阳市常宁市宜阳街道向阳社区6栋301"),
    (2, "43048220080506522753", "陈思", "陈思", "430482200805065227", "430482200805065227", "女", "智力", "三级", 3, D(2026, 10, 9), "有效", "湖南省衡阳市常宁市宜阳街道向阳社区6栋301"),
    (3, "43048219720909911962", "刘强", "刘强", None, "430482197209099119", "男", "精神", "二级", 2, D(2019, 4, 1), "有效", "湖南省衡阳市常宁市荫田镇清水村2组8号"),
    (4, "43048219500707715844", "张伟", "张伟", None, "430482195007077158", "男", "肢体", "四级", 4, D(2011, 1, 1), "过期", "湖南省衡阳市常宁市大堡乡龙口村1组7号"),
]

DEATHS = [
    (1, "430482196508022424", "李秀英", D(2026, 10, 30), D(2026, 11, 2)),
    (2, "430482195007077158", "张伟", D(2026, 10, 15), D(2026, 10, 20)),
]

_GRADE_NUM = {"一级": 1, "二级": 2, "三级": 3, "四级": 4}


def housing_key(unit_no: str, id_norm: str | None, name_norm: str) -> str:
    return f"{unit_no}|{id_norm or ''}|{name_norm}"


def vehicle_key(plate: str, id_norm: str | None, name_norm: str) -> str:
    return f"{plate}|{id_norm or ''}|{name_norm}"


def links_rows() -> list[tuple]:
    """The links the matcher makes for the samples: (source, record_key, person_id, household_id, method, score)."""
    wang, li, lei = "430482196203151313", "430482196508022424", "43048219901123357X"
    chen, si, zhang = "430482197801304687", "430482200805065227", "430482195007077158"
    h1, h2, h4 = "CN-S-0001", "CN-S-0002", "CN-S-0004"
    return [
        ("households", "CN-S-0001", wang, h1, "exact", None),
        ("households", "CN-S-0002", chen, h2, "exact", None),
        ("households", "CN-S-0003", "430482198512126049", "CN-S-0003", "exact", None),
        ("households", "CN-S-0004", zhang, h4, "exact", None),
        ("housing", housing_key(HOUSING[0][1], wang, "王建国"), wang, h1, "exact", None),
        ("housing", housing_key(HOUSING[1][1], li, "李秀英"), li, h1, "id_normalised", None),
        ("housing", housing_key(HOUSING[2][1], None, "王建国"), wang, h1, "fuzzy", 14.2),
        ("housing", housing_key(HOUSING[3][1], lei, "王磊"), lei, h1, "id_normalised", None),
        ("housing", housing_key(HOUSING[5][1], zhang, "张伟"), zhang, h4, "exact", None),
        ("vehicle", vehicle_key("湘D3K7Q2", lei, "王磊"), lei, h1, "exact", None),
        ("vehicle", vehicle_key("湘DD52880", "430482197811304687", "陈丽华"), chen, h2, "fuzzy", 11.7),
        ("vehicle", vehicle_key("湘D8M611", wang, "王建国"), wang, h1, "exact", None),
        ("vehicle", vehicle_key("湘D1A2B3", zhang, "张伟"), zhang, h4, "exact", None),
        ("medical", "Y20261020000187", wang, h1, "exact", None),
        ("medical", "Y20261021000033", si, h2, "exact", None),
        ("medical", "Y20261025000410", chen, h2, "exact", None),
        ("medical", "Y20261028000052", chen, h2, "exact", None),
        ("disability", "43048219780130468742", chen, h2, "id_normalised", None),
        ("disability", "43048220080506522753", si, h2, "exact", None),
        ("disability", "43048219500707715844", zhang, h4, "id_normalised", None),
        ("death", li, li, h1, "exact", None),
        ("death", zhang, zhang, h4, "exact", None),
    ]


def build_sample_tables(con) -> None:
    """Migrate the warehouse schema, then (re)create staged.* and linked.links holding the spec samples."""
    from hedui.warehouse import migrate

    migrate(con)
    con.execute(STAGED_DDL)
    con.executemany(
        "insert into staged.households values ('households/20261103', 'households.csv', ?, ?, ?, ?, ?, ?, ?, true, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (i, h[0], h[0], h[1], h[1], h[2], h[2], *h[3:])
            for i, h in enumerate(HOUSEHOLDS, start=1)
        ],
    )
    con.executemany(
        "insert into staged.members values ('members/20261103', 'members.csv', ?, ?, ?, ?, ?, ?, true, ?, ?, ?, ?, ?, ?)",
        [
            (i, f"{m[0]}|{m[3]}", m[1], m[1], m[2], m[3], m[0], m[4], m[5], m[6], m[7], _GRADE_NUM.get(m[7]))
            for i, m in enumerate(MEMBERS, start=1)
        ],
    )
    con.executemany(
        "insert into staged.housing values ('housing/20261103', 'housing.csv', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r[0], housing_key(r[1], r[5], r[3]), r[2], r[3], r[4], r[5], r[6], r[1], *r[7:]) for r in HOUSING],
    )
    con.executemany(
        "insert into staged.vehicle values ('vehicle/20261103', 'vehicle.csv', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r[0], vehicle_key(r[1], r[7], r[5]), r[4], r[5], r[6], r[7], r[8], r[1], r[2], r[3], r[9], r[10], r[11]) for r in VEHICLES],
    )
    con.executemany(
        "insert into staged.medical values ('medical/20261103', 'medical.csv', ?, ?, ?, ?, ?, ?, true, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r[0], r[1], r[4], r[4], r[5], r[5], r[1], r[2], r[3], *r[6:]) for r in MEDICAL],
    )
    con.executemany(
        "insert into staged.disability values ('disability/20261103', 'disability.xlsx', ?, ?, ?, ?, ?, ?, true, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r[0], r[1], r[2], r[3], r[4], r[5], r[1], *r[6:]) for r in DISABILITY],
    )
    con.executemany(
        "insert into staged.death values ('death/20261103', 'death.csv', ?, ?, ?, ?, ?, ?, true, ?, ?)",
        [(r[0], r[1], r[2], r[2], r[1], r[1], r[3], r[4]) for r in DEATHS],
    )
    con.executemany(
        "insert into linked.links (source, record_key, person_id, household_id, method, score) values (?, ?, ?, ?, ?, ?)",
        links_rows(),
    )

