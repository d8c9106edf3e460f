"""The running app's Unix socket for second launches (ui/single_instance.py): made over
what a crashed run left, this user's only, not stalled by a launch that says nothing,
and made without QtNetwork (issue 13, lean app)."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

from pytestqt.qtbot import QtBot

from ui.single_instance import SingleInstance, socket_path

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_launch_is_answered_after_a_crash_and_a_silent_caller(
    qtbot: QtBot, tmp_path: Path
) -> None:
    lock = tmp_path / "config" / "workdiary.lock"
    left = socket_path(lock)
    left.write_bytes(b"")  # what a crashed run left where the socket goes
    running = SingleInstance(lock)
    running.acquire()
    raised: list[bool] = []
    try:
        assert running.listen(lambda: raised.append(True))
        assert stat.S_ISSOCK(left.stat().st_mode)
        assert stat.S_IMODE(left.stat().st_mode) == 0o600
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
            silent.connect(str(left))  # connects and never says a word
            answers: list[bool] = []
            asking = threading.Thread(
                target=lambda: answers.append(SingleInstance(lock).ask_running_to_show()))
            asking.start()
            qtbot.waitUntil(lambda: bool(answers), timeout=10_000)
            asking.join(timeout=5)
        assert answers == [True]
        assert raised == [True]
    finally:
        running.release()
    assert not left.exists()
    assert not SingleInstance(lock).ask_running_to_show(timeout_ms=200)


def test_listening_loads_no_qtnetwork(tmp_path: Path) -> None:
    probe = (
        "import json, sys; from pathlib import Path;"
        "from PySide6.QtCore import QCoreApplication; app = QCoreApplication([]);"
        "from ui.single_instance import SingleInstance;"
        f"s = SingleInstance(Path({str(tmp_path / 'workdiary.lock')!r})); s.acquire();"
        "listening = s.listen(lambda: None); s.release();"
        "print(json.dumps([listening, 'PySide6.QtNetwork' in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False,
                          env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, False]
