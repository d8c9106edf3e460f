"""A full week through the real ``workdiary-server serve`` over loopback, on SQLite and
PostgreSQL: upload a week of slots and shots, close, dispute, finalize, availability."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from billing.config import Settings
from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.session import make_engine, make_session_factory, unit_of_work
from billing.jobs import run_jobs
from billing.passwords import Passwords
from tests.support.server import RunningServer, running_server
from tracker.clock import utc

MONDAY = utc(2026, 11, 2)


def _login(server: RunningServer, email: str) -> requests.Session:
    http = requests.Session()
    response = http.post(
        f"{server.base_url}/api/v1/auth/token", json={"email": email, "password": "pw"}, timeout=10
    )
    assert response.status_code == 201, response.text
    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return http


def _people_and_contract(url: str) -> int:
    """Users and the contract, written straight to the server's database (the CLI that
    does the same is tested in test_cli.py; a process per user would slow this test)."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    passwords = Passwords.with_cost(1, 1024, 1)
    try:
        with unit_of_work(factory) as session:
            people = {
                role: create_user(
                    session,
                    passwords,
                    email=f"{role[0]}@w.test",
                    password="pw",
                    role=role,
                    now=MONDAY,
                )
                for role in ("client", "freelancer", "admin")
            }
            contract = create_hourly_contract(
                session,
                client=people["client"],
                freelancer=people["freelancer"],
                title="Backend",
                currency="USD",
                rate_cents=4000,
                now=MONDAY,
                weekly_cap_minutes=40 * 60,
            )
            return contract.id
    finally:
        engine.dispose()


def _jobs(url: str) -> Callable[[datetime], dict[str, int]]:
    def run(now: datetime) -> dict[str, int]:
        engine = make_engine(url)
        try:
            return run_jobs(make_session_factory(engine), now, Settings(database_url=url))
        finally:
            engine.dispose()

    return run


Jobs = Callable[[datetime], dict[str, int]]


def _upload_a_week_of_slots_and_a_shot_a_day(
    server: RunningServer, api: str, contract: int, freelancer: requests.Session, image: bytes
) -> None:
    # Monday to Friday, 2 hours a day (12 slots), one shot per slot; the tracker syncs
    # each day in the evening
    sha = hashlib.sha256(image).hexdigest()
    for day in range(5):
        server.set_now(MONDAY + timedelta(days=day, hours=20))
        for index in range(12):
            start = MONDAY + timedelta(days=day, hours=9, minutes=10 * index)
            path = f"{api}/contracts/{contract}/slots/{start:%Y-%m-%dT%H:%M:%SZ}"
            body: dict[str, Any] = {
                "minutes": 10,
                "activity": [{"keyboard": 3, "mouse": 9}] * 10,
                "memo": f"day {day}",
                "client_now": (MONDAY + timedelta(days=day, hours=20)).isoformat(),
                "shot": {"taken_at": (start + timedelta(minutes=2)).isoformat(), "sha256": sha},
            }
            assert freelancer.put(path, json=body, timeout=10).status_code == 201
            if index == 0:  # one upload a day is enough to show the round trip
                assert freelancer.put(f"{path}/shot", data=image, timeout=10).status_code == 201
    mine = freelancer.get(f"{api}/me/contracts", timeout=10).json()
    assert mine[0]["week_logged_minutes"] == 600 and mine[0]["week_billable_minutes"] == 600


def _close_the_week_into_a_draft(
    server: RunningServer, api: str, contract: int, client: requests.Session, jobs: Jobs
) -> None:
    report = server.run_jobs(utc(2026, 11, 9))  # `workdiary-server run-jobs --now`
    assert report["closed"] == 1
    # the later runs go through the same function in this process (a CLI process each
    # would cost seconds): same database, same code path
    assert jobs(utc(2026, 11, 9))["closed"] == 0  # again: nothing changes
    [draft] = client.get(f"{api}/contracts/{contract}/invoices", timeout=10).json()
    assert (draft["status"], draft["total_cents"]) == ("draft", 40000)  # 10 h × 40.00


def _lock_then_dispute_three_slots_resolved_paid(
    server: RunningServer,
    api: str,
    contract: int,
    people: tuple[requests.Session, requests.Session, requests.Session],
    jobs: Jobs,
) -> None:
    freelancer, client, admin = people
    assert jobs(utc(2026, 11, 9, 12))["locked"] == 1
    server.set_now(utc(2026, 11, 10, 8))
    disputed = [f"2026-11-06T09:{m:02d}:00Z" for m in (0, 10, 20)]
    dispute = client.post(
        f"{api}/contracts/{contract}/disputes",
        json={"slot_starts": disputed, "reason": "the screen shows a game"},
        timeout=10,
    )
    assert dispute.status_code == 201, dispute.text
    dispute_id = dispute.json()["id"]
    assert admin.post(f"{api}/admin/disputes/{dispute_id}/assign", timeout=10).status_code == 200
    assert (
        freelancer.post(
            f"{api}/contracts/{contract}/disputes/{dispute_id}/messages",
            json={"body": "a test run of the product"},
            timeout=10,
        ).status_code
        == 201
    )
    resolved = admin.post(
        f"{api}/contracts/{contract}/disputes/{dispute_id}/resolve",
        json={"outcome": "paid", "note": "checked"},
        timeout=10,
    )
    assert resolved.status_code == 200


