"""The verified-income settings of the city's policy (`income:` of policy.yaml) and their defaults.

What counts as income, and against which standard, is policy (warning-rules.md, "Verified income (v2)"): the
low-income standard (低保标准) differs per county and between town and country and changes every year, and a city
may count another insurance type or exempt another one-off payment. The defaults are the spec's; `policy.yaml`
overrides them key by key, and a key this module does not know is an error, as in every other section.

The settings reach two places: the verified-income model (`hedui/income/model.sql`), which applies the
standards, multipliers and counted types; and the business and integrity rules, which the engine binds the
list settings to (`$business_roles`, `$exempt_entity_types`, ...), so that a rule file cannot silently disagree
with the model about them.
"""

from __future__ import annotations

from typing import Any

from hedui.policy import Policy, PolicyError

URBAN_RURAL = ("城市", "农村")

DEFAULTS: dict[str, Any] = {
    # the monthly minimum living standard (元) per 城乡, for every county; `counties` overrides it per 区县
    "standards": {"城市": 680, "农村": 540},
    "county_standards": {},
    # the limit of a household is the standard × the multiplier of its 保障类别; a category not listed is not tested
    "category_multipliers": {"城市低保": 1.0, "农村低保": 1.0, "特困供养": 1.0, "低保边缘": 1.5, "支出型困难": 2.0},
    # a 缴费基数 counts towards a wage only for these 险种 and 参保身份 (a self-chosen base is no evidence of pay)
    "counted_insurance_types": ["企业职工基本养老保险", "机关事业单位养老保险"],
    "counted_participant_types": ["单位职工"],
    # one-off payments that are not income
    "exempt_benefit_types": ["丧葬补助金", "一次性抚恤金"],
    # ASSET_BUSINESS: the roles that tie a member to a business, the 登记状态 of a going concern, the exempt 主体类型
    "business_roles": ["法定代表人", "经营者", "投资人", "执行事务合伙人"],
    "business_active_statuses": ["存续", "在业"],
    "exempt_entity_types": ["农民专业合作社"],
    # INTEGRITY_PUBLIC_PAYROLL: the 人员类别 of public payroll that raise it
    "payroll_staff_categories": ["在职在编"],
}

# The settings a rule may use as a bound parameter ($name), with the wording caseworkers read in its evidence.
RULE_BOUND_SETTINGS: dict[str, str] = {
    "business_roles": "计入的经营主体人员角色：{}",
    "business_active_statuses": "计入的经营主体登记状态：{}",
    "exempt_entity_types": "不计入的市场主体类型：{}",
    "payroll_staff_categories": "计入的财政统发人员类别：{}",
    "counted_insurance_types": "计入工资的险种：{}",
    "counted_participant_types": "计入工资的参保身份：{}",
    "exempt_benefit_types": "不计入的待遇类型：{}",
}


def income_settings(policy: Policy) -> dict[str, Any]:
    """The `income:` settings under `policy`: the defaults overridden key by key; checked (PolicyError)."""
    settings = policy.section("income", DEFAULTS)
    where = f"policy {policy.source}: income"
    standards = settings["standards"]
    if isinstance(standards, dict):  # one of the two may be overridden alone
        standards = settings["standards"] = {**DEFAULTS["standards"], **standards}
    if not isinstance(standards, dict) or set(standards) != set(URBAN_RURAL):
        raise PolicyError(f"{where}.standards must give the standard of both 城市 and 农村; got {standards!r}")
    counties = settings["county_standards"] or {}
    if not isinstance(counties, dict):
        raise PolicyError(f"{where}.county_standards must map a 区县 to its standards")
    for county, values in counties.items():
        if not isinstance(values, dict) or not set(values) <= set(URBAN_RURAL):
            raise PolicyError(f"{where}.county_standards.{county} may only set 城市 and 农村; got {values!r}")
    for name, values in (("standards", standards), *((f"county_standards.{c}", v) for c, v in counties.items())):
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise PolicyError(f"{where}.{name}.{key} must be a positive number of yuan; got {value!r}")
    multipliers = settings["category_multipliers"]
    if not isinstance(multipliers, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in multipliers.values()):
        raise PolicyError(f"{where}.category_multipliers must map a 保障类别 to a positive number")
    for name in RULE_BOUND_SETTINGS:
        value = settings[name]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise PolicyError(f"{where}.{name} must be a list of values")
    settings["county_standards"] = counties
    return settings


def standard_rows(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The standards as rows (county, urban_rural, standard); county None is the default for every county."""
    rows = [{"county": None, "urban_rural": key, "standard": float(value)}
            for key, value in settings["standards"].items()]
    rows += [{"county": county, "urban_rural": key, "standard": float(value)}
             for county, values in settings["county_standards"].items() for key, value in values.items()]
    return rows


def multiplier_rows(settings: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"category": key, "multiplier": float(value)} for key, value in settings["category_multipliers"].items()]
