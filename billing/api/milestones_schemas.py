"""Request and response bodies of the fixed-price API, and how a book is shown.

Inputs forbid unknown fields. Money is ``*_cents`` integers in the contract's
``currency``; things on a contract are named by ``seq``, their creation order (1, 2, …).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from billing.api.present import from_row
from billing.db.milestones_tables import FixedEscrowDispute
from billing.domain.milestones import next_to_activate
from billing.domain.milestones_model import (
    DEFAULT_POLICY,
    ChangeKind,
    EscrowBook,
    EscrowTransfer,
    MilestoneOrigin,
    MilestoneState,
    Proposal,
    ProposalChange,
    ProposalState,
)
from billing.domain.milestones_rules import AMOUNT_MAX_CENTS, TEXT_MAX, TITLE_MAX
from billing.domain.money import check_currency

Cents = Field(
    ge=1,
    le=AMOUNT_MAX_CENTS,
    description="minor units of the contract's currency, by its ISO 4217 exponent: "
    "1000 is ¥1,000, $10.00 or 1.000 KWD",
)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- inputs -------------------------------------------------------------------------------


class MilestoneCreate(Input):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str = Field(default="", max_length=TEXT_MAX)
    due_date: date | None = None
    amount_cents: int = Cents


class MilestoneUpdate(Input):
    """Client's change to a future milestone; only the fields sent change."""

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    due_date: date | None = None
    amount_cents: int | None = Field(default=None, ge=1, le=AMOUNT_MAX_CENTS)
    clear_due_date: bool = Field(default=False, description="true: no due date any more")


class Submission(Input):
    message: str = Field(min_length=1, max_length=TEXT_MAX)


class ChangeRequest(Input):
    message: str = Field(min_length=1, max_length=TEXT_MAX)


class Approval(Input):
    """``release_cents`` defaults to the whole escrow; less leaves the remainder for the
    next milestone — or, with ``end_contract``, refunds it and ends the contract."""

    release_cents: int | None = Field(default=None, ge=1, le=AMOUNT_MAX_CENTS)
    bonus_cents: int = Field(default=0, ge=0, le=AMOUNT_MAX_CENTS)
    end_contract: bool = False


class ProposalChangeIn(Input):
    """``add``: title + amount (+ description, due date). ``edit``: milestone_seq and
    the fields to change (an amount only upwards). ``delete``: milestone_seq."""

    kind: Literal["add", "edit", "delete"]
    milestone_seq: int | None = Field(default=None, ge=1, le=2**31 - 1)
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    due_date: date | None = None
    amount_cents: int | None = Field(default=None, ge=1, le=AMOUNT_MAX_CENTS)
    clear_due_date: bool = Field(default=False, description="edit: remove the due date")

    def to_domain(self) -> ProposalChange:
        return ProposalChange(
            kind=ChangeKind(self.kind),
            milestone_seq=self.milestone_seq,
            title=self.title,
            description=self.description,
            due_date=self.due_date,
            amount_cents=self.amount_cents,
            clear_due_date=self.clear_due_date,
        )


class ProposalCreate(Input):
    message: str = Field(default="", max_length=TEXT_MAX)
    changes: list[ProposalChangeIn] = Field(min_length=1, max_length=50)


class MilestoneRequestCreate(Input):
    amount_cents: int = Cents
    currency: str | None = Field(
        default=None, description="if sent, must be the contract's currency"
    )
    description: str = Field(min_length=1, max_length=TEXT_MAX)

    @field_validator("currency")
    @classmethod
    def _accepted(cls, currency: str | None) -> str | None:
        # an unknown code is a malformed request (422), not a mismatch with the contract
        return None if currency is None else check_currency(currency)


class EscrowDisputeCreate(Input):
    reason: str = Field(min_length=1, max_length=TEXT_MAX)


