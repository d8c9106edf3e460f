"""Active minutes from the compositor's idle time (``idle-watch``), where pynput cannot count.

A poller asks the :class:`~tracker.idle_dbus.IdleMonitor` once a second. If the idle
time is shorter than the time since the previous poll, there was input in between, and
the counter books one :meth:`~tracker.activity.ActivityCounter.record_presence`. So a
minute is active exactly when some input reached the desktop in it; the idle prompt
works as with counted input. The poller is the only thread that uses the monitor.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from tracker.activity import ActivityCounter
from tracker.capture_choice import ActivitySource, is_wayland
from tracker.idle_dbus import IdleMonitor, IdleUnavailable, find_idle_monitor

log = logging.getLogger(__name__)
POLL_INTERVAL_S = 1.0


def input_seen(idle_ms: int, since_last_poll_s: float) -> bool:
    """Input happened after the previous poll: the desktop's idle time is shorter."""
    return idle_ms < since_last_poll_s * 1000


class IdleTimeInput:
    """A :class:`tracker.activity.InputSource` fed by the desktop's idle time."""

    activity_source: ActivitySource = "idle-watch"

    def __init__(
        self,
        monitor: IdleMonitor,
        monotonic: Callable[[], float],
        interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        self._monitor = monitor
        self._monotonic = monotonic
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, counter: ActivityCounter) -> None:
        self.stop()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._poll, args=(counter, self._stop), name="idle-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def close(self) -> None:
        """Stop polling and let the monitor's connection go."""
        self.stop()
        self._monitor.close()

    def _poll(self, counter: ActivityCounter, stop: threading.Event) -> None:
        last = self._monotonic()
        while not stop.wait(self._interval_s):
            now = self._monotonic()
            try:
                idle_ms = self._monitor.idle_ms()
            except IdleUnavailable as error:
                # the minutes read inactive from here on; the idle prompt will ask
                log.warning("idle time unavailable, activity not counted: %s", error)
                return
            if input_seen(idle_ms, now - last):
                counter.record_presence()
            last = now


def open_idle_watch(
    env: Mapping[str, str], monotonic: Callable[[], float], bus: str = "SESSION"
) -> IdleTimeInput | None:
    """On Wayland, an idle-watch input source from the first idle monitor that answers;
    None elsewhere (pynput counts input on X11) or when no monitor answers."""
    if not is_wayland(env):
        return None
    monitor = find_idle_monitor(bus)
    if monitor is None:
        log.warning("Wayland session without an idle monitor: activity is not counted")
        return None
    log.info("activity: idle time from %s", monitor.name)
    return IdleTimeInput(monitor, monotonic)
