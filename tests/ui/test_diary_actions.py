"""Diary: full shot on click, manual time where the contract allows it, day paging."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, GLOBEX, MONDAY_9, tray_app
from ui.diary_window import ShotViewer


def test_clicking_a_thumbnail_opens_the_full_shot(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Shots")
        app.advance(11 * 60, typing=True)
        app.controller.stop()
        app.shell.show_diary(MONDAY_9)
        cell = next(c for c in app.shell.diary_window.cells() if c.slot is not None)
        qtbot.mouseClick(cell.thumbnail, Qt.MouseButton.LeftButton)
        viewers = app.shell.diary_window.findChildren(ShotViewer)
        assert len(viewers) == 1
        picture = viewers[0].findChild(QLabel, "full_shot")
        assert picture is not None and not picture.pixmap().isNull()
        assert picture.pixmap().width() == 640  # the fake screen's size, not the thumbnail


def test_manual_time_where_the_contract_allows_it(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path, start=MONDAY_9 + timedelta(hours=3)) as app:
        app.sign_in()
        diary = app.shell.diary_window
        app.shell.show_diary(MONDAY_9)
        assert diary.manual_button.isVisible()
        diary.ask_manual_time = lambda _parent, _day: (MONDAY_9, MONDAY_9 + timedelta(minutes=25),
                                                       "Call with the client")
        qtbot.mouseClick(diary.manual_button, Qt.MouseButton.LeftButton)
        shown = [c.slot for c in diary.cells() if c.slot is not None]
        assert [(s.minutes, s.manual) for s in shown] == [(10, True), (10, True), (5, True)]
        assert app.controller.status.week_minutes == 25

        # a refused range is explained, nothing is added
        notices: list[str] = []
        app.shell.notice_shown.connect(lambda _title, text: notices.append(text))
        qtbot.mouseClick(diary.manual_button, Qt.MouseButton.LeftButton)
        assert "overlaps" in notices[0]

        app.controller.select_contract(GLOBEX.id)
        app.shell.show_diary(MONDAY_9)
        assert not diary.manual_button.isVisible()


def test_paging_days(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Today")
        app.advance(11 * 60, typing=True)
        app.controller.stop()
        app.shell.show_diary(MONDAY_9)
        diary = app.shell.diary_window
        qtbot.mouseClick(diary.previous_button, Qt.MouseButton.LeftButton)
        assert not [c for c in diary.cells() if c.slot is not None]
        assert diary.day.total_minutes == 0
        qtbot.mouseClick(diary.next_button, Qt.MouseButton.LeftButton)
        assert diary.day.total_minutes == 11


def test_a_closed_diary_lets_go_of_its_cells_and_a_minimised_one_keeps_them(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Shots")
        app.advance(11 * 60, typing=True)
        app.controller.stop()
        diary = app.shell.diary_window
        app.shell.show_diary(MONDAY_9)
        qtbot.waitExposed(diary)
        assert [c for c in diary.cells() if c.slot is not None]
        diary.showMinimized()
        qtbot.waitUntil(lambda: diary.isMinimized())
        assert [c for c in diary.cells() if c.slot is not None]
        diary.move(diary.x() + 40, diary.y() + 30)
        where = diary.geometry()
        diary.close()
        assert diary.cells() == []
        # the closed window goes altogether (its backing store too), once Qt deletes it
        qtbot.waitUntil(lambda: not shiboken6.isValid(diary))
        app.shell.show_diary(MONDAY_9)  # reopened: built again from the store
        again = app.shell.diary_window
        qtbot.waitExposed(again)
        assert [c.slot.minutes for c in again.cells() if c.slot is not None] == [10, 1]
        assert again.geometry() == where  # where the closed one was
