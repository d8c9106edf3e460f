"""Turning a grabbed screen into a stored shot: blank check, optional blur, encoding.

Decision — one combined image: a :class:`Grabber` returns the whole virtual screen
(all monitors in their layout, as mss's monitor 0 gives it), so a slot has exactly one
shot file whatever the monitor count. Areas of the bounding box no monitor covers come
back black, which does not matter for reading the diary.

Decision — format (measured with ``bench/codec.py`` on a corpus of real screens — a
dark terminal, a text page and a photo gallery in Chromium, a dark Qt code editor, a
spreadsheet grid; the README has the table): full shots are AVIF with full-colour 4:4:4
chroma, libaom speed 6 and sharpness 4, at a quality chosen by what the screen shows.
Text and UI need fewer bits than photographs for the same SSIMULACRA2 score: at one
quality for all, the photo gallery is the only screen near 70 and the text screens sit
at 76–86. A screen of at most 4096 distinct colours (text, UI, flat fills: 550–1,700 on
the corpus, 1080p and 4K) is encoded at quality 45; more colours (a photograph, a video
frame, a gradient anywhere on screen: the gallery has ~440,000) gets quality 50. That
gives a median of 59.0 KiB per 1080p shot (the spreadsheet grid is the median screen)
with every screen at SSIMULACRA2 ≥ 71.2. Counting stops at the limit, so the check
costs a few milliseconds beside a ~1 s encode. Encoding costs ~1 s of one core per
1080p shot, six times an hour off the GUI thread, so bytes matter more than
milliseconds; one encoder thread, so a shot never takes both cores from the user.
Old shots (WebP q60 m2) stay readable: every reader goes through Pillow or a browser.
Thumbnails are JPEG q70 at 320 px wide (~5 KiB, any Qt build reads them), made with
``reduce()`` + ``resize()``. Blur (for contracts that ask for it) shrinks the image 12×
and scales it back up: layout stays visible, text does not.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from PIL import Image

from tracker.shot import CaptureFailed, EncodedShot

THUMBNAIL_WIDTH = 320


class Grabber(Protocol):
    """A screen source: returns one RGB image of all monitors (raise on failure)."""

    def grab(self) -> Image.Image: ...


Box = tuple[int, int, int, int]  # left, top, right, bottom in image pixels


@runtime_checkable
class MonitorLayout(Protocol):
    """A grabber that can say where the monitors lie in the image it last returned (on
    the calling thread), so the blank check can ignore areas no monitor covers."""

    def monitor_boxes(self) -> list[Box]: ...


@dataclass(frozen=True)
class ShotFormat:
    """How shots are encoded; the default is the measured choice (module docstring)."""

    media_type: str = "image/avif"
    quality: int = 45  # AVIF: a screen of text and UI; WebP and JPEG: every screen
    photo_quality: int = 50  # AVIF: a screen with more distinct colours than photo_colours
    photo_colours: int = 4096
    avif_subsampling: str = "4:4:4"
    avif_speed: int = 6
    avif_sharpness: int = 4  # libaom's bias towards sharp blocks: fewer bytes at one score
    webp_method: int = 2  # the format before AVIF, kept for comparison in the benchmarks
    thumbnail_quality: int = 70
    blur_factor: int = 12


DEFAULT_FORMAT = ShotFormat()


def is_flat(image: Image.Image) -> bool:
    """True if every pixel has the same colour."""
    extrema = image.getextrema()
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    return all(low == high for low, high in bands)


def is_blank(image: Image.Image, monitor_boxes: list[Box] | None = None) -> bool:
    """True if the screen shows nothing (Wayland, locked screen): the whole image is one
    flat colour, or — when the monitor layout is known — every monitor is (the black
    gaps between monitors of different sizes do not count as content)."""
    if is_flat(image):
        return True
    if not monitor_boxes:
        return False
    return all(is_flat(image.crop(box)) for box in monitor_boxes)


def blurred(image: Image.Image, factor: int) -> Image.Image:
    small = image.reduce(factor)
    return small.resize(image.size, Image.Resampling.BILINEAR)


def thumbnail(image: Image.Image, width: int = THUMBNAIL_WIDTH) -> Image.Image:
    """A ``width``-px-wide copy; ``reduce()`` first, as it is much cheaper than resampling
    the whole frame."""
    height = max(1, round(image.height * width / image.width))
    factor = max(1, image.width // (width * 2))
    return image.reduce(factor).resize((width, height), Image.Resampling.BILINEAR)


def is_photographic(image: Image.Image, colours: int) -> bool:
    """True if the image has more than ``colours`` distinct colours (Pillow stops
    counting there): photographs and gradients do, text and UI in flat fills do not."""
    return image.getcolors(colours) is None


def avif_quality(image: Image.Image, shot_format: ShotFormat = DEFAULT_FORMAT) -> int:
    """The AVIF quality for this screen (module docstring: by what it shows)."""
    if is_photographic(image, shot_format.photo_colours):
        return shot_format.photo_quality
    return shot_format.quality


def encode_avif(
    image: Image.Image, quality: int, shot_format: ShotFormat = DEFAULT_FORMAT
) -> bytes:
    """The AVIF encode alone, at ``quality`` (the benchmarks time it bare)."""
    buffer = io.BytesIO()
    image.save(
        buffer,
        "AVIF",
        quality=quality,
        subsampling=shot_format.avif_subsampling,
        speed=shot_format.avif_speed,
        max_threads=1,
        advanced={"sharpness": str(shot_format.avif_sharpness)},
    )
    return buffer.getvalue()


def encode_image(image: Image.Image, shot_format: ShotFormat = DEFAULT_FORMAT) -> bytes:
    if shot_format.media_type == "image/avif":
        return encode_avif(image, avif_quality(image, shot_format), shot_format)
    buffer = io.BytesIO()
    if shot_format.media_type == "image/webp":
        image.save(buffer, "WEBP", quality=shot_format.quality, method=shot_format.webp_method)
    elif shot_format.media_type == "image/jpeg":
        image.save(buffer, "JPEG", quality=shot_format.quality)
    else:
        raise ValueError(f"unsupported shot format {shot_format.media_type}")
    return buffer.getvalue()


def display_copy(picture_bytes: bytes, bound: tuple[int, int]) -> bytes | None:
    """A PNG of the shot picture ``picture_bytes`` scaled down to fit ``bound``, for a
    viewer that cannot decode every shot format itself (Qt has no AVIF plugin); None if
    it is not a readable image."""
    try:
        with Image.open(io.BytesIO(picture_bytes)) as shot:
            shot.draft("RGB", bound)  # cheap size reduction where the format allows it
            picture = shot.convert("RGB")
    except (OSError, ValueError):  # missing, truncated or not an image
        return None
    picture.thumbnail(bound, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def encode_shot(
    image: Image.Image, taken_at: datetime, blur: bool, shot_format: ShotFormat = DEFAULT_FORMAT
) -> EncodedShot:
    """Encode a grabbed image (already checked not blank) and its thumbnail."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    if blur:
        image = blurred(image, shot_format.blur_factor)
    small = thumbnail(image)
    thumb_buffer = io.BytesIO()
    small.save(thumb_buffer, "JPEG", quality=shot_format.thumbnail_quality)
    return EncodedShot(
        image_bytes=encode_image(image, shot_format),
        media_type=shot_format.media_type,
        width=image.width,
        height=image.height,
        thumbnail_bytes=thumb_buffer.getvalue(),
        thumbnail_media_type="image/jpeg",
        taken_at=taken_at,
    )