class EscrowSplit(Input):
    """Must add up to the escrow held for the disputed milestone."""

    to_freelancer_cents: int = Field(ge=0, le=AMOUNT_MAX_CENTS)
    to_client_cents: int = Field(ge=0, le=AMOUNT_MAX_CENTS)


# --- outputs ------------------------------------------------------------------------------


class MilestonePublic(BaseModel):
    seq: int
    title: str
    description: str
    due_date: date | None
    amount_cents: int
    origin: Literal["plan", "request"]
    state: Literal["planned", "active", "submitted", "released", "deleted", "cancelled"]
    escrow_cents: int = Field(description="held in escrow for it now")
    funded_cents: int
    carried_in_cents: int = Field(description="of funded, what an earlier remainder paid")
    released_cents: int
    refunded_cents: int
    carried_out_cents: int = Field(description="remainder left for the next milestone")
    bonus_cents: int
    created_at: datetime
    activated_at: datetime | None
    submitted_at: datetime | None
    submission_message: str | None
    changes_requested_message: str | None
    released_at: datetime | None
    auto_approved: bool
    auto_approve_at: datetime | None = Field(description="when submitted work is approved")
    in_dispute: bool


class ProposalChangePublic(BaseModel):
    kind: Literal["add", "edit", "delete"]
    milestone_seq: int | None
    title: str | None
    description: str | None
    due_date: date | None
    amount_cents: int | None
    clear_due_date: bool = False


class ProposalPublic(BaseModel):
    seq: int
    message: str
    state: Literal["pending", "accepted", "rejected", "withdrawn", "closed"]
    changes: list[ProposalChangePublic]
    created_at: datetime
    decided_at: datetime | None


class MilestoneRequestPublic(BaseModel):
    seq: int
    amount_cents: int
    description: str
    state: Literal["pending", "accepted", "declined", "withdrawn", "closed"]
    created_at: datetime
    decided_at: datetime | None
    milestone_seq: int | None = Field(description="the funded payment it became")


class EscrowDisputePublic(BaseModel):
    id: int = Field(description="global id (admin queue, assignment)")
    contract_id: int
    seq: int
    milestone_seq: int
    opened_by: Literal["client", "freelancer"]
    reason: str
    state: Literal["open", "resolved"]
    opened_at: datetime
    held_cents: int = Field(description="escrow of the milestone now (0 once resolved)")
    currency: str
    to_freelancer_cents: int | None
    to_client_cents: int | None
    resolved_at: datetime | None
    assigned_admin_id: int | None


class EarningPublic(BaseModel):
    amount_cents: int
    available_at: datetime
    made_available: bool
    source: str = Field(description="ledger key of the release, bonus or split")


class EscrowPublic(BaseModel):
    held_cents: int = Field(description="funded − released − refunded")
    carry_cents: int = Field(description="remainder that funds the next activation")
    funded_cents: int
    released_cents: int
    refunded_cents: int
    bonus_cents: int


class TransferPublic(BaseModel):
    key: str
    source: str
    destination: str
    amount_cents: int
    currency: str


class BookPublic(BaseModel):
    contract_id: int
    kind: Literal["hourly", "fixed"]
    currency: str
    your_role: Literal["client", "freelancer", "admin"]
    ended_at: datetime | None
    escrow: EscrowPublic
    next_to_activate_seq: int | None = Field(
        description="the milestone the client may activate now, if any"
    )
    pending_proposal_seq: int | None
    milestones: list[MilestonePublic]
    proposals: list[ProposalPublic]
    milestone_requests: list[MilestoneRequestPublic]
    escrow_disputes: list[EscrowDisputePublic]
    earnings: list[EarningPublic]


class AttachmentPublic(BaseModel):
    id: int
    milestone_seq: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    url: str = Field(description="authorized GET of the bytes")


class ChangePublic(BaseModel):
    """What a change did, and the book after it."""

    created_seq: int | None = Field(description="seq of what the call created, if anything")
    transfers: list[TransferPublic]
    book: BookPublic


# --- presenting a book ----------------------------------------------------------------------


