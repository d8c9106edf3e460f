"""Shots taken in a short-lived worker process: the real worker on a real X server, and
every way a worker can let the tracker down (crash, hang, garbage, a blank screen)."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator

import pytest
from PIL import Image

from tests.support.capture_helpers import expected_colour, paint_checkerboard, paint_solid
from tests.support.xvfb import XServer, xvfb
from tests.tracker.conftest import MONDAY
from tracker.capture_process import WORKER_FLAG, ProcessCapturer
from tracker.shot import CaptureFailed

pytestmark = pytest.mark.xvfb


@pytest.fixture(scope="module")
def screen() -> Iterator[XServer]:
    with xvfb(screens=((1280, 800),)) as server:
        yield server


def test_the_worker_grabs_and_encodes_the_screen_it_is_shown(screen: XServer) -> None:
    paint_checkerboard(screen.display)
    shot = ProcessCapturer(display=screen.display).capture(MONDAY, blur=False)
    assert (shot.media_type, shot.width, shot.height, shot.taken_at) == (
        "image/avif", 1280, 800, MONDAY)
    with Image.open(io.BytesIO(shot.image_bytes)) as image:
        pixel = image.convert("RGB").getpixel((16, 16))
    assert isinstance(pixel, tuple)
    assert all(abs(a - b) <= 24 for a, b in zip(pixel, expected_colour(16, 16), strict=True))
    with Image.open(io.BytesIO(shot.thumbnail_bytes)) as small:
        assert small.format == "JPEG" and small.width == 320


def test_a_blank_screen_is_a_capture_failure_with_the_reason(screen: XServer) -> None:
    paint_solid(screen.display, "black")
    with pytest.raises(CaptureFailed, match="blank"):
        ProcessCapturer(display=screen.display).capture(MONDAY, blur=False)


def test_the_app_entry_point_runs_a_worker_without_loading_qt(screen: XServer) -> None:
    paint_checkerboard(screen.display)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ui", WORKER_FLAG, "--display",
         screen.display], capture_output=True, timeout=60, check=True)
    assert done.stdout.startswith(b'{"ok": true')
    assert b"PySide6" not in done.stderr


@pytest.mark.parametrize(("script", "reason"), [
    ("import os; os.abort()", "failed \\(exit -6\\)"),
    ("import sys; sys.stdout.write('hello')", "unreadable"),
    ("import sys; sys.stdout.write('{\"ok\": true}\\n')", "unreadable"),
    ("import sys; print('Traceback: boom', file=sys.stderr); sys.exit(1)", "exit 1.*boom"),
])
def test_a_worker_that_breaks_costs_one_shot_with_a_reason(script: str, reason: str) -> None:
    capturer = ProcessCapturer(command=[sys.executable, "-c", script])
    with pytest.raises(CaptureFailed, match=reason):
        capturer.capture(MONDAY, blur=False)


def test_a_worker_that_hangs_is_stopped_at_the_timeout() -> None:
    capturer = ProcessCapturer(command=[sys.executable, "-c", "import time; time.sleep(30)"],
                               timeout_s=0.5)
    with pytest.raises(CaptureFailed, match="longer than"):
        capturer.capture(MONDAY, blur=False)


def test_a_worker_that_cannot_start_is_a_capture_failure() -> None:
    with pytest.raises(CaptureFailed, match="could not start"):
        ProcessCapturer(command=["/nonexistent/worker"]).capture(MONDAY, blur=False)
