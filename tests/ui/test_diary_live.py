"""Issue 14: the diary follows the slot in progress, and draws activity minute by minute."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, MONDAY_9, TrayApp, tray_app
from ui import style
from ui.diary_window import ActivityBar, SlotCell


def _minute(app: TrayApp, typing: bool) -> None:
    app.advance(60, step=10, typing=typing)


def _tick_colours(bar: ActivityBar) -> list[str]:
    """The colour at the middle of each of the bar's ten ticks, as drawn."""
    image = bar.grab().toImage()
    width = image.width() / 10
    return [QColor(image.pixel(int(width * index + width / 2), image.height() // 2)).name()
            for index in range(10)]


def _cell_of(app: TrayApp, minute: int) -> SlotCell:
    start = MONDAY_9 + timedelta(minutes=minute)
    cells = [cell for cell in app.shell.diary_window.cells()
             if cell.slot is not None and cell.slot.slot_start == start]
    assert len(cells) == 1, [c.slot for c in app.shell.diary_window.cells() if c.slot]
    return cells[0]


def test_open_diary_shows_the_running_slot_live_minute_by_minute(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.shell.show_diary()  # opened before tracking starts; Today is never clicked
        diary = app.shell.diary_window
        assert [cell for cell in diary.cells() if cell.slot is not None] == []

        app.clock.advance(timedelta(minutes=3))  # starts at 09:03: minutes 0–2 untracked
        app.controller.start(ACME.id, "Diary live")
        for typing in (True, False, True, True):  # 09:03 active, 09:04 idle, 09:05–06 active
            _minute(app, typing)

        running = _cell_of(app, 0)
        assert running.slot is not None and running.slot.in_progress
        assert running.slot.minutes == 4 and running.slot.active_minutes == 3
        assert running.slot.minute_marks[:7] == (None, None, None, True, False, True, True)
        bar = running.findChild(ActivityBar)
        assert bar is not None
        diary.resize(1260, 420)
        QApplication.processEvents()
        green, grey, pale = QColor(style.GREEN).name(), "#cbd5e1", "#f1f5f9"
        assert _tick_colours(bar)[:8] == [pale, pale, pale, green, grey, green, green, pale]

        # the shot of the running slot shows once taken, without touching the diary
        app.advance(3 * 60, step=10, typing=True)  # to 09:10, the slot's end: it is stored
        _minute(app, False)  # 09:10 in the next slot: no input
        stored, next_slot = _cell_of(app, 0), _cell_of(app, 10)
        assert stored.slot is not None and not stored.slot.in_progress
        assert stored.slot.minute_marks == (None, None, None, True, False, True, True,
                                            True, True, True)
        assert stored.slot.thumbnail_path is not None
        assert next_slot.slot is not None and next_slot.slot.in_progress
        assert next_slot.slot.minute_marks[0] is False, next_slot.slot
        stored_bar = stored.findChild(ActivityBar)
        assert stored_bar is not None
        assert _tick_colours(stored_bar)[:5] == [pale, pale, pale, green, grey]
        assert diary.grab().save(str(screens_dir / "diary-live.png"))
