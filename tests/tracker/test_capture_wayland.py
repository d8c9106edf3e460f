"""The real Screenshot portal under a real headless compositor (sway, xdg-desktop-portal
and its wlr backend, grim), two outputs of known colours: the shot must show both."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin  # noqa: F401  (loaded before the fork: see run_as_user)

from tests.support.sway import WaylandDesktop, wayland_desktop
from tracker.capture_select import open_capturer

WLR_SHOT_FILE = Path("/tmp/out.png")  # fixed in xdg-desktop-portal-wlr 0.7


@pytest.fixture(scope="module")
def desktop() -> Iterator[WaylandDesktop]:
    with wayland_desktop() as running:
        yield running


def _shoot(desktop: WaylandDesktop) -> tuple[dict[str, object], Image.Image]:
    """Choose the backend and grab, as the app does, inside the user's session."""

    def job() -> bytes:
        import os

        started = time.monotonic()
        capturer = open_capturer(os.environ, desktop.bus_address)
        image = capturer._grabber.grab()
        facts = {"provenance": capturer.provenance, "ms": (time.monotonic() - started) * 1000,
                 "file_left": WLR_SHOT_FILE.exists()}
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        return json.dumps(facts).encode() + b"\n" + buffer.getvalue()

    header, _, png = desktop.run_as_user(job).partition(b"\n")
    return json.loads(header), Image.open(io.BytesIO(png)).convert("RGB")


def test_the_real_portal_returns_both_outputs_and_leaves_no_file(
    desktop: WaylandDesktop,
) -> None:
    facts, image = _shoot(desktop)
    assert facts["provenance"] == "portal"
    assert facts["file_left"] is False
    first, second = desktop.outputs
    assert image.size == (first.width + second.width, max(first.height, second.height))
    for output in desktop.outputs:
        box = (output.x, 0, output.x + output.width, output.height)
        assert image.crop(box).getcolors(1) == [(output.width * output.height, output.colour)], (
            f"{output.name} does not show {output.hex}")
    print(f"portal shot {image.size[0]}×{image.size[1]} in {facts['ms']:.0f} ms")


def _capture(desktop: WaylandDesktop) -> str:
    """The whole capture path in the user's session: grab, blank check, encode."""

    def job() -> bytes:
        import os
        from datetime import UTC, datetime

        from tracker.shot import CaptureFailed

        try:
            shot = open_capturer(os.environ, desktop.bus_address).capture(
                datetime(2026, 12, 1, 10, tzinfo=UTC), blur=False)
        except CaptureFailed as error:
            return f"failed: {error}".encode()
        return f"{shot.media_type} {shot.width}x{shot.height}".encode()

    return desktop.run_as_user(job).decode()


def test_the_blank_check_stands_in_front_of_the_portal(desktop: WaylandDesktop) -> None:
    assert _capture(desktop) == "image/avif 1280x480"
    desktop.swaymsg("output", "*", "bg", "#000000", "solid_color")  # what a locked screen gives
    try:
        deadline = time.monotonic() + 10
        outcome = _capture(desktop)
        while "blank" not in outcome and time.monotonic() < deadline:  # swaybg restarting
            time.sleep(0.1)
            outcome = _capture(desktop)
        assert outcome.startswith("failed: the screen came back blank")
    finally:
        for output in desktop.outputs:
            desktop.swaymsg("output", output.name, "bg", output.hex, "solid_color")
