"""Manual time: a local day, from–to and a memo, checked before the dialog closes.

The check asks the session the same question it asks when the time is added (the
range lies in the past, holds a whole minute, overlaps nothing, fits under the cap), so
a refused entry stays in the dialog to be corrected instead of being lost after OK.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTimeEdit,
    QWidget,
)

from ui.formatting import QT_DATE_FORMAT

# (start, end, memo) → "" when it would be accepted, else why not (for the user)
ManualTimeCheck = Callable[[datetime, datetime, str], str]


class ManualTimeDialog(QDialog):
    """Asks for a local date, a from–to time and a memo; Esc or Cancel closes it."""

    def __init__(
        self, day: date, check: ManualTimeCheck | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add manual time")
        self._check = check
        form = QFormLayout(self)
        self.day = QDateEdit(QDate(day.year, day.month, day.day))
        self.day.setDisplayFormat(QT_DATE_FORMAT)
        self.day.setCalendarPopup(True)
        self.start = QTimeEdit(QTime(9, 0))
        self.start.setDisplayFormat("HH:mm")
        self.end = QTimeEdit(QTime(10, 0))
        self.end.setDisplayFormat("HH:mm")
        self.memo = QLineEdit()
        self.memo.setPlaceholderText("What did you work on?")
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        note = QLabel("Manual time is billed and counts toward the cap,\n"
                      "but it has no screenshots and is not protected.")
        note.setObjectName("muted")
        form.addRow("Day", self.day)
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        form.addRow("Memo", self.memo)
        form.addRow(note)
        form.addRow(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def span(self) -> tuple[datetime, datetime, str]:
        """The chosen span as aware datetimes in local time (the caller converts to UTC)."""
        day = _python_date(self.day.date())
        start = datetime.combine(day, _python_time(self.start.time())).astimezone()
        end = datetime.combine(day, _python_time(self.end.time())).astimezone()
        return start, end, self.memo.text().strip()

    def problem(self) -> str:
        """Why OK would be refused now ("" when it would not)."""
        start, end, memo = self.span()
        if end <= start:
            return "The end must be after the start."
        if not memo:
            return "Say what you worked on."
        if self._check is None:
            return ""
        refusal = self._check(start, end, memo)
        return refusal[:1].upper() + refusal[1:] + ("" if refusal.endswith(".") else ".") if (
            refusal) else ""

    def _on_buttons_accepted(self) -> None:
        problem = self.problem()
        if not problem:
            self.accept()
            return
        self.error.setText(problem)
        self.error.show()


def ask_manual_time(
    parent: QWidget, day: date, check: ManualTimeCheck | None = None
) -> tuple[datetime, datetime, str] | None:
    dialog = ManualTimeDialog(day, check, parent)
    return dialog.span() if dialog.exec() == QDialog.DialogCode.Accepted else None


# QDate.toPython / QTime.toPython are typed as returning ``object`` in PySide6's stubs
def _python_date(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _python_time(at: QTime) -> time:
    return time(at.hour(), at.minute(), at.second(), at.msec() * 1000)
