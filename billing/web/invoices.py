"""Invoices: the list across the viewer's contracts, one invoice, its CSV and print view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response

from billing import invoice_csv as csv_presenter
from billing.api.deps import ClockDep, SessionDep
from billing.db.models import Contract, Invoice, Role
from billing.domain.weeks import WeekTimeline
from billing.services import hourly_reads
from billing.web.deps import PageDep, ViewerDep, load_contract
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


@router.get("/invoices", include_in_schema=False)
def invoices_page(session: SessionDep, page: PageDep) -> Response:
    if page.viewer.role == Role.ADMIN:
        return redirect("/web/disputes", secret=page.secret)
    rows = hourly_reads.hourly_invoices(session, page.viewer.user)
    return page.render("invoices.html", nav="invoices", rows=[InvoiceRow(*row) for row in rows])


def _invoice_context(
    session: SessionDep, viewer: ViewerDep, contract_id: int, invoice_id: int, now: datetime
) -> dict[str, Any]:
    access = load_contract(session, viewer, contract_id, Role.CLIENT, Role.FREELANCER)
    detail = hourly_reads.invoice_detail(session, access.contract, invoice_id)
    invoice = detail.invoice
    timeline = WeekTimeline(invoice.week_start)
    return {
        "row": InvoiceRow(invoice, access.contract),
        "invoice": invoice,
        "contract": access.contract,
        "role": access.role.value,
        "lines": detail.lines,
        "disputes": detail.disputes,
        "client": detail.client,
        "freelancer": detail.freelancer,
        "timeline": timeline,
        "in_review": timeline.in_review(now) and invoice.status == "issued",
    }


@router.get("/contracts/{contract_id}/invoices/{invoice_id}", include_in_schema=False)
def invoice_page(
    contract_id: int, invoice_id: int, session: SessionDep, clock: ClockDep, page: PageDep
) -> Response:
    context = _invoice_context(session, page.viewer, contract_id, invoice_id, clock.now())
    return page.render("invoice.html", nav="invoices", printable=False, **context)


@router.get("/contracts/{contract_id}/invoices/{invoice_id}/print", include_in_schema=False)
def invoice_print(
    contract_id: int, invoice_id: int, session: SessionDep, clock: ClockDep, page: PageDep
) -> Response:
    context = _invoice_context(session, page.viewer, contract_id, invoice_id, clock.now())
    return page.render("invoice_print.html", show_nav=False, printable=True, **context)


@router.get("/contracts/{contract_id}/invoices/{invoice_id}/csv", include_in_schema=False)
def invoice_csv(
    contract_id: int, invoice_id: int, session: SessionDep, viewer: ViewerDep
) -> Response:
    access = load_contract(session, viewer, contract_id, Role.CLIENT, Role.FREELANCER)
    invoice, lines = hourly_reads.invoice_with_lines(session, access.contract, invoice_id)
    return Response(
        csv_presenter.invoice_csv(invoice, access.contract, lines),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{csv_presenter.csv_filename(invoice)}"',
            "Cache-Control": "private, no-store",
        },
    )
