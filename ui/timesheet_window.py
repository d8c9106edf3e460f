"""The weekly timesheet: days × hours, each hour's bar split by sync state, day totals,
and the week against the cap."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from tracker.cap import WEEK
from ui import style
from ui.formatting import hours_minutes
from ui.icons import app_icon
from ui.timesheet import SheetState, TimesheetWeek

STATE_COLOURS = {
    SheetState.SYNCED: style.GREEN,
    SheetState.WAITING: style.AMBER,
    SheetState.HELD: "#3B82F6",
    SheetState.REJECTED: style.RED,
}
STATE_NAMES = {SheetState.SYNCED: "Synced", SheetState.HELD: "Held on this computer",
               SheetState.WAITING: "Waiting to upload", SheetState.REJECTED: "Refused"}
_LABEL_W, _TOTAL_W, _HEADER_H, _ROW_H = 96, 56, 22, 30


class TimesheetGrid(QWidget):
    """Draws a :class:`TimesheetWeek`: a row per day, a column per local hour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.week: TimesheetWeek | None = None
        self.setMinimumSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        rows = len(self.week.days) if self.week else 7
        return QSize(_LABEL_W + 24 * 34 + _TOTAL_W, _HEADER_H + rows * _ROW_H + 4)

    def show_week(self, week: TimesheetWeek) -> None:
        self.week = week
        self.setMinimumSize(self.sizeHint())
        self.update()

    def cell_rect(self, day_index: int, hour: int) -> QRectF:
        width = (self.width() - _LABEL_W - _TOTAL_W) / 24
        return QRectF(_LABEL_W + hour * width + 1, _HEADER_H + day_index * _ROW_H + 3,
                      width - 2, _ROW_H - 6)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        week = self.week
        if week is not None:
            self._paint_header(painter)
            for day_index, day in enumerate(week.days):
                self._paint_day(painter, week, day_index, day.strftime("%a %d %b"))
        painter.end()

    def _paint_header(self, painter: QPainter) -> None:
        painter.setPen(QColor(style.MUTED))
        for hour in range(0, 24, 3):
            rect = self.cell_rect(0, hour)
            painter.drawText(QRectF(rect.left(), 0, rect.width() * 3, _HEADER_H),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"{hour:02d}:00")

    def _paint_day(self, painter: QPainter, week: TimesheetWeek, day_index: int,
                   label: str) -> None:
        top = _HEADER_H + day_index * _ROW_H
        painter.setPen(QColor(style.INK))
        painter.drawText(QRectF(0, top, _LABEL_W - 6, _ROW_H),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        painter.setPen(Qt.PenStyle.NoPen)
        for hour in range(24):
            rect = self.cell_rect(day_index, hour)
            painter.setBrush(QColor("#F1F5F9"))
            painter.drawRoundedRect(rect, 3, 3)
            states = week.cells.get((day_index, hour), {})
            left = rect.left()
            for state in SheetState:  # a bar per hour, filled left to right by state
                share = rect.width() * states.get(state, 0) / 60
                if share > 0:
                    painter.setBrush(QColor(STATE_COLOURS[state]))
                    painter.drawRect(QRectF(left, rect.top(), share, rect.height()))
                    left += share
        painter.setPen(QColor(style.INK))
        painter.drawText(QRectF(self.width() - _TOTAL_W, top, _TOTAL_W - 4, _ROW_H),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         hours_minutes(week.day_minutes(day_index)))


class TimesheetWindow(QWidget):
    """Signals: ``week_requested(week_start)`` (a Monday 00:00 UTC)."""

    week_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Timesheet — Workdiary")
        self.setWindowIcon(app_icon())
        self.setObjectName("page")
        self.quit_on_close = False
        self.week: TimesheetWeek | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 14)
        header = QHBoxLayout()
        self.previous_button = QPushButton("◀")
        self.previous_button.setFixedWidth(36)
        self.previous_button.clicked.connect(lambda: self._request(-WEEK))
        self.next_button = QPushButton("▶")
        self.next_button.setFixedWidth(36)
        self.next_button.clicked.connect(lambda: self._request(WEEK))
        self.title = QLabel()
        self.title.setObjectName("title")
        header.addWidget(self.previous_button)
        header.addWidget(self.next_button)
        header.addSpacing(8)
        header.addWidget(self.title, 1)
        self.week_total = QLabel()
        self.week_total.setObjectName("week_total")
        self.week_total.setStyleSheet("font-size: 13pt; font-weight: 600;")
        header.addWidget(self.week_total)
        outer.addLayout(header)
        self.cap_bar = QProgressBar()
        self.cap_bar.setTextVisible(False)
        outer.addWidget(self.cap_bar)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("muted")
        outer.addWidget(self.subtitle)
        self.grid = TimesheetGrid()
        outer.addWidget(self.grid, 1)
        self.legend = QLabel()
        self.legend.setObjectName("legend")
        outer.addWidget(self.legend)

    def show_week(self, week: TimesheetWeek) -> None:
        self.week = week
        end = week.week_start + WEEK - timedelta(days=1)
        self.title.setText(f"Week of {week.week_start:%d %b} – {end:%d %b %Y} (UTC)")
        cap = week.cap_minutes
        total = week.total_minutes
        if cap is None:
            self.week_total.setText(f"{hours_minutes(total)} h")
            self.cap_bar.hide()
        else:
            self.week_total.setText(f"{hours_minutes(total)} / {hours_minutes(cap)} h")
            self.cap_bar.show()
            self.cap_bar.setRange(0, max(cap, 1))
            self.cap_bar.setValue(min(total, cap))
            name = "over" if total >= cap else "near" if cap - total <= 60 else ""
            self.cap_bar.setObjectName(name)
            self.cap_bar.style().unpolish(self.cap_bar)
            self.cap_bar.style().polish(self.cap_bar)
        left = "" if cap is None else f" · {hours_minutes(max(cap - total, 0))} h left"
        self.subtitle.setText(f"{week.contract_title}{left} · hours in your local time")
        self.legend.setText("   ".join(
            f"<span style='color:{STATE_COLOURS[state]}'>■</span> {STATE_NAMES[state]} "
            f"{hours_minutes(week.state_minutes(state))}" for state in SheetState))
        self.grid.show_week(week)

    def _request(self, offset: timedelta) -> None:
        if self.week is not None:
            self.week_requested.emit(self.week.week_start + offset)
