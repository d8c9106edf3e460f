"""Inputs at the edges (calendar limits, undecodable bodies, NUL bytes, huge ids) get a
4xx that says what is wrong — on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing.db.models import User
from tests.billing.support import Backend, slot_body
from tracker.clock import utc

# method, path, caller (None: no token), the request's keyword arguments
EdgeRequest = tuple[str, str, User | None, dict[str, Any]]


def _edge_requests(
    contract: int, client: User, freelancer: User, now: datetime
) -> list[EdgeRequest]:
    slots = f"/contracts/{contract}/slots"
    good = slot_body(5, client_now=now)
    return [
        ("PUT", f"{slots}/0001-01-01T00:00:00+01:00", freelancer, {"json": good}),
        ("PUT", f"{slots}/9999-12-31T23:50:00Z", freelancer, {"json": good}),
        ("PUT", f"{slots}/2026-13-03T09:00:00Z", freelancer, {"json": good}),
        ("PUT", f"{slots}/2026-11-03T09:00:00", freelancer, {"json": good}),  # naive
        ("PUT", f"{slots}/2026-11-03T09:00:00Z", freelancer, {"data": b"\xff\xfe"}),
        ("PUT", f"{slots}/2026-11-03T09:00:00Z", freelancer, {"json": {**good, "memo": "a\x00"}}),
        (
            "PUT",
            f"{slots}/2026-11-03T09:00:00Z",
            freelancer,
            {"json": {**good, "client_now": "9999-12-31T23:59:59-05:00"}},
        ),
        (
            "PUT",
            f"{slots}/2026-11-03T09:00:00Z",
            freelancer,
            {"json": {**good, "activity": [{"keyboard": -1, "mouse": 0}] * 5}},
        ),
        (
            "PUT",
            f"{slots}/2026-11-03T09:00:00Z",
            freelancer,
            {"json": {**good, "shot": {"taken_at": "2026-11-03T09:01:00Z", "sha256": "XYZ"}}},
        ),
        ("GET", f"/contracts/{contract}/diary?day=0001-01-01", client, {}),
        ("GET", f"/contracts/{contract}/diary?week=9999-12-31", client, {}),
        ("GET", f"/contracts/{contract}/diary", client, {}),
        ("GET", f"/contracts/{2**40}", client, {}),
        ("GET", f"/contracts/{contract}/invoices/{2**40}", client, {}),
        (
            "POST",
            f"/contracts/{contract}/disputes",
            client,
            {"json": {"slot_starts": ["0001-01-01T00:00:00+05:00"], "reason": "x"}},
        ),
        (
            "POST",
            f"/contracts/{contract}/disputes",
            client,
            {"json": {"slot_starts": [], "reason": "x"}},
        ),
        ("PATCH", f"/contracts/{contract}", client, {"json": {"weekly_cap_hours": 0}}),
        ("PATCH", f"/contracts/{contract}", client, {"json": {"weekly_cap_hours": 10**30}}),
        ("POST", "/auth/token", None, {"data": b"{bad"}),
        ("POST", "/auth/token", None, {"json": {"email": "a\x00@b.c", "password": "x"}}),
        (
            "POST",
            "/auth/token",
            None,
            {"json": {"email": "nobody@b.c", "password": "x", "extra": 1}},
        ),
    ]


def test_edge_inputs_get_4xx_with_a_message(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer)
    now = backend.clock.set(utc(2026, 11, 4, 12))
    requests = _edge_requests(contract, client, freelancer, now)
    for method, path, user, kwargs in requests:
        response = backend.request(method, path, user, **kwargs)
        assert 400 <= response.status_code < 500, (
            method,
            path,
            response.status_code,
            response.text,
        )
        assert response.json()["detail"], (method, path)
