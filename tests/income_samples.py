"""The spec v2 samples (`samples/README.md`, dated 2026-11-03) of the six income, business and integrity sources as
staged and linked tables, on top of the v1 tables of `tests.spec_samples`, and the warnings they add.

The columns are those of the fixed staged names (`notes/income-contract.md`, the connectors' typing convention):
a `name` column gives `<name>` and `<name>_norm`, an `id` column gives `<prefix>_raw/_norm/_valid/_sci_notation`,
every row has `record_key, delivery_id, delivery_date, file, row_number`; months are DATEs (first day). The rows
are the sample deliveries after the connectors and the linker: the resent contribution is one row (one per key),
the lower-case `x` normalised, the relative named without an ID left unlinked. Building them directly tests the
model and the rules without the connectors.
"""

from __future__ import annotations

import datetime as dt

from tests.spec_samples import EXPECTED_SAMPLE_WARNINGS, build_sample_tables

# The warnings the v2 samples add to the v1 ones (samples/README.md, "Expected warnings").
EXPECTED_INCOME_SAMPLE_WARNINGS = frozenset({
    ("INCOME_ABOVE_STANDARD", "CN-S-0001", None),
    ("INCOME_UNDERDECLARED", "CN-S-0001", None),
    ("INCOME_ABOVE_STANDARD", "CN-S-0003", None),
    ("INTEGRITY_PUBLIC_PAYROLL", "CN-S-0001", "43048219901123357X"),
    ("ASSET_BUSINESS", "CN-S-0001", "430482196203151313"),
    ("INTEGRITY_STAFF_RELATIVE", "CN-S-0002", "430482197801304687"),
    ("INTEGRITY_STAFF_RELATIVE", "CN-S-0003", "430482198512126049"),
})
EXPECTED_ALL_SAMPLE_WARNINGS = EXPECTED_SAMPLE_WARNINGS | EXPECTED_INCOME_SAMPLE_WARNINGS

D = dt.date
DELIVERED = D(2026, 11, 3)

WANG, LI, LEI = "430482196203151313", "430482196508022424", "43048219901123357X"
CHEN, SI, AYGUL = "430482197801304687", "430482200805065227", "430482198512126049"
ZHANG, ZHANG_STRANGER, LIU = "430482195007077158", "430421198102198338", "430482197209099119"

_COMMON = """
    record_key varchar, delivery_id varchar, delivery_date date, file varchar, row_number bigint,
"""


def _id(prefix: str) -> str:
    return f"{prefix}_raw varchar, {prefix}_norm varchar, {prefix}_valid boolean, {prefix}_sci_notation boolean,"


INCOME_DDL = f"""
alter table staged.households add column if not exists urban_rural_raw varchar;
alter table staged.households add column if not exists urban_rural varchar;
alter table staged.households add column if not exists filed_separately_raw varchar;
alter table staged.households add column if not exists filed_separately boolean;
create or replace table staged.social_insurance ({_COMMON}
    contribution_id varchar, person_name varchar, person_name_norm varchar, {_id('id')}
    insurance_type varchar, participant_type varchar, employer varchar, contribution_month date,
    contribution_base decimal(14,2), contribution_status varchar, original_contribution_id varchar
);
create or replace table staged.benefits ({_COMMON}
    payment_id varchar, person_name varchar, person_name_norm varchar, {_id('id')}
    benefit_type varchar, benefit_month date, amount decimal(14,2), payment_status varchar
);
create or replace table staged.housing_fund ({_COMMON}
    account_no varchar, person_name varchar, person_name_norm varchar, {_id('id')}
    employer varchar, deposit_base decimal(14,2), monthly_deposit decimal(14,2), account_status varchar,
    last_deposit_month date
);
create or replace table staged.public_payroll ({_COMMON}
    person_name varchar, person_name_norm varchar, {_id('id')}
    employer varchar, staff_category varchar, gross_pay decimal(14,2), payroll_month date
);
create or replace table staged.business ({_COMMON}
    credit_code varchar, credit_code_valid boolean, entity_name varchar, entity_type varchar,
    registration_status varchar, established_on date, registered_capital_wan decimal(14,4),
    person_name varchar, person_name_norm varchar, {_id('id')}
    role varchar, subscribed_capital_wan decimal(14,4)
);
create or replace table staged.staff_roster ({_COMMON}
    staff_name varchar, staff_name_norm varchar, {_id('staff_id')}
    workplace varchar, township varchar, post varchar, relative_name varchar, relative_name_norm varchar,
    {_id('relative_id')} relationship varchar
);
"""

