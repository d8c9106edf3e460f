"""The single slot PUT is authorized by the transaction that stores it: one transaction
per PUT (on SQLite the group's it is stored in, on PostgreSQL its own), where there were
two (a read-only one for the token, then the write). The token's due renewal commits with
the slot, also when the slot is refused; a token revoked or expired is refused by that
transaction, and the refusals keep the API's order (``authorized_first``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from billing.db.models import ApiToken
from billing.db.session import unit_of_work
from tests.billing.support import Backend, iso, slot_body
from tracker.clock import utc

NOW = utc(2026, 11, 4, 12)
FIRST = utc(2026, 11, 3, 9)


def _put(backend: Backend, token: str, contract: int, body: Any) -> Any:
    return backend.put_slot_as(token, contract, FIRST, body)


def _expiry(backend: Backend, token_id: int) -> Any:
    with unit_of_work(backend.session_factory) as session:
        return session.scalars(select(ApiToken.expires_at).where(ApiToken.id == token_id)).one()


def _token_id(backend: Backend, user_id: int) -> int:
    with unit_of_work(backend.session_factory) as session:
        return session.scalars(
            select(ApiToken.id).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        ).first() or 0


def test_a_single_put_is_one_transaction_that_also_renews_the_token(backend: Backend) -> None:
    freelancer = backend.user("freelancer")
    contract = backend.hourly(backend.user("client"), freelancer)
    token = backend.tokens[freelancer.id]
    token_id = _token_id(backend, freelancer.id)
    backend.clock.set(NOW)  # days after sign-in: the token's renewal is due
    before = _expiry(backend, token_id)
    begins = backend.engine_events("begin")
    stored = _put(backend, token, contract, slot_body(10, client_now=NOW))
    assert stored.status_code == 201, stored.text
    assert len(begins) == 1  # authorized and stored by one transaction
    renewed = _expiry(backend, token_id)
    assert renewed > before
    assert renewed == NOW + backend.settings.api_token_idle_lifetime

    # a refused PUT (another body for the slot held) still renews, as any use does
    backend.clock.set(NOW + timedelta(days=3))
    begins.clear()
    refused = _put(backend, token, contract, slot_body(10, memo="other", client_now=NOW))
    assert refused.status_code == 409, refused.text
    assert len(begins) == 1
    assert _expiry(backend, token_id) == NOW + timedelta(days=3) + (
        backend.settings.api_token_idle_lifetime
    )


def test_the_storing_transaction_refuses_a_bad_caller_in_the_api_order(
    backend: Backend,
) -> None:
    freelancer, client = backend.user("freelancer"), backend.user("client")
    contract = backend.hourly(client, freelancer)
    stranger = backend.user("freelancer")
    backend.clock.set(NOW)
    body = slot_body(10, client_now=NOW)
    # not a party: 404 (the contract's existence is not told); the client: 403
    assert _put(backend, backend.tokens[stranger.id], contract, body).status_code == 404
    forbidden = _put(backend, backend.tokens[client.id], contract, body)
    assert forbidden.status_code == 403, forbidden.text
    # an unknown token: 401 with its challenge, also for a malformed body (401 before 422)
    for sent in (body, {"minutes": "ten"}):
        unknown = _put(backend, "not-a-token", contract, sent)
        assert unknown.status_code == 401, unknown.text
        assert unknown.json() == {"detail": "token unknown or revoked"}
        assert 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]
    # no token at all, with a malformed contract id and body: 401 still comes first
    bare = backend.client.request(
        "PUT", f"/api/v1/contracts/abc/slots/{iso(FIRST)}", json={"minutes": "ten"}
    )
    assert bare.status_code == 401, bare.text
    # the client's malformed PUT: 403 before 422, as every route answers
    assert _put(backend, backend.tokens[client.id], contract, {"minutes": "ten"}).status_code == 403
    # the freelancer's own malformed PUT: 422, and nothing was stored by the refusals
    malformed = _put(backend, backend.tokens[freelancer.id], contract, {"minutes": "ten"})
    assert malformed.status_code == 422
    assert _put(backend, backend.tokens[freelancer.id], contract, body).status_code == 201


def test_a_single_put_takes_the_statements_it_needs(sqlite_backend: Backend) -> None:
    """A new slot is inserted with no look-up first (a held one is looked up once the
    insert found it held), in a savepoint sent as plain SQL: the statements of a PUT
    stored alone on SQLite, the group's (BEGIN, its contracts, their caps, its callers'
    tokens) first."""
    backend = sqlite_backend
    freelancer = backend.user("freelancer")
    contract = backend.hourly(backend.user("client"), freelancer)
    token = backend.tokens[freelancer.id]
    backend.clock.set(NOW)
    backend.put_slot_as(token, contract, FIRST + timedelta(hours=1), slot_body(client_now=NOW))
    sent: list[str] = []
    engine = backend.client.app.state.engine  # type: ignore[attr-defined]
    event.listen(
        engine, "before_cursor_execute",
        lambda _c, _cur, statement, *_: sent.append(" ".join(statement.split()[:3])),
    )
    group = ["BEGIN IMMEDIATE", "SELECT contracts.id, contracts.kind,",
             "SELECT contract_caps.contract_id, contract_caps.effective_week_start,",
             "SELECT api_tokens.token_sha256, api_tokens.id,", "SAVEPOINT sa_savepoint_1",
             "INSERT INTO contract_weeks"]
    assert _put(backend, token, contract, slot_body(client_now=NOW)).status_code == 201
    assert sent == [*group, "INSERT INTO slots", "UPDATE contract_weeks SET",
                    "RELEASE SAVEPOINT sa_savepoint_1"]
    sent.clear()
    assert _put(backend, token, contract, slot_body(client_now=NOW)).status_code == 200
    assert sent == [*group, "INSERT INTO slots", "SELECT slots.slot_start, slots.id,",
                    "RELEASE SAVEPOINT sa_savepoint_1"]
