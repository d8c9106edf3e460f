"""``/contracts/{id}/evidence``: a week's evidence bundle for either party or the
assigned admin (checked offline by ``workdiary-server verify``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from billing.api import schemas
from billing.api.deps import BlobsDep, ClockDep, PartyContract, SessionDep
from billing.api.responses import CONTRACT_READ
from billing.domain.weeks import week_start_of_date
from billing.services import evidence

router = APIRouter(tags=["evidence"])


@router.get(
    "/contracts/{contract_id}/evidence",
    response_class=Response,
    responses={**CONTRACT_READ, 200: {"content": {"application/zip": {}}}},
)
def week_evidence(
    access: PartyContract,
    session: SessionDep,
    blobs: BlobsDep,
    clock: ClockDep,
    week: Annotated[schemas.Day, Query(description="any day of the wanted UTC week")],
) -> Response:
    """The week's slot records, signed entries with receipts, device keys and shots."""
    name, data = evidence.week_bundle(
        session, blobs, access.contract, week_start_of_date(week), now=clock.now()
    )
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})
