"""经办人员及村（居）干部近亲属备案: assistance staff, village (community) committee members and their declared
near relatives (snapshot, one row per relative; a person with none declared has one row, relative empty).

The staff member is the record's person, linked like any other (name and ID); the relative is linked under
`staff_roster_relative` by the relative's own ID only: a relative named without an ID is never linked.
"""

from connectors.spec import Column, IdOnlyLink, Source

POSTS = ("民政经办人员", "社会救助审核人员", "乡镇（街道）领导", "村（居）委会成员")
RELATIONSHIPS = ("配偶", "父母", "子女", "兄弟姐妹", "祖父母外祖父母", "孙子女外孙子女")

SOURCE = Source(
    name="staff_roster",
    title="经办人员及村（居）干部近亲属备案",
    label="经办人员及村（居）干部近亲属备案（民政局）",
    spec_version=2,
    kind="snapshot",
    key=("staff_id_norm", "staff_id_raw", "relative_id_norm", "relative_name_norm"),
    key_note="staff_id_raw only when the staff ID cannot be normalised; relative_name_norm only when the relative "
             "has no readable ID; the relative part empty when no relative is declared",
    columns=(
        Column("人员姓名", "staff_name", "name", required=True),
        Column("人员身份证号", "staff_id", "id", required=True),
        Column("工作单位", "workplace", required=True),
        Column("乡镇街道", "township", required=True),
        Column("岗位", "post", required=True, values=POSTS),
        Column("近亲属姓名", "relative_name", "name"),
        Column("近亲属身份证号", "relative_id", "id"),
        Column("关系", "relationship", values=RELATIONSHIPS),
    ),
    id_only_links=(IdOnlyLink("staff_roster_relative", "relative_name", "relative_id"),),
)
