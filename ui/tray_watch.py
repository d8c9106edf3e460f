"""Watches for a system tray host (a panel) to appear or go away, for as long as the
app runs: at login the panel may start long after us, and a panel may be restarted.

Qt offers no signal for this on X11 (XEmbed) or with StatusNotifierItem, so the watch
asks ``QSystemTrayIcon.isSystemTrayAvailable()`` on a timer: an X11 selection-owner
query (or a cached D-Bus answer), far below the cost of the app's one-second tick.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon

# how often to look; the environment knob lets end-to-end tests look often
CHECK_INTERVAL_ENV = "WORKDIARY_TRAY_CHECK_MS"
DEFAULT_CHECK_MS = 2000


def check_interval_ms() -> int:
    try:
        return max(50, int(os.environ.get(CHECK_INTERVAL_ENV, DEFAULT_CHECK_MS)))
    except ValueError:
        return DEFAULT_CHECK_MS


class TrayHostWatch(QObject):
    """Signals: ``appeared()`` when a tray host becomes available, ``vanished()`` when it
    goes away. ``available`` holds the last answer."""

    appeared = Signal()
    vanished = Signal()

    def __init__(self, interval_ms: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self._timer = QTimer(self)
        self._timer.setObjectName("tray_host_watch")
        self._timer.setInterval(interval_ms or check_interval_ms())
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_watching(self) -> bool:
        return self._timer.isActive()

    def _on_timer_timeout(self) -> None:
        now_available = QSystemTrayIcon.isSystemTrayAvailable()
        if now_available == self.available:
            return
        self.available = now_available
        (self.appeared if now_available else self.vanished).emit()
