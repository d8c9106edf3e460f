"""Reading a shot's picture for display: through the store, which decrypts it in memory
(shot files are sealed at rest), and a problem in words when it cannot."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Protocol

from tracker.shot_seal import ShotPart, ShotUnreadable

log = logging.getLogger(__name__)

# Qt's reader for a thumbnail's file, by its suffix: named, Qt loads that one image plugin;
# unnamed, it loads every plugin it has (TIFF, SVG, …) to ask each whether it can read it
_QT_FORMATS = {".jpg": "JPG", ".jpeg": "JPG", ".webp": "WEBP", ".png": "PNG"}

_reported: set[Path] = set()  # each unreadable file is logged once, not at every refresh


class PictureReader(Protocol):
    """The store's reader of shot files (:meth:`tracker.store.Store.read_picture`)."""

    def read_picture(
        self, contract_id: int, slot: datetime, path: Path, part: ShotPart
    ) -> bytes: ...


def read_for_display(
    reader: PictureReader, contract_id: int, slot_start: datetime, path: Path, part: ShotPart
) -> tuple[bytes, str]:
    """The picture, or ``b""`` and what is wrong ("key missing", "file missing" …); the
    log names the file. Corrupt local state is shown, never silently dropped."""
    try:
        return reader.read_picture(contract_id, slot_start, path, part), ""
    except ShotUnreadable as error:
        problem, detail = error.reason, str(error)
    except OSError as error:
        problem, detail = "file missing", f"{path}: {error.strerror or error}"
    if path not in _reported:
        _reported.add(path)
        log.warning("%s", detail)
    return b"", problem


def qt_format(path: Path | str) -> str | None:
    """The Qt image format of a picture file (``None``: let Qt find out)."""
    return _QT_FORMATS.get(Path(path).suffix.lower())
