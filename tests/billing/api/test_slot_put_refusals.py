"""The slot PUT and batch routes refuse in the order every contract route does: the
caller first (401), then malformed parameters (422, all of them together), then the
contract (404 for a stranger, 403 for a party of the wrong role), then the body."""

from __future__ import annotations

from typing import Any

from tests.billing.support import Backend, iso, slot_body
from tracker.clock import utc

NOW = utc(2026, 11, 4, 12)
SLOT = utc(2026, 11, 3, 9)


def _put(backend: Backend, contract: object, body: Any, token: str | None) -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return backend.client.request(
        "PUT", f"/api/v1/contracts/{contract}/slots/{iso(SLOT)}", json=body, headers=headers
    )


def test_refusals_keep_their_order(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    client, freelancer = backend.user("client"), backend.user("freelancer")
    stranger = backend.user("freelancer")
    contract = backend.hourly(client, freelancer)
    backend.clock.set(NOW)
    good, bad = slot_body(10, client_now=NOW), {"minutes": "ten"}
    tokens = backend.tokens

    for token in (None, "not-a-token"):
        refused = _put(backend, "0", bad, token)
        assert refused.status_code == 401, refused.text
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert _put(backend, contract, good, "nope").json()["detail"] == "token unknown or revoked"

    malformed = _put(backend, "0", bad, tokens[freelancer.id])
    assert malformed.status_code == 422, malformed.text
    where = {tuple(error["loc"][:2]) for error in malformed.json()["detail"]}
    assert ("path", "contract_id") in where and ("body", "minutes") in where, where

    assert _put(backend, contract, bad, tokens[stranger.id]).status_code == 404
    assert _put(backend, contract + 1000, good, tokens[freelancer.id]).status_code == 404
    forbidden = _put(backend, contract, bad, tokens[client.id])
    assert forbidden.status_code == 403, forbidden.text
    assert _put(backend, contract, bad, tokens[freelancer.id]).status_code == 422
    stored = _put(backend, contract, good, tokens[freelancer.id])
    assert stored.status_code == 201, stored.text

    batch = backend.client.request(
        "POST",
        f"/api/v1/contracts/{contract}/slots",
        json={"slots": [{"slot_start": iso(SLOT), **good}]},
        headers={"Authorization": f"Bearer {tokens[stranger.id]}"},
    )
    assert batch.status_code == 404, batch.text
