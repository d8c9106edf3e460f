"""The plain data of a contract's fixed-price side: milestones, escrow, proposals,
milestone requests and escrow disputes — and the errors its rules raise.

Everything here is a small mutable dataclass without behaviour; the rules that change
them live in :mod:`billing.domain.milestones`. One :class:`EscrowBook` holds all of it
for one contract, so one row lock on the book serializes every change to the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum


class MilestoneError(Exception):
    """A fixed-price rule refused an operation; ``message`` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MilestoneConflict(MilestoneError):
    """The operation is not allowed in the current state (HTTP 409)."""


class MilestoneInvalid(MilestoneError):
    """The operation's values are unacceptable whatever the state (HTTP 422)."""


class MilestoneForbidden(MilestoneError):
    """The caller's role may not do this (HTTP 403)."""


class MilestoneNotFound(MilestoneError):
    """No such milestone, proposal, request or dispute on this contract (HTTP 404)."""


class Actor(StrEnum):
    CLIENT = "client"
    FREELANCER = "freelancer"
    ADMIN = "admin"


class ContractKind(StrEnum):
    HOURLY = "hourly"
    FIXED = "fixed"


class MilestoneState(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"  # funded, work in progress
    SUBMITTED = "submitted"  # funded, work handed in, waiting for the client
    RELEASED = "released"  # escrow paid out (or split by an admin)
    DELETED = "deleted"  # removed before it was ever funded
    CANCELLED = "cancelled"  # the contract ended first; any escrow went back to the client


FUNDED_STATES = frozenset({MilestoneState.ACTIVE, MilestoneState.SUBMITTED})
CLOSED_STATES = frozenset(
    {MilestoneState.RELEASED, MilestoneState.DELETED, MilestoneState.CANCELLED}
)


class MilestoneOrigin(StrEnum):
    PLAN = "plan"  # part of a fixed-price contract's ordered plan
    REQUEST = "request"  # an accepted milestone request on an hourly contract


class ProposalState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # the contract ended while it was pending


class ChangeKind(StrEnum):
    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"


class RequestState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the freelancer took it back while it was pending
    CLOSED = "closed"  # the contract ended while it was pending


class DisputeState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Account(StrEnum):
    """The ledger accounts fixed-price money moves between, named by role.

    The db layer maps each to the ledger account of the contract's client, the contract,
    or its freelancer.
    """

    CLIENT_FUNDING = "client_funding"
    ESCROW = "escrow"
    FREELANCER_PENDING = "freelancer_pending"
    FREELANCER_AVAILABLE = "freelancer_available"
    PLATFORM_FEE = "platform_fee"


@dataclass(frozen=True)
class EscrowTransfer:
    """One double-entry movement caused by a rule, with a deterministic idempotency key."""

    key: str
    source: Account
    destination: Account
    amount_cents: int
    currency: str
    memo: str


@dataclass(frozen=True)
class FixedPricePolicy:
    """The settings of the fixed-price rules (DOMAIN.md defaults)."""

    auto_approve_after: timedelta = timedelta(days=14)
    security_period: timedelta = timedelta(days=5)


DEFAULT_POLICY = FixedPricePolicy()


@dataclass
class Milestone:
    """One milestone; ``seq`` is its creation order within the contract (1, 2, …)."""

    seq: int
    title: str
    description: str
    due_date: date | None
    amount_cents: int
    created_at: datetime
    origin: MilestoneOrigin = MilestoneOrigin.PLAN
    state: MilestoneState = MilestoneState.PLANNED
    escrow_cents: int = 0  # held in escrow for it right now
    funded_cents: int = 0  # ever put into escrow for it (client money + carry applied)
    carried_in_cents: int = 0  # of funded_cents, what came from an earlier remainder
    released_cents: int = 0  # paid from its escrow to the freelancer
    refunded_cents: int = 0  # sent from its escrow back to the client
    carried_out_cents: int = 0  # left in escrow for the next milestone
    bonus_cents: int = 0  # paid beyond escrow on approval
    activated_at: datetime | None = None
    submitted_at: datetime | None = None
    submission_message: str | None = None
    changes_requested_message: str | None = None
    released_at: datetime | None = None
    auto_approved: bool = False


@dataclass(frozen=True)
class ProposalChange:
    """One line of a proposal. For ``edit``, a field left ``None`` stays as it is."""

    kind: ChangeKind
    milestone_seq: int | None = None  # the milestone edited or deleted
    title: str | None = None
    description: str | None = None
    due_date: date | None = None
    amount_cents: int | None = None
    clear_due_date: bool = False  # edit: the milestone is to have no due date


@dataclass
class Proposal:
    """A freelancer's set of changes to the plan, accepted or rejected as a whole."""

    seq: int
    message: str
    changes: tuple[ProposalChange, ...]
    created_at: datetime
    state: ProposalState = ProposalState.PENDING
    decided_at: datetime | None = None


@dataclass
class MilestoneRequest:
    """A freelancer's request for a milestone payment on an hourly contract."""

    seq: int
    amount_cents: int
    description: str
    created_at: datetime
    state: RequestState = RequestState.PENDING
    decided_at: datetime | None = None
    milestone_seq: int | None = None  # the funded payment it became, once accepted


@dataclass
class EscrowDispute:
    """A dispute over the escrow of one funded milestone, settled by an admin's split."""

    seq: int
    milestone_seq: int
    opened_by: Actor
    reason: str
    opened_at: datetime
    state: DisputeState = DisputeState.OPEN
    to_freelancer_cents: int | None = None
    to_client_cents: int | None = None
    resolved_at: datetime | None = None


@dataclass
class Earning:
    """Released money in the freelancer's pending balance until ``available_at``."""

    key: str  # the idempotency key of the transfer that put it in pending
    amount_cents: int
    available_at: datetime
    made_available: bool = False


@dataclass
class EscrowBook:
    """Everything fixed-price about one contract, and the escrow it holds.

    ``carry_cents`` is escrow not assigned to any milestone: a remainder that funds the
    next activation. The contract's escrow balance is always
    ``funded − released − refunded`` = ``carry + Σ milestone.escrow_cents``.
    """

    contract_id: int
    kind: ContractKind
    currency: str
    ended_at: datetime | None = None
    carry_cents: int = 0
    funded_cents: int = 0  # ever moved from the client into escrow
    released_cents: int = 0  # ever moved from escrow to the freelancer
    refunded_cents: int = 0  # ever moved from escrow back to the client
    bonus_cents: int = 0  # ever paid from the client straight to the freelancer
    milestones: list[Milestone] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    requests: list[MilestoneRequest] = field(default_factory=list)
    disputes: list[EscrowDispute] = field(default_factory=list)
    earnings: list[Earning] = field(default_factory=list)

    @property
    def escrow_cents(self) -> int:
        return self.carry_cents + sum(m.escrow_cents for m in self.milestones)
