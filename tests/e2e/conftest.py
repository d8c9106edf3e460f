"""Fixtures of the companion-view tests: one system Chromium and one real server per
session (per xdist worker), with the demo data and a week of slots already in review.

Timeline (UTC), from ``this_week`` = the Monday of the real current week (the demo
contract's 40 h cap is in force from there):

- the freelancer syncs slots on the previous week's Tuesday, 14:00–17:10, through the
  JSON API (with shots), as the tracker would;
- the jobs run at this week's Tuesday 13:00: the previous week is closed, locked and
  issued for review; the server's clock stays there, so the client is in the review
  window and the current week is still open for deletions.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from billing.domain.weeks import week_start
from tests.e2e import seed
from tests.support.browser import system_chromium
from tests.support.server import RunningServer, running_server

VIEWER_ZONE = "America/New_York"  # UTC-5 in November: 14:00 UTC shows as 09:00
STRANGER = ("stranger@demo.test", "stranger-pw")
ADMIN = ("admin@demo.test", "admin-pw")
REVIEW_SLOTS = 20  # previous Tuesday 14:00 … 17:10 UTC
CLOCK_JUMP_SLOT = 2  # 14:20 UTC (09:20 for the viewer): the tracker's clock jumped in it
HOSTILE_MEMO = 'Fix <script>alert("memo")</script> & <b>escape</b>'


@dataclass
class Scenario:
    server: RunningServer
    demo: seed.Demo
    this_week: datetime
    now: datetime
    review_slot_starts: list[datetime]
    review_day_local: date
    freelancer_token: str
    client_token: str

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url, timeout=30)


# The suite shares two cores with other test processes: give assertions room (they
# return as soon as the condition holds, so passing runs are not slower).
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with system_chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    data_dir: Path = tmp_path_factory.mktemp("web-server")
    this_week = week_start(datetime.now(UTC))
    sync_time = this_week - timedelta(days=6) + timedelta(hours=18)  # previous Tuesday 18:00
    first = this_week - timedelta(days=6) + timedelta(hours=14)
    # the contracts exist from before the first slot: a contract takes no earlier time
    with running_server(data_dir, now=first - timedelta(hours=1)) as server:
        demo = seed.create_demo(server)
        seed.create_user(server, *STRANGER, "client", "Sam Stranger")
        seed.create_user(server, *ADMIN, "admin", "Ada Admin")
        server.set_now(sync_time)
        rng = random.Random(20261123)
        starts = [first + timedelta(minutes=10 * index) for index in range(REVIEW_SLOTS)]
        with httpx.Client(base_url=server.base_url, timeout=30) as api:
            freelancer_token = seed.api_token(api, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
            client_token = seed.api_token(api, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
            memos = ["Checkout flow: payment form", "Code review #412", "Fix flaky upload test"]
            for index, start in enumerate(starts):
                seed.upload_slot(
                    api,
                    freelancer_token,
                    demo.hourly_id,
                    start,
                    now=sync_time,
                    rng=rng,
                    # the last memo carries markup: the page must show it as text
                    memo=HOSTILE_MEMO
                    if index == REVIEW_SLOTS - 1
                    else memos[index * len(memos) // REVIEW_SLOTS],
                    active=rng.randrange(4, 11),
                    with_shot=index != 5,
                    clock_jump=index == CLOCK_JUMP_SLOT,
                )
        review_time = this_week + timedelta(days=1, hours=13)
        report = server.run_jobs(review_time)
        assert report["closed"] == 1 and report["locked"] == 1, report
        server.set_now(review_time)
        yield Scenario(
            server=server,
            demo=demo,
            this_week=this_week,
            now=review_time,
            review_slot_starts=starts,
            review_day_local=(this_week - timedelta(days=6)).date(),
            freelancer_token=freelancer_token,
            client_token=client_token,
        )


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) in the viewer's zone."""
    fresh = browser.new_context(
        viewport={"width": 1360, "height": 900}, timezone_id=VIEWER_ZONE, locale="en-US"
    )
    try:
        yield fresh
    finally:
        fresh.close()


def sign_in(context: BrowserContext, base_url: str, email: str, password: str) -> Page:
    """Sign in through the form; returns the page, now on the contracts page."""
    page = context.new_page()
    page.goto(f"{base_url}/web/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/web/**")
    return page
