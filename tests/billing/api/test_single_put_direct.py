"""The single slot PUT stores a well-formed request without FastAPI's request handling
(``_put_slot_directly``); every other request is FastAPI's, answered as it was before:
these are the answers FastAPI gave the route before it had a handler of its own."""

from __future__ import annotations

import json
from typing import Any

import fastapi.routing
import pytest

from billing.db.models import User
from billing.services.hourly import DELETED_SLOT
from tests.billing.support import Backend, iso, slot_body
from tracker.clock import utc

NOW = utc(2026, 11, 4, 12)
SLOT = utc(2026, 11, 3, 9)
JSON = {"Content-Type": "application/json"}
NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"


def _error(loc: list[Any], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": kind}


def _malformed(good: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    raw = json.dumps(good).encode()
    return [
        ("", {"json": {"minutes": "ten"}}, [
            _error(["body", "minutes"], "Input should be a valid integer, unable to parse "
                   "string as an integer", "int_parsing"),
            _error(["body", "client_now"], "Field required", "missing"),
        ]),
        ("", {"json": {**good, "extra": 1}},
         [_error(["body", "extra"], "Extra inputs are not permitted", "extra_forbidden")]),
        ("", {"data": b"{", "headers": JSON},
         [_error(["body", 1], "JSON decode error", "json_invalid")]),
        ("", {"data": raw + b"x", "headers": JSON},
         [_error(["body", len(raw)], "JSON decode error", "json_invalid")]),
        ("", {"data": b"", "headers": JSON}, [_error(["body"], "Field required", "missing")]),
        ("", {"data": raw}, [_error(["body"], NOT_AN_OBJECT, "model_attributes_type")]),
        ("", {"data": raw, "headers": {"Content-Type": "text/plain"}},
         [_error(["body"], NOT_AN_OBJECT, "model_attributes_type")]),
        ("", {"json": {**good, "minutes": 3}}, [
            _error(["body"], "Value error, activity must have one entry per tracked minute "
                   "(3), got 10", "value_error"),
        ]),
        ("", {"json": {**good, "memo": "a\x00"}}, [
            _error(["body", "memo"], "Value error, text must not contain NUL characters",
                   "value_error"),
        ]),
        ("2026-13-03T09:00:00Z", {"json": good}, [
            _error(["path", "slot_start"], "Input should be a valid datetime or date, month "
                   "value is outside expected range of 1-12", "datetime_from_date_parsing"),
        ]),
        ("nope", {"json": {"minutes": 0}}, [
            _error(["path", "slot_start"], "Input should be a valid datetime or date, input "
                   "is too short", "datetime_from_date_parsing"),
            _error(["body", "minutes"], "Input should be greater than or equal to 1",
                   "greater_than_equal"),
            _error(["body", "client_now"], "Field required", "missing"),
        ]),
    ]


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """One entry per request whose parameters FastAPI solved."""
    seen: list[object] = []
    solve = fastapi.routing.solve_dependencies

    async def counted(**kwargs: Any) -> Any:
        seen.append(kwargs["request"])
        return await solve(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    return seen


def _contract_of_a_freelancer(backend: Backend) -> tuple[int, str, User]:
    """A new hourly contract at ``NOW``: its id, its freelancer's token, the freelancer."""
    freelancer = backend.user("freelancer")
    contract = backend.hourly(backend.user("client"), freelancer)
    backend.clock.set(NOW)
    return contract, backend.tokens[freelancer.id], freelancer


def test_a_malformed_put_gets_fastapis_answer(
    sqlite_backend: Backend, solved: list[object]
) -> None:
    backend = sqlite_backend
    contract, token, _freelancer = _contract_of_a_freelancer(backend)
    auth = {"Authorization": f"Bearer {token}"}
    for start, kwargs, errors in _malformed(slot_body(10, client_now=NOW)):
        headers = {**auth, **kwargs.pop("headers", {})}
        path = f"/api/v1/contracts/{contract}/slots/{start or iso(SLOT)}"
        answer = backend.client.request("PUT", path, headers=headers, **kwargs)
        assert (answer.status_code, answer.json()) == (422, {"detail": errors}), path
    bad_id = backend.client.request(
        "PUT", f"/api/v1/contracts/0/slots/{iso(SLOT)}", headers=auth,
        json=slot_body(10, client_now=NOW),
    )
    assert bad_id.json() == {"detail": [
        _error(["path", "contract_id"], "Input should be greater than or equal to 1",
               "greater_than_equal")
    ]}
    assert solved  # FastAPI answered them


def test_a_well_formed_put_is_stored_directly(
    sqlite_backend: Backend, solved: list[object]
) -> None:
    backend = sqlite_backend
    contract, token, _freelancer = _contract_of_a_freelancer(backend)
    good = slot_body(10, client_now=NOW)
    solved.clear()
    stored = backend.put_slot_as(token, contract, SLOT, good)
    assert stored.status_code == 201, stored.text
    assert stored.json() == {
        "slot_start": iso(SLOT), "created": True, "over_limit_minutes": 0,
        "shot_expected": False, "week_logged_minutes": 10,
    }
    assert stored.headers["content-type"] == "application/json"
    again = backend.put_slot_as(token, contract, SLOT, good)
    assert (again.status_code, again.json()["created"]) == (200, False)
    other = backend.put_slot_as(token, contract, SLOT, {**good, "memo": "other"})
    assert other.status_code == 409, other.text
    assert other.json() == {"detail": "slot already held with a different body (memo differs)"}
    refused = backend.put_slot_as("not-a-token", contract, SLOT, good)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert backend.put_slot_as(token, 2**31 - 1, SLOT, good).status_code == 404
    assert solved == []  # none of them was FastAPI's

    # another JSON content type, or JSON FastAPI decodes and pydantic does not (UTF-16),
    # is FastAPI's: stored all the same
    for start, data, ctype in (
        (SLOT.replace(minute=10), json.dumps(good).encode("utf-16"), "application/json"),
        (SLOT.replace(minute=20), json.dumps(good).encode(), "application/json; charset=utf-8"),
    ):
        answer = backend.client.request(
            "PUT", f"/api/v1/contracts/{contract}/slots/{iso(start)}", data=data,
            headers={"Authorization": f"Bearer {token}", "Content-Type": ctype},
        )
        assert answer.status_code == 201, answer.text
    assert len(solved) == 2


def test_a_deleted_slot_stays_deleted(backend: Backend) -> None:
    contract, token, freelancer = _contract_of_a_freelancer(backend)
    good = slot_body(10, client_now=NOW)
    assert backend.put_slot_as(token, contract, SLOT, good).status_code == 201
    deleted = backend.request(
        "DELETE", f"/contracts/{contract}/slots/{iso(SLOT)}", freelancer
    )
    assert deleted.status_code == 204, deleted.text
    for body in (good, {**good, "memo": "other"}):
        again = backend.put_slot_as(token, contract, SLOT, body)
        assert again.status_code == 409, again.text
        assert again.json() == {"detail": DELETED_SLOT}
    week = backend.request("GET", f"/contracts/{contract}", freelancer).json()
    assert week["week_logged_minutes"] == 0
