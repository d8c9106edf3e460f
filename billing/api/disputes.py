"""Disputes on a contract: the client opens, both sides write, the admin resolves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from billing.api import present, schemas
from billing.api.deps import (
    AdminContract,
    ClientContract,
    ClockDep,
    ContractAccess,
    PartyContract,
    SessionDep,
)
from billing.api.responses import CONTRACT_READ, CONTRACT_WRITE
from billing.services import hourly, hourly_reads

router = APIRouter(tags=["disputes"])

DisputeId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _public(session: SessionDep, access: ContractAccess, dispute_id: int) -> schemas.DisputePublic:
    record = hourly_reads.dispute_record(
        session, access.contract, dispute_id, access.user, access.role
    )
    return present.dispute(record.dispute, access.contract, record.slot_starts, record.messages)


@router.post(
    "/contracts/{contract_id}/disputes",
    status_code=status.HTTP_201_CREATED,
    responses=CONTRACT_WRITE,
)
def open_dispute(
    body: schemas.DisputeCreate, access: ClientContract, session: SessionDep, clock: ClockDep
) -> schemas.DisputePublic:
    """Client, during review: dispute slots of one week; they leave the invoice."""
    dispute = hourly.open_dispute(
        session, access.contract, access.user, body.slot_starts, body.reason, now=clock.now()
    )
    return _public(session, access, dispute.id)


@router.get("/contracts/{contract_id}/disputes", responses=CONTRACT_READ)
def list_disputes(access: PartyContract, session: SessionDep) -> list[schemas.DisputeSummary]:
    rows = hourly_reads.disputes_on(session, access.contract, access.user, access.role)
    return [present.dispute_summary(row) for row in rows]


@router.get("/contracts/{contract_id}/disputes/{dispute_id}", responses=CONTRACT_READ)
def get_dispute(
    dispute_id: DisputeId, access: PartyContract, session: SessionDep
) -> schemas.DisputePublic:
    return _public(session, access, dispute_id)


@router.post(
    "/contracts/{contract_id}/disputes/{dispute_id}/messages",
    status_code=status.HTTP_201_CREATED,
    responses=CONTRACT_WRITE,
)
def add_message(
    dispute_id: DisputeId,
    body: schemas.MessageCreate,
    access: PartyContract,
    session: SessionDep,
    clock: ClockDep,
) -> schemas.DisputePublic:
    """Either side (or the assigned admin) adds a message to the record."""
    hourly.add_message(
        session, access.contract, dispute_id, access.user, access.role, body.body, now=clock.now()
    )
    return _public(session, access, dispute_id)


@router.post("/contracts/{contract_id}/disputes/{dispute_id}/resolve", responses=CONTRACT_WRITE)
def resolve_dispute(
    dispute_id: DisputeId,
    body: schemas.DisputeResolve,
    access: AdminContract,
    session: SessionDep,
    clock: ClockDep,
) -> schemas.DisputePublic:
    """Assigned admin: paid (billed at the next finalization) or not paid."""
    hourly.resolve_dispute(
        session,
        access.contract,
        dispute_id,
        access.user,
        paid=body.outcome == "paid",
        note=body.note,
        now=clock.now(),
    )
    return _public(session, access, dispute_id)
