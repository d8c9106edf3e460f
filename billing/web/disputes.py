"""Disputes: the list for each role, one dispute's record, messages, assignment, resolution.

The rules (who may write, when an admin may decide) are in ``billing.db.disputes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.api.deps import ClockDep, SessionDep
from billing.db import disputes as disputes_db
from billing.db.contracts import contracts_of
from billing.db.models import Contract, Dispute, DisputeStatus, Role, Slot, User
from billing.web import fixed_price_view
from billing.web.deps import CsrfChecked, SecretDep, ViewerDep, ZoneDep, load_contract, render_page
from billing.web.render import redirect
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)


@dataclass(frozen=True)
class DisputeRow:
    dispute: Dispute
    contract: Contract
    waiting_on: str  # who should act next, in words


def _waiting_on(dispute: Dispute, session: Session, contract: Contract) -> str:
    if dispute.status != DisputeStatus.OPEN:
        return "resolved"
    answered = any(
        author.id == contract.freelancer_id
        for _message, author in disputes_db.messages_of(session, dispute)
    )
    if not answered:
        return "freelancer's answer"
    if dispute.assigned_admin_id is None:
        return "an admin to take it"
    return "admin's decision"


@router.get("/disputes", include_in_schema=False)
def disputes_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    secret: SecretDep,
    zone: ZoneDep,
) -> Response:
    rows: list[DisputeRow] = []
    queue: list[DisputeRow] = []
    escrow_queue = fixed_price_view.escrow_dispute_queue(session, viewer.user)
    if viewer.role == Role.ADMIN:
        for dispute in disputes_db.open_disputes_for_admin(session, viewer.user):
            contract = session.get(Contract, dispute.contract_id)
            assert contract is not None
            row = DisputeRow(dispute, contract, _waiting_on(dispute, session, contract))
            (rows if dispute.assigned_admin_id == viewer.user.id else queue).append(row)
        resolved = session.scalars(
            select(Dispute)
            .where(
                Dispute.assigned_admin_id == viewer.user.id,
                Dispute.status != DisputeStatus.OPEN,
            )
            .order_by(Dispute.resolved_at.desc())
            .limit(20)
        )
        for dispute in resolved:
            contract = session.get(Contract, dispute.contract_id)
            assert contract is not None
            rows.append(DisputeRow(dispute, contract, "resolved"))
    else:
        for contract in contracts_of(session, viewer.user):
            role = Role.CLIENT if contract.client_id == viewer.user.id else Role.FREELANCER
            for dispute in disputes_db.disputes_on(session, contract, viewer.user, role):
                rows.append(DisputeRow(dispute, contract, _waiting_on(dispute, session, contract)))
        rows.sort(key=lambda row: (row.dispute.status != DisputeStatus.OPEN, -row.dispute.id))
    return render_page(
        request,
        "disputes.html",
        viewer=viewer,
        zone=zone,
        secret=secret,
        nav="disputes",
        rows=rows,
        queue=queue,
        escrow_queue=escrow_queue,
    )


@router.post("/disputes/{dispute_id}/assign", include_in_schema=False, dependencies=[CsrfChecked])
def take_dispute(
    dispute_id: int, session: SessionDep, clock: ClockDep, viewer: ViewerDep, secret: SecretDep
) -> Response:
    if viewer.role != Role.ADMIN:
        raise HTTPException(403, detail="Only an admin takes disputes.")
    dispute = disputes_db.assign(session, dispute_id, viewer.user, now=clock.now())
    session.commit()
    return redirect(
        f"/web/contracts/{dispute.contract_id}/disputes/{dispute.id}",
        flash=f"Dispute #{dispute.id} is yours to moderate.",
        secret=secret,
    )


def _load(
    session: Session, viewer: ViewerDep, contract_id: int, dispute_id: int
) -> tuple[Contract, Role, Dispute]:
    access = load_contract(session, viewer, contract_id)
    dispute = disputes_db.dispute_on(session, access.contract, dispute_id)
    disputes_db.check_admin_may_see(dispute, viewer.user, access.role)
    return access.contract, access.role, dispute


@router.get("/contracts/{contract_id}/disputes/{dispute_id}", include_in_schema=False)
def dispute_page(
    request: Request,
    contract_id: int,
    dispute_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    zone: ZoneDep,
) -> Response:
    contract, role, dispute = _load(session, viewer, contract_id, dispute_id)
    slots = list(
        session.scalars(
            select(Slot)
            .where(
                Slot.contract_id == contract.id,
                Slot.slot_start.in_(disputes_db.slot_starts_of(session, dispute)),
            )
            .order_by(Slot.slot_start)
        )
    )
    messages = disputes_db.messages_of(session, dispute)

    def author_role(author: User) -> str:
        if author.id == contract.freelancer_id:
            return "freelancer"
        if author.id == contract.client_id:
            return "client"
        return "admin"

    return render_page(
        request,
        "dispute.html",
        viewer=viewer,
        zone=zone,
        secret=secret,
        nav="disputes",
        contract=contract,
        role=role.value,
        dispute=dispute,
        slots=slots,
        messages=[(message, author, author_role(author)) for message, author in messages],
        opener=session.get(User, dispute.opened_by_id),
        waiting_on=_waiting_on(dispute, session, contract),
        answer_window_open=clock.now() < dispute.answer_due_at,
    )


@router.post(
    "/contracts/{contract_id}/disputes/{dispute_id}/messages",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def add_message(
    contract_id: int,
    dispute_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    body: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    _contract, _role, dispute = _load(session, viewer, contract_id, dispute_id)
    if not body.strip():
        raise HTTPException(422, detail="Write a message first.")
    disputes_db.add_message(session, dispute, viewer.user, body.strip(), now=clock.now())
    session.commit()
    return redirect(
        f"/web/contracts/{contract_id}/disputes/{dispute_id}",
        flash="Message added to the record.",
        secret=secret,
    )


@router.post(
    "/contracts/{contract_id}/disputes/{dispute_id}/resolve",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def resolve(
    contract_id: int,
    dispute_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    outcome: Annotated[str, Form(pattern="^(paid|not_paid)$")],
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    access = load_contract(session, viewer, contract_id, Role.ADMIN)
    dispute = disputes_db.dispute_on(session, access.contract, dispute_id)
    disputes_db.resolve(
        session,
        access.contract,
        dispute,
        viewer.user,
        paid=outcome == "paid",
        note=note.strip(),
        now=clock.now(),
    )
    session.commit()
    words = "paid — billed at the next finalization" if outcome == "paid" else "not paid"
    return redirect(
        f"/web/contracts/{contract_id}/disputes/{dispute_id}",
        flash=f"Dispute #{dispute_id} resolved: {words}.",
        secret=secret,
    )
