"""The font the printable report embeds: a TrueType CJK font, so that the PDF reads the same everywhere.

reportlab's built-in CID font STSong-Light is not embedded: the viewer must supply the glyphs, so a viewer
without the Adobe-GB1 language pack shows empty tables, and even with it `·` and `²` are dropped. A document
for a household's file must carry its own font. reportlab embeds a subset (only the glyphs used) of a
TrueType font with glyf outlines, from a .ttf or a .ttc collection; it cannot embed CFF-based .otf fonts.

The font is WenQuanYi Micro Hei (文泉驿微米黑, Apache-2.0), installed with hedui as the package
`paperang-p2-fonts-cjk` (see pyproject.toml). `HEDUI_REPORT_FONT` may name another TrueType file (.ttf, or a
.ttc whose first face is used) — a center with a licensed 宋体 for instance.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

FONT_ENV = "HEDUI_REPORT_FONT"
FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_DISTRIBUTION = "paperang-p2-fonts-cjk"
FONT_FILE = "fonts/wqy-microhei.ttc"
FONT_NAME = "HeduiReportCJK"


class ReportFontMissing(RuntimeError):
    """No embeddable CJK font: the PDF is not written (the HTML report still is)."""


def report_font_path() -> Path:
    """The TrueType file the report embeds: $HEDUI_REPORT_FONT, else the font installed with hedui."""
    configured = os.environ.get(FONT_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ReportFontMissing(f"{FONT_ENV} names {path}, which is not a file")
        return path
    try:
        path = Path(str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)))
    except ModuleNotFoundError:
        raise ReportFontMissing(
            f"the report's Chinese font is not installed: `pip install {FONT_DISTRIBUTION}` (a dependency of hedui),"
            f" or set {FONT_ENV} to a TrueType (.ttf/.ttc) Chinese font"
        ) from None
    if not path.is_file():
        raise ReportFontMissing(f"the package {FONT_DISTRIBUTION} is installed without its font file {FONT_FILE}")
    return path


def register_report_font() -> str:
    """Register the report font with reportlab (once per process) and return its name."""
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    path = report_font_path()
    try:
        font = TTFont(FONT_NAME, str(path), subfontIndex=0)
    except TTFError as exc:
        raise ReportFontMissing(f"{path.name} cannot be embedded (it must be a TrueType font with glyf outlines,"
                                f" not a CFF-based .otf): {exc}") from None
    pdfmetrics.registerFont(font)
    return FONT_NAME