def blur_stored_shot(
    picture_bytes: bytes, taken_at: datetime, shot_format: ShotFormat = DEFAULT_FORMAT
) -> EncodedShot:
    """The stored shot's picture (decrypted by the store, in memory) blurred and encoded
    again (the freelancer's Blur, before upload). Raises OSError when it is no image."""
    with Image.open(io.BytesIO(picture_bytes)) as stored:
        picture = stored.convert("RGB")
    return encode_shot(picture, taken_at, True, shot_format)


class ScreenCapturer:
    """The session's :class:`tracker.shot.ShotCapturer`: grab, refuse blank, encode.

    ``provenance`` names the grabber's backend (``x11``, ``portal``, ``none:<reason>``,
    see :mod:`tracker.capture_select`); the blank check runs whatever the backend."""

    def __init__(
        self, grabber: Grabber, shot_format: ShotFormat = DEFAULT_FORMAT, provenance: str = "x11"
    ) -> None:
        self._grabber = grabber
        self._format = shot_format
        self.provenance = provenance

    def capture(self, taken_at: datetime, blur: bool) -> EncodedShot:
        try:
            image = self._grabber.grab()
        except CaptureFailed:
            raise
        except Exception as error:  # any grab failure means "capture unavailable"
            raise CaptureFailed(f"screen grab failed: {error}") from error
        boxes = self._grabber.monitor_boxes() if isinstance(self._grabber, MonitorLayout) else None
        if is_blank(image, boxes):
            raise CaptureFailed("the screen came back blank (locked screen or Wayland session?)")
        return encode_shot(image, taken_at, blur, self._format)
