"""What the API and the companion view show of hourly contracts: the diary, a week's
review state, contracts at a glance, invoices and disputes. Reads only — nothing here
writes or commits; the pages lay these answers out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from billing.db import chain as chain_db
from billing.db import disputes as disputes_db
from billing.db import invoices as invoices_db
from billing.db import slots as slots_db
from billing.db.contracts import cap_for_week, contracts_of, week_totals
from billing.db.errors import Invalid, NotFound
from billing.db.models import (
    Contract,
    ContractKind,
    ContractWeek,
    Dispute,
    DisputeMessage,
    DisputeStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Role,
    Slot,
    User,
)
from billing.domain.weeks import SLOT, WEEK, WeekTimeline, week_start

MAX_SLOTS_PER_FORM = 7 * 24 * 6
RECENT_RESOLVED = 20


def diary(
    session: Session, contract: Contract, start: datetime, end: datetime
) -> list[tuple[Slot, int | None]]:
    """Undeleted slots in ``[start, end)`` with the id of the dispute each is under."""
    return slots_db.diary(session, contract.id, start, end)


def shot_blob_key(session: Session, contract: Contract, slot_start: datetime) -> str | None:
    """Where the live slot's uploaded shot is stored (``NotFound`` without a slot)."""
    return slots_db.live_slot(session, contract.id, slot_start).shot_blob_key


def shot_slot(session: Session, contract: Contract, slot_id: int) -> Slot | None:
    """The contract's live slot ``slot_id`` if it has an uploaded shot."""
    slot = slots_db.slot_by_id(session, contract.id, slot_id)
    if slot is None or slot.deleted_at is not None or slot.shot_blob_key is None:
        return None
    return slot


def selected_starts(session: Session, contract: Contract, slot_ids: list[int]) -> list[datetime]:
    """The starts of slots chosen on a form, which must all be on this contract."""
    if not slot_ids:
        raise Invalid("Select at least one slot.")
    if len(slot_ids) > MAX_SLOTS_PER_FORM:
        raise Invalid("Too many slots in one request.")
    starts = slots_db.starts_of_ids(session, contract.id, slot_ids)
    if len(starts) != len(set(slot_ids)):
        raise NotFound("Some of the selected slots are not on this contract.")
    return starts


# --- the diary page -----------------------------------------------------------------------


@dataclass(frozen=True)
class WeekReview:
    """One billing week: its timeline and invoice, if any, and what may happen now."""

    week_start: datetime
    timeline: WeekTimeline
    invoice: Invoice | None
    lines: list[InvoiceLine]
    in_review: bool
    open_for_changes: bool


@dataclass(frozen=True)
class DiaryRange:
    """The slots of a range of the diary and the billing weeks it shows."""

    live: list[tuple[Slot, int | None]]
    deleted: list[Slot]
    reviews: dict[datetime, WeekReview]
    cap_minutes: int | None
    next_cap_minutes: int | None
    # the declared gaps of the signed diary in the range: (slot_start, reason)
    gaps: list[tuple[datetime, str]] = field(default_factory=list)


def week_review(session: Session, contract: Contract, week: datetime, now: datetime) -> WeekReview:
    timeline = WeekTimeline(week)
    invoice = invoices_db.week_invoice(session, contract.id, week)
    lines = invoices_db.lines_of(session, invoice.id) if invoice is not None else []
    return WeekReview(
        week_start=week,
        timeline=timeline,
        invoice=invoice,
        lines=lines,
        in_review=invoice is not None
        and invoice.status == InvoiceStatus.ISSUED
        and timeline.in_review(now),
        open_for_changes=timeline.accepts_slot_changes(now),
    )


