"""The companion view in the system Chromium: the client's review of an hourly week.

Everything goes through the real server over loopback: the slots were synced through
the JSON API (conftest), the pages are driven in Chromium, and the effects are checked
through the JSON API the tracker uses.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from tests.e2e import seed
from tests.e2e.conftest import ADMIN, HOSTILE_MEMO, STRANGER, VIEWER_ZONE, Scenario, sign_in
from tests.support.browser import accessibility_problems, save_screenshot, wait_for_images

pytestmark = pytest.mark.browser


def _diary_url(scenario: Scenario) -> str:
    day = scenario.review_day_local.isoformat()
    return f"{scenario.base_url}/web/contracts/{scenario.demo.hourly_id}/diary?day={day}"


def _assert_accessible(page: Page) -> None:
    assert accessibility_problems(page) == []


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _money(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


def _invoice_total_cents(scenario: Scenario) -> int:
    """The reviewed week's invoice total, read through the JSON API."""
    with scenario.api() as api:
        invoices = api.get(
            f"/api/v1/contracts/{scenario.demo.hourly_id}/invoices",
            headers=_bearer(scenario.client_token),
        ).json()
    (invoice,) = invoices
    assert invoice["status"] == "issued"
    total: int = invoice["total_cents"]
    return total


def _open_the_diary_as_the_client(scenario: Scenario, context: BrowserContext) -> Page:
    """From the contracts page through the hourly contract to the reviewed day."""
    page = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Contracts")).to_be_visible()
    _assert_accessible(page)
    page.get_by_role("link", name="Demo hourly contract").click()
    expect(page.get_by_role("heading", name="Demo hourly contract")).to_be_visible()
    page.goto(_diary_url(scenario))
    return page


def _the_synced_day_is_shown(page: Page, scenario: Scenario) -> int:
    """Returns the invoice total before the dispute, as the page shows it."""
    # the 20 synced slots, at the viewer's local times (UTC-5): 14:00 UTC shows as 09:00
    slots = page.locator(".slot[data-slot-id]")
    expect(slots).to_have_count(20)
    expect(page.locator(".hour-label").first).to_contain_text("09:00")
    expect(page.locator('.slot[data-slot-time="09:50"]')).to_contain_text("no shot")
    expect(page.locator(".slot img")).to_have_count(19)
    wait_for_images(page)
    expect(page.get_by_test_id("day-tracked")).to_have_text("3:20 h")
    # a memo with markup is shown as text, never run
    expect(page.locator('.slot[data-slot-time="12:10"] .memo')).to_have_text(HOSTILE_MEMO)
    assert page.locator(".memo script, .memo b").count() == 0
    # 20 slots × 10 min at 40.00/h = 133.33 (less any slots another test disputed)
    total_before = _invoice_total_cents(scenario)
    expect(page.get_by_test_id("review-total")).to_contain_text(_money(total_before))
    _assert_accessible(page)
    save_screenshot(page, "diary-before-dispute")
    return total_before


def _a_thumbnail_opens_the_full_shot(page: Page) -> None:
    page.locator('.slot[data-slot-time="09:00"] a.thumb').click()
    full = page.get_by_role("img", name=re.compile("Full screenshot at 09:00"))
    expect(full).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", full.element_handle()) == 960
    _assert_accessible(page)
    page.go_back()


def _dispute_the_slots_at_10_00_and_10_10(page: Page, total_before: int) -> int:
    """Returns the invoice total the page shows after the dispute."""
    for time in ("10:00", "10:10"):
        page.locator(f'.slot[data-slot-time="{time}"] input[type=checkbox]').check()
    page.get_by_label(re.compile("Dispute: tick the slots")).fill(
        "The shots at 10:00 and 10:10 show another client's project."
    )
    page.get_by_role("button", name="Dispute selected slots").click()

    expect(page.get_by_role("status")).to_contain_text("Disputed 2 slots, 20 min")
    # 20 minutes at 40.00/h = 13.33 out of the draft
    total_after = total_before - 1333
    expect(page.get_by_test_id("review-total")).to_contain_text(_money(total_after))
    for time in ("10:00", "10:10"):
        cell = page.locator(f'.slot[data-slot-time="{time}"]')
        expect(cell).to_have_class(re.compile(r"\bdisputed\b"))
        expect(cell.locator("input[type=checkbox]")).to_have_count(0)
    wait_for_images(page)
    save_screenshot(page, "diary")
    return total_after


def _the_invoice_without_the_disputed_minutes(
    page: Page, scenario: Scenario, total_after: int
) -> None:
    """On the invoice page, through the JSON API, in the CSV and on the printable page."""
    page.get_by_role("link", name="Open invoice").click()
    expect(page.get_by_test_id("invoice-total")).to_contain_text(_money(total_after))
    expect(page.get_by_text("The shots at 10:00 and 10:10")).to_be_visible()
    _assert_accessible(page)
    save_screenshot(page, "invoice")

    # the same draft through the JSON API: the disputed 20 minutes are out
    assert _invoice_total_cents(scenario) == total_after

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    csv_text = download_info.value.path().read_text()
    assert f"total_cents,{total_after}" in csv_text

    page.get_by_role("link", name="Printable page").click()
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    save_screenshot(page, "invoice-print")


