"""Fetch the Data Docs' assets listed in `hedui/contracts/docs_assets.py` from npm into
`hedui/contracts/data_docs_assets/`, each package's licence beside its files.

    python scripts/vendor_data_docs_assets.py

Uses npm's own client (`npm pack PACKAGE@VERSION`), so a proxy or mirror configured for npm applies. A package
that ships no licence file gets LICENSE.txt written from its package.json (its licence identifier, author and
repository), since its licence text is then only in its header comment or its repository.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hedui.contracts.docs_assets import ASSETS, VENDOR_DIR  # noqa: E402


def _pack(spec: str, into: Path) -> Path:
    name = subprocess.run(["npm", "pack", "--silent", spec], cwd=into, check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]
    folder = into / name.removesuffix(".tgz")
    with tarfile.open(into / name) as tar:
        tar.extractall(folder, filter="data")
    return folder / "package"


def _licence(package: Path, spec: str, target_dir: Path) -> None:
    files = sorted(p for p in package.iterdir() if p.is_file() and p.name.lower().startswith(("license", "licence")))
    target_dir.mkdir(parents=True, exist_ok=True)
    if files:
        for file in files:
            shutil.copyfile(file, target_dir / file.name)
        return
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    repository = meta.get("repository")
    repository = repository.get("url") if isinstance(repository, dict) else repository
    author = meta.get("author")
    author = author.get("name") if isinstance(author, dict) else author
    (target_dir / "LICENSE.txt").write_text(
        f"{spec}: licence {meta.get('license')} (from its package.json; the package ships no licence file)\n"
        f"author: {author}\nrepository: {repository}\n",
        encoding="utf-8",
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hedui-vendor-") as tmp:
        packages: dict[str, Path] = {}
        for asset in ASSETS:
            if asset.package not in packages:
                packages[asset.package] = _pack(asset.package, Path(tmp))
            source = packages[asset.package] / asset.path
            target = VENDOR_DIR / asset.target
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            _licence(packages[asset.package], asset.package, VENDOR_DIR / asset.target.split("/")[0])
            print(f"{asset.package}/{asset.path} -> {target.relative_to(VENDOR_DIR)}")


if __name__ == "__main__":
    main()
