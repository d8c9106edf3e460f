"""An encoded screenshot and where it was saved (plain data; no imaging library here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class EncodedShot:
    """A shot encoded for storage: the full image and a ~320 px thumbnail."""

    image_bytes: bytes
    media_type: str  # "image/avif"; older shots "image/webp"
    width: int
    height: int
    thumbnail_bytes: bytes
    thumbnail_media_type: str
    taken_at: datetime

    @property
    def file_suffix(self) -> str:
        return _SUFFIXES[self.media_type]

    @property
    def thumbnail_suffix(self) -> str:
        return _SUFFIXES[self.thumbnail_media_type]


_SUFFIXES = {
    "image/avif": ".avif",
    "image/webp": ".webp",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}


@dataclass(frozen=True)
class ShotFile:
    """A shot saved on disk (paths absolute; the store keeps them relative to its dir)."""

    path: Path
    thumbnail_path: Path
    sha256: str
    size_bytes: int
    media_type: str
    width: int
    height: int
    taken_at: datetime


class CaptureFailed(Exception):
    """No usable shot: the grab failed, or the screen came back one flat colour."""


class ShotCapturer(Protocol):
    """Takes one shot of all monitors now and encodes it (blurred if ``blur``).

    Raises :class:`CaptureFailed` with a reason the user can read.
    """

    def capture(self, taken_at: datetime, blur: bool) -> EncodedShot: ...


@runtime_checkable
class CaptureProvenance(Protocol):
    """A capturer that says which backend takes its shots: ``x11``, ``portal`` or
    ``none:<reason>`` (:mod:`tracker.capture_choice`); recorded on each slot."""

    @property
    def provenance(self) -> str: ...
