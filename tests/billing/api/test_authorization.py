"""Authorization matrix: every endpoint × (the owner, the other party, a stranger of each
role, no token). Strangers never read or change anything; a freelancer cannot dispute or
resolve; a client cannot upload or delete slots. Every answer's status is one the
OpenAPI document lists for that operation, and the document lists the refusals each
kind of operation can give (413 for bodies, 429 for sign-in)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi.routing import APIRoute

from billing.db.models import User
from billing.web.secret import secret_for
from billing.web.security import unsign_session
from tests.billing.support import Backend, iso, slot_body
from tests.billing.web_session import web_sign_in
from tracker.clock import utc

TUESDAY_9 = utc(2026, 11, 3, 9)
IMAGE = b"\xff\xd8\xff matrix shot"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with {c}, {slot}, {invoice}, {dispute}
    allowed: frozenset[str]  # who may: freelancer, client, admin (assigned), any, admin_any
    body: object = None
    raw: bytes | None = None


def _a_week_with_a_shot_an_invoice_and_an_assigned_dispute(
    backend: Backend, client: User, freelancer: User, admin: User, contract: int
) -> tuple[int, int]:
    """Something behind every endpoint: a slot with its shot, a locked week's invoice and a
    dispute an admin holds, the clock past the freelancer's answer window. Returns the
    invoice's and the dispute's ids."""
    backend.clock.set(utc(2026, 11, 4, 12))
    taken = TUESDAY_9 + timedelta(minutes=3)
    assert (
        backend.put_slot(
            freelancer, contract, TUESDAY_9, 10, shot=IMAGE, taken_at=taken
        ).status_code
        == 201
    )
    backend.request(
        "PUT", f"/contracts/{contract}/slots/{iso(TUESDAY_9)}/shot", freelancer, data=IMAGE
    )
    backend.log_hours(freelancer, contract, TUESDAY_9 + timedelta(minutes=10), 3)
    backend.jobs(utc(2026, 11, 9, 12))
    [invoice] = backend.invoices(client, contract)
    dispute: int = backend.request(
        "POST",
        f"/contracts/{contract}/disputes",
        client,
        json={"slot_starts": [iso(TUESDAY_9 + timedelta(minutes=10))], "reason": "?"},
    ).json()["id"]
    backend.request("POST", f"/admin/disputes/{dispute}/assign", admin)
    backend.clock.set(utc(2026, 11, 12, 13))  # after the freelancer's answer window
    invoice_id: int = invoice["id"]
    return invoice_id, dispute


def _signed_diary_endpoints(party: frozenset[str]) -> list[Endpoint]:
    entry = {"record": {}, "prev_hash": "0" * 64, "hash": "0" * 64, "signature": "0" * 128}
    return [
        Endpoint("GET", "/contracts/{c}/evidence?week=2026-11-03", party),
        Endpoint("POST", "/contracts/{c}/chain", frozenset({"freelancer"}),
                 {"device_key": "ab" * 32, "entries": [entry]}),
        # any signed-in user registers a device key (the first caller; then 409 for others)
        Endpoint("POST", "/devices", frozenset({"any"}), {"public_key": "cd" * 32}),
    ]


def _endpoints_and_who_may_call_them(now: datetime) -> list[Endpoint]:
    """The matrix; ``now`` is the client's clock in the slot bodies."""
    new_slot = iso(utc(2026, 11, 12, 10))
    party = frozenset({"freelancer", "client", "admin"})
    return [
        Endpoint("GET", "/contracts/{c}", party),
        Endpoint("PATCH", "/contracts/{c}", frozenset({"client"}), {"blur_screenshots": True}),
        Endpoint(
            "PUT",
            "/contracts/{c}/slots/" + new_slot,
            frozenset({"freelancer"}),
            slot_body(10, client_now=now),
        ),
        Endpoint("PUT", "/contracts/{c}/slots/{slot}/shot", frozenset({"freelancer"}), raw=IMAGE),
        Endpoint(
            "POST",
            "/contracts/{c}/slots",
            frozenset({"freelancer"}),
            {"slots": [{"slot_start": new_slot, **slot_body(10, client_now=now)}]},
        ),
        Endpoint("GET", "/contracts/{c}/slots/{slot}/shot", party),
        Endpoint("DELETE", "/contracts/{c}/slots/" + new_slot, frozenset({"freelancer"})),
        Endpoint("GET", "/contracts/{c}/diary?week=2026-11-03", party),
        *_signed_diary_endpoints(party),
        Endpoint("GET", "/contracts/{c}/invoices", frozenset({"freelancer", "client"})),
        Endpoint("GET", "/contracts/{c}/invoices/{invoice}", frozenset({"freelancer", "client"})),
        Endpoint(
            "GET", "/contracts/{c}/invoices/{invoice}/csv", frozenset({"freelancer", "client"})
        ),
        Endpoint(
            "POST",
            "/contracts/{c}/disputes",
            frozenset({"client"}),
            {"slot_starts": [iso(TUESDAY_9 + timedelta(minutes=20))], "reason": "matrix"},
        ),
        Endpoint("GET", "/contracts/{c}/disputes", party),
        Endpoint("GET", "/contracts/{c}/disputes/{dispute}", party),
        Endpoint("POST", "/contracts/{c}/disputes/{dispute}/messages", party, {"body": "hello"}),
        Endpoint("GET", "/admin/disputes", frozenset({"admin_any"})),
        Endpoint("POST", "/admin/disputes/{dispute}/assign", frozenset({"admin_any"})),
        Endpoint(
            "POST",
            "/contracts/{c}/disputes/{dispute}/resolve",
            frozenset({"admin"}),
            {"outcome": "not_paid", "note": "matrix"},
        ),
        Endpoint("GET", "/me", frozenset({"any"})),
        Endpoint("GET", "/me/contracts", frozenset({"any"})),
        Endpoint("GET", "/me/balances", frozenset({"any"})),
        Endpoint("DELETE", "/auth/token", frozenset({"any"})),
        # DOMAIN.md "Ending": either party may end a contract
        Endpoint("POST", "/contracts/{c}/end", frozenset({"freelancer", "client"})),
    ]


