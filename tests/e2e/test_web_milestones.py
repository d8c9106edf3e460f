"""Fixed-price pages in the system Chromium: approve & pay with a bonus, and a
freelancer's proposal accepted by the client — checked again through the JSON API."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e import seed
from tests.e2e.conftest import ADMIN, Scenario, sign_in
from tests.support.browser import accessibility_problems, save_screenshot

pytestmark = pytest.mark.browser


def _milestones_url(scenario: Scenario) -> str:
    return f"{scenario.base_url}/web/contracts/{scenario.demo.fixed_id}/milestones"


def _milestone(page: Page, title: str):  # type: ignore[no-untyped-def]
    return page.locator("article.milestone").filter(has_text=title)


def _add_milestone(page: Page, title: str, amount: str) -> None:
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Amount (USD)").fill(amount)
    page.get_by_role("button", name="Add milestone").click()
    expect(page.get_by_role("status")).to_contain_text(f"Milestone “{title}” added")


def _pending_usd(scenario: Scenario) -> int:
    with scenario.api() as api:
        balances = api.get(
            "/api/v1/me/balances",
            headers={"Authorization": f"Bearer {scenario.freelancer_token}"},
        ).json()
    return int(next((b["pending_cents"] for b in balances if b["currency"] == "USD"), 0))


def test_client_funds_freelancer_submits_client_approves_with_a_bonus(
    scenario: Scenario, browser: Browser, context: BrowserContext
) -> None:
    pending_before = _pending_usd(scenario)  # other tests pay this freelancer too
    client = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    client.get_by_role("link", name="Demo fixed-price contract").click()
    expect(client.get_by_test_id("escrow-balance")).to_be_visible()
    _add_milestone(client, "Design mockups", "300")
    _add_milestone(client, "Build checkout", "500.00")
    assert accessibility_problems(client) == []

    design = _milestone(client, "Design mockups")
    escrow_before = client.get_by_test_id("escrow-balance").inner_text()
    design.get_by_role("button", name="Activate & fund 300.00 USD").click()
    expect(client.get_by_test_id("confirm-lines")).to_contain_text(
        "300.00 USD moves from your funds into escrow"
    )
    client.get_by_role("button", name="Yes, fund 300.00 USD").click()
    expect(client.get_by_role("status")).to_contain_text("is active and funded")
    expect(design.locator(".pill").first).to_have_text("active")
    assert client.get_by_test_id("escrow-balance").inner_text() != escrow_before

    freelancer_context = browser.new_context()
    try:
        freelancer = sign_in(
            freelancer_context, scenario.base_url, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD
        )
        freelancer.goto(_milestones_url(scenario))
        mine = _milestone(freelancer, "Design mockups")
        mine.get_by_label("Message to the client").fill("Mockups for all five screens attached.")
        mine.get_by_role("button", name="Submit work").click()
        expect(freelancer.get_by_role("status")).to_contain_text("submitted to the client")
        assert accessibility_problems(freelancer) == []
    finally:
        freelancer_context.close()

    client.reload()
    expect(design.locator(".pill").first).to_have_text("submitted")
    expect(design).to_contain_text("Mockups for all five screens attached.")
    design.get_by_label("Bonus (USD, optional)").fill("50")
    design.get_by_role("button", name="Approve & pay").click()
    expect(client.get_by_test_id("confirm-lines")).to_contain_text(
        "The freelancer receives 350.00 USD in total."
    )
    client.get_by_role("button", name="Yes, pay 350.00 USD").click()
    expect(client.get_by_role("status")).to_contain_text(
        "approved and paid plus a bonus of 50.00 USD"
    )
    expect(design.locator(".pill").first).to_have_text("released")
    expect(client.get_by_test_id("bonus-total")).to_contain_text("50.00")
    assert accessibility_problems(client) == []
    save_screenshot(client, "milestones")

    assert _pending_usd(scenario) - pending_before == 35000  # 300.00 released + 50.00 bonus


def test_freelancer_proposes_a_milestone_and_the_client_accepts(
    scenario: Scenario, browser: Browser, context: BrowserContext
) -> None:
    freelancer = sign_in(context, scenario.base_url, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
    freelancer.goto(_milestones_url(scenario))
    freelancer.get_by_label("Change", exact=True).select_option("add")
    freelancer.get_by_label("Title", exact=True).fill("Accessibility pass")
    freelancer.get_by_label("Amount (USD)").fill("120.00")
    freelancer.get_by_label("Message with the proposal").fill("Screen-reader fixes before launch.")
    freelancer.get_by_role("button", name="Send proposal").click()
    expect(freelancer.get_by_role("status")).to_contain_text("Proposal sent")
    expect(freelancer.get_by_role("button", name="Withdraw proposal")).to_be_visible()
    assert accessibility_problems(freelancer) == []

    client_context = browser.new_context()
    try:
        client = sign_in(client_context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
        expect(client.get_by_text("Proposal to answer")).to_be_visible()
        client.goto(_milestones_url(scenario))
        expect(client.get_by_test_id("proposal-changes")).to_contain_text(
            "Add milestone “Accessibility pass”, $120.00"
        )
        expect(client.get_by_text("A proposal is pending")).to_be_visible()
        client.get_by_role("button", name="Accept proposal").click()
        expect(client.get_by_role("status")).to_contain_text("Proposal accepted")
        added = _milestone(client, "Accessibility pass")
        expect(added).to_contain_text("120.00")
        expect(added.locator(".pill").first).to_have_text("planned")
        expect(client.get_by_role("button", name="Accept proposal")).to_have_count(0)
    finally:
        client_context.close()


def test_payment_request_funded_then_escrow_disputed_and_split_by_an_admin(
    scenario: Scenario, browser: Browser, context: BrowserContext
) -> None:
    hourly_milestones = f"{scenario.base_url}/web/contracts/{scenario.demo.hourly_id}/milestones"
    freelancer = sign_in(context, scenario.base_url, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
    freelancer.goto(hourly_milestones)
    freelancer.get_by_label("Amount (USD)").fill("100.00")
    freelancer.get_by_label("What it is for").fill("Server migration weekend")
    freelancer.get_by_role("button", name="Send request").click()
    expect(freelancer.get_by_role("status")).to_contain_text("Milestone payment requested")

    others = browser.new_context()
    try:
        client = sign_in(others, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
        client.goto(hourly_milestones)
        request_row = client.locator("tr").filter(has_text="Server migration weekend")
        request_row.get_by_role("button", name="Accept & fund").click()
        expect(client.get_by_role("status")).to_contain_text("funded in escrow")
        expect(client.get_by_test_id("escrow-balance")).to_contain_text("100.00")
        assert accessibility_problems(client) == []

        freelancer.reload()
        funded = freelancer.locator("article.milestone").filter(has_text="Server migration")
        funded.locator("summary", has_text="Dispute the escrow").click()
        funded.get_by_label("Reason").fill("Client asked for the weekend work in writing.")
        funded.get_by_role("button", name="Open escrow dispute").click()
        expect(freelancer.get_by_role("status")).to_contain_text("an admin will split it")

        client.context.clear_cookies()
        admin = sign_in(others, scenario.base_url, *ADMIN)
        # the queue shows no contract details before the admin takes the dispute
        expect(admin.get_by_text("Client asked for the weekend work")).to_have_count(0)
        row = admin.locator("tr[data-escrow-dispute-id]").filter(
            has_text=f"Contract {scenario.demo.hourly_id}"
        )
        row.get_by_role("button", name="Take").click()
        expect(admin.get_by_text("Client asked for the weekend work")).to_be_visible()
        expect(admin.get_by_role("status")).to_contain_text("record the split below")
        assert accessibility_problems(admin) == []
        # a split that does not add up to the escrow is refused and moves nothing
        admin.get_by_label("To the freelancer (USD)").fill("70.00")
        admin.get_by_label("Back to the client (USD)").fill("40.00")
        admin.get_by_role("button", name="Record split").click()
        expect(admin.get_by_text("must add up to the escrow held")).to_be_visible()
        admin.go_back()
        admin.get_by_label("To the freelancer (USD)").fill("60.00")
        admin.get_by_label("Back to the client (USD)").fill("40.00")
        admin.get_by_role("button", name="Record split").click()
        expect(admin.get_by_role("status")).to_contain_text("settled")
        expect(admin.locator("[data-escrow-dispute]")).to_contain_text(
            "$60.00USD to the freelancer, $40.00USD back to the client"
        )
        expect(admin.get_by_test_id("escrow-balance")).to_contain_text("0.00")
    finally:
        others.close()


def test_release_less_and_end_the_contract_refunds_the_rest(
    scenario: Scenario, browser: Browser, context: BrowserContext
) -> None:
    created = scenario.server.cli(
        "create-contract",
        "--client",
        seed.DEMO_CLIENT,
        "--freelancer",
        seed.DEMO_FREELANCER,
        "--title",
        "Logo design",
        "--kind",
        "fixed",
        "--currency",
        "EUR",
    )
    contract_id = json.loads(created.stdout)["id"]
    url = f"{scenario.base_url}/web/contracts/{contract_id}/milestones"
    client = sign_in(context, scenario.base_url, seed.DEMO_CLIENT, seed.DEMO_PASSWORD)
    client.goto(url)
    client.get_by_label("Title", exact=True).fill("Logo")
    client.get_by_label("Amount (EUR)").fill("15.00")
    client.get_by_role("button", name="Add milestone").click()
    client.get_by_role("button", name="Activate & fund 15.00 EUR").click()
    client.get_by_role("button", name="Yes, fund 15.00 EUR").click()
    expect(client.get_by_test_id("escrow-balance")).to_contain_text("15.00")

    others = browser.new_context()
    try:
        freelancer = sign_in(others, scenario.base_url, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
        freelancer.goto(url)
        freelancer.get_by_label("Message to the client").fill("Three variants attached.")
        freelancer.get_by_role("button", name="Submit work").click()
        expect(freelancer.get_by_role("status")).to_contain_text("submitted")
    finally:
        others.close()

    client.reload()
    client.get_by_label("Release (EUR, up to 15.00 EUR)").fill("9.00")
    client.get_by_label("End the contract and refund what stays in escrow").check()
    client.get_by_role("button", name="Approve & pay").click()
    expect(client.get_by_test_id("confirm-lines")).to_contain_text(
        "The contract ends: 6.00 EUR left in escrow is refunded."
    )
    client.get_by_role("button", name="Yes, pay 9.00 EUR").click()
    expect(client.get_by_role("status")).to_contain_text("the contract has ended")
    expect(client.get_by_test_id("escrow-balance")).to_contain_text("0.00")
    expect(client.get_by_test_id("released-total")).to_contain_text("9.00")
    expect(client.locator(".escrow-bar")).to_contain_text("6.00")  # refunded
    expect(client.get_by_role("heading", name="Logo design")).to_contain_text("ended")
    expect(client.get_by_role("button", name="Add milestone")).to_have_count(0)
    assert accessibility_problems(client) == []