def diary_range(
    session: Session,
    contract: Contract,
    start: datetime,
    end: datetime,
    weeks: Collection[datetime],
    now: datetime,
) -> DiaryRange:
    """Live and deleted slots in ``[start, end)``, the review state of ``weeks``, the cap."""
    this_week = week_start(now)
    return DiaryRange(
        live=slots_db.diary(session, contract.id, start, end),
        deleted=slots_db.deleted_in(session, contract.id, start, end),
        reviews={week: week_review(session, contract, week, now) for week in sorted(weeks)},
        cap_minutes=cap_for_week(session, contract.id, this_week),
        next_cap_minutes=cap_for_week(session, contract.id, this_week + WEEK),
        gaps=[(row.slot_start, str(row.record.get("reason", "")))
              for row in chain_db.entries_of_contract(session, contract.id, start, end)
              if row.kind == "gap"],
    )


def billing_week(session: Session, contract: Contract, week: datetime) -> ContractWeek | None:
    """The week's running totals (logged, billable), if anything was logged."""
    return week_totals(session, contract.id, week)


# --- contracts at a glance ----------------------------------------------------------------


@dataclass(frozen=True)
class ContractView:
    """A contract with its parties and this week's cap and totals."""

    contract: Contract
    client: User
    freelancer: User
    week_start: datetime
    cap_minutes: int | None
    next_week_cap_minutes: int | None
    logged_minutes: int
    billable_minutes: int


def contract_view(session: Session, contract: Contract, now: datetime) -> ContractView:
    this_week = week_start(now)
    totals = week_totals(session, contract.id, this_week)
    client = session.get(User, contract.client_id)
    freelancer = session.get(User, contract.freelancer_id)
    assert client is not None and freelancer is not None
    return ContractView(
        contract=contract,
        client=client,
        freelancer=freelancer,
        week_start=this_week,
        cap_minutes=cap_for_week(session, contract.id, this_week),
        next_week_cap_minutes=cap_for_week(session, contract.id, this_week + WEEK),
        logged_minutes=totals.logged_minutes if totals else 0,
        billable_minutes=totals.billable_minutes if totals else 0,
    )


def contract_views(session: Session, viewer: User, now: datetime) -> list[ContractView]:
    """The viewer's contracts (admins: none — they see disputes)."""
    return [contract_view(session, contract, now) for contract in contracts_of(session, viewer)]


@dataclass(frozen=True)
class Glance:
    """A contract as the contracts page shows it to one of its parties."""

    view: ContractView
    role: Role
    other_party: str
    last_activity: datetime | None
    open_disputes: int


def glances(session: Session, viewer: User, now: datetime) -> list[Glance]:
    return [_glance(session, view, viewer) for view in contract_views(session, viewer, now)]


def _glance(session: Session, view: ContractView, viewer: User) -> Glance:
    contract = view.contract
    role = Role.CLIENT if contract.client_id == viewer.id else Role.FREELANCER
    other = view.freelancer if role == Role.CLIENT else view.client
    latest = slots_db.last_slot_start(session, contract.id)
    return Glance(
        view=view,
        role=role,
        other_party=other.display_name,
        last_activity=None if latest is None else latest + SLOT,
        open_disputes=disputes_db.open_count(session, contract.id),
    )


# --- invoices -----------------------------------------------------------------------------


def hourly_invoices(session: Session, viewer: User) -> list[tuple[Invoice, Contract]]:
    """Every invoice of the viewer's hourly contracts, newest week first."""
    rows = [
        (invoice, contract)
        for contract in contracts_of(session, viewer)
        if contract.kind == ContractKind.HOURLY
        for invoice in invoices_db.invoices_of(session, contract)
    ]
    rows.sort(key=lambda row: (row[0].week_start, row[0].id), reverse=True)
    return rows


def invoices_of(session: Session, contract: Contract) -> list[tuple[Invoice, list[InvoiceLine]]]:
    return [
        (invoice, invoices_db.lines_of(session, invoice.id))
        for invoice in invoices_db.invoices_of(session, contract)
    ]


def invoice_with_lines(
    session: Session, contract: Contract, invoice_id: int
) -> tuple[Invoice, list[InvoiceLine]]:
    invoice = invoices_db.invoice_of(session, contract, invoice_id)
    return invoice, invoices_db.lines_of(session, invoice.id)


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    lines: list[InvoiceLine]
    disputes: list[Dispute]
    client: User | None
    freelancer: User | None


