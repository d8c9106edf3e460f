"""Gapless invoice numbering: one counter row per server, taken under a row lock."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.db.locks import for_update
from billing.db.models import InvoiceCounter

COUNTER = "invoice"


def take_invoice_numbers(session: Session, count: int) -> list[int]:
    """The next ``count`` invoice numbers, gapless: the counter row stays locked until
    the transaction that uses them commits (or rolls back, giving them back)."""
    if count == 0:
        return []
    counter = session.scalar(
        for_update(session, select(InvoiceCounter).where(InvoiceCounter.name == COUNTER))
    )
    if counter is None:
        counter = InvoiceCounter(name=COUNTER, last_number=0)
        session.add(counter)
    first = counter.last_number + 1
    counter.last_number += count
    session.flush()
    return list(range(first, first + count))
