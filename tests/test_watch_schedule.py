"""When the watch looks at an agent next (a fake clock), and the one-watcher lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fleet_tui.services.watch import MAX_WAIT, Schedule
from fleet_tui.services.watch_lock import WatchLock, lock_path_for


def test_a_good_look_waits_the_interval_and_failures_double_the_wait_up_to_an_hour() -> None:
    schedule = Schedule()
    schedule.done(100.0, 60, ok=True)
    assert schedule.due == 160.0
    waits = []
    now = 160.0
    for _ in range(8):
        schedule.done(now, 60, ok=False)
        waits.append(schedule.due - now)
        now = schedule.due
    assert waits == [120, 240, 480, 960, 1920, MAX_WAIT, MAX_WAIT, MAX_WAIT]
    schedule.done(now, 60, ok=True)
    assert schedule.due == now + 60 and schedule.failures == 0


def test_asked_to_look_now_the_backoff_starts_over() -> None:
    schedule = Schedule()
    for now in (0.0, 120.0, 360.0):
        schedule.done(now, 60, ok=False)
    schedule.now_please(400.0)
    assert schedule.due == 400.0
    schedule.done(401.0, 60, ok=False)
    assert schedule.due == 401.0 + 120


def test_asked_while_a_look_is_going_on_it_looks_again_when_that_one_ends() -> None:
    schedule = Schedule()
    schedule.now_please(10.0, going=True)
    schedule.done(12.0, 60, ok=True)
    assert schedule.due == 12.0
    schedule.done(13.0, 60, ok=True)
    assert schedule.due == 73.0


def test_an_interval_of_zero_never_looks_on_its_own() -> None:
    schedule = Schedule()
    schedule.done(5.0, 0, ok=True)
    assert schedule.due == float("inf")
    schedule.done(5.0, 0, ok=False)
    assert schedule.due == float("inf")
    schedule.now_please(6.0)
    assert schedule.due == 6.0


HOLDER = """
import sys, time
from pathlib import Path
from fleet_tui.services.watch_lock import WatchLock
lock = WatchLock(Path(sys.argv[1]))
print(lock.acquire(), flush=True)
sys.stdin.readline()
"""


def test_only_one_process_holds_the_watch_lock(tmp_path: Path) -> None:
    path = lock_path_for(tmp_path / "data" / "fleet.db")
    assert path == tmp_path / "data" / "watch.lock"
    other = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "True"
        lock = WatchLock(path)
        assert not lock.acquire()
        assert other.stdin is not None
        other.stdin.write("\n")
        other.stdin.flush()
        other.wait(10)
        assert lock.acquire()  # released when that process ended
        assert lock.acquire()  # held already: still ours
        lock.release()
        again = WatchLock(path)
        assert again.acquire()
        again.release()
    finally:
        other.kill()
        other.wait()
