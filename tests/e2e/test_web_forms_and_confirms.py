"""The companion view in the system Chromium: refused forms come back with what was
typed, money and cap changes are confirmed with the amount named, tracking settings
reach the tray app's contract refresh, the milestone additions, earnings' schedule and
the zone picker. Each test works on contracts of its own (made once for the module), so
the demo contracts the other tests read stay as they were."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import keyring.backends.fail
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from billing import cli
from billing.web.formatting import calendar_date_text, datetime_text
from sync.credentials import CredentialStore
from sync.service import SyncService
from tests.e2e import seed
from tests.e2e.conftest import VIEWER_ZONE, Scenario, sign_in
from tests.support.browser import accessibility_problems, save_screenshot
from tracker.clock import ManualClock
from tracker.store import Store

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Own:
    hourly_id: int
    fixed_id: int
    disputed_id: int


@pytest.fixture(scope="module")
def own(scenario: Scenario) -> Own:
    def create(*args: str) -> int:
        # the server's own command, run in this process: a subprocess per contract costs
        # a Python start-up each on a loaded machine
        common = ("--client", seed.DEMO_CLIENT, "--freelancer", seed.DEMO_FREELANCER)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = cli.main(
                ["create-contract", *common, *args, "--data-dir", str(scenario.server.data_dir)]
            )
        assert code == 0
        return int(json.loads(printed.getvalue())["id"])

    hourly = create("--title", "Support retainer", "--rate", "50.00", "--cap-hours", "40")
    fixed = create("--title", "Brand kit", "--kind", "fixed")
    disputed = create("--title", "Icon set", "--kind", "fixed")
    return Own(hourly, fixed, disputed)


@pytest.fixture
def freelancer_context(browser: Browser) -> Iterator[BrowserContext]:
    other = browser.new_context(
        viewport={"width": 1360, "height": 900}, timezone_id=VIEWER_ZONE, locale="en-US"
    )
    try:
        yield other
    finally:
        other.close()


def _caps(scenario: Scenario, contract_id: int) -> tuple[int | None, int | None]:
    with scenario.api() as api:
        mine = api.get(
            "/api/v1/me/contracts",
            headers={"Authorization": f"Bearer {scenario.freelancer_token}"},
        ).json()
    found = next(c for c in mine if c["id"] == contract_id)
    return found["weekly_cap_minutes"], found["next_week_cap_minutes"]


def _post_status(page: Page, click: object) -> int:
    """Click (``click()``) and return the status of the form post it sends."""
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        click()  # type: ignore[operator]
    return answer.value.status


def test_cap_changes_are_previewed_and_removing_then_reentering_is_a_cut(
    scenario: Scenario, own: Own, context: BrowserContext
) -> None:
    page = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    page.goto(f"{scenario.base_url}/web/contracts/{own.hourly_id}/diary")
    cap = page.get_by_label("Hours per week")
    save = page.get_by_role("button", name="Save cap")

    cap.fill("abc")
    assert _post_status(page, save.click) == 422
    expect(page.get_by_test_id("form-error")).to_have_text("Weekly cap: whole hours, 1 to 168.")
    expect(page.get_by_label("Hours per week")).to_have_value("abc")
    save_screenshot(page, "form-error-cap")

    page.get_by_label("Hours per week").fill("")
    page.get_by_role("button", name="Save cap").click()
    lines = page.get_by_test_id("confirm-lines")
    expect(lines).to_contain_text("Removing the cap is a raise: it applies to this week at once.")
    expect(lines).to_contain_text("billable at 50.00 USD per hour")
    expect(lines).to_contain_text("Setting a cap again later counts as a cut")
    assert accessibility_problems(page) == []
    save_screenshot(page, "cap-remove-confirm")
    assert _caps(scenario, own.hourly_id) == (40 * 60, 40 * 60)  # nothing saved yet
    page.get_by_role("button", name="Yes, remove the cap").click()
    expect(page.get_by_role("status")).to_contain_text("No weekly cap, in force now")
    assert _caps(scenario, own.hourly_id) == (None, None)

    # entering 40 again is a cut (DOMAIN.md): this week stays uncapped, and it says so
    page.get_by_label("Hours per week").fill("40")
    page.get_by_role("button", name="Save cap").click()
    next_monday = calendar_date_text((scenario.this_week + timedelta(days=7)).date())
    expect(lines).to_contain_text("This is a cut: this week keeps no cap")
    expect(lines).to_contain_text(f"40 h applies from the week starting {next_monday}")
    expect(lines).to_contain_text("Putting a cap on an uncapped contract counts as a cut.")
    save_screenshot(page, "cap-cut-confirm")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_label("Hours per week")).to_have_value("")
    assert _caps(scenario, own.hourly_id) == (None, None)

    page.get_by_label("Hours per week").fill("40")
    page.get_by_role("button", name="Save cap").click()
    page.get_by_role("button", name=f"Yes, 40 h from {next_monday}").click()
    expect(page.get_by_role("status")).to_contain_text(f"from the week starting {next_monday}")
    assert _caps(scenario, own.hourly_id) == (None, 40 * 60)


def test_tracking_settings_reach_the_tray_apps_contract_refresh(
    scenario: Scenario, own: Own, context: BrowserContext, tmp_path: Path
) -> None:
    page = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    page.goto(f"{scenario.base_url}/web/contracts/{own.hourly_id}/diary")
    page.get_by_label("Take screenshots").uncheck()
    page.get_by_label("Allow blurring screenshots").check()
    page.get_by_label("Allow manual time (billed, marked not protected)").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Settings saved: screenshots off, blurred screenshots on, manual time on."
    )
    expect(page.get_by_label("Take screenshots")).not_to_be_checked()
    save_screenshot(page, "tracking-settings")

    credentials = CredentialStore(keyring.backends.fail.Keyring(), tmp_path / "config")
    with Store(tmp_path / "tracker") as store:
        app = SyncService(
            store, scenario.base_url, clock=ManualClock(scenario.now), credentials=credentials
        )
        app.sign_in(seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
        fetched = next(c for c in app.refresh_contracts() if c.id == own.hourly_id)
        assert (fetched.screenshots_enabled, fetched.blur_shots, fetched.manual_time_allowed) == (
            False,
            True,
            True,
        )
        assert store.contract(own.hourly_id) == fetched  # cached for the next start

        page.get_by_label("Take screenshots").check()
        page.get_by_label("Allow manual time (billed, marked not protected)").uncheck()
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_role("status")).to_contain_text("screenshots on")
        again = next(c for c in app.refresh_contracts() if c.id == own.hourly_id)
        assert (again.screenshots_enabled, again.manual_time_allowed) == (True, False)


def test_refused_forms_come_back_inline_with_what_was_typed(
    scenario: Scenario, own: Own, context: BrowserContext
) -> None:
    page = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    page.goto(f"{scenario.base_url}/web/contracts/{own.fixed_id}/milestones")
    page.get_by_label("Title", exact=True).fill("Logo")
    page.get_by_label("Description").first.fill("Three variants, vector files")
    page.get_by_label("Amount (USD)").fill("abc")
    assert _post_status(page, page.get_by_role("button", name="Add milestone").click) == 422
    expect(page.get_by_test_id("form-error")).to_contain_text(
        "Amount: enter an amount like 250.00."
    )
    expect(page.get_by_role("heading", name="Brand kit")).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Logo")
    expect(page.get_by_label("Description").first).to_have_value("Three variants, vector files")
    expect(page.get_by_label("Amount (USD)")).to_have_value("abc")
    assert accessibility_problems(page) == []
    save_screenshot(page, "form-error-milestone")

    # a dispute with no slot ticked: the reason stays, the message says what is missing
    day = scenario.review_day_local.isoformat()
    page.goto(f"{scenario.base_url}/web/contracts/{scenario.demo.hourly_id}/diary?day={day}")
    page.get_by_label("Dispute: tick the slots below, then say why").fill("Weekend work")
    status = _post_status(page, page.get_by_role("button", name="Dispute selected slots").click)
    assert status == 422
    expect(page.get_by_test_id("form-error")).to_have_text("Tick at least one slot to dispute.")
    expect(page.get_by_label("Dispute: tick the slots below, then say why")).to_have_value(
        "Weekend work"
    )
    assert "(s)" not in page.inner_text("main")
    save_screenshot(page, "form-error-dispute")


def _submit_as_freelancer(context: BrowserContext, url: str, message: str) -> None:
    page = sign_in(context, url.split("/web/")[0], seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
    page.goto(url)
    page.get_by_label("Message to the client").fill(message)
    page.get_by_role("button", name="Submit work").click()
    expect(page.get_by_role("status")).to_contain_text("submitted to the client")
    page.close()


def _the_release_shows_when_it_becomes_available(
    scenario: Scenario, freelancer_context: BrowserContext
) -> None:
    """The released 250.00 + 25.00: pending for the 5-day security period."""
    freelancer = freelancer_context.new_page()  # signed in when the work was submitted
    freelancer.goto(f"{scenario.base_url}/web/earnings")
    available_on = (scenario.now + timedelta(days=5)).astimezone(ZoneInfo(VIEWER_ZONE)).date()
    expect(freelancer.get_by_test_id("availability-schedule")).to_contain_text(
        calendar_date_text(available_on)
    )
    save_screenshot(freelancer, "earnings-schedule")


def _plan_two_milestones_and_clear_a_due_date(client: Page) -> None:
    for title, amount, due in (("Logo", "250", ""), ("Colours", "120.50", "2026-12-31")):
        client.get_by_label("Title", exact=True).fill(title)
        client.get_by_label("Amount (USD)").fill(amount)
        client.get_by_label("Due date").fill(due)
        client.get_by_role("button", name="Add milestone").click()
        expect(client.get_by_role("status")).to_contain_text(f"Milestone “{title}” added")
    colours = client.locator("article.milestone").filter(has_text="Colours")
    expect(colours).to_contain_text("Due Thu 31 Dec 2026")
    colours.get_by_text("Edit milestone 2").click()
    colours.get_by_label("No due date").check()
    colours.get_by_role("button", name="Save changes").click()
    expect(client.get_by_role("status")).to_contain_text("Milestone 2 updated.")
    expect(colours).not_to_contain_text("Due Thu 31 Dec 2026")


def test_money_moves_only_after_a_confirm_that_names_the_amount(
    scenario: Scenario, own: Own, context: BrowserContext, freelancer_context: BrowserContext
) -> None:
    url = f"{scenario.base_url}/web/contracts/{own.fixed_id}/milestones"
    client = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    client.goto(url)
    _plan_two_milestones_and_clear_a_due_date(client)
    escrow_before = client.get_by_test_id("escrow-balance").inner_text()
    client.get_by_role("button", name="Activate & fund 250.00 USD").click()
    expect(client.get_by_test_id("confirm-lines")).to_contain_text(
        "250.00 USD moves from your funds into escrow for “Logo”."
    )
    save_screenshot(client, "confirm-activate")
    client.get_by_role("link", name="Cancel").click()
    expect(client.get_by_test_id("escrow-balance")).to_have_text(escrow_before)
    expect(client.get_by_test_id("state-1")).to_have_text("planned")
    client.get_by_role("button", name="Activate & fund 250.00 USD").click()
    client.get_by_role("button", name="Yes, fund 250.00 USD").click()
    expect(client.get_by_test_id("state-1")).to_have_text("active")

    _submit_as_freelancer(freelancer_context, url, "Logo files attached.")
    client.reload()
    automatic = datetime_text(scenario.now + timedelta(days=14), ZoneInfo(VIEWER_ZONE))
    expect(client.get_by_test_id("auto-approval-1")).to_have_text(
        f"approved automatically on {automatic} unless the client acts first"
    )
    client.get_by_label("Bonus (USD, optional)").fill("25")
    client.get_by_role("button", name="Approve & pay").click()
    lines = client.get_by_test_id("confirm-lines")
    expect(lines).to_contain_text("250.00 USD is released from escrow to the freelancer.")
    expect(lines).to_contain_text("A bonus of 25.00 USD is paid from your funds")
    expect(lines).to_contain_text("The freelancer receives 275.00 USD in total.")
    save_screenshot(client, "confirm-approve")
    client.get_by_role("button", name="Yes, pay 275.00 USD").click()
    expect(client.get_by_role("status")).to_contain_text("approved and paid plus a bonus")

    client.get_by_role("button", name="Activate & fund 120.50 USD").click()
    client.get_by_role("button", name="Yes, fund 120.50 USD").click()
    client.get_by_text("End this contract").click()
    client.get_by_role("button", name="End contract").click()
    expect(client.get_by_test_id("confirm-lines")).to_contain_text(
        "120.50 USD left in escrow is refunded to you."
    )
    save_screenshot(client, "confirm-end")
    client.get_by_role("link", name="Cancel").click()
    expect(client.get_by_test_id("escrow-balance")).to_contain_text("120.50")

    _the_release_shows_when_it_becomes_available(scenario, freelancer_context)


def test_escrow_dispute_thread_and_a_withdrawn_request(
    scenario: Scenario, own: Own, context: BrowserContext, freelancer_context: BrowserContext
) -> None:
    freelancer = sign_in(
        freelancer_context, scenario.base_url, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD
    )
    freelancer.goto(f"{scenario.base_url}/web/contracts/{own.hourly_id}/milestones")
    freelancer.get_by_label("Amount (USD)").fill("12O")  # a letter O, not a zero
    freelancer.get_by_label("What it is for").fill("Server migration weekend")
    freelancer.get_by_role("button", name="Send request").click()
    expect(freelancer.get_by_test_id("form-error")).to_contain_text("Amount: enter an amount")
    expect(freelancer.get_by_label("What it is for")).to_have_value("Server migration weekend")
    freelancer.get_by_label("Amount (USD)").fill("120")
    freelancer.get_by_role("button", name="Send request").click()
    expect(freelancer.get_by_role("status")).to_contain_text("requested from the client")
    freelancer.get_by_role("button", name="Withdraw request #1").click()
    expect(freelancer.get_by_role("status")).to_contain_text("Request 1 withdrawn")
    expect(freelancer.locator("table").filter(has_text="Server migration")).to_contain_text(
        "withdrawn"
    )
    expect(freelancer.get_by_role("button", name="Withdraw request #1")).to_have_count(0)

    url = f"{scenario.base_url}/web/contracts/{own.disputed_id}/milestones"
    client = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    client.goto(url)
    client.get_by_label("Title", exact=True).fill("Palette")
    client.get_by_label("Amount (USD)").fill("80")
    client.get_by_role("button", name="Add milestone").click()
    client.get_by_role("button", name="Activate & fund 80.00 USD").click()
    client.get_by_role("button", name="Yes, fund 80.00 USD").click()
    palette = client.locator("article.milestone").filter(has_text="Palette")
    palette.get_by_text("Dispute the escrow").click()
    palette.get_by_label("Reason").fill("The palette was never delivered.")
    palette.get_by_role("button", name="Open escrow dispute").click()
    expect(client.get_by_role("status")).to_contain_text("is disputed")
    thread = client.locator("[data-escrow-dispute]").first
    thread.get_by_label("Add a message").fill("Can you send the palette file?")
    thread.get_by_role("button", name="Add message").click()
    expect(client.get_by_role("status")).to_contain_text("Message added to escrow dispute 1.")

    freelancer.goto(url)
    mine = freelancer.locator("[data-escrow-dispute]").first
    expect(mine).to_contain_text("Can you send the palette file?")
    mine.get_by_label("Add a message").fill("Sent on Monday; attaching it again.")
    mine.get_by_role("button", name="Add message").click()
    expect(freelancer.get_by_test_id("escrow-thread-1")).to_contain_text("attaching it again")
    client.reload()
    expect(client.get_by_test_id("escrow-thread-1")).to_contain_text(
        "Sent on Monday; attaching it again."
    )
    assert accessibility_problems(client) == []
    save_screenshot(client, "escrow-thread")


def test_time_zone_picker_offers_common_zones_first_and_searches_all(
    scenario: Scenario, context: BrowserContext
) -> None:
    page = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    picker = page.get_by_label("Time zone")
    expect(picker).to_have_value(VIEWER_ZONE)
    offered = page.eval_on_selector_all(
        "#tz-zones option", "options => options.map(o => [o.value, o.textContent])"
    )
    assert len(offered) > 300  # every zone can be searched …
    first = [value for value, _ in offered[:5]]
    assert first == ["UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", VIEWER_ZONE]
    assert dict(offered)["America/New_York"].endswith("· New York")
    picker.fill("Asia/Tokyo")
    page.get_by_role("button", name="Use").click()
    expect(page.get_by_test_id("shown-zone")).to_have_text("Times shown in Asia/Tokyo")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    assert accessibility_problems(page) == []
    save_screenshot(page, "zone-picker")
