"""The freelancer's earnings: balances from the ledger, and what becomes available when."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from billing.api.deps import ClockDep, SessionDep, SettingsDep
from billing.db.models import Role
from billing.domain.money import fee_for
from billing.services import accounts, hourly_reads
from billing.web import fixed_price_view
from billing.web.deps import PageDep
from billing.web.earning_lines import EarningLine, availability_schedule
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)


@router.get("/earnings", include_in_schema=False)
def earnings_page(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    page: PageDep,
) -> Response:
    if page.viewer.role != Role.FREELANCER:
        raise HTTPException(404, detail="Earnings are shown to freelancers.")
    fee_bps = settings.platform_fee_basis_points
    earnings: list[EarningLine] = []
    for invoice, contract in hourly_reads.finalized_earnings(session, page.viewer.user):
        assert invoice.finalized_at is not None
        earnings.append(
            EarningLine(
                source=f"Invoice #{invoice.number}",
                contract_title=contract.title,
                link=f"/web/contracts/{contract.id}/invoices/{invoice.id}",
                earned_at=invoice.finalized_at,
                available_at=invoice.released_at or invoice.available_at,
                available=invoice.released_at is not None,
                gross_cents=invoice.total_cents,
                net_cents=invoice.total_cents - fee_for(invoice.total_cents, fee_bps),
                currency=invoice.currency,
            )
        )
    earnings += fixed_price_view.released_earnings(session, page.viewer.user)
    earnings.sort(
        key=lambda earning: (earning.available, earning.available_at or earning.earned_at)
    )
    pending = [earning for earning in earnings if not earning.available]
    return page.render(
        "earnings.html",
        nav="earnings",
        balances=accounts.balances(session, page.viewer.user),
        schedule=availability_schedule(pending, page.zone.zone),
        pending=pending,
        available=[earning for earning in reversed(earnings) if earning.available],
        now=clock.now(),
        fee_bps=fee_bps,
    )
