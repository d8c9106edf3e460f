"""Fixed-price milestones in the database: one transaction per change, with its transfers.

``change(session, contract, actor, now, operation)`` is the one way a book changes: it
locks the contract's ``fixed_books`` row (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite the session's ``BEGIN IMMEDIATE`` already serializes writers), loads the book,
runs a pure operation of :mod:`billing.domain.milestones`, writes the new state back and
posts the ledger transfers it caused — all in the caller's transaction. Two approvals
racing for one milestone therefore run one after the other; the second finds it
released and is refused. Domain refusals become :class:`~billing.db.errors.ServiceError`
with the same message (409/422/404/403).

``run_due(session, now)`` is the jobs step: auto-approvals and availability of every
book with something due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from billing.db import ledger
from billing.db.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from billing.db.milestones_tables import (
    FixedBook,
    FixedEarning,
    FixedEscrowDispute,
    FixedMilestone,
    FixedMilestoneRequest,
    FixedProposal,
)
from billing.db.models import AuditRecord, Contract, User
from billing.db.session import is_postgres
from billing.db.upsert import insert_ignore
from billing.domain import milestones as rules
from billing.domain.milestones_ledger import ContractParties, to_ledger
from billing.domain.milestones_model import (
    Actor,
    ChangeKind,
    ContractKind,
    DisputeState,
    Earning,
    EscrowBook,
    EscrowDispute,
    Milestone,
    MilestoneConflict,
    MilestoneError,
    MilestoneForbidden,
    MilestoneInvalid,
    MilestoneNotFound,
    MilestoneOrigin,
    MilestoneRequest,
    MilestoneState,
    Proposal,
    ProposalChange,
    ProposalState,
    RequestState,
)
from billing.domain.milestones_rules import Outcome

T = TypeVar("T")

_ROW_OF: dict[type[Any], type[Any]] = {
    Milestone: FixedMilestone,
    MilestoneRequest: FixedMilestoneRequest,
    EscrowDispute: FixedEscrowDispute,
    Earning: FixedEarning,
}
_STATE_ENUM: dict[type[Any], type[StrEnum]] = {
    Milestone: MilestoneState,
    MilestoneRequest: RequestState,
    EscrowDispute: DisputeState,
    Proposal: ProposalState,
}


def _service_error(error: MilestoneError) -> ServiceError:
    if isinstance(error, MilestoneNotFound):
        return NotFound(error.message)
    if isinstance(error, MilestoneForbidden):
        return Forbidden(error.message)
    if isinstance(error, MilestoneInvalid):
        return Invalid(error.message)
    if isinstance(error, MilestoneConflict):
        return Conflict(error.message)
    return Invalid(error.message)


@contextmanager
def _as_service_errors() -> Iterator[None]:
    try:
        yield
    except MilestoneError as error:
        raise _service_error(error) from error


# --- rows <-> domain ----------------------------------------------------------------------


def _from_row(kind: type[T], row: Any) -> T:
    values: dict[str, Any] = {}
    for item in fields(kind):  # type: ignore[arg-type]
        value = getattr(row, item.name)
        if item.name == "state":
            value = _STATE_ENUM[kind](value)
        elif item.name == "origin":
            value = MilestoneOrigin(value)
        elif item.name == "opened_by":
            value = Actor(value)
        values[item.name] = value
    return kind(**values)


def _copy_to_row(thing: Any, row: Any) -> None:
    for item in fields(thing):
        value = getattr(thing, item.name)
        if isinstance(value, StrEnum):
            value = value.value
        if getattr(row, item.name) != value:
            setattr(row, item.name, value)


def _change_to_json(change: ProposalChange) -> dict[str, Any]:
    return {
        "kind": change.kind.value,
        "milestone_seq": change.milestone_seq,
        "title": change.title,
        "description": change.description,
        "due_date": None if change.due_date is None else change.due_date.isoformat(),
        "amount_cents": change.amount_cents,
    }


def _change_from_json(data: dict[str, Any]) -> ProposalChange:
    due = data.get("due_date")
    return ProposalChange(
        kind=ChangeKind(data["kind"]),
        milestone_seq=data.get("milestone_seq"),
        title=data.get("title"),
        description=data.get("description"),
        due_date=None if due is None else date.fromisoformat(due),
        amount_cents=data.get("amount_cents"),
    )


@dataclass
class LoadedBook:
    """A book with the rows it was loaded from, so saving writes only what changed."""

    book: EscrowBook
    contract: Contract
    book_row: FixedBook
    rows: dict[tuple[type[Any], int | str], Any]


def _lock_book_row(session: Session, contract: Contract) -> FixedBook:
    insert_ignore(session, FixedBook, [_empty_book_row(contract.id)])
    query = select(FixedBook).where(FixedBook.contract_id == contract.id)
    if is_postgres(session):
        query = query.with_for_update()
    # populate_existing: read the row as it is now, after the lock, not a cached copy.
    return session.scalars(query.execution_options(populate_existing=True)).one()


def _empty_book_row(contract_id: int) -> dict[str, Any]:
    return {
        "contract_id": contract_id,
        "carry_cents": 0,
        "funded_cents": 0,
        "released_cents": 0,
        "refunded_cents": 0,
        "bonus_cents": 0,
        "ended_at": None,
    }


def _load(session: Session, contract: Contract, *, lock: bool = True) -> LoadedBook:
    """The contract's book; with ``lock``, after taking the book's row lock."""
    if lock:
        session.flush()  # keep the caller's pending changes through the refresh below
        book_row = _lock_book_row(session, contract)
        session.refresh(contract)  # ended_at as committed before we held the lock
    else:
        found = session.get(FixedBook, contract.id)
        book_row = found if found is not None else FixedBook(**_empty_book_row(contract.id))
    book = EscrowBook(
        contract_id=contract.id,
        kind=ContractKind(contract.kind),
        currency=contract.currency,
        ended_at=book_row.ended_at,
        carry_cents=book_row.carry_cents,
        funded_cents=book_row.funded_cents,
        released_cents=book_row.released_cents,
        refunded_cents=book_row.refunded_cents,
        bonus_cents=book_row.bonus_cents,
    )
    rows: dict[tuple[type[Any], int | str], Any] = {}

    def rows_of(model: type[Any]) -> list[Any]:
        return list(
            session.scalars(
                select(model)
                .where(model.contract_id == contract.id)
                .order_by(model.id)
                .execution_options(populate_existing=True)
            )
        )

    for row in rows_of(FixedMilestone):
        book.milestones.append(_from_row(Milestone, row))
        rows[(Milestone, row.seq)] = row
    for row in rows_of(FixedMilestoneRequest):
        book.requests.append(_from_row(MilestoneRequest, row))
        rows[(MilestoneRequest, row.seq)] = row
    for row in rows_of(FixedEscrowDispute):
        book.disputes.append(_from_row(EscrowDispute, row))
        rows[(EscrowDispute, row.seq)] = row
    for row in rows_of(FixedEarning):
        book.earnings.append(_from_row(Earning, row))
        rows[(Earning, row.key)] = row
    for row in rows_of(FixedProposal):
        book.proposals.append(
            Proposal(
                seq=row.seq,
                message=row.message,
                changes=tuple(_change_from_json(c) for c in row.changes),
                created_at=row.created_at,
                state=ProposalState(row.state),
                decided_at=row.decided_at,
            )
        )
        rows[(Proposal, row.seq)] = row
    return LoadedBook(book, contract, book_row, rows)


def _save(session: Session, loaded: LoadedBook) -> None:
    book, row = loaded.book, loaded.book_row
    for name in (
        "carry_cents",
        "funded_cents",
        "released_cents",
        "refunded_cents",
        "bonus_cents",
        "ended_at",
    ):
        if getattr(row, name) != getattr(book, name):
            setattr(row, name, getattr(book, name))
    things: list[tuple[Any, int | str]] = [
        *((m, m.seq) for m in book.milestones),
        *((r, r.seq) for r in book.requests),
        *((d, d.seq) for d in book.disputes),
        *((e, e.key) for e in book.earnings),
    ]
    for thing, ident in things:
        existing = loaded.rows.get((type(thing), ident))
        if existing is None:
            existing = _ROW_OF[type(thing)](contract_id=book.contract_id)
            session.add(existing)
            loaded.rows[(type(thing), ident)] = existing
        _copy_to_row(thing, existing)
    for proposal in book.proposals:
        existing = loaded.rows.get((Proposal, proposal.seq))
        if existing is None:
            existing = FixedProposal(contract_id=book.contract_id, seq=proposal.seq)
            session.add(existing)
            loaded.rows[(Proposal, proposal.seq)] = existing
        existing.message = proposal.message
        existing.changes = [_change_to_json(c) for c in proposal.changes]
        existing.created_at = proposal.created_at
        existing.state = proposal.state.value
        existing.decided_at = proposal.decided_at
    session.flush()


def _parties(contract: Contract) -> ContractParties:
    return ContractParties(
        contract_id=contract.id,
        client_id=contract.client_id,
        freelancer_id=contract.freelancer_id,
        currency=contract.currency,
    )


def _commit_outcome(
    session: Session, loaded: LoadedBook, outcomes: list[Outcome], now: datetime
) -> None:
    _save(session, loaded)
    parties = _parties(loaded.contract)
    transfers = [to_ledger(parties, t) for o in outcomes for t in o.transfers]
    ledger.post(session, transfers, now)


# --- the one way a book changes -----------------------------------------------------------


def actor_of(contract: Contract, user: User) -> Actor:
    """The caller's role on the contract, as the rules name it."""
    if user.id == contract.client_id:
        return Actor.CLIENT
    if user.id == contract.freelancer_id:
        return Actor.FREELANCER
    return Actor.ADMIN


