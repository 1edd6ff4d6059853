"""death — 户籍注销(死亡) (events, weekly deliveries and one late delivery)."""

from __future__ import annotations

import numpy as np

from hedui.synth import formats, mess
from hedui.synth.deliveries import WEEKS
from hedui.synth.people import YEAR
from hedui.synth.sources.base import Ctx, linkable, r_ints
from hedui.synth.writers import Column

COLUMNS = [
    Column("公民身份号码", ("身份证号",), True), Column("姓名", (), True), Column("死亡日期", (), True),
    Column("注销日期", ()),
]
LATE_BEFORE = 10  # the late delivery is dated as_of - 10, between two weekly deliveries
SPAN = 7 * WEEKS


def build(ctx: Ctx) -> dict[str, np.ndarray]:
    rng = ctx.rng(7)
    p, hh = ctx.people, ctx.hh
    n, m = p.n, p.n_members
    age = (ctx.A - p.birth) / YEAR
    rate = np.where(np.arange(n) < m, 0.015, 0.008) * np.where(age >= 60, 2.5, np.where(age >= 40, 0.8, 0.1))
    dies = rng.random(n) < rate * SPAN / 365.0
    if ctx.force:
        act = np.flatnonzero(hh.active)
        if len(act) > 3:
            hp = int(hh.head[act[3]])
            dies[hp + 1 if hh.size[act[3]] > 1 else hp] = True
        if n - m >= 10:
            dies[n - 2] = True  # the severely disabled non-member who died: no outreach
    person = np.flatnonzero(dies).astype(np.int64)
    k = len(person)
    reg_before = rng.integers(0, SPAN, k)
    died_before = reg_before + rng.integers(0, 15, k)
    died_before = np.minimum(died_before, ctx.A - p.birth[person] - 1)
    # the late delivery: some deregistrations from the days it covers arrive there instead
    late = (reg_before >= LATE_BEFORE) & (reg_before < LATE_BEFORE + 7) & (rng.random(k) < 0.5)
    if ctx.force and not late.any() and k:
        j = int(np.argmin(np.abs(reg_before - LATE_BEFORE)))
        reg_before[j] = LATE_BEFORE + 1
        died_before[j] = max(int(died_before[j]), LATE_BEFORE + 1)
        late[j] = True
    id_mess = mess.draw_id_mess(rng, p.id18[person], p.birth[person], mess.BENIGN, ctx.force)
    name_mess = mess.draw_name_mess(rng, p.name_code[person], ctx.force)
    t = dict(person=person, reg_before=reg_before, died_before=died_before, late=late,
             week=np.where(late, -2, reg_before // 7), id_mess=id_mess, name_mess=name_mess, r=r_ints(rng, k),
             date_fmt=formats.draw_date_formats(rng, k), reg_known=rng.random(k) < 0.9)
    t["linkable"] = linkable(ctx, person, id_mess)
    t["tags"] = mess.tags((id_mess, mess.ID_TAGS), (name_mess, mess.NAME_TAGS))
    return t


def render(ctx: Ctx, t: dict, idx: np.ndarray) -> dict[str, np.ndarray]:
    p = ctx.people
    person = t["person"][idx]
    f = t["date_fmt"][idx]
    reg = np.where(t["reg_known"][idx], ctx.A - t["reg_before"][idx], formats.NO_DATE)
    return {
        "公民身份号码": mess.render_ids(p.id18[person], t["id_mess"][idx], t["r"][idx]),
        "姓名": mess.render_names(p.name[person], t["name_mess"][idx], t["r"][idx]),
        "死亡日期": ctx.dates(ctx.A - t["died_before"][idx], f),
        "注销日期": ctx.dates(reg, f),
    }
