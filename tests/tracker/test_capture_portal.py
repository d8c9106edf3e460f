"""The Screenshot portal client against a fake portal on a real private session bus."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.support.portal_server import FakeScreenshotPortal
from tests.support.session_bus import private_session_bus
from tracker.capture import ScreenCapturer
from tracker.capture_portal import PortalGrabber, portal_present
from tracker.capture_select import open_capturer
from tracker.shot import CaptureFailed

WAYLAND = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}


@pytest.fixture(scope="module")
def bus() -> Iterator[str]:
    with private_session_bus() as address:
        yield address


@pytest.fixture
def portal(bus: str, tmp_path: Path) -> Iterator[FakeScreenshotPortal]:
    fake = FakeScreenshotPortal(bus, tmp_path)
    try:
        yield fake
    finally:
        fake.close()


def _content() -> Image.Image:
    image = Image.new("RGB", (80, 40), (20, 120, 220))
    image.paste((240, 240, 240), (10, 10, 50, 30))
    return image


@pytest.mark.parametrize("mode", ["reply", "early"])
def test_a_shot_comes_back_and_the_portal_file_is_deleted_at_once(
    bus: str, portal: FakeScreenshotPortal, mode: str
) -> None:
    portal.mode = mode  # type: ignore[assignment]
    portal.image = _content()
    image = PortalGrabber(bus, timeout_s=5).grab()
    assert image.tobytes() == _content().tobytes()
    # the fake wrote it world-readable, as xdg-desktop-portal-wlr does; it is gone now
    assert not portal.shot_file.exists()
    (options,) = portal.requests
    assert options["interactive"] == ("b", False)
    assert options["handle_token"][1].startswith("workdiary_")


def test_no_response_times_out_says_so_and_closes_the_request(
    bus: str, portal: FakeScreenshotPortal
) -> None:
    portal.mode = "silent"
    started = time.monotonic()
    with pytest.raises(CaptureFailed, match=r"did not answer within 0\.5 s .*permission"):
        PortalGrabber(bus, timeout_s=0.5).grab()
    assert 0.4 < time.monotonic() - started < 3
    path, _, _ = portal.service.wait_for_call("Close")
    assert path.startswith("/org/freedesktop/portal/desktop/request/")


def test_a_call_that_never_gets_a_reply_times_out_too(
    bus: str, portal: FakeScreenshotPortal
) -> None:
    portal.mode = "no-reply"
    with pytest.raises(CaptureFailed, match=r"did not answer within 0\.5 s"):
        PortalGrabber(bus, timeout_s=0.5).grab()


def test_permission_denied_is_a_capture_failure_with_the_reason(
    bus: str, portal: FakeScreenshotPortal
) -> None:
    portal.mode = "denied"
    with pytest.raises(CaptureFailed, match="refused: no permission"):
        PortalGrabber(bus, timeout_s=5).grab()


def test_a_file_the_portal_leaves_is_deleted_even_when_it_is_not_an_image(
    bus: str, portal: FakeScreenshotPortal
) -> None:
    portal.file_bytes = b"\x89PNG\r\n\x1a\n truncated"  # a crash mid-write
    with pytest.raises(CaptureFailed, match="unreadable"):
        PortalGrabber(bus, timeout_s=5).grab()
    assert portal.requests and not portal.shot_file.exists()


def test_a_blank_portal_shot_is_refused_like_any_other(
    bus: str, portal: FakeScreenshotPortal
) -> None:
    from datetime import UTC, datetime

    portal.image = Image.new("RGB", (64, 32), (0, 0, 0))
    capturer = ScreenCapturer(PortalGrabber(bus, timeout_s=5), provenance="portal")
    with pytest.raises(CaptureFailed, match="blank"):
        capturer.capture(datetime(2026, 12, 1, 10, tzinfo=UTC), blur=False)
    assert not portal.shot_file.exists()


def test_the_portal_is_chosen_on_wayland_only_when_it_answers(
    bus: str, portal: FakeScreenshotPortal
) -> None:
    assert portal_present(bus)
    assert open_capturer(WAYLAND, bus).provenance == "portal"
    portal.close()
    assert not portal_present(bus)
    capturer = open_capturer(WAYLAND, bus)
    assert capturer.provenance == "none:no-screenshot-portal"
    from datetime import UTC, datetime

    with pytest.raises(CaptureFailed, match="Wayland session without a screenshot portal"):
        capturer.capture(datetime(2026, 12, 1, 10, tzinfo=UTC), blur=False)