def test_client_reviews_the_diary_disputes_two_slots_and_the_draft_drops_them(
    scenario: Scenario, context: BrowserContext
) -> None:
    page = _open_the_diary_as_the_client(scenario, context)
    total_before = _the_synced_day_is_shown(page, scenario)
    _a_thumbnail_opens_the_full_shot(page)
    total_after = _dispute_the_slots_at_10_00_and_10_10(page, total_before)
    _the_invoice_without_the_disputed_minutes(page, scenario, total_after)


def test_cap_change_reaches_the_freelancers_next_contract_fetch(
    scenario: Scenario, context: BrowserContext
) -> None:
    page = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    page.goto(_diary_url(scenario))
    page.get_by_label("Hours per week").fill("45")
    page.get_by_role("button", name="Save cap").click()
    page.get_by_role("button", name="Yes, 45 h from now").click()
    expect(page.get_by_role("status")).to_contain_text("Weekly cap 45 h, in force now")

    with scenario.api() as api:
        mine = api.get("/api/v1/me/contracts", headers=_bearer(scenario.freelancer_token)).json()
    hourly = next(c for c in mine if c["id"] == scenario.demo.hourly_id)
    assert hourly["weekly_cap_minutes"] == 45 * 60

    # a cut waits for next week: hours already worked are never taken back
    page.get_by_label("Hours per week").fill("20")
    page.get_by_role("button", name="Save cap").click()
    page.get_by_role("button", name="Yes, 20 h from").click()
    expect(page.get_by_role("status")).to_contain_text("Weekly cap 20 h, from the week starting")
    with scenario.api() as api:
        mine = api.get("/api/v1/me/contracts", headers=_bearer(scenario.freelancer_token)).json()
    hourly = next(c for c in mine if c["id"] == scenario.demo.hourly_id)
    assert (hourly["weekly_cap_minutes"], hourly["next_week_cap_minutes"]) == (45 * 60, 20 * 60)


def test_a_stranger_gets_404_for_the_diary_and_every_shot_url(
    scenario: Scenario, browser: Browser, context: BrowserContext
) -> None:
    contract_id = scenario.demo.hourly_id
    with scenario.api() as api:
        diary = api.get(
            f"/api/v1/contracts/{contract_id}/diary",
            params={"week": scenario.review_day_local.isoformat()},
            headers=_bearer(scenario.client_token),
        ).json()
    assert diary["slots"], "the scenario synced slots"

    page = sign_in(context, scenario.base_url, *STRANGER)
    expect(page.get_by_text("No contracts yet.")).to_be_visible()
    response = page.goto(_diary_url(scenario))
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    # the real slot ids are small integers: guessable, so each request is authorized
    client_page = sign_in(
        browser.new_context(), scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD
    )
    client_page.goto(_diary_url(scenario))
    slot_id = client_page.locator(".slot[data-slot-id]").first.get_attribute("data-slot-id")
    client_page.context.close()
    for suffix in ("", "/thumb", "/image"):
        url = f"{scenario.base_url}/web/contracts/{contract_id}/shots/{slot_id}{suffix}"
        assert context.request.get(url).status == 404, url
    # every other page of the contract is just as absent for them
    for path in ("invoices/1", "invoices/1/csv", "invoices/1/print", "milestones"):
        url = f"{scenario.base_url}/web/contracts/{contract_id}/{path}"
        assert context.request.get(url).status == 404, url
    fixed_plan = f"{scenario.base_url}/web/contracts/{scenario.demo.fixed_id}/milestones"
    assert context.request.get(fixed_plan).status == 404
    # signed out, the same URLs only lead to the sign-in page
    anonymous = browser.new_context()
    try:
        url = f"{scenario.base_url}/web/contracts/{contract_id}/shots/{slot_id}/image"
        answer = anonymous.request.get(url, max_redirects=0)
        assert answer.status == 303
        assert answer.headers["location"].startswith("/web/sign-in")
    finally:
        anonymous.close()


