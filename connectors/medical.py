"""医保结算: medical insurance settlements (events, keyed by 结算流水号)."""

from connectors.spec import Between, Column, Derived, Flag, NotBefore, NotNull, Source

SETTLEMENT_TYPES = ("正常", "冲销")
CARE_TYPES = ("普通门诊", "门诊慢特病", "住院")
AMOUNTS = ("total_cost", "fund_paid", "critical_illness_paid", "assistance_paid", "out_of_pocket")
REVERSAL, NORMAL = ("settlement_type", "冲销"), ("settlement_type", "正常")

SOURCE = Source(
    name="medical",
    title="医保结算",
    label="医保结算（医疗保障局）",
    kind="event",
    key=("settlement_id",),
    columns=(
        Column("结算流水号", "settlement_id", required=True, aliases=("结算ID",), pseudonym="settlement"),
        Column("结算类型", "settlement_type", values=SETTLEMENT_TYPES,
               note="; when empty: 冲销 if original_settlement_id is set, else 正常"),
        Column("原结算流水号", "original_settlement_id", pseudonym="settlement"),
        Column("姓名", "person_name", "name", required=True, aliases=("参保人姓名",)),
        Column("身份证号", "id", "id", required=True, aliases=("公民身份号码", "证件号码")),
        Column("医疗类别", "care_type", required=True, values=CARE_TYPES),
        Column("入院日期", "admitted_on", "date", not_after_delivery=True),
        Column("出院日期", "discharged_on", "date", not_after_delivery=True),
        Column("结算日期", "settled_on", "date", required=True, not_after_delivery=True),
        Column("医疗机构名称", "institution", aliases=("定点医药机构名称",)),
        Column("主诊断编码", "diagnosis_code", aliases=("诊断编码",)),
        Column("主诊断名称", "diagnosis_name", aliases=("诊断名称",)),
        Column("医疗总费用", "total_cost", "amount", required=True, aliases=("总费用",)),
        Column("统筹基金支付", "fund_paid", "amount", aliases=("基本医保支付",)),
        Column("大病保险支付", "critical_illness_paid", "amount"),
        Column("医疗救助支付", "assistance_paid", "amount"),
        Column("个人自付", "out_of_pocket", "amount", required=True, aliases=("个人负担",)),
    ),
    derived=(
        Derived("out_of_pocket_mismatch",
                "True when out_of_pocket differs by more than 1 yuan from total_cost minus the three payments "
                "(out_of_pocket is trusted as stated; see quarantine.flags)"),
    ),
    flags=(
        Flag("out_of_pocket_mismatch", "out_of_pocket_mismatch",
             "个人自付 differs from total minus payments by more than 1 yuan; the stated value is used"),
    ),
    checks=(
        NotBefore("discharged_on", "admitted_on"),
        NotNull("original_settlement_id", "reversal_names_original", when=REVERSAL),
        # a reversal (冲销) carries the amounts of the settlement it cancels as negatives; its total cannot be 0
        *(check for amount in AMOUNTS for check in (
            Between(amount, "reversal_negative", max_value=0, strict_max=amount == "total_cost", when=REVERSAL),
            Between(amount, "normal_not_negative", min_value=0, when=NORMAL),
        )),
    ),
)
