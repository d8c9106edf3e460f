"""Fixed-price milestones in the database: the escrow book's rows, locks and queries.

:func:`load_book` reads a contract's :class:`~billing.domain.milestones_model.EscrowBook`
from its rows — with ``lock``, after taking the book's row lock (``SELECT … FOR UPDATE``
on PostgreSQL; on SQLite the session's ``BEGIN IMMEDIATE`` already serializes writers),
so two approvals racing for one milestone run one after the other. :func:`save_book`
writes back what changed. No rule lives here: the actions are
:mod:`billing.services.fixed_price`, the rules :mod:`billing.domain.milestones`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from billing.db.milestones_tables import (
    FixedBook,
    FixedEarning,
    FixedEscrowDispute,
    FixedMilestone,
    FixedMilestoneRequest,
    FixedProposal,
)
from billing.db.models import Contract, User
from billing.db.session import is_postgres
from billing.db.upsert import insert_ignore
from billing.domain.milestones_model import (
    Actor,
    ChangeKind,
    ContractKind,
    DisputeState,
    Earning,
    EscrowBook,
    EscrowDispute,
    Milestone,
    MilestoneOrigin,
    MilestoneRequest,
    MilestoneState,
    Proposal,
    ProposalChange,
    ProposalState,
    RequestState,
)

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
        "clear_due_date": change.clear_due_date,
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
        clear_due_date=bool(data.get("clear_due_date", False)),
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


def load_book(session: Session, contract: Contract, *, lock: bool = True) -> LoadedBook:
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

    def load(kind: type[T], into: list[T], key: str = "seq") -> None:
        for row in rows_of(_ROW_OF[kind]):
            into.append(_from_row(kind, row))
            rows[(kind, getattr(row, key))] = row

    load(Milestone, book.milestones)
    load(MilestoneRequest, book.requests)
    load(EscrowDispute, book.disputes)
    load(Earning, book.earnings, key="key")
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


def save_book(session: Session, loaded: LoadedBook) -> None:
    """Write the book's changed state back to its rows (flushed, not committed)."""
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


def read_book(session: Session, contract: Contract) -> EscrowBook:
    """The book as stored, for display (no lock, no catch-up)."""
    return load_book(session, contract, lock=False).book


# --- escrow disputes: the admin's side ---------------------------------------------------


def escrow_dispute_rows(session: Session, contract: Contract) -> dict[int, FixedEscrowDispute]:
    """The contract's escrow dispute rows by ``seq`` (for the admin assignment shown)."""
    return {
        row.seq: row
        for row in session.scalars(
            select(FixedEscrowDispute).where(FixedEscrowDispute.contract_id == contract.id)
        )
    }


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


def lock_escrow_dispute(session: Session, dispute_id: int) -> FixedEscrowDispute | None:
    """An escrow dispute row by its global id, under its row lock."""
    query = select(FixedEscrowDispute).where(FixedEscrowDispute.id == dispute_id)
    if is_postgres(session):
        query = query.with_for_update()
    return session.scalar(query)


def escrow_dispute_row(session: Session, contract: Contract, seq: int) -> FixedEscrowDispute | None:
    return session.scalar(
        select(FixedEscrowDispute).where(
            FixedEscrowDispute.contract_id == contract.id, FixedEscrowDispute.seq == seq
        )
    )


# --- the jobs step ---------------------------------------------------------------------------


def books_with_something_due(session: Session, now: datetime) -> list[int]:
    """Contracts whose book has a submitted milestone, money due to become available, or
    an end not yet settled."""
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
