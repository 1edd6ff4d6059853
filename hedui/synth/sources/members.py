"""members — 家庭成员 (snapshot)."""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, mess
from hedui.synth.people import GRADES, RELATIONS
from hedui.synth.sources.base import Ctx, linkable, r_ints
from hedui.synth.writers import Column

COLUMNS = [
    Column("家庭编号", ("家庭ID",), True), Column("姓名", ("成员姓名",), True),
    Column("身份证号", ("公民身份号码", "证件号码"), True), Column("性别", ()), Column("出生日期", ()),
    Column("与户主关系", ("关系",), True), Column("残疾等级", ()),
]
_REL = np.array(RELATIONS, dtype=object)
_GRADE = np.array(GRADES, dtype=object)
_SEX = np.array(["女", "男"], dtype=object)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(2)
    p = ctx.people
    person = np.arange(p.n_members, dtype=np.int64)
    n = len(person)
    id_mess = mess.draw_id_mess(rng, p.id18[person], p.birth[person], mess.BENIGN, ctx.force, scale=0.7)
    name_mess = mess.draw_name_mess(rng, p.name_code[person], ctx.force, p_trad=0.0, p_dot=0.1)
    t = dict(person=person, id_mess=id_mess, name_mess=name_mess, r=r_ints(rng, n),
             date_fmt=formats.draw_date_formats(rng, n))
    t["linkable"] = linkable(ctx, person, id_mess)
    t["tags"] = mess.tags((id_mess, mess.ID_TAGS), (name_mess, mess.NAME_TAGS))
    return t


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    return {
        "家庭编号": ctx.hh.hid[p.hh[person]],
        "姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "身份证号": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "性别": _SEX[p.sex[person]],
        "出生日期": ctx.dates(p.birth[person], t["date_fmt"][idx]),
        "与户主关系": _REL[p.rel[person]],
        "残疾等级": _GRADE[p.recorded_grade[person]],
    }
