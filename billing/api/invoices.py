"""A contract's invoices as JSON and CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from billing import invoice_csv as csv_presenter
from billing.api import present, schemas
from billing.api.deps import ContractParty, SessionDep
from billing.api.responses import CONTRACT_READ
from billing.services import hourly_reads

router = APIRouter(tags=["invoices"])

InvoiceId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/contracts/{contract_id}/invoices", responses=CONTRACT_READ)
def list_invoices(access: ContractParty, session: SessionDep) -> list[schemas.InvoicePublic]:
    """Every invoice of the contract, oldest week first (drafts included)."""
    rows = hourly_reads.invoices_of(session, access.contract)
    return [present.invoice(invoice, lines) for invoice, lines in rows]


@router.get("/contracts/{contract_id}/invoices/{invoice_id}", responses=CONTRACT_READ)
def get_invoice(
    invoice_id: InvoiceId, access: ContractParty, session: SessionDep
) -> schemas.InvoicePublic:
    return present.invoice(*hourly_reads.invoice_with_lines(session, access.contract, invoice_id))


@router.get(
    "/contracts/{contract_id}/invoices/{invoice_id}/csv",
    response_class=Response,
    responses={**CONTRACT_READ, 200: {"content": {"text/csv": {}}}},
)
def invoice_csv(invoice_id: InvoiceId, access: ContractParty, session: SessionDep) -> Response:
    """The invoice as CSV (amounts in minor units)."""
    invoice, lines = hourly_reads.invoice_with_lines(session, access.contract, invoice_id)
    return Response(
        csv_presenter.invoice_csv(invoice, access.contract, lines),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{csv_presenter.csv_filename(invoice)}"'
        },
    )