def _finalize_with_the_supplement_then_release(
    api: str,
    contract: int,
    freelancer: requests.Session,
    client: requests.Session,
    jobs: Jobs,
) -> None:
    report = jobs(utc(2026, 11, 14))
    assert (report["finalized"], report["supplements"]) == (1, 1)
    [final] = client.get(f"{api}/contracts/{contract}/invoices", timeout=10).json()
    assert final["status"] == "finalized" and final["number"] == 1
    assert [line["amount_cents"] for line in final["lines"]] == [38000, 2000]
    csv_text = client.get(f"{api}/contracts/{contract}/invoices/{final['id']}/csv", timeout=10).text
    assert "total,400.00 USD" in csv_text

    balances = freelancer.get(f"{api}/me/balances", timeout=10).json()
    assert (balances[0]["pending_cents"], balances[0]["available_cents"]) == (40000, 0)
    assert jobs(utc(2026, 11, 18))["released"] == 1
    balances = freelancer.get(f"{api}/me/balances", timeout=10).json()
    assert (balances[0]["pending_cents"], balances[0]["available_cents"]) == (0, 40000)
    assert client.get(f"{api}/me/balances", timeout=10).json()[0]["charged_cents"] == 40000


def _the_shot_and_the_docs_are_served(
    server: RunningServer, api: str, contract: int, client: requests.Session, image: bytes
) -> None:
    shot = client.get(f"{api}/contracts/{contract}/slots/2026-11-02T09:00:00Z/shot", timeout=10)
    assert shot.status_code == 200 and shot.content == image
    docs = requests.get(f"{server.base_url}/docs", timeout=10)
    assert docs.status_code == 200
    assert (
        "/api/v1/contracts/{contract_id}/slots/{slot_start}"
        in requests.get(f"{server.base_url}/openapi.json", timeout=10).json()["paths"]
    )


def test_a_week_through_the_real_server(database_url: str, tmp_path: Path) -> None:
    with running_server(tmp_path / "server", database_url, now=MONDAY) as server:
        api = f"{server.base_url}/api/v1"
        contract = _people_and_contract(database_url)
        freelancer, client, admin = (
            _login(server, e) for e in ("f@w.test", "c@w.test", "a@w.test")
        )
        image = b"\xff\xd8\xff" + bytes(range(256)) * 4
        jobs = _jobs(database_url)  # only builds the runner; nothing runs yet
        _upload_a_week_of_slots_and_a_shot_a_day(server, api, contract, freelancer, image)
        _close_the_week_into_a_draft(server, api, contract, client, jobs)
        _lock_then_dispute_three_slots_resolved_paid(
            server, api, contract, (freelancer, client, admin), jobs
        )
        _finalize_with_the_supplement_then_release(api, contract, freelancer, client, jobs)
        _the_shot_and_the_docs_are_served(server, api, contract, client, image)


def test_the_scheduler_inside_serve_closes_the_week(tmp_path: Path) -> None:
    """``serve`` runs the jobs itself by its clock: past Monday 00:00 the draft appears."""
    url = f"sqlite:///{tmp_path / 'billing.sqlite3'}"
    with running_server(
        tmp_path / "server", url, now=utc(2026, 11, 4, 12), jobs_interval=0.2
    ) as server:
        api = f"{server.base_url}/api/v1"
        contract = _people_and_contract(url)
        freelancer, client = _login(server, "f@w.test"), _login(server, "c@w.test")
        body: dict[str, Any] = {
            "minutes": 10,
            "activity": [{"keyboard": 1, "mouse": 1}] * 10,
            "client_now": utc(2026, 11, 4, 12).isoformat(),
        }
        put = freelancer.put(
            f"{api}/contracts/{contract}/slots/2026-11-04T09:00:00Z", json=body, timeout=10
        )
        assert put.status_code == 201
        assert client.get(f"{api}/contracts/{contract}/invoices", timeout=10).json() == []
        server.set_now(utc(2026, 11, 9, 0, 1))
        deadline = time.monotonic() + 20
        invoices: list[dict[str, object]] = []
        while not invoices and time.monotonic() < deadline:
            invoices = client.get(f"{api}/contracts/{contract}/invoices", timeout=10).json()
            time.sleep(0.1)  # polling the server's own scheduler with a deadline
        assert [(i["status"], i["total_cents"]) for i in invoices] == [("draft", 667)]
