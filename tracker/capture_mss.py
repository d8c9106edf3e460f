"""The real grabber: mss over X11 (XShm), all monitors as one image (mss monitor 0)."""

from __future__ import annotations

import mss
from PIL import Image


class MssGrabber:
    """Grabs the whole virtual screen. A new ``mss.MSS`` per grab: the capture runs on a
    worker thread and mss handles are not to be shared between threads."""

    def __init__(self, display: str | None = None) -> None:
        self._display = display

    def grab(self) -> Image.Image:
        with mss.MSS(display=self._display) as screen:
            shot = screen.grab(screen.monitors[0])
            # BGRX straight from the X server: 2.5–3× faster than going through shot.rgb
            return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")

    def monitors(self) -> list[dict[str, int]]:
        """What mss reports: index 0 is the union of all, then one entry per monitor."""
        with mss.MSS(display=self._display) as screen:
            return [dict(monitor) for monitor in screen.monitors]
