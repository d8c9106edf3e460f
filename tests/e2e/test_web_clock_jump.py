"""The companion view's diary marks a slot whose tracker clock jumped, as the local
diary does: a small marker with its reason as tooltip and accessible name, on that
slot only, and the slot billed as any other (a signal, never a penalty)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e import seed
from tests.e2e.conftest import CLOCK_JUMP_SLOT, REVIEW_SLOTS, VIEWER_ZONE, Scenario, sign_in
from tests.support.browser import SCREENS_DIR, accessibility_problems, save_screenshot

pytestmark = pytest.mark.browser

REASON = "the clock jumped during this slot"


def test_the_web_diary_marks_the_slot_whose_clock_jumped(
    scenario: Scenario, context: BrowserContext
) -> None:
    page = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    day = scenario.review_day_local.isoformat()
    page.goto(f"{scenario.base_url}/web/contracts/{scenario.demo.hourly_id}/diary?day={day}")

    flagged = scenario.review_slot_starts[CLOCK_JUMP_SLOT].astimezone(ZoneInfo(VIEWER_ZONE))
    local = f"{flagged:%H:%M}"
    marker = page.get_by_role("img", name=REASON)
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("title", REASON)
    cell = page.locator(f'.slot[data-slot-time="{local}"]')
    expect(cell.get_by_test_id("clock-jump")).to_be_visible()
    expect(cell).to_contain_text("10m")  # billed as tracked
    expect(page.locator(".slot[data-slot-id]")).to_have_count(REVIEW_SLOTS)
    assert accessibility_problems(page) == []

    save_screenshot(page, "diary-clock-jump")
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    page.locator(".hour-row").first.screenshot(path=str(SCREENS_DIR / "web-clock-jump-hour.png"))
