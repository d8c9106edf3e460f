"""Request bodies spooled to a temporary file, never held whole in memory.

``spooled(request, directory, max_bytes)`` streams the body into a file in
``directory`` (0600, under the server's data dir, beside the blobs so the local store
moves it in with a rename), hashing and counting as it goes, and yields an
:class:`~billing.blobs.Upload`. The file is removed when the block ends unless the blob
store took it. Callers hold no database connection while this reads the network.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Request

from billing.api.body_limits import BodyTooLarge
from billing.blobs import Upload

_PREFIX = "upload-"
STALE_AFTER_SECONDS = 24 * 3600


@asynccontextmanager
async def spooled(request: Request, directory: Path, max_bytes: int) -> AsyncIterator[Upload]:
    """The request's body as a file of at most ``max_bytes`` (413 beyond)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, name = tempfile.mkstemp(dir=directory, prefix=_PREFIX)  # mkstemp: mode 0600
    path = Path(name)
    try:
        hasher = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise BodyTooLarge(max_bytes)
                hasher.update(chunk)
                # a chunk is at most a socket read (~64 KiB) into the page cache: a
                # thread hop per chunk would cost more than the write
                handle.write(chunk)
        yield Upload(path, size, hasher.hexdigest())
    finally:
        path.unlink(missing_ok=True)


def remove_stale_spools(directory: Path, now: float | None = None) -> int:
    """Delete spool files a crashed server left (older than a day); returns how many.

    Only old ones: another server process may be spooling into the same directory.
    """
    if not directory.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - STALE_AFTER_SECONDS
    removed = 0
    for path in directory.glob(f"{_PREFIX}*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
