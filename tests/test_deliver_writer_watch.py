"""The list writers leave when the night that started them is killed outright: before, each waited on the pool's
queue forever, with its memory and the fork server behind it (`hedui.deliver.writer_watch`)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from hedui.deliver.writer_watch import NIGHT_GONE_EXIT

# A night in miniature: the lists' pool of writers (forkserver on Linux), busy with a long task, the workers' IDs
# printed; then it waits to be killed.
_NIGHT = textwrap.dedent("""
    import time
    from hedui.deliver.lists import _WorkbookWriters

    if __name__ == "__main__":
        with _WorkbookWriters(2) as writers:
            busy = [writers.pool.submit(time.sleep, 600) for _ in range(3)]
            while len(writers.pool._processes) < 2:
                time.sleep(0.05)
            print(" ".join(str(pid) for pid in writers.pool._processes), flush=True)
            time.sleep(600)
""")


def _running(pid: int) -> bool:
    """Whether `pid` runs (a zombie has ended: nobody may be left to reap an orphan in a container)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_list_writers_exit_when_their_night_is_killed_outright(tmp_path):
    script = tmp_path / "night.py"
    script.write_text(_NIGHT)
    night = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        workers = [int(pid) for pid in night.stdout.readline().split()]
        assert len(workers) == 2 and all(_running(pid) for pid in workers)
    finally:
        night.send_signal(signal.SIGKILL)
        night.wait()
    deadline = time.monotonic() + 20
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers), "a writer outlived its night"


def test_a_watched_process_ending_ends_the_watcher_with_its_own_exit_status():
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    watcher = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from hedui.deliver.writer_watch import exit_when_gone
        exit_when_gone({watched.pid}, poll_seconds=0.1)
        time.sleep(600)
    """)])
    try:
        time.sleep(1)
        assert watcher.poll() is None  # the night still runs: the writer stays
        watched.kill()
        watched.wait()
        assert watcher.wait(timeout=20) == NIGHT_GONE_EXIT
    finally:
        watched.kill()
        watcher.kill()


def test_watching_a_process_that_is_already_gone_exits_at_once():
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    watcher = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from hedui.deliver.writer_watch import exit_when_gone
        exit_when_gone({int(gone.stdout)}, poll_seconds=0.1)
        time.sleep(600)
    """)], timeout=60)
    assert watcher.returncode == NIGHT_GONE_EXIT
