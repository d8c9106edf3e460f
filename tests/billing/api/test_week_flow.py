"""A week of hourly billing through the API in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from billing.db.models import User
from tests.billing.support import Backend, iso
from tracker.clock import utc

MONDAY = utc(2026, 11, 2)
CLOSE = utc(2026, 11, 9)
LOCK = utc(2026, 11, 9, 12)
FINALIZE = utc(2026, 11, 14)
AVAILABLE = utc(2026, 11, 18)


def _log_67_minutes_on_tuesday(backend: Backend, freelancer: User, contract: int) -> None:
    # Tuesday 09:00, 6 slots of 10 minutes, and one of 7 minutes
    backend.log_hours(freelancer, contract, utc(2026, 11, 3, 9), 6)
    assert backend.put_slot(freelancer, contract, utc(2026, 11, 3, 10), 7).status_code == 201

    mine = backend.request("GET", "/me/contracts", freelancer).json()
    assert [c["id"] for c in mine] == [contract]
    assert mine[0]["week_logged_minutes"] == 67


def _close_into_a_draft_that_follows_the_grace_then_lock(
    backend: Backend, client: User, freelancer: User, contract: int
) -> None:
    report = backend.jobs(CLOSE)
    assert report["closed"] == 1
    [draft] = backend.invoices(client, contract)
    assert draft["status"] == "draft"
    assert draft["total_cents"] == 4467  # 67 min × 4000 / 60 = 4466.67 → 4467

    # grace: a late slot of the week arrives and the draft follows
    backend.clock.set(CLOSE + timedelta(hours=2))
    assert backend.put_slot(freelancer, contract, utc(2026, 11, 8, 23, 50), 10).status_code == 201
    [draft] = backend.invoices(client, contract)
    assert draft["lines"][0]["billable_minutes"] == 77

    assert backend.jobs(LOCK)["locked"] == 1
    late = backend.put_slot(freelancer, contract, utc(2026, 11, 8, 23, 40), 10)
    assert late.status_code == 409
    assert late.json()["detail"] == "week locked"


def _client_disputes_two_slots(backend: Backend, client: User, contract: int) -> None:
    backend.clock.set(utc(2026, 11, 10, 9))
    dispute = backend.request(
        "POST",
        f"/contracts/{contract}/disputes",
        client,
        json={
            "slot_starts": [iso(utc(2026, 11, 3, 9)), iso(utc(2026, 11, 3, 9, 10))],
            "reason": "idle",
        },
    )
    assert dispute.status_code == 201, dispute.text
    [issued] = backend.invoices(client, contract)
    assert issued["lines"][0]["billable_minutes"] == 57


def _finalize_once(backend: Backend, freelancer: User, contract: int) -> None:
    assert backend.jobs(FINALIZE)["finalized"] == 1
    [final] = backend.invoices(freelancer, contract)
    assert final["status"] == "finalized"
    assert final["number"] == 1
    assert final["total_cents"] == 3800
    assert backend.jobs(FINALIZE) == {
        "closed": 0,
        "locked": 0,
        "finalized": 0,
        "voided": 0,
        "supplements": 0,
        "released": 0,
    }


def _pending_until_available_then_released(backend: Backend, freelancer: User) -> None:
    balances = backend.request("GET", "/me/balances", freelancer).json()
    assert balances == [
        {
            "currency": "USD",
            "pending_cents": 3800,
            "available_cents": 0,
            "charged_cents": 0,
            "escrow_cents": 0,
        }
    ]
    assert backend.jobs(AVAILABLE - timedelta(seconds=1))["released"] == 0
    assert backend.jobs(AVAILABLE)["released"] == 1
    balances = backend.request("GET", "/me/balances", freelancer).json()
    assert balances[0]["available_cents"] == 3800 and balances[0]["pending_cents"] == 0
    assert backend.ledger_problems() == []


def test_a_week_is_closed_locked_disputed_finalized_and_released(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer, rate_cents=4000, cap_hours=40)
    backend.clock.set(utc(2026, 11, 6, 18))
    _log_67_minutes_on_tuesday(backend, freelancer, contract)
    _close_into_a_draft_that_follows_the_grace_then_lock(backend, client, freelancer, contract)
    _client_disputes_two_slots(backend, client, contract)
    _finalize_once(backend, freelancer, contract)
    _pending_until_available_then_released(backend, freelancer)
