"""The contracts page: each contract at a glance for the signed-in person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Response

from billing.api.deps import ClockDep, SessionDep
from billing.db.models import Contract, Role
from billing.domain.money import amount_for_minutes
from billing.domain.weeks import week_start
from billing.services import hourly_reads
from billing.services.hourly_reads import Glance
from billing.web import fixed_price_view
from billing.web.deps import PageDep
from billing.web.render import redirect
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)


@dataclass(frozen=True)
class ContractSummary:
    contract: Contract
    role: str
    other_party: str
    cap_minutes: int | None
    next_week_cap_minutes: int | None
    logged_minutes: int
    billable_minutes: int
    over_limit_minutes: int
    amount_cents: int
    last_activity: datetime | None
    open_disputes: int
    milestone_actions: list[str]

    @property
    def cap_percent(self) -> int:
        if not self.cap_minutes:
            return 0
        return min(100, round(100 * self.logged_minutes / self.cap_minutes))


def summarize(session: SessionDep, glance: Glance) -> ContractSummary:
    view = glance.view
    return ContractSummary(
        contract=view.contract,
        role=glance.role.value,
        other_party=glance.other_party,
        cap_minutes=view.cap_minutes,
        next_week_cap_minutes=view.next_week_cap_minutes,
        logged_minutes=view.logged_minutes,
        billable_minutes=view.billable_minutes,
        over_limit_minutes=view.logged_minutes - view.billable_minutes,
        amount_cents=amount_for_minutes(view.billable_minutes, view.contract.rate_cents or 0),
        last_activity=glance.last_activity,
        open_disputes=glance.open_disputes,
        milestone_actions=fixed_price_view.actions_needed(session, view.contract, glance.role),
    )


@router.get("/", include_in_schema=False)
def contracts_page(
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
) -> Response:
    if page.viewer.role == Role.ADMIN:
        return redirect("/web/disputes", secret=page.secret)
    now = clock.now()
    glances = hourly_reads.glances(session, page.viewer.user, now)
    summaries = [summarize(session, glance) for glance in glances]
    return page.render(
        "contracts.html",
        nav="contracts",
        summaries=summaries,
        week_start=week_start(now),
    )
