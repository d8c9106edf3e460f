"""The record of an escrow dispute: its messages, and adding one (parties, assigned admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, Field

from billing.access import author_role
from billing.api.deps import ClockDep, ContractAccess, SessionDep, contract_access
from billing.api.milestones_schemas import Input
from billing.api.responses import CONTRACT_READ, CONTRACT_WRITE
from billing.db.milestones_tables import FixedEscrowDisputeMessage
from billing.db.models import Contract, Role, User
from billing.domain.milestones_rules import TEXT_MAX
from billing.services import escrow_messages

router = APIRouter(tags=["milestones"])
Seq = Annotated[int, Path(ge=1, le=2**31 - 1, description="the dispute's number on the contract")]
EscrowViewer = Annotated[
    ContractAccess, Depends(contract_access(Role.FREELANCER, Role.CLIENT, Role.ADMIN))
]


class EscrowMessageCreate(Input):
    body: str = Field(min_length=1, max_length=TEXT_MAX)


AuthorRole = Literal["freelancer", "client", "admin"]


class EscrowMessagePublic(BaseModel):
    id: int
    author: str = Field(description="the author's display name")
    author_role: AuthorRole
    body: str
    created_at: datetime


def _present(
    contract: Contract, message: FixedEscrowDisputeMessage, author: User
) -> EscrowMessagePublic:
    return EscrowMessagePublic(
        id=message.id,
        author=author.display_name,
        author_role=cast(AuthorRole, author_role(contract, author)),
        body=message.body,
        created_at=message.created_at,
    )


@router.get("/contracts/{contract_id}/escrow-disputes/{seq}/messages", responses=CONTRACT_READ)
def list_messages(seq: Seq, access: EscrowViewer, session: SessionDep) -> list[EscrowMessagePublic]:
    """The dispute's record, oldest first."""
    thread = escrow_messages.threads(session, access.contract).get(seq, [])
    return [_present(access.contract, message, author) for message, author in thread]


@router.post(
    "/contracts/{contract_id}/escrow-disputes/{seq}/messages",
    status_code=status.HTTP_201_CREATED,
    responses=CONTRACT_WRITE,
)
def add_message(
    seq: Seq,
    body: EscrowMessageCreate,
    access: EscrowViewer,
    session: SessionDep,
    clock: ClockDep,
) -> EscrowMessagePublic:
    """Either party, or the admin assigned to it: add a message while the dispute is open."""
    message = escrow_messages.add_message(session, access, seq, body.body, now=clock.now())
    return _present(access.contract, message, access.user)
