"""Capture benchmark: grab + encode + store of a 1080p and a 4K frame on Xvfb.

Prints figures, not pass/fail: median over N runs of the whole pipeline
(mss grab → blank check → WebP shot + JPEG thumbnail → fsynced files), the bare encode
of the same frame, their ratio, and bytes per shot and thumbnail; then the format
comparison the shot format was chosen by (size, encode time, PSNR of a text area).

Targets (issue #2): pipeline ≤ 3× the bare encode, ≤ 150 KB per 1080p shot.
Run: ./dev bench, or .venv/bin/python bench/capture.py [runs]
"""

from __future__ import annotations

import io
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageStat
from Xlib import X, display  # type: ignore[import-untyped]  # python-xlib ships no stubs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.xvfb import xvfb  # noqa: E402
from tracker.capture import DEFAULT_FORMAT, ScreenCapturer, ShotFormat, encode_image  # noqa: E402
from tracker.capture_mss import MssGrabber  # noqa: E402
from tracker.store import Store  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
WORDS = [
    *(
        [
            "invoice",
            "slot",
            "memo",
            "contract",
            "weekly",
            "cap",
            "minutes",
            "client",
            "freelancer",
            "review",
            "dispute",
        ]
    ),
    *(
        [
            "milestone",
            "escrow",
            "release",
            "def",
            "return",
            "class",
            "import",
            "self",
            "None",
            "True",
            "False",
            "for",
            "in",
        ]
    ),
]


