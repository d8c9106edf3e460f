"""Hourly rules through the API (in-process server, ManualClock): ingest, cap, deletion,
shots, diary, disputes, invoices as JSON and CSV, tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from billing.db.models import AuditRecord, User
from billing.db.session import unit_of_work
from tests.billing.support import Backend, iso, slot_body
from tracker.clock import utc

TUESDAY_9 = utc(2026, 11, 3, 9)
CLOSE = utc(2026, 11, 9)
LOCK = utc(2026, 11, 9, 12)
FINALIZE = utc(2026, 11, 14)


def _pair(backend: Backend, **kwargs: Any) -> tuple[User, User, int]:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    return client, freelancer, backend.hourly(client, freelancer, **kwargs)


def test_slot_put_is_idempotent_and_a_different_body_conflicts(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    _, freelancer, contract = _pair(backend)
    backend.clock.set(utc(2026, 11, 3, 12))
    first = backend.put_slot(freelancer, contract, TUESDAY_9, 10)
    assert first.status_code == 201 and first.json()["created"] is True
    backend.clock.advance(timedelta(minutes=30))  # a retry later: client_now differs
    again = backend.put_slot(freelancer, contract, TUESDAY_9, 10)
    assert again.status_code == 200 and again.json()["created"] is False
    # kept minutes that differ from the held ones: no audited shrink, a conflict
    other = backend.put_slot(freelancer, contract, TUESDAY_9, 8, active=False)
    assert other.status_code == 409
    assert "minutes 10 held, 8 sent" in other.json()["detail"]
    assert (
        backend.request("GET", f"/contracts/{contract}", freelancer).json()["week_logged_minutes"]
        == 10
    )


def test_malformed_and_future_slots_are_refused_with_reasons(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    _, freelancer, contract = _pair(backend)
    backend.clock.set(utc(2026, 11, 3, 12))
    path = f"/contracts/{contract}/slots/{iso(TUESDAY_9)}"
    now = backend.clock.now()
    cases = [
        (slot_body(11, client_now=now), 422),
        (slot_body(0, client_now=now), 422),
        ({**slot_body(5, client_now=now), "activity": []}, 422),
        ({**slot_body(5, client_now=now), "surprise": 1}, 422),
        ({**slot_body(5, client_now=now), "client_now": "2026-11-03T12:00:00"}, 422),  # naive
    ]
    for body, status in cases:
        response = backend.request("PUT", path, freelancer, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["detail"]
    off_grid = backend.request(
        "PUT",
        f"/contracts/{contract}/slots/2026-11-03T09:05:00Z",
        freelancer,
        json=slot_body(5, client_now=now),
    )
    assert off_grid.status_code == 422 and "grid" in off_grid.json()["detail"]
    future = backend.put_slot(
        freelancer, contract, utc(2026, 11, 3, 14), 10, client_now=utc(2026, 11, 3, 14, 10)
    )
    assert future.status_code == 422 and "future" in future.json()["detail"]
    manual = backend.put_slot(freelancer, contract, TUESDAY_9, 10, manual=True)
    assert manual.status_code == 409 and "manual" in manual.json()["detail"]


def test_minutes_over_the_cap_are_stored_but_not_billed_and_a_raise_frees_them(
    backend: Backend,
) -> None:
    client, freelancer, contract = _pair(backend, cap_hours=1)
    backend.clock.set(utc(2026, 11, 4, 12))
    backend.log_hours(freelancer, contract, TUESDAY_9, 8)  # 80 minutes, cap 60
    info = backend.request("GET", f"/contracts/{contract}", client).json()
    assert (info["week_logged_minutes"], info["week_billable_minutes"]) == (80, 60)
    diary = backend.request("GET", f"/contracts/{contract}/diary?week=2026-11-04", client).json()
    assert [s["over_limit_minutes"] for s in diary["slots"]] == [0] * 6 + [10, 10]
    # the client raises the cap mid-week: at once, the over-limit minutes become billable
    raised = backend.request(
        "PATCH", f"/contracts/{contract}", client, json={"weekly_cap_hours": 2}
    )
    assert raised.status_code == 200 and raised.json()["weekly_cap_minutes"] == 120
    assert raised.json()["week_billable_minutes"] == 80
    # a cut waits for next week: hours already worked are never taken back
    cut = backend.request("PATCH", f"/contracts/{contract}", client, json={"weekly_cap_hours": 1})
    assert cut.json()["weekly_cap_minutes"] == 120 and cut.json()["next_week_cap_minutes"] == 60
    assert backend.jobs(CLOSE)["closed"] == 1
    [invoice] = backend.invoices(client, contract)
    assert invoice["lines"][0]["billable_minutes"] == 80
    assert (
        backend.request("GET", f"/contracts/{contract}", client).json()["weekly_cap_minutes"] == 60
    )
    with unit_of_work(backend.session_factory) as session:
        actions = session.scalars(select(AuditRecord.action)).all()
    assert actions.count("cap_changed") == 2


def _store_the_shot_and_see_it_in_the_diary(
    backend: Backend, client: User, freelancer: User, contract: int, image: bytes, taken: datetime
) -> str:
    """The slot announces a shot; a wrong body is refused, the right one stored once, and
    only the client reads it. Returns the shot's path."""
    put = backend.put_slot(freelancer, contract, TUESDAY_9, 10, shot=image, taken_at=taken)
    assert put.json()["shot_expected"] is True
    shot_path = f"/contracts/{contract}/slots/{iso(TUESDAY_9)}/shot"
    wrong = backend.request("PUT", shot_path, freelancer, data=b"other bytes")
    assert wrong.status_code == 422 and "sha256 mismatch" in wrong.json()["detail"]
    stored = backend.request("PUT", shot_path, freelancer, data=image)
    assert stored.status_code == 201
    assert backend.request("PUT", shot_path, freelancer, data=image).status_code == 200
    blob_files = [p for p in (backend.settings.blob_dir).rglob("*") if p.is_file()]
    assert len(blob_files) == 1
    seen = backend.request("GET", shot_path, client)
    assert seen.status_code == 200 and seen.content == image
    assert seen.headers["content-type"] == "image/jpeg"
    assert backend.request("PUT", shot_path, client, data=image).status_code == 403
    diary = backend.request("GET", f"/contracts/{contract}/diary?day=2026-11-03", client).json()
    assert diary["slots"][0]["shot"]["url"].endswith(f"{iso(TUESDAY_9)}/shot")
    assert diary["slots"][0]["activity_percent"] == 100
    return shot_path


