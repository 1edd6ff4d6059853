"""Data Docs rendered in a child process while the night links records and raises warnings.

The pages depend only on the validation results, and those are final once ingest ends. Rendering them needs
Great Expectations, whose import alone costs about 5 s of one core, and the rendering a few more: on a typical
night that was a sixth of the night, spent after publication while the caseworkers' lists waited (issue 13:
the typical night must cost a tenth of a full run). So the night starts the rendering as soon as ingest ends,
and the deliver stage waits for it after writing the lists: on two cores it runs beside linking, the rules and
the lists instead of after them.

The child is a fresh interpreter (`python -m hedui.contracts.docs_child`), never a fork of the night's process:
that process holds DuckDB's threads and buffers, which a fork would copy and could deadlock on. It lowers its
own priority, so the night's own stages come first where both want a core.

A night that fails after ingest waits for the child before it returns (`settle`): the next night (a retry,
minutes later) must not find a renderer still writing into the same site. The pages it wrote are those of
tonight's validation results, which stay under `validations/` whatever the night's outcome, and which the next
night's index lists anyway.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path


class DataDocsFailed(RuntimeError):
    """The renderer exited with an error; the message holds the redacted end of what it wrote on stderr."""


class DataDocsBuild:
    """One rendering of Data Docs running in a child process."""

    def __init__(self, process: subprocess.Popen, stderr_file, index: Path) -> None:
        self._process = process
        self._stderr = stderr_file
        self._index = index
        self._failure: DataDocsFailed | None = None
        self._finished = False

    @classmethod
    def start(cls, results_dir: Path, docs_dir: Path, history_dir: Path, *, keep_days: int) -> "DataDocsBuild":
        """Start rendering `results_dir` into the site at `docs_dir`, its index listing the results under
        `history_dir` of the last `keep_days` days (`hedui.contracts.docs.build_data_docs`)."""
        stderr_file = tempfile.TemporaryFile()
        process = subprocess.Popen(
            [sys.executable, "-m", "hedui.contracts.docs_child", str(results_dir), str(docs_dir), str(history_dir),
             str(keep_days)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr_file,
        )
        return cls(process, stderr_file, Path(docs_dir) / "index.html")

    def wait(self) -> Path:
        """The site's index page, once the child has finished; DataDocsFailed when it failed (each call)."""
        from hedui.privacy import redact_error_text

        if not self._finished:
            code = self._process.wait()
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
        return self._index

    def settle(self) -> None:
        """Wait for the child, whatever it does (a failed night: nothing more is delivered)."""
        try:
            self.wait()
        except DataDocsFailed:
            pass
