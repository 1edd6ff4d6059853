"""generate_city: the whole synthetic city, chunk by chunk, straight to disk."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hedui.synth import deliveries as D
from hedui.synth import ids, people as P, presets
from hedui.synth.formats import DateRenderer
from hedui.synth import geo
from hedui.synth.geo import COUNTY
from hedui.synth.sources import (benefits, business, death, disability, households, housing, housing_fund,
                                 medical, members, public_payroll, social_insurance, staff_roster, vehicle)
from hedui.synth import mess
from hedui.synth.sources.base import VALID_ID_MESS, Ctx, NamesakeIndex, name_cmp, person_truth
from hedui.synth.truth import TruthWriter, chunk_warnings, write_warnings
from hedui.synth.writers import DeliveryWriter

MODULES = {"households": households, "members": members, "housing": housing, "vehicle": vehicle,
           "disability": disability, "medical": medical, "death": death,
           "social_insurance": social_insurance, "benefits": benefits, "housing_fund": housing_fund,
           "public_payroll": public_payroll, "business": business, "staff_roster": staff_roster}
TITLES = {"disability": "{county}残疾人证信息（{y}年{m}月）", "public_payroll": "{county}财政统发工资表（{y}年{m}月）",
          "staff_roster": "{county}经办人员及村（居）干部近亲属备案表（{y}年{m}月）"}


@dataclass
class CityManifest:
    out_dir: Path
    landing: Path
    truth: Path
    as_of: dt.date
    seed: int
    members: int
    residents: int
    households: int
    rows_per_source: dict[str, int] = field(default_factory=dict)
    rows_per_delivery: dict[str, int] = field(default_factory=dict)  # "<source>/<YYYYMMDD>" -> data rows
    warnings: int = 0


def _chunk_sizes(total: int, per_chunk: int) -> list[int]:
    n = max(1, math.ceil(total / per_chunk))
    return [total * (c + 1) // n - total * c // n for c in range(n)]


def generate_city(out_dir: Path, *, members: int, seed: int = 7, as_of: dt.date,
                  progress: Callable[[str, int, int], None] | None = None, residents_per_member: float = 4.0,
                  chunk_members: int = 25_000, rows_per_file: int | None = None,
                  profile: str = "default") -> CityManifest:
    """Write a synthetic city's department extracts under `out_dir/landing/` and its ground truth under
    `out_dir/truth/`. Deterministic: the same seed, as_of and profile give byte-identical files. `profile` names
    the rates of illness and disability (`hedui.synth.presets.PROFILES`)."""
    rates = presets.PROFILES[profile]
    out_dir = Path(out_dir)
    landing, truth_dir = out_dir / "landing", out_dir / "truth"
    for d in (landing, truth_dir):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    rows_per_file = rows_per_file or presets.rows_per_file_for(members)
    report = progress or (lambda stage, done, total: None)
    A = as_of.toordinal()
    sizes = _chunk_sizes(members, chunk_members)
    n_chunks = len(sizes)

    # pass 1: every member's (village, name): what a record without an ID could be linked by
    # and the villages where households live (the places the linker can find in an address)
    keys, household_villages = [], []
    for c, mc in enumerate(sizes):
        hh, pm = P.draw_members(seed, c, mc, as_of, rates)
        keys.append(pm.member_key())
        household_villages.append(np.unique(hh.village))
        report("index members", c + 1, n_chunks)
    member_keys = np.sort(np.concatenate(keys))
    household_villages = np.unique(np.concatenate(household_villages))
    del keys

    sched = D.schedule(as_of)
    dates = DateRenderer(dt.date(1900, 1, 1), as_of + dt.timedelta(days=400))
    # pass 2: the names that people who are not members carry on records with a valid ID (city-wide), and the
    # homes those records tell: a name-only record of a member with such a name is not linkable (the linker must
    # send it to review) unless every home known of each such person is elsewhere
    counter = ids.SequenceCounter(A + 400)
    names: list[str] = []
    unplaced: list[str] = []
    homes: list[tuple[str, int, int]] = []
    for c, mc in enumerate(sizes):
        hh, pm = P.draw_members(seed, c, mc, as_of, rates)
        n_other = max(int(round(mc * residents_per_member)) - mc, 12)
        people = P.add_nonmembers(seed, c, pm, hh, n_other, as_of, counter, rates)
        ctx = Ctx(seed, c, as_of, people, hh, member_keys, dates, profile=rates)
        n, u, h = _namesake_facts(ctx, {s: mod.build(ctx) for s, mod in MODULES.items()}, sched, household_villages)
        names += n
        unplaced += u
        homes += h
        report("index namesakes", c + 1, n_chunks)
    namesake_index = NamesakeIndex.build(names, unplaced, homes)
    del names, unplaced, homes

    writers: dict[tuple[str, str], DeliveryWriter] = {}
    for si, (source, dels) in enumerate(sched.items()):
        for dl in dels:
            rng = np.random.default_rng([seed, si, dl.date.toordinal(), int(dl.late)])
            xlsx = source in TITLES
            writers[(source, dl.name)] = DeliveryWriter(
                landing, source, dl.date, MODULES[source].COLUMNS, rng, xlsx=xlsx, rows_per_file=rows_per_file,
                drop=_dropped_columns(source, dl),
                title_rows=(3 if dl.fate == D.IN_FORCE else int(rng.integers(0, 3))) if xlsx else 0,
                title=TITLES.get(source, "").format(county=COUNTY, y=dl.date.year, m=dl.date.month))
    truth_w = {s: TruthWriter(truth_dir / f"records_{s}.parquet") for s in MODULES}
    # pass 3: the deliveries and the truth, chunk by chunk
    counter = ids.SequenceCounter(A + 400)  # afresh: the same IDs as in pass 2
    warnings: list = []
    n_res = n_hh = 0
    for c, mc in enumerate(sizes):
        hh, pm = P.draw_members(seed, c, mc, as_of, rates)
        n_other = max(int(round(mc * residents_per_member)) - mc, 12)
        people = P.add_nonmembers(seed, c, pm, hh, n_other, as_of, counter, rates)
        ctx = Ctx(seed, c, as_of, people, hh, member_keys, dates, namesake_index, rates)
        tables = {s: mod.build(ctx) for s, mod in MODULES.items()}
        for source, dels in sched.items():
            for dl in dels:
                _write_delivery(ctx, source, dl, tables[source], writers[(source, dl.name)], truth_w[source])
        warnings.extend(chunk_warnings(ctx, tables))
        n_res += people.n
        n_hh += len(hh.hid)
        del tables, people, hh, pm, ctx
        report("chunks", c + 1, n_chunks)

    manifest = CityManifest(out_dir, landing, truth_dir, as_of, seed, members, n_res, n_hh)
    deliveries_json = []
    for source, dels in sched.items():
        for dl in dels:
            w = writers[(source, dl.name)]
            w.close()
            manifest.rows_per_delivery[f"{source}/{dl.name}"] = w.rows
            manifest.rows_per_source[source] = manifest.rows_per_source.get(source, 0) + w.rows
            deliveries_json.append({"source": source, "delivery": dl.name, "date": dl.date.isoformat(),
                                    "fate": dl.fate, "late": dl.late, "files": w.files, "rows": w.rows})
    for tw in truth_w.values():
        tw.close()
    write_warnings(truth_dir / "warnings.csv", warnings)
    manifest.warnings = len(set(warnings))
    meta = {"seed": seed, "profile": profile, "as_of": as_of.isoformat(), "members": members, "residents": n_res, "households": n_hh,
            "residents_per_member": residents_per_member, "rows_per_file": rows_per_file,
            "rows_per_source": manifest.rows_per_source, "warnings": manifest.warnings,
            "deliveries": deliveries_json}
    (truth_dir / "manifest.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    report("done", 1, 1)
    return manifest


def _dropped_columns(source: str, dl: D.Delivery) -> tuple[str, ...]:
    """The broken housing delivery lacks a required column; the older households delivery is still in the v1
    layout (without the optional v2 columns), as a v1 sender's would be."""
    if source == "housing" and dl.fate == D.REJECTED:
        return ("规划用途",)
    if source == "households" and dl.fate == D.SUPERSEDED:
        return households.V2_COLUMNS
    return ()


