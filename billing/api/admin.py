"""The support queue: admins list open disputes and take one to moderate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from billing.api import present, schemas
from billing.api.deps import AdminUser, ClockDep, SessionDep
from billing.api.responses import ADMIN_READ, ADMIN_WRITE
from billing.services import hourly, hourly_reads

router = APIRouter(tags=["admin"], prefix="/admin")


@router.get("/disputes", responses=ADMIN_READ)
def dispute_queue(admin: AdminUser, session: SessionDep) -> list[schemas.DisputeSummary]:
    """Open disputes nobody has taken yet, and those assigned to the caller."""
    return [present.dispute_summary(row) for row in hourly_reads.admin_queue(session, admin)]


@router.post("/disputes/{dispute_id}/assign", responses=ADMIN_WRITE)
def take_dispute(
    dispute_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    admin: AdminUser,
    session: SessionDep,
    clock: ClockDep,
) -> schemas.DisputeSummary:
    """Take an open dispute; the contract becomes visible to this admin through it."""
    dispute = hourly.assign_dispute(session, dispute_id, admin, now=clock.now())
    return present.dispute_summary(dispute)
