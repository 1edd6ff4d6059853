"""The repository holds no secrets and no real citizen IDs.

Scans every tracked text file (`git ls-files`; binary files such as the sample .xlsx are skipped) for
- secrets: private keys (PEM), credentials assigned a literal (`password = "…"`, `token: …`, `api_key=…`),
  well-known token shapes (AWS access key ids, GitHub and Slack tokens);
- full citizen IDs: an 18-character number with a valid check character and a real birth date.

Allow-list (documented in docs/personal-data.md, "What the repository may hold"):
- the IDs of the spec samples' fictional people (tests/fixtures/spec_samples/README.md), anywhere: they are the
  spec's published fixtures, quoted by code, tests and docs;
- any ID under `tests/`: test fixtures are fictional or generated;
- `ALLOWED_EXAMPLE_IDS` below: fictional IDs quoted in documentation, each with where and why.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES_README = REPO / "tests" / "fixtures" / "spec_samples" / "README.md"

ALLOWED_EXAMPLE_IDS = {
    "430482198207152427": "docs/analyst-guide.md: the placeholder ID of the 'one member's full picture' query",
}
ALLOWED_ID_FOLDERS = ("tests/",)

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
_ID = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "credential literal": re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)\b"
        r"[\"']?\s*[:=]\s*[\"']([^\s\"'`]{6,})[\"']"),
    "credential in a URL": re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s/@]{3,}@"),
    "AWS access key id": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
}
# Values that name where a credential comes from rather than holding one.
_REFERENCE = re.compile(r"(?i)^(?:\$|\{\{|<|os\.|env|secret\.load|none|null|changeme|example|xxx)")


def is_citizen_id(text: str) -> bool:
    s = text.upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", s):
        return False
    try:
        dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return _CHECK[sum(int(d) * w for d, w in zip(s[:17], _WEIGHTS)) % 11] == s[17]


def sample_ids() -> set[str]:
    return {m.upper() for m in _ID.findall(SAMPLES_README.read_text(encoding="utf-8")) if is_citizen_id(m)}


def secrets_in(text: str) -> list[str]:
    found = []
    for kind, pattern in SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.group(1) if pattern.groups else match.group(0)
            if kind == "credential literal" and _REFERENCE.match(value):
                continue
            found.append(kind)
    return found


def tracked_text_files() -> dict[str, str]:
    try:
        names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
                               ).stdout.decode("utf-8").split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    files = {}
    for name in filter(None, names):
        path = REPO / name
        if not path.is_file():  # deleted in the working tree
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary (the sample .xlsx)
        for encoding in ("utf-8", "gb18030"):
            try:
                files[name] = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return files


def test_the_scanners_find_what_they_look_for():
    assert is_citizen_id("430482196203151313") and is_citizen_id("43048219901123357x")
    assert not is_citizen_id("430482196203151314") and not is_citizen_id("430482196202301313")
    # assembled from pieces, so that this file itself (which the scan reads too) holds none of them
    planted = "\n".join([
        "-----BEGIN RSA " + "PRIVATE KEY-----", "password" + ' = "hunter2hunter2"', "api_key" + ": 'Zx81kQ0pL2mN'",
        "postgresql://hedui:" + "s3cretpw@db.example/hedui", "AKIA" + "ABCDEFGHIJKLMNOP", "ghp_" + "a1" * 18,
    ])
    assert sorted(set(secrets_in(planted))) == sorted(
        {"private key", "credential literal", "credential in a URL", "AWS access key id", "GitHub token"})
    harmless = 'token = os.environ["HEDUI_TOKEN"]\npassword = Secret.load("hedui-registry").get()\n' \
               'key = os.environ.get("HEDUI_PSEUDONYM_KEY")\nthe `password=` pattern'
    assert secrets_in(harmless) == []
    assert sample_ids() >= {"430482196203151313", "43048219901123357X", "430421198102198338"}


def test_tracked_files_hold_no_secrets():
    files = tracked_text_files()
    assert len(files) > 50
    found = {name: secrets_in(text) for name, text in files.items()}
    assert {name: kinds for name, kinds in found.items() if kinds} == {}


def test_tracked_files_hold_no_citizen_id_outside_the_allow_list():
    allowed = sample_ids() | set(ALLOWED_EXAMPLE_IDS)
    found = {}
    for name, text in tracked_text_files().items():
        if name.startswith(ALLOWED_ID_FOLDERS):
            continue
        ids = {m.upper() for m in _ID.findall(text) if is_citizen_id(m)} - allowed
        if ids:
            found[name] = sorted(ids)
    assert found == {}


def test_every_allow_listed_example_id_is_still_used():
    """An allow-list entry nobody quotes any more is removed, so the list stays short and true."""
    everything = "\n".join(tracked_text_files().values())
    assert [i for i in ALLOWED_EXAMPLE_IDS if i not in everything] == []
