"""Render the windows to PNG (artifacts/screens/, not committed) so a person can look."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, MONDAY_9, tray_app
from ui.idle_dialog import IdlePromptDialog
from ui.settings import AppSettings
from ui.settings_dialog import SettingsDialog


def _save(widget: QWidget, path: Path) -> None:
    widget.show()
    QApplication.processEvents()
    image = widget.grab()
    assert not image.isNull() and image.width() > 200
    assert image.save(str(path))


def test_render_timer_and_diary_windows(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        window = app.shell.timer_window
        window.sign_in.server_url.setText("https://workdiary.example.com")
        window.sign_in.email.setText("freelancer@demo.test")
        window.sign_in.show_error("Wrong email or password.")
        _save(window, screens_dir / "sign-in.png")

        app.sign_in()
        app.controller.start(ACME.id, "Invoice export: CSV and PDF")
        app.advance(47 * 60, typing=True)
        app.controller.set_memo("Code review for the billing API")
        app.advance(40 * 60, step=20, typing=True)
        app.shell.show_timer()
        _save(window, screens_dir / "timer.png")

        app.shell.show_diary(MONDAY_9)
        diary = app.shell.diary_window
        diary.resize(1260, 660)
        _save(diary, screens_dir / "diary.png")
        filled = [cell for cell in diary.cells() if cell.slot is not None]
        assert len(filled) == 9 and filled[0].slot is not None
        assert filled[0].slot.thumbnail_path is not None

    idle = IdlePromptDialog(MONDAY_9, MONDAY_9.replace(minute=17), 17)
    qtbot.addWidget(idle)
    _save(idle, screens_dir / "idle-prompt.png")
    settings = SettingsDialog(AppSettings(), tmp_path / "data")
    qtbot.addWidget(settings)
    _save(settings, screens_dir / "settings.png")
