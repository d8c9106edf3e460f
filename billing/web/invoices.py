"""Invoices: the list across the viewer's contracts, one invoice, its CSV and print view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.api.deps import ClockDep, SessionDep
from billing.db import invoices as invoices_db
from billing.db.contracts import contracts_of
from billing.db.models import Contract, ContractKind, Dispute, Invoice, Role, User
from billing.domain.weeks import WeekTimeline
from billing.web.deps import SecretDep, ViewerDep, ZoneDep, load_contract, render_page
from billing.web.render import redirect
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)

STATUS_WORDS = {
    "draft": ("Draft", "info"),
    "issued": ("In review", "warn"),
    "finalized": ("Finalized", "good"),
    "void": ("Void", ""),
}


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    contract: Contract

    @property
    def status_word(self) -> str:
        return STATUS_WORDS.get(self.invoice.status, (self.invoice.status, ""))[0]

    @property
    def status_tone(self) -> str:
        return STATUS_WORDS.get(self.invoice.status, ("", ""))[1]

    @property
    def earnings_date(self) -> datetime:
        """When the freelancer's pending earnings become available (set at finalization;
        before that, the date the week's timeline gives)."""
        return self.invoice.available_at or WeekTimeline(self.invoice.week_start).available_at


def _rows(session: Session, viewer: User) -> list[InvoiceRow]:
    rows = [
        InvoiceRow(invoice, contract)
        for contract in contracts_of(session, viewer)
        if contract.kind == ContractKind.HOURLY
        for invoice in invoices_db.invoices_of(session, contract)
    ]
    rows.sort(key=lambda row: (row.invoice.week_start, row.invoice.id), reverse=True)
    return rows


@router.get("/invoices", include_in_schema=False)
def invoices_page(
    request: Request, session: SessionDep, viewer: ViewerDep, secret: SecretDep, zone: ZoneDep
) -> Response:
    if viewer.role == Role.ADMIN:
        return redirect("/web/disputes", secret=secret)
    return render_page(
        request,
        "invoices.html",
        viewer=viewer,
        zone=zone,
        secret=secret,
        nav="invoices",
        rows=_rows(session, viewer.user),
    )


def _invoice_context(
    session: Session, viewer: ViewerDep, contract_id: int, invoice_id: int, now: datetime
) -> dict[str, object]:
    access = load_contract(session, viewer, contract_id, Role.CLIENT, Role.FREELANCER)
    invoice = invoices_db.invoice_of(session, access.contract, invoice_id)
    contract = access.contract
    disputes = list(
        session.scalars(
            select(Dispute).where(Dispute.invoice_id == invoice.id).order_by(Dispute.id)
        )
    )
    client = session.get(User, contract.client_id)
    freelancer = session.get(User, contract.freelancer_id)
    timeline = WeekTimeline(invoice.week_start)
    return {
        "row": InvoiceRow(invoice, contract),
        "invoice": invoice,
        "contract": contract,
        "role": access.role.value,
        "lines": invoices_db.lines_of(session, invoice.id),
        "disputes": disputes,
        "client": client,
        "freelancer": freelancer,
        "timeline": timeline,
        "in_review": timeline.in_review(now) and invoice.status == "issued",
    }


@router.get("/contracts/{contract_id}/invoices/{invoice_id}", include_in_schema=False)
def invoice_page(
    request: Request,
    contract_id: int,
    invoice_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    zone: ZoneDep,
) -> Response:
    context = _invoice_context(session, viewer, contract_id, invoice_id, clock.now())
    return render_page(
        request,
        "invoice.html",
        viewer=viewer,
        zone=zone,
        secret=secret,
        nav="invoices",
        printable=False,
        **context,
    )


@router.get("/contracts/{contract_id}/invoices/{invoice_id}/print", include_in_schema=False)
def invoice_print(
    request: Request,
    contract_id: int,
    invoice_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    zone: ZoneDep,
) -> Response:
    context = _invoice_context(session, viewer, contract_id, invoice_id, clock.now())
    return render_page(
        request,
        "invoice_print.html",
        viewer=viewer,
        zone=zone,
        secret=secret,
        show_nav=False,
        printable=True,
        **context,
    )


@router.get("/contracts/{contract_id}/invoices/{invoice_id}/csv", include_in_schema=False)
def invoice_csv(
    contract_id: int, invoice_id: int, session: SessionDep, viewer: ViewerDep
) -> Response:
    access = load_contract(session, viewer, contract_id, Role.CLIENT, Role.FREELANCER)
    invoice = invoices_db.invoice_of(session, access.contract, invoice_id)
    text = invoices_db.invoice_csv(
        invoice, access.contract, invoices_db.lines_of(session, invoice.id)
    )
    name = f"invoice-{invoice.number or f'draft-{invoice.id}'}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
