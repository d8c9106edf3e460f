"""A contract's invoices as JSON and CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from billing.api import present, schemas
from billing.api.deps import ContractParty, SessionDep
from billing.db import invoices

router = APIRouter(tags=["invoices"])

InvoiceId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/contracts/{contract_id}/invoices")
def list_invoices(access: ContractParty, session: SessionDep) -> list[schemas.InvoicePublic]:
    """Every invoice of the contract, oldest week first (drafts included)."""
    return [present.invoice(session, row) for row in invoices.invoices_of(session, access.contract)]


@router.get("/contracts/{contract_id}/invoices/{invoice_id}")
def get_invoice(
    invoice_id: InvoiceId, access: ContractParty, session: SessionDep
) -> schemas.InvoicePublic:
    return present.invoice(session, invoices.invoice_of(session, access.contract, invoice_id))


@router.get(
    "/contracts/{contract_id}/invoices/{invoice_id}/csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def invoice_csv(invoice_id: InvoiceId, access: ContractParty, session: SessionDep) -> Response:
    """The invoice as CSV (amounts in minor units)."""
    invoice = invoices.invoice_of(session, access.contract, invoice_id)
    text = invoices.invoice_csv(invoice, access.contract, invoices.lines_of(session, invoice.id))
    name = f"invoice-{invoice.number or f'draft-{invoice.id}'}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
