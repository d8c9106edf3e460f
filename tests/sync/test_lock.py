"""One uploader per store, across processes; the lock dies with its holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.errors import AnotherUploaderRunning
from sync.lock import UploaderLock

HOLDER = """
import sys, time
from pathlib import Path
from sync.lock import UploaderLock
lock = UploaderLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_second_lock_on_the_same_store_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    store = tmp_path / "diary.sqlite3"
    with UploaderLock(store) as first:
        assert first.held
        second = UploaderLock(store)
        with pytest.raises(AnotherUploaderRunning, match=rf"process {os.getpid()}"):
            second.acquire()
        assert not second.held
    with UploaderLock(store) as third:  # released: free again
        assert third.held


def test_lock_held_by_another_process_and_freed_when_it_is_killed(tmp_path: Path) -> None:
    store = tmp_path / "diary.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(AnotherUploaderRunning, match=rf"process {child.pid}"):
            UploaderLock(store).acquire()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    deadline = time.monotonic() + 5
    lock = UploaderLock(store)
    while True:
        try:
            lock.acquire()
            break
        except AnotherUploaderRunning:
            assert time.monotonic() < deadline, "the lock outlived its killed holder"
    assert lock.held
    lock.release()
