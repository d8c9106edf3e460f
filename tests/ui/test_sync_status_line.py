"""The sync status line says what is held, waiting and synced; offline shows in the tray
tooltip and menu, with "Sync now"."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from sync.state import SyncPhase, UploaderStatus
from tests.ui.harness import ACME, MONDAY_9, tray_app
from ui.formatting import local_time
from ui.sync_adapter import sync_status
from ui.tray import TrayMenu
from ui.view_state import SyncBadge, SyncStatus, TimerStatus

SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"


def _push(app_status: object, status: SyncStatus) -> None:
    app_status(status)  # FakeAccount.on_status: the uploader's callback, re-posted by Qt


def test_the_timer_window_never_says_synced_while_a_slot_is_held(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        assert app.account.on_status is not None
        until = MONDAY_9 + timedelta(minutes=20)
        held = SyncStatus(SyncBadge.UP_TO_DATE, held_slots=1, held_until=until, synced_slots=5)
        with qtbot.waitSignal(app.controller.status_changed, timeout=2000):
            _push(app.account.on_status, held)
        app.shell.show_timer()
        line = app.shell.timer_window.tracking.sync_label.text()
        assert "✓" not in line and "Synced" not in line
        assert f"1 slot held here until {local_time(until)}" in line
        assert "5 synced this week" in line
        offline = replace(held, state=SyncBadge.OFFLINE,
                          next_attempt=app.clock.now() + timedelta(seconds=20))
        with qtbot.waitSignal(app.controller.status_changed, timeout=2000):
            _push(app.account.on_status, offline)
        app.shell.timer_window.show_status(app.controller.status, app.clock.now())
        line = app.shell.timer_window.tracking.sync_label.text()
        assert line.startswith("Offline — next try in 20 s · 1 slot held here")
        assert "0 slots waiting" not in line
        SCREENS.mkdir(parents=True, exist_ok=True)
        app.shell.timer_window.grab().save(str(SCREENS / "timer_sync_line_offline.png"))
        # all sent, nothing held: only then the tick
        done = SyncStatus(SyncBadge.UP_TO_DATE, synced_slots=6, last_synced=MONDAY_9)
        with qtbot.waitSignal(app.controller.status_changed, timeout=2000):
            _push(app.account.on_status, done)
        app.shell.timer_window.show_status(app.controller.status, app.clock.now())
        assert app.shell.timer_window.tracking.sync_label.text().startswith("✓ All synced")


def test_offline_shows_in_the_tray_menu_and_tooltip_and_sync_now_wakes_the_uploader(
    qtbot: QtBot, tmp_path: Path
) -> None:
    tray = TrayMenu()
    now = MONDAY_9 + timedelta(hours=1)
    offline = SyncStatus(SyncBadge.OFFLINE, pending_slots=2, held_slots=1,
                         held_until=now + timedelta(minutes=5),
                         next_attempt=now + timedelta(seconds=12), synced_slots=3)
    status = TimerStatus(signed_in=True, contracts=(ACME,), contract_id=ACME.id,
                         tracking=True, sync=offline)
    tray.show_status(status, now)
    assert tray.sync_action.isVisible() and not tray.sync_action.isEnabled()
    assert tray.sync_action.text().startswith("Offline — next try in 12 s")
    assert "1 slot held here" in tray.sync_action.text()
    assert "2 waiting" in tray.sync_action.text()
    assert "Offline — next try in 12 s" in tray.icon.toolTip()
    assert tray.sync_now_action.isVisible() and "try the server again" in (
        tray.sync_now_action.text())
    with qtbot.waitSignal(tray.sync_now_triggered, timeout=1000):
        tray.sync_now_action.trigger()
    tray.show_status(replace(status, sync=replace(offline, state=SyncBadge.UP_TO_DATE,
                                                  pending_slots=0)), now)
    assert tray.sync_now_action.text() == "Sync now"
    assert "Offline" not in tray.icon.toolTip()
    tray.show_status(TimerStatus(), now)  # signed out: no sync line, no Sync now
    assert not tray.sync_action.isVisible() and not tray.sync_now_action.isVisible()

    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        before = app.account.nudges
        app.controller.sync_now()  # what the tray's Sync now is wired to
        assert app.account.nudges == before + 1


def test_the_uploaders_counts_reach_the_status() -> None:
    until = MONDAY_9 + timedelta(minutes=15)
    status = sync_status(UploaderStatus(
        phase=SyncPhase.OFFLINE, pending=0, held=1, held_until=until, synced_this_week=4))
    assert (status.state, status.pending_slots, status.held_slots) == (SyncBadge.OFFLINE, 0, 1)
    assert (status.held_until, status.synced_slots) == (until, 4)