Documented = dict[tuple[str, str], set[str]]


def _documented_statuses(backend: Backend) -> Documented:
    """(method, path shape) → the statuses the OpenAPI document lists for it."""
    document = backend.client.app.openapi()  # type: ignore[attr-defined]
    return {
        (method.upper(), _shape(path.removeprefix("/api/v1"))): set(operation["responses"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _the_document_lists_each_kind_of_refusal(documented: Documented) -> None:
    assert {"401", "413", "422", "429"} <= documented[("POST", "/auth/token")]
    for (method, path), statuses in documented.items():
        if path == "/health":
            continue
        assert "401" in statuses, (method, path)
        if path.startswith("/contracts/"):
            assert {"403", "404", "422"} <= statuses, (method, path)
        if method != "GET":
            assert "413" in statuses or (path == "/auth/token" and method == "DELETE"), path
        if method != "GET" and path.startswith("/contracts/"):
            assert "409" in statuses, (method, path)


def _call_as(
    backend: Backend,
    endpoint: Endpoint,
    path: str,
    name: str,
    user: User | None,
    contract: int,
    documented: Documented,
) -> None:
    """One cell of the matrix: the caller gets in exactly when the endpoint allows them,
    with a status the OpenAPI document lists for the endpoint."""
    kwargs = {"json": endpoint.body} if endpoint.body is not None else {}
    if endpoint.raw is not None:
        kwargs = {"data": endpoint.raw}
    response = backend.request(endpoint.method, path, user, **kwargs)
    where = f"{endpoint.method} {endpoint.path} as {name}: {response.text[:200]}"
    assert response.status_code < 500, where
    listed = documented[(endpoint.method, _shape(endpoint.path))]
    assert str(response.status_code) in listed, (where, sorted(listed))
    if user is None:
        assert response.status_code == 401, where
        return
    may = (
        "any" in endpoint.allowed
        or ("admin_any" in endpoint.allowed and user.role == "admin")
        or (not name.startswith("stranger") and name in endpoint.allowed)
    )
    if may:
        assert response.status_code not in (401, 403, 404), where
    elif name.startswith("stranger") and "admin_any" not in endpoint.allowed:
        assert response.status_code in (403, 404), where
    else:
        assert response.status_code == 403, where
    if name.startswith("stranger") and endpoint.path == "/me/contracts":
        assert contract not in [c["id"] for c in response.json()], where


def test_every_endpoint_against_every_caller(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer)
    strangers = {
        "stranger_freelancer": backend.user("freelancer"),
        "stranger_client": backend.user("client"),
        "stranger_admin": backend.user("admin"),
    }
    admin = backend.user("admin")
    # a second, unrelated contract of the strangers, so they have data of their own
    backend.hourly(strangers["stranger_client"], strangers["stranger_freelancer"])

    invoice_id, dispute = _a_week_with_a_shot_an_invoice_and_an_assigned_dispute(
        backend, client, freelancer, admin, contract
    )
    slot = iso(TUESDAY_9)
    endpoints = _endpoints_and_who_may_call_them(backend.clock.now())
    _every_route_is_in_the_matrix(backend, endpoints)
    documented = _documented_statuses(backend)
    _the_document_lists_each_kind_of_refusal(documented)

    callers = {
        "freelancer": freelancer,
        "client": client,
        "admin": admin,
        **strangers,
        "nobody": None,
    }
    for endpoint in endpoints:
        path = endpoint.path.format(c=contract, slot=slot, invoice=invoice_id, dispute=dispute)
        for name, user in callers.items():
            if endpoint.path == "/auth/token" and user is not None:
                continue  # revoking is checked in its own test; keep the tokens alive
            _call_as(backend, endpoint, path, name, user, contract, documented)
    # the stranger's reads and writes changed nothing visible on the contract
    diary = backend.request("GET", f"/contracts/{contract}/diary?week=2026-11-03", client).json()
    assert diary["slots"][0]["shot"]["sha256"] == hashlib.sha256(IMAGE).hexdigest()
    _no_endpoint_takes_a_web_session_or_an_expired_token(
        backend, endpoints, client, admin, contract=contract, slot=slot, invoice=invoice_id,
        dispute=dispute,
    )


def _no_endpoint_takes_a_web_session_or_an_expired_token(
    backend: Backend, endpoints: list[Endpoint], *users: User, **ids: object
) -> None:
    """401 from every endpoint for a web session's token used as a bearer token, and
    for the parties' own API tokens once unused past their idle lifetime."""
    web = web_sign_in(backend, users[0].email)
    web_token = unsign_session(secret_for(backend.settings), web.cookies["wd_session"])
    assert web_token is not None
    backend.clock.advance(backend.settings.api_token_idle_lifetime + timedelta(minutes=1))
    refused = {"token unknown or revoked": [web_token]}
    refused["session expired"] = [backend.tokens[user.id] for user in users]
    for endpoint in endpoints:
        path = "/api/v1" + endpoint.path.format(
            c=ids["contract"], slot=ids["slot"], invoice=ids["invoice"], dispute=ids["dispute"]
        )
        for reason, tokens in refused.items():
            for token in tokens:
                response = backend.client.request(
                    endpoint.method, path, headers={"Authorization": f"Bearer {token}"}
                )
                where = f"{endpoint.method} {endpoint.path}: {response.text[:200]}"
                assert response.status_code == 401, where
                assert response.json()["detail"] == reason, where


def _every_route_is_in_the_matrix(backend: Backend, endpoints: list[Endpoint]) -> None:
    covered = {(e.method, _shape(e.path)) for e in endpoints}
    app = backend.client.app
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/v1"):
            continue
        if route.endpoint.__module__ == "billing.api.milestones" or route.path == "/api/v1/health":
            continue
        for method in route.methods:
            assert (method, _shape(route.path.removeprefix("/api/v1"))) in covered, (
                method,
                route.path,
            )


def _shape(path: str) -> str:
    """Path with every parameter or concrete value replaced by '*' (for comparison)."""
    parts = []
    for part in path.split("?")[0].split("/"):
        if part.startswith("{") or part[:1].isdigit():
            parts.append("*")
        else:
            parts.append(part)
    return "/".join(parts)