def _freelancer_deletes_the_slot_and_its_shot(
    backend: Backend,
    client: User,
    freelancer: User,
    contract: int,
    image: bytes,
    taken: datetime,
    shot_path: str,
) -> None:
    """Only the freelancer deletes; the shot goes, the minutes unbill, the start stays
    taken and the deletion is audited."""
    backend.put_slot(freelancer, contract, TUESDAY_9 + timedelta(minutes=10), 10)
    assert (
        backend.request(
            "DELETE", f"/contracts/{contract}/slots/{iso(TUESDAY_9)}", client
        ).status_code
        == 403
    )
    deleted = backend.request("DELETE", f"/contracts/{contract}/slots/{iso(TUESDAY_9)}", freelancer)
    assert deleted.status_code == 204
    assert not any(p.is_file() for p in backend.settings.blob_dir.rglob("*"))
    assert backend.request("GET", shot_path, client).status_code == 404
    assert (
        backend.request("GET", f"/contracts/{contract}", client).json()["week_logged_minutes"] == 10
    )
    again = backend.put_slot(freelancer, contract, TUESDAY_9, 10, shot=image, taken_at=taken)
    assert again.status_code == 409 and "deleted" in again.json()["detail"]
    with unit_of_work(backend.session_factory) as session:
        audit = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "slot_deleted")
        ).one()
        assert audit.actor_id == freelancer.id and audit.subject == f"slot {TUESDAY_9.isoformat()}"


