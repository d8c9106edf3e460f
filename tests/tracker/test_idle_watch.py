"""Idle time from the compositor (fake Mutter / ScreenSaver monitors on a real private
bus), and active minutes counted from it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.support.idle_server import FakeIdleMonitor
from tests.support.session_bus import private_session_bus
from tracker.activity import ActivityCounter
from tracker.idle_dbus import find_idle_monitor
from tracker.idle_input import IdleTimeInput, input_seen, open_idle_watch

WAYLAND = {"XDG_SESSION_TYPE": "wayland"}


@pytest.fixture
def bus() -> Iterator[str]:
    with private_session_bus() as address:
        yield address


def test_input_is_seen_when_the_idle_time_is_shorter_than_the_poll_gap() -> None:
    assert input_seen(idle_ms=300, since_last_poll_s=1.0)
    assert not input_seen(idle_ms=1000, since_last_poll_s=1.0)
    assert not input_seen(idle_ms=65_000, since_last_poll_s=1.0)


def test_gnome_mutter_is_asked_first(bus: str) -> None:
    mutter = FakeIdleMonitor(bus, "mutter", idle_ms=1234)
    screensaver = FakeIdleMonitor(bus, "screensaver", idle_ms=99)
    try:
        monitor = find_idle_monitor(bus)
        assert monitor is not None and monitor.name == "gnome-mutter"
        assert monitor.idle_ms() == 1234
        monitor.close()
    finally:
        mutter.close()
        screensaver.close()


def test_the_screensaver_is_used_without_mutter_unless_it_says_not_supported(bus: str) -> None:
    screensaver = FakeIdleMonitor(bus, "screensaver", idle_ms=4000)
    try:
        monitor = find_idle_monitor(bus)
        assert monitor is not None and monitor.name == "freedesktop-screensaver"
        assert monitor.idle_ms() == 4000
        monitor.close()
        screensaver.not_supported = True  # kscreenlocker on Wayland
        assert find_idle_monitor(bus) is None
    finally:
        screensaver.close()


def test_no_monitor_no_idle_watch_and_x11_never_asks(bus: str) -> None:
    assert open_idle_watch(WAYLAND, time.monotonic, bus) is None
    mutter = FakeIdleMonitor(bus, "mutter")
    try:
        assert open_idle_watch({"DISPLAY": ":0"}, time.monotonic, bus) is None
        assert mutter.calls == 0
        watch = open_idle_watch(WAYLAND, time.monotonic, bus)
        assert watch is not None and watch.activity_source == "idle-watch"
        watch.close()
    finally:
        mutter.close()


class _Counted(ActivityCounter):
    """A counter that says when it has been fed."""

    def __init__(self) -> None:
        super().__init__()
        self.fed = threading.Event()

    def record_presence(self) -> None:
        super().record_presence()
        self.fed.set()


def test_the_poller_books_input_while_the_desktop_is_busy_and_none_while_idle(bus: str) -> None:
    mutter = FakeIdleMonitor(bus, "mutter", idle_ms=0)
    monitor = find_idle_monitor(bus)
    assert monitor is not None
    watch = IdleTimeInput(monitor, time.monotonic, interval_s=0.05)
    counter = _Counted()
    try:
        watch.start(counter)
        assert counter.fed.wait(5)
        mutter.idle_ms = 120_000  # nobody at the keyboard for two minutes
        time.sleep(0.15)
        counter.drain()
        time.sleep(0.3)
        assert not counter.drain().any
        mutter.idle_ms = 10
        counter.fed.clear()
        assert counter.fed.wait(5)
        assert counter.drain().key_events == 0  # the desktop does not say which kind
    finally:
        watch.stop()
        monitor.close()
        mutter.close()


def test_a_monitor_that_goes_away_stops_the_poller_without_a_crash(bus: str) -> None:
    mutter = FakeIdleMonitor(bus, "mutter", idle_ms=0)
    monitor = find_idle_monitor(bus)
    assert monitor is not None
    watch = IdleTimeInput(monitor, time.monotonic, interval_s=0.05)
    watch.start(ActivityCounter())
    mutter.close()
    thread = watch._thread
    assert thread is not None
    thread.join(timeout=10)
    assert not thread.is_alive()
    watch.stop()
    monitor.close()
