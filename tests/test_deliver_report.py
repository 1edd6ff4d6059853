import datetime as dt
import re
from decimal import Decimal

import duckdb
import pytest

from hedui.deliver.report import HouseholdNotFound, household_report_data, render_household_report
from hedui.policy import Policy, PolicyError
from tests.conftest import SAMPLES_AS_OF
from tests.sample_warehouse import ALL_IDS, LI_FANG, ZHANG_WEI, build_sample_warehouse


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    build_sample_warehouse(c)
    return c


def test_medical_totals_net_reversals_within_the_365_day_window(con):
    data = household_report_data(con, "H001", SAMPLES_AS_OF)
    t = data["totals"]
    # 6900 + 1600 + 450 - 450 (reversal) + 3000; the 2025-08-02 settlement is outside the window
    assert t["medical_out_of_pocket"] == Decimal("11500.00")
    assert t["settlements"] == 5
    assert data["window_start"] == dt.date(2025, 11, 4)
    assert t["residential_units"] == 2 and t["vehicles_counted"] == 1
    checks = {c["rule"] + c["item"][:4]: c["met"] for c in data["checks"]}
    assert checks["ASSET_PROPERTY现势住宅"] is True
    assert checks["ASSET_VEHICLE状态正常"] is True


def test_totals_are_checked_against_the_rules_parameters_under_the_policy(con):
    policy = Policy(rules={"ASSET_PROPERTY": {"min_residential_units": 3},
                           "HARDSHIP_MEDICAL": {"total_threshold": 20000}})
    data = household_report_data(con, "H001", SAMPLES_AS_OF, policy)
    checks = {c["item"]: c for c in data["checks"]}
    assert checks["现势住宅套数"]["met"] is False and checks["现势住宅套数"]["threshold"] == "≥ 3 套"
    # 11500 < 20000 but >= 2000 and >= half of 12 x 1200 = 7200
    medical = checks["近365天医疗个人自付（冲销已抵扣，元）"]
    assert medical["met"] is True and medical["threshold"].startswith("≥ 20,000 元；")
    with pytest.raises(PolicyError, match="no_such_threshold"):
        household_report_data(con, "H001", SAMPLES_AS_OF, Policy(rules={"ASSET_PROPERTY": {"no_such_threshold": 1}}))


def test_report_renders_html_and_pdf_with_members_records_totals_and_warnings(con, tmp_path):
    paths = render_household_report(con, "H002", tmp_path, SAMPLES_AS_OF)
    assert [p.suffix for p in paths] == [".html", ".pdf"]
    assert paths[0].name == "核对报告_H002_20261103.html"
    html = paths[0].read_text(encoding="utf-8")
    for text in ("居民家庭经济状况核对报告", "审核中", "王秀英", "刘建国", "残疾人证", "肢体", "二级",
                 "2026-10-12", "C34.9", "10,400.00", "W-CHANGE_DECEASED-0005", "W-HARDSHIP_DISABILITY-0004",
                 "page-break-before", "@media print"):
        assert text in html, text
    assert paths[1].read_bytes().startswith(b"%PDF")
    pdf = paths[1].read_bytes()
    # the font is embedded (a TrueType subset), and no font the viewer must supply is named
    assert b"STSong-Light" not in pdf and b"/Helvetica" not in pdf
    fonts = re.findall(rb"/BaseFont\s*/([^\s/>\]]+)", pdf)
    assert fonts and all(re.fullmatch(rb"[A-Z]{6}\+WenQuanYiMicroHei-0", f) for f in fonts)
    assert pdf.count(b"/FontFile2") == len(fonts)


def test_report_of_household_with_assets_contains_records_and_totals(con, tmp_path):
    html = render_household_report(con, "H001", tmp_path, SAMPLES_AS_OF)[0].read_text(encoding="utf-8")
    for text in ("湘DD52880", "常宁市宜阳街道城北路8号1栋101", "JS2026080300031", "冲销", "11,500.00", "34,000.00",
                 "≥ 2 套", "达到", "W-ASSET_PROPERTY-0002", "关联方式"):
        assert text in html, text
    assert "JS2025080200051" not in html  # outside the 365-day window


def test_ids_masked_by_default_and_full_on_request(con, tmp_path):
    masked = render_household_report(con, "H002", tmp_path, SAMPLES_AS_OF)[0].read_text(encoding="utf-8")
    for pid in ALL_IDS:
        assert pid not in masked
    full_dir = tmp_path / "full"
    full = render_household_report(con, "H001", full_dir, SAMPLES_AS_OF, show_full_ids=True)[0]
    assert full.name.endswith("_完整证件号.html")
    text = full.read_text(encoding="utf-8")
    assert ZHANG_WEI in text and LI_FANG in text
    default = render_household_report(con, "H001", tmp_path, SAMPLES_AS_OF)[0].read_text(encoding="utf-8")
    assert ZHANG_WEI not in default and ZHANG_WEI[:6] + "********" + ZHANG_WEI[-4:] in default


def test_household_without_records_or_warnings_still_renders(con, tmp_path):
    html = render_household_report(con, "H004", tmp_path, SAMPLES_AS_OF)[0].read_text(encoding="utf-8")
    assert "何军" in html and "未比对到记录" in html


