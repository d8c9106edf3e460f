"""Withdrawing a milestone request, clearing a due date and the escrow dispute's record,
through the real app over loopback HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from billing.db.contracts import create_fixed_contract
from billing.db.models import User
from billing.db.session import unit_of_work
from tests.billing.support import Backend


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _fixed(backend: Backend, client: User, freelancer: User) -> str:
    with unit_of_work(backend.session_factory) as session:
        contract = create_fixed_contract(
            session,
            client=session.get(User, client.id),  # type: ignore[arg-type]
            freelancer=session.get(User, freelancer.id),  # type: ignore[arg-type]
            title="Website",
            currency="USD",
            now=backend.clock.now(),
        )
        return f"/contracts/{contract.id}"


def test_the_freelancer_withdraws_a_pending_request_and_only_once(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    base = f"/contracts/{backend.hourly(client, freelancer)}"
    asked = {"amount_cents": 5000, "description": "Database migration"}
    _ok(backend.request("POST", f"{base}/milestone-requests", freelancer, json=asked), 201)

    by_client = backend.request("POST", f"{base}/milestone-requests/1/withdraw", client)
    assert by_client.status_code == 403
    withdrawn = _ok(backend.request("POST", f"{base}/milestone-requests/1/withdraw", freelancer))
    assert withdrawn["book"]["milestone_requests"][0]["state"] == "withdrawn"
    assert withdrawn["transfers"] == []
    # nothing is left to accept, and a second withdrawal is refused
    accept = backend.request("POST", f"{base}/milestone-requests/1/accept", client)
    assert accept.status_code == 409
    again = backend.request("POST", f"{base}/milestone-requests/1/withdraw", freelancer)
    assert again.status_code == 409


def test_a_due_date_is_cleared_by_the_client_and_by_an_accepted_proposal(
    backend: Backend,
) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    base = _fixed(backend, client, freelancer)
    for title in ("Design", "Build"):
        milestone = {"title": title, "amount_cents": 1000, "due_date": "2026-12-20"}
        _ok(backend.request("POST", f"{base}/milestones", client, json=milestone), 201)

    both = {"due_date": "2026-12-24", "clear_due_date": True}
    refused = backend.request("PATCH", f"{base}/milestones/1", client, json=both)
    assert refused.status_code == 422
    cleared = _ok(
        backend.request("PATCH", f"{base}/milestones/1", client, json={"clear_due_date": True})
    )
    assert [m["due_date"] for m in cleared["book"]["milestones"]] == [None, "2026-12-20"]

    change = {"kind": "edit", "milestone_seq": 2, "clear_due_date": True}
    proposed = _ok(
        backend.request("POST", f"{base}/proposals", freelancer, json={"changes": [change]}), 201
    )
    assert proposed["book"]["proposals"][0]["changes"][0]["clear_due_date"] is True
    accepted = _ok(backend.request("POST", f"{base}/proposals/1/accept", client))
    assert [m["due_date"] for m in accepted["book"]["milestones"]] == [None, None]


def test_an_escrow_dispute_has_a_record_both_sides_and_the_admin_write_in(
    backend: Backend,
) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    admin, other_admin = backend.user("admin"), backend.user("admin")
    base = _fixed(backend, client, freelancer)
    milestone = {"title": "A", "amount_cents": 1000}
    backend.request("POST", f"{base}/milestones", client, json=milestone)
    backend.request("POST", f"{base}/milestones/1/activate", client)
    opened = _ok(
        backend.request(
            "POST", f"{base}/milestones/1/escrow-disputes", freelancer, json={"reason": "silence"}
        ),
        201,
    )
    thread = f"{base}/escrow-disputes/1/messages"
    said = _ok(backend.request("POST", thread, freelancer, json={"body": "Work was sent."}), 201)
    assert (said["author_role"], said["body"]) == ("freelancer", "Work was sent.")
    _ok(backend.request("POST", thread, client, json={"body": "  It does not build.  "}), 201)
    assert backend.request("POST", thread, client, json={"body": "   "}).status_code == 422
    # an admin sees the contract only once the dispute is theirs
    assert backend.request("GET", thread, admin).status_code == 404
    dispute_id = opened["book"]["escrow_disputes"][0]["id"]
    _ok(backend.request("POST", f"/admin/escrow-disputes/{dispute_id}/assign", admin))
    assert backend.request("POST", thread, other_admin, json={"body": "hi"}).status_code == 404
    _ok(backend.request("POST", thread, admin, json={"body": "Send the build log."}), 201)

    record = _ok(backend.request("GET", thread, client))
    assert [(m["author_role"], m["body"]) for m in record] == [
        ("freelancer", "Work was sent."),
        ("client", "It does not build."),
        ("admin", "Send the build log."),
    ]
    split = {"to_freelancer_cents": 500, "to_client_cents": 500}
    _ok(backend.request("POST", f"{base}/escrow-disputes/1/resolve", admin, json=split))
    closed = backend.request("POST", thread, freelancer, json={"body": "late"})
    assert closed.status_code == 409
    assert len(_ok(backend.request("GET", thread, freelancer))) == 3
