"""市场主体登记: the market regulator's register of businesses (snapshot, one row per entity, person and role).

The unified social credit code is checked against its check character (GB 32100-2015, python-stdnum): a code
that fails is kept, flagged (`quarantine.flags`) and marked in `credit_code_valid`, never dropped: a typing
slip in the register does not make the business go away.
"""

from connectors.spec import Between, Column, Derived, Flag, Source

ENTITY_TYPES = ("有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "个体工商户", "农民专业合作社")
REGISTRATION_STATUSES = ("存续", "在业", "吊销", "注销", "迁出")
ROLES = ("法定代表人", "经营者", "投资人", "执行事务合伙人", "董事", "监事")
WAN = "; in 万元 (10,000 yuan) as delivered, not yuan"

SOURCE = Source(
    name="business",
    title="市场主体登记",
    label="市场主体登记（市场监督管理局）",
    spec_version=2,
    kind="snapshot",
    key=("credit_code", "id_norm", "person_name_norm", "role"),
    key_note="person_name_norm only when the person has no readable ID; one row per entity, person and role",
    columns=(
        # a 个体工商户's code and name stand for one person (its name often carries the owner's): personal data
        Column("统一社会信用代码", "credit_code", required=True, aliases=("信用代码",), personal=True,
               pseudonym="business"),
        Column("主体名称", "entity_name", required=True, aliases=("企业名称",), personal=True),
        Column("主体类型", "entity_type", required=True, aliases=("市场主体类型",), values=ENTITY_TYPES),
        Column("登记状态", "registration_status", required=True, aliases=("经营状态",),
               values=REGISTRATION_STATUSES),
        Column("成立日期", "established_on", "date", required=True, not_after_delivery=True),
        Column("注册资本", "registered_capital_wan", "amount", aliases=("注册资金",), note=WAN),
        Column("人员姓名", "person_name", "name", required=True, aliases=("姓名",)),
        Column("人员证件号码", "id", "id", aliases=("证件号码", "身份证号")),
        Column("人员角色", "role", required=True, aliases=("职务",), values=ROLES),
        Column("认缴出资额", "subscribed_capital_wan", "amount", note=WAN),
    ),
    derived=(
        Derived("credit_code_valid",
                "Whether credit_code passes the check of a unified social credit code (GB 32100-2015, "
                "python-stdnum); a code that fails is kept and flagged (quarantine.flags)"),
    ),
    flags=(
        Flag("credit_code_invalid", "not credit_code_valid",
             "统一社会信用代码 fails its check character (GB 32100-2015); the row is kept as delivered"),
    ),
    checks=(
        Between("registered_capital_wan", "not_negative", min_value=0),
        Between("subscribed_capital_wan", "not_negative", min_value=0),
    ),
)
