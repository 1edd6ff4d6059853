"""disability — 残疾人证 (snapshot, XLSX with title rows)."""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, geo, mess
from hedui.synth.people import CERT_STATUSES, DIS_CATEGORIES, GRADES
from hedui.synth.sources.base import Ctx, r_ints
from hedui.synth.writers import Column

COLUMNS = [
    Column("残疾人证号", ("证号",), True), Column("姓名", (), True), Column("身份证号", ("公民身份号码",)),
    Column("性别", ()), Column("残疾类别", (), True), Column("残疾等级", (), True),
    Column("发证日期", ("办证日期",), True), Column("证件状态", ("状态",), True), Column("户籍地址", ("户籍所在地",)),
]
_CAT = np.array(DIS_CATEGORIES, dtype=object)
_GRADE = np.array(GRADES, dtype=object)
_STATUS = np.array(CERT_STATUSES, dtype=object)
_SEX = np.array(["女", "男"], dtype=object)


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(6)
    p = ctx.people
    # the snapshot in force is dated as_of - 5: it holds the certificates issued by then (as_of - 6 at the latest),
    # so not one of a baby born in the last days
    last_issue = ctx.A - 6
    person = np.flatnonzero((p.cert_cat > 0) & (p.birth <= last_issue)).astype(np.int64)
    n = len(person)
    id_mess = mess.draw_id_mess(rng, p.id18[person], p.birth[person], mess.BENIGN, ctx.force)
    empty = rng.random(n) < 0.4
    if ctx.force and n and not empty.any():
        empty[0] = True
    id_mess = np.where(empty, mess.EMPTY, id_mess).astype(np.int8)
    name_mess = mess.draw_name_mess(rng, p.name_code[person], ctx.force)
    issued = np.maximum(p.birth[person] + 30, ctx.A - 61 - rng.integers(0, 18 * 365, n))
    # never after the snapshot that holds it (a date after its delivery's date is quarantined), never before birth
    issued = np.maximum(np.minimum(issued, last_issue), p.birth[person])
    t = dict(person=person, id_mess=id_mess, name_mess=name_mess, r=r_ints(rng, n), issued=issued,
             date_fmt=formats.draw_date_formats(rng, n, xlsx=True))
    t["linkable"] = np.ones(n, bool)  # an empty ID column is filled from the certificate number
    id_tags = dict(mess.ID_TAGS)
    id_tags[mess.EMPTY] = "id_from_cert_no"
    t["tags"] = mess.tags((id_mess, id_tags), (name_mess, mess.NAME_TAGS))
    return t


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    cat = p.cert_cat[person]
    grade = p.cert_grade[person]
    cert = p.id18[person] + cat.astype(str).astype(object) + grade.astype(str).astype(object)
    return {
        "残疾人证号": cert,
        "姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "身份证号": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "性别": _SEX[p.sex[person]],
        "残疾类别": _CAT[cat],
        "残疾等级": _GRADE[grade],
        "发证日期": ctx.dates(t["issued"][idx], t["date_fmt"][idx]),
        "证件状态": _STATUS[p.cert_status[person]],
        "户籍地址": geo.home_addresses(p.village[person], p.house_no[person]),
    }
