"""The fixed-price rules of DOMAIN.md ("Fixed-price milestones"), as pure operations on an
:class:`EscrowBook`.

Every operation takes the book, the acting role and ``now``; it either raises a
:class:`MilestoneError` and leaves the book untouched, or mutates the book and returns an
:class:`Outcome` with the ledger transfers it caused. The db layer writes the new state and
those transfers in one transaction. Idempotency keys are derived from the contract and
the sequence numbers of what moved, so replaying a transfer changes nothing.

Proposals live in :mod:`billing.domain.milestones_proposals`, milestone requests and
escrow disputes in :mod:`billing.domain.milestones_payments`; all are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from billing.domain.milestones_model import (
    CLOSED_STATES,
    DEFAULT_POLICY,
    FUNDED_STATES,
    Account,
    Actor,
    ContractKind,
    EscrowBook,
    EscrowTransfer,
    FixedPricePolicy,
    Milestone,
    MilestoneConflict,
    MilestoneError,
    MilestoneInvalid,
    MilestoneOrigin,
    MilestoneState,
    ProposalState,
    RequestState,
)
from billing.domain.milestones_payments import (
    accept_request,
    check_escrow_message,
    decline_request,
    open_escrow_dispute,
    request_milestone,
    resolve_escrow_dispute,
    withdraw_request,
)
from billing.domain.milestones_proposals import (
    accept_proposal,
    propose,
    reject_proposal,
    withdraw_proposal,
)
from billing.domain.milestones_rules import (
    Outcome,
    check_amount,
    check_text,
    check_title,
    find_milestone,
    fund,
    has_pending_proposal,
    key_prefix,
    next_seq,
    open_dispute_on,
    pay_freelancer,
    plan,
    refund_to_client,
    require_actor,
    require_kind,
    require_no_dispute,
    require_open,
    transfer,
)

__all__ = [
    "MilestoneError",
    "Outcome",
    "accept_proposal",
    "accept_request",
    "activate",
    "add_milestone",
    "approve",
    "auto_approve_due",
    "check_escrow_message",
    "decline_request",
    "delete_milestone",
    "edit_milestone",
    "end_contract",
    "make_earnings_available",
    "next_to_activate",
    "open_escrow_dispute",
    "pending_actions",
    "propose",
    "reject_proposal",
    "request_changes",
    "request_milestone",
    "resolve_escrow_dispute",
    "run_due",
    "settle_external_end",
    "submit",
    "waiting_on",
    "withdraw_proposal",
    "withdraw_request",
]


def _require_plan_editable(book: EscrowBook) -> None:
    require_kind(book, ContractKind.FIXED, "planning milestones")
    require_open(book)
    if has_pending_proposal(book):
        raise MilestoneConflict(
            "the freelancer has a pending proposal; accept or reject it before changing "
            "future milestones"
        )


def add_milestone(
    book: EscrowBook,
    actor: Actor,
    *,
    title: str,
    description: str,
    due_date: date | None,
    amount_cents: int,
    now: datetime,
) -> Outcome:
    """The client adds an unfunded milestone at the end of the plan."""
    require_actor(actor, Actor.CLIENT, doing="add milestones (the freelancer proposes them)")
    _require_plan_editable(book)
    milestone = Milestone(
        seq=next_seq([m.seq for m in book.milestones]),
        title=check_title(title),
        description=check_text(description, "the description"),
        due_date=due_date,
        amount_cents=check_amount(amount_cents),
        created_at=now,
    )
    book.milestones.append(milestone)
    return Outcome(created_seq=milestone.seq)


def _is_future(milestone: Milestone) -> bool:
    return milestone.origin is MilestoneOrigin.PLAN and milestone.state is MilestoneState.PLANNED


def _require_planned(milestone: Milestone, doing: str) -> None:
    if not _is_future(milestone):
        raise MilestoneConflict(
            f"cannot {doing} milestone {milestone.seq}: it is {milestone.state.value}; "
            "only future (planned) milestones can be changed this way"
        )


def edit_milestone(
    book: EscrowBook,
    actor: Actor,
    seq: int,
    *,
    title: str | None = None,
    description: str | None = None,
    due_date: date | None = None,
    amount_cents: int | None = None,
    clear_due_date: bool = False,
    now: datetime,
) -> Outcome:
    """The client changes a future milestone (fields left ``None`` stay as they are;
    ``clear_due_date`` leaves it with no due date)."""
    require_actor(actor, Actor.CLIENT, doing="edit milestones directly (the freelancer proposes)")
    _require_plan_editable(book)
    milestone = find_milestone(book, seq)
    _require_planned(milestone, "edit")
    new_title = check_title(title) if title is not None else milestone.title
    new_description = (
        check_text(description, "the description")
        if description is not None
        else milestone.description
    )
    new_amount = check_amount(amount_cents) if amount_cents is not None else milestone.amount_cents
    milestone.title = new_title
    milestone.description = new_description
    milestone.amount_cents = new_amount
    if clear_due_date and due_date is not None:
        raise MilestoneInvalid("give a due date or clear it, not both")
    if due_date is not None or clear_due_date:
        milestone.due_date = due_date
    return Outcome()


def delete_milestone(book: EscrowBook, actor: Actor, seq: int, *, now: datetime) -> Outcome:
    """The client deletes a future milestone that was never funded."""
    require_actor(actor, Actor.CLIENT, doing="delete milestones directly (the freelancer proposes)")
    _require_plan_editable(book)
    milestone = find_milestone(book, seq)
    _require_planned(milestone, "delete")
    milestone.state = MilestoneState.DELETED
    return Outcome()


def activate(book: EscrowBook, actor: Actor, seq: int, *, now: datetime) -> Outcome:
    """The client funds the next milestone: strictly in creation order, one at a time.

    A remainder carried from an earlier milestone funds it first; the client adds the rest.
    """
    require_actor(actor, Actor.CLIENT, doing="activate (fund) a milestone")
    require_kind(book, ContractKind.FIXED, "activating milestones")
    require_open(book)
    milestone = find_milestone(book, seq)
    if not _is_future(milestone):
        raise MilestoneConflict(f"milestone {seq} is {milestone.state.value}, not planned")
    for earlier in plan(book):
        if earlier.seq >= seq:
            break
        if earlier.state not in (MilestoneState.RELEASED, MilestoneState.DELETED):
            raise MilestoneConflict(
                f"milestone {earlier.seq} comes first and is {earlier.state.value}; "
                "milestones activate in order, each after every earlier one is released"
            )
    if any(m.state in FUNDED_STATES for m in plan(book)):
        raise MilestoneConflict("another milestone is already active")
    from_carry = min(book.carry_cents, milestone.amount_cents)
    book.carry_cents -= from_carry
    milestone.escrow_cents += from_carry
    milestone.funded_cents += from_carry
    milestone.carried_in_cents = from_carry
    milestone.state = MilestoneState.ACTIVE
    milestone.activated_at = now
    needed = milestone.amount_cents - from_carry
    transfers = [fund(book, milestone, needed, f"m{seq}:fund")] if needed else []
    return Outcome(transfers=tuple(transfers))


def submit(book: EscrowBook, actor: Actor, seq: int, *, message: str, now: datetime) -> Outcome:
    """The freelancer hands in the work of a funded milestone."""
    require_actor(actor, Actor.FREELANCER, doing="submit work")
    require_open(book)
    milestone = _undisputed_in(
        book, seq, MilestoneState.ACTIVE, "only an active milestone can be submitted"
    )
    milestone.submission_message = check_text(message, "the submission message", required=True)
    milestone.state = MilestoneState.SUBMITTED
    milestone.submitted_at = now
    return Outcome()


def request_changes(
    book: EscrowBook, actor: Actor, seq: int, *, message: str, now: datetime
) -> Outcome:
    """The client sends submitted work back; the milestone is active again."""
    require_actor(actor, Actor.CLIENT, doing="request changes")
    milestone = _undisputed_in(
        book, seq, MilestoneState.SUBMITTED, "changes can be requested only on submitted work"
    )
    milestone.changes_requested_message = check_text(message, "the change request", required=True)
    milestone.state = MilestoneState.ACTIVE
    milestone.submitted_at = None
    return Outcome()


def _undisputed_in(book: EscrowBook, seq: int, state: MilestoneState, refusal: str) -> Milestone:
    """Milestone ``seq`` if it is in ``state`` and not in dispute; else ``refusal``."""
    milestone = find_milestone(book, seq)
    if milestone.state is not state:
        raise MilestoneConflict(f"milestone {seq} is {milestone.state.value}; {refusal}")
    require_no_dispute(book, milestone)
    return milestone


def _check_approval(
    book: EscrowBook, milestone: Milestone, release_cents: int | None, bonus_cents: int
) -> int:
    """Whether ``milestone`` can be approved as asked; returns the amount to release."""
    allowed = (
        FUNDED_STATES
        if milestone.origin is MilestoneOrigin.REQUEST
        else frozenset({MilestoneState.SUBMITTED})
    )
    if milestone.state not in allowed:
        raise MilestoneConflict(
            f"milestone {milestone.seq} is {milestone.state.value}; only submitted work can be "
            "approved"
        )
    require_no_dispute(book, milestone)
    release = milestone.escrow_cents if release_cents is None else release_cents
    if not 1 <= release <= milestone.escrow_cents:
        raise MilestoneInvalid(
            "the release must be at least 1 minor unit and at most the "
            f"{milestone.escrow_cents} held in escrow for this milestone"
        )
    if bonus_cents < 0:
        raise MilestoneInvalid("a bonus cannot be negative")
    if bonus_cents:
        check_amount(bonus_cents, "the bonus")
    return release


def approve(
    book: EscrowBook,
    actor: Actor,
    seq: int,
    *,
    now: datetime,
    release_cents: int | None = None,
    bonus_cents: int = 0,
    end_contract: bool = False,
    policy: FixedPricePolicy = DEFAULT_POLICY,
) -> Outcome:
    """The client approves & pays: releases ``release_cents`` (default: all of the escrow)
    and pays ``bonus_cents`` on top, from their own funds.

    Releasing less leaves the remainder in escrow for the next milestone; with
    ``end_contract`` the contract ends and the remainder (with anything else held) is
    refunded. A milestone request's remainder goes back to the client at once: an hourly
    contract has no next milestone for it to fund.
    """
    require_actor(actor, Actor.CLIENT, doing="approve and pay")
    require_open(book)
    milestone = find_milestone(book, seq)
    release = _check_approval(book, milestone, release_cents, bonus_cents)
    if end_contract:
        _check_can_end(book, ignoring=milestone)
    transfers = _release(book, milestone, release, now, policy)
    if bonus_cents:
        milestone.bonus_cents = bonus_cents
        book.bonus_cents += bonus_cents
        transfers.append(
            pay_freelancer(
                book,
                Account.CLIENT_FUNDING,
                bonus_cents,
                f"m{seq}:bonus",
                f"bonus on milestone {seq}",
                now,
                policy,
            )
        )
    if end_contract:
        transfers.extend(_end(book, now))
    return Outcome(transfers=tuple(transfers))


def _release(
    book: EscrowBook,
    milestone: Milestone,
    release: int,
    released_at: datetime,
    policy: FixedPricePolicy,
) -> list[EscrowTransfer]:
    remainder = milestone.escrow_cents - release
    milestone.escrow_cents = 0
    milestone.released_cents += release
    milestone.state = MilestoneState.RELEASED
    milestone.released_at = released_at
    book.released_cents += release
    transfers = [
        pay_freelancer(
            book,
            Account.ESCROW,
            release,
            f"m{milestone.seq}:release",
            f"release milestone {milestone.seq}",
            released_at,
            policy,
        )
    ]
    if remainder and milestone.origin is MilestoneOrigin.PLAN:
        milestone.carried_out_cents = remainder
        book.carry_cents += remainder
    elif remainder:
        milestone.refunded_cents += remainder
        transfers.append(
            refund_to_client(
                book,
                remainder,
                f"m{milestone.seq}:refund-remainder",
                f"remainder of milestone {milestone.seq}",
            )
        )
    return transfers


def _check_can_end(book: EscrowBook, ignoring: Milestone | None = None) -> None:
    require_open(book)
    for milestone in book.milestones:
        if milestone is ignoring:
            continue
        if open_dispute_on(book, milestone.seq) is not None:
            raise MilestoneConflict(
                f"milestone {milestone.seq} is in an escrow dispute; it must be settled "
                "before the contract ends"
            )
        if milestone.state is MilestoneState.SUBMITTED:
            raise MilestoneConflict(
                f"milestone {milestone.seq} has submitted work; approve it or request "
                "changes before ending the contract"
            )


def _end(book: EscrowBook, now: datetime) -> list[EscrowTransfer]:
    held = book.carry_cents
    book.carry_cents = 0
    for milestone in book.milestones:
        # A disputed milestone keeps its escrow for the admin's split.
        if milestone.state in CLOSED_STATES or open_dispute_on(book, milestone.seq):
            continue
        held += milestone.escrow_cents
        milestone.refunded_cents += milestone.escrow_cents
        milestone.escrow_cents = 0
        milestone.state = MilestoneState.CANCELLED
    for proposal in book.proposals:
        if proposal.state is ProposalState.PENDING:
            proposal.state = ProposalState.CLOSED
            proposal.decided_at = now
    for request in book.requests:
        if request.state is RequestState.PENDING:
            request.state = RequestState.CLOSED
            request.decided_at = now
    book.ended_at = now
    if not held:
        return []
    return [refund_to_client(book, held, "end:refund", "escrow refunded: contract ended")]


def end_contract(book: EscrowBook, actor: Actor, *, now: datetime) -> Outcome:
    """Either side ends the contract: whatever escrow is left goes back to the client and
    nothing activates any more."""
    require_actor(actor, Actor.CLIENT, Actor.FREELANCER, doing="end the contract")
    _check_can_end(book)
    return Outcome(transfers=tuple(_end(book, now)))


def settle_external_end(book: EscrowBook, *, ended_at: datetime) -> Outcome:
    """The contract was ended elsewhere (the contract's own "end" action): refund what
    escrow is left, except a disputed milestone's, which waits for the admin's split."""
    if book.ended_at is not None:
        return Outcome()
    return Outcome(transfers=tuple(_end(book, ended_at)))


def auto_approve_due(
    book: EscrowBook, *, now: datetime, policy: FixedPricePolicy = DEFAULT_POLICY
) -> Outcome:
    """Approve every milestone submitted ``auto_approve_after`` ago with no client action,
    releasing its full escrow. The release is dated at its deadline, so a late job run
    gives the same result as a punctual one."""
    transfers: list[EscrowTransfer] = []
    if book.ended_at is not None:
        return Outcome()
    for milestone in book.milestones:
        if milestone.state is not MilestoneState.SUBMITTED or milestone.submitted_at is None:
            continue
        deadline = milestone.submitted_at + policy.auto_approve_after
        if deadline > now or open_dispute_on(book, milestone.seq) is not None:
            continue
        milestone.auto_approved = True
        transfers.extend(_release(book, milestone, milestone.escrow_cents, deadline, policy))
    return Outcome(transfers=tuple(transfers))


def make_earnings_available(book: EscrowBook, *, now: datetime) -> Outcome:
    """Move released money whose security period is over from pending to available."""
    transfers: list[EscrowTransfer] = []
    prefix = key_prefix(book)
    for earning in book.earnings:
        if earning.made_available or earning.available_at > now:
            continue
        earning.made_available = True
        transfers.append(
            transfer(
                book,
                earning.key.removeprefix(prefix) + ":available",
                Account.FREELANCER_PENDING,
                Account.FREELANCER_AVAILABLE,
                earning.amount_cents,
                "security period over",
            )
        )
    return Outcome(transfers=tuple(transfers))


def run_due(
    book: EscrowBook, *, now: datetime, policy: FixedPricePolicy = DEFAULT_POLICY
) -> Outcome:
    """The scheduled transitions of one book: auto-approvals, then availability."""
    approved = auto_approve_due(book, now=now, policy=policy)
    available = make_earnings_available(book, now=now)
    return Outcome(transfers=approved.transfers + available.transfers)


def next_to_activate(book: EscrowBook) -> int | None:
    """The milestone the client may activate now, if any."""
    if book.ended_at is not None:
        return None
    for milestone in plan(book):
        if milestone.state in (MilestoneState.RELEASED, MilestoneState.DELETED):
            continue
        return milestone.seq if milestone.state is MilestoneState.PLANNED else None
    return None


class Waiting(StrEnum):
    """What a party has to do next on a contract's fixed-price side."""

    REVIEW = "review"  # client: submitted work to approve or send back
    FUND = "fund"  # client: the next milestone to activate
    PROPOSAL = "proposal"  # client: a pending proposal to answer
    REQUEST = "request"  # client: a milestone request to answer
    DELIVER = "deliver"  # freelancer: an active milestone's work
    CHANGES = "changes"  # freelancer: an active milestone sent back with changes


_PHRASES = {
    Waiting.REVIEW: "Milestone {seq} to review",
    Waiting.FUND: "Milestone {seq} to fund",
    Waiting.PROPOSAL: "Proposal {seq} to answer",
    Waiting.REQUEST: "Milestone request {seq} to answer",
    Waiting.DELIVER: "Milestone {seq} to deliver",
    Waiting.CHANGES: "Changes requested on milestone {seq}",
}


@dataclass(frozen=True)
class PendingAction:
    """One thing waiting on a party: what, and the ``seq`` of the thing it is about."""

    waiting: Waiting
    seq: int

    @property
    def phrase(self) -> str:
        return _PHRASES[self.waiting].format(seq=self.seq)


def _waiting_on_milestones(book: EscrowBook, actor: Actor) -> list[PendingAction]:
    found: list[PendingAction] = []
    for milestone in sorted(book.milestones, key=lambda m: m.seq):
        if open_dispute_on(book, milestone.seq) is not None:
            continue  # frozen until the admin's split
        if actor is Actor.CLIENT and milestone.state is MilestoneState.SUBMITTED:
            found.append(PendingAction(Waiting.REVIEW, milestone.seq))
        if actor is Actor.FREELANCER and milestone.state is MilestoneState.ACTIVE:
            sent_back = milestone.changes_requested_message
            found.append(
                PendingAction(Waiting.CHANGES if sent_back else Waiting.DELIVER, milestone.seq)
            )
    return found


def waiting_on(book: EscrowBook, actor: Actor) -> list[PendingAction]:
    """What waits on ``actor``, in the order a person would deal with it."""
    found = _waiting_on_milestones(book, actor)
    if actor is not Actor.CLIENT:
        return found
    upcoming = next_to_activate(book)
    if upcoming is not None:
        found.append(PendingAction(Waiting.FUND, upcoming))
    found += [
        PendingAction(Waiting.PROPOSAL, p.seq)
        for p in book.proposals
        if p.state is ProposalState.PENDING
    ]
    found += [
        PendingAction(Waiting.REQUEST, r.seq)
        for r in book.requests
        if r.state is RequestState.PENDING
    ]
    return found


def pending_actions(book: EscrowBook, actor: Actor) -> list[str]:
    """Short phrases for what waits on ``actor`` (e.g. "Milestone 2 to review")."""
    return [action.phrase for action in waiting_on(book, actor)]
