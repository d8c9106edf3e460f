"""Consent per contract: the first start shows what is collected; tracking starts only
once accepted; the acceptance is stored (asked again when the terms change)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, GLOBEX, MONDAY_9, tray_app
from tests.ui.screens import save_screen

BLURRY_ACME = replace(ACME, blur_shots=True)


def test_the_first_start_asks_and_tracking_waits_for_the_answer(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tray_app(qtbot, tmp_path, contracts=[BLURRY_ACME, GLOBEX], consented=False) as app:
        app.sign_in()
        page = app.shell.timer_window.tracking
        page.memo.setText("Invoice export")
        qtbot.mouseClick(page.start_stop, Qt.MouseButton.LeftButton)
        dialog = app.shell.consent_dialog
        assert dialog is not None and dialog.isVisible()
        assert not app.controller.session.tracking  # nothing recorded before the answer
        rows = {what: label.text() for what, label in dialog.rows.items()}
        assert rows["Screenshots"].startswith("One screenshot of all your screens")
        assert rows["Blur"] == "You may blur a screenshot before it is uploaded."
        assert "never which keys" in rows["Activity"]
        assert rows["Manual time"].startswith("You may add time by hand")
        save_screen(dialog, screens_dir / "consent.png")

        qtbot.mouseClick(dialog.not_now_button, Qt.MouseButton.LeftButton)
        assert not app.controller.session.tracking
        assert app.controller.store.consented_terms(ACME.id) is None

        qtbot.mouseClick(page.start_stop, Qt.MouseButton.LeftButton)
        dialog = app.shell.consent_dialog
        assert dialog is not None
        qtbot.mouseClick(dialog.accept_button, Qt.MouseButton.LeftButton)
        assert app.controller.session.tracking  # the start that waited goes on
        assert app.controller.session.status().memo == "Invoice export"
        app.advance(60, typing=True)
        app.controller.stop()

        # accepted once: the next start does not ask
        app.controller.start(ACME.id, "Next")
        assert app.controller.session.tracking and app.shell.consent_dialog is None
        app.controller.stop()

        # Globex is another contract: asked for it too
        app.controller.start(GLOBEX.id, "Pipeline")
        assert not app.controller.session.tracking and app.shell.consent_dialog is not None
        assert app.shell.consent_dialog.rows["Manual time"].text().startswith("Not allowed")


def test_the_acceptance_is_kept_and_a_changed_setting_asks_again(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path, consented=False) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Work")
        dialog = app.shell.consent_dialog
        assert dialog is not None
        qtbot.mouseClick(dialog.accept_button, Qt.MouseButton.LeftButton)
        app.controller.stop()
    with tray_app(qtbot, tmp_path, consented=False, start=MONDAY_9.replace(hour=10)) as app:
        app.sign_in()
        app.controller.start(ACME.id, "After a restart")
        assert app.controller.session.tracking and app.shell.consent_dialog is None
        app.controller.stop()
        # the client allows blur now: what is collected changed, so it asks again
        app.account.contracts = [BLURRY_ACME, GLOBEX]
        app.account.refresh_contracts(app.clock.now())
        app.controller.start(ACME.id, "Blur allowed")
        assert not app.controller.session.tracking and app.shell.consent_dialog is not None
