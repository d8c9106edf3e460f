"""Shot retention through the job runner on SQLite and PostgreSQL: a week's shots go a
year after its finalization (blob removed, audited, the diaries say why), an open
dispute keeps its week's shots until it is resolved, billing is untouched, and a second
run changes nothing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from billing.blobs import BlobStore
from billing.db.models import AuditRecord, Slot, User
from billing.db.session import unit_of_work
from billing.domain.retention import RETENTION_SHOT_NOTE, RETENTION_SHOT_TEXT
from billing.domain.weeks import WeekTimeline
from billing.services.retention import AUDIT_ACTION
from tests.billing.support import Backend, iso
from tests.billing.web_session import web_sign_in
from tracker.clock import utc

TUESDAY = utc(2026, 11, 3)
FINALIZED = WeekTimeline.containing(TUESDAY).finalize_at  # Saturday 2026-11-14 00:00
IMAGE = b"\xff\xd8\xff" + b"a shot kept for a year" * 40


def upload_slot_with_shot(
    backend: Backend, freelancer: User, contract: int, start: datetime
) -> None:
    response = backend.put_slot(freelancer, contract, start, shot=IMAGE, taken_at=start)
    assert response.status_code == 201, response.text
    shot = backend.request(
        "PUT", f"/contracts/{contract}/slots/{iso(start)}/shot", freelancer, data=IMAGE
    )
    assert shot.status_code == 201, shot.text


def sign_in_again(backend: Backend, *people: User) -> None:
    """A year on, the API tokens have lapsed (30 days unused): take new ones."""
    for person in people:
        response = backend.client.post(
            "/api/v1/auth/token", json={"email": person.email, "password": "secret"}
        )
        assert response.status_code == 201, response.text
        backend.tokens[person.id] = response.json()["access_token"]


def blob_keys(backend: Backend, contract: int) -> dict[datetime, str | None]:
    with unit_of_work(backend.session_factory) as session:
        slots = session.scalars(select(Slot).where(Slot.contract_id == contract))
        return {slot.slot_start: slot.shot_blob_key for slot in slots}


def retention_audits(backend: Backend, contract: int) -> list[dict[str, Any]]:
    with unit_of_work(backend.session_factory) as session:
        records = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.contract_id == contract, AuditRecord.action == AUDIT_ACTION)
            .order_by(AuditRecord.id)
        )
        return [
            {"actor": r.actor_id, "at": r.at, "subject": r.subject, **r.detail} for r in records
        ]


def diary_slots(backend: Backend, user: User, contract: int) -> list[dict[str, Any]]:
    response = backend.request("GET", f"/contracts/{contract}/diary?week=2026-11-03", user)
    assert response.status_code == 200, response.text
    slots: list[dict[str, Any]] = response.json()["slots"]
    return slots


def billing_state(backend: Backend, user: User, contracts: list[int]) -> list[Any]:
    return [backend.invoices(user, contract) for contract in contracts] + [
        backend.request("GET", "/me/balances", user).json()
    ]


def a_finalized_week_with_a_dispute(backend: Backend) -> dict[str, Any]:
    """Contract ``kept`` has a shot on Tuesday; contract ``disputed`` two, one of them
    under a dispute the admin has taken and left open; the week is finalized and its
    earnings available."""
    client, freelancer, admin = (backend.user(r) for r in ("client", "freelancer", "admin"))
    expiring = backend.hourly(client, freelancer)
    disputed = backend.hourly(client, freelancer)
    backend.clock.set(TUESDAY + timedelta(hours=18))
    upload_slot_with_shot(backend, freelancer, expiring, TUESDAY + timedelta(hours=9))
    for minute in (0, 10):
        start = TUESDAY + timedelta(hours=9, minutes=minute)
        upload_slot_with_shot(backend, freelancer, disputed, start)
    backend.jobs(utc(2026, 11, 9, 12))  # closed and locked
    backend.clock.set(utc(2026, 11, 10, 9))
    opened = backend.request(
        "POST",
        f"/contracts/{disputed}/disputes",
        client,
        json={"slot_starts": [iso(TUESDAY + timedelta(hours=9, minutes=10))], "reason": "idle"},
    )
    assert opened.status_code == 201, opened.text
    dispute = opened.json()["id"]
    taken = backend.request("POST", f"/admin/disputes/{dispute}/assign", admin)
    assert taken.status_code == 200, taken.text
    assert backend.jobs(FINALIZED)["finalized"] == 2
    assert backend.jobs(WeekTimeline.containing(TUESDAY).available_at)["released"] == 2
    return {
        "client": client,
        "freelancer": freelancer,
        "admin": admin,
        "expiring": expiring,
        "disputed": disputed,
        "dispute": dispute,
    }


def kept_a_day_before_the_year_is_over(backend: Backend, case: dict[str, Any]) -> None:
    report = backend.jobs(FINALIZED + timedelta(days=364))
    assert "shots_expired" not in report, str(report)
    blobs: BlobStore = backend.client.app.state.blobs
    for contract in (case["expiring"], case["disputed"]):
        keys = blob_keys(backend, contract).values()
        assert all(key is not None and blobs.exists(key) for key in keys)
    assert retention_audits(backend, case["expiring"]) == []


def expired_but_the_disputed_week_kept(backend: Backend, case: dict[str, Any]) -> None:
    blobs: BlobStore = backend.client.app.state.blobs
    [expiring_key] = blob_keys(backend, case["expiring"]).values()
    assert expiring_key is not None
    now = FINALIZED + timedelta(days=366)
    assert backend.jobs(now)["shots_expired"] == 1
    assert not blobs.exists(expiring_key)
    assert blob_keys(backend, case["expiring"]) == {TUESDAY + timedelta(hours=9): None}
    [audit] = retention_audits(backend, case["expiring"])
    assert audit == {
        "actor": None,
        "at": now,
        "subject": "week 2026-11-02",
        "slot_starts": [(TUESDAY + timedelta(hours=9)).isoformat()],
        "retention_days": 365,
        "expired_at": (FINALIZED + timedelta(days=365)).isoformat(),
    }
    # the whole disputed week keeps its shots: they are the dispute's evidence
    disputed_keys = blob_keys(backend, case["disputed"]).values()
    assert len(disputed_keys) == 2
    assert all(key is not None and blobs.exists(key) for key in disputed_keys)
    assert "shots_expired" not in backend.jobs(now)  # again: nothing more
    assert len(retention_audits(backend, case["expiring"])) == 1


def the_api_says_why_the_shot_is_gone(backend: Backend, case: dict[str, Any]) -> None:
    client, freelancer = case["client"], case["freelancer"]
    sign_in_again(backend, client, freelancer, case["admin"])
    [slot] = diary_slots(backend, client, case["expiring"])
    assert slot["shot_note"] == RETENTION_SHOT_NOTE
    assert slot["shot"]["url"] is None and not slot["shot"]["uploaded"]
    assert slot["shot"]["sha256"] == hashlib.sha256(IMAGE).hexdigest()  # the evidence stays
    assert (slot["minutes"], slot["memo"]) == (10, "work")  # the time is not touched
    path = f"/contracts/{case['expiring']}/slots/{iso(TUESDAY + timedelta(hours=9))}/shot"
    assert backend.request("GET", path, client).status_code == 404
    again = backend.request("PUT", path, freelancer, data=IMAGE)  # the bytes cannot return
    assert again.status_code == 409, again.text
    assert RETENTION_SHOT_TEXT in again.json()["detail"]
    # the tracker sending the slot's exact body again is not asked for the shot
    resent = backend.put_slot(freelancer, case["expiring"], TUESDAY + timedelta(hours=9),
                              shot=IMAGE, taken_at=TUESDAY + timedelta(hours=9))
    assert resent.status_code == 200, resent.text
    assert resent.json()["shot_expected"] is False
    assert [s["shot_note"] for s in diary_slots(backend, client, case["disputed"])] == [None] * 2


def the_companion_view_says_why(backend: Backend, case: dict[str, Any]) -> None:
    http = web_sign_in(backend, case["client"].email)
    page = http.get(
        f"{backend.client.base_url}/web/contracts/{case['expiring']}/diary?day=2026-11-03",
        timeout=30,
    )
    assert page.status_code == 200
    assert RETENTION_SHOT_TEXT in page.text and "/shots/" not in page.text


def deleted_after_the_dispute_is_resolved(backend: Backend, case: dict[str, Any]) -> None:
    backend.clock.set(FINALIZED + timedelta(days=366, hours=2))
    resolved = backend.request(
        "POST",
        f"/contracts/{case['disputed']}/disputes/{case['dispute']}/resolve",
        case["admin"],
        json={"outcome": "not_paid", "note": "idle"},
    )
    assert resolved.status_code == 200, resolved.text
    before = billing_state(backend, case["freelancer"], [case["expiring"], case["disputed"]])
    keys = list(blob_keys(backend, case["disputed"]).values())
    assert backend.jobs(FINALIZED + timedelta(days=367))["shots_expired"] == 2
    blobs: BlobStore = backend.client.app.state.blobs
    assert not any(blobs.exists(key) for key in keys if key is not None)
    [audit] = retention_audits(backend, case["disputed"])
    assert len(audit["slot_starts"]) == 2
    assert "shots_expired" not in backend.jobs(FINALIZED + timedelta(days=367))
    after = billing_state(backend, case["freelancer"], [case["expiring"], case["disputed"]])
    assert after == before
    assert backend.ledger_problems() == []
    assert "shots_expired" not in backend.jobs(FINALIZED + timedelta(days=800))


def test_shots_go_after_the_retention_period_except_under_an_open_dispute(
    backend: Backend,
) -> None:
    case = a_finalized_week_with_a_dispute(backend)
    billed = billing_state(backend, case["freelancer"], [case["expiring"]])
    kept_a_day_before_the_year_is_over(backend, case)
    expired_but_the_disputed_week_kept(backend, case)
    the_api_says_why_the_shot_is_gone(backend, case)
    the_companion_view_says_why(backend, case)
    assert billing_state(backend, case["freelancer"], [case["expiring"]])[0] == billed[0]
    deleted_after_the_dispute_is_resolved(backend, case)
