"""Notices through org.freedesktop.Notifications on a private session bus (a real
dbus-daemon; the notification server is a small jeepney fake), and the tray fallback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.support.notification_server import NotificationServer
from tests.support.session_bus import private_session_bus
from tests.ui.harness import ACME, MONDAY_9, TrayApp, tray_app
from tests.ui.test_tracking_flow import _go_idle
from ui.desktop_notices import DesktopNotices
from ui.notifications import DesktopNotifications, Notice
from ui.view_state import SyncBadge, SyncStatus


@pytest.fixture
def bus() -> Iterator[str]:
    with private_session_bus() as address:
        yield address


@pytest.fixture
def server(bus: str) -> Iterator[NotificationServer]:
    running = NotificationServer(bus)
    yield running
    running.close()


@pytest.fixture
def desktop(server: NotificationServer) -> Iterator[DesktopNotifications]:
    client = DesktopNotifications.open(server.address)
    assert client is not None
    yield client
    client.close()


def test_a_notice_with_buttons_and_the_click_that_comes_back(
    qtbot: QtBot, server: NotificationServer, desktop: DesktopNotifications
) -> None:
    assert desktop.supports_actions
    desktop.show(Notice("idle", "Away", "Keep it?", actions=(("keep", "Keep"),
                                                              ("discard", "Discard")),
                        urgent=True))
    [shown] = server.wait_for(1)
    assert (shown.title, shown.body, shown.app_icon) == ("Away", "Keep it?", "workdiary")
    assert shown.actions == ("keep", "Keep", "discard", "Discard")
    assert shown.hints["urgency"] == ("y", 2)
    with qtbot.waitSignal(desktop.action_invoked, timeout=5000) as clicked:
        server.click(shown.notification_id, "discard")
    assert clicked.args == ["idle", "discard"]


def test_a_click_that_arrives_before_the_reply_to_notify_still_counts(
    qtbot: QtBot, bus: str
) -> None:
    hasty = NotificationServer(bus, click_before_reply="keep")
    client = DesktopNotifications.open(bus)
    assert client is not None
    try:
        with qtbot.waitSignal(client.action_invoked, timeout=5000) as clicked:
            client.show(Notice("idle", "Away", "Keep it?", actions=(("keep", "Keep"),)))
        assert clicked.args == ["idle", "keep"]
    finally:
        client.close()
        hasty.close()


def test_a_notice_with_the_same_tag_replaces_the_last_one(
    server: NotificationServer, desktop: DesktopNotifications
) -> None:
    desktop.show(Notice("sync", "Offline", "…"))
    desktop.show(Notice("sync", "Back online", "…"))
    first, second = server.wait_for(2)
    assert first.replaces_id == 0 and second.replaces_id == first.notification_id


def test_no_buttons_where_the_server_has_no_actions(bus: str) -> None:
    plain = NotificationServer(bus, capabilities=("body",))
    client = DesktopNotifications.open(bus)
    assert client is not None
    try:
        client.show(Notice("shot", "Screenshot taken", "At 09:04", actions=(("delete", "Delete"),)))
        [shown] = plain.wait_for(1)
        assert shown.actions == ()
    finally:
        client.close()
        plain.close()


def test_no_server_on_the_bus_or_no_bus_means_the_tray(bus: str, tmp_path: Path) -> None:
    assert DesktopNotifications.open(bus) is None
    assert DesktopNotifications.open(f"unix:path={tmp_path / 'no-bus'}") is None


def _with_notices(app: TrayApp, desktop: DesktopNotifications | None) -> DesktopNotices:
    return DesktopNotices(app.controller, app.shell, desktop)


def _sync_becomes(app: TrayApp, state: SyncBadge) -> None:
    status = app.controller.status
    app.controller.status_changed.emit(replace(status, sync=SyncStatus(state=state)))


def test_discard_on_the_idle_notice_discards_the_idle_time(
    qtbot: QtBot, tmp_path: Path, server: NotificationServer, desktop: DesktopNotifications
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        notices = _with_notices(app, desktop)
        app.sign_in()
        _go_idle(app, qtbot)
        idle = next(s for s in server.wait_for(2) if s.title.startswith("Away"))
        assert idle.actions == ("keep", "Keep", "discard", "Discard")
        with qtbot.waitSignal(app.controller.idle_prompt_closed, timeout=5000):
            server.click(idle.notification_id, "discard")
        assert app.shell.idle_dialog is None  # the dialog closed with it
        assert not app.controller.status.idle_pending
        assert app.controller.session.cap_status(ACME, app.clock.now()).used_minutes == 3
        notices.close()


def test_delete_on_the_shot_notice_deletes_that_slot_once_it_ends(
    qtbot: QtBot, tmp_path: Path, server: NotificationServer, desktop: DesktopNotifications
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        notices = _with_notices(app, desktop)
        app.sign_in()
        app.controller.start(ACME.id, "Writing")
        app.advance(9 * 60, typing=True)  # the 09:00 slot's shot is taken in it
        shot = next(s for s in server.wait_for(1) if s.title == "Screenshot taken")
        assert shot.actions == ("delete", "Delete")
        with qtbot.waitSignal(notices.shot_deleted, timeout=5000) as deleted:
            server.click(shot.notification_id, "delete")
            qtbot.wait(200)  # the click is in; the slot is still in progress
            assert len(app.controller.diary_day(MONDAY_9).slots) == 1
            app.advance(2 * 60, typing=True)  # 09:10: the slot closes, then goes
        assert deleted.args == [ACME.id, MONDAY_9]
        app.controller.stop()
        starts = [s.slot_start for s in app.controller.diary_day(MONDAY_9).slots]
        assert MONDAY_9 not in starts
        notices.close()


def test_cap_warning_offline_and_back_online_reach_the_desktop(
    qtbot: QtBot, tmp_path: Path, server: NotificationServer, desktop: DesktopNotifications
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        notices = _with_notices(app, desktop)
        app.controller.notice_posted.emit("1 h left this week", "You have used 39 h.", False)
        _sync_becomes(app, SyncBadge.OFFLINE)
        _sync_becomes(app, SyncBadge.UP_TO_DATE)
        titles = [s.title for s in server.wait_for(3)]
        assert titles == ["1 h left this week", "Offline", "Back online"]
        assert not app.shell.timer_window.tracking.notice.isVisible()
        notices.close()


def test_without_a_server_the_notices_go_to_the_tray_fallback(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        notices = _with_notices(app, None)
        app.controller.notice_posted.emit("1 h left this week", "You have used 39 h.", False)
        assert "1 h left this week" in app.shell.timer_window.tracking.notice.text()
        _sync_becomes(app, SyncBadge.OFFLINE)
        assert "Offline" in app.shell.timer_window.tracking.notice.text()
        notices.close()
