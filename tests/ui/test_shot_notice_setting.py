"""The "screenshot taken" notice says when the shot is uploaded, and the freelancer can
turn it off in Settings (on by default)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.support.notification_server import NotificationServer
from tests.ui.harness import ACME, tray_app
from tests.ui.screens import save_screen
from tests.ui.test_notifications import bus, desktop, server  # noqa: F401  (fixtures)
from ui.desktop_notices import DesktopNotices
from ui.notifications import DesktopNotifications
from ui.settings import AppSettings


def test_the_shot_notice_names_the_upload_time_and_can_be_turned_off(
    qtbot: QtBot, tmp_path: Path, server: NotificationServer,  # noqa: F811
    desktop: DesktopNotifications, styled_app: QApplication, screens_dir: Path,  # noqa: F811
) -> None:
    assert AppSettings().shot_notices  # on by default
    with tray_app(qtbot, tmp_path) as app:
        notices = DesktopNotices(app.controller, app.shell, desktop)
        app.sign_in()
        app.controller.start(ACME.id, "Writing")
        app.advance(10 * 60, typing=True)  # the 09:00 slot's shot
        [shot] = [s for s in server.wait_for(1) if s.title == "Screenshot taken"]
        assert shot.body.startswith("At 09:0") and "Uploaded after 09:20" in shot.body

        app.shell.show_settings()
        dialog = app.shell.settings_dialog
        assert dialog is not None and dialog.shot_notices.isChecked()
        dialog.shot_notices.setChecked(False)
        save_screen(dialog, screens_dir / "settings-shot-notices.png")
        dialog._on_buttons_accepted()
        assert not app.controller.settings.shot_notices
        assert app.controller.settings_file.load().shot_notices is False

        app.advance(10 * 60, typing=True)  # the 09:10 slot's shot: no notice now
        app.controller.notice_posted.emit("Marker", "after the second shot", False)
        titles = [s.title for s in server.wait_for(2)]
        assert titles == ["Screenshot taken", "Marker"]
        assert app.controller.status.last_shot is not None  # the window still shows it
        assert app.controller.status.last_shot.slot_start.minute == 10
        qtbot.mouseClick(app.shell.timer_window.tracking.last_shot.delete_button,
                         Qt.MouseButton.LeftButton)
        notices.close()