def change(
    session: Session,
    contract: Contract,
    user: User,
    now: datetime,
    action: str,
    operation: Callable[[EscrowBook, Actor], Outcome],
) -> tuple[EscrowBook, Outcome]:
    """Lock, load, apply ``operation``, save, post its transfers and audit it — in the
    caller's transaction (the caller commits)."""
    loaded = _load(session, contract)
    outcomes = [_catch_up(loaded)]
    with _as_service_errors():
        outcome = operation(loaded.book, actor_of(contract, user))
    outcomes.append(outcome)
    if loaded.book.ended_at is not None and contract.ended_at is None:
        contract.ended_at = loaded.book.ended_at  # ended by a fixed-price rule
    _commit_outcome(session, loaded, outcomes, now)
    session.add(
        AuditRecord(
            at=now,
            actor_id=user.id,
            action=f"fixed_{action}",
            contract_id=contract.id,
            subject=f"contract {contract.id}"
            + ("" if outcome.created_seq is None else f" #{outcome.created_seq}"),
            detail={"transfers": [t.key for t in outcome.transfers]},
        )
    )
    session.flush()
    return loaded.book, outcome


def _catch_up(loaded: LoadedBook) -> Outcome:
    """A contract ended through the contract's own "end" action refunds its escrow the
    next time its book is touched (or by the jobs step, whichever comes first)."""
    ended_at = loaded.contract.ended_at
    if ended_at is None or loaded.book.ended_at is not None:
        return Outcome()
    return rules.settle_external_end(loaded.book, ended_at=ended_at)


