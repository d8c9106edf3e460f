"""The API with currencies of other exponents, the contract's start, and its headers —
through the real in-thread server on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from billing.db.models import User
from tests.billing.support import START, Backend, iso, slot_body
from tracker.clock import utc

IMAGE = b"\xff\xd8\xff a shot"


def _kwd_slots(backend: Backend, freelancer: User, contract: int) -> None:
    backend.log_hours(freelancer, contract, START, 2, minutes=10)
    backend.put_slot(freelancer, contract, START + timedelta(minutes=20), 5)  # 25 minutes


def _kwd_invoice_and_csv(backend: Backend, client: User, contract: int) -> None:
    [invoice] = backend.invoices(client, contract)
    # 25 min × 12.500 KWD / 60 = 5.20833… → 5.208 KWD, rounded to the fils
    assert (invoice["currency"], invoice["total_cents"]) == ("KWD", 5208)
    csv_text = backend.request(
        "GET", f"/contracts/{contract}/invoices/{invoice['id']}/csv", client
    ).text
    assert "currency_exponent,3" in csv_text
    assert ",12500,5208,,12.500,5.208" in csv_text  # minor units, then as written
    assert "total,5.208 KWD" in csv_text


def _slots_from_before_the_start(backend: Backend, freelancer: User, contract: int) -> None:
    before = START - timedelta(minutes=10)
    refused = backend.put_slot(freelancer, contract, before, 10)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("before the contract started")
    last_week = START - timedelta(days=3)
    batch = backend.request(
        "POST",
        f"/contracts/{contract}/slots",
        freelancer,
        json={
            "slots": [
                {"slot_start": iso(start), **slot_body(10, client_now=backend.clock.now())}
                for start in (last_week, before, START)
            ]
        },
    )
    assert batch.status_code == 200, batch.text
    results = [(r["status"], (r["detail"] or "")[:27]) for r in batch.json()["results"]]
    assert results == [
        (409, "before the contract started"),
        (409, "before the contract started"),
        (201, ""),
    ]


def _a_finalized_week_says_so(backend: Backend, freelancer: User, contract: int) -> None:
    later = START + timedelta(minutes=30)
    for at, reason in ((utc(2026, 11, 10), "week locked"), (utc(2026, 11, 14), "week finalized")):
        backend.jobs(at)
        put = backend.put_slot(freelancer, contract, later, 10, client_now=at)
        deleted = backend.request("DELETE", f"/contracts/{contract}/slots/{iso(START)}", freelancer)
        assert (put.status_code, put.json()["detail"]) == (409, reason)
        assert (deleted.status_code, deleted.json()["detail"]) == (409, reason)


def test_kwd_billing_the_contracts_start_and_finalized_weeks(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    # both made at START, Monday 09:00
    kwd = backend.hourly(client, freelancer, rate_cents=12_500, currency="KWD")  # 12.500/h
    usd = backend.hourly(client, freelancer)
    backend.clock.set(START + timedelta(hours=1))
    _kwd_slots(backend, freelancer, kwd)
    _slots_from_before_the_start(backend, freelancer, usd)
    backend.jobs(utc(2026, 11, 9))
    _kwd_invoice_and_csv(backend, client, kwd)
    [invoice] = backend.invoices(client, usd)
    assert invoice["total_cents"] == 667  # only the slot from the start: 10 min × $40/h
    _a_finalized_week_says_so(backend, freelancer, usd)


def test_api_answers_are_not_stored_and_shots_are_private(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer)
    backend.clock.set(START + timedelta(hours=1))
    backend.put_slot(freelancer, contract, START, 10, shot=IMAGE, taken_at=START)
    shot_path = f"/contracts/{contract}/slots/{iso(START)}/shot"
    assert backend.request("PUT", shot_path, freelancer, data=IMAGE).status_code == 201
    answers = {
        "json": backend.request("GET", "/me/contracts", client),
        "refusal": backend.request("GET", "/contracts/999999", client),
        "unauthenticated": backend.request("GET", "/me", None),
        "csv-less": backend.request("GET", f"/contracts/{contract}/invoices", client),
    }
    for what, response in answers.items():
        assert response.headers["Cache-Control"] == "no-store", what
    shot = backend.request("GET", shot_path, client)
    assert shot.status_code == 200 and shot.content == IMAGE
    assert shot.headers["Cache-Control"] == "private, no-store"
    health = backend.client.get("/api/v1/health")
    assert health.headers["Cache-Control"] == "no-store"
    unknown = backend.request(
        "POST",
        f"/contracts/{contract}/milestone-requests",
        freelancer,
        json={"amount_cents": 500, "currency": "XYZ", "description": "d"},
    )
    assert unknown.status_code == 422 and unknown.headers["Cache-Control"] == "no-store"
    assert "currency XYZ is not accepted" in unknown.json()["detail"][0]["msg"]
    signin = backend.client.get("/web/sign-in")
    assert signin.headers.get("Cache-Control") != "no-store"  # the web sets its own
