"""Clocks for the backend: the shared :mod:`timekeeping.clock`, plus a file-driven one.

``FileClock`` lets an end-to-end test move the time of a server running in another
process: it reads an ISO-8601 instant from a file (set ``WORKDIARY_CLOCK_FILE``). Only
the composition root chooses it; nothing else knows it exists.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from timekeeping.clock import Clock, ManualClock, SystemClock

__all__ = ["Clock", "FileClock", "ManualClock", "SystemClock", "parse_instant"]


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant; a naive one is taken as UTC."""
    instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


class FileClock:
    """Wall time read from a file holding an ISO-8601 instant (test servers only)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._read: tuple[tuple[int, int, int], datetime] | None = None

    def now(self) -> datetime:
        # read again only when the file changed: its writers replace it (a new inode each
        # time), so one stat per call tells; the server asks on every request
        stat = os.stat(self._path)
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._read is None or self._read[0] != seen:
            self._read = (seen, parse_instant(self._path.read_text(encoding="utf-8")))
        return self._read[1]

    def monotonic(self) -> float:
        return time.monotonic()
