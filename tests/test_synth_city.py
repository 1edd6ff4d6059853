"""The synthetic city generator: files, deliveries, mess, truth (tiny preset; the demo preset once)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from stdnum.cn import ric

from hedui.synth import PRESETS, generate_city
from hedui.synth.truth import RULES

AS_OF = dt.date(2026, 11, 3)
PERSON_SOURCES = ["members", "housing", "vehicle", "medical", "disability", "death"]
V2_SOURCES = ["social_insurance", "benefits", "housing_fund", "public_payroll", "business", "staff_roster"]
# spec v2 (extract-spec README section 4b, households' two new columns): column -> the aliases it arrives under
V2_HEADERS = {
    "households": {"城乡": ("城乡类别",), "单独登记备案": ("备案",)},
    "social_insurance": {"缴费流水号": ("缴费ID",), "姓名": (), "身份证号": ("公民身份号码", "社会保障号码"),
                         "险种": ("险种类型",), "参保身份": ("缴费人员类别",), "单位名称": (), "费款所属期": ("所属期",),
                         "缴费基数": ("缴费工资",), "缴费状态": (), "原缴费流水号": ()},
    "benefits": {"发放流水号": (), "姓名": (), "身份证号": ("公民身份号码",), "待遇类型": ("待遇项目",),
                 "待遇所属期": ("发放年月",), "发放金额": ("实发金额",), "发放状态": ()},
    "housing_fund": {"个人账号": ("公积金账号",), "姓名": (), "身份证号": ("证件号码",), "单位名称": (),
                     "缴存基数": ("月缴存基数",), "个人月缴存额": (), "账户状态": (), "最后缴存年月": ("缴至年月",)},
    "public_payroll": {"姓名": (), "身份证号": ("公民身份号码",), "单位名称": (), "人员类别": (),
                       "应发工资": ("月应发工资",), "统发年月": ("工资年月",)},
    "business": {"统一社会信用代码": ("信用代码",), "主体名称": ("企业名称",), "主体类型": ("市场主体类型",),
                 "登记状态": ("经营状态",), "成立日期": (), "注册资本": ("注册资金",), "人员姓名": ("姓名",),
                 "人员证件号码": ("证件号码", "身份证号"), "人员角色": ("职务",), "认缴出资额": ()},
    "staff_roster": {"人员姓名": (), "人员身份证号": (), "工作单位": (), "乡镇街道": (), "岗位": (), "近亲属姓名": (),
                     "近亲属身份证号": (), "关系": ()},
}
# a header cell that only the header row of a spreadsheet source holds
XLSX_HEADER_MARKERS = {"残疾人证号", "证号", "统发年月", "工资年月", "岗位"}
REQUIRED_ENCODINGS = {"utf-8", "utf-8-sig", "gb18030"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate_city(out, members=PRESETS["tiny"].members, seed=7, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_city(out, members=PRESETS["demo"].members, seed=7, as_of=AS_OF)
    return out


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gb18030"), "gb18030"


def read_delivery_rows(path: Path) -> tuple[list[str], list[list]]:
    """Header and data rows of one file, as a connector would see them."""
    if path.suffix == ".xlsx":
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
        h = next(i for i, r in enumerate(rows) if XLSX_HEADER_MARKERS & set(map(str, r)))
        return [str(x) for x in rows[h]], rows[h + 1 :]
    text, _ = _decode(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "landing").rglob("*") if p.is_file())


def test_same_seed_and_as_of_give_byte_identical_files(tiny, tmp_path):
    generate_city(tmp_path, members=PRESETS["tiny"].members, seed=7, as_of=AS_OF)
    def digest(root):
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}
    a, b = digest(tiny), digest(tmp_path)
    assert a == b


def test_a_different_seed_gives_a_different_city(tiny, tmp_path):
    generate_city(tmp_path, members=PRESETS["tiny"].members, seed=8, as_of=AS_OF)
    a = (tiny / "truth" / "records_members.parquet").read_bytes()
    b = (tmp_path / "truth" / "records_members.parquet").read_bytes()
    assert a != b


def test_every_source_and_every_delivery_fate_is_present(tiny):
    manifest = json.loads((tiny / "truth" / "manifest.json").read_text(encoding="utf-8"))
    sources = {d["source"] for d in manifest["deliveries"]}
    assert sources == {"households", "members", "housing", "vehicle", "medical", "disability", "death", *V2_SOURCES}
    fates = {d["fate"] for d in manifest["deliveries"]}
    assert fates == {"in_force", "superseded", "held_back_truncated", "rejected_broken", "future_ignored", "event"}
    assert any(d["late"] for d in manifest["deliveries"])
    for d in manifest["deliveries"]:
        folder = tiny / "landing" / d["source"] / d["delivery"]
        assert folder.is_dir() and sorted(p.name for p in folder.iterdir()) == sorted(d["files"])
    snapshots = {}
    for d in manifest["deliveries"]:
        snapshots.setdefault(d["source"], []).append(d)
    for s in ("households", "members", "housing", "vehicle", "disability"):
        assert len([d for d in snapshots[s] if d["date"] <= AS_OF.isoformat()]) >= 2
    assert len([d for d in snapshots["medical"] if d["fate"] == "event"]) == 53


def test_truncated_delivery_has_under_half_the_rows_and_broken_one_lacks_a_required_column(tiny):
    manifest = json.loads((tiny / "truth" / "manifest.json").read_text(encoding="utf-8"))
    by = {(d["source"], d["fate"]): d for d in manifest["deliveries"]}
    assert by[("vehicle", "held_back_truncated")]["rows"] < 0.5 * by[("vehicle", "in_force")]["rows"]
    broken = by[("housing", "rejected_broken")]
    for f in broken["files"]:
        header, _ = read_delivery_rows(tiny / "landing" / "housing" / broken["delivery"] / f)
        assert "规划用途" not in header and "用途" not in header
    future = [d for d in manifest["deliveries"] if d["fate"] == "future_ignored"]
    assert future and all(d["date"] > AS_OF.isoformat() for d in future)


def test_files_use_every_encoding_and_xlsx_has_title_rows(tiny):
    encodings = set()
    for p in all_files(tiny):
        if p.suffix == ".csv":
            encodings.add(_decode(p.read_bytes())[1])
    assert encodings == REQUIRED_ENCODINGS
    xlsx = [p for p in all_files(tiny) if p.suffix == ".xlsx"]
    assert {p.parent.parent.name for p in xlsx} == {"disability", "public_payroll", "staff_roster"}
    titled = 0
    for p in xlsx:
        rows = CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python(skip_empty_area=False)
        h = next(i for i, r in enumerate(rows) if XLSX_HEADER_MARKERS & set(map(str, r)))
        titled += h > 0
        assert h <= 3
    assert titled


def test_header_aliases_and_varied_column_order_appear(tiny):
    """Senders name columns differently (the spec's aliases) and order them differently. Every alias below is
    used by some delivery of the tiny city (seed 7), every header the generator writes is one the spec knows
    (a column's name or alias, or the unknown 序号/备注 columns senders add), and headers using aliases are
    headers the connectors map to the canonical columns."""
    from connectors import SOURCES
    from connectors.headers import alias_table, clean_header

    files = [p for p in all_files(tiny) if p.parent.parent.name not in V2_SOURCES]  # v2: see below
    headers = [tuple(read_delivery_rows(p)[0]) for p in files]
    flat = {h for hs in headers for h in hs}
    for alias in ("家庭ID", "车牌号", "所有人", "注册日期", "户籍所在地", "结算ID"):
        assert alias in flat, alias
    for path, header in zip(files, headers):
        source = SOURCES[path.parent.parent.name]
        known = alias_table(source)
        v2 = {n for c, aliases in V2_HEADERS.get(path.parent.parent.name, {}).items() for n in (c, *aliases)}
        unknown = [h for h in header if clean_header(h) not in known and h not in ("序号", "备注") and h not in v2]
        assert unknown == [], (path.name, unknown)
        assert len({known[clean_header(h)] for h in header if clean_header(h) in known}) == len(
            [h for h in header if clean_header(h) in known]), path.name  # no column named twice
    assert sum(1 for header in headers if set(header) - {c.header for s in SOURCES.values() for c in s.columns}
               - {"序号", "备注"}) >= 3  # several deliveries use aliases, not one
    hh_orders = {h for p, h in zip(files, headers) if p.parent.parent.name == "households"}
    assert len(hh_orders) >= 2


def _truth(root: Path, source: str) -> pd.DataFrame:
    return pd.read_parquet(root / "truth" / f"records_{source}.parquet")


def test_truth_has_one_row_per_written_data_row(tiny):
    for source in PERSON_SOURCES + ["households"] + V2_SOURCES:
        truth = _truth(tiny, source)
        written = []
        for p in sorted((tiny / "landing" / source).rglob("*.*")):
            _, rows = read_delivery_rows(p)
            written += [(p.parent.name, p.name, i + 1) for i in range(len(rows))]
        got = sorted(zip(truth.delivery, truth.file, truth.row_number))
        assert got == sorted(written), source


def test_every_kind_of_mess_is_present(tiny):
    tags = set()
    for source in PERSON_SOURCES:
        for m in _truth(tiny, source).mess:
            tags.update(t for t in m.split("+") if t)
    expected = {"id_lower_x", "id_fullwidth", "id_spaces", "id_15digit", "id_wrong_digit", "sci_notation", "no_id",
                "id_from_cert_no", "traditional_name", "name_spaces", "co_owner", "reversal", "oop_mismatch",
                "resent", "dup_in_delivery", "same_name_stranger"}
    assert expected <= tags, expected - tags


def _cells(root: Path, source: str) -> list[str]:
    out = []
    for p in sorted((root / "landing" / source).rglob("*.*")):
        _, rows = read_delivery_rows(p)
        out += [c for r in rows for c in r if isinstance(c, str)]
    return out


def test_values_arrive_in_every_spec_format(tiny):
    import re

    med = _cells(tiny, "medical")
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+\.\d\d", c) for c in med)
    assert any(c.endswith("元") for c in med)
    assert "冲销" in med
    all_cells = [c for s in PERSON_SOURCES + ["households"] for c in _cells(tiny, s)]
    for pattern in (r"\d{4}-\d\d-\d\d", r"\d{4}/\d{1,2}/\d{1,2}", r"(19|20)\d{6}", r"\d{4}年\d{1,2}月\d{1,2}日",
                    r"\d{4}\.\d\d\.\d\d"):
        assert any(re.fullmatch(pattern, c) for c in all_cells), pattern
    assert any(re.fullmatch(r"\d\.\d+E\+17", c) for c in all_cells)
    assert any(re.search(r"[０-９]{6}", c) for c in all_cells)
    assert any(re.fullmatch(r"\d{15}", c) for c in all_cells)
    assert any(re.fullmatch(r"\d{17}x", c) for c in all_cells)
    # XLSX date cells
    cells = []
    for p in (tiny / "landing" / "disability").rglob("*.xlsx"):
        cells += [c for r in read_delivery_rows(p)[1] for c in r]
    assert any(isinstance(c, dt.date) for c in cells)


def test_ids_are_valid_unless_damaged_on_purpose(tiny):
    import re

    for source in PERSON_SOURCES:
        truth = _truth(tiny, source)
        for pid in truth.true_person_id.unique():
            assert ric.calc_check_digit(pid) == pid[-1]
            ric.get_birth_date(pid)
    # written IDs: clean rows carry the true ID exactly
    truth = _truth(tiny, "vehicle")
    for p in sorted((tiny / "landing" / "vehicle").rglob("*.csv")):
        header, rows = read_delivery_rows(p)
        col = next(i for i, h in enumerate(header) if h in ("身份证明号码", "身份证号", "所有人证件号码"))
        t = truth[(truth.delivery == p.parent.name) & (truth.file == p.name)].sort_values("row_number")
        for row, (_, tr) in zip(rows, t.iterrows()):
            tags = set(tr.mess.split("+"))
            if not tags & {"id_lower_x", "id_fullwidth", "id_spaces", "id_15digit", "id_wrong_digit", "sci_notation"}:
                assert row[col] == tr.true_person_id
            if "id_wrong_digit" in tags:
                assert re.fullmatch(r"\d{17}[\dX]", row[col]) and ric.calc_check_digit(row[col]) != row[col][-1]


def test_sci_notation_rows_are_not_linkable(tiny):
    for source in PERSON_SOURCES:
        t = _truth(tiny, source)
        sci = t[t.mess.str.contains("sci_notation")]
        assert not sci.linkable.any()


def test_disability_certificate_number_embeds_the_holders_id(tiny):
    for p in (tiny / "landing" / "disability").rglob("*.xlsx"):
        header, rows = read_delivery_rows(p)
        c = header.index("残疾人证号") if "残疾人证号" in header else header.index("证号")
        for r in rows:
            cert = r[c]
            assert len(cert) == 20 and ric.calc_check_digit(cert[:18]) == cert[17]


def test_warnings_list_is_well_formed(tiny):
    w = pd.read_csv(tiny / "truth" / "warnings.csv", dtype=str, keep_default_na=False)
    assert list(w.columns) == ["rule_code", "household_id", "person_id"]
    assert set(w.rule_code) <= set(RULES)
    assert not w.duplicated().any()
    assert (w[w.rule_code == "OUTREACH_SEVERE_DISABILITY"].household_id == "").all()
    hh_rules = w[w.rule_code.isin(["ASSET_PROPERTY", "HARDSHIP_MEDICAL"])]
    assert (hh_rules.person_id == "").all() and (hh_rules.household_id != "").all()


def test_demo_city_raises_every_rule(demo):
    w = pd.read_csv(demo / "truth" / "warnings.csv", dtype=str, keep_default_na=False)
    counts = w.rule_code.value_counts()
    for rule in RULES:
        assert counts.get(rule, 0) >= 5, rule
    manifest = json.loads((demo / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert 4_900 <= manifest["members"] <= 5_100
    assert manifest["residents"] >= 3.5 * manifest["members"]


def test_demo_member_warnings_name_members_of_active_households(demo):
    w = pd.read_csv(demo / "truth" / "warnings.csv", dtype=str, keep_default_na=False)
    members = _truth(demo, "members")
    pairs = set(zip(members.member_household_id, members.true_person_id))
    person_rules = w[(w.person_id != "") & (w.household_id != "")]
    assert all((h, p) in pairs for h, p in zip(person_rules.household_id, person_rules.person_id))
    outreach = set(w[w.rule_code == "OUTREACH_SEVERE_DISABILITY"].person_id)
    active_members = set(person_rules.person_id)
    assert not outreach & active_members


def _rows_with_truth(root: Path, source: str, fates: set[str] | None = None):
    """(header, row, truth row) of every written data row of `source`, optionally only of deliveries of `fates`."""
    manifest = json.loads((root / "truth" / "manifest.json").read_text(encoding="utf-8"))
    keep = {d["delivery"] for d in manifest["deliveries"]
            if d["source"] == source and (fates is None or d["fate"] in fates)}
    truth = _truth(root, source).set_index(["delivery", "file", "row_number"])
    for p in sorted((root / "landing" / source).rglob("*.*")):
        if p.parent.name not in keep:
            continue
        header, rows = read_delivery_rows(p)
        for i, row in enumerate(rows):
            yield header, row, truth.loc[(p.parent.name, p.name, i + 1)]


def _amount(text: str) -> float | None:
    text = text.replace(",", "").replace("元", "").strip()
    return float(text) if text else None


def test_medical_amounts_have_the_sign_of_their_settlement_type(demo):
    # a 正常 settlement pays and costs >= 0 in every column; only a 冲销 row is negative (the pipeline quarantines
    # anything else, so truth could never count such a row)
    amounts = {"医疗总费用", "总费用", "统筹基金支付", "基本医保支付", "大病保险支付", "医疗救助支付", "个人自付", "个人负担"}
    seen = 0
    for header, row, _ in _rows_with_truth(demo, "medical"):
        kind = row[header.index("结算类型")]
        for h, v in zip(header, row):
            if h in amounts and (a := _amount(v)) is not None:
                assert (a >= 0) if kind == "正常" else (a <= 0), (h, v, kind)
                seen += 1
    assert seen


def test_certificates_are_issued_by_the_date_of_their_delivery(demo):
    manifest = json.loads((demo / "truth" / "manifest.json").read_text(encoding="utf-8"))
    for d in manifest["deliveries"]:
        if d["source"] != "disability":
            continue
        for name in d["files"]:
            header, rows = read_delivery_rows(demo / "landing" / "disability" / d["delivery"] / name)
            c = header.index("发证日期") if "发证日期" in header else header.index("办证日期")
            for r in rows:
                assert _date(r[c]) <= dt.date.fromisoformat(d["date"])


def _date(v) -> dt.date:
    """A date value as the generator writes it (every spec format, or a spreadsheet date cell)."""
    import re

    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if re.fullmatch(r"\d{8}", v):
        return dt.date(int(v[:4]), int(v[4:6]), int(v[6:]))
    y, m, d = map(int, re.findall(r"\d+", v))
    return dt.date(y, m, d)


def _place_finder(root: Path):
    """Where the linker places an address: (township, village or None) among the places of the households in
    force (the longest township named, then the longest of its villages named after it), or None."""
    villages: dict[str, set[str]] = {}
    for header, row, _ in _rows_with_truth(root, "households", {"in_force"}):
        town = str(row[header.index(next(h for h in header if h.startswith("乡镇")))] or "")
        village_col = next((h for h in header if h.startswith("村")), None)
        village = str(row[header.index(village_col)] or "") if village_col else ""
        if town:
            villages.setdefault(town, set())
            if village:
                villages[town].add(village)

    def place(address: str):
        towns = sorted((t for t in villages if t in address), key=len, reverse=True)
        if not towns:
            return None
        rest = address[address.index(towns[0]) + len(towns[0]):]
        found = sorted((v for v in villages[towns[0]] if v in rest), key=len, reverse=True)
        return towns[0], found[0] if found else None

    return place


def test_a_name_only_record_of_a_member_is_not_linkable_when_a_namesake_may_live_where_it_is(demo):
    # The linker sends a record with only a name and an address to review when the registers know a person who
    # is not a member by that name with a valid ID, unless every home the records tell of that person (the 坐落
    # of a property held under the ID, the 户籍所在地 of a disability certificate) is elsewhere: truth must not
    # count such a record as linkable (matching.decision).
    import re

    members = set(_truth(demo, "members").true_person_id)
    place = _place_finder(demo)
    bad_id = {"id_wrong_digit", "sci_notation", "no_id"}
    name_tags = {"traditional_name"}
    homes: dict[str, dict[str, set]] = {}  # name -> namesake -> the places their records give
    no_id_member_records = []
    for source in ("housing", "vehicle", "medical", "disability", "death"):
        for header, row, tr in _rows_with_truth(demo, source, {"in_force", "event"}):
            tags = set(tr.mess.split("+"))
            name = row[header.index(next(h for h in header if h in
                                         ("权利人", "权利人名称", "产权人", "机动车所有人", "所有人", "姓名", "参保人姓名")))]
            name = re.sub(r"[\s·•・‧．｡.･]", "", name)
            address_col = next((h for h in header if h in ("坐落", "房屋坐落", "户籍地址", "户籍所在地")), None)
            where = place(str(row[header.index(address_col)] or "")) if address_col else None
            if tr.true_person_id not in members and not tags & bad_id and not tags & name_tags:
                known = homes.setdefault(name, {}).setdefault(tr.true_person_id, set())
                if where:
                    known.add(where)
            if tr.true_person_id in members and "no_id" in tags:
                no_id_member_records.append((name, where if address_col else None, bool(tr.linkable)))

    def may_be_theirs(name: str, where) -> bool:
        for known in homes.get(name, {}).values():
            if where is None or not known:
                return True
            if any(t == where[0] and (v is None or where[1] is None or v == where[1]) for t, v in known):
                return True
        return False

    assert no_id_member_records
    assert not [r for r in no_id_member_records if r[2] and may_be_theirs(r[0], r[1])]
    # both kinds occur: records that a namesake keeps from linking, and records linkable beside a namesake
    # known to live elsewhere
    assert any(may_be_theirs(n, w) for n, w, _ in no_id_member_records)
    assert any(ok and n in homes for n, _, ok in no_id_member_records)


# ---- spec v2: the income and integrity sources ----

def test_v2_sources_arrive_with_the_spec_headers_or_their_aliases(tiny):
    """Every header of a v2 delivery is a spec column or one of its aliases (or the 序号/备注 senders add), every
    required column is there under some name, and some deliveries use the aliases."""
    used_aliases = set()
    for source in V2_SOURCES:
        spec = V2_HEADERS[source]
        names = {n: c for c, aliases in spec.items() for n in (c, *aliases)}
        folders = sorted((tiny / "landing" / source).iterdir())
        assert len(folders) >= 2, source
        for p in sorted((tiny / "landing" / source).rglob("*.*")):
            header, _ = read_delivery_rows(p)
            assert [h for h in header if h not in names and h not in ("序号", "备注")] == [], (source, header)
            assert {names[h] for h in header if h in names} == set(spec), (source, p.name)
            used_aliases |= {h for h in header if h in names and names[h] != h}
    assert len(used_aliases) >= 5, used_aliases
    # the households: the in-force delivery carries the two v2 columns, the older one is still in the v1 layout
    manifest = json.loads((tiny / "truth" / "manifest.json").read_text(encoding="utf-8"))
    v2 = {n for c, aliases in V2_HEADERS["households"].items() for n in (c, *aliases)}
    for d in manifest["deliveries"]:
        if d["source"] == "households" and d["fate"] in ("in_force", "superseded"):
            header, _ = read_delivery_rows(tiny / "landing" / "households" / d["delivery"] / d["files"][0])
            assert len(v2 & set(header)) == (2 if d["fate"] == "in_force" else 0), d["fate"]


def test_v2_sources_carry_the_same_kinds_of_mess(tiny):
    import re

    tags = set()
    for source in V2_SOURCES:
        for m in _truth(tiny, source).mess:
            tags.update(t for t in m.split("+") if t)
    assert {"id_lower_x", "id_fullwidth", "id_spaces", "id_15digit", "id_wrong_digit", "sci_notation", "no_id",
            "traditional_name", "refund", "returned_payment", "exempt_payment", "missing_required",
            "credit_code_check_fails", "relative_without_id", "relative_is_member", "sealed_or_closed", "resent",
            "same_name_stranger",
            "dup_in_delivery"} <= tags
    months = [c for s in ("social_insurance", "benefits", "housing_fund") for c in _cells(tiny, s)]
    for pattern in (r"20\d\d(0[1-9]|1[0-2])", r"20\d\d-\d\d", r"20\d\d/\d{1,2}", r"20\d\d年\d{1,2}月"):
        assert any(re.fullmatch(pattern, c) for c in months), pattern
    payroll_cells = [c for p in (tiny / "landing" / "public_payroll").rglob("*.xlsx") for r in read_delivery_rows(p)[1]
                     for c in r]
    assert any(isinstance(c, dt.date) for c in payroll_cells)  # 统发年月 as a spreadsheet date cell
    si = _cells(tiny, "social_insurance")
    assert "退费" in si and any(re.fullmatch(r"-[\d,.]+元?", c) for c in si)
    assert "已退回" in _cells(tiny, "benefits")
    households = _cells(tiny, "households")
    assert {"城市", "农村", "是", "否"} <= set(households)


def test_business_credit_codes_pass_their_check_unless_damaged_on_purpose(tiny):
    from stdnum.cn import uscc

    checked = damaged = 0
    for header, row, tr in _rows_with_truth(tiny, "business"):
        code = row[header.index("统一社会信用代码" if "统一社会信用代码" in header else "信用代码")]
        bad = "credit_code_check_fails" in tr.mess
        assert uscc.is_valid(code) != bad, code
        checked += 1
        damaged += bad
    assert checked and damaged


def test_a_refund_names_a_contribution_of_the_same_person_and_cancels_its_base(demo):
    rows = {}
    refunds = []
    for header, row, tr in _rows_with_truth(demo, "social_insurance"):
        col = dict(zip(header, row))
        key = col.get("缴费流水号", col.get("缴费ID"))
        base = _amount(col.get("缴费基数", col.get("缴费工资")))
        rows[key] = (tr.true_person_id, base)
        if col.get("原缴费流水号"):
            refunds.append((col["原缴费流水号"], tr.true_person_id, base, col.get("缴费状态")))
    assert refunds
    for original, person, base, status in refunds:
        assert status == "退费" and base < 0 and rows[original] == (person, -base)


def _month(v) -> tuple[int, int] | None:
    """A month as the generator writes it: 202610, 2026-10, 2026/10, 2026年10月 or a spreadsheet date cell."""
    import re

    if isinstance(v, dt.date):
        return v.year, v.month
    if not v:
        return None
    if re.fullmatch(r"\d{6}", v):
        return int(v[:4]), int(v[4:])
    y, m = map(int, re.findall(r"\d+", v))
    return y, m


def _delivered(root: Path, source: str, fates: set[str], columns: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """The rows of the deliveries of `fates` with the spec's column names, the true person and linkability."""
    out = []
    for header, row, tr in _rows_with_truth(root, source, fates):
        col = dict(zip(header, row))
        rec = {c: next((col[n] for n in (c, *aliases) if n in col), "") for c, aliases in columns.items()}
        out.append({**rec, "person": tr.true_person_id, "linkable": bool(tr.linkable)})
    return pd.DataFrame(out)


def test_income_above_standard_truth_follows_from_the_written_records(demo):
    """INCOME_ABOVE_STANDARD recomputed from the delivered files alone (values as written, the per-record truth
    only to say whose record it is and whether it can be linked), by warning-rules.md "Verified income (v2)" with
    the default policy, equals the city's truth."""
    window = {(2026, 8), (2026, 9), (2026, 10)}
    cents = lambda v: round(_amount(v) * 100)  # noqa: E731
    si = _delivered(demo, "social_insurance", {"event"}, V2_HEADERS["social_insurance"])
    si = si[si.linkable].drop_duplicates("缴费流水号")  # a resent record counts once
    si = si[si.险种.isin(["企业职工基本养老保险", "机关事业单位养老保险"]) & (si.参保身份 == "单位职工")
            & si.费款所属期.map(_month).isin(window)]
    si_x3 = si.groupby("person").缴费基数.apply(lambda s: sum(map(cents, s)))  # refunds are negative: netted
    hf = _delivered(demo, "housing_fund", {"in_force"}, V2_HEADERS["housing_fund"])
    hf = hf[hf.linkable & (hf.账户状态 == "正常") & hf.最后缴存年月.map(_month).isin(window)]
    hf_x3 = hf.groupby("person").缴存基数.apply(lambda s: 3 * sum(map(cents, s)))
    pp = _delivered(demo, "public_payroll", {"in_force"}, V2_HEADERS["public_payroll"])
    pp = pp[pp.linkable & pp.统发年月.map(_month).isin(window)]
    pp_x3 = pp.groupby("person").应发工资.apply(lambda s: 3 * sum(map(cents, s)))
    wage_x3 = pd.concat([si_x3, hf_x3, pp_x3], axis=1).fillna(0).max(axis=1)
    bn = _delivered(demo, "benefits", {"event"}, V2_HEADERS["benefits"])
    bn = bn[bn.linkable].drop_duplicates("发放流水号")
    bn = bn[(bn.发放状态 == "已发放") & ~bn.待遇类型.isin(["丧葬补助金", "一次性抚恤金"])
            & bn.待遇所属期.map(_month).isin(window)]
    ben_x3 = bn.groupby("person").发放金额.apply(lambda s: sum(map(cents, s)))
    income_x3 = pd.concat([wage_x3, ben_x3], axis=1).fillna(0).sum(axis=1)
    members = _truth(demo, "members")
    manifest = json.loads((demo / "truth" / "manifest.json").read_text(encoding="utf-8"))
    in_force = {d["delivery"] for d in manifest["deliveries"] if d["source"] == "members" and d["fate"] == "in_force"}
    members = members[members.delivery.isin(in_force)]
    members = members.assign(income_x3=members.true_person_id.map(income_x3).fillna(0))
    total_x3 = members.groupby("member_household_id").income_x3.sum()
    hh = _delivered(demo, "households", {"in_force"}, {
        "家庭编号": ("家庭ID",), "保障类别": ("救助类别",), "状态": ("保障状态",), "家庭人口": ("家庭人数",),
        **V2_HEADERS["households"]})
    derived = hh.保障类别.map({"城市低保": "城市", "农村低保": "农村"})
    urban_rural = hh.城乡.where(hh.城乡 != "", derived)
    standard = urban_rural.map({"城市": 68_000, "农村": 54_000})
    tenths = hh.保障类别.map({"城市低保": 10, "农村低保": 10, "特困供养": 10, "低保边缘": 15, "支出型困难": 20})
    total = hh.家庭编号.map(total_x3).fillna(0)
    above = (hh.状态 != "已退出") & standard.notna() & (10 * total > 3 * hh.家庭人口.astype(int) * standard * tenths)
    expected = set(hh.家庭编号[above])
    w = pd.read_csv(demo / "truth" / "warnings.csv", dtype=str, keep_default_na=False)
    truth = set(w[w.rule_code == "INCOME_ABOVE_STANDARD"].household_id)
    assert len(truth) >= 20
    assert expected == truth
    assert (urban_rural == "").sum() + urban_rural.isna().sum() > 0  # some households cannot be tested


def _normalised_id(raw: str) -> str:
    s = raw.translate({0xFF10 + d: ord("0") + d for d in range(10)}).replace(" ", "").upper()
    if len(s) == 15 and s.isdigit():
        s17 = s[:6] + "19" + s[6:]
        return s17 + ric.calc_check_digit(s17)
    return s


def test_staff_ties_raise_nothing_for_a_household_filed_separately_or_a_relative_named_without_an_id(demo):
    hh = _delivered(demo, "households", {"in_force"}, {"家庭编号": ("家庭ID",), **V2_HEADERS["households"]})
    filed = set(hh.家庭编号[hh.单独登记备案 == "是"])
    w = pd.read_csv(demo / "truth" / "warnings.csv", dtype=str, keep_default_na=False)
    staff_w = w[w.rule_code == "INTEGRITY_STAFF_RELATIVE"]
    assert len(staff_w) >= 5 and filed and not set(staff_w.household_id) & filed
    roster = _delivered(demo, "staff_roster", {"in_force"}, V2_HEADERS["staff_roster"])
    assert ((roster.近亲属姓名 != "") & (roster.近亲属身份证号 == "")).any()  # relatives named only
    # every warned member is on the roster as staff, or named as a relative with an ID
    staff = set(roster.person[roster.linkable])
    relative_ids = {_normalised_id(v) for v in roster.近亲属身份证号 if v}
    assert set(staff_w.person_id) <= staff | relative_ids
    assert set(staff_w.person_id) & relative_ids - staff  # some through a relative's ID
