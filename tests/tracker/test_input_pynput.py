"""Real input counting: pynput listeners on Xvfb, events injected through XTest (xdotool)."""

from __future__ import annotations

import gc
import random
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.capture_helpers import run_x
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.support.xvfb import XServer
from tests.tracker.conftest import PictureGrabber, contract
from tracker.activity import ActivityCounter, ActivityCounts
from tracker.capture import ScreenCapturer
from tracker.clock import SystemClock
from tracker.session import TrackingSession
from tracker.store import Store

if TYPE_CHECKING:
    from tracker.input_pynput import PynputInputSource

pytestmark = pytest.mark.xvfb

SECRET = "zqxjkv"


def collect_until(
    counter: ActivityCounter, done: ActivityCounts, seconds: float = 10
) -> ActivityCounts:
    """Drain the counter until it has reached ``done`` (events arrive on listener threads)."""
    total = ActivityCounts()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        total = total + counter.drain()
        if total.key_events >= done.key_events and total.mouse_events >= done.mouse_events:
            break
        threading.Event().wait(0.02)
    return total


def wake_and_join(x_server: XServer, source: PynputInputSource) -> None:
    """A stopped Xorg listener ends at the next event (pynput #583): send one."""
    run_x(x_server.display, "xdotool", "mousemove_relative", "1", "1", "key", "shift")
    assert source.join(timeout=10)


def test_keys_clicks_and_throttled_moves_are_counted(x_server: XServer) -> None:
    from tracker.input_pynput import PynputInputSource  # needs DISPLAY at import

    counter = ActivityCounter()
    source = PynputInputSource()
    source.start(counter)
    try:
        run_x(x_server.display, "xdotool", "type", "--delay", "5", SECRET)
        run_x(x_server.display, "xdotool", "click", "1", "click", "3")
        keys_and_clicks = collect_until(counter, ActivityCounts(len(SECRET), 2))
        assert keys_and_clicks.key_events == len(SECRET)  # presses only, not releases
        assert keys_and_clicks.mouse_events >= 2

        started = time.monotonic()
        moves = [f"mousemove {100 + i} {200 + i}" for i in range(300)]
        run_x(x_server.display, "xdotool", *" ".join(moves).split())
        elapsed = time.monotonic() - started
        moved = collect_until(counter, ActivityCounts(0, 1))
        assert 1 <= moved.mouse_events <= 4 * (elapsed + 1) + 1
        assert moved.mouse_events < 300
    finally:
        source.stop()
        wake_and_join(x_server, source)


def test_no_key_value_is_kept_anywhere(x_server: XServer, tmp_path: Path) -> None:
    from tracker.input_pynput import PynputInputSource

    store = Store(tmp_path, TEST_SHOT_KEYS)
    source = PynputInputSource()
    session = TrackingSession(
        clock=SystemClock(),
        rng=random.Random(1),
        store=store,
        capturer=ScreenCapturer(PictureGrabber()),
        input_source=source,
    )
    session.start(contract(), "typing a secret")
    run_x(x_server.display, "xdotool", "type", "--delay", "5", SECRET)
    seen = collect_until(session.activity, ActivityCounts(len(SECRET), 0))
    assert seen.key_events == len(SECRET)
    # the counter holds numbers only, and references no pynput key object
    for value in vars(session.activity).values():
        assert isinstance(value, int | float | type(None)) or type(value).__name__ == "lock"
    referents = gc.get_referents(session.activity, *vars(session.activity).values())
    assert not [r for r in referents if "pynput" in type(r).__module__]
    session.stop()
    wake_and_join(x_server, source)
    store.close()
    # nothing typed reaches the disk
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data
            assert all(f"'{ch}'".encode() not in data for ch in SECRET)