def present_book(
    book: EscrowBook, your_role: str, dispute_rows: dict[int, FixedEscrowDispute]
) -> BookPublic:
    return BookPublic(
        contract_id=book.contract_id,
        kind=book.kind.value,
        currency=book.currency,
        your_role=your_role,  # type: ignore[arg-type]
        ended_at=book.ended_at,
        escrow=EscrowPublic(
            held_cents=book.escrow_cents,
            carry_cents=book.carry_cents,
            funded_cents=book.funded_cents,
            released_cents=book.released_cents,
            refunded_cents=book.refunded_cents,
            bonus_cents=book.bonus_cents,
        ),
        next_to_activate_seq=next_to_activate(book),
        pending_proposal_seq=next(
            (p.seq for p in book.proposals if p.state is ProposalState.PENDING), None
        ),
        milestones=_present_milestones(book),
        proposals=[_present_proposal(p) for p in book.proposals],
        milestone_requests=[
            MilestoneRequestPublic(
                seq=r.seq,
                amount_cents=r.amount_cents,
                description=r.description,
                state=r.state.value,
                created_at=r.created_at,
                decided_at=r.decided_at,
                milestone_seq=r.milestone_seq,
            )
            for r in book.requests
        ],
        escrow_disputes=_present_disputes(book, dispute_rows),
        earnings=[
            EarningPublic(
                amount_cents=e.amount_cents,
                available_at=e.available_at,
                made_available=e.made_available,
                source=e.key,
            )
            for e in book.earnings
        ],
    )


def _present_milestones(book: EscrowBook) -> list[MilestonePublic]:
    """The plan first, then milestone payments, each in creation order."""
    disputed = {d.milestone_seq for d in book.disputes if d.state.value == "open"}
    after = DEFAULT_POLICY.auto_approve_after
    return [
        from_row(
            MilestonePublic,
            m,
            origin=m.origin.value,
            state=m.state.value,
            auto_approve_at=(
                m.submitted_at + after
                if m.state is MilestoneState.SUBMITTED and m.submitted_at is not None
                else None
            ),
            in_dispute=m.seq in disputed,
        )
        for m in sorted(book.milestones, key=lambda m: (m.origin != MilestoneOrigin.PLAN, m.seq))
    ]


def _present_proposal(proposal: Proposal) -> ProposalPublic:
    changes = [from_row(ProposalChangePublic, c, kind=c.kind.value) for c in proposal.changes]
    return from_row(ProposalPublic, proposal, state=proposal.state.value, changes=changes)


def _present_disputes(
    book: EscrowBook, dispute_rows: dict[int, FixedEscrowDispute]
) -> list[EscrowDisputePublic]:
    escrow_by_seq = {m.seq: m.escrow_cents for m in book.milestones}
    return [
        EscrowDisputePublic(
            id=dispute_rows[d.seq].id if d.seq in dispute_rows else 0,
            contract_id=book.contract_id,
            seq=d.seq,
            milestone_seq=d.milestone_seq,
            opened_by=d.opened_by.value,  # type: ignore[arg-type]
            reason=d.reason,
            state=d.state.value,
            opened_at=d.opened_at,
            held_cents=escrow_by_seq.get(d.milestone_seq, 0) if d.state.value == "open" else 0,
            currency=book.currency,
            to_freelancer_cents=d.to_freelancer_cents,
            to_client_cents=d.to_client_cents,
            resolved_at=d.resolved_at,
            assigned_admin_id=(
                dispute_rows[d.seq].assigned_admin_id if d.seq in dispute_rows else None
            ),
        )
        for d in book.disputes
    ]


def present_transfers(transfers: tuple[EscrowTransfer, ...]) -> list[TransferPublic]:
    return [
        TransferPublic(
            key=t.key,
            source=t.source.value,
            destination=t.destination.value,
            amount_cents=t.amount_cents,
            currency=t.currency,
        )
        for t in transfers
    ]
