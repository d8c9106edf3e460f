"""A contract's details, the client's changes (cap, settings) and ending it."""

from __future__ import annotations

from fastapi import APIRouter

from billing.api import present, schemas
from billing.api.deps import ClientContract, ClockDep, ContractParty, PartyContract, SessionDep
from billing.api.responses import CONTRACT_READ, CONTRACT_WRITE
from billing.services import fixed_price, hourly, hourly_reads

router = APIRouter(tags=["contracts"])


@router.get("/contracts/{contract_id}", responses=CONTRACT_READ)
def get_contract(
    access: PartyContract, session: SessionDep, clock: ClockDep
) -> schemas.ContractPublic:
    return present.contract(
        hourly_reads.contract_view(session, access.contract, clock.now()), access.role
    )


@router.patch("/contracts/{contract_id}", responses=CONTRACT_WRITE)
def update_contract(
    body: schemas.ContractUpdate, access: ClientContract, session: SessionDep, clock: ClockDep
) -> schemas.ContractPublic:
    """Client: change the weekly cap (a raise applies now, a cut from next week) or settings."""
    now = clock.now()
    given = body.model_fields_set
    change = hourly.TermsChange(
        cap_given="weekly_cap_hours" in given,
        cap_minutes=None if body.weekly_cap_hours is None else body.weekly_cap_hours * 60,
        settings={
            name: value
            for name in hourly.SETTINGS
            if name in given and (value := getattr(body, name)) is not None
        },
    )
    hourly.change_terms(session, access.contract, change, actor=access.user, now=now)
    return present.contract(hourly_reads.contract_view(session, access.contract, now), access.role)


@router.post("/contracts/{contract_id}/end", responses=CONTRACT_WRITE)
def end_contract(
    access: ContractParty, session: SessionDep, clock: ClockDep
) -> schemas.ContractPublic:
    """Either party: end the contract; it takes no more time and funds nothing more. Refused
    while a milestone is submitted and awaiting the client; escrow left goes back to them."""
    now = clock.now()
    fixed_price.end_contract(session, access, now=now)
    return present.contract(hourly_reads.contract_view(session, access.contract, now), access.role)
