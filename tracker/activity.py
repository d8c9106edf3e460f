"""Keyboard and mouse event counts per minute.

Input listeners (see :mod:`tracker.input_pynput`) call the ``record_*`` methods of an
:class:`ActivityCounter` from their own threads; they pass nothing about the event —
no key, no position — so nothing but counts can be kept. The session's tick drains the
counter once a second and books the counts to the minute being tracked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tracker.capture_choice import ActivitySource

# A constantly moving mouse fires ~125 events/s; counting at most this many per second
# keeps "activity" comparable between mice and cheap to record.
MOUSE_MOVES_PER_SECOND = 4


@dataclass(frozen=True)
class ActivityCounts:
    """Events seen in some span: key presses, and mouse moves (throttled)/clicks/scrolls."""

    key_events: int = 0
    mouse_events: int = 0

    @property
    def any(self) -> bool:
        return self.key_events > 0 or self.mouse_events > 0

    def __add__(self, other: ActivityCounts) -> ActivityCounts:
        return ActivityCounts(
            self.key_events + other.key_events, self.mouse_events + other.mouse_events
        )


class ActivityCounter:
    """Thread-safe event counters; :meth:`drain` returns and resets them."""

    def __init__(self, mouse_moves_per_second: int = MOUSE_MOVES_PER_SECOND) -> None:
        self._lock = threading.Lock()
        self._keys = 0
        self._mouse = 0
        self._move_interval = 1.0 / mouse_moves_per_second
        self._last_counted_move: float | None = None

    def record_key(self) -> None:
        with self._lock:
            self._keys += 1

    def record_mouse_button(self) -> None:
        with self._lock:
            self._mouse += 1

    def record_mouse_scroll(self) -> None:
        with self._lock:
            self._mouse += 1

    def record_mouse_move(self, monotonic_seconds: float) -> None:
        """Count a move unless one was counted less than 1/N second ago."""
        with self._lock:
            last = self._last_counted_move
            if last is not None and monotonic_seconds - last < self._move_interval:
                return
            self._last_counted_move = monotonic_seconds
            self._mouse += 1

    def record_presence(self) -> None:
        """Input was seen, of an unknown kind: the compositor's idle time says only that
        (``idle-watch``). Booked as one mouse event; the slot's activity source tells a
        reader that these are not event counts."""
        with self._lock:
            self._mouse += 1

    def drain(self) -> ActivityCounts:
        with self._lock:
            counts = ActivityCounts(self._keys, self._mouse)
            self._keys = 0
            self._mouse = 0
            return counts


class InputSource(Protocol):
    """Something that feeds an :class:`ActivityCounter` (real listeners, or a test fake)."""

    def start(self, counter: ActivityCounter) -> None: ...

    def stop(self) -> None: ...


@runtime_checkable
class NamedActivitySource(Protocol):
    """An input source that says what its counts are; a source that does not is
    ``input-counts`` (pynput, or a test fake)."""

    @property
    def activity_source(self) -> ActivitySource: ...


def activity_level(active_minutes: int, tracked_minutes: int) -> float:
    """Active minutes out of tracked minutes (0.0 for an empty slot)."""
    return active_minutes / tracked_minutes if tracked_minutes else 0.0
