"""The companion view shows shots in the tracker's format (AVIF) and the old one (WebP).

The shots are encoded by the tracker's own encoder, uploaded through the JSON API as
the tracker syncs them, and looked at in the system Chromium: the diary's thumbnails
(made by the server with Pillow) and each full shot, decoded by the browser.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e import seed
from tests.e2e.conftest import VIEWER_ZONE, sign_in
from tests.support.browser import wait_for_images
from tests.support.server import RunningServer, running_server
from tracker.capture import ShotFormat, encode_image

pytestmark = pytest.mark.browser

LEFT, RIGHT = (230, 120, 20), (20, 70, 190)
FORMATS = {"09:00": ShotFormat(), "09:10": ShotFormat(media_type="image/webp")}


def two_halves() -> Image.Image:
    frame = Image.new("RGB", (960, 540), RIGHT)
    frame.paste(LEFT, (0, 0, 480, 540))
    return frame


def upload(api: httpx.Client, token: str, contract: int, start: datetime, shot: bytes) -> None:
    url = f"/api/v1/contracts/{contract}/slots/{start.isoformat().replace('+00:00', 'Z')}"
    body = {
        "minutes": 10,
        "activity": [{"keyboard": 20, "mouse": 40}] * 10,
        "memo": "Shot formats",
        "client_now": (start + timedelta(minutes=10)).isoformat(),
        "shot": {
            "taken_at": (start + timedelta(minutes=3)).isoformat(),
            "sha256": hashlib.sha256(shot).hexdigest(),
        },
    }
    headers = {"Authorization": f"Bearer {token}"}
    assert api.put(url, json=body, headers=headers).status_code == 201
    assert api.put(url + "/shot", content=shot, headers=headers).status_code == 201


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, int, str]]:
    # 14:00 UTC is 09:00 in the viewer's zone; a recent Tuesday, so the contract is live
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day -= timedelta(days=(day.weekday() - 1) % 7 or 7)
    first = day + timedelta(hours=14)
    data_dir: Path = tmp_path_factory.mktemp("shot-formats")
    with running_server(data_dir, now=first - timedelta(hours=1)) as running:
        demo = seed.create_demo(running)  # the contract predates the slots
        running.set_now(first + timedelta(hours=1))
        frame = two_halves()
        with httpx.Client(base_url=running.base_url, timeout=30) as api:
            token = seed.api_token(api, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
            for index, shot_format in enumerate(FORMATS.values()):
                start = first + timedelta(minutes=10 * index)
                upload(api, token, demo.hourly_id, start, encode_image(frame, shot_format))
        yield running, demo.hourly_id, first.date().isoformat()


def pixel(context: BrowserContext, selector: str, x: int, y: int) -> list[int]:
    """The colour the browser decoded at (x, y) of the image, read back through a canvas."""
    page = context.pages[-1]
    colour: list[int] = page.evaluate(
        """([selector, x, y]) => {
            const img = document.querySelector(selector);
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const ctx = canvas.getContext('2d');
            ctx.drawImage(img, 0, 0);
            return Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
        }""",
        [selector, x, y],
    )
    return colour


def near(actual: list[int], wanted: tuple[int, int, int]) -> bool:
    return all(abs(a - w) <= 12 for a, w in zip(actual, wanted, strict=True))


def test_avif_and_webp_shots_show_as_thumbnails_and_full_shots(
    server: tuple[RunningServer, int, str], browser: Browser
) -> None:
    running, contract, day = server
    context = browser.new_context(timezone_id=VIEWER_ZONE, locale="en-US")
    try:
        page = sign_in(context, running.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
        page.goto(f"{running.base_url}/web/contracts/{contract}/diary?day={day}")
        expect(page.locator(".slot img")).to_have_count(len(FORMATS))
        wait_for_images(page)  # every thumbnail decoded
        for time, shot_format in FORMATS.items():
            page.locator(f'.slot[data-slot-time="{time}"] a.thumb').click()
            full = page.get_by_role("img", name=re.compile(f"Full screenshot at {time}"))
            expect(full).to_be_visible()
            with page.expect_response(re.compile(r"/image$")) as answer:
                page.reload()
            assert answer.value.headers["content-type"] == shot_format.media_type
            wait_for_images(page)
            assert page.evaluate("img => img.naturalWidth", full.element_handle()) == 960
            image = "img[alt^='Full screenshot']"
            assert near(pixel(context, image, 100, 270), LEFT), time
            assert near(pixel(context, image, 860, 270), RIGHT), time
            page.go_back()
    finally:
        context.close()
