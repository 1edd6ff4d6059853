"""What every source module shares: the chunk context and the per-record truth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from hedui.synth import mess
from hedui.synth.formats import DateRenderer
from hedui.synth.people import Households, People
from hedui.synth.presets import PROFILES, Profile


@dataclass(frozen=True)
class NamesakeIndex:
    """The namesakes a name-only record can meet, keyed for sorted look-ups (fixed-width strings: numpy sorts
    those in C).

    `names`: every namesake's comparison name; `unplaced`: the names of those no record places anywhere (no
    address of theirs names a township the households know); `in_town`: name|township of every home known;
    `town_only`: name|township of the homes whose village the linker cannot tell (a street address, or a village
    where no household lives); `in_village`: name|village of the homes placed in a village."""

    names: np.ndarray
    unplaced: np.ndarray
    in_town: np.ndarray
    town_only: np.ndarray
    in_village: np.ndarray

    @staticmethod
    def build(names, unplaced, homes) -> NamesakeIndex:
        """From the names, the unplaced names and the (name, township, village or -1) homes."""
        def keys(values) -> np.ndarray:
            return np.array(sorted(set(values)), dtype=str) if values else np.empty(0, dtype=str)

        return NamesakeIndex(
            keys(names), keys(unplaced),
            keys([f"{n}|{t}" for n, t, _ in homes]),
            keys([f"{n}|{t}" for n, t, v in homes if v < 0]),
            keys([f"{n}|{v}" for n, _, v in homes if v >= 0]),
        )

    def contend(self, names: np.ndarray, town: np.ndarray | None, village: np.ndarray | None) -> np.ndarray:
        """Whether a namesake could be the person of each name-only record of `names`, found (by its address)
        in `town` and `village` (-1: not found; None: the source carries no address)."""
        names = names.astype(str)
        anywhere = np.isin(names, self.names)
        if town is None:
            return anywhere
        town = np.asarray(town)
        village = np.asarray(village) if village is not None else np.full(len(names), -1)
        by_town = np.char.add(np.char.add(names, "|"), town.astype(str))
        by_village = np.char.add(np.char.add(names, "|"), village.astype(str))
        unplaced = np.isin(names, self.unplaced)
        here = np.where(village >= 0,
                        np.isin(by_town, self.town_only) | np.isin(by_village, self.in_village),
                        np.isin(by_town, self.in_town))
        return np.where(town >= 0, unplaced | here, anywhere)


@dataclass
class Ctx:
    seed: int
    chunk: int
    as_of: dt.date
    people: People
    hh: Households
    member_keys: np.ndarray  # sorted (village, name) keys of every member of the city
    dates: DateRenderer
    # the people of the city who are not members and have a record with a valid ID in the data in force, and
    # the homes those records tell: a record with only a name and an address could be such a person's unless
    # every home known of them is elsewhere, so an honest linker sends it to review (see `matching.namesakes`)
    namesakes: NamesakeIndex = field(default_factory=lambda: NamesakeIndex.build([], [], []))
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


def linkable(ctx: Ctx, person: np.ndarray, id_mess: np.ndarray, town: np.ndarray | None = None,
             village: np.ndarray | None = None) -> np.ndarray:
    """False when no honest method can link the record correctly: a scientific-notation ID; a no-ID record
    whose name + village fits two members (or a member that is not the person); or a no-ID record of a member
    whose name a person who is not a member also carries, with a valid ID somewhere in the data in force, unless
    every home the records tell of that person is elsewhere than the record's address (`town`, `village`: where
    the record's address places it, -1 where it names none; None for a source without addresses). Such a record
    could be that person's: the linker sends it to review, never links it."""
    ok = id_mess != mess.SCI
    no_id = np.flatnonzero(id_mess == mess.EMPTY)
    if len(no_id):
        key = ctx.people.member_key()[person[no_id]]
        count = np.searchsorted(ctx.member_keys, key, "right") - np.searchsorted(ctx.member_keys, key, "left")
        is_member = person[no_id] < ctx.people.n_members
        namesake = ctx.namesakes.contend(name_cmp(ctx.people.name[person[no_id]]),
                                         None if town is None else np.asarray(town)[no_id],
                                         None if village is None else np.asarray(village)[no_id])
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
