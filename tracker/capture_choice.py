"""Which screen-capture backend and which activity source a session gets (pure rules).

GNOME 49 has no X11 session, and on Wayland neither mss nor pynput sees more than
XWayland windows: the shots come out black and input counts stay at zero. So the
backend is chosen at run time from the session's environment:

* an X11 session: mss (``x11``);
* a Wayland session: the desktop's Screenshot portal (``portal``), if one is on the
  session bus;
* anything else: no capture, with the reason (``none:<reason>``).

The choice is the slot's *capture provenance*, kept with the slot and sent to the
server, so both diaries can say how (or why not) a shot was taken. In the same way a
slot's *activity source* says where its active minutes come from: pynput's event
counts (``input-counts``) or the compositor's idle time (``idle-watch``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

CaptureKind = Literal["x11", "portal", "none"]
ActivitySource = Literal["input-counts", "idle-watch"]
ACTIVITY_SOURCES: tuple[ActivitySource, ...] = ("input-counts", "idle-watch")

# Reasons for "none", in the words the provenance carries (short, stable, no spaces).
NO_DISPLAY = "no-display"
NO_PORTAL = "no-screenshot-portal"

# What the server accepts as a provenance (billing.api.schemas repeats this pattern).
PROVENANCE_PATTERN = r"^(x11|portal|none:[a-z0-9][a-z0-9-]{0,39})$"
_PROVENANCE = re.compile(PROVENANCE_PATTERN)

_REASON_TEXT = {
    NO_DISPLAY: "no graphical session (neither X11 nor Wayland)",
    NO_PORTAL: "Wayland session without a screenshot portal",
}


@dataclass(frozen=True)
class CaptureBackend:
    """The chosen backend; ``reason`` is set only for ``none``."""

    kind: CaptureKind
    reason: str | None = None

    @property
    def provenance(self) -> str:
        return self.kind if self.reason is None else f"{self.kind}:{self.reason}"


def is_wayland(env: Mapping[str, str]) -> bool:
    """A Wayland session. XDG_SESSION_TYPE decides when set; otherwise WAYLAND_DISPLAY
    (a Wayland session also sets DISPLAY, for XWayland, so DISPLAY alone says nothing)."""
    session_type = env.get("XDG_SESSION_TYPE", "").strip().lower()
    if session_type in ("wayland", "x11"):
        return session_type == "wayland"
    return bool(env.get("WAYLAND_DISPLAY"))


def choose_capture(env: Mapping[str, str], portal_present: bool) -> CaptureBackend:
    """The capture backend for a session with environment ``env``."""
    if is_wayland(env):
        return CaptureBackend("portal") if portal_present else CaptureBackend("none", NO_PORTAL)
    if env.get("DISPLAY"):
        return CaptureBackend("x11")
    return CaptureBackend("none", NO_DISPLAY)


def choose_activity(env: Mapping[str, str], idle_monitor_present: bool) -> ActivitySource:
    """Input counting where it works (X11); the compositor's idle time on Wayland when a
    monitor answers. Without one, pynput still counts what XWayland windows see."""
    if is_wayland(env) and idle_monitor_present:
        return "idle-watch"
    return "input-counts"


def valid_provenance(text: str) -> bool:
    return _PROVENANCE.fullmatch(text) is not None


def provenance_text(provenance: str | None) -> str:
    """How a diary names a capture provenance."""
    if provenance is None:
        return "no capture attempted"
    if provenance == "x11":
        return "X11 screen grab"
    if provenance == "portal":
        return "desktop screenshot portal"
    reason = provenance.partition(":")[2]
    return "capture unavailable: " + _REASON_TEXT.get(reason, reason.replace("-", " "))


def activity_text(source: ActivitySource) -> str:
    """How a diary names an activity source."""
    if source == "idle-watch":
        return "activity from the desktop's idle time (no event counts)"
    return "activity from keyboard and mouse event counts"
