"""What the other pages show of the fixed-price side: actions waiting, released money,
and the admin's queue of escrow disputes — all read through
:mod:`billing.services.fixed_price`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.api.deps import SessionDep
from billing.db.models import Contract, Role, User
from billing.domain.milestones import PendingAction, Waiting
from billing.services import accounts, fixed_price
from billing.web.earning_lines import EarningLine
from billing.web.formatting import count_text

# one pill for every answer a client owes: there is at most one pending proposal
_ANSWERS = (Waiting.PROPOSAL, Waiting.REQUEST)


def _pills(waiting: list[PendingAction]) -> list[str]:
    pills = [a.phrase for a in waiting if a.waiting not in _ANSWERS]
    if any(a.waiting is Waiting.PROPOSAL for a in waiting):
        pills.append("Proposal to answer")
    requests = sum(a.waiting is Waiting.REQUEST for a in waiting)
    if requests:
        pills.append(f"{count_text(requests, 'payment request')} to answer")
    return pills


def actions_needed(session: SessionDep, contract: Contract, role: Role) -> list[str]:
    """Short phrases for what waits on ``role`` (e.g. "Milestone 2 to review")."""
    if contract.ended_at is not None or role not in (Role.CLIENT, Role.FREELANCER):
        return []
    return _pills(fixed_price.waiting_on(session, contract, role))


def released_earnings(session: SessionDep, freelancer: User) -> list[EarningLine]:
    """Fixed-price money released to ``freelancer``, pending or available, by contract."""
    earnings: list[EarningLine] = []
    for contract in accounts.contracts_of(session, freelancer):
        if contract.freelancer_id != freelancer.id:
            continue
        book = fixed_price.read_book(session, contract)
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
                EarningLine(
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


def escrow_dispute_queue(session: SessionDep, viewer: User) -> list[EscrowDisputeRow]:
    """Open escrow disputes an admin may take or already holds (none for other roles)."""
    return [
        EscrowDisputeRow(
            row.id,
            row.seq,
            row.milestone_seq,
            row.reason,
            row.opened_at,
            contract,
            row.assigned_admin_id == viewer.id,
        )
        for row, contract in fixed_price.escrow_dispute_queue(session, viewer)
    ]
