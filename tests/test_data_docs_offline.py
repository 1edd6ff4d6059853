"""The Great Expectations Data Docs work offline and keep every night's validations.

GX writes pages that load Bootstrap, jQuery, bootstrap-table … from CDNs: offline, the index was unstyled and
its results table empty. And its index listed only the last night with deliveries (GX deletes the pages of
results its store does not hold). Two nights with deliveries and a quiet one are run here; the site must
reference no remote asset, every local asset it references must exist, its index must list both nights, and
headless Chromium (Debian's `chromium`, when installed), cut off from any network, must fill the table.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hedui.contracts.docs_assets import remote_asset_urls
from hedui.night import run_night
from tests.conftest import SAMPLES, SAMPLES_AS_OF, read_sample_rows, write_csv

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Data Docs after night 1 (the samples: 13 deliveries), night 2 (a new vehicle snapshot) and a quiet
    night 3; returns (docs folder, run ids of the two nights that validated, number of validation results)."""
    base = tmp_path_factory.mktemp("docs-offline")
    landing = base / "landing"
    shutil.copytree(SAMPLES, landing, ignore=shutil.ignore_patterns("README.md"))
    warehouse = base / "home" / "hedui.duckdb"
    first = run_night(landing, warehouse, SAMPLES_AS_OF)
    header, rows = read_sample_rows("vehicle")
    write_csv(landing / "vehicle" / "20261104" / "vehicle.csv", header, rows)
    second = run_night(landing, warehouse, SAMPLES_AS_OF + dt.timedelta(days=1))
    run_night(landing, warehouse, SAMPLES_AS_OF + dt.timedelta(days=2))  # reads nothing new: validates nothing
    results = len(list((warehouse.parent / "validations").rglob("*.json")))
    return warehouse.parent / "data_docs", (first.run_id, second.run_id), results


def _site_files(docs: Path) -> list[Path]:
    return sorted([*docs.rglob("*.html"), *docs.rglob("*.css")])


def test_no_page_or_stylesheet_loads_anything_from_the_internet(site):
    docs, _, _ = site
    files = _site_files(docs)
    assert len(files) > 10
    remote = {str(path.relative_to(docs)): urls for path in files if (urls := remote_asset_urls(path.read_text("utf-8")))}
    assert remote == {}


def test_remote_asset_urls_finds_what_gx_writes():
    """The check above can fail: GX's own page head, as GX writes it, is caught."""
    page = ('<link rel="stylesheet" href="https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css">'
            '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
            "<div style=\"background: url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/x.png')\">"
            '<a href="https://greatexpectations.io">a link to follow is not an asset</a>')
    assert remote_asset_urls(page) == [
        "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
        "https://code.jquery.com/jquery-3.7.1.min.js",
        "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/x.png",
    ]


def test_every_local_asset_a_page_references_exists(site):
    docs, _, _ = site
    missing = []
    for page in docs.rglob("*.html"):
        for ref in re.findall(r"<(?:script|link|img)\b[^>]*?\b(?:src|href)=\"([^\"#?]+)", page.read_text("utf-8")):
            if ref.startswith(("data:", "http:", "https:")):
                continue
            if not (page.parent / ref).exists():
                missing.append((str(page.relative_to(docs)), ref))
    assert missing == []
    assert (docs / "static" / "vendor" / "jquery" / "jquery.min.js").exists()
    assert (docs / "static" / "vendor" / "bootstrap" / "LICENSE").exists()  # licences travel with the files


def test_the_index_lists_every_nights_validations(site):
    docs, (first, second), results = site
    index = (docs / "index.html").read_text("utf-8")
    assert first in index and second in index
    listed = re.findall(r"'_table_row_link_path': '(validations/[^']+\.html)'", index)  # the table's data
    assert len(set(listed)) == results == 14  # 13 deliveries on night 1, the new vehicle snapshot on night 2
    assert all((docs / page).exists() for page in listed)


def _offline_prefix() -> list[str]:
    """`unshare -n` (a network namespace with no interface up) where this user may create one."""
    try:
        if subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0:
            return ["unshare", "-n"]
    except (OSError, subprocess.TimeoutExpired):
        pass
    return []


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)")
def test_headless_chromium_offline_fills_the_index_table(site, tmp_path):
    docs, (first, second), results = site
    dom = subprocess.run(
        [*_offline_prefix(), str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=5000", "--dump-dom", (docs / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    ).stdout
    body = dom[dom.find("<tbody"):dom.find("</tbody>")]
    rows = re.findall(r'<tr class="clickable-row"', body)
    # bootstrap-table ran: one row per validation on its first page of 10, and it counts them all
    assert len(rows) == min(results, 10)
    assert re.search(rf"Showing 1 to {min(results, 10)} of {results} rows", dom)
    assert first in body and second in body
    assert "fa-check-circle" in body or "fa-times" in body  # the status icons
