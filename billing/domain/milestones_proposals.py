"""Freelancer proposals: changes to the milestone plan, accepted or rejected as a whole.

A proposal may add milestones, edit an active or future one (title, description, due
date, a higher amount) and delete a future one. One may be pending per contract; it never
expires; while it is pending the client cannot change future milestones. Each change is
checked when proposed and again when accepted, since the plan may have moved on since.
"""

from __future__ import annotations

from datetime import datetime

from billing.domain.milestones_model import (
    FUNDED_STATES,
    Actor,
    ChangeKind,
    ContractKind,
    EscrowBook,
    EscrowTransfer,
    Milestone,
    MilestoneConflict,
    MilestoneInvalid,
    MilestoneOrigin,
    MilestoneState,
    Proposal,
    ProposalChange,
    ProposalState,
)
from billing.domain.milestones_rules import (
    Outcome,
    check_amount,
    check_text,
    check_title,
    decide,
    find_milestone,
    fund,
    has_pending_proposal,
    next_seq,
    open_dispute_on,
    pending_by_seq,
    require_actor,
    require_kind,
    require_open,
)

MAX_CHANGES = 50
EDITABLE_STATES = frozenset({MilestoneState.PLANNED, *FUNDED_STATES})


def _normalized(book: EscrowBook, change: ProposalChange) -> ProposalChange:
    """Check one change against the book as it is now; return it with cleaned text."""
    if change.kind is ChangeKind.ADD:
        if change.milestone_seq is not None:
            raise MilestoneInvalid("an added milestone cannot name an existing one")
        if change.title is None or change.amount_cents is None:
            raise MilestoneInvalid("an added milestone needs a title and an amount")
        return ProposalChange(
            kind=ChangeKind.ADD,
            title=check_title(change.title),
            description=check_text(change.description or "", "the description"),
            due_date=change.due_date,
            amount_cents=check_amount(change.amount_cents),
        )
    if change.milestone_seq is None:
        raise MilestoneInvalid(f"an {change.kind.value} change must name a milestone")
    milestone = find_milestone(book, change.milestone_seq)
    if milestone.origin is not MilestoneOrigin.PLAN:
        raise MilestoneConflict(f"milestone {milestone.seq} is a milestone request payment")
    if change.kind is ChangeKind.DELETE:
        if milestone.state is not MilestoneState.PLANNED:
            raise MilestoneConflict(
                f"milestone {milestone.seq} is {milestone.state.value}; only a future "
                "milestone that was never active can be deleted"
            )
        return ProposalChange(kind=ChangeKind.DELETE, milestone_seq=milestone.seq)
    if milestone.state not in EDITABLE_STATES:
        raise MilestoneConflict(
            f"milestone {milestone.seq} is {milestone.state.value}; only an active or future "
            "milestone can be edited"
        )
    if open_dispute_on(book, milestone.seq) is not None:
        raise MilestoneConflict(f"milestone {milestone.seq} is in an escrow dispute")
    fields = (change.title, change.description, change.due_date, change.amount_cents)
    if change.clear_due_date and change.due_date is not None:
        raise MilestoneInvalid("give a due date or clear it, not both")
    if all(value is None for value in fields) and not change.clear_due_date:
        raise MilestoneInvalid(f"the edit of milestone {milestone.seq} changes nothing")
    if change.amount_cents is not None and change.amount_cents <= milestone.amount_cents:
        raise MilestoneInvalid(
            f"a proposal can only raise an amount; milestone {milestone.seq} is already "
            f"{milestone.amount_cents} minor units"
        )
    return ProposalChange(
        kind=ChangeKind.EDIT,
        milestone_seq=milestone.seq,
        title=check_title(change.title) if change.title is not None else None,
        description=(
            check_text(change.description, "the description")
            if change.description is not None
            else None
        ),
        due_date=change.due_date,
        amount_cents=check_amount(change.amount_cents) if change.amount_cents is not None else None,
        clear_due_date=change.clear_due_date,
    )


