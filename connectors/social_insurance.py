"""社会保险缴费: social insurance contributions (events, keyed by 缴费流水号).

A refund (退费) carries a negative 缴费基数 and names the record it cancels; it is staged as a row of its own,
with its status, and the rules net it against the record it names.
"""

from connectors.spec import Between, Column, NotNull, Source

INSURANCE_TYPES = ("企业职工基本养老保险", "机关事业单位养老保险", "城乡居民基本养老保险", "失业保险", "工伤保险",
                   "职工基本医疗保险")
PARTICIPANT_TYPES = ("单位职工", "灵活就业人员", "城乡居民")
CONTRIBUTION_STATUSES = ("正常", "退费")
REFUND, NORMAL = ("contribution_status", "退费"), ("contribution_status", "正常")

SOURCE = Source(
    name="social_insurance",
    title="社会保险缴费",
    label="社会保险缴费（人力资源和社会保障局）",
    spec_version=2,
    kind="event",
    key=("contribution_id",),
    columns=(
        Column("缴费流水号", "contribution_id", required=True, aliases=("缴费ID",), pseudonym="contribution"),
        Column("姓名", "person_name", "name", required=True),
        Column("身份证号", "id", "id", required=True, aliases=("公民身份号码", "社会保障号码")),
        Column("险种", "insurance_type", required=True, aliases=("险种类型",), values=INSURANCE_TYPES),
        Column("参保身份", "participant_type", required=True, aliases=("缴费人员类别",), values=PARTICIPANT_TYPES),
        Column("单位名称", "employer"),
        Column("费款所属期", "contribution_month", "month", required=True, aliases=("所属期",)),
        Column("缴费基数", "contribution_base", "amount", required=True, aliases=("缴费工资",),
               note="; negative on a 退费 (refund)"),
        Column("缴费状态", "contribution_status", values=CONTRIBUTION_STATUSES,
               note="; when empty: 退费 if original_contribution_id is set, else 正常"),
        Column("原缴费流水号", "original_contribution_id", pseudonym="contribution"),
    ),
    checks=(
        NotNull("original_contribution_id", "refund_names_original", when=REFUND),
        Between("contribution_base", "refund_negative", max_value=0, strict_max=True, when=REFUND),
        Between("contribution_base", "contribution_not_negative", min_value=0, when=NORMAL),
    ),
)
