"""What the other pages show of the fixed-price side: actions waiting, released money.

Reads the contract's escrow book through ``billing.db.milestones`` when the fixed-price
package is installed; without it, nothing is shown.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from billing.db.contracts import contracts_of
from billing.db.models import Contract, Role, User

if TYPE_CHECKING:
    from billing.web.earnings import Earning


def _available() -> bool:
    return importlib.util.find_spec("billing.db.milestones") is not None


def actions_needed(session: Session, contract: Contract, role: Role) -> list[str]:
    """Short phrases for what waits on ``role`` (e.g. "Milestone 2 to review")."""
    if not _available():
        return []
    from billing.db.milestones import read_book

    book = read_book(session, contract)
    if book.ended_at is not None or contract.ended_at is not None:
        return []
    actions: list[str] = []
    states = [(m.seq, m.state.value, m.origin.value) for m in book.milestones]
    pending_proposal = any(p.state.value == "pending" for p in book.proposals)
    pending_requests = sum(r.state.value == "pending" for r in book.requests)
    if role == Role.CLIENT:
        actions += [
            f"Milestone {seq} to review" for seq, state, _ in states if state == "submitted"
        ]
        if pending_proposal:
            actions.append("Proposal to answer")
        if pending_requests:
            actions.append(f"{pending_requests} payment request(s) to answer")
        funded = any(
            state in ("active", "submitted") for _, state, origin in states if origin == "plan"
        )
        planned = [seq for seq, state, origin in states if state == "planned" and origin == "plan"]
        if not funded and planned:
            actions.append(f"Milestone {planned[0]} to fund")
    elif role == Role.FREELANCER:
        actions += [f"Milestone {seq} in progress" for seq, state, _ in states if state == "active"]
    return actions


def released_earnings(session: Session, freelancer: User) -> list[Earning]:
    """Fixed-price money released to ``freelancer``, pending or available, by contract."""
    if not _available():
        return []
    from billing.db.milestones import read_book
    from billing.web.earnings import Earning

    earnings: list[Earning] = []
    for contract in contracts_of(session, freelancer):
        if contract.freelancer_id != freelancer.id:
            continue
        book = read_book(session, contract)
        released = {f"m{m.seq}": (m.released_at, f"Milestone {m.seq}") for m in book.milestones}
        settled = {f"d{d.seq}": (d.resolved_at, f"Escrow dispute {d.seq}") for d in book.disputes}
        for earning in book.earnings:
            # keys read "fixed:<contract>:m<seq>:release" / ":m<seq>:bonus" / ":d<seq>:…"
            parts = earning.key.split(":")
            thing = parts[2] if len(parts) > 3 else ""
            when, label = released.get(thing) or settled.get(thing) or (None, "Milestone payment")
            if parts[-1] == "bonus":
                label += " bonus"
            earnings.append(
                Earning(
                    source=label,
                    contract_title=contract.title,
                    link=f"/web/contracts/{contract.id}/milestones",
                    earned_at=when or earning.available_at,
                    available_at=earning.available_at,
                    available=earning.made_available,
                    gross_cents=earning.amount_cents,
                    net_cents=earning.amount_cents,
                    currency=contract.currency,
                )
            )
    return earnings


@dataclass(frozen=True)
class EscrowDisputeRow:
    """An open escrow dispute in an admin's queue, with its contract."""

    dispute_id: int
    seq: int
    milestone_seq: int
    reason: str
    opened_at: datetime
    contract: Contract
    mine: bool


def escrow_dispute_queue(session: Session, viewer: User) -> list[EscrowDisputeRow]:
    """Open escrow disputes an admin may take or already holds (none for other roles)."""
    if viewer.role != Role.ADMIN or not _available():
        return []
    from billing.db.milestones import escrow_dispute_queue as queue

    rows = []
    for row in queue(session, viewer):
        contract = session.get(Contract, row.contract_id)
        assert contract is not None
        rows.append(
            EscrowDisputeRow(
                row.id,
                row.seq,
                row.milestone_seq,
                row.reason,
                row.opened_at,
                contract,
                row.assigned_admin_id == viewer.id,
            )
        )
    return rows
