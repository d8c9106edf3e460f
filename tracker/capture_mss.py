"""The real grabber: mss over X11 (XShm), all monitors as one image (mss monitor 0)."""

from __future__ import annotations

import threading

import mss
from PIL import Image

from tracker.capture import Box


class MssGrabber:
    """Grabs the whole virtual screen. A new ``mss.MSS`` per grab: the capture runs on a
    worker thread (mss handles are not shared between threads) and a monitor plugged in
    or out is seen at the next shot; the XShm set-up this repeats costs ~10 ms, nothing
    at six shots an hour."""

    def __init__(self, display: str | None = None) -> None:
        self._display = display
        self._last = threading.local()  # monitor boxes of the last grab, per thread

    def grab(self) -> Image.Image:
        with mss.MSS(display=self._display) as screen:
            monitors = screen.monitors
            union = monitors[0]
            self._last.boxes = [
                (
                    m["left"] - union["left"],
                    m["top"] - union["top"],
                    m["left"] - union["left"] + m["width"],
                    m["top"] - union["top"] + m["height"],
                )
                for m in monitors[1:]
            ]
            shot = screen.grab(union)
            # BGRX straight from the X server: 2.5–3× faster than going through shot.rgb
            return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")

    def monitor_boxes(self) -> list[Box]:
        """Where each monitor lies in the image the last :meth:`grab` on this thread returned."""
        boxes: list[Box] = getattr(self._last, "boxes", [])
        return boxes

    def monitors(self) -> list[dict[str, int]]:
        """What mss reports: index 0 is the union of all, then one entry per monitor."""
        with mss.MSS(display=self._display) as screen:
            return [dict(monitor) for monitor in screen.monitors]
