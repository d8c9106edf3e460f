"""Serving a blob over HTTP by streaming it through the server.

The server streams rather than redirecting to a presigned URL: the viewer's access is
checked on every request by the same code for both stores, the object store needs no
public endpoint, and the ``private, no-store`` headers stay ours. The first chunk is
read before the response starts, so a missing blob is still a clean 404 and the media
type comes from the image's magic bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi.responses import StreamingResponse

from billing.blobs import BlobStore


def _chained(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def blob_response(
    blobs: BlobStore,
    key: str,
    *,
    media_type_of: Callable[[bytes], str],
    headers: dict[str, str],
) -> StreamingResponse | None:
    """A streaming response of the blob at ``key``, or None when it is missing."""
    chunks = blobs.open_chunks(key)
    if chunks is None:
        return None
    first = next(chunks, b"")
    return StreamingResponse(
        _chained(first, chunks), media_type=media_type_of(first), headers=headers
    )
