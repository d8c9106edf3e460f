"""The fixed-price API through the real app over loopback HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import select

from billing.db import ledger
from billing.db.contracts import create_fixed_contract
from billing.db.models import AuditRecord, Contract, User
from billing.db.session import unit_of_work
from billing.domain.ledger import AccountKind
from billing.services import fixed_price
from tests.billing.support import Backend
from tests.support.big_body import send_body


def _fixed(backend: Backend, client: User, freelancer: User, currency: str = "USD") -> int:
    with unit_of_work(backend.session_factory) as session:
        contract = create_fixed_contract(
            session,
            client=session.get(User, client.id),  # type: ignore[arg-type]
            freelancer=session.get(User, freelancer.id),  # type: ignore[arg-type]
            title="Website",
            currency=currency,
            now=backend.clock.now(),
        )
        return contract.id


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _balances(backend: Backend) -> dict[tuple[AccountKind, int | None], int]:
    with unit_of_work(backend.session_factory) as session:
        return {
            (key.kind, key.owner_id): amount for key, amount in ledger.balances(session).items()
        }


def test_worked_example_over_http(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract}"
    for title, amount in (("Design", 1500), ("Build", 2000)):
        created = _ok(
            backend.request(
                "POST",
                f"{base}/milestones",
                client,
                json={"title": title, "amount_cents": amount, "due_date": "2026-12-01"},
            ),
            201,
        )
    assert created["created_seq"] == 2
    assert created["book"]["next_to_activate_seq"] == 1

    funded = _ok(backend.request("POST", f"{base}/milestones/1/activate", client))
    assert [t["amount_cents"] for t in funded["transfers"]] == [1500]
    assert funded["book"]["escrow"]["held_cents"] == 1500
    _ok(backend.request("POST", f"{base}/milestones/1/submit", freelancer, json={"message": "v1"}))
    approved = _ok(
        backend.request("POST", f"{base}/milestones/1/approve", client, json={"release_cents": 900})
    )
    assert approved["book"]["escrow"] == {
        "held_cents": 600,
        "carry_cents": 600,
        "funded_cents": 1500,
        "released_cents": 900,
        "refunded_cents": 0,
        "bonus_cents": 0,
    }
    second = _ok(backend.request("POST", f"{base}/milestones/2/activate", client))
    assert [t["amount_cents"] for t in second["transfers"]] == [1400]
    assert second["book"]["milestones"][1]["carried_in_cents"] == 600

    balances = _balances(backend)
    assert balances[(AccountKind.ESCROW, contract)] == 2000
    assert balances[(AccountKind.FREELANCER_PENDING, freelancer.id)] == 900
    assert balances[(AccountKind.CLIENT_FUNDING, client.id)] == -2900
    assert backend.ledger_problems() == []


def test_release_less_and_end_refunds_over_http(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract}"
    for amount in (1500, 2000):
        backend.request(
            "POST",
            f"{base}/milestones",
            client,
            json={
                "title": "Part",
                "amount_cents": amount,
            },
        )
    backend.request("POST", f"{base}/milestones/1/activate", client)
    backend.request("POST", f"{base}/milestones/1/submit", freelancer, json={"message": "v1"})
    ended = _ok(
        backend.request(
            "POST",
            f"{base}/milestones/1/approve",
            client,
            json={"release_cents": 900, "end_contract": True},
        )
    )
    assert [(t["destination"], t["amount_cents"]) for t in ended["transfers"]] == [
        ("freelancer_pending", 900),
        ("client_funding", 600),
    ]
    assert ended["book"]["escrow"]["held_cents"] == 0
    assert ended["book"]["ended_at"] is not None
    refused = backend.request("POST", f"{base}/milestones/2/activate", client)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "the contract has ended"
    contract_view = _ok(backend.request("GET", base, client))
    assert contract_view["ended_at"] is not None  # the contract itself ended, not just escrow
    assert _balances(backend)[(AccountKind.CLIENT_FUNDING, client.id)] == -900


def test_refusals_are_4xx_with_reasons(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    stranger = backend.user("client")
    contract = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract}"
    backend.request("POST", f"{base}/milestones", client, json={"title": "A", "amount_cents": 5})
    backend.request("POST", f"{base}/milestones", client, json={"title": "B", "amount_cents": 5})

    out_of_order = backend.request("POST", f"{base}/milestones/2/activate", client)
    assert out_of_order.status_code == 409
    assert "activate in order" in out_of_order.json()["detail"]
    assert backend.request("POST", f"{base}/milestones/1/activate", freelancer).status_code == 403
    assert backend.request("GET", f"{base}/escrow", stranger).status_code == 404
    assert backend.request("POST", f"{base}/milestones/9/activate", client).status_code == 404
    extra = backend.request(
        "POST", f"{base}/milestones", client, json={"title": "C", "amount_cents": 5, "x": 1}
    )
    assert extra.status_code == 422
    negative = backend.request(
        "POST", f"{base}/milestones", client, json={"title": "C", "amount_cents": -5}
    )
    assert negative.status_code == 422
    submit_planned = backend.request(
        "POST", f"{base}/milestones/1/submit", freelancer, json={"message": "x"}
    )
    assert submit_planned.status_code == 409
    assert "only an active milestone" in submit_planned.json()["detail"]
    hourly_only = backend.request(
        "POST",
        f"{base}/milestone-requests",
        freelancer,
        json={"amount_cents": 100, "description": "x"},
    )
    assert hourly_only.status_code == 409


def test_bonus_changes_requested_and_auto_approval_by_the_jobs(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract}"
    for amount in (1000, 3000):
        backend.request(
            "POST",
            f"{base}/milestones",
            client,
            json={
                "title": "Part",
                "amount_cents": amount,
            },
        )
    backend.request("POST", f"{base}/milestones/1/activate", client)
    backend.request("POST", f"{base}/milestones/1/submit", freelancer, json={"message": "v1"})
    back = _ok(
        backend.request(
            "POST", f"{base}/milestones/1/request-changes", client, json={"message": "colours"}
        )
    )
    assert back["book"]["milestones"][0]["state"] == "active"
    backend.request("POST", f"{base}/milestones/1/submit", freelancer, json={"message": "v2"})
    paid = _ok(
        backend.request("POST", f"{base}/milestones/1/approve", client, json={"bonus_cents": 250})
    )
    assert paid["book"]["escrow"]["bonus_cents"] == 250
    assert _balances(backend)[(AccountKind.FREELANCER_PENDING, freelancer.id)] == 1250

    backend.request("POST", f"{base}/milestones/2/activate", client)
    submitted = _ok(
        backend.request("POST", f"{base}/milestones/2/submit", freelancer, json={"message": "done"})
    )
    deadline = submitted["book"]["milestones"][1]["auto_approve_at"]
    start = backend.clock.now()
    early = backend.jobs(start + timedelta(days=14) - timedelta(seconds=1))
    assert "milestones_auto_approved" not in early
    assert early["milestone_earnings_available"] == 2  # milestone 1 and its bonus, after 5 days
    report = backend.jobs(start + timedelta(days=14))
    assert report["milestones_auto_approved"] == 1
    book = _ok(backend.request("GET", f"{base}/escrow", freelancer))
    assert book["milestones"][1]["auto_approved"] is True
    assert book["milestones"][1]["released_at"].replace("Z", "+00:00") == deadline.replace(
        "Z", "+00:00"
    )
    report = backend.jobs(start + timedelta(days=19))
    assert report["milestone_earnings_available"] == 1
    balances = _balances(backend)
    assert balances[(AccountKind.FREELANCER_AVAILABLE, freelancer.id)] == 4250
    assert balances[(AccountKind.FREELANCER_PENDING, freelancer.id)] == 0
    assert "milestone_earnings_available" not in backend.jobs()  # nothing left to do
    assert backend.ledger_problems() == []


def test_proposal_accepted_funds_the_raise_at_once(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract}"
    for amount in (1000, 500):
        backend.request(
            "POST",
            f"{base}/milestones",
            client,
            json={
                "title": "Part",
                "amount_cents": amount,
            },
        )
    backend.request("POST", f"{base}/milestones/1/activate", client)
    proposal = _ok(
        backend.request(
            "POST",
            f"{base}/proposals",
            freelancer,
            json={
                "message": "scope grew",
                "changes": [
                    {"kind": "edit", "milestone_seq": 1, "amount_cents": 1200, "title": "Design+"},
                    {"kind": "delete", "milestone_seq": 2},
                    {
                        "kind": "add",
                        "title": "Launch",
                        "amount_cents": 800,
                        "due_date": "2027-01-15",
                    },
                ],
            },
        ),
        201,
    )
    assert proposal["book"]["pending_proposal_seq"] == 1
    blocked = backend.request("PATCH", f"{base}/milestones/2", client, json={"amount_cents": 100})
    assert blocked.status_code == 409
    assert "pending proposal" in blocked.json()["detail"]
    accepted = _ok(backend.request("POST", f"{base}/proposals/1/accept", client))
    assert [(t["key"], t["amount_cents"]) for t in accepted["transfers"]] == [
        (f"fixed:{contract}:m1:raise:p1", 200)
    ]
    milestones = accepted["book"]["milestones"]
    assert [(m["seq"], m["state"], m["amount_cents"]) for m in milestones] == [
        (1, "active", 1200),
        (2, "deleted", 500),
        (3, "planned", 800),
    ]
    assert accepted["book"]["escrow"]["held_cents"] == 1200
    again = backend.request("POST", f"{base}/proposals/1/withdraw", freelancer)
    assert again.status_code == 409


def test_milestone_request_on_an_hourly_contract(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer)
    base = f"/contracts/{contract}"
    wrong = backend.request(
        "POST",
        f"{base}/milestone-requests",
        freelancer,
        json={
            "amount_cents": 5000,
            "currency": "EUR",
            "description": "migration",
        },
    )
    assert wrong.status_code == 422
    asked = _ok(
        backend.request(
            "POST",
            f"{base}/milestone-requests",
            freelancer,
            json={
                "amount_cents": 5000,
                "currency": "USD",
                "description": "Database migration",
            },
        ),
        201,
    )
    assert asked["transfers"] == []
    accepted = _ok(backend.request("POST", f"{base}/milestone-requests/1/accept", client))
    seq = accepted["created_seq"]
    assert accepted["book"]["milestones"][0]["origin"] == "request"
    assert accepted["book"]["escrow"]["held_cents"] == 5000
    released = _ok(backend.request("POST", f"{base}/milestones/{seq}/approve", client, json={}))
    assert released["book"]["escrow"]["held_cents"] == 0
    assert _balances(backend)[(AccountKind.FREELANCER_PENDING, freelancer.id)] == 5000
    backend.request(
        "POST",
        f"{base}/milestone-requests",
        freelancer,
        json={
            "amount_cents": 10,
            "description": "tiny",
        },
    )
    declined = _ok(backend.request("POST", f"{base}/milestone-requests/2/decline", client))
    assert declined["book"]["milestone_requests"][1]["state"] == "declined"


def test_escrow_dispute_split_by_the_assigned_admin(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    admin, other_admin = backend.user("admin"), backend.user("admin")
    contract = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract}"
    backend.request("POST", f"{base}/milestones", client, json={"title": "A", "amount_cents": 1000})
    backend.request("POST", f"{base}/milestones/1/activate", client)
    opened = _ok(
        backend.request(
            "POST", f"{base}/milestones/1/escrow-disputes", freelancer, json={"reason": "silence"}
        ),
        201,
    )
    dispute = opened["book"]["escrow_disputes"][0]
    assert (dispute["state"], dispute["held_cents"]) == ("open", 1000)

    assert backend.request("GET", f"{base}/escrow", admin).status_code == 404
    queue = _ok(backend.request("GET", "/admin/escrow-disputes", admin))
    assert [d["seq"] for d in queue] == [1]
    _ok(backend.request("POST", f"/admin/escrow-disputes/{dispute['id']}/assign", admin))
    taken = backend.request("POST", f"/admin/escrow-disputes/{dispute['id']}/assign", other_admin)
    assert taken.status_code == 409
    assert _ok(backend.request("GET", f"{base}/escrow", admin))["your_role"] == "admin"

    wrong = backend.request(
        "POST",
        f"{base}/escrow-disputes/1/resolve",
        admin,
        json={"to_freelancer_cents": 600, "to_client_cents": 300},
    )
    assert wrong.status_code == 422
    assert "1000" in wrong.json()["detail"]
    by_client = backend.request(
        "POST",
        f"{base}/escrow-disputes/1/resolve",
        client,
        json={"to_freelancer_cents": 0, "to_client_cents": 1000},
    )
    assert by_client.status_code == 403
    settled = _ok(
        backend.request(
            "POST",
            f"{base}/escrow-disputes/1/resolve",
            admin,
            json={"to_freelancer_cents": 600, "to_client_cents": 400},
        )
    )
    assert settled["book"]["escrow"]["held_cents"] == 0
    balances = _balances(backend)
    assert balances[(AccountKind.FREELANCER_PENDING, freelancer.id)] == 600
    assert balances[(AccountKind.CLIENT_FUNDING, client.id)] == -600
    with unit_of_work(backend.session_factory) as session:
        actions = session.scalars(
            select(AuditRecord.action).where(AuditRecord.contract_id == contract)
        ).all()
    assert "fixed_escrow_dispute_resolved" in actions


def test_contract_ended_elsewhere_refunds_escrow(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract}"
    backend.request("POST", f"{base}/milestones", client, json={"title": "A", "amount_cents": 700})
    backend.request("POST", f"{base}/milestones/1/activate", client)
    _ok(backend.request("POST", f"{base}/end", client))  # the contract's own end action
    # refunded in the ending transaction itself, not at the next job run
    assert _balances(backend)[(AccountKind.ESCROW, contract)] == 0
    assert _balances(backend)[(AccountKind.CLIENT_FUNDING, client.id)] == 0
    backend.jobs()
    assert _balances(backend)[(AccountKind.ESCROW, contract)] == 0
    book = _ok(backend.request("GET", f"{base}/escrow", client))
    assert book["milestones"][0]["state"] == "cancelled"
    assert book["escrow"]["refunded_cents"] == 700


def test_work_goes_in_with_an_attachment(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract}"
    backend.request("POST", f"{base}/milestones", client, json={"title": "A", "amount_cents": 900})
    pdf = b"%PDF-1.4 the report\n" * 100
    early = backend.client.post(
        f"/api/v1{base}/milestones/1/attachments",
        params={"filename": "report.pdf"},
        data=pdf,
        headers={**backend.auth(freelancer), "Content-Type": "application/pdf"},
    )
    assert early.status_code == 409  # not funded yet
    backend.request("POST", f"{base}/milestones/1/activate", client)
    stored = _ok(
        backend.client.post(
            f"/api/v1{base}/milestones/1/attachments",
            params={"filename": "../report.pdf"},
            data=pdf,
            headers={**backend.auth(freelancer), "Content-Type": "application/pdf"},
        ),
        201,
    )
    assert (stored["filename"], stored["size_bytes"]) == ("report.pdf", len(pdf))
    by_client = backend.client.post(
        f"/api/v1{base}/milestones/1/attachments",
        params={"filename": "x.txt"},
        data=b"x",
        headers=backend.auth(client),
    )
    assert by_client.status_code == 403
    listed = _ok(backend.request("GET", f"{base}/milestones/1/attachments", client))
    assert [a["id"] for a in listed] == [stored["id"]]
    download = backend.client.get(stored["url"], headers=backend.auth(client))
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )
    stranger = backend.user("client")
    assert backend.client.get(stored["url"], headers=backend.auth(stranger)).status_code == 404


def test_settle_contract_end_refunds_in_the_ending_transaction(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract_id = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract_id}"
    backend.request("POST", f"{base}/milestones", client, json={"title": "A", "amount_cents": 450})
    backend.request("POST", f"{base}/milestones/1/activate", client)
    with unit_of_work(backend.session_factory) as session:
        contract = session.get(Contract, contract_id)
        assert contract is not None
        contract.ended_at = backend.clock.now()  # what the contract's own end action does
        assert fixed_price.settle_contract_end(session, contract, backend.clock.now()) == 450
        assert fixed_price.settle_contract_end(session, contract, backend.clock.now()) == 0
    assert _balances(backend)[(AccountKind.ESCROW, contract_id)] == 0
    assert backend.ledger_problems() == []


def test_attachment_names_are_cleaned_and_served_per_rfc_6266(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = _fixed(backend, client, freelancer)
    base = f"/contracts/{contract}"
    backend.request("POST", f"{base}/milestones", client, json={"title": "A", "amount_cents": 900})
    backend.request("POST", f"{base}/milestones/1/activate", client)
    sent_and_kept = {
        "report\r\nSet-Cookie: x=1\x00.pdf": "report Set-Cookie: x=1.pdf",
        "Übersicht – März.pdf": "Übersicht – März.pdf",
        "\u202efdp.exe": "fdp.exe",  # a right-to-left override would show "exe.pdf"
        'C:\\Users\\me\\say "hi".txt': 'say "hi".txt',  # a browser's full path
    }
    fallbacks = ["report Set-Cookie: x=1.pdf", "Ubersicht _ Marz.pdf", "fdp.exe", "say _hi_.txt"]
    for (sent, kept), fallback in zip(sent_and_kept.items(), fallbacks, strict=True):
        stored = _ok(
            backend.client.post(
                f"/api/v1{base}/milestones/1/attachments",
                params={"filename": sent},
                data=b"bytes of " + sent.encode(),
                headers=backend.auth(freelancer),
            ),
            201,
        )
        assert stored["filename"] == kept
        download = backend.client.get(stored["url"], headers=backend.auth(client))
        assert download.status_code == 200 and download.content == b"bytes of " + sent.encode()
        disposition = download.headers["content-disposition"]
        assert disposition == (
            f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(kept, safe='')}"
        )
        assert unquote(disposition.split("''", 1)[1]) == kept


def test_an_attachment_over_the_limit_is_refused_before_it_is_read(
    sqlite_backend: Backend,
) -> None:
    backend = sqlite_backend
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = _fixed(backend, client, freelancer)
    path = f"/api/v1/contracts/{contract}/milestones/1/attachments?filename=big.bin"
    limit = backend.settings.max_attachment_bytes
    status, body, sent = send_body(
        backend.client.base_url, "POST", path, backend.auth(freelancer), limit + 1, chunked=False
    )
    assert status == 413 and sent < limit
    assert json.loads(body) == {
        "detail": f"request body too large: this route takes at most {limit} bytes"
    }
