"""Fixed-price routes: milestones, escrow, proposals, milestone requests, escrow disputes.

Each route parses its body, is authorized by a contract+role dependency
(:mod:`billing.access`), calls one action of :mod:`billing.services.fixed_price` — one
transaction with the ledger transfers the rule caused — and presents the result. Every
change answers with a :class:`ChangePublic`: what it created, the transfers, the book.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from billing.api.deps import (
    AdminUser,
    BlobsDep,
    ClientContract,
    ClockDep,
    ContractAccess,
    ContractParty,
    FreelancerContract,
    SessionDep,
    SettingsDep,
    contract_access,
)
from billing.api.downloads import content_disposition
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
from billing.api.present import from_row
from billing.api.responses import ADMIN_READ, ADMIN_WRITE, CONTRACT_READ, CONTRACT_WRITE
from billing.api.uploads import spooled
from billing.blob_http import blob_response
from billing.db.errors import NotFound
from billing.db.milestones_tables import FixedAttachment, FixedEscrowDispute
from billing.db.models import Contract, Role
from billing.services import fixed_price
from billing.services.fixed_price import Change, SeqAction

router = APIRouter(tags=["fixed-price"])

Seq = Annotated[int, Path(ge=1, le=2**31 - 1, description="creation order on the contract")]
# a party, or an admin through an escrow dispute assigned to them
EscrowViewer = Annotated[
    ContractAccess, Depends(contract_access(Role.FREELANCER, Role.CLIENT, Role.ADMIN))
]


def _book(session: SessionDep, access: ContractAccess) -> BookPublic:
    view = fixed_price.view_book(session, access.contract)
    return present_book(view.book, access.role.value, view.dispute_rows)


def _changed(session: SessionDep, access: ContractAccess, change: Change) -> ChangePublic:
    return ChangePublic(
        created_seq=change.outcome.created_seq,
        transfers=present_transfers(change.outcome.transfers),
        book=_book(session, access),
    )


# Actions on one milestone, proposal or request by its seq: the same route for each.
_BY_SEQ: list[tuple[str, str, SeqAction, Role]] = [
    ("DELETE", "/milestones/{seq}", fixed_price.delete_milestone, Role.CLIENT),
    ("POST", "/milestones/{seq}/activate", fixed_price.activate, Role.CLIENT),
    ("POST", "/proposals/{seq}/accept", fixed_price.accept_proposal, Role.CLIENT),
    ("POST", "/proposals/{seq}/reject", fixed_price.reject_proposal, Role.CLIENT),
    ("POST", "/proposals/{seq}/withdraw", fixed_price.withdraw_proposal, Role.FREELANCER),
    ("POST", "/milestone-requests/{seq}/accept", fixed_price.accept_request, Role.CLIENT),
    ("POST", "/milestone-requests/{seq}/decline", fixed_price.decline_request, Role.CLIENT),
    ("POST", "/milestone-requests/{seq}/withdraw", fixed_price.withdraw_request, Role.FREELANCER),
]


def _by_seq(action: SeqAction, role: Role) -> Callable[..., ChangePublic]:
    def route(
        seq: Seq,
        session: SessionDep,
        clock: ClockDep,
        access: ContractAccess = Depends(contract_access(role)),
    ) -> ChangePublic:
        return _changed(session, access, action(session, access, seq, now=clock.now()))

    return route


for method, tail, action, role in _BY_SEQ:
    router.add_api_route(
        "/contracts/{contract_id}" + tail,
        _by_seq(action, role),
        methods=[method],
        name=action.__name__,
        description=action.__doc__ or "",
        responses=CONTRACT_WRITE,
    )


class _BodyRoute(NamedTuple):
    """A route that acts on one milestone (or escrow dispute) by its seq with a body."""

    method: str
    tail: str
    action: Callable[..., Change]
    schema: type[BaseModel]
    roles: tuple[Role, ...]
    # the body's one field, passed on as the action's text; None: the fields as keywords
    text_field: str | None = None
    status_code: int = status.HTTP_200_OK


_CLIENT = (Role.CLIENT,)
_FREELANCER = (Role.FREELANCER,)
_PARTY = (Role.FREELANCER, Role.CLIENT)
_WITH_BODY = [
    _BodyRoute("PATCH", "/milestones/{seq}", fixed_price.edit_milestone, MilestoneUpdate, _CLIENT),
    _BodyRoute(
        "POST", "/milestones/{seq}/submit", fixed_price.submit, Submission, _FREELANCER, "message"
    ),
    _BodyRoute(
        "POST",
        "/milestones/{seq}/request-changes",
        fixed_price.request_changes,
        ChangeRequest,
        _CLIENT,
        "message",
    ),
    _BodyRoute("POST", "/milestones/{seq}/approve", fixed_price.approve, Approval, _CLIENT),
    _BodyRoute(
        "POST",
        "/milestones/{seq}/escrow-disputes",
        fixed_price.open_escrow_dispute,
        EscrowDisputeCreate,
        _PARTY,
        "reason",
        status.HTTP_201_CREATED,
    ),
    _BodyRoute(
        "POST",
        "/escrow-disputes/{seq}/resolve",
        fixed_price.resolve_escrow_dispute,
        EscrowSplit,
        (*_PARTY, Role.ADMIN),
    ),
]


def _with_body(spec: _BodyRoute) -> Callable[..., ChangePublic]:
    def route(
        seq: Seq,
        body: BaseModel,
        session: SessionDep,
        clock: ClockDep,
        access: ContractAccess = Depends(contract_access(*spec.roles)),
    ) -> ChangePublic:
        if spec.text_field is None:
            args: tuple[object, ...] = ()
            fields = body.model_dump()
        else:
            args, fields = (getattr(body, spec.text_field),), {}
        change = spec.action(session, access, seq, *args, **fields, now=clock.now())
        return _changed(session, access, change)

    route.__annotations__["body"] = spec.schema  # FastAPI reads the body's model from here
    return route


for spec in _WITH_BODY:
    router.add_api_route(
        "/contracts/{contract_id}" + spec.tail,
        _with_body(spec),
        methods=[spec.method],
        name=spec.action.__name__,
        description=inspect.cleandoc(spec.action.__doc__ or ""),
        status_code=spec.status_code,
        responses=CONTRACT_WRITE,
    )


# --- reading ------------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/escrow", responses=CONTRACT_READ)
def get_book(access: EscrowViewer, session: SessionDep) -> BookPublic:
    """The contract's milestones, escrow, proposals, milestone requests, escrow disputes."""
    return _book(session, access)


