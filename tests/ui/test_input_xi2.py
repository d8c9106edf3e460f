"""Keyboard and mouse counting from XInput 2 raw events on the app's own X connection
(ui/input_xi2.py, issue 13): a real Xvfb, events injected through XTest (xdotool), the
app's input source chosen as ``python -m ui`` chooses it. A fresh interpreter on Qt's
xcb platform runs each case and reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.xvfb import XServer

pytestmark = pytest.mark.xvfb

ROOT = Path(__file__).resolve().parents[2]
SECRET = "zqxjkv"

PROBE = """
import json, subprocess, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from tracker.activity import ActivityCounter
from tracker.clock import SystemClock
from ui.app import _real_input_source
app = QApplication([])
source = _real_input_source(SystemClock())
counter = ActivityCounter()
source.start(counter)
moves = [f"mousemove_relative {1 + i % 3} 1" for i in range(300)]
report = {"source": type(source).__name__,
          "pynput_loaded": any(m.split(".")[0] in ("pynput", "Xlib") for m in sys.modules)}

def inject():
    subprocess.run(["xdotool", "type", "--delay", "5", sys.argv[1]], check=True)
    subprocess.run(["xdotool", "click", "1", "click", "3", "click", "4", "click", "5"],
                   check=True)
    QTimer.singleShot(300, keys_and_clicks)

def keys_and_clicks():
    counts = counter.drain()
    report["keys"], report["clicks"] = counts.key_events, counts.mouse_events
    report["move_started"] = time.monotonic()
    subprocess.run(["xdotool", *" ".join(moves).split()], check=True)
    report["move_s"] = time.monotonic() - report.pop("move_started")
    QTimer.singleShot(300, moved)

def moved():
    report["moves"] = counter.drain().mouse_events
    source.stop()
    subprocess.run(["xdotool", "key", "a", "click", "1"], check=True)
    QTimer.singleShot(300, stopped)

def stopped():
    counts = counter.drain()
    report["after_stop"] = counts.key_events + counts.mouse_events
    print(json.dumps(report))
    app.quit()

QTimer.singleShot(200, inject)
app.exec()
"""


def _run(x_server: XServer, tmp_path: Path) -> dict[str, object]:
    env = dict(os.environ, DISPLAY=x_server.display, QT_QPA_PLATFORM="xcb",
               PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp_path))
    env.pop("WAYLAND_DISPLAY", None)
    done = subprocess.run([sys.executable, "-c", PROBE, SECRET], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_keys_clicks_wheel_and_throttled_moves_are_counted_without_pynput(
    x_server: XServer, tmp_path: Path
) -> None:
    report = _run(x_server, tmp_path)
    assert report["source"] == "Xi2InputSource"
    assert report["pynput_loaded"] is False
    assert report["keys"] == len(SECRET)  # presses, not releases
    assert report["clicks"] == 4  # two buttons and two wheel steps
    moves, seconds = report["moves"], report["move_s"]
    assert isinstance(moves, int) and isinstance(seconds, float)
    assert 1 <= moves <= 4 * (seconds + 1) + 1  # at most 4 a second (ActivityCounter)
    assert report["after_stop"] == 0
