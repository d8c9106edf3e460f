"""Fixed-price routes: milestones, escrow, proposals, milestone requests, escrow disputes.

Each route parses its body, authorizes through the contract+role dependency, and calls
:func:`billing.db.milestones.change` with one rule of :mod:`billing.domain.milestones`;
that call is one transaction with the ledger transfers the rule caused. Every change
answers with a :class:`ChangePublic`: what it created, the transfers, the book after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from billing.api.deps import (
    AdminUser,
    BlobsDep,
    ClientContract,
    ClockDep,
    ContractAccess,
    ContractParty,
    CurrentUser,
    FreelancerContract,
    SessionDep,
    role_on_contract,
)
from billing.api.milestones_schemas import (
    Approval,
    AttachmentPublic,
    BookPublic,
    ChangePublic,
    ChangeRequest,
    EscrowDisputeCreate,
    EscrowDisputePublic,
    EscrowSplit,
    MilestoneCreate,
    MilestoneRequestCreate,
    MilestoneUpdate,
    ProposalCreate,
    Submission,
    present_book,
    present_transfers,
)
from billing.db import milestones, milestones_attachments
from billing.db.milestones_tables import FixedAttachment
from billing.db.models import Contract, Role
from billing.domain import milestones as rules
from billing.domain.milestones_model import Actor, EscrowBook
from billing.domain.milestones_rules import Outcome

router = APIRouter(tags=["fixed-price"])

Seq = Annotated[int, Path(ge=1, le=2**31 - 1, description="creation order on the contract")]
Operation = Callable[[EscrowBook, Actor], Outcome]


def escrow_access(
    session: SessionDep,
    user: CurrentUser,
    contract_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="contract id")],
) -> ContractAccess:
    """A party to the contract, or an admin holding an escrow dispute on it."""
    contract = session.get(Contract, contract_id)
    role = None if contract is None else role_on_contract(session, user, contract)
    if (
        contract is not None
        and role is None
        and user.role == Role.ADMIN
        and milestones.admin_may_see(session, contract, user)
    ):
        role = Role.ADMIN
    if contract is None or role is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="contract not found")
    return ContractAccess(contract=contract, user=user, role=role)


EscrowViewer = Annotated[ContractAccess, Depends(escrow_access)]


def _book(session: Session, access: ContractAccess, book: EscrowBook) -> BookPublic:
    rows = milestones.escrow_dispute_rows(session, access.contract)
    return present_book(book, Role(access.role).value, rows)


def _change(
    session: Session, access: ContractAccess, clock: ClockDep, action: str, operation: Operation
) -> ChangePublic:
    book, outcome = milestones.change(
        session, access.contract, access.user, clock.now(), action, operation
    )
    session.commit()
    return ChangePublic(
        created_seq=outcome.created_seq,
        transfers=present_transfers(outcome.transfers),
        book=_book(session, access, book),
    )


# --- reading ------------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/escrow")
def get_book(access: EscrowViewer, session: SessionDep) -> BookPublic:
    """The contract's milestones, escrow, proposals, milestone requests, escrow disputes."""
    return _book(session, access, milestones.read_book(session, access.contract))


# --- the plan (client) ---------------------------------------------------------------------


