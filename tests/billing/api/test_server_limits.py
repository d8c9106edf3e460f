"""The real ``workdiary-server serve`` under big bodies and stalled clients.

- A 64 MiB body, with ``Content-Length`` and chunked, to the anonymous token route and
  to a freelancer's shot upload: 413 with a JSON reason, and the server's peak RSS
  barely moves (the 1 GiB figure is in bench/body_limits.py).
- Stalled shot uploads (some bytes, then nothing) hold no database: twenty requests
  from another freelancer are served while they all still hang (before, on SQLite they
  waited 30 s for the write lock, then 503), on SQLite and PostgreSQL; the stalled ones
  are then answered 408.
"""

from __future__ import annotations

import hashlib
import json
import select
import socket
import time
from datetime import timedelta
from pathlib import Path

import requests

from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.session import make_engine, make_session_factory, sqlite_url, unit_of_work
from billing.passwords import Passwords
from tests.support.big_body import peak_rss_bytes, read_response, send_body, stalled_body
from tests.support.server import RunningServer, running_server
from tracker.clock import utc

MIB = 1024 * 1024
NOW = utc(2026, 11, 4, 12)  # a Wednesday
SLOT = utc(2026, 11, 4, 8)  # 20 slots from here end before NOW
IMAGE = b"\xff\xd8\xff" + bytes(2000)
READ_TIMEOUT_SECONDS = 10  # the stalled uploads' 408 comes after the other requests


def _answered(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _two_freelancers_on_contracts(url: str) -> list[int]:
    """Freelancers f0@ and f1@, each on an hourly contract; returns the contract ids."""
    engine = make_engine(url)
    passwords = Passwords.with_cost(1, 1024, 1)
    try:
        with unit_of_work(make_session_factory(engine)) as session:

            def user(email: str, role: str):  # type: ignore[no-untyped-def]
                return create_user(
                    session, passwords, email=email, password="pw", role=role, now=NOW
                )

            client = user("c@w.test", "client")
            return [
                create_hourly_contract(
                    session,
                    client=client,
                    freelancer=user(f"f{index}@w.test", "freelancer"),
                    title="Work",
                    currency="USD",
                    rate_cents=4000,
                    now=SLOT - timedelta(days=1),  # before the slots: none is pre-contract
                    weekly_cap_minutes=None,
                ).id
                for index in range(2)
            ]
    finally:
        engine.dispose()


def _signed_in(server: RunningServer, email: str) -> requests.Session:
    http = requests.Session()
    response = http.post(
        f"{server.base_url}/api/v1/auth/token", json={"email": email, "password": "pw"}, timeout=10
    )
    assert response.status_code == 201, response.text
    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return http


def _slot_path(contract: int, minutes: int = 0) -> str:
    start = SLOT + timedelta(minutes=minutes)
    return f"/api/v1/contracts/{contract}/slots/{start:%Y-%m-%dT%H:%M:%SZ}"


def _put_slot(server: RunningServer, http: requests.Session, contract: int, minutes: int) -> int:
    start = SLOT + timedelta(minutes=minutes)
    body = {
        "minutes": 10,
        "activity": [{"keyboard": 3, "mouse": 9}] * 10,
        "memo": "work",
        "client_now": NOW.isoformat(),
        "shot": {
            "taken_at": (start + timedelta(minutes=2)).isoformat(),
            "sha256": hashlib.sha256(IMAGE).hexdigest(),
        },
    }
    response = http.put(server.base_url + _slot_path(contract, minutes), json=body, timeout=10)
    return response.status_code


def test_bodies_over_the_limit_are_413_and_the_server_stays_small(tmp_path: Path) -> None:
    with running_server(tmp_path / "server", now=NOW) as server:
        contract, _ = _two_freelancers_on_contracts(sqlite_url(server.data_dir))
        freelancer = _signed_in(server, "f0@w.test")
        assert _put_slot(server, freelancer, contract, 0) == 201
        shot = _slot_path(contract) + "/shot"
        auth = {"Authorization": str(freelancer.headers["Authorization"])}
        before = peak_rss_bytes(server.pid)
        answers = [
            send_body(server.base_url, method, path, headers, 64 * MIB, chunked=chunked)
            for method, path, headers in [
                ("POST", "/api/v1/auth/token", {"Content-Type": "application/json"}),
                ("PUT", shot, {**auth, "Content-Type": "image/jpeg"}),
            ]
            for chunked in (False, True)
        ]
        growth = peak_rss_bytes(server.pid) - before
        assert [status for status, _, _ in answers] == [413] * 4
        details = [json.loads(body)["detail"] for _, body, _ in answers]
        assert details[0] == "request body too large: this route takes at most 65536 bytes"
        assert details[2] == f"request body too large: this route takes at most {20 * MIB} bytes"
        assert growth < 16 * MIB, f"peak RSS grew by {growth / MIB:.1f} MiB"
        assert list((server.data_dir / "incoming").iterdir()) == []  # no spool left behind
        stored = freelancer.put(server.base_url + shot, data=IMAGE, timeout=10)
        assert stored.status_code == 201, stored.text  # and a shot that fits still goes in


def test_stalled_uploads_hold_no_database(database_url: str, tmp_path: Path) -> None:
    # one stall takes SQLite's write lock if held; PostgreSQL's pool has 30 connections
    stalls_wanted = 1 if database_url.startswith("sqlite") else 32
    settings = {"WORKDIARY_BODY_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT_SECONDS)}
    with running_server(
        tmp_path / "server", database_url=database_url, now=NOW, extra_env=settings
    ) as server:
        stalled_contract, other_contract = _two_freelancers_on_contracts(database_url)
        staller, other = _signed_in(server, "f0@w.test"), _signed_in(server, "f1@w.test")
        assert _put_slot(server, staller, stalled_contract, 0) == 201
        headers = {"Authorization": str(staller.headers["Authorization"])}
        path = _slot_path(stalled_contract) + "/shot"
        stalls = [
            stalled_body(server.base_url, "PUT", path, headers, declared=1_000_000, sent=103)
            for _ in range(stalls_wanted)
        ]
        try:
            # let the server authorize them and start reading (not observable from outside)
            time.sleep(1.5)
            started = time.monotonic()
            statuses = [
                _put_slot(server, other, other_contract, 10 * index)
                if index % 2
                else other.get(f"{server.base_url}/api/v1/me/contracts", timeout=10).status_code
                for index in range(20)
            ]
            elapsed = time.monotonic() - started
            assert statuses == [200 if index % 2 == 0 else 201 for index in range(20)]
            # served while every stall still hangs: nobody waited for a stalled upload (the
            # time is printed, not asserted: timings on a shared machine are noisy)
            print(f"20 requests beside {len(stalls)} stalled uploads: {elapsed:.2f} s (target < 3)")
            assert not any(_answered(sock) for sock in stalls)
            answers = [read_response(sock) for sock in stalls]
        finally:
            for sock in stalls:
                sock.close()
        assert {status for status, _ in answers} == {408}
        assert json.loads(answers[0][1]) == {
            "detail": "request body not received in time; send it again"
        }
