"""The current slot's activity, minute by minute (ten cells, as the diary draws them)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from tracker.slots import SLOT_MINUTES

ACTIVE, INACTIVE, AHEAD = QColor("#16A34A"), QColor("#FCA5A5"), QColor("#E2E8F0")


class ActivityMeter(QWidget):
    """Ten cells: green an active minute, pink a minute without input, grey not yet
    tracked. ``marks`` is the session's ``slot_activity``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marks: tuple[bool | None, ...] = ()
        self.setMinimumSize(QSize(120, 10))
        self.setMaximumHeight(10)

    def show_marks(self, marks: tuple[bool | None, ...]) -> None:
        if marks != self.marks:
            self.marks = marks
            self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        gap = 3.0
        width = (self.width() - gap * (SLOT_MINUTES - 1)) / SLOT_MINUTES
        for index in range(SLOT_MINUTES):
            mark = self.marks[index] if index < len(self.marks) else None
            painter.setBrush(AHEAD if mark is None else ACTIVE if mark else INACTIVE)
            painter.drawRoundedRect(QRectF(index * (width + gap), 0, width, self.height()), 2, 2)
        painter.end()


def activity_text(marks: tuple[bool | None, ...]) -> str:
    """``6 of 7 min active`` (or ``no minute tracked yet``)."""
    tracked = [mark for mark in marks if mark is not None]
    if not tracked:
        return "no minute tracked yet"
    return f"{sum(tracked)} of {len(tracked)} min active"
