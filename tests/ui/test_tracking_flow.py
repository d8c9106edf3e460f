"""Start/stop, memo, delete, idle, cap and sign-in through the real windows and session."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, MONDAY_9, tray_app
from tracker.cap import week_start
from ui.view_state import SlotSyncState


def test_start_track_and_stop_from_the_timer_window(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        window = app.shell.timer_window
        assert window.pages.currentWidget() is window.sign_in
        app.sign_in()
        page = window.tracking
        assert window.pages.currentWidget() is page
        assert page.contract_box.currentText() == ACME.title
        page.memo.setText("Invoice export")
        qtbot.mouseClick(page.start_stop, Qt.MouseButton.LeftButton)
        assert app.controller.session.tracking
        assert page.start_stop.text() == "Stop"

        app.advance(12 * 60, typing=True)
        assert page.today.text() == "0:12"
        assert "0:12 / 40:00" in page.week.text()
        qtbot.mouseClick(page.start_stop, Qt.MouseButton.LeftButton)
        assert not app.controller.session.tracking
        assert page.start_stop.text() == "Start"

        day = app.controller.diary_day(MONDAY_9)
        assert [(s.slot_start, s.minutes, s.memo) for s in day.slots] == [
            (MONDAY_9, 10, "Invoice export"),
            (MONDAY_9.replace(minute=10), 2, "Invoice export"),
        ]
        assert day.slots[0].active_minutes == 10
        # the shot was grabbed and encoded on the worker, never on the GUI thread
        assert app.screen.grab_threads
        assert threading.get_ident() not in app.screen.grab_threads
        assert day.slots[0].thumbnail_path is not None and day.slots[0].thumbnail_path.is_file()


def test_memo_change_applies_from_the_next_slot(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        page = app.shell.timer_window.tracking
        app.controller.start(ACME.id, "Planning")
        app.advance(4 * 60, typing=True)
        page.memo.setText("Code review")
        page.memo.editingFinished.emit()
        assert page.memo_hint.text().startswith("A new memo applies")
        app.advance(8 * 60, typing=True)
        app.controller.stop()
        memos = [s.memo for s in app.controller.diary_day(MONDAY_9).slots]
        assert memos == ["Planning", "Code review"]


def test_deleting_a_slot_in_the_diary_removes_it_and_its_time(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Backend work")
        app.advance(25 * 60, typing=True)
        app.controller.stop()
        page = app.shell.timer_window.tracking
        assert "0:25 / 40:00" in page.week.text()

        app.shell.show_diary(MONDAY_9)
        diary = app.shell.diary_window
        questions: list[str] = []
        diary.confirm = lambda _parent, _title, text: questions.append(text) or True
        filled = [cell for cell in diary.cells() if cell.slot is not None]
        assert len(filled) == 3
        thumbnail = filled[0].slot.thumbnail_path
        assert thumbnail is not None and thumbnail.is_file()
        qtbot.mouseClick(filled[0].delete_button, Qt.MouseButton.LeftButton)

        assert "10 min will be removed from your time" in questions[0]
        remaining = [cell.slot.slot_start for cell in diary.cells() if cell.slot is not None]
        assert remaining == [MONDAY_9.replace(minute=10), MONDAY_9.replace(minute=20)]
        assert "0:15 / 40:00" in page.week.text()
        assert not thumbnail.exists()  # its shot went with it
        assert app.account.nudges > 0


def test_declining_the_delete_confirmation_keeps_the_slot(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Backend work")
        app.advance(11 * 60, typing=True)
        app.controller.stop()
        app.shell.show_diary(MONDAY_9)
        diary = app.shell.diary_window
        diary.confirm = lambda _parent, _title, _text: False
        first = next(cell for cell in diary.cells() if cell.slot is not None)
        qtbot.mouseClick(first.delete_button, Qt.MouseButton.LeftButton)
        assert len([c for c in diary.cells() if c.slot is not None]) == 2


def _go_idle(app_under_test, qtbot: QtBot):  # type: ignore[no-untyped-def]
    app_under_test.controller.start(ACME.id, "Writing")
    app_under_test.advance(3 * 60, typing=True)
    app_under_test.advance(12 * 60)  # away from the keyboard
    assert app_under_test.shell.idle_dialog is None
    with qtbot.waitSignal(app_under_test.controller.idle_prompt_requested, timeout=1000):
        app_under_test.advance(10, typing=True)  # back: the prompt comes on this input
    dialog = app_under_test.shell.idle_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_idle_time_discarded_from_the_prompt(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        dialog = _go_idle(app, qtbot)
        assert "from 09:03" in dialog.span.text() or "No keyboard" in dialog.span.text()
        assert app.controller.status.idle_pending
        qtbot.mouseClick(dialog.discard_button, Qt.MouseButton.LeftButton)
        assert app.shell.idle_dialog is None
        assert not app.controller.status.idle_pending
        week = app.controller.session.cap_status(ACME, app.clock.now()).used_minutes
        assert week == 3  # only the minutes with input are left
        app.controller.stop()
        assert sum(s.minutes for s in app.controller.diary_day(MONDAY_9).slots) == 3


def test_idle_time_kept_from_the_prompt(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        dialog = _go_idle(app, qtbot)
        qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
        assert app.shell.idle_dialog is None
        app.controller.stop()
        assert sum(s.minutes for s in app.controller.diary_day(MONDAY_9).slots) == 15


def test_cap_warnings_then_stop_at_the_cap(qtbot: QtBot, tmp_path: Path) -> None:
    cap = 40 * 60
    nearly_full = replace(ACME, server_week_minutes=cap - 61,
                          server_week_start=week_start(MONDAY_9), fetched_at=MONDAY_9)
    with tray_app(qtbot, tmp_path, contracts=[nearly_full]) as app:
        app.account.contracts = [replace(nearly_full, server_week_minutes=cap - 61)]
        notices: list[tuple[str, str]] = []
        app.shell.notice_shown.connect(lambda title, text: notices.append((title, text)))
        app.sign_in()
        app.controller.start(ACME.id, "Last push")
        app.advance(62 * 60, step=30, typing=True)
        titles = [title for title, _text in notices]
        assert titles == ["1 h left this week", "10 min left this week", "Weekly cap reached"]
        assert not app.controller.session.tracking
        page = app.shell.timer_window.tracking
        assert "Weekly cap reached" in page.cap_left.text()
        assert not page.start_stop.isEnabled()  # no restart past the cap
        assert app.controller.status.week_minutes == cap


def test_sign_in_errors_are_shown_in_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        page = app.shell.timer_window.sign_in
        page.server_url.setText("http://127.0.0.1:9")
        page.email.setText("freelancer@demo.test")
        page.password.setText("wrong")
        with qtbot.waitSignal(app.controller.sign_in_failed, timeout=5000):
            qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
        assert page.error.isVisible()
        assert page.error.text() == "Wrong email or password."
        assert page.sign_in_button.isEnabled()

        app.account.reachable = False
        page.password.setText("demo")
        with qtbot.waitSignal(app.controller.sign_in_failed, timeout=5000):
            qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
        assert page.error.text().startswith("Cannot reach http://127.0.0.1:9")

        page.password.clear()
        qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
        assert "password" in page.error.text()


def test_diary_marks_held_and_pending_slots(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Backend")
        app.advance(35 * 60, typing=True)
        states = [s.sync_state for s in app.controller.diary_day(MONDAY_9).slots]
        # 09:00 and 09:10 are past the 10-min hold window, 09:20 is held, 09:30 in progress
        assert states[:3] == [SlotSyncState.PENDING, SlotSyncState.PENDING, SlotSyncState.HELD]
        assert app.controller.diary_day(MONDAY_9).slots[-1].in_progress
