"""A contract's details, the client's changes (cap, settings) and ending it."""

from __future__ import annotations

from fastapi import APIRouter

from billing.api import present, schemas
from billing.api.deps import ClientContract, ClockDep, PartyContract, SessionDep
from billing.db import contracts
from billing.db.contracts import cap_for_week
from billing.domain.weeks import WEEK, week_start

router = APIRouter(tags=["contracts"])


@router.get("/contracts/{contract_id}")
def get_contract(
    access: PartyContract, session: SessionDep, clock: ClockDep
) -> schemas.ContractPublic:
    return present.contract(session, access.contract, access.role, clock.now())


@router.patch("/contracts/{contract_id}")
def update_contract(
    body: schemas.ContractUpdate, access: ClientContract, session: SessionDep, clock: ClockDep
) -> schemas.ContractPublic:
    """Client: change the weekly cap (a raise applies now, a cut from next week) or settings."""
    now = clock.now()
    contract = access.contract
    if "weekly_cap_hours" in body.model_fields_set:
        new_cap = None if body.weekly_cap_hours is None else body.weekly_cap_hours * 60
        if new_cap != cap_for_week(session, contract.id, week_start(now)) or new_cap != (
            cap_for_week(session, contract.id, week_start(now) + WEEK)
        ):
            contracts.change_cap(session, contract, new_cap, actor=access.user, now=now)
    for name in ("screenshots_enabled", "blur_screenshots", "manual_time_allowed"):
        value = getattr(body, name)
        if name in body.model_fields_set and value is not None:
            setattr(contract, name, value)
    session.commit()
    return present.contract(session, contract, access.role, now)


@router.post("/contracts/{contract_id}/end")
def end_contract(
    access: ClientContract, session: SessionDep, clock: ClockDep
) -> schemas.ContractPublic:
    """Client: end the contract; it takes no more time."""
    now = clock.now()
    contracts.end_contract(session, access.contract, actor=access.user, now=now)
    session.commit()
    return present.contract(session, access.contract, access.role, now)
