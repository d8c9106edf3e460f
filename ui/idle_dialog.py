"""The idle prompt: the user came back after the idle threshold — keep or discard?"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from ui.dialog_parts import button, button_row, label
from ui.formatting import hours_minutes_long, local_time
from ui.icons import TrayState, state_icon


class IdlePromptDialog(QDialog):
    """Shows the idle span and asks keep / discard. Not modal: the timer keeps ticking.

    Signals: ``answered(keep)`` — once, then the dialog closes.
    """

    answered = Signal(bool)

    def __init__(
        self, idle_since: datetime, returned_at: datetime, idle_minutes: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("You were away — Workdiary")
        self.setWindowIcon(state_icon(TrayState.IDLE_PENDING))
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
        self._answered = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 18)
        layout.setSpacing(10)
        layout.addWidget(label(f"Idle for {hours_minutes_long(idle_minutes)}", "title"))
        self.span = QLabel(
            f"No keyboard or mouse input from {local_time(idle_since)} "
            f"to {local_time(returned_at)}."
        )
        self.span.setObjectName("idle_span")
        layout.addWidget(self.span)
        layout.addWidget(label(
            "Keep it if you were working away from the keyboard (a call, reading).\n"
            "Discarded minutes are removed from their slots and not billed.", "muted"))
        self.discard_button = button(
            f"Discard {hours_minutes_long(idle_minutes)}", lambda: self._answer(False), "danger"
        )
        self.keep_button = button("Keep the time", lambda: self._answer(True), "primary")
        layout.addLayout(button_row(self.discard_button, self.keep_button))

    def _answer(self, keep: bool) -> None:
        if self._answered:
            return
        self._answered = True
        self.answered.emit(keep)
        self.accept()

    def reject(self) -> None:
        # Escape or the close box is no answer: the prompt stays pending; DOMAIN.md
        # discards unanswered idle time when tracking stops.
        self.hide()
