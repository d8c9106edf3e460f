"""Screenshots for the diary, served only to the contract's parties (and an assigned admin).

Every request goes through :func:`billing.web.deps.load_contract`, so a stranger gets
404 whether or not the slot exists; responses are ``private, no-store``. Thumbnails are
made on first view and kept in a small in-process cache keyed by the blob key (which
embeds the shot's hash, so a cached thumbnail can never be of a different image).
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response
from PIL import Image, UnidentifiedImageError

from billing.api.deps import BlobsDep, SessionDep
from billing.blob_http import blob_response
from billing.db.models import Slot
from billing.services import hourly_reads
from billing.web.deps import PageDep, ViewerDep, load_contract
from billing.web.diary_grid import activity_bar
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)

THUMB_WIDTH = 320
THUMB_QUALITY = 70
_CACHE_ENTRIES = 512
_NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


class _ThumbCache:
    """A bounded LRU of encoded thumbnails, safe across the threadpool's threads."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._entries:
                self._items.popitem(last=False)


_thumbs = _ThumbCache(_CACHE_ENTRIES)


def _media_type(image: bytes) -> str:
    if image.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if image.startswith(b"RIFF") and image[8:12] == b"WEBP":
        return "image/webp"
    if image.startswith(b"\x89PNG"):
        return "image/png"
    if image[4:12] == b"ftypavif":
        return "image/avif"
    return "application/octet-stream"


def make_thumbnail(image: bytes, width: int = THUMB_WIDTH) -> bytes:
    """A JPEG ``width`` px wide: ``reduce()`` by an integer factor first, then resize."""
    with Image.open(io.BytesIO(image)) as picture:
        picture.load()
        rgb = picture.convert("RGB")
    factor = max(1, rgb.width // (width * 2))
    if factor > 1:
        rgb = rgb.reduce(factor)
    height = max(1, round(rgb.height * width / rgb.width))
    small = rgb.resize((width, height), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=THUMB_QUALITY)
    return out.getvalue()


def _shot_slot(session: SessionDep, viewer: ViewerDep, contract_id: int, slot_id: int) -> Slot:
    access = load_contract(session, viewer, contract_id)
    slot = hourly_reads.shot_slot(session, access.contract, slot_id)
    if slot is None:
        raise HTTPException(404, detail="No such screenshot.")
    return slot


def _shot_key(contract_id: int, slot_id: int, session: SessionDep, viewer: ViewerDep) -> str:
    """The blob key of a screenshot the viewer may see (404 otherwise)."""
    slot = _shot_slot(session, viewer, contract_id, slot_id)
    assert slot.shot_blob_key is not None  # shot_slot only finds slots with a screenshot
    return slot.shot_blob_key


ShotKey = Annotated[str, Depends(_shot_key)]


def _bytes(blobs: BlobsDep, key: str) -> bytes:
    image = blobs.get(key)
    if image is None:
        raise HTTPException(404, detail="The screenshot file is missing.")
    return image


@router.get("/contracts/{contract_id}/shots/{slot_id}/image", include_in_schema=False)
def shot_image(key: ShotKey, blobs: BlobsDep) -> Response:
    streamed = blob_response(blobs, key, media_type_of=_media_type, headers=_NO_STORE)
    if streamed is None:
        raise HTTPException(404, detail="The screenshot file is missing.")
    return streamed


@router.get("/contracts/{contract_id}/shots/{slot_id}/thumb", include_in_schema=False)
def shot_thumbnail(key: ShotKey, blobs: BlobsDep) -> Response:
    thumb = _thumbs.get(key)
    if thumb is None:
        try:
            thumb = make_thumbnail(_bytes(blobs, key))
        except (UnidentifiedImageError, OSError) as error:
            raise HTTPException(
                422, detail="The stored screenshot is not a readable image."
            ) from error
        _thumbs.put(key, thumb)
    return Response(thumb, media_type="image/jpeg", headers=_NO_STORE)


@router.get("/contracts/{contract_id}/shots/{slot_id}", include_in_schema=False)
def shot_page(
    contract_id: int,
    slot_id: int,
    session: SessionDep,
    page: PageDep,
) -> Response:
    slot = _shot_slot(session, page.viewer, contract_id, slot_id)
    local_start = slot.slot_start.astimezone(page.zone.zone)
    return page.render(
        "shot.html",
        nav="contracts",
        slot=slot,
        contract_id=contract_id,
        local_start=local_start,
        activity=activity_bar(slot),
    )