# household_id -> (城乡 as delivered, 城乡 derived, 单独登记备案 as delivered, filed_separately)
HOUSEHOLDS_V2 = {
    "CN-S-0001": (None, "农村", "是", True),
    "CN-S-0002": ("城市", "城市", None, False),
    "CN-S-0003": ("农村", "农村", "否", False),
    "CN-S-0004": ("农村", "农村", None, False),
}

M = lambda year, month: D(year, month, 1)  # noqa: E731 (a month as the connectors stage it)

SOCIAL_INSURANCE = [
    # row, contribution_id, name, id_raw, id_norm, type, participant, employer, month, base, status, original
    (1, "SB202607004411", "王磊", LEI, LEI, "机关事业单位养老保险", "单位职工", "常宁市自然资源局", M(2026, 7), 4800, "正常", None),
    (2, "SB202608004411", "王磊", LEI, LEI, "机关事业单位养老保险", "单位职工", "常宁市自然资源局", M(2026, 8), 5000, "正常", None),
    (3, "SB202609004411", "王磊", LEI, LEI, "机关事业单位养老保险", "单位职工", "常宁市自然资源局", M(2026, 9), 5000, "正常", None),
    # row 4 was delivered again as row 11: the staged table holds the newest version of the key
    (11, "SB202610004411", "王磊", LEI, LEI, "机关事业单位养老保险", "单位职工", "常宁市自然资源局", M(2026, 10), 5000, "正常", None),
    (5, "SB202610004498", "王磊", LEI, LEI, "机关事业单位养老保险", "单位职工", "常宁市自然资源局", M(2026, 10), 5000, "正常", None),
    (6, "SB202610009902", "王磊", LEI, LEI, "机关事业单位养老保险", "单位职工", "常宁市自然资源局", M(2026, 10), -5000, "退费", "SB202610004498"),
    (7, "SB202608007730", "陈丽华", CHEN, CHEN, "企业职工基本养老保险", "灵活就业人员", None, M(2026, 8), 3000, "正常", None),
    (8, "SB202609007730", "陈丽华", CHEN, CHEN, "企业职工基本养老保险", "灵活就业人员", None, M(2026, 9), 3000, "正常", None),
    (9, "SB202610007730", "陈丽华", CHEN, CHEN, "企业职工基本养老保险", "灵活就业人员", None, M(2026, 10), 3000, "正常", None),
    (10, "SB202610008123", "张伟", ZHANG_STRANGER, ZHANG_STRANGER, "企业职工基本养老保险", "单位职工", "衡阳县西渡建材有限公司", M(2026, 10), 8000, "正常", None),
]

BENEFITS = [
    # row, payment_id, name, id, type, month, amount, status
    (3, "DY2026070211", "王建国", WANG, "基本养老金", M(2026, 7), 2150, "已发放"),
    (4, "DY2026080211", "王建国", WANG, "基本养老金", M(2026, 8), 2150, "已发放"),
    (5, "DY2026090211", "王建国", WANG, "基本养老金", M(2026, 9), 2150, "已发放"),
    (6, "DY2026100211", "王建国", WANG, "基本养老金", M(2026, 10), 2150, "已发放"),
    (7, "DY2026100987", "王建国", WANG, "基本养老金", M(2026, 10), 2150, "已退回"),
    (8, "DY2026090555", "陈丽华", CHEN, "丧葬补助金", M(2026, 9), 5000, "已发放"),
    (9, "DY2026100301", "刘强", LIU, "城乡居民养老金", M(2026, 10), 188, "已发放"),
]

HOUSING_FUND = [
    # row, account_no, name, id, employer, base, monthly, status, last month
    (1, "430482000145", "王磊", LEI, "常宁市自然资源局", 4500, 540, "正常", M(2026, 10)),
    (2, "430482000233", "陈丽华", CHEN, "常宁市宜阳纺织厂", 2000, 160, "封存", M(2018, 12)),
    (3, "430421000877", "张伟", ZHANG_STRANGER, "衡阳县西渡建材有限公司", 8000, 960, "正常", M(2026, 10)),
]

