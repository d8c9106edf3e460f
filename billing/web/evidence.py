"""The companion view's link to a week's evidence bundle (both parties, the admin)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from billing.api.deps import BlobsDep, ClockDep, SessionDep
from billing.domain.weeks import week_start_of_date
from billing.services import evidence
from billing.web.deps import ViewerDep, load_contract
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)


@router.get("/contracts/{contract_id}/evidence", include_in_schema=False)
def evidence_bundle(
    contract_id: int,
    session: SessionDep,
    viewer: ViewerDep,
    blobs: BlobsDep,
    clock: ClockDep,
    week: Annotated[str, Query(max_length=10)],
) -> Response:
    access = load_contract(session, viewer, contract_id)
    try:
        day = date.fromisoformat(week)
    except ValueError as error:
        raise HTTPException(422, detail=f"not a date (YYYY-MM-DD): {week!r}") from error
    name, data = evidence.week_bundle(
        session, blobs, access.contract, week_start_of_date(day), now=clock.now()
    )
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})
