"""The stored ledger: :class:`billing.domain.ledger.Transfer` rows and derived balances.

``post(session, transfers, now)`` is the one way money moves: replaying an idempotency
key with the same content changes nothing; with different content it is a
:class:`~billing.db.errors.Conflict`; a transfer that would make an internal account
negative is refused. Balances are sums over transfers, so they always sum to zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.db.errors import Conflict
from billing.db.models import LedgerAccount, LedgerTransfer
from billing.db.upsert import insert_ignore
from billing.domain.ledger import AccountKey, AccountKind, Transfer


def account_ids(session: Session, keys: Iterable[AccountKey]) -> dict[AccountKey, int]:
    """Ids of the accounts for ``keys``, creating the missing ones."""
    wanted = {key.code: key for key in keys}
    if not wanted:
        return {}
    found: dict[str, int] = {
        row[0]: row[1]
        for row in session.execute(
            select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(wanted))
        )
    }
    missing = [
        {"code": code, "kind": key.kind.value, "currency": key.currency, "owner_id": key.owner_id}
        for code, key in wanted.items()
        if code not in found
    ]
    if missing:
        insert_ignore(session, LedgerAccount, missing)
        found = dict(
            session.execute(
                select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(wanted))
            ).all()
        )
    return {key: found[code] for code, key in wanted.items()}


def _balances_by_id(session: Session, ids: Sequence[int]) -> dict[int, int]:
    balances: dict[int, int] = defaultdict(int)
    if not ids:
        return balances
    credited = session.execute(
        select(LedgerTransfer.destination_account_id, func.sum(LedgerTransfer.amount_cents))
        .where(LedgerTransfer.destination_account_id.in_(ids))
        .group_by(LedgerTransfer.destination_account_id)
    ).all()
    debited = session.execute(
        select(LedgerTransfer.source_account_id, func.sum(LedgerTransfer.amount_cents))
        .where(LedgerTransfer.source_account_id.in_(ids))
        .group_by(LedgerTransfer.source_account_id)
    ).all()
    for account_id, total in credited:
        balances[account_id] += int(total)
    for account_id, total in debited:
        balances[account_id] -= int(total)
    return balances


def post(session: Session, transfers: Sequence[Transfer], now: datetime) -> int:
    """Store ``transfers`` (all or nothing with the caller's transaction); count the new ones."""
    if not transfers:
        return 0
    keys = [transfer.idempotency_key for transfer in transfers]
    if len(set(keys)) != len(keys):
        raise Conflict("one idempotency key used twice in a batch")
    ids = account_ids(session, [t.source for t in transfers] + [t.destination for t in transfers])
    fresh = _not_yet_posted(session, transfers, ids)
    _check_balances(session, fresh, ids)
    if fresh:
        session.add_all(
            LedgerTransfer(
                idempotency_key=t.idempotency_key,
                source_account_id=ids[t.source],
                destination_account_id=ids[t.destination],
                amount_cents=t.amount_cents,
                currency=t.currency,
                invoice_id=t.invoice_id,
                reference=t.reference,
                created_at=now,
            )
            for t in fresh
        )
        session.flush()
    return len(fresh)


def _not_yet_posted(
    session: Session, transfers: Sequence[Transfer], ids: dict[AccountKey, int]
) -> list[Transfer]:
    """The transfers whose idempotency key is new; a replay must match what it replays."""
    keys = [transfer.idempotency_key for transfer in transfers]
    held = {
        row.idempotency_key: row
        for row in session.scalars(
            select(LedgerTransfer).where(LedgerTransfer.idempotency_key.in_(keys))
        )
    }
    fresh: list[Transfer] = []
    for transfer in transfers:
        row = held.get(transfer.idempotency_key)
        if row is None:
            fresh.append(transfer)
            continue
        same = (
            row.source_account_id == ids[transfer.source]
            and row.destination_account_id == ids[transfer.destination]
            and row.amount_cents == transfer.amount_cents
            and row.invoice_id == transfer.invoice_id
            and row.reference == transfer.reference
        )
        if not same:
            raise Conflict(f"idempotency key {transfer.idempotency_key!r} already used differently")
    return fresh


def _check_balances(
    session: Session, fresh: Sequence[Transfer], ids: dict[AccountKey, int]
) -> None:
    """Internal accounts never go negative, with concurrent debits serialised."""
    internal_sources = sorted({ids[t.source] for t in fresh if not t.source.may_go_negative})
    if internal_sources and session.get_bind().dialect.name == "postgresql":
        # serialise concurrent debits of one account so its balance check holds
        session.execute(
            select(LedgerAccount.id)
            .where(LedgerAccount.id.in_(internal_sources))
            .order_by(LedgerAccount.id)
            .with_for_update()
        ).all()
    balances = _balances_by_id(session, internal_sources)
    for transfer in fresh:
        source, destination = ids[transfer.source], ids[transfer.destination]
        if not transfer.source.may_go_negative and balances[source] < transfer.amount_cents:
            raise Conflict(
                f"{transfer.source.code} holds {balances[source]}, "
                f"cannot move {transfer.amount_cents}"
            )
        balances[source] -= transfer.amount_cents
        balances[destination] += transfer.amount_cents


def _key_of(account: LedgerAccount) -> AccountKey:
    return AccountKey(AccountKind(account.kind), account.currency, account.owner_id)


def balances(
    session: Session,
    *,
    owner_id: int | None = None,
    owner_ids: Iterable[int] | None = None,
    kinds: Iterable[AccountKind] | None = None,
) -> dict[AccountKey, int]:
    """Balances of every account (or those of some owners / of some kinds)."""
    query = select(LedgerAccount)
    if owner_id is not None:
        query = query.where(LedgerAccount.owner_id == owner_id)
    if owner_ids is not None:
        query = query.where(LedgerAccount.owner_id.in_(list(owner_ids)))
    if kinds is not None:
        query = query.where(LedgerAccount.kind.in_([kind.value for kind in kinds]))
    accounts = list(session.scalars(query))
    by_id = _balances_by_id(session, [account.id for account in accounts])
    return {_key_of(account): by_id.get(account.id, 0) for account in accounts}


def all_transfers(session: Session) -> list[Transfer]:
    """Every stored transfer as the domain sees it (for invariant checks)."""
    accounts = {account.id: _key_of(account) for account in session.scalars(select(LedgerAccount))}
    return [
        Transfer(
            row.idempotency_key,
            accounts[row.source_account_id],
            accounts[row.destination_account_id],
            row.amount_cents,
            invoice_id=row.invoice_id,
            reference=row.reference,
        )
        for row in session.scalars(select(LedgerTransfer).order_by(LedgerTransfer.id))
    ]
