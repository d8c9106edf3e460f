"""The frame a capture worker writes on stdout, and reading it back.

One JSON header line, then the image bytes and the thumbnail bytes whose lengths the
header gives. No imaging library here: the parent only moves bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import BinaryIO

from tracker.shot import CaptureFailed, EncodedShot

MAX_HEADER_BYTES = 4096


class FrameError(Exception):
    """The worker's output is not a frame (it crashed mid-write, or printed something)."""


def write_shot(out: BinaryIO, shot: EncodedShot) -> None:
    header = {"ok": True, "media_type": shot.media_type, "width": shot.width,
              "height": shot.height, "thumbnail_media_type": shot.thumbnail_media_type,
              "image_bytes": len(shot.image_bytes),
              "thumbnail_bytes": len(shot.thumbnail_bytes)}
    out.write(json.dumps(header).encode() + b"\n")
    out.write(shot.image_bytes)
    out.write(shot.thumbnail_bytes)


def write_failure(out: BinaryIO, reason: str) -> None:
    out.write(json.dumps({"ok": False, "reason": reason}).encode() + b"\n")


def read_frame(data: bytes, taken_at: datetime) -> EncodedShot:
    """The shot in ``data``; :class:`CaptureFailed` for a failure frame, and
    :class:`FrameError` when ``data`` is not a whole frame."""
    line, _, rest = data.partition(b"\n")
    if not _ or len(line) > MAX_HEADER_BYTES:
        raise FrameError("no frame header from the capture worker")
    try:
        header = json.loads(line)
        if not header["ok"]:
            raise CaptureFailed(str(header["reason"]))
        image_length = int(header["image_bytes"])
        thumbnail_length = int(header["thumbnail_bytes"])
        if len(rest) != image_length + thumbnail_length:
            raise FrameError(f"frame is {len(rest)} bytes, header says "
                             f"{image_length + thumbnail_length}")
        return EncodedShot(
            image_bytes=rest[:image_length],
            media_type=str(header["media_type"]),
            width=int(header["width"]),
            height=int(header["height"]),
            thumbnail_bytes=rest[image_length:],
            thumbnail_media_type=str(header["thumbnail_media_type"]),
            taken_at=taken_at,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise FrameError(f"bad frame header: {error}") from error
