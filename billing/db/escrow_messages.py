"""Rows of escrow-dispute records: the messages, oldest first, with their authors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.db.milestones_tables import FixedEscrowDispute, FixedEscrowDisputeMessage
from billing.db.models import Contract, User


def add(
    session: Session, dispute_id: int, author_id: int, body: str, now: datetime
) -> FixedEscrowDisputeMessage:
    message = FixedEscrowDisputeMessage(
        dispute_id=dispute_id, author_id=author_id, body=body, created_at=now
    )
    session.add(message)
    session.flush()
    return message


def of_contract(
    session: Session, contract: Contract
) -> dict[int, list[tuple[FixedEscrowDisputeMessage, User]]]:
    """Each escrow dispute's messages by the dispute's ``seq``, oldest first."""
    query = (
        select(FixedEscrowDispute.seq, FixedEscrowDisputeMessage, User)
        .join(FixedEscrowDispute, FixedEscrowDispute.id == FixedEscrowDisputeMessage.dispute_id)
        .join(User, User.id == FixedEscrowDisputeMessage.author_id)
        .where(FixedEscrowDispute.contract_id == contract.id)
        .order_by(FixedEscrowDisputeMessage.created_at, FixedEscrowDisputeMessage.id)
    )
    threads: dict[int, list[tuple[FixedEscrowDisputeMessage, User]]] = {}
    for seq, message, author in session.execute(query):
        threads.setdefault(seq, []).append((message, author))
    return threads