def test_unknown_household_is_said_in_plain_words_without_echoing_an_id(con, tmp_path):
    with pytest.raises(HouseholdNotFound) as caught:
        render_household_report(con, "NOPE", tmp_path, SAMPLES_AS_OF)
    assert "没有找到所给家庭编号对应的家庭" in str(caught.value)
    assert "staged" not in str(caught.value) and "NOPE" not in str(caught.value)
    # a citizen ID typed by mistake is not echoed, not even masked
    with pytest.raises(HouseholdNotFound) as caught:
        render_household_report(con, ZHANG_WEI, tmp_path, SAMPLES_AS_OF)
    assert ZHANG_WEI[:6] not in str(caught.value) and ZHANG_WEI[-4:] not in str(caught.value)
    assert not list(tmp_path.iterdir())


def test_household_number_in_lower_case_or_full_width_finds_the_household(con, tmp_path):
    for typed in ("h002", " H002 ", "Ｈ００２"):
        paths = render_household_report(con, typed, tmp_path / typed.strip(), SAMPLES_AS_OF)
        assert paths[0].name == "核对报告_H002_20261103.html"


def test_categories_in_chinese_and_a_caseworker_outcome_with_its_reason(con, tmp_path):
    data = household_report_data(con, "H002", SAMPLES_AS_OF)
    assert {w["category"] for w in data["warnings"]} == {"新增困难", "情况变化"}
    html = render_household_report(con, "H004", tmp_path, SAMPLES_AS_OF)[0].read_text(encoding="utf-8")
    assert "核查结果：核查不属实" in html and "商铺已于2025年转让，登记未更新" in html and "西岭镇核查员甲" in html
    assert "change_of_circumstance" not in html and "hidden_asset" not in html
    [dismissed] = household_report_data(con, "H004", SAMPLES_AS_OF)["warnings"]
    assert (dismissed["outcome"], dismissed["outcome_on"]) == ("核查不属实", dt.date(2026, 10, 2))


def test_the_embedded_font_draws_every_character_the_report_and_the_city_use():
    from reportlab.pdfbase import pdfmetrics

    from hedui.deliver.report import HOUSEHOLD_FIELDS, MEMBER_COLUMNS, SECTION_COLUMNS, SOURCE_TITLES
    from hedui.deliver.report_font import register_report_font
    from hedui.rules import load_catalog
    from hedui.synth import names

    face = pdfmetrics.getFont(register_report_font()).face
    texts = ["·²•≥×（）：；【】—“”", "陳黃劉張鄧龍國華", "鑫淼犇堃昇喆燊"]
    texts += list(SOURCE_TITLES.values()) + [h for cols in SECTION_COLUMNS.values() for h, _ in cols]
    texts += [h for h, _ in MEMBER_COLUMNS + HOUSEHOLD_FIELDS]
    texts += [r.title_zh + "".join(p["wording_zh"] for p in r.parameters.values()) for r in load_catalog()]
    texts += [str(v) for v in vars(names).values() if isinstance(v, (str, list, tuple))]
    missing = {ch for text in texts for ch in str(text) if ord(ch) > 127 and ord(ch) not in face.charToGlyph}
    assert missing == set()


def test_without_a_font_to_embed_the_report_says_what_to_install(monkeypatch, tmp_path):
    from hedui.deliver import report_font

    monkeypatch.setenv(report_font.FONT_ENV, str(tmp_path / "no-such-font.ttf"))
    with pytest.raises(report_font.ReportFontMissing, match="HEDUI_REPORT_FONT names"):
        report_font.report_font_path()
    monkeypatch.delenv(report_font.FONT_ENV)
    monkeypatch.setattr(report_font, "FONT_PACKAGE", "no_such_font_package")
    with pytest.raises(report_font.ReportFontMissing, match="pip install paperang-p2-fonts-cjk"):
        report_font.report_font_path()


def test_cli_report_takes_a_lower_case_number_and_says_plainly_when_there_is_none(tmp_path):
    from typer.testing import CliRunner

    from hedui.cli import app

    warehouse = tmp_path / "hedui.duckdb"
    c = duckdb.connect(str(warehouse))
    build_sample_warehouse(c)
    c.close()
    result = CliRunner().invoke(app, ["report", "h001", "--warehouse", str(warehouse), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "r").iterdir()} == {"核对报告_H001_20261103.html", "核对报告_H001_20261103.pdf"}
    result = CliRunner().invoke(app, ["report", "H999", "--warehouse", str(warehouse), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "没有找到所给家庭编号对应的家庭" in result.output and "staged" not in result.output
    assert "H999" not in result.output


def test_a_cell_taller_than_a_page_splits_across_pages(con, tmp_path):
    """One evidence record whose fields fill more than a page (a hostile delivery can hold such a value) splits
    inside its cell instead of failing the PDF with a LayoutError."""
    from hedui.deliver.report_pdf import write_pdf

    data = household_report_data(con, "H001", SAMPLES_AS_OF)
    data["warnings"][0]["detail"] = "【医保结算（医疗保障局）】" + "医疗机构名称：某某医院，" * 1500
    data["warnings"][0]["summary"] = "说明" * 3000
    write_pdf(data, tmp_path / "long.pdf")
    assert (tmp_path / "long.pdf").read_bytes().count(b"/Type /Page\n") >= 5
