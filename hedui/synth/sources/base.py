"""What every source module shares: the chunk context and the per-record truth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from hedui.synth import mess
from hedui.synth.formats import DateRenderer
from hedui.synth.people import Households, People


@dataclass
class Ctx:
    seed: int
    chunk: int
    as_of: dt.date
    people: People
    hh: Households
    member_keys: np.ndarray  # sorted (village, name) keys of every member of the city
    dates: DateRenderer

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


def linkable(ctx: Ctx, person: np.ndarray, id_mess: np.ndarray) -> np.ndarray:
    """False when no honest method can link the record correctly: a scientific-notation ID, or a no-ID
    record whose name + village fits two members (or a member that is not the person)."""
    ok = id_mess != mess.SCI
    no_id = np.flatnonzero(id_mess == mess.EMPTY)
    if len(no_id):
        key = ctx.people.member_key()[person[no_id]]
        count = np.searchsorted(ctx.member_keys, key, "right") - np.searchsorted(ctx.member_keys, key, "left")
        is_member = person[no_id] < ctx.people.n_members
        ok[no_id] = np.where(is_member, count == 1, count == 0)
    return ok


def r_ints(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 1 << 30, n)
