"""Milestone requests on hourly contracts, and escrow disputes on funded milestones.

A request is only a question: nothing moves until the client accepts it, and then it
becomes a funded milestone payment that the client releases like any milestone. An
escrow dispute freezes one funded milestone until an admin splits its escrow between
the freelancer and the client.
"""

from __future__ import annotations

from datetime import datetime

from billing.domain.milestones_model import (
    DEFAULT_POLICY,
    Account,
    Actor,
    ContractKind,
    DisputeState,
    EscrowBook,
    EscrowDispute,
    EscrowTransfer,
    FixedPricePolicy,
    Milestone,
    MilestoneConflict,
    MilestoneInvalid,
    MilestoneOrigin,
    MilestoneRequest,
    MilestoneState,
    RequestState,
)
from billing.domain.milestones_rules import (
    TITLE_MAX,
    Outcome,
    by_seq,
    check_amount,
    check_text,
    decide,
    find_milestone,
    fund,
    next_seq,
    open_dispute_on,
    pay_freelancer,
    pending_by_seq,
    refund_to_client,
    require_actor,
    require_funded,
    require_kind,
    require_open,
)


def request_milestone(
    book: EscrowBook,
    actor: Actor,
    *,
    amount_cents: int,
    description: str,
    now: datetime,
    currency: str | None = None,
) -> Outcome:
    """The freelancer asks for a milestone payment, in the contract's currency (a
    ``currency`` named with the request must be that one)."""
    require_actor(actor, Actor.FREELANCER, doing="request a milestone payment")
    require_kind(book, ContractKind.HOURLY, "requesting a milestone payment")
    require_open(book)
    if currency is not None and currency != book.currency:
        raise MilestoneInvalid(
            f"this contract is in {book.currency}; a milestone request is in the contract's "
            f"currency, not {currency}"
        )
    request = MilestoneRequest(
        seq=next_seq([r.seq for r in book.requests]),
        amount_cents=check_amount(amount_cents),
        description=check_text(description, "the description", required=True),
        created_at=now,
    )
    book.requests.append(request)
    return Outcome(created_seq=request.seq)


def _pending_request(book: EscrowBook, seq: int) -> MilestoneRequest:
    return pending_by_seq(book.requests, seq, "milestone request", RequestState.PENDING)


def accept_request(book: EscrowBook, actor: Actor, seq: int, *, now: datetime) -> Outcome:
    """The client accepts: the request becomes a milestone payment funded into escrow."""
    require_actor(actor, Actor.CLIENT, doing="accept a milestone request")
    require_open(book)
    request = _pending_request(book, seq)
    first_line = request.description.splitlines()[0] if request.description else ""
    milestone = Milestone(
        seq=next_seq([m.seq for m in book.milestones]),
        title=first_line[:TITLE_MAX] or f"Milestone request {seq}",
        description=request.description,
        due_date=None,
        amount_cents=request.amount_cents,
        created_at=now,
        origin=MilestoneOrigin.REQUEST,
        state=MilestoneState.ACTIVE,
        activated_at=now,
    )
    book.milestones.append(milestone)
    transfer = fund(book, milestone, request.amount_cents, f"m{milestone.seq}:fund")
    request.state = RequestState.ACCEPTED
    request.decided_at = now
    request.milestone_seq = milestone.seq
    return Outcome(transfers=(transfer,), created_seq=milestone.seq)


def decline_request(book: EscrowBook, actor: Actor, seq: int, *, now: datetime) -> Outcome:
    """The client declines; nothing was ever paid."""
    require_actor(actor, Actor.CLIENT, doing="decline a milestone request")
    return decide(_pending_request(book, seq), RequestState.DECLINED, now)


def withdraw_request(book: EscrowBook, actor: Actor, seq: int, *, now: datetime) -> Outcome:
    """The freelancer takes back a request still pending; nothing was ever paid."""
    require_actor(actor, Actor.FREELANCER, doing="withdraw a milestone request")
    return decide(_pending_request(book, seq), RequestState.WITHDRAWN, now)


def open_escrow_dispute(
    book: EscrowBook, actor: Actor, milestone_seq: int, *, reason: str, now: datetime
) -> Outcome:
    """Either side disputes the escrow of a funded milestone; it freezes until settled."""
    require_actor(actor, Actor.CLIENT, Actor.FREELANCER, doing="open an escrow dispute")
    milestone = find_milestone(book, milestone_seq)
    require_funded(milestone, "dispute")
    if open_dispute_on(book, milestone_seq) is not None:
        raise MilestoneConflict(f"milestone {milestone_seq} is already in dispute")
    dispute = EscrowDispute(
        seq=next_seq([d.seq for d in book.disputes]),
        milestone_seq=milestone_seq,
        opened_by=actor,
        reason=check_text(reason, "the reason", required=True),
        opened_at=now,
    )
    book.disputes.append(dispute)
    return Outcome(created_seq=dispute.seq)


def find_dispute(book: EscrowBook, seq: int) -> EscrowDispute:
    return by_seq(book.disputes, seq, "escrow dispute")


def check_escrow_message(book: EscrowBook, seq: int, body: str) -> str:
    """A message for an escrow dispute's record: not empty, and only while it is open
    (who may write — either party or the assigned admin — is decided by access)."""
    dispute = find_dispute(book, seq)
    if dispute.state is not DisputeState.OPEN:
        raise MilestoneConflict(f"escrow dispute {seq} is resolved; its record is closed")
    return check_text(body, "the message", required=True)


def resolve_escrow_dispute(
    book: EscrowBook,
    actor: Actor,
    seq: int,
    *,
    to_freelancer_cents: int,
    to_client_cents: int,
    now: datetime,
    policy: FixedPricePolicy = DEFAULT_POLICY,
) -> Outcome:
    """An admin splits the disputed escrow; the two parts must add up to what is held."""
    require_actor(actor, Actor.ADMIN, doing="settle an escrow dispute")
    dispute = find_dispute(book, seq)
    if dispute.state is not DisputeState.OPEN:
        raise MilestoneConflict(f"escrow dispute {seq} is already resolved")
    milestone = find_milestone(book, dispute.milestone_seq)
    held = milestone.escrow_cents
    if to_freelancer_cents < 0 or to_client_cents < 0:
        raise MilestoneInvalid("neither part of the split can be negative")
    if to_freelancer_cents + to_client_cents != held:
        raise MilestoneInvalid(
            f"the split must add up to the escrow held: {held} minor units, not "
            f"{to_freelancer_cents + to_client_cents}"
        )
    transfers: list[EscrowTransfer] = []
    if to_freelancer_cents:
        book.released_cents += to_freelancer_cents
        transfers.append(
            pay_freelancer(
                book,
                Account.ESCROW,
                to_freelancer_cents,
                f"d{seq}:to-freelancer",
                f"escrow dispute {seq}: to the freelancer",
                now,
                policy,
            )
        )
    if to_client_cents:
        transfers.append(
            refund_to_client(
                book,
                to_client_cents,
                f"d{seq}:to-client",
                f"escrow dispute {seq}: back to the client",
            )
        )
    milestone.escrow_cents = 0
    milestone.released_cents += to_freelancer_cents
    milestone.refunded_cents += to_client_cents
    milestone.state = MilestoneState.RELEASED
    milestone.released_at = now
    dispute.state = DisputeState.RESOLVED
    dispute.to_freelancer_cents = to_freelancer_cents
    dispute.to_client_cents = to_client_cents
    dispute.resolved_at = now
    return Outcome(transfers=tuple(transfers))
