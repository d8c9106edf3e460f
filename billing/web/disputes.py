"""Disputes: the list for each role, one dispute's record, messages, assignment, resolution.

The rules (who may write, when an admin may decide) are in ``billing.services.hourly``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Response

from billing.access import author_role
from billing.api.deps import ClockDep, SessionDep
from billing.db.models import Role
from billing.services import hourly, hourly_reads
from billing.services.hourly_reads import DisputeRow
from billing.web import fixed_price_view
from billing.web.deps import CsrfChecked, PageDep, SecretDep, ViewerDep, load_contract
from billing.web.render import redirect
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)


def _to_record(contract_id: int, dispute_id: int, flash: str, secret: bytes) -> Response:
    return redirect(
        f"/web/contracts/{contract_id}/disputes/{dispute_id}", flash=flash, secret=secret
    )


@router.get("/disputes", include_in_schema=False)
def disputes_page(session: SessionDep, page: PageDep) -> Response:
    user = page.viewer.user
    escrow_queue = fixed_price_view.escrow_dispute_queue(session, user)
    queue: list[DisputeRow] = []
    if page.viewer.role == Role.ADMIN:
        rows, queue = hourly_reads.admin_disputes(session, user)
    else:
        rows = hourly_reads.party_disputes(session, user)
    return page.render(
        "disputes.html", nav="disputes", rows=rows, queue=queue, escrow_queue=escrow_queue
    )


@router.post("/disputes/{dispute_id}/assign", include_in_schema=False, dependencies=[CsrfChecked])
def take_dispute(
    dispute_id: int, session: SessionDep, clock: ClockDep, viewer: ViewerDep, secret: SecretDep
) -> Response:
    if viewer.role != Role.ADMIN:
        raise HTTPException(403, detail="Only an admin takes disputes.")
    dispute = hourly.assign_dispute(session, dispute_id, viewer.user, now=clock.now())
    flash = f"Dispute #{dispute.id} is yours to moderate."
    return _to_record(dispute.contract_id, dispute.id, flash, secret)


@router.get("/contracts/{contract_id}/disputes/{dispute_id}", include_in_schema=False)
def dispute_page(
    contract_id: int, dispute_id: int, session: SessionDep, clock: ClockDep, page: PageDep
) -> Response:
    viewer = page.viewer
    access = load_contract(session, viewer, contract_id)
    contract = access.contract
    record = hourly_reads.dispute_record(session, contract, dispute_id, viewer.user, access.role)
    dispute = record.dispute
    return page.render(
        "dispute.html",
        nav="disputes",
        contract=contract,
        role=access.role.value,
        dispute=dispute,
        slots=record.slots,
        messages=[(m, author, author_role(contract, author)) for m, author in record.messages],
        opener=record.opener,
        waiting_on=record.waiting_on,
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
    page: PageDep,
    body: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    access = load_contract(session, page.viewer, contract_id)
    if not body.strip():
        raise HTTPException(422, detail="Write a message first.")
    hourly.add_message(
        session,
        access.contract,
        dispute_id,
        page.viewer.user,
        access.role,
        body.strip(),
        now=clock.now(),
    )
    return _to_record(contract_id, dispute_id, "Message added to the record.", page.secret)


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
    page: PageDep,
    outcome: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    access = load_contract(session, page.viewer, contract_id, Role.ADMIN)
    if outcome not in ("paid", "not_paid"):
        raise HTTPException(422, detail="Choose the outcome: paid or not paid.")
    hourly.resolve_dispute(
        session,
        access.contract,
        dispute_id,
        page.viewer.user,
        paid=outcome == "paid",
        note=note.strip(),
        now=clock.now(),
    )
    words = "paid — billed at the next finalization" if outcome == "paid" else "not paid"
    return _to_record(
        contract_id, dispute_id, f"Dispute #{dispute_id} resolved: {words}.", page.secret
    )
