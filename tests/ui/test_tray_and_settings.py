"""The tray menu follows the state; settings reach the session and the autostart file."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, MONDAY_9, tray_app
from ui.autostart import DESKTOP_FILE_NAME
from ui.icons import TrayState
from ui.tray import TrayMenu, tray_state_for
from ui.view_state import SyncBadge, SyncStatus, TimerStatus


def test_tray_picture_and_menu_follow_the_state(qtbot: QtBot) -> None:
    tray = TrayMenu()
    stopped = TimerStatus(signed_in=True, contracts=(ACME,), contract_id=ACME.id,
                          sync=SyncStatus(SyncBadge.UP_TO_DATE))
    tray.show_status(stopped)
    assert tray.state is TrayState.STOPPED
    assert tray.start_stop_action.text() == "Start tracking"
    assert tray.start_stop_action.isEnabled()
    assert [a.text() for a in tray.contract_menu.actions()] == [ACME.title]

    tracking = replace(stopped, tracking=True, memo="API", today_minutes=95)
    tray.show_status(tracking)
    assert tray.state is TrayState.TRACKING
    assert tray.start_stop_action.text() == "Stop tracking"
    assert tray.status_action.text() == f"Tracking · {ACME.title} · 1:35 today"
    assert not tray.contract_menu.isEnabled()  # no switching mid-session

    assert tray_state_for(replace(tracking, idle_pending=True)) is TrayState.IDLE_PENDING
    assert tray_state_for(replace(stopped, week_minutes=2400, cap_minutes=2400)) is (
        TrayState.OVER_CAP)
    offline = replace(tracking, sync=SyncStatus(SyncBadge.OFFLINE))
    assert tray_state_for(offline) is TrayState.OFFLINE
    tray.show_status(replace(stopped, week_minutes=2400, cap_minutes=2400))
    assert not tray.start_stop_action.isEnabled()


def test_settings_apply_idle_threshold_and_start_at_login(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.shell.show_settings()
        dialog = app.shell.settings_dialog
        assert dialog is not None
        assert dialog.data_folder.text() == str(tmp_path / "data")
        dialog.idle_threshold.setValue(20)
        dialog.hold_window.setValue(60)
        dialog.start_at_login.setChecked(True)
        with qtbot.waitSignal(dialog.saved, timeout=1000):
            dialog._on_buttons_accepted()
        assert app.controller.session.idle_threshold == timedelta(minutes=20)
        assert app.controller.settings.hold_window_minutes == 60
        assert app.controller.settings_file.load().idle_threshold_minutes == 20
        desktop = tmp_path / "autostart" / DESKTOP_FILE_NAME
        assert desktop.is_file() and "Exec=" in desktop.read_text()

        app.shell.show_settings()
        dialog = app.shell.settings_dialog
        assert dialog is not None
        dialog.start_at_login.setChecked(False)
        dialog.server_url.setText("ftp://nope")
        dialog._on_buttons_accepted()
        assert dialog.error.text() == "server URL must start with http:// or https://"
        dialog.server_url.setText("https://workdiary.example.com/")
        dialog._on_buttons_accepted()
        assert not desktop.exists()
        assert app.controller.settings.server_url == "https://workdiary.example.com"


def test_sign_out_stops_tracking_and_returns_to_the_sign_in_page(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Before sign-out")
        app.advance(70, typing=True)
        window = app.shell.timer_window
        asked: list[str] = []
        app.shell.confirm = lambda _parent, title, _text, _yes: asked.append(title) or True
        with qtbot.waitSignal(app.controller.signed_out, timeout=1000):
            window.tracking.sign_out_button.click()
        assert asked == ["Sign out?"]  # tracking: asked first, answered yes
        assert not app.controller.session.tracking
        assert window.pages.currentWidget() is window.sign_in
        assert window.sign_in.email.text() == "freelancer@demo.test"
        # the minute tracked before signing out stays in the local diary
        assert app.controller.store.week_minutes(MONDAY_9.replace(hour=0)) == {ACME.id: 1}
