"""The real capturer and input source for this session, chosen at run time.

:func:`tracker.capture_choice.choose_capture` decides from the environment; this
module asks the session bus what it needs to know (is a Screenshot portal there, does
an idle monitor answer) and builds the adapters. Every backend sits behind the same
:class:`~tracker.capture.ScreenCapturer`, so the blank-frame check runs for all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tracker.capture_choice import CaptureBackend, choose_capture, is_wayland, provenance_text
from tracker.shot import CaptureFailed

if TYPE_CHECKING:  # the imaging library loads only where a shot is taken in-process
    from PIL import Image

    from tracker.capture import Grabber, ScreenCapturer

log = logging.getLogger(__name__)


class UnavailableGrabber:
    """The ``none`` backend: every grab fails with the reason, so each slot says why."""

    def __init__(self, backend: CaptureBackend) -> None:
        self._reason = provenance_text(backend.provenance)

    def grab(self) -> Image.Image:
        raise CaptureFailed(self._reason)


def choose_backend(env: Mapping[str, str], bus: str = "SESSION") -> CaptureBackend:
    from tracker.capture_portal import portal_present

    return choose_capture(env, portal_present(bus) if is_wayland(env) else False)


def open_capturer(
    env: Mapping[str, str],
    bus: str = "SESSION",
    before_portal_request: Callable[[], None] | None = None,
    backend: CaptureBackend | None = None,
) -> ScreenCapturer:
    """The capturer for the session ``env`` describes (or for ``backend``, when the caller
    has chosen already), with its provenance."""
    from tracker.capture import ScreenCapturer

    backend = backend or choose_backend(env, bus)
    grabber: Grabber
    if backend.kind == "x11":
        from tracker.capture_mss import MssGrabber

        grabber = MssGrabber()
    elif backend.kind == "portal":
        from tracker.capture_portal import PortalGrabber

        grabber = PortalGrabber(bus, before_request=before_portal_request)
    else:
        grabber = UnavailableGrabber(backend)
    log.info("screen capture: %s", provenance_text(backend.provenance))
    return ScreenCapturer(grabber, provenance=backend.provenance)
