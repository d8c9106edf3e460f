"""Capture benchmark: the tracker's whole capture pipeline against the bare encode, on Xvfb.

Prints figures, not pass/fail: for a real 1080p and 4K screen from the corpus
(bench/shot_corpus.py: the dark Qt code editor, shown as the X root window), the median
over N interleaved runs of the whole pipeline (mss grab → blank check → AVIF shot +
JPEG thumbnail → fsynced files) and of the bare encode of the same frame, their ratio,
and bytes per shot and thumbnail. Which codec and quality, and why: bench/codec.py.

Target (issue 13): pipeline ≤ 2× the bare encode at 1080p and 4K.
Run: ./dev bench, or nice -n 10 .venv/bin/python bench/capture.py [runs]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image
from Xlib import X, display  # type: ignore[import-untyped]  # python-xlib ships no stubs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.shot_corpus import DEFAULT_DIR, build  # noqa: E402
from tests.support.shot_keys import TEST_SHOT_KEYS  # noqa: E402
from tests.support.xvfb import xvfb  # noqa: E402
from tracker.capture import DEFAULT_FORMAT, ScreenCapturer, avif_quality, encode_avif  # noqa: E402
from tracker.capture_mss import MssGrabber  # noqa: E402
from tracker.store import Store  # noqa: E402


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


RATIO_TARGET = 2.0
SCREEN = "editor"  # dark theme, coloured code: the hardest case for the codec


def interleaved_ms(
    runs: int, pipeline: Callable[[], object], bare: Callable[[], object]
) -> tuple[float, float]:
    """Medians of both, run alternately so a busy machine slows both sides alike."""
    capture_runs: list[float] = []
    encode_runs: list[float] = []
    for _ in range(runs):
        capture_runs.append(median_ms(1, pipeline))
        encode_runs.append(median_ms(1, bare))
    return statistics.median(capture_runs), statistics.median(encode_runs)


def bench_resolution(screen_png: Path, runs: int) -> dict[str, float]:
    with Image.open(screen_png) as opened:
        desktop = opened.convert("RGB")
    width, height = desktop.size
    with xvfb(screens=((width, height),)) as server:
        connection = show_on_root(server.display, desktop)
        grabber = MssGrabber(display=server.display)
        capturer = ScreenCapturer(grabber)
        frame = grabber.grab()
        assert frame.size == (width, height)
        with tempfile.TemporaryDirectory() as folder, Store(Path(folder), TEST_SHOT_KEYS) as store:
            taken_at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
            sizes: list[tuple[int, int]] = []

            def pipeline() -> None:
                encoded = capturer.capture(taken_at, blur=False)
                shot = store.save_shot(7, taken_at, encoded)
                sizes.append((shot.size_bytes, shot.thumbnail_path.stat().st_size))

            quality = avif_quality(frame)  # the pipeline's colour count is not in the bare encode
            capture_ms, encode_ms = interleaved_ms(
                runs, pipeline, lambda: encode_avif(frame, quality)
            )
            grab_ms = median_ms(runs, grabber.grab)
            blur_ms = median_ms(3, lambda: capturer.capture(taken_at, blur=True))
        connection.close()
    shot_bytes, thumb_bytes = sizes[-1]
    ratio = capture_ms / encode_ms
    encoding = (
        f"AVIF {DEFAULT_FORMAT.avif_subsampling} q{quality} speed {DEFAULT_FORMAT.avif_speed} "
        f"sharpness {DEFAULT_FORMAT.avif_sharpness}"
    )
    verdict = "meets" if ratio <= RATIO_TARGET else "misses"
    print(f"{width}x{height} {screen_png.stem}  (median of {runs})")
    print(f"  grab only (new mss handle per grab) {grab_ms:8.1f} ms")
    print(f"  bare encode ({encoding})  {encode_ms:8.1f} ms")
    print(
        f"  grab+check+encode+thumb+fsync       {capture_ms:8.1f} ms   {ratio:4.2f}× bare encode"
        f" (target ≤ {RATIO_TARGET:.0f}×: {verdict})"
    )
    print(f"  same with blur (no store)           {blur_ms:8.1f} ms")
    print(f"  shot {shot_bytes / 1024:7.1f} KiB   thumbnail {thumb_bytes / 1024:5.1f} KiB")
    return {
        "width": width,
        "encode_ms": encode_ms,
        "pipeline_ms": capture_ms,
        "ratio": ratio,
        "grab_ms": grab_ms,
        "quality": quality,
        "shot_bytes": shot_bytes,
        "thumbnail_bytes": thumb_bytes,
    }


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    screens = build(DEFAULT_DIR, ["1080p", "4k"])
    full_hd, four_k = (
        next(p for p in screens if p.stem == f"{SCREEN}-{r}") for r in ("1080p", "4k")
    )
    results = [bench_resolution(full_hd, runs), bench_resolution(four_k, max(3, runs // 2))]
    print(
        json.dumps(
            {
                "bench": "capture",
                "format": DEFAULT_FORMAT.media_type,
                "ratio_target": RATIO_TARGET,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
