"""The memo is remembered per contract across restarts; ``./dev run`` asks for one."""

from __future__ import annotations

import io
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, GLOBEX, MONDAY_9, tray_app
from ui.app import parse_args
from ui.devrun import ask_memo


def test_the_last_memo_per_contract_comes_back_after_a_restart(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Invoice export")
        app.advance(3 * 60, typing=True)
        app.controller.set_memo("Code review")  # the last one is what comes back
        app.advance(10 * 60, typing=True)
        app.controller.stop()
        app.controller.select_contract(GLOBEX.id)
        app.controller.set_memo("Pipeline tests")
        app.controller.select_contract(ACME.id)
        assert app.shell.timer_window.tracking.memo.text() == "Code review"
    with tray_app(qtbot, tmp_path, start=MONDAY_9.replace(hour=11)) as app:
        app.sign_in()
        page = app.shell.timer_window.tracking
        assert page.contract_box.currentData() == ACME.id
        assert page.memo.text() == "Code review"
        app.controller.select_contract(GLOBEX.id)
        assert page.memo.text() == "Pipeline tests"
        app.controller.select_contract(ACME.id)
        app.controller.start(ACME.id)  # from the tray: no memo given, the last one holds
        app.advance(11 * 60, typing=True)
        app.controller.stop()
        first = app.controller.diary_day(MONDAY_9).slots
        assert [s.memo for s in first if s.slot_start.hour == 11] == ["Code review"] * 2


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_dev_run_asks_for_a_memo_at_a_terminal_only() -> None:
    answers = _Terminal("  Sprint planning \n")
    shown = io.StringIO()
    assert ask_memo(answers, shown) == "Sprint planning"
    assert "What are you working on?" in shown.getvalue()
    assert ask_memo(io.StringIO("ignored\n"), io.StringIO()) == ""  # a pipe, CI: no question
    args = parse_args(["--memo", "Sprint planning", "--start-tracking"])
    assert args.memo == "Sprint planning" and args.start_tracking