PUBLIC_PAYROLL = [
    # row, name, id_raw, id_norm, employer, category, pay, month
    (1, "王磊", "43048219901123357x", LEI, "常宁市自然资源局", "在职在编", 5200, M(2026, 10)),
    (2, "阿依古丽·买买提", AYGUL, AYGUL, "常宁市塔山乡卫生院", "编外聘用", 1900, M(2026, 10)),
    (3, "张伟", ZHANG_STRANGER, ZHANG_STRANGER, "衡阳县西渡镇人民政府", "在职在编", 6800, M(2026, 10)),
    (4, "张伟", ZHANG, ZHANG, "常宁市大堡乡人民政府", "离退休", 3100, M(2026, 9)),
]

BUSINESS = [
    # row, credit_code, entity, type, status, established, capital, name, id, role, subscribed
    (1, "92430482MA4Q7K2B3E", "常宁市烟洲镇建国农资店", "个体工商户", "存续", D(2019, 6, 18), None, "王建国", WANG, "经营者", None),
    (2, "91430482MA4L0R1B1G", "常宁市建国贸易有限公司", "有限责任公司", "吊销", D(2012, 3, 1), 50, "王建国", WANG, "法定代表人", 30),
    (3, "93430482MA4T8N5C2W", "常宁市向阳蔬菜种植专业合作社", "农民专业合作社", "存续", D(2020, 5, 6), 10, "陈丽华", CHEN, "投资人", 0.5),
    (4, "91430482MA4R3P6D4X", "常宁市龙口机械租赁有限公司", "有限责任公司", "在业", D(2016, 9, 9), 100, "张伟", ZHANG, "法定代表人", 60),
    (5, "91430421MA4U9W7E54", "衡阳县西渡建材有限公司", "有限责任公司", "存续", D(2018, 1, 12), 200, "张伟", ZHANG_STRANGER, "投资人", 40),
]

STAFF_ROSTER = [
    # row, staff_name, staff_id, workplace, township, post, relative_name, relative_id, relationship
    (4, "陈建军", "43048219750611213X", "向阳社区居民委员会", "宜阳街道", "村（居）委会成员", "陈丽华", CHEN, "兄弟姐妹"),
    (5, "李明", "430482196802143155", "烟洲镇人民政府", "烟洲镇", "民政经办人员", "李秀英", LI, "兄弟姐妹"),
    (6, "阿依古丽·买买提", AYGUL, "石塘村村民委员会", "塔山乡", "村（居）委会成员", None, None, None),
    (7, "赵磊", "430482198203054176", "大堡乡人民政府", "大堡乡", "民政经办人员", "张伟", None, "父母"),
]


def payroll_key(id_norm: str, employer: str, month: dt.date, category: str) -> str:
    return f"{id_norm}|{employer}|{month:%Y-%m}|{category}"


def business_key(credit_code: str, person: str, role: str) -> str:
    return f"{credit_code}|{person}|{role}"


def staff_key(staff_id: str, relative: str | None) -> str:
    return f"{staff_id}|{relative or ''}"


