"""医保结算: medical insurance settlements (events, keyed by 结算流水号)."""

from connectors.spec import Column, Source

SOURCE = Source(
    name="medical",
    title="医保结算",
    kind="event",
    columns=(
        Column("结算流水号", "settlement_id", required=True, aliases=("结算ID",)),
        Column("结算类型", "settlement_type"),
        Column("原结算流水号", "original_settlement_id"),
        Column("姓名", "person_name", "name", required=True, aliases=("参保人姓名",)),
        Column("身份证号", "id", "id", required=True, aliases=("公民身份号码", "证件号码")),
        Column("医疗类别", "care_type", required=True),
        Column("入院日期", "admitted_on", "date"),
        Column("出院日期", "discharged_on", "date"),
        Column("结算日期", "settled_on", "date", required=True),
        Column("医疗机构名称", "institution", aliases=("定点医药机构名称",)),
        Column("主诊断编码", "diagnosis_code", aliases=("诊断编码",)),
        Column("主诊断名称", "diagnosis_name", aliases=("诊断名称",)),
        Column("医疗总费用", "total_cost", "amount", required=True, aliases=("总费用",)),
        Column("统筹基金支付", "fund_paid", "amount", aliases=("基本医保支付",)),
        Column("大病保险支付", "critical_illness_paid", "amount"),
        Column("医疗救助支付", "assistance_paid", "amount"),
        Column("个人自付", "out_of_pocket", "amount", required=True, aliases=("个人负担",)),
    ),
)
