"""The shell's building blocks: ticker, background worker, lock, settings, autostart."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tracker.clock import SystemClock
from ui.autostart import DESKTOP_FILE_NAME, is_enabled, set_enabled
from ui.background import BackgroundTasks
from ui.settings import AppSettings, SettingsError, SettingsFile
from ui.single_instance import AlreadyRunning, SingleInstance
from ui.ticker import SecondTicker

ROOT = Path(__file__).resolve().parents[2]


def test_ticker_fires_at_whole_seconds_of_the_clock(qtbot: QtBot) -> None:
    clock = SystemClock()
    ticker = SecondTicker(clock)
    seen = []
    ticker.ticked.connect(seen.append)
    ticker.start()
    for _ in range(2):
        with qtbot.waitSignal(ticker.ticked, timeout=2500):
            pass
    ticker.stop()
    assert len(seen) == 2
    # each tick lands just after a second boundary, never drifting into the second
    assert all(now.microsecond < 300_000 for now in seen)
    assert seen[1] - seen[0] >= timedelta(milliseconds=900)


def test_background_work_runs_off_the_gui_thread_and_reports_back_on_it(qtbot: QtBot) -> None:
    tasks = BackgroundTasks()
    gui_thread = threading.get_ident()
    ran_on: list[int] = []
    handled_on: list[int] = []

    def work() -> int:
        ran_on.append(threading.get_ident())
        return 42

    def done(result: int) -> None:
        handled_on.append(threading.get_ident())
        assert result == 42

    with qtbot.waitSignal(tasks.task_finished, timeout=5000):
        tasks.submit("answer", work, on_done=done)
    assert ran_on and ran_on[0] != gui_thread
    assert handled_on == [gui_thread]
    assert tasks.pending == 0

    errors: list[BaseException] = []
    with qtbot.waitSignal(tasks.task_finished, timeout=5000):
        tasks.submit("boom", lambda: 1 / 0, on_error=errors.append)
    assert isinstance(errors[0], ZeroDivisionError)
    tasks.shutdown()


def test_second_instance_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    first = SingleInstance(tmp_path / "workdiary.lock")
    first.acquire()
    second = SingleInstance(tmp_path / "workdiary.lock")
    with pytest.raises(AlreadyRunning, match="already running"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_settings_round_trip_and_refuse_out_of_range(tmp_path: Path) -> None:
    file = SettingsFile(tmp_path / "settings.json")
    assert file.load() == AppSettings()
    chosen = AppSettings(server_url="https://example.test", idle_threshold_minutes=15,
                         hold_window_minutes=60, start_at_login=True)
    file.save(chosen)
    assert file.load() == chosen
    with pytest.raises(SettingsError, match="idle threshold"):
        file.save(AppSettings(idle_threshold_minutes=3))
    (tmp_path / "settings.json").write_text("{not json")
    with pytest.raises(SettingsError, match=r"settings\.json"):
        file.load()


def test_start_at_login_writes_and_removes_the_xdg_desktop_file(tmp_path: Path) -> None:
    autostart = tmp_path / "autostart"
    set_enabled(autostart, True, ["/opt/workdiary/workdiary"])
    text = (autostart / DESKTOP_FILE_NAME).read_text()
    assert "Exec=/opt/workdiary/workdiary" in text and "Type=Application" in text
    assert is_enabled(autostart)
    set_enabled(autostart, False)
    assert not is_enabled(autostart)


def test_a_second_launch_brings_the_running_window_forward(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The real second launch (``python -m ui`` on the same profile) asks the running
    app over its local socket, which shows its window; the second one exits at once."""
    from tests.ui.harness import tray_app

    config = tmp_path / "config"
    with tray_app(qtbot, tmp_path) as app:
        running = SingleInstance(config / "workdiary.lock")
        running.acquire()
        try:
            assert running.listen(app.shell.show_timer)
            app.shell.timer_window.hide()
            second = subprocess.Popen(
                [sys.executable, "-m", "ui", "--config-dir", str(config),
                 "--data-dir", str(tmp_path / "second-data")],
                env=dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT)),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            # the GUI thread keeps running its loop, as the first app's would
            qtbot.waitUntil(lambda: second.poll() is not None, timeout=60_000)
            output, _ = second.communicate(timeout=10)
            assert second.returncode == 0, output
            assert "already running; its window was brought forward" in output
            assert app.shell.timer_window.isVisible()
            assert not (tmp_path / "second-data").exists()  # it opened no store of its own
        finally:
            running.release()
        assert not SingleInstance(config / "workdiary.lock").ask_running_to_show(timeout_ms=200)
