"""The lock-time warning: on Monday before 12:00 UTC, while last week still has slots
not synced, say how many and how long until the week locks, and offer Sync now."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from tracker.cap import WEEK
from tracker.store import Store
from tracker.week_lock import LockWarning, in_grace, last_week_start, lock_warning
from ui.formatting import hours_minutes_long


def unsynced_last_week(store: Store, now: datetime) -> int:
    """Slots of last week still waiting to sync (held or queued; refused ones are not
    waiting: the diary shows why)."""
    start = last_week_start(now)
    return sum(1 for slot in store.slots_between(start, start + WEEK)
               if slot.sync_state == "pending")


def current_warning(store: Store, now: datetime) -> LockWarning | None:
    if not in_grace(now):  # the store is asked only on Monday mornings
        return None
    return lock_warning(now, unsynced_last_week(store, now))


def warning_text(warning: LockWarning, now: datetime) -> str:
    count = warning.unsynced_slots
    slots = f"{count} slot from last week is" if count == 1 else (
        f"{count} slots from last week are")
    return (f"{slots} not synced; the week locks in "
            f"{hours_minutes_long(warning.minutes_left(now))}")


class LockBanner(QFrame):
    """Signals: ``sync_now_clicked()``."""

    sync_now_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lock_banner")
        self.setStyleSheet(
            "QFrame#lock_banner { background: #FEF2F2; border: 1px solid #FECACA;"
            " border-radius: 8px; }"
            " QFrame#lock_banner QLabel { color: #991B1B; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 8, 8)
        self.text = QLabel()
        self.text.setObjectName("lock_text")
        self.text.setWordWrap(True)
        row.addWidget(self.text, 1)
        self.sync_now = QPushButton("Sync now")
        self.sync_now.setObjectName("primary")
        self.sync_now.clicked.connect(self.sync_now_clicked)
        row.addWidget(self.sync_now)
        self.hide()

    def show_warning(self, warning: LockWarning | None, now: datetime) -> None:
        if warning is None:
            self.hide()
            return
        self.text.setText(warning_text(warning, now))
        self.text.setToolTip("Last week's invoice is issued at Monday 12:00 UTC; slots that "
                             "reach the server after that are refused and not billed.")
        self.show()
