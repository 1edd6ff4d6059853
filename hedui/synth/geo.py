"""The synthetic county: townships, villages/communities, addresses (fixed, seed-independent)."""

from __future__ import annotations

import numpy as np

PROVINCE_CITY = "湖南省衡阳市"
COUNTY = "常宁市"
COUNTY_CODE = "430482"
# region codes that appear in residents' IDs (the office that first registered the number)
REGION_CODES = ["430482", "430421", "430481", "430426", "430424", "430422", "430405", "430407"]
REGION_P = np.array([0.74, 0.07, 0.06, 0.04, 0.03, 0.02, 0.02, 0.02])

TOWNSHIPS = [
    "宜阳街道", "培元街道", "泉峰街道", "水口山镇", "松柏镇", "柏坊镇", "烟洲镇", "荫田镇", "白沙镇",
    "西岭镇", "新河镇", "板桥镇", "洋泉镇", "三角塘镇", "胜桥镇", "罗桥镇", "官岭镇", "兰江乡",
    "塔山乡", "大堡乡", "庙前镇", "蓬塘乡",
]
# townships with no household on the roll: outreach there is unrouted (like 荫田镇 in the spec samples)
UNROLLED_TOWNSHIPS = {"荫田镇", "蓬塘乡"}
ROLLED_TOWNSHIP_IDX = np.array([i for i, t in enumerate(TOWNSHIPS) if t not in UNROLLED_TOWNSHIPS])

_A = list("大小上下东西南北新老石龙凤桃李杨柳松竹梅兰金银青白黄红长高平安太和福寿双三五六")
_B = list("坪塘湾冲山岭桥田江河塘坳岗坝洲园庄井湖铺口源溪")
_STREETS = ["建设路", "人民路", "解放路", "向阳路", "五一路", "青阳路", "宜水路", "沿江路", "城北路", "民主街"]


def _build_villages() -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20260101)
    names: list[str] = []
    town_of: list[int] = []
    for ti, town in enumerate(TOWNSHIPS):
        urban = town.endswith("街道")
        n = int(rng.integers(8, 16))
        seen: set[str] = set()
        while len(seen) < n:
            stem = _A[int(rng.integers(len(_A)))] + _B[int(rng.integers(len(_B)))]
            if stem in seen:
                continue
            seen.add(stem)
            names.append(stem + ("社区" if urban else "村"))
            town_of.append(ti)
    town_of_arr = np.array(town_of, dtype=np.int32)
    first = np.searchsorted(town_of_arr, np.arange(len(TOWNSHIPS)))
    return names, town_of_arr, first


VILLAGES, VILLAGE_TOWN, _FIRST_VILLAGE = _build_villages()
VILLAGE_COUNT = np.bincount(VILLAGE_TOWN, minlength=len(TOWNSHIPS))
URBAN = np.array([t.endswith("街道") for t in TOWNSHIPS])


def random_villages(rng: np.random.Generator, towns: np.ndarray) -> np.ndarray:
    """A village index inside each given township."""
    return _FIRST_VILLAGE[towns] + (rng.random(len(towns)) * VILLAGE_COUNT[towns]).astype(np.int32)


def home_addresses(village: np.ndarray, house_no: np.ndarray) -> np.ndarray:
    """`湖南省衡阳市常宁市烟洲镇大坪村3组12号` / `...宜阳街道向阳社区6栋301`."""
    out = np.empty(len(village), dtype=object)
    for i, (v, h) in enumerate(zip(village.tolist(), house_no.tolist())):
        t = int(VILLAGE_TOWN[v])
        prefix = PROVINCE_CITY + COUNTY + TOWNSHIPS[t] + VILLAGES[v]
        if URBAN[t]:
            out[i] = f"{prefix}{h % 40 + 1}栋{(h // 40) % 6 + 1}0{h % 4 + 1}"
        else:
            out[i] = f"{prefix}{h % 9 + 1}组{h // 9 % 60 + 1}号"
    return out


def street_addresses(village: np.ndarray, house_no: np.ndarray) -> np.ndarray:
    """Addresses of commercial / office units: a street of the township, no village."""
    out = np.empty(len(village), dtype=object)
    for i, (v, h) in enumerate(zip(village.tolist(), house_no.tolist())):
        t = int(VILLAGE_TOWN[v])
        out[i] = f"{PROVINCE_CITY}{COUNTY}{TOWNSHIPS[t]}{_STREETS[h % len(_STREETS)]}{h % 300 + 1}号"
    return out
