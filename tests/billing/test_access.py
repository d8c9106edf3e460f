"""billing.access: who is on a contract, and through what — against a real database.

Parties by their seat on the contract; an admin only through a dispute assigned to them
(of slots, or of a milestone's escrow), acting while it is open and afterwards reading
that dispute's record only (DOMAIN.md, "Admin access"); a stranger not at all.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing.access import (
    ContractRole,
    DisputeGrant,
    DisputeKind,
    authorize,
    role_on_contract,
)
from billing.db.contracts import create_fixed_contract
from billing.db.errors import Forbidden, NotFound
from billing.db.models import Contract, Role, User
from billing.db.session import unit_of_work
from tests.billing.support import Backend, iso
from tests.billing.web_session import csrf_of, web_sign_in
from tracker.clock import utc

TUESDAY_9 = utc(2026, 11, 3, 9)
LOCK = utc(2026, 11, 9, 12)
EVERYONE = frozenset(Role)


def _role(backend: Backend, user: User, contract_id: int) -> ContractRole | None:
    with unit_of_work(backend.session_factory) as session:
        contract = session.get(Contract, contract_id)
        assert contract is not None
        return role_on_contract(session, user, contract)


def _authorize(backend: Backend, user: User, contract_id: int, method: str, path: str) -> Role:
    with unit_of_work(backend.session_factory) as session:
        found = session.get(User, user.id)
        assert found is not None
        access = authorize(session, found, contract_id, EVERYONE, method=method, path=path)
        return access.role


def _disputed_hourly(backend: Backend) -> tuple[User, User, int, int]:
    """An hourly contract with a slot dispute in review; returns client, freelancer,
    contract id and dispute id."""
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer)
    backend.clock.set(utc(2026, 11, 4, 12))
    backend.log_hours(freelancer, contract, TUESDAY_9, 3)
    backend.jobs(LOCK)
    dispute = backend.request(
        "POST",
        f"/contracts/{contract}/disputes",
        client,
        json={"slot_starts": [iso(TUESDAY_9)], "reason": "not mine"},
    ).json()["id"]
    return client, freelancer, contract, dispute


def test_parties_and_strangers(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer)
    assert _role(backend, client, contract) == ContractRole(Role.CLIENT)
    assert _role(backend, freelancer, contract) == ContractRole(Role.FREELANCER)
    for stranger in (backend.user("client"), backend.user("freelancer"), backend.user("admin")):
        assert _role(backend, stranger, contract) is None
        with pytest.raises(NotFound):
            _authorize(backend, stranger, contract, "GET", f"/api/v1/contracts/{contract}")
    # a party whose role may not do it: 403, not 404
    with pytest.raises(Forbidden), unit_of_work(backend.session_factory) as session:
        authorize(
            session,
            freelancer,
            contract,
            frozenset({Role.CLIENT}),
            method="POST",
            path=f"/api/v1/contracts/{contract}/end",
        )


def test_an_admin_acts_while_the_slot_dispute_is_open_then_reads_only_its_record(
    backend: Backend,
) -> None:
    _client, _freelancer, contract, dispute = _disputed_hourly(backend)
    admin, other_admin = backend.user("admin"), backend.user("admin")
    assert _role(backend, admin, contract) is None  # not yet assigned: a stranger
    backend.request("POST", f"/admin/disputes/{dispute}/assign", admin)

    acting = _role(backend, admin, contract)
    assert acting == ContractRole(Role.ADMIN, (DisputeGrant(DisputeKind.SLOTS, dispute, True),))
    assert not acting.read_only
    assert _role(backend, other_admin, contract) is None
    page = f"/api/v1/contracts/{contract}"
    assert _authorize(backend, admin, contract, "GET", page) is Role.ADMIN

    backend.clock.set(LOCK + timedelta(days=3))  # after the freelancer's answer window
    resolved = backend.request(
        "POST",
        f"/contracts/{contract}/disputes/{dispute}/resolve",
        admin,
        json={"outcome": "not_paid"},
    )
    assert resolved.status_code == 200, resolved.text

    closed = _role(backend, admin, contract)
    assert closed == ContractRole(Role.ADMIN, (DisputeGrant(DisputeKind.SLOTS, dispute, False),))
    assert closed.read_only
    record = f"/api/v1/contracts/{contract}/disputes/{dispute}"
    assert _authorize(backend, admin, contract, "GET", record) is Role.ADMIN
    assert _authorize(backend, admin, contract, "GET", f"/web{record[7:]}") is Role.ADMIN
    for method, path in (("GET", page), ("POST", f"{record}/messages"), ("GET", f"{page}/diary")):
        with pytest.raises(Forbidden):
            _authorize(backend, admin, contract, method, path)


def test_an_admin_is_on_a_fixed_contract_through_an_escrow_dispute(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    admin = backend.user("admin")
    with unit_of_work(backend.session_factory) as session:
        contract = create_fixed_contract(
            session,
            client=session.get(User, client.id),  # type: ignore[arg-type]
            freelancer=session.get(User, freelancer.id),  # type: ignore[arg-type]
            title="Website",
            currency="USD",
            now=backend.clock.now(),
        ).id
    base = f"/contracts/{contract}"
    backend.request("POST", f"{base}/milestones", client, json={"title": "A", "amount_cents": 900})
    backend.request("POST", f"{base}/milestones/1/activate", client)
    opened = backend.request(
        "POST", f"{base}/milestones/1/escrow-disputes", client, json={"reason": "late"}
    ).json()
    dispute_id = opened["book"]["escrow_disputes"][0]["id"]
    assert _role(backend, admin, contract) is None
    backend.request("POST", f"/admin/escrow-disputes/{dispute_id}/assign", admin)
    grant = DisputeGrant(DisputeKind.ESCROW, dispute_id, True)
    assert _role(backend, admin, contract) == ContractRole(Role.ADMIN, (grant,))

    split = {"to_freelancer_cents": 500, "to_client_cents": 400}
    settled = backend.request("POST", f"{base}/escrow-disputes/1/resolve", admin, json=split)
    assert settled.status_code == 200, settled.text
    closed = _role(backend, admin, contract)
    assert closed is not None and closed.read_only
    # the escrow dispute's record is kept in the contract's book: still readable
    assert backend.request("GET", f"{base}/escrow", admin).status_code == 200
    assert backend.request("GET", base, admin).status_code == 403
    again = backend.request("POST", f"{base}/escrow-disputes/1/resolve", admin, json=split)
    assert again.status_code == 403


def test_over_http_a_closed_slot_dispute_leaves_the_admin_its_record_only(
    backend: Backend,
) -> None:
    _client, _freelancer, contract, dispute = _disputed_hourly(backend)
    admin = backend.user("admin")
    backend.request("POST", f"/admin/disputes/{dispute}/assign", admin)
    assert backend.request("GET", f"/contracts/{contract}", admin).status_code == 200
    backend.clock.set(LOCK + timedelta(days=3))
    backend.request(
        "POST",
        f"/contracts/{contract}/disputes/{dispute}/resolve",
        admin,
        json={"outcome": "not_paid"},
    )
    record = backend.request("GET", f"/contracts/{contract}/disputes/{dispute}", admin)
    assert record.status_code == 200 and record.json()["status"] == "not_paid"
    assert backend.request("GET", f"/contracts/{contract}", admin).status_code == 403
    diary = backend.request("GET", f"/contracts/{contract}/diary?week=2026-11-02", admin)
    assert diary.status_code == 403


def test_in_the_web_view_a_closed_dispute_leaves_the_admin_its_record_only(
    sqlite_backend: Backend,
) -> None:
    """DOMAIN.md "Admin access", through the companion view's real pages and forms: the
    assigned admin acts while the dispute is open; once it is resolved, its record still
    opens, but the contract's diary does not, and the record takes no more messages."""
    backend = sqlite_backend
    _client, _freelancer, contract, dispute = _disputed_hourly(backend)
    admin = backend.user("admin")
    backend.request("POST", f"/admin/disputes/{dispute}/assign", admin)
    http = web_sign_in(backend, admin.email)
    base = f"{backend.client.base_url}/web/contracts/{contract}"
    record_url = f"{base}/disputes/{dispute}"
    diary_url = f"{base}/diary?week=2026-11-02"
    assert http.get(diary_url, timeout=30).status_code == 200
    record = http.get(record_url, timeout=30)
    assert record.status_code == 200
    said = http.post(
        f"{record_url}/messages",
        data={"csrf_token": csrf_of(record.text), "body": "looking into it"},
        allow_redirects=False,
        timeout=30,
    )
    assert said.status_code == 303, said.text
    backend.clock.set(LOCK + timedelta(days=3))
    resolved = backend.request(
        "POST", f"/contracts/{contract}/disputes/{dispute}/resolve", admin,
        json={"outcome": "not_paid"},
    )
    assert resolved.status_code == 200, resolved.text
    http = web_sign_in(backend, admin.email)  # days later: a new session
    record = http.get(record_url, timeout=30)
    assert record.status_code == 200 and "looking into it" in record.text
    assert http.get(diary_url, timeout=30).status_code == 403
    assert http.get(base, timeout=30).status_code in (403, 404)
    refused = http.post(
        f"{record_url}/messages",
        data={"csrf_token": csrf_of(record.text), "body": "one more thing"},
        allow_redirects=False,
        timeout=30,
    )
    assert refused.status_code == 403
    assert "one more thing" not in http.get(record_url, timeout=30).text
