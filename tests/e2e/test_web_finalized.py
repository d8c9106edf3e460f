"""After finalization: the diary and invoice are read-only, a late dispute is refused,
and the freelancer's earnings move from pending to available on the announced date.

A server of its own (module scope), because these tests move its clock past the review
window that the other companion-view tests need.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from billing.domain.weeks import WeekTimeline, week_start
from tests.e2e import seed
from tests.e2e.conftest import VIEWER_ZONE, sign_in
from tests.support.browser import accessibility_problems, save_screenshot
from tests.support.server import RunningServer, running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def finalized(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, int, WeekTimeline]]:
    """Six slots in last week, the jobs run to just after finalization."""
    data_dir: Path = tmp_path_factory.mktemp("web-finalized")
    this_week = week_start(datetime.now(UTC))
    week = WeekTimeline(this_week - timedelta(days=7))
    sync_time = week.start + timedelta(days=2, hours=12)
    with running_server(data_dir, now=week.start) as server:  # contracts before the slots
        demo = seed.create_demo(server)
        server.set_now(sync_time)
        rng = random.Random(5)
        with httpx.Client(base_url=server.base_url, timeout=30) as api:
            token = seed.api_token(api, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
            for index in range(6):
                start = week.start + timedelta(days=2, hours=9, minutes=10 * index)
                seed.upload_slot(
                    api, token, demo.hourly_id, start, now=sync_time, rng=rng, memo="API work"
                )
        after = week.finalize_at + timedelta(minutes=5)
        report = server.run_jobs(after)
        assert report["finalized"] == 1, report
        server.set_now(after)
        yield server, demo.hourly_id, week


def test_a_finalized_week_is_read_only(
    finalized: tuple[RunningServer, int, WeekTimeline], context: BrowserContext
) -> None:
    server, contract_id, week = finalized
    page = sign_in(context, server.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    day = (week.start + timedelta(days=2)).date().isoformat()
    page.goto(f"{server.base_url}/web/contracts/{contract_id}/diary?day={day}")
    expect(page.locator(".slot[data-slot-id]")).to_have_count(6)
    expect(page.get_by_text(re.compile(r"Invoice #\d+ — read-only"))).to_be_visible()
    expect(page.locator(".slot input[type=checkbox]")).to_have_count(0)
    expect(page.get_by_role("button", name="Dispute selected slots")).to_have_count(0)

    # forging the dispute form with a valid CSRF token still meets the rule: 409
    token = page.locator('form[action$="/cap"] input[name=csrf_token]').input_value()
    slot_id = page.locator(".slot[data-slot-id]").first.get_attribute("data-slot-id")
    assert slot_id is not None
    answer = context.request.post(
        f"{server.base_url}/web/contracts/{contract_id}/disputes",
        form={"csrf_token": token, "slot": slot_id, "reason": "too late"},
    )
    assert answer.status == 409
    assert "review of this week ended" in answer.text()

    page.get_by_role("link", name="Open invoice").click()
    expect(page.get_by_test_id("invoice-title")).to_contain_text(re.compile(r"Invoice #\d+"))
    expect(
        page.get_by_text("Finalized and charged. This invoice can no longer change.")
    ).to_be_visible()
    expect(page.get_by_test_id("invoice-total")).to_contain_text("40.00")  # 60 min at 40.00/h
    assert accessibility_problems(page) == []
    save_screenshot(page, "invoice-finalized")


def test_earnings_become_available_on_the_announced_date(
    finalized: tuple[RunningServer, int, WeekTimeline], context: BrowserContext
) -> None:
    server, _contract_id, week = finalized
    page = sign_in(context, server.base_url, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
    page.get_by_role("link", name="Earnings").click()
    expect(page.get_by_test_id("pending-USD")).to_contain_text("40.00")
    expect(page.get_by_test_id("available-USD")).to_contain_text("0.00")
    announced = week.available_at.astimezone(ZoneInfo(VIEWER_ZONE))
    expect(page.locator("table").first).to_contain_text(announced.strftime("%a %d %b %Y"))
    assert accessibility_problems(page) == []

    report = server.run_jobs(week.available_at)
    assert report["released"] == 1, report
    page.reload()
    expect(page.get_by_test_id("pending-USD")).to_contain_text("0.00")
    expect(page.get_by_test_id("available-USD")).to_contain_text("40.00")
    save_screenshot(page, "earnings")