def _emit(ctx: Ctx, t: dict, idx: np.ndarray, extra_tag: np.ndarray | None, mod, w: DeliveryWriter,
          tw: TruthWriter, stamp: str, **render_kw) -> None:
    if not len(idx):
        return
    values = mod.render(ctx, t, idx, **render_kw)
    file_of, rownum = w.write(values)
    true_id, hid = person_truth(ctx, t["person"][idx])
    tags = t["tags"][idx]
    if extra_tag is not None:
        tags = np.where(extra_tag == "", tags, np.where(tags == "", extra_tag, tags + "+" + extra_tag))
    tw.add(stamp, file_of, rownum, true_id, hid, t["linkable"][idx], tags)


def _delivery_rows(ctx: Ctx, source: str, dl: D.Delivery, t: dict) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """The rows of table `t` that delivery `dl` holds (indexes into `t`), their extra tags, and render options."""
    n = len(t["person"])
    allrows = np.arange(n)
    A = ctx.A
    if source == "households":
        if dl.fate == D.SUPERSEDED:
            return allrows[ctx.hh.applied <= A - 35], None, {}
        if dl.fate == D.FUTURE:
            rng = ctx.rng(50)
            st = t["status"].copy()
            st[(rng.random(n) < 0.05) & (st == 0)] = 2
            return allrows, None, {"status": st}
        return allrows, None, {}
    if source == "members":
        if dl.fate == D.SUPERSEDED:
            keep = ctx.hh.applied[ctx.people.hh[t["person"]]] <= A - 35
            return allrows[keep], None, {}
        return allrows, None, {}
    if source in D.MONTHLY_SNAPSHOTS:
        idx = allrows if dl.fate == D.IN_FORCE else allrows[t["r"] % 20 != 0]
        return idx, None, {}
    if source in D.MONTHLY_EVENTS:
        return _monthly_event_rows(ctx, dl, t)
    if source in ("housing", "vehicle", "disability"):
        if dl.fate == D.HELD_BACK:
            idx = allrows[allrows % 5 < 2]
        elif dl.fate == D.SUPERSEDED:
            keep = (t["issued"] <= dl.date.toordinal()) & (t["r"] % 25 != 0)
            idx = allrows[keep]
        else:
            idx = allrows
        return idx, None, {}
    week = t["week"]
    if dl.fate == D.FUTURE:
        target = -1
    elif dl.late:
        target = -2
    else:
        target = (A - dl.date.toordinal()) // 7
    rows = allrows[week == target]
    r = t["r"]
    # resent: a few events of the previous week's delivery arrive again
    resend = allrows[(week == target + 1) & (r % 100 == 7)] if target >= 0 else allrows[:0]
    # repeated inside the delivery
    dup = rows[r[rows] % 300 == 11]
    if ctx.force and target == 0:
        if not len(resend):
            resend = allrows[week == 1][:1]
        if not len(dup):
            dup = rows[:1]
    idx = np.r_[rows, resend, dup].astype(np.int64)
    extra = np.array([""] * len(rows) + ["resent"] * len(resend) + ["dup_in_delivery"] * len(dup), dtype=object)
    return idx, extra, {}


