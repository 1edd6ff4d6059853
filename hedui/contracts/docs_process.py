"""Data Docs rendered in a child process while the night links records and raises warnings.

The pages depend only on the validation results, and those are final once ingest ends. Rendering them needs
Great Expectations, whose import alone costs about 5 s of one core, and the rendering a few more: on a typical
night that was a sixth of the night, spent after publication while the caseworkers' lists waited (issue 13:
the typical night must cost a tenth of a full run). So the night starts the rendering as soon as ingest ends,
and the deliver stage waits for it after writing the lists: on two cores it runs beside linking, the rules and
the lists instead of after them.

The child is a fresh interpreter (`python -m hedui.contracts.docs_child`), never a fork of the night's process:
that process holds DuckDB's threads and buffers, which a fork would copy and could deadlock on. It lowers its
own priority to the lowest (nice 19), so the night's own stages come first where both want a core.

The site changes with the warehouse, or not at all, as the warehouse does (`hedui.warehouse.publish`):
- The child renders into a staging copy of the site (`.data_docs.next-<run_id>` beside it); the live site is
  untouched while the night runs, so nobody sees tonight's validations listed beside last night's warehouse.
- The deliver stage, after publication, swaps the staging copy in (`publish`). A night that fails discards it
  (`discard`), after stopping the child if the night was interrupted, so a failed night adds nothing.
- Renderers never overlap, whatever killed a night: each holds an exclusive lock on `.data_docs.lock` for its
  whole rendering, and the swap takes it too. A renderer orphaned by a killed night finishes into its own
  staging copy, which the next renderer removes once it holds the lock.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

CHILD_MODULE = "hedui.contracts.docs_child"
STAGING_PREFIX = ".data_docs.next-"
# How long a failed night waits for its renderer before stopping it: rendering takes seconds, a hung renderer
# must not keep the night's failure from being said.
SETTLE_SECONDS = 120


class DataDocsFailed(RuntimeError):
    """The renderer exited with an error; the message holds the redacted end of what it wrote on stderr."""


def lock_path(site: Path) -> Path:
    return Path(site).parent / ".data_docs.lock"


def staging_path(site: Path, run_id: str) -> Path:
    return Path(site).parent / f"{STAGING_PREFIX}{run_id}"


@contextmanager
def site_lock(site: Path):
    """The exclusive lock every renderer and every swap of the site at `site` holds (blocking)."""
    path = lock_path(site)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class DataDocsBuild:
    """One rendering of Data Docs into a staging copy of the site, running in a child process."""

    def __init__(self, process: subprocess.Popen, stderr_file, site: Path, staging: Path) -> None:
        self._process = process
        self._stderr = stderr_file
        self._site = site
        self._staging = staging
        self._failure: DataDocsFailed | None = None
        self._finished = False

    @classmethod
    def start(cls, results_dir: Path, site: Path, history_dir: Path, *, keep_days: int) -> "DataDocsBuild":
        """Start rendering `results_dir` into a staging copy of the site at `site`, its index listing the results
        under `history_dir` of the last `keep_days` days (`hedui.contracts.docs.build_data_docs`)."""
        site = Path(site)
        staging = staging_path(site, Path(results_dir).name)
        stderr_file = tempfile.TemporaryFile()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", CHILD_MODULE, str(results_dir), str(site), str(history_dir), str(keep_days),
                 str(staging)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr_file,
            )
        except BaseException:
            stderr_file.close()
            raise
        return cls(process, stderr_file, site, staging)

    def wait(self, timeout: float | None = None) -> None:
        """Until the child has finished; DataDocsFailed when it failed (at each call). subprocess.TimeoutExpired
        when it is still running after `timeout` seconds."""
        from hedui.privacy import redact_error_text

        if not self._finished:
            code = self._process.wait(timeout)
            try:
                if code != 0:
                    self._stderr.seek(0)
                    tail = self._stderr.read()[-2000:].decode("utf-8", errors="replace").strip().splitlines()
                    said = redact_error_text(tail[-1]) if tail else "no message"
                    self._failure = DataDocsFailed(f"Data Docs rendering exited with {code}: {said}")
            finally:
                self._stderr.close()
                self._finished = True
        if self._failure is not None:
            raise self._failure

    def publish(self) -> Path:
        """After the warehouse is published: wait for the child, swap its staging copy in for the site, and
        return the site's index page. A failed rendering leaves the site as it was and raises DataDocsFailed."""
        try:
            self.wait()
        except DataDocsFailed:
            self.discard()
            raise
        with site_lock(self._site):
            previous = self._site.with_name(f".data_docs.previous-{os.getpid()}")
            if self._site.exists():
                os.replace(self._site, previous)
            os.replace(self._staging, self._site)
            shutil.rmtree(previous, ignore_errors=True)
        return self._site / "index.html"

    def discard(self, *, interrupted: bool = False) -> None:
        """A night that failed: stop the child (at once when the night was interrupted, else after
        SETTLE_SECONDS), and remove its staging copy. The site stays as it was; never raises."""
        if interrupted and not self._finished:
            self._process.terminate()
        try:
            self.wait(SETTLE_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            self._stderr.close()
            self._finished = True
        except DataDocsFailed:
            pass
        shutil.rmtree(self._staging, ignore_errors=True)
