"""A :class:`tracker.shot.ShotCapturer` that takes each shot in a short-lived process.

Why a process: the imaging library, a full frame and the encoder's working memory stay
out of the long-running tray app (it measured +18 MiB after one in-process shot, never
given back), and a crash inside a codec costs one shot, not the tracker. At six shots an
hour the start-up (about a third of a second of CPU) is noise.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime

from tracker.capture_wire import FrameError, read_frame
from tracker.shot import CaptureFailed, EncodedShot

WORKER_TIMEOUT_S = 60.0
WORKER_FLAG = "--capture-worker"


def worker_command() -> list[str]:
    """How to start a worker: the frozen app re-runs itself with a flag (its entry point
    dispatches on it); from source, the module."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_FLAG]
    return [sys.executable, "-m", "tracker.capture_child"]


class ProcessCapturer:
    """Shots of the X11 screen (mss in the worker); ``provenance`` as ScreenCapturer's."""

    provenance = "x11"

    def __init__(
        self,
        command: Sequence[str] | None = None,
        display: str | None = None,
        timeout_s: float = WORKER_TIMEOUT_S,
    ) -> None:
        self._command = list(command) if command is not None else worker_command()
        self._display = display
        self._timeout_s = timeout_s

    def capture(self, taken_at: datetime, blur: bool) -> EncodedShot:
        args = [*self._command, *(["--blur"] if blur else []),
                *(["--display", self._display] if self._display else [])]
        try:
            done = subprocess.run(args, capture_output=True, timeout=self._timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired as error:
            raise CaptureFailed(f"the capture took longer than {self._timeout_s:.0f} s") from error
        except OSError as error:
            raise CaptureFailed(f"the capture worker could not start: {error}") from error
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise CaptureFailed(f"the capture worker failed (exit {done.returncode}) "
                                f"{detail[0]}".strip())
        try:
            return read_frame(done.stdout, taken_at)
        except FrameError as error:
            raise CaptureFailed(f"the capture worker's answer was unreadable: {error}") from error
