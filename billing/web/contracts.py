"""The contracts page: each contract at a glance for the signed-in person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.api.deps import ClockDep, SessionDep
from billing.db.contracts import cap_for_week, contracts_of, week_totals
from billing.db.models import Contract, ContractKind, Dispute, DisputeStatus, Role, Slot, User
from billing.domain.money import amount_for_minutes
from billing.domain.weeks import week_start
from billing.web import fixed_price_view
from billing.web.deps import SecretDep, ViewerDep, ZoneDep, render_page
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


def _last_activity(session: Session, contract_id: int) -> datetime | None:
    """The end of the latest undeleted slot synced for the contract."""
    latest: datetime | None = session.scalar(
        select(func.max(Slot.slot_start)).where(
            Slot.contract_id == contract_id, Slot.deleted_at.is_(None)
        )
    )
    return None if latest is None else latest + timedelta(minutes=10)


def _open_disputes(session: Session, contract_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Dispute.id)).where(
                Dispute.contract_id == contract_id, Dispute.status == DisputeStatus.OPEN
            )
        )
        or 0
    )


def summarize(session: Session, contract: Contract, viewer: User, now: datetime) -> ContractSummary:
    role = Role.CLIENT if contract.client_id == viewer.id else Role.FREELANCER
    other_id = contract.freelancer_id if role == Role.CLIENT else contract.client_id
    other = session.get(User, other_id)
    this_week = week_start(now)
    cap = next_cap = None
    logged = billable = 0
    if contract.kind == ContractKind.HOURLY:
        cap = cap_for_week(session, contract.id, this_week)
        next_cap = cap_for_week(session, contract.id, this_week + timedelta(days=7))
        totals = week_totals(session, contract.id, this_week)
        if totals is not None:
            logged, billable = totals.logged_minutes, totals.billable_minutes
    return ContractSummary(
        contract=contract,
        role=role.value,
        other_party=other.display_name if other else "—",
        cap_minutes=cap,
        next_week_cap_minutes=next_cap,
        logged_minutes=logged,
        billable_minutes=billable,
        over_limit_minutes=logged - billable,
        amount_cents=amount_for_minutes(billable, contract.rate_cents or 0),
        last_activity=_last_activity(session, contract.id),
        open_disputes=_open_disputes(session, contract.id),
        milestone_actions=fixed_price_view.actions_needed(session, contract, role),
    )


@router.get("/", include_in_schema=False)
def contracts_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    zone: ZoneDep,
) -> Response:
    if viewer.role == Role.ADMIN:
        return redirect("/web/disputes", secret=secret)
    now = clock.now()
    summaries = [
        summarize(session, c, viewer.user, now) for c in contracts_of(session, viewer.user)
    ]
    return render_page(
        request,
        "contracts.html",
        viewer=viewer,
        zone=zone,
        secret=secret,
        nav="contracts",
        summaries=summaries,
        week_start=week_start(now),
    )
