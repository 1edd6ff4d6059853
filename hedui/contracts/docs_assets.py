"""Great Expectations Data Docs that work offline: their CDN assets, vendored, and the pages rewritten to them.

GX 1.x writes pages that load Bootstrap, jQuery, bootstrap-table, Font Awesome, Vega and others from CDNs
(unpkg, jsDelivr, cdnjs, …) and its logo from S3. On the center's offline network such a page is unstyled and its
results table stays empty (bootstrap-table never runs). So every asset GX asks for is vendored from its npm
package (`hedui/contracts/data_docs_assets/`, with each package's licence), copied beside the site into
`static/vendor/`, and every page and stylesheet of the site is rewritten to point at the copies with relative
paths. The `integrity`/`crossorigin` attributes of the rewritten tags are dropped: a browser refuses a
`crossorigin` script loaded from a `file://` page.

To upgrade GX: build the docs, run `tests/test_data_docs_offline.py` (it fails naming any http(s) asset URL
left in a page); add the new URL to `ASSETS` and fetch it with `python scripts/vendor_data_docs_assets.py`
(npm's client: `npm pack`).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

# read as package data (installed with the package; a plain folder in a checkout or a wheel install)
VENDOR_DIR = Path(str(files("hedui.contracts") / "data_docs_assets"))
SITE_VENDOR = Path("static") / "vendor"


@dataclass(frozen=True)
class Asset:
    """One file GX loads from the internet, the npm package file it is, and where it lives in `VENDOR_DIR`."""

    urls: tuple[str, ...]  # as GX writes them (several GX templates differ in version or .min)
    package: str  # npm spec, exact version
    path: str  # inside the package
    target: str  # relative to VENDOR_DIR (and to the site's static/vendor/)


ASSETS: tuple[Asset, ...] = (
    Asset(("https://code.jquery.com/jquery-3.7.1.min.js",), "jquery@3.7.1", "dist/jquery.min.js",
          "jquery/jquery.min.js"),
    Asset(("https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",), "popper.js@1.12.9",
          "dist/umd/popper.min.js", "popper.js/popper.min.js"),
    Asset(("https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",), "bootstrap@4.3.1",
          "dist/css/bootstrap.min.css", "bootstrap/css/bootstrap.min.css"),
    Asset(("https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js",), "bootstrap@4.3.1",
          "dist/js/bootstrap.min.js", "bootstrap/js/bootstrap.min.js"),
    Asset(("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",), "bootstrap-table@1.19.1",
          "dist/bootstrap-table.min.css", "bootstrap-table/bootstrap-table.min.css"),
    Asset(("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",), "bootstrap-table@1.19.1",
          "dist/bootstrap-table.min.js", "bootstrap-table/bootstrap-table.min.js"),
    Asset(("https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",),
          "bootstrap-table@1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
          "bootstrap-table/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    # GX asks for the 1.19.0 stylesheet of the extension beside the 1.19.1 script; 1.19.1's is served for both.
    Asset(("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
           "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
          "bootstrap-table@1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
          "bootstrap-table/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    Asset(("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",),
          "bootstrap-datepicker@1.9.0", "dist/css/bootstrap-datepicker.min.css",
          "bootstrap-datepicker/css/bootstrap-datepicker.min.css"),
    Asset(("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",),
          "bootstrap-datepicker@1.9.0", "dist/js/bootstrap-datepicker.min.js",
          "bootstrap-datepicker/js/bootstrap-datepicker.min.js"),
    Asset(("https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",),
          "@forevolve/bootstrap-dark@1.1.0", "dist/css/bootstrap-prefers-dark.css",
          "bootstrap-dark/css/bootstrap-prefers-dark.css"),
    Asset(("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css",),
          "@fortawesome/fontawesome-free@6.6.0", "css/all.min.css", "fontawesome/css/all.min.css"),
    # The stylesheet loads its fonts from ../webfonts/ (woff2 first; every current browser takes it).
    *(Asset((), "@fortawesome/fontawesome-free@6.6.0", f"webfonts/{font}.woff2", f"fontawesome/webfonts/{font}.woff2")
      for font in ("fa-brands-400", "fa-regular-400", "fa-solid-900", "fa-v4compatibility")),
    # GX asks for the newest 5.x / 6.x; the newest when vendored is served.
    Asset(("https://cdn.jsdelivr.net/npm/vega@5",), "vega@5.33.1", "build/vega.min.js", "vega/vega.min.js"),
    Asset(("https://cdn.jsdelivr.net/npm/vega-lite@5",), "vega-lite@5.23.0", "build/vega-lite.min.js",
          "vega-lite/vega-lite.min.js"),
    Asset(("https://cdn.jsdelivr.net/npm/vega-embed@6",), "vega-embed@6.29.0", "build/vega-embed.min.js",
          "vega-embed/vega-embed.min.js"),
)

# GX's logo, from S3 (with a per-build query string); GX ships the same image in the site's static/images/.
_GX_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/"
                      r"(?:logo-long|full_logo_dark)\.png(?:\?[^\"')\s]*)?")
_LOCAL_LOGO = Path("static") / "images" / "logo-long.png"
_SRI = re.compile(r'\s+(?:integrity|crossorigin)="[^"]*"')
# A page's own reference to the site's static/ folder. GX counts one folder too few for validation pages (the
# suite name `hedui.housing` is two folders), so their favicon pointed outside the site: recomputed for all.
_STATIC_REF = re.compile(r'\b(src|href)="(?:\./|(?:\.\./)+)?(static/[^"]*)"')
_TAG = re.compile(r"<(?:script|link)\b[^>]*>")


def install_assets(site: Path) -> None:
    """Copy the vendored assets (and their licences) into `site/static/vendor/`."""
    target = site / SITE_VENDOR
    shutil.copytree(VENDOR_DIR, target, dirs_exist_ok=True)


def _relative(page: Path, site: Path, target: Path) -> str:
    return Path(os.path.relpath(site / target, page.parent)).as_posix()


def localise_page(page: Path, site: Path) -> bool:
    """Point one HTML page or stylesheet of the site at the local assets; True when it changed."""
    text = page.read_text(encoding="utf-8")
    new = text
    for asset in ASSETS:
        for url in asset.urls:
            if url in new:
                new = new.replace(url, _relative(page, site, SITE_VENDOR / asset.target))
    new = _GX_LOGO.sub(_relative(page, site, _LOCAL_LOGO), new)
    if page.suffix == ".html":
        new = _STATIC_REF.sub(lambda m: f'{m.group(1)}="{_relative(page, site, Path(m.group(2)))}"', new)
        new = _TAG.sub(lambda m: _SRI.sub("", m.group(0)) if "static/vendor/" in m.group(0) else m.group(0), new)
    if new != text:
        page.write_text(new, encoding="utf-8")
        return True
    return False


def localise_site(site: Path) -> int:
    """Install the assets and rewrite every page and stylesheet of the site; returns how many changed."""
    site = Path(site)
    install_assets(site)
    changed = 0
    for page in sorted([*site.rglob("*.html"), *(site / "static" / "styles").rglob("*.css")]):
        changed += localise_page(page, site)
    return changed


_ASSET_URL = re.compile(r"""(?:<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*["']|url\(\s*['"]?)(https?://[^"')\s]+)""",
                        re.I)


def remote_asset_urls(text: str) -> list[str]:
    """The http(s) URLs a page or stylesheet loads (scripts, stylesheets, images, CSS url()): links to follow
    (`<a href>`) are not assets and are not listed."""
    return _ASSET_URL.findall(text)