@router.post("/contracts/{contract_id}/milestones", status_code=status.HTTP_201_CREATED)
def add_milestone(
    body: MilestoneCreate, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Client: a new unfunded milestone at the end of the plan."""
    return _change(
        session,
        access,
        clock,
        "milestone_added",
        lambda book, actor: rules.add_milestone(
            book,
            actor,
            title=body.title,
            description=body.description,
            due_date=body.due_date,
            amount_cents=body.amount_cents,
            now=clock.now(),
        ),
    )


@router.patch("/contracts/{contract_id}/milestones/{seq}")
def edit_milestone(
    seq: Seq, body: MilestoneUpdate, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Client: change a future milestone (not while a proposal is pending)."""
    return _change(
        session,
        access,
        clock,
        "milestone_edited",
        lambda book, actor: rules.edit_milestone(
            book,
            actor,
            seq,
            title=body.title,
            description=body.description,
            due_date=body.due_date,
            amount_cents=body.amount_cents,
            now=clock.now(),
        ),
    )


@router.delete("/contracts/{contract_id}/milestones/{seq}")
def delete_milestone(
    seq: Seq, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Client: delete a future milestone that was never funded."""
    return _change(
        session,
        access,
        clock,
        "milestone_deleted",
        lambda book, actor: rules.delete_milestone(book, actor, seq, now=clock.now()),
    )


@router.post("/contracts/{contract_id}/milestones/{seq}/activate")
def activate(
    seq: Seq, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Client: fund the next milestone (in order; a carried remainder pays first)."""
    return _change(
        session,
        access,
        clock,
        "milestone_activated",
        lambda book, actor: rules.activate(book, actor, seq, now=clock.now()),
    )


# --- the work ------------------------------------------------------------------------------


@router.post("/contracts/{contract_id}/milestones/{seq}/submit")
def submit(
    seq: Seq, body: Submission, access: FreelancerContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Freelancer: hand in the work of the active milestone."""
    return _change(
        session,
        access,
        clock,
        "milestone_submitted",
        lambda book, actor: rules.submit(book, actor, seq, message=body.message, now=clock.now()),
    )


@router.post("/contracts/{contract_id}/milestones/{seq}/request-changes")
def request_changes(
    seq: Seq, body: ChangeRequest, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Client: send submitted work back; the milestone is active again."""
    return _change(
        session,
        access,
        clock,
        "milestone_changes_requested",
        lambda book, actor: rules.request_changes(
            book, actor, seq, message=body.message, now=clock.now()
        ),
    )


@router.post("/contracts/{contract_id}/milestones/{seq}/approve")
def approve(
    seq: Seq, body: Approval, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Client: approve & pay, with an optional bonus and an optional smaller release."""
    return _change(
        session,
        access,
        clock,
        "milestone_approved",
        lambda book, actor: rules.approve(
            book,
            actor,
            seq,
            release_cents=body.release_cents,
            bonus_cents=body.bonus_cents,
            end_contract=body.end_contract,
            now=clock.now(),
        ),
    )


@router.post("/contracts/{contract_id}/escrow/end")
def end_contract(access: ContractParty, session: SessionDep, clock: ClockDep) -> ChangePublic:
    """Either side: end the contract; escrow left goes back to the client."""
    return _change(
        session,
        access,
        clock,
        "contract_ended",
        lambda book, actor: rules.end_contract(book, actor, now=clock.now()),
    )


# --- files handed in with the work --------------------------------------------------------


def _attachment(row: FixedAttachment) -> AttachmentPublic:
    return AttachmentPublic(
        id=row.id,
        milestone_seq=row.milestone_seq,
        filename=row.filename,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        uploaded_at=row.uploaded_at,
        url=f"/api/v1/contracts/{row.contract_id}/attachments/{row.id}",
    )


@router.post(
    "/contracts/{contract_id}/milestones/{seq}/attachments",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}, "required": True}},
)
async def add_attachment(
    seq: Seq,
    request: Request,
    access: FreelancerContract,
    session: SessionDep,
    blobs: BlobsDep,
    clock: ClockDep,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
) -> AttachmentPublic:
    """Freelancer: a file (raw request body) for the work of a funded milestone."""
    data = await request.body()
    content_type = request.headers.get("content-type", "application/octet-stream")

    def store() -> AttachmentPublic:
        row = milestones_attachments.attach(
            session,
            blobs,
            access.contract,
            access.user,
            seq,
            filename=filename,
            content_type=content_type,
            data=data,
            now=clock.now(),
        )
        session.commit()
        return _attachment(row)

    return await run_in_threadpool(store)


@router.get("/contracts/{contract_id}/milestones/{seq}/attachments")
def list_attachments(seq: Seq, access: EscrowViewer, session: SessionDep) -> list[AttachmentPublic]:
    rows = milestones_attachments.attachments_of(session, access.contract, seq)
    return [_attachment(row) for row in rows]


@router.get(
    "/contracts/{contract_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_attachment(
    attachment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    access: EscrowViewer,
    session: SessionDep,
    blobs: BlobsDep,
) -> Response:
    """The file's bytes, for the contract's parties (and an assigned admin)."""
    row, data = milestones_attachments.attachment_bytes(
        session, blobs, access.contract, attachment_id
    )
    # Served as a download, never rendered inline: the bytes come from a user.
    safe_name = row.filename.replace('"', "").encode("ascii", "replace").decode()
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "X-Content-Type-Options": "nosniff",
            "X-Original-Content-Type": row.content_type,
        },
    )


# --- proposals -----------------------------------------------------------------------------


@router.post("/contracts/{contract_id}/proposals", status_code=status.HTTP_201_CREATED)
def propose(
    body: ProposalCreate, access: FreelancerContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Freelancer: propose added, edited or deleted milestones (one pending at a time)."""
    changes = tuple(change.to_domain() for change in body.changes)
    return _change(
        session,
        access,
        clock,
        "proposal_made",
        lambda book, actor: rules.propose(
            book, actor, message=body.message, changes=changes, now=clock.now()
        ),
    )


@router.post("/contracts/{contract_id}/proposals/{seq}/accept")
def accept_proposal(
    seq: Seq, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Client: accept the whole proposal; a raise on the funded milestone is funded now."""
    return _change(
        session,
        access,
        clock,
        "proposal_accepted",
        lambda book, actor: rules.accept_proposal(book, actor, seq, now=clock.now()),
    )


@router.post("/contracts/{contract_id}/proposals/{seq}/reject")
def reject_proposal(
    seq: Seq, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    return _change(
        session,
        access,
        clock,
        "proposal_rejected",
        lambda book, actor: rules.reject_proposal(book, actor, seq, now=clock.now()),
    )


@router.post("/contracts/{contract_id}/proposals/{seq}/withdraw")
def withdraw_proposal(
    seq: Seq, access: FreelancerContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    return _change(
        session,
        access,
        clock,
        "proposal_withdrawn",
        lambda book, actor: rules.withdraw_proposal(book, actor, seq, now=clock.now()),
    )


# --- milestone requests (hourly contracts) ------------------------------------------------


@router.post("/contracts/{contract_id}/milestone-requests", status_code=status.HTTP_201_CREATED)
def request_milestone(
    body: MilestoneRequestCreate, access: FreelancerContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Freelancer on an hourly contract: ask for a milestone payment (moves no money)."""
    return _change(
        session,
        access,
        clock,
        "milestone_requested",
        lambda book, actor: rules.request_milestone(
            book,
            actor,
            amount_cents=body.amount_cents,
            description=body.description,
            currency=body.currency,
            now=clock.now(),
        ),
    )


@router.post("/contracts/{contract_id}/milestone-requests/{seq}/accept")
def accept_request(
    seq: Seq, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Client: accept; it becomes a funded milestone payment (``created_seq``)."""
    return _change(
        session,
        access,
        clock,
        "milestone_request_accepted",
        lambda book, actor: rules.accept_request(book, actor, seq, now=clock.now()),
    )


@router.post("/contracts/{contract_id}/milestone-requests/{seq}/decline")
def decline_request(
    seq: Seq, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    return _change(
        session,
        access,
        clock,
        "milestone_request_declined",
        lambda book, actor: rules.decline_request(book, actor, seq, now=clock.now()),
    )


# --- escrow disputes -----------------------------------------------------------------------


@router.post(
    "/contracts/{contract_id}/milestones/{seq}/escrow-disputes",
    status_code=status.HTTP_201_CREATED,
)
def open_escrow_dispute(
    seq: Seq,
    body: EscrowDisputeCreate,
    access: ContractParty,
    session: SessionDep,
    clock: ClockDep,
) -> ChangePublic:
    """Either side: dispute a funded milestone's escrow; it waits for an admin."""
    return _change(
        session,
        access,
        clock,
        "escrow_dispute_opened",
        lambda book, actor: rules.open_escrow_dispute(
            book, actor, seq, reason=body.reason, now=clock.now()
        ),
    )


@router.post("/contracts/{contract_id}/escrow-disputes/{seq}/resolve")
def resolve_escrow_dispute(
    seq: Seq, body: EscrowSplit, access: EscrowViewer, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """The assigned admin: split the escrow held between freelancer and client."""
    if access.role != Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only an admin may do this")
    milestones.require_assigned(session, access.contract, seq, access.user)
    return _change(
        session,
        access,
        clock,
        "escrow_dispute_resolved",
        lambda book, actor: rules.resolve_escrow_dispute(
            book,
            actor,
            seq,
            to_freelancer_cents=body.to_freelancer_cents,
            to_client_cents=body.to_client_cents,
            now=clock.now(),
        ),
    )


@router.get("/admin/escrow-disputes")
def escrow_dispute_queue(admin: AdminUser, session: SessionDep) -> list[EscrowDisputePublic]:
    """Open escrow disputes not yet taken, or taken by you."""
    queue: list[EscrowDisputePublic] = []
    for row in milestones.escrow_dispute_queue(session, admin):
        contract = session.get(Contract, row.contract_id)
        assert contract is not None
        book = milestones.read_book(session, contract)
        queue.extend(
            d
            for d in present_book(book, "admin", {row.seq: row}).escrow_disputes
            if d.seq == row.seq
        )
    return queue


@router.post("/admin/escrow-disputes/{dispute_id}/assign")
def take_escrow_dispute(
    dispute_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    admin: AdminUser,
    session: SessionDep,
    clock: ClockDep,
) -> EscrowDisputePublic:
    """Take an open escrow dispute; its contract becomes visible to you through it."""
    row = milestones.take_escrow_dispute(session, dispute_id, admin, now=clock.now())
    session.commit()
    contract = session.get(Contract, row.contract_id)
    assert contract is not None
    book = milestones.read_book(session, contract)
    return next(
        d for d in present_book(book, "admin", {row.seq: row}).escrow_disputes if d.seq == row.seq
    )
