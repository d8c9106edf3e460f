"""Idle time discarded after its slot was synced, through the real app controller and
session, the real sync adapter and the real server: the kept minutes stay billed (the
server applies the shorter slot as an audited shrink) and no slot shows as rejected."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.sync.backend import Backend
from tests.ui.harness import MONDAY_9, tray_app
from tests.ui.test_settings_apply_at_once import _signed_in, _stop_uploading, backend
from ui.app import real_account
from ui.settings import AppSettings
from ui.view_state import SlotSyncState

__all__ = ["backend"]  # the fixture


def test_idle_discarded_after_sync_keeps_the_kept_minutes_billed(
    qtbot: QtBot, tmp_path: Path, backend: Backend
) -> None:
    seeded = backend.seed_contract(MONDAY_9 - timedelta(days=1))
    settings = AppSettings(server_url=backend.url, hold_window_minutes=0)
    with tray_app(qtbot, tmp_path, account_factory=real_account, settings=settings) as app:
        _signed_in(app, backend, seeded, qtbot)
        token = backend.token(seeded.freelancer_email)

        def server_minutes() -> list[int]:
            diary = backend.diary_week(token, seeded.contract_id, MONDAY_9.date())
            return [slot["minutes"] for slot in diary]

        app.controller.accept_consent(seeded.contract_id)  # as the dialog's Accept does
        app.controller.start(seeded.contract_id, "Reading the spec")
        app.advance(3 * 60, typing=True)
        app.advance(7 * 60 + 30)  # away; the 09:00 slot closes at 09:10 and is uploaded
        qtbot.waitUntil(lambda: server_minutes() == [10], timeout=15_000)
        app.advance(5 * 60)  # still away: past the 10-minute idle threshold
        with qtbot.waitSignal(app.controller.idle_prompt_requested, timeout=1000):
            app.advance(10, typing=True)  # back
        dialog = app.shell.idle_dialog
        assert dialog is not None
        dialog.discard_button.click()
        app.controller.stop()
        qtbot.waitUntil(lambda: server_minutes()[:1] == [3], timeout=15_000)
        qtbot.waitUntil(
            lambda: app.controller.diary_day(MONDAY_9).slots[0].sync_state is SlotSyncState.SYNCED,
            timeout=15_000,
        )
        slots = app.controller.diary_day(MONDAY_9).slots
        assert slots[0].minutes == 3
        states = [s.sync_state for s in slots]
        assert SlotSyncState.REJECTED not in states
        _stop_uploading(app)
