"""Finding deliveries in the landing zone: `LANDING/<source>/<YYYYMMDD>/<files>`.

Only folders named by a real date count. A folder or file that is a symbolic link leading out of the landing
zone, a name that is not a date, and a date after the as-of date are reported, never read. Hidden and
temporary files (`.name`, `~$name`) and files that are neither CSV nor XLSX are not part of a delivery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

DATA_SUFFIXES = {".csv", ".xlsx"}


@dataclass(frozen=True)
class Delivery:
    source: str
    folder: str
    date: dt.date
    path: Path
    files: tuple[Path, ...]
    skipped: tuple[str, ...] = ()  # file names present but not part of the delivery, with why

    @property
    def delivery_id(self) -> str:
        return f"{self.source}/{self.folder}"


@dataclass(frozen=True)
class Passed:
    """A folder entry that is not a usable delivery, and why (goes to the ledger)."""

    source: str
    folder: str
    date: dt.date | None
    status: str  # future, ignored, rejected
    reason: str

    @property
    def delivery_id(self) -> str:
        return f"{self.source}/{self.folder}"


@dataclass
class Discovery:
    deliveries: list[Delivery] = field(default_factory=list)  # on or before the as-of date, oldest first
    passed: list[Passed] = field(default_factory=list)


def folder_date(name: str) -> dt.date | None:
    if len(name) != 8 or not name.isdigit():
        return None
    try:
        return dt.datetime.strptime(name, "%Y%m%d").date()
    except ValueError:
        return None


def _link_problem(path: Path, root: Path) -> str | None:
    """Why an entry cannot be followed, or None when it lies inside the landing zone.

    Each kind of link gets its own reason, and none escapes discovery to fail the whole source: a loop makes
    `Path.resolve(strict=True)` raise RuntimeError on Python < 3.13 (OSError with ELOOP later), a dangling
    link raises OSError, which is not the ValueError of a link leading out of the landing zone."""
    try:
        path.resolve(strict=True).relative_to(root)
        return None
    except ValueError:
        return "symbolic link leading out of the landing zone"
    except RuntimeError:
        return "symbolic link loop: it leads nowhere"
    except OSError as exc:
        if path.is_symlink():
            return "symbolic link loop: it leads nowhere" if exc.errno == 40 else "dangling symbolic link: its target does not exist"
        return f"cannot be opened ({exc.strerror or type(exc).__name__})"


def discover(landing: Path, source: str, as_of: dt.date) -> Discovery:
    root = landing.resolve()
    found = Discovery()
    source_dir = landing / source
    if not source_dir.is_dir():
        return found
    for entry in sorted(source_dir.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith("."):
            continue  # senders write elsewhere and rename in; dot-folders are work in progress
        date = folder_date(name)
        problem = _link_problem(entry, root)
        if problem is not None:
            found.passed.append(Passed(source, name, date, "rejected", problem))
            continue
        if not entry.is_dir():
            found.passed.append(Passed(source, name, date, "ignored", "not a delivery folder"))
            continue
        if date is None:
            found.passed.append(Passed(source, name, None, "ignored", "folder name is not a delivery date (YYYYMMDD)"))
            continue
        if date > as_of:
            found.passed.append(Passed(source, name, date, "future", f"dated after the as-of date {as_of.isoformat()}"))
            continue
        files: list[Path] = []
        skipped: list[str] = []
        try:
            items = sorted(entry.iterdir(), key=lambda p: p.name)
        except OSError as exc:  # renamed away or made unreadable between listing the source and reading it
            found.passed.append(Passed(source, name, date, "rejected",
                                       f"the delivery folder cannot be listed ({exc.strerror or type(exc).__name__})"))
            continue
        for position, item in enumerate(i for i in items if not i.name.startswith((".", "~$"))):
            # named by position and suffix, never by name: a file named after its contents is personal data
            label = f"folder entry {position + 1} ({item.suffix.lower() or 'no suffix'})"
            problem = _link_problem(item, root)
            if problem is not None:
                skipped.append(f"{label}: {problem}")
            elif not item.is_file():
                skipped.append(f"{label}: not a file")
            elif item.suffix.lower() not in DATA_SUFFIXES:
                skipped.append(f"{label}: not a .csv or .xlsx file")
            else:
                files.append(item)
        found.deliveries.append(Delivery(source, name, date, entry, tuple(files), tuple(skipped)))
    return found


def landing_notes(landing: Path, sources: list[str] | tuple[str, ...]) -> list[str]:
    """What lies at the top of the landing zone that no source reads, for the run's notes: a folder spelt in
    the wrong case (`Vehicle/` is not `vehicle/`, so the source reads as having delivered nothing) and unknown
    folders. A name is shown only when it is plain ASCII (a name made of contents could carry personal data)."""
    import re

    try:
        entries = sorted(p.name for p in Path(landing).iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
    by_folded = {s.lower(): s for s in sources}
    notes = []
    for name in entries:
        if name in sources:
            continue
        shown = name if re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name) else "(a folder with a non-ASCII name)"
        if name.lower() in by_folded:
            notes.append(f"landing folder {shown} is not read: source folders are lower case "
                         f"({by_folded[name.lower()]}/)")
        else:
            notes.append(f"landing folder {shown} is not a source and is not read "
                         f"(sources: {', '.join(sources)})")
    return notes


def delivery_checksum(file_checksums: dict[str, str]) -> str:
    """One checksum for a delivery: over its file names and their SHA-256s, in name order."""
    digest = hashlib.sha256()
    for name in sorted(file_checksums):
        digest.update(f"{name}\t{file_checksums[name]}\n".encode())
    return digest.hexdigest()