def settle_contract_end(session: Session, contract: Contract, now: datetime) -> int:
    """Call in the transaction that ends ``contract`` (after setting ``ended_at``): refunds
    its escrow at once — but a disputed milestone's, which waits for the admin's split.
    Returns the refunded amount. Without this call the jobs step does it later."""
    loaded = _load(session, contract)
    ended_before = loaded.book.ended_at
    refunded_before = loaded.book.refunded_cents
    outcome = _catch_up(loaded)
    if outcome.transfers or loaded.book.ended_at != ended_before:
        _commit_outcome(session, loaded, [outcome], now)
    return loaded.book.refunded_cents - refunded_before


def lock_and_load(session: Session, contract: Contract) -> EscrowBook:
    """The book under its row lock, for a change made outside the rules (attachments)."""
    return _load(session, contract).book


def read_book(session: Session, contract: Contract) -> EscrowBook:
    """The book as stored, for display (no lock, no catch-up)."""
    return _load(session, contract, lock=False).book


def pending_actions(session: Session, contract: Contract, user: User) -> list[str]:
    """What waits on ``user`` on this contract's fixed-price side, in short phrases."""
    return rules.pending_actions(read_book(session, contract), actor_of(contract, user))


def freelancer_earnings(
    session: Session, freelancer_id: int
) -> list[tuple[FixedEarning, Contract]]:
    """Released fixed-price money credited to a freelancer (releases, bonuses, splits),
    with its contract, newest first."""
    return [
        (earning, contract)
        for earning, contract in session.execute(
            select(FixedEarning, Contract)
            .join(Contract, Contract.id == FixedEarning.contract_id)
            .where(Contract.freelancer_id == freelancer_id)
            .order_by(FixedEarning.available_at.desc(), FixedEarning.id.desc())
        ).tuples()
    ]


# --- escrow disputes: the admin's side ---------------------------------------------------


def escrow_dispute_rows(session: Session, contract: Contract) -> dict[int, FixedEscrowDispute]:
    """The contract's escrow dispute rows by ``seq`` (for the admin assignment shown)."""
    return {
        row.seq: row
        for row in session.scalars(
            select(FixedEscrowDispute).where(FixedEscrowDispute.contract_id == contract.id)
        )
    }