def test_forms_without_the_csrf_token_are_refused(
    scenario: Scenario, context: BrowserContext
) -> None:
    page = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    page.goto(_diary_url(scenario))
    cap_url = f"{scenario.base_url}/web/contracts/{scenario.demo.hourly_id}/cap"
    token = page.locator('form[action$="/cap"] input[name=csrf_token]').input_value()
    assert token

    missing = context.request.post(cap_url, form={"cap_hours": "7"})
    forged = context.request.post(cap_url, form={"cap_hours": "7", "csrf_token": token[:-2] + "xx"})
    assert (missing.status, forged.status) == (403, 403)
    assert "CSRF" in missing.text()

    # the signed-in session's own token works, and proves the refusals changed nothing
    with scenario.api() as api:
        before = api.get(
            f"/api/v1/contracts/{scenario.demo.hourly_id}", headers=_bearer(scenario.client_token)
        ).json()
    assert before["next_week_cap_minutes"] != 7 * 60
    # a sign-out form without the token does not sign out either
    assert context.request.post(f"{scenario.base_url}/web/sign-out", form={}).status == 403
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_signing_out_revokes_the_session(scenario: Scenario, context: BrowserContext) -> None:
    page = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    cookie = next(c for c in context.cookies() if c["name"] == "wd_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    # replaying the old cookie does not bring the session back
    context.add_cookies([cookie])
    page.goto(_diary_url(scenario))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_wrong_password_is_refused_with_a_message(
    scenario: Scenario, context: BrowserContext
) -> None:
    page = context.new_page()
    page.goto(f"{scenario.base_url}/web/sign-in")
    page.get_by_label("Email").fill(seed.DEMO_CLIENT)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong e-mail or password")
    _assert_accessible(page)


def test_freelancer_answers_and_the_admin_resolves(
    scenario: Scenario, browser: Browser, context: BrowserContext
) -> None:
    contract_id = scenario.demo.hourly_id
    with scenario.api() as api:
        opened = api.post(
            f"/api/v1/contracts/{contract_id}/disputes",
            json={
                "slot_starts": [s.isoformat() for s in scenario.review_slot_starts[14:16]],
                "reason": "Idle screen in both shots.",
            },
            headers=_bearer(scenario.client_token),
        )
    assert opened.status_code == 201, opened.text
    dispute_id = opened.json()["id"]

    freelancer = sign_in(context, scenario.base_url, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
    freelancer.get_by_role("link", name="Disputes").click()
    freelancer.get_by_role("link", name=f"#{dispute_id}").click()
    expect(freelancer.get_by_text("Idle screen in both shots.")).to_be_visible()
    freelancer.get_by_label("Your answer").fill("I was reading the spec; see the memo.")
    freelancer.get_by_role("button", name="Send").click()
    expect(freelancer.get_by_role("status")).to_contain_text("Message added")
    _assert_accessible(freelancer)
    # the reviewed week is locked: the freelancer's diary is read-only there
    freelancer.goto(_diary_url(scenario))
    expect(freelancer.locator(".slot input[type=checkbox]")).to_have_count(0)

    admin_context = browser.new_context()
    try:
        admin = sign_in(admin_context, scenario.base_url, *ADMIN)
        expect(admin.get_by_role("heading", name="Disputes", exact=True)).to_be_visible()
        row = admin.locator(f'tr[data-dispute-id="{dispute_id}"]')
        row.get_by_role("button", name="Take").click()
        expect(admin.get_by_text("I was reading the spec; see the memo.")).to_be_visible()
        expect(admin.get_by_text("Idle screen in both shots.")).to_be_visible()
        _assert_accessible(admin)
        admin.get_by_role("radio", name="Not paid").check()
        admin.get_by_label("Note to both sides").fill("Shots show no work on the contract.")
        admin.get_by_role("button", name="Record decision").click()
        expect(admin.get_by_role("status")).to_contain_text("resolved: not paid")
    finally:
        admin_context.close()
    with scenario.api() as api:
        record = api.get(
            f"/api/v1/contracts/{contract_id}/disputes/{dispute_id}",
            headers=_bearer(scenario.freelancer_token),
        ).json()
    assert record["status"] == "not_paid"
    assert [m["author_role"] for m in record["messages"]] == ["freelancer"]


def test_freelancer_deletes_a_synced_slot_of_the_open_week(
    scenario: Scenario, context: BrowserContext
) -> None:
    contract_id = scenario.demo.hourly_id
    slot_start = scenario.this_week + timedelta(days=1, hours=10)  # this Tuesday, 10:00 UTC
    with scenario.api() as api:
        seed.upload_slot(
            api,
            scenario.freelancer_token,
            contract_id,
            slot_start,
            now=scenario.now,
            rng=random.Random(3),
            memo="Wrong contract, oops",
        )
    page = sign_in(context, scenario.base_url, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
    local_day = slot_start.astimezone(ZoneInfo(VIEWER_ZONE)).date()
    page.goto(f"{scenario.base_url}/web/contracts/{contract_id}/diary?day={local_day}")
    cell = page.locator('.slot[data-slot-time="05:00"]')
    expect(cell).to_contain_text("Wrong contract, oops")
    cell.locator("input[type=checkbox]").check()
    asked: list[str] = []

    def confirm(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.get_by_role("button", name="Delete selected slots").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted 1 slot;")
    expect(page.locator('.slot[data-slot-time="05:00"]')).to_contain_text("deleted")
    assert asked == ["Delete 1 slot? Their screenshots are removed and the time is not billed."]
    with scenario.api() as api:
        diary = api.get(
            f"/api/v1/contracts/{contract_id}/diary",
            params={"day": slot_start.date().isoformat()},
            headers=_bearer(scenario.client_token),
        ).json()
    assert diary["slots"] == []


def test_signing_in_returns_to_the_page_asked_for(
    scenario: Scenario, context: BrowserContext
) -> None:
    page = context.new_page()
    page.goto(_diary_url(scenario))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(seed.DEMO_CLIENT)
    page.get_by_label("Password").fill(seed.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Demo hourly contract")).to_be_visible()
    assert page.url == _diary_url(scenario)
