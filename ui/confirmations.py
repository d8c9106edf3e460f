"""Asking before something stops tracking (quit, sign out), and the keyboard shortcuts.

Quit or sign out while tracking names what stops — the contract and the session's time
— and offers to keep tracking. Ctrl+W closes a window, Ctrl+Q quits (through the same
question), Esc closes dialogs (QDialog's own reject).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.formatting import clock_duration
from ui.session_clock import session_seconds
from ui.view_state import TimerStatus

# (parent, title, text, yes label) → True to go on; tests replace it (no modal loop)
Confirm = Callable[[QWidget | None, str, str, str], bool]


def ask(parent: QWidget | None, title: str, text: str, yes_label: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton,
                      parent)
    yes = box.addButton(yes_label, QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Keep tracking", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is yes


def stop_question(action: str, status: TimerStatus, now: datetime) -> tuple[str, str, str] | None:
    """(title, text, yes label) for ``action`` ("quit" or "sign out"); None when nothing
    is being tracked, so there is nothing to ask."""
    if not status.tracking:
        return None
    contract = status.contract
    what = f"“{contract.title}”" if contract else "a contract"
    running = clock_duration(session_seconds(status, now))
    consequence = "Quitting" if action == "quit" else "Signing out"
    text = (f"You are tracking {what} ({running} this session). {consequence} stops "
            "tracking; the time so far is saved.")
    if action == "quit":
        return "Quit Workdiary?", text, "Stop and quit"
    return "Sign out?", text, "Stop and sign out"


def add_window_shortcuts(window: QWidget, quit_requested: Callable[[], None]) -> None:
    """Ctrl+W closes ``window``; Ctrl+Q asks to quit."""
    close = QShortcut(QKeySequence(QKeySequence.StandardKey.Close), window)
    close.activated.connect(window.close)
    if close.key() != QKeySequence("Ctrl+W"):  # some platforms' Close is another key
        QShortcut(QKeySequence("Ctrl+W"), window).activated.connect(window.close)
    QShortcut(QKeySequence("Ctrl+Q"), window).activated.connect(quit_requested)
