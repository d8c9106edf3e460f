"""The AVIF quality follows what the screen shows: text and UI at the screen quality, a
screen with a photograph at the photo quality (bench/codec.py measured both)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from tracker.capture import (
    DEFAULT_FORMAT,
    ShotFormat,
    avif_quality,
    encode_avif,
    encode_image,
    is_photographic,
)


def text_screen() -> Image.Image:
    """A dark editor and a light sidebar with antialiased text: a few hundred colours."""
    screen = Image.new("RGB", (1280, 720), "#1e1e2e")
    draw = ImageDraw.Draw(screen)
    draw.rectangle((0, 0, 240, 720), fill="#f3f4f6")
    for row in range(40):
        draw.text((8, 6 + row * 17), f"section_{row}.py", fill="#1a56db")
        draw.text(
            (260, 6 + row * 17),
            f"def shot_{row}(quality: int) -> bytes:  # {row * 37}",
            fill=("#cdd6f4", "#f9e2af", "#a6e3a1")[row % 3],
        )
    return screen


def photograph(size: tuple[int, int]) -> Image.Image:
    """A smooth scene with sensor noise, as a camera's picture has."""
    sky = Image.linear_gradient("L").resize(size).convert("RGB")
    grain = Image.effect_noise(size, 24).convert("RGB")
    return Image.blend(
        Image.merge(
            "RGB", (sky.getchannel(0), grain.getchannel(0), Image.radial_gradient("L").resize(size))
        ),
        grain,
        0.3,
    )


def with_photo(screen: Image.Image) -> Image.Image:
    shown = screen.copy()
    shown.paste(photograph((320, 200)), (700, 300))
    return shown


def test_a_text_screen_is_not_photographic_and_one_with_a_photo_is() -> None:
    screen = text_screen()
    colours = screen.getcolors(1 << 24)
    assert colours is not None and 100 < len(colours) <= DEFAULT_FORMAT.photo_colours
    assert not is_photographic(screen, DEFAULT_FORMAT.photo_colours)
    # a 320×200 picture, 7 % of the screen, is enough to make it photographic
    assert is_photographic(with_photo(screen), DEFAULT_FORMAT.photo_colours)


def test_the_photo_quality_is_the_higher_one_and_is_used_for_photographs() -> None:
    assert DEFAULT_FORMAT.photo_quality > DEFAULT_FORMAT.quality
    assert avif_quality(text_screen()) == DEFAULT_FORMAT.quality
    assert avif_quality(with_photo(text_screen())) == DEFAULT_FORMAT.photo_quality


def test_the_shot_is_encoded_at_the_quality_its_content_gets() -> None:
    small = ShotFormat()
    for screen, quality in (
        (text_screen(), small.quality),
        (with_photo(text_screen()), small.photo_quality),
    ):
        encoded = encode_image(screen, small)
        assert encoded == encode_avif(screen, quality, small)  # libaom on one thread: stable
        with Image.open(io.BytesIO(encoded)) as decoded:
            assert decoded.format == "AVIF" and decoded.size == screen.size
    photo_screen = with_photo(text_screen())
    assert len(encode_avif(photo_screen, small.photo_quality)) > len(
        encode_avif(photo_screen, small.quality)
    )


def test_webp_and_jpeg_shots_keep_their_one_quality() -> None:
    photo_screen = with_photo(text_screen())
    webp = ShotFormat(media_type="image/webp", quality=60)
    buffer = io.BytesIO()
    photo_screen.save(buffer, "WEBP", quality=60, method=webp.webp_method)
    assert encode_image(photo_screen, webp) == buffer.getvalue()
