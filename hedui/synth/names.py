"""Names: integer name codes drawn with numpy, turned into strings only when written.

A name code identifies the (simplified) name exactly: two people with the same code have the same name, and
different codes give different names. Codes >= MINORITY_BASE are minority names written with a middle dot.
"""

from __future__ import annotations

import functools

import numpy as np

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SW = np.array([7.2, 7.0, 6.8, 5.4, 4.8, 3.1, 2.4, 2.2, 2.1, 1.9, 1.7, 1.6] + [0.9] * (len(SURNAMES) - 12))
SURNAME_P = _SW / _SW.sum()
MALE_CHARS = list(dict.fromkeys("伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国志文海成东亮洋"))
FEMALE_CHARS = [c for c in dict.fromkeys("芳娜敏静丽艳娟霞秀玲桂英红梅琳燕萍雪慧颖婷倩洁琴云兰凤花珍莉玉淑思") if c not in MALE_CHARS]
MINORITY_GIVEN = ["阿依古丽", "古丽娜尔", "热依汗", "帕提古丽", "努尔", "艾力", "吐尔逊", "麦合木提", "阿不都", "买买提"]
MINORITY_FATHER = ["买买提", "吐尔逊", "艾力", "阿不都拉", "热合曼", "依明", "卡德尔", "司马义"]
MIDDLE_DOTS = ["·", "•", ".", "・", "‧"]
MINORITY_BASE = 9_000_000_000
_G = 1000  # given-name char slots per position (index 0 = no character)

# frequent full names, so that same-named strangers are a real problem
COMMON = {"张伟": (1, 0), "王芳": (0, 0), "李娜": (0, 0), "刘洋": (1, 0), "王伟": (1, 0), "李秀英": (0, 0)}


def han_code(surname_idx: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    return surname_idx.astype(np.int64) * _G * _G + g1.astype(np.int64) * _G + g2.astype(np.int64)


def draw_given(rng: np.random.Generator, sex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Given-name character slots (1-based; g2 == 0 means a one-character given name); male slots are
    offset by 500 so that male and female pools never collide."""
    n = len(sex)
    m = sex == 1
    g1 = np.where(m, 500 + rng.integers(0, len(MALE_CHARS), n), rng.integers(0, len(FEMALE_CHARS), n)) + 1
    two = rng.random(n) < 0.65
    g2 = np.where(m, 500 + rng.integers(0, len(MALE_CHARS), n), rng.integers(0, len(FEMALE_CHARS), n)) + 1
    return g1, np.where(two, g2, 0)


def common_code(name: str) -> int:
    surname = SURNAMES.index(name[0])
    chars = [_slot(c) for c in name[1:]] + [0]
    return int(han_code(np.array([surname]), np.array([chars[0]]), np.array([chars[1]]))[0])


def _slot(c: str) -> int:
    if c in MALE_CHARS:
        return 500 + MALE_CHARS.index(c) + 1
    return FEMALE_CHARS.index(c) + 1


def draw_names(rng: np.random.Generator, sex: np.ndarray, surname_idx: np.ndarray | None = None) -> np.ndarray:
    """Name codes; `surname_idx` forces the surname (children share the head's)."""
    n = len(sex)
    if surname_idx is None:
        surname_idx = rng.choice(len(SURNAMES), size=n, p=SURNAME_P)
    g1, g2 = draw_given(rng, sex)
    codes = han_code(surname_idx, g1, g2)
    # a few of the most common names
    r = rng.random(n)
    commons = [(common_code(k), v[0]) for k, v in COMMON.items()]
    pick = rng.integers(0, len(commons), n)
    cc = np.array([c for c, _ in commons], dtype=np.int64)[pick]
    cs = np.array([s for _, s in commons])[pick]
    codes = np.where((r < 0.004) & (cs == sex), cc, codes)
    minority = rng.random(n) < 0.01
    mcode = MINORITY_BASE + rng.integers(0, len(MINORITY_GIVEN), n) * 100 + rng.integers(0, len(MINORITY_FATHER), n)
    return np.where(minority, mcode, codes)


def surname_of(codes: np.ndarray) -> np.ndarray:
    return np.where(codes >= MINORITY_BASE, 0, codes // (_G * _G))


@functools.lru_cache(maxsize=None)
def name_string(code: int) -> str:
    if code >= MINORITY_BASE:
        c = code - MINORITY_BASE
        return MINORITY_GIVEN[c // 100] + "·" + MINORITY_FATHER[c % 100]
    s, rest = divmod(code, _G * _G)
    g1, g2 = divmod(rest, _G)
    out = SURNAMES[s]
    for g in (g1, g2):
        if g:
            out += MALE_CHARS[g - 501] if g > 500 else FEMALE_CHARS[g - 1]
    return out


def name_strings(codes: np.ndarray) -> np.ndarray:
    out = np.empty(len(codes), dtype=object)
    out[:] = [name_string(c) for c in codes.tolist()]
    return out


@functools.lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


@functools.lru_cache(maxsize=None)
def traditional(name: str) -> str:
    return _s2t().convert(name)
