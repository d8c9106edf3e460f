"""Quit or sign out while tracking asks first (naming what stops); Ctrl+W closes a
window, Ctrl+Q quits through the same question, Esc closes dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, TrayApp, tray_app


def _questions(app: TrayApp, answer: bool) -> list[tuple[str, str, str]]:
    asked: list[tuple[str, str, str]] = []

    def confirm(_parent: QWidget | None, title: str, text: str, yes: str) -> bool:
        asked.append((title, text, yes))
        return answer

    app.shell.confirm = confirm
    return asked


def _press(qtbot: QtBot, widget: QWidget, key: Qt.Key) -> None:
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=2000)
    qtbot.keyClick(widget, key, Qt.KeyboardModifier.ControlModifier)


def test_quit_while_tracking_asks_and_keep_tracking_keeps_it(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        quits: list[bool] = []
        app.shell.quit_requested.connect(lambda: quits.append(True))
        asked = _questions(app, answer=False)
        app.shell.request_quit()  # not tracking: no question
        assert quits == [True] and asked == []

        app.controller.start(ACME.id, "Backend")
        app.advance(4 * 60 + 5, typing=True)
        app.shell.show_timer()
        _press(qtbot, app.shell.timer_window, Qt.Key.Key_Q)  # Ctrl+Q
        assert asked == [("Quit Workdiary?",
                          f"You are tracking “{ACME.title}” (0:04:05 this session). Quitting "
                          "stops tracking; the time so far is saved.", "Stop and quit")]
        assert quits == [True] and app.controller.session.tracking  # kept on

        _questions(app, answer=True)
        app.shell.request_quit()
        assert quits == [True, True]


def test_sign_out_while_tracking_asks_first(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Backend")
        app.advance(60, typing=True)
        asked = _questions(app, answer=False)
        page = app.shell.timer_window.tracking
        qtbot.mouseClick(page.sign_out_button, Qt.MouseButton.LeftButton)
        assert asked[0][0] == "Sign out?" and asked[0][2] == "Stop and sign out"
        assert app.controller.account is not None and app.controller.session.tracking
        _questions(app, answer=True)
        qtbot.mouseClick(page.sign_out_button, Qt.MouseButton.LeftButton)
        assert app.controller.account is None and not app.controller.session.tracking


def test_ctrl_w_closes_a_window_and_esc_a_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.shell.show_diary()
        diary = app.shell.diary_window
        _press(qtbot, diary, Qt.Key.Key_W)
        assert not diary.isVisible()

        app.shell.show_settings()
        dialog = app.shell.settings_dialog
        assert dialog is not None
        dialog.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        assert not dialog.isVisible()
