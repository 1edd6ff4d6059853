"""Homophone keys for Chinese names, via pypinyin, over DISTINCT names only.

Two names are homophones when, position by position, their characters can be read alike (toneless pinyin).
pypinyin's default reading of a surname is often wrong (曾→ceng, 单→dan, 区→qu, 仇→chou, 查→cha, 解→jie):
the first character gets its surname reading(s) from `SURNAME_READINGS`, plus every heteronym pypinyin
knows; the other characters get all their heteronyms. Each name expands to the set of its possible
readings (capped), and two names are homophones when the sets meet: a join on the key, not a loop over
pairs.
"""

from __future__ import annotations

import itertools
from typing import Iterable

import pandas as pd
from pypinyin import Style, pinyin

# Surnames whose reading differs from the character's common reading (百家姓 readings).
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "曾": ("zeng",),
    "单": ("shan",),
    "区": ("ou",),
    "仇": ("qiu",),
    "查": ("zha",),
    "解": ("xie",),
    "朴": ("piao",),
    "盖": ("ge",),
    "乐": ("yue", "le"),
    "尉": ("yu", "wei"),
    "覃": ("qin", "tan"),
    "缪": ("miao",),
    "翟": ("zhai",),
    "召": ("shao",),
    "折": ("she",),
    "种": ("chong",),
    "秘": ("bi",),
    "冼": ("xian",),
    "隗": ("wei",),
    "繁": ("po",),
    "员": ("yun",),
    "柏": ("bai", "bo"),
    "瞿": ("qu",),
    "任": ("ren",),
    "句": ("gou",),
    "过": ("guo",),
    "华": ("hua",),
    "纪": ("ji",),
    "黑": ("he",),
    "宓": ("mi", "fu"),
    "沈": ("shen",),
    "贲": ("ben",),
    "费": ("fei",),
    "祭": ("zhai",),
}

MAX_READINGS_PER_NAME = 64


def char_readings(name: str) -> list[tuple[str, ...]]:
    """Possible toneless readings of each character of `name` (the surname reading included for the first)."""
    if not name:
        return []
    per_char = pinyin(name, style=Style.NORMAL, heteronym=True, errors=lambda s: list(s))
    readings = [tuple(dict.fromkeys(r.lower() for r in opts)) for opts in per_char]
    if len(readings) != len(name):  # pypinyin merged non-Chinese runs; fall back to the characters
        readings = [(c,) for c in name]
    first = SURNAME_READINGS.get(name[0])
    if first:
        readings[0] = tuple(dict.fromkeys(first + readings[0]))
    return readings


def name_keys(name: str) -> list[str]:
    """Every reading of the whole name, as 'zeng xiao ming' strings (the default readings alone when the
    combinations exceed MAX_READINGS_PER_NAME)."""
    readings = char_readings(name)
    total = 1
    for r in readings:
        total *= len(r)
    if total > MAX_READINGS_PER_NAME:
        readings = [r[:1] for r in readings]
        first = SURNAME_READINGS.get(name[:1])
        if first:
            readings[0] = first[:1]
    return [" ".join(combo) for combo in itertools.product(*readings)]


def homophone_keys(names: Iterable[str]) -> pd.DataFrame:
    """DataFrame(name, key): the reading keys of each DISTINCT name given (dots removed)."""
    rows = [(n, k) for n in dict.fromkeys(x for x in names if x) for k in name_keys(n.replace("·", ""))]
    return pd.DataFrame(rows, columns=["name", "key"])
