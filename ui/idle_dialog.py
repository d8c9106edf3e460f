"""The idle prompt: the user came back after the idle threshold — keep or discard?"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

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
        title = QLabel(f"Idle for {hours_minutes_long(idle_minutes)}")
        title.setObjectName("title")
        layout.addWidget(title)
        self.span = QLabel(
            f"No keyboard or mouse input from {local_time(idle_since)} "
            f"to {local_time(returned_at)}."
        )
        self.span.setObjectName("idle_span")
        layout.addWidget(self.span)
        hint = QLabel("Keep it if you were working away from the keyboard (a call, reading).\n"
                      "Discarded minutes are removed from their slots and not billed.")
        hint.setObjectName("muted")
        layout.addWidget(hint)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.discard_button = QPushButton(f"Discard {hours_minutes_long(idle_minutes)}")
        self.discard_button.setObjectName("danger")
        self.discard_button.clicked.connect(lambda: self._answer(False))
        self.keep_button = QPushButton("Keep the time")
        self.keep_button.setObjectName("primary")
        self.keep_button.clicked.connect(lambda: self._answer(True))
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.keep_button)
        layout.addLayout(buttons)

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