def synthetic_desktop(width: int, height: int, scale: int) -> Image.Image:
    """A busy desktop: wallpaper gradient, a photo-like area, an editor, a browser with
    prose, a terminal and a taskbar — text at the sizes people read."""
    rng = random.Random(42)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = int(40 + 60 * y / height)
        draw.line([(0, y), (width, y)], fill=(shade // 2, shade, shade + 40))
    noise = Image.effect_noise((width // 4, height // 3), 60).convert("RGB")
    photo = noise.filter(ImageFilter.GaussianBlur(3 * scale))
    image.paste(
        ImageChops.multiply(photo, Image.new("RGB", photo.size, (255, 200, 150))),
        (width // 16, height // 2),
    )
    body = ImageFont.truetype(FONT, 13 * scale)
    mono = ImageFont.truetype(MONO, 13 * scale)

    def window(x: int, y: int, w: int, h: int, font: ImageFont.FreeTypeFont, dark: bool) -> None:
        draw.rectangle([x, y, x + w, y + h], fill=(30, 30, 34) if dark else (250, 250, 250))
        draw.rectangle([x, y, x + w, y + 26 * scale], fill=(60, 63, 70))
        draw.text(
            (x + 8 * scale, y + 6 * scale), "Workdiary — window", font=body, fill=(230, 230, 230)
        )
        line_y = y + 34 * scale
        while line_y < y + h - 18 * scale:
            indent = rng.choice((0, 0, 4, 8)) * 8 * scale
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
            colour = (
                (rng.randint(150, 255), rng.randint(150, 255), rng.randint(150, 255))
                if dark
                else (20, 20, 20)
            )
            draw.text((x + 10 * scale + indent, line_y), words, font=font, fill=colour)
            line_y += 17 * scale

    window(width // 3, 40 * scale, width // 3, height * 2 // 3, mono, dark=True)
    window(
        width * 2 // 3 + 10 * scale,
        60 * scale,
        width // 3 - 20 * scale,
        height // 2,
        body,
        dark=False,
    )
    window(width // 16, 60 * scale, width // 4, height // 3, mono, dark=True)
    draw.rectangle([0, height - 36 * scale, width, height], fill=(25, 25, 28))
    for i in range(12):
        draw.rectangle(
            [
                10 * scale + i * 44 * scale,
                height - 30 * scale,
                40 * scale + i * 44 * scale,
                height - 6 * scale,
            ],
            fill=(rng.randint(60, 200), rng.randint(60, 200), rng.randint(60, 200)),
        )
    return image


def show_on_root(display_name: str, image: Image.Image) -> display.Display:
    """Make ``image`` the root window's background (a tiny X client, like xsetroot)."""
    connection = display.Display(display_name)
    screen = connection.screen()
    root = screen.root
    width, height = image.size
    pixmap = root.create_pixmap(width, height, screen.root_depth)
    gc = pixmap.create_gc()
    data = image.tobytes("raw", "BGRX")
    rows = max(1, 200_000 // (width * 4))  # keep each PutImage under the request size limit
    for y in range(0, height, rows):
        count = min(rows, height - y)
        pixmap.put_image(
            gc, 0, y, width, count, X.ZPixmap, 24, 0, data[y * width * 4 : (y + count) * width * 4]
        )
    root.change_attributes(background_pixmap=pixmap)
    root.clear_area(0, 0, width, height)
    connection.sync()
    return connection  # keep open while measuring


def median_ms(runs: int, job: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        job()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def psnr(original: Image.Image, decoded: Image.Image) -> float:
    difference = ImageChops.difference(original, decoded)
    mse = sum(value**2 for value in ImageStat.Stat(difference).rms) / 3
    return float("inf") if mse == 0 else 20 * math.log10(255 / math.sqrt(mse))


def bench_resolution(width: int, height: int, scale: int, runs: int) -> Image.Image:
    desktop = synthetic_desktop(width, height, scale)
    with xvfb(screens=((width, height),)) as server:
        connection = show_on_root(server.display, desktop)
        grabber = MssGrabber(display=server.display)
        capturer = ScreenCapturer(grabber)
        frame = grabber.grab()
        assert frame.size == (width, height)
        with tempfile.TemporaryDirectory() as folder, Store(Path(folder)) as store:
            taken_at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
            sizes: list[tuple[int, int]] = []

            def pipeline() -> None:
                encoded = capturer.capture(taken_at, blur=False)
                shot = store.save_shot(7, taken_at, encoded)
                sizes.append((shot.size_bytes, shot.thumbnail_path.stat().st_size))

            # interleaved, so a busy machine slows both sides of the ratio alike
            capture_runs: list[float] = []
            encode_runs: list[float] = []
            for _ in range(runs):
                capture_runs.append(median_ms(1, pipeline))
                encode_runs.append(median_ms(1, lambda: encode_image(frame)))
            capture_ms = statistics.median(capture_runs)
            encode_ms = statistics.median(encode_runs)
            grab_ms = median_ms(runs, grabber.grab)
            blur_ms = median_ms(max(5, runs // 4), lambda: capturer.capture(taken_at, blur=True))
        connection.close()
    shot_bytes, thumb_bytes = sizes[-1]
    print(f"{width}x{height}  (median of {runs})")
    encoding = (
        f"{DEFAULT_FORMAT.media_type} q{DEFAULT_FORMAT.quality} m{DEFAULT_FORMAT.webp_method}"
    )
    ratio = capture_ms / encode_ms
    print(f"  grab only (new mss handle per grab) {grab_ms:8.1f} ms")
    print(f"  bare encode ({encoding})  {encode_ms:8.1f} ms")
    print(f"  grab+check+encode+thumb+fsync       {capture_ms:8.1f} ms   {ratio:4.2f}× bare encode")
    print(f"  same with blur (no store)           {blur_ms:8.1f} ms")
    print(f"  shot {shot_bytes / 1000:7.1f} kB   thumbnail {thumb_bytes / 1000:5.1f} kB")
    return frame


def compare_formats(frame: Image.Image, runs: int) -> None:
    # legibility proxy: PSNR over the editor/browser text area
    text_box = (frame.width // 3, 40, frame.width, frame.height * 2 // 3)
    original_text = frame.crop(text_box)
    print(f"format comparison on the {frame.width}x{frame.height} frame (median of {runs})")
    print("  format                 kB    encode ms   PSNR text dB")
    candidates = [
        ("JPEG q75", ShotFormat(media_type="image/jpeg", quality=75)),
        ("JPEG q50", ShotFormat(media_type="image/jpeg", quality=50)),
        ("WebP q60 m0", ShotFormat(quality=60, webp_method=0)),
        ("WebP q60 m2", ShotFormat(quality=60, webp_method=2)),
        ("WebP q60 m4", ShotFormat(quality=60, webp_method=4)),
        ("WebP q75 m2", ShotFormat(quality=75, webp_method=2)),
        ("WebP q50 m2", ShotFormat(quality=50, webp_method=2)),
    ]
    for name, shot_format in candidates:
        payload = encode_image(frame, shot_format)
        elapsed = median_ms(runs, lambda f=shot_format: encode_image(frame, f))  # type: ignore[misc]
        decoded = Image.open(io.BytesIO(payload)).convert("RGB").crop(text_box)
        quality = psnr(original_text, decoded)
        print(f"  {name:18s} {len(payload) / 1000:7.1f} {elapsed:10.1f} {quality:12.1f}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    full_hd = bench_resolution(1920, 1080, 1, runs)
    bench_resolution(3840, 2160, 2, runs)
    compare_formats(full_hd, max(5, runs // 2))


if __name__ == "__main__":
    main()
