"""Is there a landing zone at all? Checked before a night touches the warehouse.

A mistyped `--landing`, a share that is not mounted (its mount point is an empty folder) or a folder that holds
no delivery of any source cannot be told apart, night after night, from "no department sent anything new":
every source keeps its picture in force, looks fresh, and the lists go out from stale data under a completed
run. So a night whose landing zone is missing, unreadable or holds no delivery folder of any source fails
before it begins: nothing is published (the previous night's warehouse stays as it was) and nothing delivered.

A single source with no folder is not this: that source is reported `missing` by its connector while the others
go on (one source's absence never stops the others).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from connectors.discovery import folder_date


class LandingZoneUnusable(RuntimeError):
    """The landing zone is missing, unreadable or holds no delivery at all; the message says which and how to
    check (it names the folder, never a file's content)."""


def check_landing_zone(landing: Path, sources: Iterable[str]) -> None:
    """Raise `LandingZoneUnusable` unless `landing` is a readable folder in which at least one source folder
    holds at least one delivery folder (`<source>/<YYYYMMDD>/`)."""
    landing = Path(landing)
    sources = list(sources)
    if not landing.exists():
        raise LandingZoneUnusable(
            f"the landing zone {landing} does not exist: check --landing, and that the departments' share is mounted"
        )
    if not landing.is_dir():
        raise LandingZoneUnusable(f"the landing zone {landing} is not a folder: check --landing")
    try:
        present = [source for source in sources if (landing / source).is_dir()]
        dated = [source for source in present
                 if any(folder_date(entry.name) for entry in (landing / source).iterdir())]
    except OSError as exc:
        raise LandingZoneUnusable(
            f"the landing zone {landing} cannot be read ({exc.strerror or type(exc).__name__}): "
            "check the share and its permissions"
        ) from None
    if not present:
        raise LandingZoneUnusable(
            f"the landing zone {landing} holds none of the source folders ({', '.join(sources)}): "
            "a wrong --landing, or a share that is not mounted"
        )
    if not dated:
        raise LandingZoneUnusable(
            f"the landing zone {landing} holds no delivery: no <source>/<YYYYMMDD>/ folder in "
            f"{', '.join(present)}; a wrong --landing, or a share that is not mounted"
        )