def invoice_detail(session: Session, contract: Contract, invoice_id: int) -> InvoiceDetail:
    invoice, lines = invoice_with_lines(session, contract, invoice_id)
    return InvoiceDetail(
        invoice=invoice,
        lines=lines,
        disputes=invoices_db.disputes_of_invoice(session, invoice),
        client=session.get(User, contract.client_id),
        freelancer=session.get(User, contract.freelancer_id),
    )


def finalized_earnings(session: Session, freelancer: User) -> list[tuple[Invoice, Contract]]:
    """The freelancer's finalized invoices (each a credit to their pending balance)."""
    return invoices_db.finalized_of_freelancer(session, freelancer.id)


# --- disputes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeRow:
    dispute: Dispute
    contract: Contract
    waiting_on: str  # who should act next, in words


def waiting_on(session: Session, dispute: Dispute, contract: Contract) -> str:
    if dispute.status != DisputeStatus.OPEN:
        return "resolved"
    if not disputes_db.has_message_from(session, dispute, contract.freelancer_id):
        return "freelancer's answer"
    if dispute.assigned_admin_id is None:
        return "an admin to take it"
    return "admin's decision"


def _row(session: Session, dispute: Dispute) -> DisputeRow:
    contract = session.get(Contract, dispute.contract_id)
    assert contract is not None
    return DisputeRow(dispute, contract, waiting_on(session, dispute, contract))


def admin_disputes(session: Session, admin: User) -> tuple[list[DisputeRow], list[DisputeRow]]:
    """(the admin's own disputes, open and lately resolved; the queue nobody took yet)."""
    mine: list[DisputeRow] = []
    queue: list[DisputeRow] = []
    for dispute in disputes_db.open_disputes_for_admin(session, admin):
        (mine if dispute.assigned_admin_id == admin.id else queue).append(_row(session, dispute))
    mine += [
        _row(session, d) for d in disputes_db.resolved_by_admin(session, admin, RECENT_RESOLVED)
    ]
    return mine, queue


def party_disputes(session: Session, viewer: User) -> list[DisputeRow]:
    """Disputes on the viewer's contracts, open ones first, newest first."""
    rows = [
        DisputeRow(dispute, contract, waiting_on(session, dispute, contract))
        for contract in contracts_of(session, viewer)
        for dispute in disputes_db.disputes_on(
            session,
            contract,
            viewer,
            Role.CLIENT if contract.client_id == viewer.id else Role.FREELANCER,
        )
    ]
    rows.sort(key=lambda row: (row.dispute.status != DisputeStatus.OPEN, -row.dispute.id))
    return rows


@dataclass(frozen=True)
class DisputeRecord:
    """One dispute as its parties and admin see it."""

    dispute: Dispute
    slot_starts: list[datetime]
    slots: list[Slot]
    messages: list[tuple[DisputeMessage, User]]
    opener: User | None
    waiting_on: str


def dispute_record(
    session: Session, contract: Contract, dispute_id: int, viewer: User, role: Role
) -> DisputeRecord:
    """The dispute's record (``NotFound`` for an admin it is not assigned to)."""
    dispute = disputes_db.dispute_on(session, contract, dispute_id)
    disputes_db.check_admin_may_see(dispute, viewer, role)
    starts = disputes_db.slot_starts_of(session, dispute)
    return DisputeRecord(
        dispute=dispute,
        slot_starts=starts,
        slots=slots_db.slots_at(session, contract.id, starts),
        messages=disputes_db.messages_of(session, dispute),
        opener=session.get(User, dispute.opened_by_id),
        waiting_on=waiting_on(session, dispute, contract),
    )


def disputes_on(session: Session, contract: Contract, viewer: User, role: Role) -> list[Dispute]:
    return disputes_db.disputes_on(session, contract, viewer, role)


def admin_queue(session: Session, admin: User) -> list[Dispute]:
    return disputes_db.open_disputes_for_admin(session, admin)
