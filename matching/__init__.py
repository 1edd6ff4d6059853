"""Linking of department records to household members.

The flow calls `link_records(con, run)`; everything else is private to the package except the generic
Fellegi–Sunter machinery (`matching.fellegi_sunter`), which the quality bench reuses for FEBRL.
"""

from matching.link import LinkStats, link_records
from matching.settings import DEFAULTS

__all__ = ["DEFAULTS", "LinkStats", "link_records"]
