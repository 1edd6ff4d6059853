"""What every source module shares: the chunk context and the per-record truth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from hedui.synth import mess
from hedui.synth.formats import DateRenderer
from hedui.synth.people import Households, People
from hedui.synth.presets import PROFILES, Profile


@dataclass
class Ctx:
    seed: int
    chunk: int
    as_of: dt.date
    people: People
    hh: Households
    member_keys: np.ndarray  # sorted (village, name) keys of every member of the city
    dates: DateRenderer
    # sorted comparison names (see `name_cmp`) of every person of the city who is not a member and has a record
    # with a valid ID in the data in force: a record with only a name and an address that carries one of these
    # names could be that person's, so an honest linker sends it to review (see `matching.namesakes`)
    namesakes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    profile: Profile = PROFILES["default"]
    # facts several sources of the chunk share (hedui.synth.income_facts), drawn once
    cache: dict = field(default_factory=dict)

    @property
    def A(self) -> int:
        return self.as_of.toordinal()

    @property
    def force(self) -> bool:
        """The first chunk guarantees at least one of every kind of mess, even in a tiny city."""
        return self.chunk == 0

    def rng(self, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.chunk, 100 + stream])


def person_truth(ctx: Ctx, person: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(true_person_id, member_household_id) of each record's person."""
    p = ctx.people
    true_id = p.id18[person]
    hpos = p.hh[person]
    hid = np.where(hpos >= 0, ctx.hh.hid[np.maximum(hpos, 0)], None) if len(person) else np.empty(0, object)
    return true_id, hid


def name_cmp(names: np.ndarray) -> np.ndarray:
    """The form in which the linker compares names: the (normalised) name without its middle dots."""
    return np.array([s.replace("·", "") for s in names.tolist()], dtype=object)


# ID mess after which the record's ID still normalises to the person's valid ID
VALID_ID_MESS = (mess.CLEAN,) + mess.BENIGN


def linkable(ctx: Ctx, person: np.ndarray, id_mess: np.ndarray) -> np.ndarray:
    """False when no honest method can link the record correctly: a scientific-notation ID; a no-ID record
    whose name + village fits two members (or a member that is not the person); or a no-ID record of a member
    whose name a person who is not a member also carries, with a valid ID somewhere in the data in force (the
    record could be that person's: the linker sends it to review, never links it)."""
    ok = id_mess != mess.SCI
    no_id = np.flatnonzero(id_mess == mess.EMPTY)
    if len(no_id):
        key = ctx.people.member_key()[person[no_id]]
        count = np.searchsorted(ctx.member_keys, key, "right") - np.searchsorted(ctx.member_keys, key, "left")
        is_member = person[no_id] < ctx.people.n_members
        # compared as fixed-width strings: numpy sorts those in C (an object array compares Python strings)
        namesake = np.isin(name_cmp(ctx.people.name[person[no_id]]).astype(str), ctx.namesakes.astype(str)) \
            if len(ctx.namesakes) else np.zeros(len(no_id), bool)
        ok[no_id] = np.where(is_member, (count == 1) & ~namesake, count == 0)
    return ok


def r_ints(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 1 << 30, n)


def draw_person_mess(ctx: Ctx, rng, person: np.ndarray, protected: np.ndarray, allowed: tuple[int, ...],
                     no_id_p: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(id mess, name mess, per-row random ints) of the records of `person` in one of the v2 sources.
    `protected` rows (same-named strangers, refunds and what they cancel, the forced cases) keep an ID that
    normalises back to the person's; `no_id_p` of the other rows have no ID at all."""
    p = ctx.people
    id_mess = mess.draw_id_mess(rng, p.id18[person], p.birth[person], allowed, ctx.force, protected=protected)
    if no_id_p:
        empty = (rng.random(len(person)) < no_id_p) & ~protected
        if ctx.force and not empty.any() and (~protected).any():
            empty[np.flatnonzero(~protected)[0]] = True
        id_mess[empty] = mess.EMPTY
    name_mess = mess.draw_name_mess(rng, p.name_code[person], ctx.force)
    return id_mess, name_mess, r_ints(rng, len(person))


def stranger_tags(ctx: Ctx, person: np.ndarray) -> np.ndarray:
    """`same_name_stranger` on the records of a person who is not a member but bears a member's name."""
    return np.where(ctx.people.stranger_of[person] >= 0, "same_name_stranger", "").astype(object)