# --- the plan (client) ---------------------------------------------------------------------


@router.post(
    "/contracts/{contract_id}/milestones",
    status_code=status.HTTP_201_CREATED,
    responses=CONTRACT_WRITE,
)
def add_milestone(
    body: MilestoneCreate, access: ClientContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Client: a new unfunded milestone at the end of the plan."""
    fields = body.model_dump()
    change = fixed_price.add_milestone(session, access, **fields, now=clock.now())
    return _changed(session, access, change)


@router.post("/contracts/{contract_id}/escrow/end", responses=CONTRACT_WRITE)
def end_contract(access: ContractParty, session: SessionDep, clock: ClockDep) -> ChangePublic:
    """Either side: end the contract; escrow left goes back to the client."""
    change = fixed_price.end_contract(session, access, now=clock.now())
    return _changed(session, access, change)


# --- files handed in with the work --------------------------------------------------------


def _attachment(row: FixedAttachment) -> AttachmentPublic:
    url = f"/api/v1/contracts/{row.contract_id}/attachments/{row.id}"
    return from_row(AttachmentPublic, row, url=url)


@router.post(
    "/contracts/{contract_id}/milestones/{seq}/attachments",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}, "required": True}},
    responses=CONTRACT_WRITE,
)
async def add_attachment(
    seq: Seq,
    request: Request,
    access: FreelancerContract,
    session: SessionDep,
    blobs: BlobsDep,
    clock: ClockDep,
    settings: SettingsDep,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
) -> AttachmentPublic:
    """Freelancer: a file (raw request body) for the work of a funded milestone; at most
    ``max_attachment_bytes`` (25 MiB unless configured; larger is 413)."""
    content_type = request.headers.get("content-type", "application/octet-stream")
    # authorized: end the read transaction so the connection goes back to the pool while
    # the body streams in (loaded rows stay usable: expire_on_commit=False)
    session.commit()
    async with spooled(request, settings.upload_dir, settings.max_attachment_bytes) as upload:

        def store() -> AttachmentPublic:
            row = fixed_price.add_attachment(
                session,
                blobs,
                access,
                seq,
                filename=filename,
                content_type=content_type,
                upload=upload,
                now=clock.now(),
                max_bytes=settings.max_attachment_bytes,
            )
            return _attachment(row)

        return await run_in_threadpool(store)


@router.get("/contracts/{contract_id}/milestones/{seq}/attachments", responses=CONTRACT_READ)
def list_attachments(seq: Seq, access: EscrowViewer, session: SessionDep) -> list[AttachmentPublic]:
    rows = fixed_price.attachments_of(session, access.contract, seq)
    return [_attachment(row) for row in rows]


@router.get(
    "/contracts/{contract_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={**CONTRACT_READ, 200: {"content": {"application/octet-stream": {}}}},
)
def get_attachment(
    attachment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    access: EscrowViewer,
    session: SessionDep,
    blobs: BlobsDep,
) -> Response:
    """The file's bytes, for the contract's parties (and an assigned admin)."""
    row = fixed_price.attachment_of(session, access.contract, attachment_id)
    session.close()  # the blob streams to a reader of any speed: hold no connection
    # Served as a download, never rendered inline: the bytes come from a user.
    streamed = blob_response(
        blobs,
        row.blob_key,
        media_type_of=lambda _first: "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(row.filename),
            "X-Content-Type-Options": "nosniff",
            "X-Original-Content-Type": row.content_type,
        },
    )
    if streamed is None:
        raise NotFound("no such attachment on this contract")
    return streamed


# --- proposals -----------------------------------------------------------------------------


@router.post(
    "/contracts/{contract_id}/proposals",
    status_code=status.HTTP_201_CREATED,
    responses=CONTRACT_WRITE,
)
def propose(
    body: ProposalCreate, access: FreelancerContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Freelancer: propose added, edited or deleted milestones (one pending at a time)."""
    changes = tuple(change.to_domain() for change in body.changes)
    change = fixed_price.propose(
        session, access, message=body.message, changes=changes, now=clock.now()
    )
    return _changed(session, access, change)


# --- milestone requests (hourly contracts) ------------------------------------------------


@router.post(
    "/contracts/{contract_id}/milestone-requests",
    status_code=status.HTTP_201_CREATED,
    responses=CONTRACT_WRITE,
)
def request_milestone(
    body: MilestoneRequestCreate, access: FreelancerContract, session: SessionDep, clock: ClockDep
) -> ChangePublic:
    """Freelancer on an hourly contract: ask for a milestone payment (moves no money)."""
    fields = body.model_dump()
    change = fixed_price.request_milestone(session, access, **fields, now=clock.now())
    return _changed(session, access, change)


# --- escrow disputes -----------------------------------------------------------------------


def _queued(
    session: SessionDep, row: FixedEscrowDispute, contract: Contract
) -> EscrowDisputePublic:
    book = fixed_price.read_book(session, contract)
    shown = present_book(book, "admin", {row.seq: row}).escrow_disputes
    return next(d for d in shown if d.seq == row.seq)


@router.get("/admin/escrow-disputes", responses=ADMIN_READ)
def escrow_dispute_queue(admin: AdminUser, session: SessionDep) -> list[EscrowDisputePublic]:
    """Open escrow disputes not yet taken, or taken by you."""
    queue = fixed_price.escrow_dispute_queue(session, admin)
    return [_queued(session, row, contract) for row, contract in queue]


@router.post("/admin/escrow-disputes/{dispute_id}/assign", responses=ADMIN_WRITE)
def take_escrow_dispute(
    dispute_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    admin: AdminUser,
    session: SessionDep,
    clock: ClockDep,
) -> EscrowDisputePublic:
    """Take an open escrow dispute; its contract becomes visible to you through it."""
    row = fixed_price.take_escrow_dispute(session, admin, dispute_id, now=clock.now())
    contract = session.get(Contract, row.contract_id)
    assert contract is not None  # a foreign key
    return _queued(session, row, contract)
