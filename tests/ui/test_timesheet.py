"""Issue 14: the weekly timesheet — days × hours, each hour split by sync state, the
week against the cap, following the slot in progress."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, MONDAY_9, tray_app
from ui.timesheet import SheetState
from ui.timesheet_window import STATE_COLOURS, TimesheetGrid


def _colour_at(grid: TimesheetGrid, day: int, hour: int, minute: float) -> str:
    rect = grid.cell_rect(day, hour)
    image = grid.grab().toImage()
    x = int(rect.left() + rect.width() * minute / 60)
    return QColor(image.pixel(x, int(rect.center().y()))).name()


def test_timesheet_shows_the_week_by_state_against_the_cap(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Timesheet")
        app.advance(30 * 60, step=20, typing=True)  # 09:00–09:30: three slots
        app.controller.stop()
        store = app.controller.store
        store.mark_synced(ACME.id, MONDAY_9, app.clock.now())  # 09:00 reached the server
        app.advance(5 * 60, step=60)  # 09:35: 09:10 is past its hold window, 09:20 is not
        app.controller.start(ACME.id, "Timesheet")
        app.advance(3 * 60, step=20, typing=True)  # 09:30 slot in progress, 3 min so far

        app.shell.show_diary(MONDAY_9)
        qtbot.mouseClick(app.shell.diary_window.week_button, Qt.MouseButton.LeftButton)
        sheet = app.shell.timesheet_window
        assert sheet.isVisible() and sheet.week is not None
        week = sheet.week
        assert week.week_start == MONDAY_9.replace(hour=0)
        assert len(week.days) == 7 and week.days[0] == MONDAY_9.astimezone().date()
        assert week.cells[(0, MONDAY_9.astimezone().hour)] == {
            SheetState.SYNCED: 10, SheetState.WAITING: 10, SheetState.HELD: 13}
        assert sheet.week_total.text() == "0:33 / 40:00 h"
        assert "Synced 0:10" in sheet.legend.text() and "Waiting to upload 0:10" in (
            sheet.legend.text())

        sheet.resize(1100, 380)
        QApplication.processEvents()
        hour = MONDAY_9.astimezone().hour
        colours = [_colour_at(sheet.grid, 0, hour, minute) for minute in (5, 15, 27, 45)]
        assert colours == [QColor(STATE_COLOURS[SheetState.SYNCED]).name(),
                           QColor(STATE_COLOURS[SheetState.WAITING]).name(),
                           QColor(STATE_COLOURS[SheetState.HELD]).name(), "#f1f5f9"]
        assert _colour_at(sheet.grid, 1, hour, 5) == "#f1f5f9"  # Tuesday: nothing yet

        app.advance(60, typing=True)  # the open sheet follows the slot in progress
        assert sheet.week is not None and sheet.week.total_minutes == 34
        assert sheet.grab().save(str(screens_dir / "timesheet.png"))

        sheet.previous_button.click()  # last week: empty
        assert sheet.week is not None and sheet.week.week_start == week.week_start - timedelta(7)
        assert sheet.week.total_minutes == 0