def _delete_in_the_grace_then_refused_after_the_lock(
    backend: Backend, client: User, freelancer: User, contract: int
) -> None:
    # grace: deleting updates the draft; after the lock: "week locked"
    backend.jobs(CLOSE + timedelta(hours=1))
    late_delete = backend.request(
        "DELETE",
        f"/contracts/{contract}/slots/{iso(TUESDAY_9 + timedelta(minutes=10))}",
        freelancer,
    )
    assert late_delete.status_code == 204
    [draft] = backend.invoices(client, contract)
    assert draft["total_cents"] == 0
    backend.put_slot(freelancer, contract, utc(2026, 11, 8, 23, 50), 10)
    backend.jobs(LOCK)
    # a resend of a slot held with the same body is still a 200 once the week is locked
    resent = backend.put_slot(freelancer, contract, utc(2026, 11, 8, 23, 50), 10)
    assert resent.status_code == 200 and resent.json()["created"] is False
    changed = backend.put_slot(freelancer, contract, utc(2026, 11, 8, 23, 50), 9)
    assert changed.status_code == 409 and changed.json()["detail"] == "week locked"
    locked = backend.request(
        "DELETE", f"/contracts/{contract}/slots/{iso(utc(2026, 11, 8, 23, 50))}", freelancer
    )
    assert locked.status_code == 409 and locked.json()["detail"] == "week locked"


def test_delete_unbills_removes_the_shot_and_is_audited_until_the_lock(
    sqlite_backend: Backend,
) -> None:
    backend = sqlite_backend
    client, freelancer, contract = _pair(backend)
    backend.clock.set(utc(2026, 11, 3, 12))
    image = b"\xff\xd8\xff" + b"jpeg bytes" * 100
    taken = TUESDAY_9 + timedelta(minutes=4)
    shot_path = _store_the_shot_and_see_it_in_the_diary(
        backend, client, freelancer, contract, image, taken
    )
    _freelancer_deletes_the_slot_and_its_shot(
        backend, client, freelancer, contract, image, taken, shot_path
    )
    _delete_in_the_grace_then_refused_after_the_lock(backend, client, freelancer, contract)


def test_slots_at_sunday_2350_and_monday_0000_fall_in_different_weeks(
    sqlite_backend: Backend,
) -> None:
    backend = sqlite_backend
    client, freelancer, contract = _pair(backend)
    backend.clock.set(utc(2026, 11, 9, 0, 10))
    assert backend.put_slot(freelancer, contract, utc(2026, 11, 8, 23, 50), 10).status_code == 201
    assert backend.put_slot(freelancer, contract, utc(2026, 11, 9, 0, 0), 10).status_code == 201
    backend.jobs()
    [invoice] = backend.invoices(client, contract)
    assert invoice["week_start"].startswith("2026-11-02") and invoice["total_cents"] == 667
    assert (
        backend.request("GET", f"/contracts/{contract}", freelancer).json()["week_logged_minutes"]
        == 10
    )


def _client_opens_one_dispute_over_two_slots(
    backend: Backend, client: User, freelancer: User, contract: int
) -> int:
    """The freelancer may not dispute; the client may, once per slot. Returns its id."""
    too_early_or_late = backend.request(
        "POST",
        f"/contracts/{contract}/disputes",
        freelancer,
        json={"slot_starts": [iso(TUESDAY_9)], "reason": "no"},
    )
    assert too_early_or_late.status_code == 403
    opened = backend.request(
        "POST",
        f"/contracts/{contract}/disputes",
        client,
        json={
            "slot_starts": [iso(TUESDAY_9), iso(TUESDAY_9 + timedelta(minutes=10))],
            "reason": "idle",
        },
    )
    assert opened.status_code == 201
    dispute: int = opened.json()["id"]
    assert (
        backend.request(
            "POST",
            f"/contracts/{contract}/disputes",
            client,
            json={"slot_starts": [iso(TUESDAY_9)], "reason": "again"},
        ).status_code
        == 409
    )
    return dispute


