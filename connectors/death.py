"""户籍注销(死亡): deaths from household registration (events, keyed by the citizen ID)."""

from connectors.spec import Column, IdNormalisable, NotBefore, Source

SOURCE = Source(
    name="death",
    title="户籍注销(死亡)",
    label="户籍注销·死亡（公安户籍）",
    kind="event",
    key=("id_norm",),
    columns=(
        Column("公民身份号码", "id", "id", required=True, aliases=("身份证号",)),
        Column("姓名", "person_name", "name", required=True),
        Column("死亡日期", "died_on", "date", required=True, not_after_delivery=True),
        Column("注销日期", "deregistered_on", "date", not_after_delivery=True),
    ),
    contract_columns=(
        ("birth_date_in_id", "case when id_valid then try_strptime(substr(id_norm, 7, 8), '%Y%m%d')::date end"),
    ),
    checks=(
        IdNormalisable("id"),
        NotBefore("deregistered_on", "died_on"),
        # a death before the birth written in the person's own ID is impossible: loaded, it would link by ID and
        # tell a caseworker that a living member died
        NotBefore("died_on", "birth_date_in_id", other_label="身份证号码中的出生日期"),
    ),
)
