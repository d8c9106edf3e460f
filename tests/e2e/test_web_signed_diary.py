"""The companion view shows the signed diary: the week's verified state, each slot
signed or not, and a break marker where the tracker declared a slot lost (real server,
real Chromium; the slots are signed and sent as the tracker's uploader sends them)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from billing.domain.evidence_check import check_bundle
from diarychain.chain import ChainEntry, append, to_wire
from diarychain.keys import DeviceKey
from diarychain.records import GapRecord
from sync.wire import iso, slot_body
from tests.e2e import seed
from tests.e2e.conftest import VIEWER_ZONE, Scenario, sign_in
from tests.support.browser import accessibility_problems, save_screenshot
from tracker.model import MinuteActivity, Slot
from tracker.signed_diary import slot_record

pytestmark = pytest.mark.browser

FREELANCER, CLIENT, PASSWORD = "signer@demo.test", "signed-client@demo.test", "signed-pw"


def _send_signed_week(scenario: Scenario) -> None:
    """Tuesday 13:00–13:40 UTC: two signed slots, a declared gap, a signed slot, and a
    slot from a tracker that does not sign (v1)."""
    key = DeviceKey.generate()
    start = scenario.now  # this week's Tuesday 13:00 UTC: the contract starts here
    later = start + timedelta(hours=2)
    with scenario.api() as api:
        try:
            scenario.server.set_now(start)
            token = _token_after_users(scenario, api)
            contract_id = _contract_id(api, token)
            scenario.server.set_now(later)
            auth = {"Authorization": f"Bearer {token}"}
            assert api.post("/api/v1/devices", json={"public_key": key.public_hex()},
                            headers=auth).status_code == 201
            previous: ChainEntry | None = None
            for index in range(5):
                slot_start = start + timedelta(minutes=10 * index)
                if index == 2:  # lost on the machine: a signed gap, sent on its own
                    gap = GapRecord(contract_id, slot_start, "disk failure", later)
                    previous = append(previous, gap, key)
                    body = {"device_key": key.public_hex(), "entries": [to_wire(previous)]}
                    assert api.post(f"/api/v1/contracts/{contract_id}/chain", json=body,
                                    headers=auth).status_code == 200
                    continue
                minutes = tuple(MinuteActivity(m, 3, 7) for m in range(10))
                slot = Slot(contract_id, slot_start, "Signed work", minutes, shot_state="none",
                            capture_source="x11")
                put = slot_body(slot, later)
                if index != 4:
                    previous = append(previous, slot_record(slot, later), key)
                    put["chain"] = {"device_key": key.public_hex(),
                                    "entries": [to_wire(previous)]}
                answer = api.put(f"/api/v1/contracts/{contract_id}/slots/{iso(slot_start)}",
                                 json=put, headers=auth)
                assert answer.status_code == 201, answer.text
        finally:
            scenario.server.set_now(scenario.now)


def _token_after_users(scenario: Scenario, api: httpx.Client) -> str:
    seed.create_user(scenario.server, FREELANCER, PASSWORD, "freelancer", "Sig Ner")
    seed.create_user(scenario.server, CLIENT, PASSWORD, "client", "Cli Ent")
    scenario.server.cli("create-contract", "--client", CLIENT, "--freelancer", FREELANCER,
                        "--title", "Signed diary", "--rate", "40.00")
    return seed.api_token(api, FREELANCER, PASSWORD)


def _contract_id(api: httpx.Client, token: str) -> int:
    contracts = api.get("/api/v1/me/contracts", headers={"Authorization": f"Bearer {token}"})
    (contract,) = contracts.json()
    return int(contract["id"])


def test_the_diary_shows_signed_slots_the_weeks_state_and_a_break_for_a_gap(
    scenario: Scenario, context: BrowserContext
) -> None:
    _send_signed_week(scenario)
    page = sign_in(context, scenario.base_url, CLIENT, PASSWORD)
    page.get_by_role("link", name="Signed diary").first.click()
    gap_at = (scenario.now + timedelta(minutes=20)).astimezone(ZoneInfo(VIEWER_ZONE))
    page.goto(f"{page.url.split('?')[0]}?day={gap_at.date().isoformat()}")
    expect(page.get_by_test_id("slot-verified")).to_have_count(3)
    expect(page.get_by_test_id("slot-unverified")).to_have_count(1)
    gap = page.get_by_test_id("chain-gap")
    expect(gap).to_have_count(1)
    expect(gap).to_have_attribute("data-slot-time", f"{gap_at:%H:%M}")
    expect(gap).to_contain_text("break")
    expect(gap.locator(".pill")).to_have_attribute("title", "disk failure")
    expect(page.get_by_test_id("week-trust")).to_contain_text(
        "3 of 4 slots signed and verified; 1 declared gap")
    assert accessibility_problems(page) == []
    save_screenshot(page, "signed-diary")
    with page.expect_download() as download:
        page.get_by_test_id("evidence-link").click()
    findings = check_bundle(Path(download.value.path()).read_bytes())
    assert all(finding.holds for finding in findings), findings
    assert any("3 of 4 slots are the records" in finding.text for finding in findings)
