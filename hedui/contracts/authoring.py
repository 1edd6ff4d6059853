"""The source of truth for the data-contract suites, written as Python and serialised to
``data_contracts/<source>.json`` in Great Expectations' own format.

The JSON files are what the pipeline loads (``hedui.contracts.suites``); this module is how they are
(re)written, so that every rule is stated once.  Regenerate with::

    python -m hedui.contracts.authoring          # from the repository root: writes data_contracts/*.json

A test checks the committed JSON equals what this module produces.

Every expectation carries ``meta`` that the quarantine step uses to write a reason a person can act on:

``rule``    short stable name of the rule (also the ``expectation`` column of ``quarantine.rows``)
``column``  the Chinese column name of the spec (used in reasons)
``src``     the raw-text column (``src_<name>``, or ``id_raw`` for IDs), to tell missing from unparseable
``kind``    text | date | amount | number | integer | id | code
``pii``     true for names, IDs, certificate numbers, plates, unit numbers, addresses: their value is never
            written into a reason (it goes only into ``quarantine.rows.value``)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from hedui.contracts._gxenv import gx_offline

@dataclass(frozen=True)
class Col:
    name: str  # English name in the candidate table (docs/internals.md)
    label: str  # Chinese name of the spec
    kind: str  # text | date | amount | number | integer | id | code
    required: bool = False
    values: tuple[str, ...] = ()  # value set, if any
    pii: bool = False
    not_after_as_of: bool = False  # a date that cannot lie in the future of the as-of date

    @property
    def src(self) -> str:
        return f"{self.id_prefix}id_raw" if self.kind == "id" else f"src_{self.name}"

    @property
    def id_prefix(self) -> str:
        # households: head_id_raw / head_id_norm / ...; everyone else: id_raw / id_norm / ...
        return self.name[: -len("id")] if self.kind == "id" else ""


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    columns: tuple[Col, ...]
    extra: list = field(default_factory=list)  # source-specific expectation dicts

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


CATEGORY = ("城市低保", "农村低保", "特困供养", "低保边缘", "支出型困难")
HH_STATUS = ("在保", "审核中", "已退出")
RELATION = ("本人", "配偶", "子", "女", "父亲", "母亲", "孙子女", "兄弟姐妹", "其他")
SEX = ("男", "女")
GRADE = ("一级", "二级", "三级", "四级")
CO_OWNERSHIP = ("单独所有", "共同共有", "按份共有")
USE_TYPE = ("住宅", "商业", "办公", "工业", "车库车位", "其他")
TITLE_STATUS = ("现势", "注销")
VEHICLE_STATUS = ("正常", "转出", "注销", "报废", "被盗抢")
SETTLEMENT_TYPE = ("正常", "冲销")
CARE_TYPE = ("普通门诊", "门诊慢特病", "住院")
DIS_CATEGORY = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
CERT_STATUS = ("有效", "注销", "过期")

NAME = dict(kind="text", pii=True)

SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            "households",
            "救助对象家庭",
            (
                Col("household_id", "家庭编号", "text", True),
                Col("head_name", "户主姓名", required=True, **NAME),
                Col("head_id", "户主身份证号", "id", True, pii=True),
                Col("category", "保障类别", "code", True, CATEGORY),
                Col("status", "状态", "code", True, HH_STATUS),
                Col("county", "区县", "text", True),
                Col("township", "乡镇街道", "text", True),
                Col("village", "村社区", "text"),
                Col("household_size", "家庭人口", "integer", True),
                Col("applied_on", "申请日期", "date", True, not_after_as_of=True),
                Col("enrolled_on", "纳入日期", "date", not_after_as_of=True),
                Col("monthly_benefit", "月保障金", "amount"),
                Col("declared_monthly_income", "申报月收入", "amount", True),
            ),
        ),
        Source(
            "members",
            "家庭成员",
            (
                Col("household_id", "家庭编号", "text", True),
                Col("person_name", "姓名", required=True, **NAME),
                Col("id", "身份证号", "id", True, pii=True),
                Col("sex", "性别", "code", values=SEX),
                Col("birth_date", "出生日期", "date", not_after_as_of=True),
                Col("relation", "与户主关系", "code", True, RELATION),
                Col("disability_grade", "残疾等级", "code", values=GRADE),
            ),
        ),
        Source(
            "housing",
            "不动产登记",
            (
                Col("unit_no", "不动产单元号", "text", True, pii=True),
                Col("person_name", "权利人", required=True, **NAME),
                Col("id", "证件号码", "id", pii=True),
                Col("co_ownership", "共有方式", "code", values=CO_OWNERSHIP),
                Col("address", "坐落", "text", True, pii=True),
                Col("use_type", "规划用途", "code", True, USE_TYPE),
                Col("floor_area", "建筑面积", "number"),
                Col("registered_on", "登记日期", "date", True, not_after_as_of=True),
                Col("title_status", "权属状态", "code", True, TITLE_STATUS),
            ),
        ),
        Source(
            "vehicle",
            "机动车登记",
            (
                Col("plate", "号牌号码", "text", True, pii=True),
                Col("plate_type", "号牌种类", "text"),
                Col("vehicle_type", "车辆类型", "text", True),
                Col("person_name", "机动车所有人", required=True, **NAME),
                Col("id", "身份证明号码", "id", pii=True),
                Col("use_nature", "使用性质", "text"),
                Col("registered_on", "初次登记日期", "date", True, not_after_as_of=True),
                Col("vehicle_status", "机动车状态", "code", True, VEHICLE_STATUS),
            ),
        ),
        Source(
            "medical",
            "医保结算",
            (
                Col("settlement_id", "结算流水号", "text", True),
                Col("settlement_type", "结算类型", "code", values=SETTLEMENT_TYPE),
                Col("original_settlement_id", "原结算流水号", "text"),
                Col("person_name", "姓名", required=True, **NAME),
                Col("id", "身份证号", "id", True, pii=True),
                Col("care_type", "医疗类别", "code", True, CARE_TYPE),
                Col("admitted_on", "入院日期", "date", not_after_as_of=True),
                Col("discharged_on", "出院日期", "date", not_after_as_of=True),
                Col("settled_on", "结算日期", "date", True, not_after_as_of=True),
                Col("institution", "医疗机构名称", "text"),
                Col("diagnosis_code", "主诊断编码", "text"),
                Col("diagnosis_name", "主诊断名称", "text"),
                Col("total_cost", "医疗总费用", "amount", True),
                Col("fund_paid", "统筹基金支付", "amount"),
                Col("critical_illness_paid", "大病保险支付", "amount"),
                Col("assistance_paid", "医疗救助支付", "amount"),
                Col("out_of_pocket", "个人自付", "amount", True),
            ),
        ),
        Source(
            "disability",
            "残疾人证",
            (
                Col("cert_no", "残疾人证号", "text", True, pii=True),
                Col("person_name", "姓名", required=True, **NAME),
                Col("id", "身份证号", "id", pii=True),
                Col("sex", "性别", "code", values=SEX),
                Col("category", "残疾类别", "code", True, DIS_CATEGORY),
                Col("grade", "残疾等级", "code", True, GRADE),
                Col("issued_on", "发证日期", "date", True, not_after_as_of=True),
                Col("cert_status", "证件状态", "code", True, CERT_STATUS),
                Col("registered_address", "户籍地址", "text", pii=True),
            ),
        ),
        Source(
            "death",
            "户籍注销(死亡)",
            (
                Col("id", "公民身份号码", "id", True, pii=True),
                Col("person_name", "姓名", required=True, **NAME),
                Col("died_on", "死亡日期", "date", True, not_after_as_of=True),
                Col("deregistered_on", "注销日期", "date", not_after_as_of=True),
            ),
        ),
    ]
}

AMOUNTS = ("total_cost", "fund_paid", "critical_illness_paid", "assistance_paid", "out_of_pocket")


def _meta(c: Col, rule: str, **more) -> dict:
    m = {"rule": rule, "column": c.label, "src": c.src, "kind": c.kind, "pii": c.pii}
    m.update(more)
    return m


def _e(type_: str, meta: dict, **kwargs) -> dict:
    return {"type": type_, "kwargs": kwargs, "meta": meta}


def _not_null_src(src: str) -> dict:
    return {"type": "nullity", "column": {"name": src}, "is_null": False}


def _eq(column: str, value) -> dict:
    return {"type": "comparison", "column": {"name": column}, "operator": "==", "parameter": value}


def expectation_dicts(source: Source) -> list[dict]:
    out: list[dict] = []
    src_cols = sorted(
        {"file", "row_number"}
        | {c.src for c in source.columns}
        | {c.name for c in source.columns if c.kind != "id"}
        | {f"{c.id_prefix}{x}" for c in source.columns if c.kind == "id"
           for x in ("id_norm", "id_valid", "id_sci_notation")}
    )
    out.append(
        _e(
            "expect_table_columns_to_match_set",
            {"rule": "columns_present", "column": "", "src": "", "kind": "table", "pii": False},
            column_set=src_cols,
            exact_match=False,
        )
    )
    for c in source.columns:
        parsed = f"{c.id_prefix}id_raw" if c.kind == "id" else c.name
        if c.required and c.kind != "amount":
            out.append(_e("expect_column_values_to_not_be_null", _meta(c, "required"), column=parsed))
        elif c.kind in ("date", "amount", "number", "integer"):
            # Optional columns, and required amounts: an empty amount is "unknown, not zero" (spec, section 3),
            # which the samples confirm (an exited household with no declared income loads). It is flagged by
            # the connector (`amount_unknown`); a delivered value that does not parse still fails.
            # optional, but when a value was delivered it must parse
            out.append(
                _e(
                    "expect_column_values_to_not_be_null",
                    _meta(c, "parseable"),
                    column=parsed,
                    row_condition=_not_null_src(c.src),
                )
            )
        if c.values:
            out.append(
                _e("expect_column_values_to_be_in_set", _meta(c, "value_set"), column=c.name,
                   value_set=list(c.values))
            )
        if c.not_after_as_of:
            out.append(
                _e(
                    "expect_column_values_to_be_between",
                    _meta(c, "not_after_as_of"),
                    column=c.name,
                    max_value={"$PARAMETER": "as_of"},
                )
            )
        if c.kind == "id":
            out.append(
                _e(
                    "expect_column_values_to_be_in_set",
                    _meta(c, "id_scientific_notation"),
                    column=f"{c.id_prefix}id_sci_notation",
                    value_set=[False],
                )
            )
    out.extend(_specific(source))
    return out


def _specific(source: Source) -> list[dict]:
    s = source
    out: list[dict] = []
    if s.name == "households":
        c = s.col("household_size")
        out.append(_e("expect_column_values_to_be_between", _meta(c, "at_least_one"), column=c.name, min_value=1))
        for n in ("monthly_benefit", "declared_monthly_income"):
            c = s.col(n)
            out.append(_e("expect_column_values_to_be_between", _meta(c, "not_negative"), column=n, min_value=0))
        a, e = s.col("applied_on"), s.col("enrolled_on")
        out.append(
            _e(
                "expect_column_pair_values_a_to_be_greater_than_b",
                _meta(e, "not_before", other=a.label, other_column=a.name),
                column_A=e.name, column_B=a.name, or_equal=True, ignore_row_if="either_value_is_missing",
            )
        )
    elif s.name == "members":
        c = s.col("id")
        out.append(_e("expect_column_values_to_not_be_null", _meta(c, "id_normalisable"), column="id_norm",
                      row_condition=_not_null_src("id_raw")))
    elif s.name == "housing":
        c = s.col("floor_area")
        out.append(_e("expect_column_values_to_be_between", _meta(c, "not_negative"), column=c.name, min_value=0))
    elif s.name == "medical":
        adm, dis = s.col("admitted_on"), s.col("discharged_on")
        out.append(
            _e(
                "expect_column_pair_values_a_to_be_greater_than_b",
                _meta(dis, "not_before", other=adm.label, other_column=adm.name),
                column_A=dis.name, column_B=adm.name, or_equal=True, ignore_row_if="either_value_is_missing",
            )
        )
        orig = s.col("original_settlement_id")
        out.append(
            _e(
                "expect_column_values_to_not_be_null",
                _meta(orig, "reversal_names_original"),
                column=orig.name,
                row_condition=_eq("settlement_type", "冲销"),
            )
        )
        for n in AMOUNTS:
            c = s.col(n)
            out.append(
                _e("expect_column_values_to_be_between", _meta(c, "reversal_negative"), column=n,
                   max_value=0, strict_max=(n in ("total_cost",)), row_condition=_eq("settlement_type", "冲销"))
            )
            out.append(
                _e("expect_column_values_to_be_between", _meta(c, "normal_not_negative"), column=n,
                   min_value=0, row_condition=_eq("settlement_type", "正常"))
            )
    elif s.name == "disability":
        c = s.col("cert_no")
        # GX 1.24 supports neither regex nor LIKE for the duckdb dialect: the two digits are cut out by
        # the suite's meta.derived_columns (evaluated in DuckDB by hedui.contracts) and checked as value sets
        out.append(_e("expect_column_value_lengths_to_equal", _meta(c, "cert_no_format"), column=c.name, value=20))
        out.append(_e("expect_column_values_to_be_in_set", _meta(c, "cert_no_format"),
                      column="cert_no_category_digit", value_set=[str(i) for i in range(1, 8)]))
        out.append(_e("expect_column_values_to_be_in_set", _meta(c, "cert_no_format"),
                      column="cert_no_grade_digit", value_set=[str(i) for i in range(1, 5)]))
    elif s.name == "death":
        c = s.col("id")
        out.append(_e("expect_column_values_to_not_be_null", _meta(c, "id_normalisable"), column="id_norm",
                      row_condition=_not_null_src("id_raw")))
        d, r = s.col("died_on"), s.col("deregistered_on")
        out.append(
            _e(
                "expect_column_pair_values_a_to_be_greater_than_b",
                _meta(r, "not_before", other=d.label, other_column=d.name),
                column_A=r.name, column_B=d.name, or_equal=True, ignore_row_if="either_value_is_missing",
            )
        )
        # a death before the birth written in the person's own ID is impossible: loaded, it would link by ID
        # and tell a caseworker that a living member died
        out.append(
            _e(
                "expect_column_pair_values_a_to_be_greater_than_b",
                _meta(d, "not_before", other="身份证号码中的出生日期", other_column="birth_date_in_id"),
                column_A=d.name, column_B="birth_date_in_id", or_equal=True, ignore_row_if="either_value_is_missing",
            )
        )
    return out


def build_suite_json(source: str) -> dict:
    """The suite for one source, as GX serialises it (ExpectationSuite.to_json_dict())."""
    gx_offline()
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    src = SOURCES[source]
    suite = gx.ExpectationSuite(
        name=f"hedui.{source}",
        meta={
            "source": source,
            "title": src.title,
            "hedui_contract_version": 1,
            "parameters": {"as_of": "the run's as-of date (a date); dates marked not_after_as_of must not be later"},
        },
    )
    if source == "disability":
        suite.meta["derived_columns"] = {
            "cert_no_category_digit": "substr(cert_no, 19, 1)",
            "cert_no_grade_digit": "substr(cert_no, 20, 1)",
        }
    if source == "death":
        suite.meta["derived_columns"] = {
            "birth_date_in_id": "case when id_valid then try_strptime(substr(id_norm, 7, 8), '%Y%m%d')::date end",
        }
    for i, d in enumerate(expectation_dicts(src)):
        d["meta"]["n"] = i
        suite.add_expectation_configuration(ExpectationConfiguration(**d))
    out = suite.to_json_dict()
    out.pop("id", None)
    for e in out["expectations"]:
        e.pop("id", None)
    return out


def write_all(directory: Path) -> list[Path]:
    """Write every suite into `directory` (the repository's data_contracts/, never the installed package)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SOURCES:
        p = directory / f"{name}.json"
        p.write_text(json.dumps(build_suite_json(name), ensure_ascii=False, indent=2, sort_keys=False) + "\n",
                     encoding="utf-8")
        paths.append(p)
    return paths


if __name__ == "__main__":
    import sys

    for p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "data_contracts")):
        print(p)