def _one_admin_takes_the_dispute(
    backend: Backend, admin: User, other_admin: User, contract: int, dispute: int
) -> None:
    # the admin sees the contract only once the dispute is theirs
    assert backend.request("GET", f"/contracts/{contract}", admin).status_code == 404
    queue = backend.request("GET", "/admin/disputes", admin).json()
    assert [d["id"] for d in queue] == [dispute]
    assert backend.request("POST", f"/admin/disputes/{dispute}/assign", admin).status_code == 200
    assert (
        backend.request("POST", f"/admin/disputes/{dispute}/assign", other_admin).status_code == 409
    )
    assert (
        backend.request("GET", f"/contracts/{contract}/disputes/{dispute}", admin).status_code
        == 200
    )


def _admin_resolves_paid_once_the_freelancer_answered(
    backend: Backend, freelancer: User, admin: User, contract: int, dispute: int
) -> None:
    early = backend.request(
        "POST", f"/contracts/{contract}/disputes/{dispute}/resolve", admin, json={"outcome": "paid"}
    )
    assert early.status_code == 409 and "to answer" in early.json()["detail"]
    answer = backend.request(
        "POST",
        f"/contracts/{contract}/disputes/{dispute}/messages",
        freelancer,
        json={"body": "I was reading the spec"},
    )
    assert answer.status_code == 201 and answer.json()["messages"][0]["author_role"] == "freelancer"
    assert (
        backend.request(
            "POST",
            f"/contracts/{contract}/disputes/{dispute}/resolve",
            freelancer,
            json={"outcome": "paid"},
        ).status_code
        == 403
    )
    resolved = backend.request(
        "POST",
        f"/contracts/{contract}/disputes/{dispute}/resolve",
        admin,
        json={"outcome": "paid", "note": "reading counts"},
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "paid"


def _finalization_adds_the_paid_minutes_as_a_supplement(
    backend: Backend, client: User, contract: int
) -> None:
    report = backend.jobs(FINALIZE)
    assert report["finalized"] == 1 and report["supplements"] == 1
    [final] = backend.invoices(client, contract)
    assert final["total_cents"] == 6000 and final["number"] == 1
    assert [line["kind"] for line in final["lines"]] == ["hours", "supplement"]
    csv_text = backend.request(
        "GET", f"/contracts/{contract}/invoices/{final['id']}/csv", client
    ).text
    assert "invoice_number,1" in csv_text and "supplement" in csv_text and "60.00 USD" in csv_text
    assert backend.ledger_problems() == []


def test_dispute_paid_comes_back_as_a_supplement_at_the_next_finalization(backend: Backend) -> None:
    client, freelancer, contract = _pair(backend, rate_cents=6000)
    admin, other_admin = backend.user("admin"), backend.user("admin")
    backend.clock.set(utc(2026, 11, 4, 12))
    backend.log_hours(freelancer, contract, TUESDAY_9, 6)
    backend.jobs(LOCK)
    dispute = _client_opens_one_dispute_over_two_slots(backend, client, freelancer, contract)
    [issued] = backend.invoices(client, contract)
    assert issued["total_cents"] == 4000  # 40 of 60 minutes at 60.00/h
    _one_admin_takes_the_dispute(backend, admin, other_admin, contract, dispute)
    _admin_resolves_paid_once_the_freelancer_answered(backend, freelancer, admin, contract, dispute)
    _finalization_adds_the_paid_minutes_as_a_supplement(backend, client, contract)


def test_dispute_not_paid_after_the_answer_window_stays_out(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    client, freelancer, contract = _pair(backend)
    admin = backend.user("admin")
    backend.clock.set(utc(2026, 11, 4, 12))
    backend.log_hours(freelancer, contract, TUESDAY_9, 3)
    backend.jobs(LOCK)
    dispute = backend.request(
        "POST",
        f"/contracts/{contract}/disputes",
        client,
        json={"slot_starts": [iso(TUESDAY_9)], "reason": "not mine"},
    ).json()["id"]
    backend.request("POST", f"/admin/disputes/{dispute}/assign", admin)
    backend.clock.set(LOCK + timedelta(days=3))  # the freelancer stayed silent for 3 days
    resolved = backend.request(
        "POST",
        f"/contracts/{contract}/disputes/{dispute}/resolve",
        admin,
        json={"outcome": "not_paid"},
    )
    assert resolved.status_code == 200
    backend.jobs(FINALIZE)
    [final] = backend.invoices(client, contract)
    assert final["total_cents"] == 1333 and final["status"] == "finalized"  # 20 min at 40.00/h
    late = backend.request(
        "POST",
        f"/contracts/{contract}/disputes",
        client,
        json={"slot_starts": [iso(TUESDAY_9 + timedelta(minutes=10))], "reason": "late"},
    )
    assert late.status_code == 409 and "review" in late.json()["detail"]


def test_invoice_numbers_are_gapless_and_empty_weeks_are_voided(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    contracts = []
    for _ in range(3):
        client, freelancer, contract = _pair(backend)
        contracts.append((client, freelancer, contract))
    backend.clock.set(utc(2026, 11, 4, 12))
    for _, freelancer, contract in contracts:
        backend.log_hours(freelancer, contract, TUESDAY_9, 1)
    backend.jobs(CLOSE)
    # the second contract's only slot is deleted in grace: its draft drops to zero
    backend.request(
        "DELETE", f"/contracts/{contracts[1][2]}/slots/{iso(TUESDAY_9)}", contracts[1][1]
    )
    report = backend.jobs(FINALIZE)
    assert (report["finalized"], report["voided"]) == (2, 1)
    numbers = sorted(
        inv["number"]
        for client, _, contract in contracts
        for inv in backend.invoices(client, contract)
        if inv["number"] is not None
    )
    assert numbers == [1, 2]


def test_tokens_are_revocable_and_credentials_checked(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    freelancer = backend.user("freelancer", email="Someone@Example.test")
    wrong = backend.client.post(
        "/api/v1/auth/token", json={"email": "someone@example.test", "password": "x"}
    )
    assert wrong.status_code == 401
    assert backend.request("GET", "/me", freelancer).json()["email"] == "someone@example.test"
    assert backend.request("DELETE", "/auth/token", freelancer).status_code == 204
    assert backend.request("GET", "/me", freelancer).status_code == 401
    assert backend.client.get("/api/v1/me").status_code == 401


def test_the_shot_hash_is_checked_against_the_announced_one(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    _, freelancer, contract = _pair(backend)
    backend.clock.set(utc(2026, 11, 3, 12))
    backend.put_slot(freelancer, contract, TUESDAY_9, 10)
    no_shot = backend.request(
        "PUT", f"/contracts/{contract}/slots/{iso(TUESDAY_9)}/shot", freelancer, data=b"x"
    )
    assert no_shot.status_code == 409
    missing = backend.request(
        "PUT",
        f"/contracts/{contract}/slots/{iso(TUESDAY_9 + timedelta(minutes=10))}/shot",
        freelancer,
        data=b"x",
    )
    assert missing.status_code == 404
    assert hashlib.sha256(b"x").hexdigest() not in no_shot.text


def test_a_batch_applies_the_single_put_rules_to_each_slot(backend: Backend) -> None:
    client, freelancer, contract = _pair(backend, cap_hours=1)
    backend.clock.set(utc(2026, 11, 9, 6))  # grace of the week of 2 Nov; the week's close ran
    backend.put_slot(freelancer, contract, TUESDAY_9, 10)
    backend.put_slot(freelancer, contract, utc(2026, 11, 5, 9), 10)
    backend.jobs()
    now = backend.clock.now()

    def item(start: datetime, minutes: int = 10, **kwargs: Any) -> dict[str, Any]:
        return {"slot_start": iso(start), **slot_body(minutes, client_now=now, **kwargs)}

    batch = [
        item(TUESDAY_9),  # held with the same body: 200
        item(TUESDAY_9 + timedelta(minutes=10)),
        item(TUESDAY_9 + timedelta(minutes=10)),  # twice in the batch: 422
        # held with another body (not a shrink: the kept minutes changed): 409
        item(utc(2026, 11, 5, 9), minutes=9, active=False),
        *(item(TUESDAY_9 + timedelta(minutes=10 * k)) for k in range(2, 7)),  # 50 min
        item(utc(2026, 11, 9, 9)),  # from the future: 422
        item(utc(2026, 11, 9, 5, 50)),  # the current week
    ]
    response = backend.request(
        "POST", f"/contracts/{contract}/slots", freelancer, json={"slots": batch}
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 201, 422, 409, 201, 201, 201, 201, 201, 422, 201]
    assert "twice" in results[2]["detail"] and "minutes 10 held, 9 sent" in results[3]["detail"]
    # cap 60: 20 held + 10 + 30 billable, the last two slots of the week over the limit
    assert [r["over_limit_minutes"] for r in results[4:9]] == [0, 0, 0, 10, 10]
    [draft] = backend.invoices(client, contract)  # the draft followed the late slots
    assert draft["lines"][0]["logged_minutes"] == 80 and draft["lines"][0]["billable_minutes"] == 60
    again = backend.request(
        "POST", f"/contracts/{contract}/slots", freelancer, json={"slots": batch[4:9]}
    )
    assert [r["status"] for r in again.json()["results"]] == [200] * 5
    backend.jobs(LOCK)
    locked = backend.request(
        "POST",
        f"/contracts/{contract}/slots",
        freelancer,
        json={"slots": [item(utc(2026, 11, 4, 9)), item(utc(2026, 11, 9, 5, 40))]},
    )
    assert [(r["status"], r["detail"]) for r in locked.json()["results"]] == [
        (409, "week locked"),
        (201, None),
    ]
    assert (
        backend.request(
            "POST", f"/contracts/{contract}/slots", client, json={"slots": batch}
        ).status_code
        == 403
    )
    assert (
        backend.request(
            "POST", f"/contracts/{contract}/slots", freelancer, json={"slots": []}
        ).status_code
        == 422
    )


def test_a_single_put_and_a_batch_of_one_answer_alike(sqlite_backend: Backend) -> None:
    """Ingest is one rule set: a PUT is a batch of one, refusals carry the same reason."""
    backend = sqlite_backend
    _client, freelancer, contract = _pair(backend)
    backend.clock.set(utc(2026, 11, 4, 12))
    now = backend.clock.now()
    deleted, held = TUESDAY_9, TUESDAY_9 + timedelta(minutes=10)
    backend.log_hours(freelancer, contract, deleted, 2)
    gone = backend.request("DELETE", f"/contracts/{contract}/slots/{iso(deleted)}", freelancer)
    assert gone.status_code == 204
    cases = [
        (deleted, 10),  # deleted on the server
        (held, 10),  # held with this body
        (held, 9),  # held with another body
        (utc(2026, 11, 4, 13), 10),  # from the future
        (TUESDAY_9 + timedelta(minutes=5), 10),  # off the grid
    ]
    for start, minutes in cases:
        single = backend.put_slot(freelancer, contract, start, minutes)
        item = {"slot_start": iso(start), **slot_body(minutes, client_now=now)}
        batch = backend.request(
            "POST", f"/contracts/{contract}/slots", freelancer, json={"slots": [item]}
        )
        [result] = batch.json()["results"]
        detail = single.json().get("detail") if single.status_code >= 400 else None
        assert (single.status_code, detail) == (result["status"], result["detail"]), start
