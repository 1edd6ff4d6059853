"""staff_roster — 经办人员及村（居）干部近亲属备案 (snapshot, a spreadsheet): one row per declared relative.

Assistance staff and village (community) committee members declare their near relatives; some of those
relatives are members of assistance households (the ties the integrity rule looks for), most are not. A
relative is named with an ID or by name only (then nothing can be linked); a staff member who declared nobody
has one row with the relative's columns empty. The record's person (for linking and truth) is the staff member.
"""

from __future__ import annotations

import numpy as np

from hedui.synth import geo, mess
from hedui.synth import income_facts as F
from hedui.synth.sources.base import Ctx, draw_person_mess, stranger_tags, linkable, r_ints
from hedui.synth.writers import Column

COLUMNS = [
    Column("人员姓名", (), True), Column("人员身份证号", (), True), Column("工作单位", (), True),
    Column("乡镇街道", (), True), Column("岗位", (), True), Column("近亲属姓名", ()), Column("近亲属身份证号", ()),
    Column("关系", ()),
]
XLSX = True
POSTS = ["民政经办人员", "社会救助审核人员", "乡镇（街道）领导", "村（居）委会成员"]
RELATIONSHIPS = ["配偶", "父母", "子女", "兄弟姐妹", "祖父母外祖父母", "孙子女外孙子女"]
_POST = np.array(POSTS, dtype=object)
_REL = np.array(RELATIONSHIPS, dtype=object)
_TOWN = np.array(geo.TOWNSHIPS, dtype=object)
_VILL = np.array(geo.VILLAGES, dtype=object)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(26)
    f = F.facts(ctx)
    p = ctx.people
    staff = np.flatnonzero(f["staff"])
    S = len(staff)
    if not S:
        return _empty()
    post = rng.choice(4, S, p=[0.08, 0.07, 0.1, 0.75]).astype(np.int8)
    # relatives who are not members (or no one: one row with empty relative columns)
    k = rng.choice(4, S, p=[0.3, 0.35, 0.2, 0.15])
    plain_staff = np.repeat(np.arange(S), k)
    plain_rel = rng.integers(p.n_members, p.n, len(plain_staff)) if p.n > p.n_members else \
        np.zeros(0, np.int64)
    # members declared as relatives, each against a staff member of the chunk
    mrel = np.flatnonzero(f["staff_relative"])
    mrel_staff = rng.integers(0, S, len(mrel))
    nobody = np.flatnonzero(k == 0)
    nobody = nobody[~np.isin(nobody, mrel_staff)]
    s_idx = np.r_[plain_staff, mrel_staff, nobody].astype(np.int64)
    rel = np.r_[plain_rel, mrel, np.full(len(nobody), -1)].astype(np.int64)
    order = np.argsort(s_idx, kind="stable")
    s_idx, rel = s_idx[order], rel[order]
    N = len(s_idx)
    person = staff[s_idx]
    has_rel = rel >= 0
    rel_has_id = np.where(rel < p.n_members, f["relative_has_id"][np.maximum(rel, 0)], rng.random(N) < 0.75)
    rel_has_id &= has_rel
    forced = f["forced"][np.maximum(rel, 0)] & has_rel
    protected = (p.stranger_of[person] >= 0) | forced
    t = dict(person=person, post=post[s_idx], rel=rel, has_rel=has_rel, rel_has_id=rel_has_id,
             relationship=rng.integers(0, len(RELATIONSHIPS), N).astype(np.int8))
    t["id_mess"], t["name_mess"], t["r"] = draw_person_mess(
        ctx, rng, person, protected, mess.BENIGN + (mess.WRONG_DIGIT, mess.SCI))
    relp = np.maximum(rel, 0)
    rel_mess = mess.draw_id_mess(rng, p.id18[relp], p.birth[relp], mess.BENIGN + (mess.WRONG_DIGIT,), ctx.force,
                                 protected=forced | (p.stranger_of[relp] >= 0))
    rel_mess[~rel_has_id] = mess.EMPTY
    t["rel_id_mess"] = rel_mess
    t["rel_name_mess"] = mess.draw_name_mess(rng, p.name_code[relp], ctx.force)
    t["rel_r"] = r_ints(rng, N)
    t["linkable"] = linkable(ctx, person, t["id_mess"])
    # the relative is linked by their own ID only: a valid one, on a row that is not quarantined
    t["relative_linkable"] = has_rel & np.isin(rel_mess, (mess.CLEAN,) + mess.BENIGN) & (t["id_mess"] != mess.SCI)
    t["tags"] = mess.tags((t["id_mess"], mess.ID_TAGS), (t["name_mess"], mess.NAME_TAGS), stranger_tags(ctx, t["person"]),
                          np.where(has_rel & ~rel_has_id, "relative_without_id", "").astype(object),
                          np.where(rel < p.n_members, np.where(has_rel, "relative_is_member", ""), "").astype(object))
    return t


def _empty() -> dict[str, np.ndarray]:
    z = np.zeros(0, np.int64)
    return dict(person=z, post=z.astype(np.int8), rel=z, has_rel=z.astype(bool), rel_has_id=z.astype(bool),
                relationship=z.astype(np.int8), id_mess=z.astype(np.int8), name_mess=z.astype(np.int8), r=z,
                rel_id_mess=z.astype(np.int8), rel_name_mess=z.astype(np.int8), rel_r=z, linkable=z.astype(bool),
                relative_linkable=z.astype(bool), tags=np.zeros(0, dtype=object))


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    post = t["post"][idx]
    town = p.township[person]
    town_name = _TOWN[town].astype(str)
    unit = np.select([post == 0, post == 1, post == 2],
                     [np.strings.add(town_name, "民政办"), np.strings.add(town_name, "社会事务办"),
                      np.strings.add(town_name, "人民政府")],
                     np.strings.add(_VILL[p.village[person]].astype(str), "委员会")).astype(object)
    unit[post == 0] = np.where(t["r"][idx][post == 0] % 3 == 0, "常宁市民政局", unit[post == 0])
    rel = np.maximum(t["rel"][idx], 0)
    has = t["has_rel"][idx]
    rel_name = np.where(has, mess.render_names(p.name[rel], t["rel_name_mess"][idx], t["rel_r"][idx]), "")
    rel_id = np.where(has, mess.render_ids(p.id18[rel], t["rel_id_mess"][idx], t["rel_r"][idx]), "")
    return {
        "人员姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "人员身份证号": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "工作单位": unit,
        "乡镇街道": _TOWN[town],
        "岗位": _POST[post],
        "近亲属姓名": rel_name.astype(object),
        "近亲属身份证号": rel_id.astype(object),
        "关系": np.where(has, _REL[t["relationship"][idx]], "").astype(object),
    }
