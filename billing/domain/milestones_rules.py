"""Checks and money movements shared by every fixed-price operation.

Each operation validates everything first and only then mutates the book, so a refused
operation leaves the book exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol, TypeVar

from billing.domain.milestones_model import (
    FUNDED_STATES,
    Account,
    Actor,
    ContractKind,
    DisputeState,
    Earning,
    EscrowBook,
    EscrowDispute,
    EscrowTransfer,
    FixedPricePolicy,
    Milestone,
    MilestoneConflict,
    MilestoneForbidden,
    MilestoneInvalid,
    MilestoneNotFound,
    MilestoneOrigin,
    ProposalState,
)

TITLE_MAX = 200
TEXT_MAX = 5000
# 100 million units of any currency: far above any real milestone, far below int64.
AMOUNT_MAX_CENTS = 10_000_000_000


@dataclass(frozen=True)
class Outcome:
    """What an operation did: the ledger transfers to write with the new state, and the
    sequence number of the thing it created, if any."""

    transfers: tuple[EscrowTransfer, ...] = ()
    created_seq: int | None = None


def require_actor(actor: Actor, *allowed: Actor, doing: str) -> None:
    if actor not in allowed:
        names = " or ".join(a.value for a in allowed)
        raise MilestoneForbidden(f"only the {names} can {doing}")


def require_open(book: EscrowBook) -> None:
    if book.ended_at is not None:
        raise MilestoneConflict("the contract has ended")


def require_kind(book: EscrowBook, kind: ContractKind, doing: str) -> None:
    if book.kind is not kind:
        article = "an" if kind is ContractKind.HOURLY else "a"
        raise MilestoneConflict(f"{doing} is only possible on {article} {kind.value} contract")


def check_title(title: str) -> str:
    cleaned = title.strip()
    if not cleaned:
        raise MilestoneInvalid("a milestone needs a title")
    if len(cleaned) > TITLE_MAX:
        raise MilestoneInvalid(f"a title is at most {TITLE_MAX} characters")
    return cleaned


def check_text(text: str, what: str, *, required: bool = False) -> str:
    cleaned = text.strip()
    if required and not cleaned:
        raise MilestoneInvalid(f"{what} must not be empty")
    if len(cleaned) > TEXT_MAX:
        raise MilestoneInvalid(f"{what} is at most {TEXT_MAX} characters")
    return cleaned


def check_amount(amount_cents: int, what: str = "the amount") -> int:
    if amount_cents < 1:
        raise MilestoneInvalid(f"{what} must be at least 1 minor unit")
    if amount_cents > AMOUNT_MAX_CENTS:
        raise MilestoneInvalid(f"{what} is too large")
    return amount_cents


class _Numbered(Protocol):
    seq: int


Numbered = TypeVar("Numbered", bound=_Numbered)


def by_seq(items: Iterable[Numbered], seq: int, what: str) -> Numbered:
    """The ``what`` (a milestone, a proposal …) that has number ``seq`` on this contract."""
    for item in items:
        if item.seq == seq:
            return item
    raise MilestoneNotFound(f"{what} {seq} does not exist on this contract")


class _Decided(Protocol):
    seq: int
    state: Any  # the record's own state enum (a proposal's, a request's)
    decided_at: datetime | None


Decided = TypeVar("Decided", bound=_Decided)


def pending_by_seq(items: Iterable[Decided], seq: int, what: str, pending: Enum) -> Decided:
    """:func:`by_seq`, refused unless it still waits for an answer (is ``pending``)."""
    item = by_seq(items, seq, what)
    if item.state is not pending:
        raise MilestoneConflict(f"{what} {seq} is {item.state.value}, not pending")
    return item


def decide(record: _Decided, state: Enum, now: datetime) -> Outcome:
    """A pending proposal or request ends in ``state`` without moving money."""
    record.state = state
    record.decided_at = now
    return Outcome()


def find_milestone(book: EscrowBook, seq: int) -> Milestone:
    return by_seq(book.milestones, seq, "milestone")


def plan(book: EscrowBook) -> list[Milestone]:
    """The fixed-price plan in creation order (milestone requests are not part of it)."""
    return sorted(
        (m for m in book.milestones if m.origin is MilestoneOrigin.PLAN), key=lambda m: m.seq
    )


def open_dispute_on(book: EscrowBook, milestone_seq: int) -> EscrowDispute | None:
    for dispute in book.disputes:
        if dispute.milestone_seq == milestone_seq and dispute.state is DisputeState.OPEN:
            return dispute
    return None


def require_no_dispute(book: EscrowBook, milestone: Milestone) -> None:
    if open_dispute_on(book, milestone.seq) is not None:
        raise MilestoneConflict(
            f"milestone {milestone.seq} is in an escrow dispute; an admin settles it first"
        )


def require_funded(milestone: Milestone, doing: str) -> None:
    if milestone.state not in FUNDED_STATES:
        raise MilestoneConflict(
            f"cannot {doing} milestone {milestone.seq}: it is {milestone.state.value}, not funded"
        )


def has_pending_proposal(book: EscrowBook) -> bool:
    return any(p.state is ProposalState.PENDING for p in book.proposals)


def next_seq(seqs: list[int]) -> int:
    return max(seqs, default=0) + 1


def key_prefix(book: EscrowBook) -> str:
    return f"fixed:{book.contract_id}:"


def transfer(
    book: EscrowBook, key: str, source: Account, destination: Account, amount: int, memo: str
) -> EscrowTransfer:
    return EscrowTransfer(
        key=key_prefix(book) + key,
        source=source,
        destination=destination,
        amount_cents=amount,
        currency=book.currency,
        memo=memo,
    )


def fund(book: EscrowBook, milestone: Milestone, amount: int, key: str) -> EscrowTransfer:
    """Client money into escrow for ``milestone`` (mutates the book)."""
    milestone.escrow_cents += amount
    milestone.funded_cents += amount
    book.funded_cents += amount
    return transfer(
        book,
        key,
        Account.CLIENT_FUNDING,
        Account.ESCROW,
        amount,
        f"fund milestone {milestone.seq}",
    )


def pay_freelancer(
    book: EscrowBook,
    source: Account,
    amount: int,
    key: str,
    memo: str,
    released_at: datetime,
    policy: FixedPricePolicy,
) -> EscrowTransfer:
    """Money into the freelancer's pending balance, available after the security period."""
    made = transfer(book, key, source, Account.FREELANCER_PENDING, amount, memo)
    available_at = released_at + policy.security_period
    book.earnings.append(Earning(key=made.key, amount_cents=amount, available_at=available_at))
    return made


def refund_to_client(book: EscrowBook, amount: int, key: str, memo: str) -> EscrowTransfer:
    book.refunded_cents += amount
    return transfer(book, key, Account.ESCROW, Account.CLIENT_FUNDING, amount, memo)