def admin_may_see(session: Session, contract: Contract, admin: User) -> bool:
    """An admin sees a contract through an escrow dispute on it assigned to them."""
    found = session.scalar(
        select(FixedEscrowDispute.id)
        .where(
            FixedEscrowDispute.contract_id == contract.id,
            FixedEscrowDispute.assigned_admin_id == admin.id,
        )
        .limit(1)
    )
    return found is not None


def escrow_dispute_queue(session: Session, admin: User) -> list[FixedEscrowDispute]:
    """Open escrow disputes not yet taken, or taken by this admin."""
    return list(
        session.scalars(
            select(FixedEscrowDispute)
            .where(
                FixedEscrowDispute.state == DisputeState.OPEN.value,
                or_(
                    FixedEscrowDispute.assigned_admin_id.is_(None),
                    FixedEscrowDispute.assigned_admin_id == admin.id,
                ),
            )
            .order_by(FixedEscrowDispute.opened_at, FixedEscrowDispute.id)
        )
    )


def take_escrow_dispute(
    session: Session, dispute_id: int, admin: User, *, now: datetime
) -> FixedEscrowDispute:
    """An admin takes an open escrow dispute; one held by another admin is a 409."""
    query = select(FixedEscrowDispute).where(FixedEscrowDispute.id == dispute_id)
    if is_postgres(session):
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None or row.state != DisputeState.OPEN.value:
        raise NotFound("no such open escrow dispute")
    if row.assigned_admin_id not in (None, admin.id):
        raise Conflict("another admin handles this escrow dispute")
    row.assigned_admin_id = admin.id
    session.add(
        AuditRecord(
            at=now,
            actor_id=admin.id,
            action="fixed_escrow_dispute_assigned",
            contract_id=row.contract_id,
            subject=f"escrow dispute {row.seq}",
            detail={},
        )
    )
    session.flush()
    return row


def require_assigned(session: Session, contract: Contract, seq: int, admin: User) -> None:
    row = session.scalar(
        select(FixedEscrowDispute).where(
            FixedEscrowDispute.contract_id == contract.id, FixedEscrowDispute.seq == seq
        )
    )
    if row is None:
        raise NotFound(f"escrow dispute {seq} does not exist on this contract")
    if row.assigned_admin_id != admin.id:
        raise Forbidden("only the admin assigned to this escrow dispute may settle it")


# --- the jobs step ---------------------------------------------------------------------------


def _books_with_something_due(session: Session, now: datetime) -> list[int]:
    submitted = select(FixedMilestone.contract_id).where(
        FixedMilestone.state == MilestoneState.SUBMITTED.value
    )
    earning = select(FixedEarning.contract_id).where(
        FixedEarning.made_available.is_(False), FixedEarning.available_at <= now
    )
    ended = (
        select(FixedBook.contract_id)
        .join(Contract, Contract.id == FixedBook.contract_id)
        .where(Contract.ended_at.is_not(None), FixedBook.ended_at.is_(None))
    )
    ids = set(session.scalars(submitted)) | set(session.scalars(earning))
    ids |= set(session.scalars(ended))
    return sorted(ids)


def run_due(session: Session, now: datetime) -> dict[str, int]:
    """Auto-approve submitted milestones 14 days old, make released money available after
    the security period, refund escrow of contracts ended elsewhere. Idempotent: a second
    run at the same instant finds nothing due. Reports the counts that are not zero."""
    report = {"milestones_auto_approved": 0, "milestone_earnings_available": 0}
    for contract_id in _books_with_something_due(session, now):
        contract = session.get(Contract, contract_id)
        if contract is None:
            continue
        loaded = _load(session, contract)
        before = sum(m.auto_approved for m in loaded.book.milestones)
        available_before = sum(e.made_available for e in loaded.book.earnings)
        ended_before = loaded.book.ended_at
        outcomes = [_catch_up(loaded), rules.run_due(loaded.book, now=now)]
        if not any(o.transfers for o in outcomes) and loaded.book.ended_at == ended_before:
            continue
        _commit_outcome(session, loaded, outcomes, now)
        session.add(
            AuditRecord(
                at=now,
                actor_id=None,
                action="fixed_jobs",
                contract_id=contract.id,
                subject=f"contract {contract.id}",
                detail={"transfers": [t.key for o in outcomes for t in o.transfers]},
            )
        )
        report["milestones_auto_approved"] += (
            sum(m.auto_approved for m in loaded.book.milestones) - before
        )
        report["milestone_earnings_available"] += (
            sum(e.made_available for e in loaded.book.earnings) - available_before
        )
    # Only what happened: a run with no fixed-price work adds nothing to the jobs report.
    return {name: count for name, count in report.items() if count}
