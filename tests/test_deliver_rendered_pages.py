"""What caseworkers hold in their hands: one printed page of a caseworker list (LibreOffice prints the .xlsx to
PDF) and one page of a household report, rendered to PNG with poppler's pdftoppm.

The PNGs are written to `<tmp>/rendered/list-page.png` and `report-page.png` (pytest's tmp folder; `--basetemp`
puts them where you want them) so that a person can look at them; the tests check what a machine can: the page is
landscape, not blank, one page wide (the list's first and last columns on the first page), its header row
printed again on the next page, and its Chinese text really drawn. Skipped where LibreOffice or poppler-utils
are not installed (Debian: libreoffice-calc, poppler-utils).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from PIL import Image

from hedui.deliver.lists import HEADERS, write_township_lists
from hedui.deliver.report import render_household_report
from tests.conftest import SAMPLES_AS_OF
from tests.sample_warehouse import build_sample_warehouse

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_poppler = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
                                   reason="poppler-utils (pdftoppm, pdftotext) is not installed")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (libreoffice-calc) is not installed")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("rendered")
    return folder


def _page_png(pdf: Path, page: int, out: Path) -> Path:
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf),
                    str(stem)], check=True, timeout=120)
    return out


def _page_text(pdf: Path, page: int) -> str:
    text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True, timeout=120).stdout
    return "".join(text.split())


def _assert_a_real_landscape_page(png: Path) -> None:
    assert png.stat().st_size > 30_000, png
    image = Image.open(png).convert("L")
    width, height = image.size
    assert width > height  # landscape
    dark = sum(count for value, count in enumerate(image.histogram()) if value < 128)
    assert dark / (width * height) > 0.01, "the page is blank"


def _pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@needs_poppler
@needs_libreoffice
def test_a_printed_list_page_is_landscape_one_page_wide_with_its_header_repeated(rendered, tmp_path):
    con = duckdb.connect()
    build_sample_warehouse(con)
    # enough open warnings for the township to print over more than one page
    con.execute("""
        insert into alerts.warnings
        select * exclude (n) replace (warning_id || '-' || lpad(cast(n as varchar), 2, '0') as warning_id)
        from alerts.warnings, range(1, 40) as copies(n)
        where status = 'open' and township = '宜阳街道'
    """)
    paths = write_township_lists(con, tmp_path / "lists", SAMPLES_AS_OF)
    xlsx = next(p for p in paths if "宜阳街道" in p.name)
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(xlsx)],
                   check=True, capture_output=True, timeout=300)
    pdf = tmp_path / "pdf" / xlsx.with_suffix(".pdf").name
    png = _page_png(pdf, 1, rendered / "list-page.png")
    _assert_a_real_landscape_page(png)
    first, second = _page_text(pdf, 1), _page_text(pdf, 2)
    # one page wide: the first and the last printed columns, with the input columns, on the first page
    for header in (HEADERS[0], "证据说明", "核查结果", "备注", "核查人", HEADERS[-1]):
        assert header in first, header
    assert "校验码" not in first  # the hidden check code is not printed
    assert "第1页/共" in first
    # the header row again on the next page of the list
    assert "预警编号" in second and "核查日期" in second
    # the Chinese is drawn (a missing font would leave nothing to extract): the category and the route's village
    assert "隐性资产" in first and "城北社区" in first


@needs_poppler
def test_a_report_page_is_landscape_with_its_chinese_drawn(rendered, tmp_path):
    con = duckdb.connect()
    build_sample_warehouse(con)
    pdf = render_household_report(con, "H001", tmp_path, SAMPLES_AS_OF)[1]
    pages = _pdf_pages(pdf)
    png = _page_png(pdf, pages, rendered / "report-page.png")  # the warnings and their evidence
    _assert_a_real_landscape_page(png)
    last = _page_text(pdf, pages)
    assert "预警及证据" in last or "证据内容" in last
    assert f"第{pages}页/共{pages}页" in last and "家庭编号H001" in last
    first = _page_text(pdf, 1)
    assert "居民家庭经济状况核对报告" in first and "m²" in _page_text(pdf, 2)
