"""The one heartbeat of the app: a signal at each whole second of the injected clock."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from tracker.clock import Clock

# Land a few ms after the boundary so `now()` is already in the new second.
_SLACK_MS = 3


class SecondTicker(QObject):
    """Emits ``ticked(now)`` once per whole second of ``clock``.

    A named single-shot timer is re-armed after each tick to the next whole second as the
    clock reads it — never by adding intervals, which drift and bunch up after a suspend.
    """

    ticked = Signal(object)  # datetime (aware UTC)

    def __init__(self, clock: Clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setObjectName("second_ticker")
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self._arm()

    def stop(self) -> None:
        self._timer.stop()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def _arm(self) -> None:
        now = self._clock.now()
        ms_left = 1000 - now.microsecond // 1000
        self._timer.start(ms_left + _SLACK_MS)

    def _on_timer_timeout(self) -> None:
        now: datetime = self._clock.now()
        self._arm()
        self.ticked.emit(now)
