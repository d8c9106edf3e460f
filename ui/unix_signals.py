"""Ctrl-C and SIGTERM quit the app cleanly, with no polling timer.

Python runs signal handlers only when the interpreter gets control; inside Qt's event
loop that can be never. ``signal.set_wakeup_fd`` writes a byte to a socket on each
signal and a QSocketNotifier wakes the loop, so the Python handler runs at once.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier


class SignalWatcher(QObject):
    def __init__(self, on_signal: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._on_signal = on_signal
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self._handle)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_notifier_activated)

    def _handle(self, number: int, _frame: object) -> None:
        self._on_signal(number)

    def _on_notifier_activated(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._reader.recv(64)  # drain; the Python handler has run by now

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()