def _monthly_event_rows(ctx: Ctx, dl: D.Delivery, t: dict) -> tuple[np.ndarray, np.ndarray, dict]:
    """One month's records (`dk`: 0 the newest delivery, -1 the one after the as-of date), a few records of the
    previous month's delivery sent again, and a few repeated inside the delivery."""
    allrows = np.arange(len(t["person"]))
    dk, r = t["dk"], t["r"]
    target = -1 if dl.fate == D.FUTURE else (ctx.A - 2 - dl.date.toordinal()) // 30
    rows = allrows[dk == target]
    resend = allrows[(dk == target + 1) & (r % 100 == 7)] if target >= 0 else allrows[:0]
    dup = rows[r[rows] % 300 == 11]
    if ctx.force and target == 0:
        if not len(resend):
            resend = allrows[dk == 1][:1]
        if not len(dup):
            dup = rows[:1]
    idx = np.r_[rows, resend, dup].astype(np.int64)
    extra = np.array([""] * len(rows) + ["resent"] * len(resend) + ["dup_in_delivery"] * len(dup), dtype=object)
    return idx, extra, {}


def _write_delivery(ctx: Ctx, source: str, dl: D.Delivery, t: dict, w: DeliveryWriter, tw: TruthWriter) -> None:
    idx, extra, render_kw = _delivery_rows(ctx, source, dl, t)
    _emit(ctx, t, idx, extra, MODULES[source], w, tw, dl.name, **render_kw)


def _namesake_facts(ctx: Ctx, tables: dict[str, dict], sched: dict[str, list[D.Delivery]],
                    household_villages: np.ndarray) -> tuple[list[str], list[str], list[tuple[str, int, int]]]:
    """The people of this chunk who are not members and have a record with a valid ID in the data in force (the
    snapshot deliveries in force and the event deliveries up to the as-of date): their comparison names, the
    names of those whose records place them nowhere, and the (name, township, village or -1) homes the records
    place them in, as the linker reads them (`matching.namesakes`): the 坐落 of a property (a street address
    names the township only), the 户籍地址 of a disability certificate; a village where no household lives is
    not one the linker can find, and a township without households no place at all."""
    p = ctx.people
    held_people, placed = [], []
    for source, dels in sched.items():
        t = tables[source]
        held = [_delivery_rows(ctx, source, dl, t)[0] for dl in dels if dl.fate in (D.IN_FORCE, D.EVENT)]
        if not held:
            continue
        rows = np.unique(np.concatenate(held))
        valid = VALID_ID_MESS + ((mess.EMPTY,) if source == "disability" else ())  # ID from the certificate no.
        rows = rows[np.isin(t["id_mess"][rows], valid) & (t["person"][rows] >= p.n_members)]
        person = t["person"][rows]
        held_people.append(person)
        if source == "housing":
            village, street = t["village"][rows], (t["use"][rows] >= 1) & (t["use"][rows] <= 3)
        elif source == "disability":
            village, street = p.village[person], np.zeros(len(rows), bool)
        else:
            continue
        town = geo.VILLAGE_TOWN[village]
        known_town = np.isin(town, geo.VILLAGE_TOWN[household_villages])
        village = np.where(street | ~np.isin(village, household_villages), -1, village)
        placed.append(np.stack([person[known_town], town[known_town], village[known_town]], axis=1))
    if not held_people:
        return [], [], []
    everyone = np.unique(np.concatenate(held_people))
    homes = np.unique(np.concatenate(placed), axis=0) if placed else np.empty((0, 3), np.int64)
    names = name_cmp(p.name[everyone]).tolist()
    unplaced = name_cmp(p.name[np.setdiff1d(everyone, homes[:, 0])]).tolist()
    home_names = name_cmp(p.name[homes[:, 0]]).tolist()
    return names, unplaced, [(n, int(t), int(v)) for n, t, v in zip(home_names, homes[:, 1], homes[:, 2])]
