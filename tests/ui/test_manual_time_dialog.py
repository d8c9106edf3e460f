"""Manual time is checked in the dialog: a future range (or an overlap, or past the cap)
is said there, the dialog stays open with what was typed, and the corrected entry is
added."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTime, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.harness import MONDAY_9, tray_app
from tests.ui.screens import save_screen
from ui.manual_time_dialog import ManualTimeDialog


def test_a_future_range_is_refused_in_the_open_dialog_and_the_entry_kept(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    now = MONDAY_9 + timedelta(hours=3)  # 12:00 UTC
    with tray_app(qtbot, tmp_path, start=now) as app:
        app.sign_in()
        app.shell.show_diary(MONDAY_9)
        diary = app.shell.diary_window
        seen: dict[str, object] = {}

        def fill_in_the_dialog() -> None:
            dialog = QApplication.activeModalWidget()
            assert isinstance(dialog, ManualTimeDialog)
            local_now = now.astimezone()
            dialog.day.setDate(QDate(local_now.year, local_now.month, local_now.day))
            dialog.start.setTime(QTime(local_now.hour, 30))
            dialog.end.setTime(QTime((local_now.hour + 1) % 24, 15))  # ends in the future
            dialog.memo.setText("Call with the client")
            seen["date"] = dialog.day.text()
            dialog.buttons.accepted.emit()
            seen["error"] = dialog.error.text()
            seen["still_open"] = dialog.isVisible()
            seen["memo_kept"] = dialog.memo.text()
            save_screen(dialog, screens_dir / "manual-time-refused.png")
            dialog.start.setTime(QTime((local_now.hour - 1) % 24, 0))
            dialog.end.setTime(QTime((local_now.hour - 1) % 24, 25))
            dialog.buttons.accepted.emit()

        QTimer.singleShot(0, fill_in_the_dialog)
        qtbot.mouseClick(diary.manual_button, Qt.MouseButton.LeftButton)
        assert seen["error"] == "Manual time must lie in the past."
        assert seen["still_open"] is True and seen["memo_kept"] == "Call with the client"
        assert seen["date"] == f"{now.astimezone():%a} {now.astimezone().day} " \
            f"{now.astimezone():%b %Y}"  # "Mon 23 Nov 2026", never "23 11 2026"
        manual = [s for s in app.controller.diary_day(MONDAY_9).slots if s.manual]
        assert [(s.minutes, s.memo) for s in manual] == [(10, "Call with the client")] * 2 + [
            (5, "Call with the client")]


def test_an_overlap_is_said_in_the_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path, start=MONDAY_9 + timedelta(hours=3)) as app:
        app.sign_in()
        app.controller.add_manual_time(7, MONDAY_9, MONDAY_9 + timedelta(minutes=20), "Planning")
        local = MONDAY_9.astimezone()
        dialog = ManualTimeDialog(local.date(), lambda start, end, _memo: (
            app.controller.check_manual_time(7, start, end)))
        qtbot.addWidget(dialog)
        dialog.start.setTime(QTime(local.hour, 10))
        dialog.end.setTime(QTime(local.hour, 40))
        dialog.memo.setText("Again")
        dialog.buttons.accepted.emit()
        assert dialog.error.text().startswith("The range overlaps time already logged")
        assert dialog.result() != ManualTimeDialog.DialogCode.Accepted
