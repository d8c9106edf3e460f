"""What was sent: each uploaded slot of a contract and what it carried (DOMAIN.md,
Consent). Counts and a picture's size, never more — there is nothing more to show,
since key and mouse events are only ever counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tracker.slots import SLOT_LENGTH
from tracker.store import Slot
from ui.formatting import local_time, plural, short_day

COLUMNS = ("Slot", "Minutes", "Active", "Keyboard", "Mouse", "Screenshot", "Memo", "Sent")


@dataclass(frozen=True)
class SentSlot:
    """One uploaded slot as the server received it."""

    slot_start: datetime
    minutes: int
    active_minutes: int
    key_events: int
    mouse_events: int
    screenshot: str  # "1920×1080" / "none" / "manual time" / "screenshots off"
    memo: str
    synced_at: datetime | None

    @classmethod
    def of(cls, slot: Slot) -> SentSlot:
        if slot.manual:
            screenshot = "manual time"
        elif slot.shot is not None:
            screenshot = f"{slot.shot.width}×{slot.shot.height}"
        elif slot.shot_state == "off":
            screenshot = "screenshots off"
        else:
            screenshot = "none"
        return cls(slot.slot_start, slot.minute_count, slot.active_minutes,
                   sum(m.key_events for m in slot.minutes),
                   sum(m.mouse_events for m in slot.minutes), screenshot, slot.memo,
                   slot.synced_at)

    def cells(self) -> tuple[str, ...]:
        return (
            f"{short_day(self.slot_start)}–{local_time(self.slot_start + SLOT_LENGTH)}",
            str(self.minutes), str(self.active_minutes), f"{self.key_events:,}",
            f"{self.mouse_events:,}", self.screenshot, self.memo,
            "—" if self.synced_at is None else short_day(self.synced_at),
        )


class SentWindow(QDialog):
    """A table of :class:`SentSlot`, newest first. Esc closes it."""

    def __init__(self, contract_title: str, sent: Sequence[SentSlot],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("What was sent — Workdiary")
        self.setMinimumSize(940, 360)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        title = QLabel(f"Uploaded from this computer: {contract_title}")
        title.setObjectName("title")
        layout.addWidget(title)
        self.summary = QLabel(
            f"{plural(len(sent), 'slot')} in the last 7 days. Keyboard and mouse are "
            "counts of events per slot — which keys or where you clicked is never recorded.")
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(len(sent), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, slot in enumerate(sorted(sent, key=lambda s: s.slot_start, reverse=True)):
            for column, text in enumerate(slot.cells()):
                item = QTableWidgetItem(text)
                if column in (1, 2, 3, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)

    def rows(self) -> list[tuple[str, ...]]:
        rows = []
        for row in range(self.table.rowCount()):
            items = [self.table.item(row, column) for column in range(len(COLUMNS))]
            rows.append(tuple("" if item is None else item.text() for item in items))
        return rows