def _checked_changes(
    book: EscrowBook, changes: tuple[ProposalChange, ...]
) -> tuple[ProposalChange, ...]:
    if not changes:
        raise MilestoneInvalid("a proposal needs at least one change")
    if len(changes) > MAX_CHANGES:
        raise MilestoneInvalid(f"a proposal has at most {MAX_CHANGES} changes")
    targets = [c.milestone_seq for c in changes if c.milestone_seq is not None]
    if len(targets) != len(set(targets)):
        raise MilestoneInvalid("a proposal changes each milestone at most once")
    return tuple(_normalized(book, change) for change in changes)


def _pending_proposal(book: EscrowBook, seq: int) -> Proposal:
    return pending_by_seq(book.proposals, seq, "proposal", ProposalState.PENDING)


def propose(
    book: EscrowBook,
    actor: Actor,
    *,
    message: str,
    changes: tuple[ProposalChange, ...],
    now: datetime,
) -> Outcome:
    """The freelancer proposes changes to the plan."""
    require_actor(actor, Actor.FREELANCER, doing="propose milestone changes")
    require_kind(book, ContractKind.FIXED, "proposing milestone changes")
    require_open(book)
    if has_pending_proposal(book):
        raise MilestoneConflict(
            "a proposal is already pending on this contract; withdraw it or wait for the "
            "client's answer"
        )
    proposal = Proposal(
        seq=next_seq([p.seq for p in book.proposals]),
        message=check_text(message, "the message"),
        changes=_checked_changes(book, changes),
        created_at=now,
    )
    book.proposals.append(proposal)
    return Outcome(created_seq=proposal.seq)


def _apply_edit(
    book: EscrowBook, milestone: Milestone, change: ProposalChange, proposal_seq: int
) -> list[EscrowTransfer]:
    if change.title is not None:
        milestone.title = change.title
    if change.description is not None:
        milestone.description = change.description
    if change.due_date is not None or change.clear_due_date:
        milestone.due_date = change.due_date
    if change.amount_cents is None:
        return []
    raise_by = change.amount_cents - milestone.amount_cents
    milestone.amount_cents = change.amount_cents
    if milestone.state not in FUNDED_STATES:
        return []
    # An accepted raise on the funded milestone goes into escrow at once.
    return [fund(book, milestone, raise_by, f"m{milestone.seq}:raise:p{proposal_seq}")]


def accept_proposal(book: EscrowBook, actor: Actor, seq: int, *, now: datetime) -> Outcome:
    """The client accepts every change of a pending proposal at once."""
    require_actor(actor, Actor.CLIENT, doing="accept a proposal")
    require_open(book)
    proposal = _pending_proposal(book, seq)
    changes = _checked_changes(book, proposal.changes)
    transfers: list[EscrowTransfer] = []
    next_milestone = next_seq([m.seq for m in book.milestones])
    for change in changes:
        if change.kind is ChangeKind.ADD:
            assert change.title is not None and change.amount_cents is not None
            book.milestones.append(
                Milestone(
                    seq=next_milestone,
                    title=change.title,
                    description=change.description or "",
                    due_date=change.due_date,
                    amount_cents=change.amount_cents,
                    created_at=now,
                )
            )
            next_milestone += 1
            continue
        assert change.milestone_seq is not None
        milestone = find_milestone(book, change.milestone_seq)
        if change.kind is ChangeKind.DELETE:
            milestone.state = MilestoneState.DELETED
        else:
            transfers.extend(_apply_edit(book, milestone, change, proposal.seq))
    proposal.state = ProposalState.ACCEPTED
    proposal.decided_at = now
    return Outcome(transfers=tuple(transfers))


def reject_proposal(book: EscrowBook, actor: Actor, seq: int, *, now: datetime) -> Outcome:
    """The client turns the whole proposal down."""
    require_actor(actor, Actor.CLIENT, doing="reject a proposal")
    return decide(_pending_proposal(book, seq), ProposalState.REJECTED, now)


def withdraw_proposal(book: EscrowBook, actor: Actor, seq: int, *, now: datetime) -> Outcome:
    """The freelancer takes back their pending proposal."""
    require_actor(actor, Actor.FREELANCER, doing="withdraw a proposal")
    return decide(_pending_proposal(book, seq), ProposalState.WITHDRAWN, now)