def income_links_rows() -> list[tuple]:
    """The links the matcher makes for the v2 samples: (source, record_key, person_id, household_id, method,
    score). Strangers are in no household, so they are not linked; the relative named without an ID is never."""
    h1, h2, h3, h4 = "CN-S-0001", "CN-S-0002", "CN-S-0003", "CN-S-0004"
    household_of = {WANG: h1, LI: h1, LEI: h1, CHEN: h2, SI: h2, AYGUL: h3, ZHANG: h4}
    rows = []
    for r in SOCIAL_INSURANCE:
        if r[4] in household_of:
            rows.append(("social_insurance", r[1], r[4], household_of[r[4]], "exact", None))
    for r in BENEFITS:
        if r[3] in household_of:
            rows.append(("benefits", r[1], r[3], household_of[r[3]], "exact", None))
    for r in HOUSING_FUND:
        if r[3] in household_of:
            rows.append(("housing_fund", r[1], r[3], household_of[r[3]], "exact", None))
    for r in PUBLIC_PAYROLL:
        if r[3] in household_of:
            method = "exact" if r[2] == r[3] else "id_normalised"
            rows.append(("public_payroll", payroll_key(r[3], r[4], r[7], r[5]), r[3], household_of[r[3]], method, None))
    for r in BUSINESS:
        if r[8] in household_of:
            rows.append(("business", business_key(r[1], r[8], r[9]), r[8], household_of[r[8]], "exact", None))
    for r in STAFF_ROSTER:
        key = staff_key(r[2], r[7] or r[6])
        if r[2] in household_of:
            rows.append(("staff_roster", key, r[2], household_of[r[2]], "exact", None))
        if r[7] in household_of:
            rows.append(("staff_roster_relative", key, r[7], household_of[r[7]], "exact", None))
    return rows


def build_income_sample_tables(con) -> None:
    """The v1 sample tables (`build_sample_tables`), the v2 household columns, the six new staged tables and
    their links."""
    build_sample_tables(con)
    add_income_tables(con)


def add_income_tables(con) -> None:
    """Add the v2 household columns, the six new staged tables and their links to the v1 sample tables."""
    con.execute(INCOME_DDL)
    for household_id, (raw, derived, filed_raw, filed) in HOUSEHOLDS_V2.items():
        con.execute("update staged.households set urban_rural_raw = ?, urban_rural = ?, filed_separately_raw = ?,"
                    " filed_separately = ? where household_id = ?", [raw, derived, filed_raw, filed, household_id])

    def common(source: str, row: int, key: str, file: str) -> tuple:
        return (key, f"{source}/20261103", DELIVERED, file, row)

    con.executemany(
        "insert into staged.social_insurance values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true, false, ?, ?, ?, ?, ?, ?, ?)",
        [(*common("social_insurance", r[0], r[1], "social_insurance.csv"), r[1], r[2], r[2], r[3], r[4], *r[5:])
         for r in SOCIAL_INSURANCE],
    )
    con.executemany(
        "insert into staged.benefits values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true, false, ?, ?, ?, ?)",
        [(*common("benefits", r[0], r[1], "benefits.xlsx"), r[1], r[2], r[2], r[3], r[3], *r[4:]) for r in BENEFITS],
    )
    con.executemany(
        "insert into staged.housing_fund values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true, false, ?, ?, ?, ?, ?)",
        [(*common("housing_fund", r[0], r[1], "housing_fund.csv"), r[1], r[2], r[2], r[3], r[3], *r[4:])
         for r in HOUSING_FUND],
    )
    con.executemany(
        "insert into staged.public_payroll values (?, ?, ?, ?, ?, ?, ?, ?, ?, true, false, ?, ?, ?, ?)",
        [(*common("public_payroll", r[0], payroll_key(r[3], r[4], r[7], r[5]), "public_payroll.csv"),
          r[1], r[1], r[2], r[3], *r[4:]) for r in PUBLIC_PAYROLL],
    )
    con.executemany(
        "insert into staged.business values (?, ?, ?, ?, ?, ?, true, ?, ?, ?, ?, ?, ?, ?, ?, ?, true, false, ?, ?)",
        [(*common("business", r[0], business_key(r[1], r[8], r[9]), "business.csv"), r[1], *r[2:7], r[7], r[7],
          r[8], r[8], r[9], r[10]) for r in BUSINESS],
    )
    con.executemany(
        "insert into staged.staff_roster values (?, ?, ?, ?, ?, ?, ?, ?, ?, true, false, ?, ?, ?, ?, ?, ?, ?, ?, false, ?)",
        [(*common("staff_roster", r[0], staff_key(r[2], r[7] or r[6]), "staff_roster.xlsx"), r[1], r[1], r[2], r[2],
          r[3], r[4], r[5], r[6], r[6], r[7], r[7], r[7] is not None, r[8]) for r in STAFF_ROSTER],
    )
    con.executemany(
        "insert into linked.links (source, record_key, person_id, household_id, method, score) values (?, ?, ?, ?, ?, ?)",
        income_links_rows(),
    )
