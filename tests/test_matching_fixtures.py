"""Staged tables for the matching tests, hand-written to mirror the spec samples (no tests in this file).

The rows carry the columns of docs/internals.md as the upstream stages would produce them; the
normalisation itself is not under test here, so `id_norm`, `id_valid` and `person_name_norm` are written
out (or computed with the tiny helpers below for decoys).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from hedui.policy import Policy
from hedui.run_info import RunInfo

AS_OF = dt.date(2026, 11, 3)
_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    value = (12 - sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11) % 11
    return "X" if value == 10 else str(value)


def valid_id(first17: str) -> str:
    return first17 + check_char(first17)


def is_valid(id18: str | None) -> bool:
    if id18 is None or len(id18) != 18 or not id18[:17].isdigit():
        return False
    try:
        dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return False
    return check_char(id18[:17]) == id18[17]


def run_info(**matching) -> RunInfo:
    return RunInfo(run_id="test-run", as_of=AS_OF, policy=Policy(matching=matching))


HOUSEHOLD_COLUMNS = [
    "delivery_id", "file", "row_number", "record_key", "household_id", "head_name", "head_name_norm",
    "head_id_raw", "head_id_norm", "head_id_valid", "category", "status", "county", "township", "village",
    "household_size", "applied_on", "enrolled_on", "monthly_benefit", "declared_monthly_income",
]
PERSON = ["person_name", "person_name_norm", "id_raw", "id_norm", "id_valid"]
COMMON = ["delivery_id", "file", "row_number", "record_key"]
MEMBER_COLUMNS = COMMON + ["household_id"] + PERSON + [
    "sex", "birth_date", "relation", "disability_grade", "disability_grade_num"]
HOUSING_COLUMNS = COMMON + ["unit_no"] + PERSON + [
    "co_ownership", "address", "use_type", "floor_area", "registered_on", "title_status"]
VEHICLE_COLUMNS = COMMON + ["plate", "plate_type", "vehicle_type"] + PERSON + [
    "use_nature", "registered_on", "vehicle_status"]
MEDICAL_COLUMNS = COMMON + ["settlement_id", "settlement_type", "original_settlement_id"] + PERSON + [
    "care_type", "settled_on", "diagnosis_code", "total_cost", "out_of_pocket", "out_of_pocket_mismatch"]
DISABILITY_COLUMNS = COMMON + ["cert_no"] + PERSON + [
    "sex", "category", "grade", "grade_num", "issued_on", "cert_status", "registered_address"]
DEATH_COLUMNS = COMMON + PERSON + ["died_on", "deregistered_on"]


def household(hid, name, id18, status, township, village, county="常宁市"):
    return [
        "households/20261103", "households.csv", None, hid, hid, name, name, id18, id18, is_valid(id18),
        "农村低保", status, county, township, village, 1, dt.date(2021, 4, 6), None, 0.0, 0.0,
    ]


def member(hid, name, id18, id_raw=None, birth=None, relation="本人", name_norm=None):
    id_norm = id18.upper()
    birth = birth or dt.date(int(id_norm[6:10]), int(id_norm[10:12]), int(id_norm[12:14]))
    return [
        "members/20261103", "members.csv", None, f"{hid}|{id_norm}", hid, name, name_norm or name,
        id_raw or id18, id_norm, is_valid(id_norm), None, birth, relation, None, None,
    ]


def person(name, id_raw, id_norm, name_norm=None):
    """The person columns as upstream would stage them (id_valid from id_norm)."""
    return [name.strip(), name_norm or name.strip().replace(" ", ""), id_raw, id_norm, is_valid(id_norm)]


def housing(unit, name, id_raw, id_norm, address, name_norm=None, use="住宅", status="现势"):
    p = person(name, id_raw, id_norm, name_norm)
    key = f"{unit}|{id_norm or ''}|{p[1]}"
    return ["housing/20261103", "housing.csv", None, key, unit] + p + [
        "单独所有", address, use, 80.0, dt.date(2010, 1, 1), status]


def vehicle(plate, name, id_raw, id_norm, name_norm=None, vtype="小型轿车", status="正常"):
    p = person(name, id_raw, id_norm, name_norm)
    key = f"{plate}|{id_norm or ''}|{p[1]}"
    return ["vehicle/20261103", "vehicle.csv", None, key, plate, "小型汽车", vtype] + p + [
        "非营运", dt.date(2020, 1, 1), status]


def medical(sid, name, id_raw, id_norm, name_norm=None):
    p = person(name, id_raw, id_norm, name_norm)
    return ["medical/20261103", "medical.csv", None, sid, sid, "正常", None] + p + [
        "住院", dt.date(2026, 10, 20), "C34.9", 100.0, 10.0, False]


def disability(cert, name, id_raw, id_norm, address, name_norm=None):
    p = person(name, id_raw, id_norm, name_norm)
    return ["disability/20261103", "disability.xlsx", None, cert, cert] + p + [
        None, "肢体", "二级", 2, dt.date(2026, 9, 18), "有效", address]


def death(name, id_raw, id_norm, name_norm=None):
    p = person(name, id_raw, id_norm, name_norm)
    return ["death/20261103", "death.csv", None, id_norm] + p + [dt.date(2026, 10, 30), None]


@dataclass
class City:
    """Rows of every staged table; tests add decoys, then `build()` an in-memory warehouse."""

    households: list = field(default_factory=list)
    members: list = field(default_factory=list)
    housing: list = field(default_factory=list)
    vehicle: list = field(default_factory=list)
    medical: list = field(default_factory=list)
    disability: list = field(default_factory=list)
    death: list = field(default_factory=list)

    def build(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:")
        con.execute("create schema staged")
        tables = {
            "households": HOUSEHOLD_COLUMNS, "members": MEMBER_COLUMNS, "housing": HOUSING_COLUMNS,
            "vehicle": VEHICLE_COLUMNS, "medical": MEDICAL_COLUMNS, "disability": DISABILITY_COLUMNS,
            "death": DEATH_COLUMNS,
        }
        for name, columns in tables.items():
            rows = [list(r) for r in getattr(self, name)]
            for i, r in enumerate(rows, start=1):
                r[2] = i  # row_number
            df = pd.DataFrame(rows, columns=columns)
            if df.empty:
                df = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
            con.register("_rows", df)
            con.execute(f"create table staged.{name} as select * from _rows")
            con.unregister("_rows")
        # typed like the real staged tables where it matters
        con.execute("alter table staged.members alter birth_date type date")
        con.execute("alter table staged.members alter id_valid type boolean")
        con.execute("alter table staged.households alter head_id_valid type boolean")
        for name in ("housing", "vehicle", "medical", "disability", "death"):
            con.execute(f"alter table staged.{name} alter id_valid type boolean")
            con.execute(f"alter table staged.{name} alter id_norm type varchar")
            con.execute(f"alter table staged.{name} alter id_raw type varchar")
        return con


ADDR = "湖南省衡阳市常宁市"


def sample_city() -> City:
    """The spec samples (as-of 2026-11-03), as upstream stages them."""
    c = City()
    c.households += [
        household("CN-S-0001", "王建国", "430482196203151313", "在保", "烟洲镇", "大坪村"),
        household("CN-S-0002", "陈丽华", "430482197801304687", "在保", "宜阳街道", "向阳社区"),
        household("CN-S-0003", "阿依古丽•买买提", "430482198512126049", "审核中", "塔山乡", "石塘村"),
        household("CN-S-0004", "张伟", "430482195007077158", "已退出", "大堡乡", "龙口村"),
    ]
    c.households[2][6] = "阿依古丽·买买提"  # head_name_norm: every middle dot as ·
    c.members += [
        member("CN-S-0001", "王建国", "430482196203151313"),
        member("CN-S-0001", "李秀英", "430482196508022424", relation="配偶"),
        member("CN-S-0001", "王磊", "43048219901123357X", id_raw="43048219901123357x", relation="子"),
        member("CN-S-0002", "陈丽华", "430482197801304687"),
        member("CN-S-0002", "陈思", "430482200805065227", relation="女"),
        member("CN-S-0003", "阿依古丽·买买提", "430482198512126049"),
        member("CN-S-0004", "张伟", "430482195007077158"),
    ]
    c.housing += [
        housing("430482001001GB00001F00010001", "王建国", "430482196203151313", "430482196203151313",
                ADDR + "烟洲镇大坪村3组12号"),
        housing("430482001001GB00001F00010001", "李秀英", "４３０４８２１９６５０８０２２４２４", "430482196508022424",
                ADDR + "烟洲镇大坪村3组12号"),
        housing("430482002003GB00007F00020003", "王建国", None, None, ADDR + "烟洲镇大坪村5组2号"),
        housing("430482004009GB00011F00030011", " 王磊 ", "430482901123357", "43048219901123357X",
                ADDR + "宜阳街道建设路18号", use="商业"),
        housing("430482004009GB00013F00030013", "张伟", "430421198102198338", "430421198102198338",
                "湖南省衡阳市衡阳县西渡镇解放路5号"),
        housing("430482001002GB00021F00040021", "张伟", "430482195007077158", "430482195007077158",
                ADDR + "大堡乡龙口村1组7号", status="注销"),
    ]
    c.vehicle += [
        vehicle("湘D3K7Q2", "王磊", "43048219901123357X", "43048219901123357X"),
        vehicle("湘DD52880", "陳麗華", "430482197811304687", "430482197811304687", name_norm="陈丽华"),
        vehicle("湘D8M611", "王建国", "430482196203151313", "430482196203151313", vtype="普通二轮摩托车"),
        vehicle("湘D1A2B3", "张伟", "430482195007077158", "430482195007077158", status="转出"),
        vehicle("湘DX9X9X", "张伟", "430421198102198338", "430421198102198338"),
    ]
    c.medical += [
        medical("Y20261020000187", "王建国", "430482196203151313", "430482196203151313"),
        medical("Y20261021000033", "陈思", "430482200805065227", "430482200805065227"),
        medical("Y20261025000410", "陈丽华", "430482197801304687", "430482197801304687"),
        medical("Y20261028000052", "陈丽华", "430482197801304687", "430482197801304687"),
        medical("Y20261029000099", "刘强", "430482197209099119", "430482197209099119"),
    ]
    c.disability += [
        disability("43048219780130468742", "陳麗華", "430482197801304687", "430482197801304687",
                   ADDR + "宜阳街道向阳社区6栋301", name_norm="陈丽华"),
        disability("43048220080506522753", "陈思", "430482200805065227", "430482200805065227",
                   ADDR + "宜阳街道向阳社区6栋301"),
        disability("43048219720909911962", "刘强", "430482197209099119", "430482197209099119",
                   ADDR + "荫田镇清水村2组8号"),
        disability("43048219500707715844", "张伟", "430482195007077158", "430482195007077158",
                   ADDR + "大堡乡龙口村1组7号"),
    ]
    c.death += [
        death("李秀英", "430482196508022424", "430482196508022424"),
        death("张伟", "430482195007077158", "430482195007077158"),
    ]
    return c


def links_of(con) -> pd.DataFrame:
    return con.execute("select * from linked.links order by source, record_key").df()


def review_of(con) -> pd.DataFrame:
    return con.execute("select * from linked.link_review order by source, record_key, person_id").df()
