"""Contract rows: creation, listing, the weekly cap's history."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session

from billing.db.errors import Invalid
from billing.db.models import (
    Contract,
    ContractCap,
    ContractKind,
    ContractWeek,
    Role,
    User,
)
from billing.db.session import core
from billing.domain.money import check_currency
from billing.domain.weeks import effective_cap_minutes, week_start

MAX_CAP_MINUTES = 168 * 60


def _check_parties(client: User, freelancer: User) -> None:
    if client.role != Role.CLIENT:
        raise Invalid(f"{client.email} is not a client")
    if freelancer.role != Role.FREELANCER:
        raise Invalid(f"{freelancer.email} is not a freelancer")


def _check_currency(currency: str) -> None:
    try:
        check_currency(currency)
    except ValueError as error:
        raise Invalid(str(error)) from error


def _add_contract(
    session: Session,
    kind: ContractKind,
    parties: tuple[User, User],
    title: str,
    currency: str,
    now: datetime,
    *,
    rate_cents: int | None = None,
    screenshots_enabled: bool = False,
    blur_screenshots: bool = False,
    manual_time_allowed: bool = False,
) -> Contract:
    """Stores a contract between (client, freelancer); a fixed-price one has no hourly terms."""
    client, freelancer = parties
    contract = Contract(
        kind=kind.value,
        title=title,
        client_id=client.id,
        freelancer_id=freelancer.id,
        currency=currency,
        rate_cents=rate_cents,
        screenshots_enabled=screenshots_enabled,
        blur_screenshots=blur_screenshots,
        manual_time_allowed=manual_time_allowed,
        created_at=now,
    )
    session.add(contract)
    session.flush()
    return contract


def check_cap(cap_minutes: int | None) -> None:
    if cap_minutes is not None and not 0 < cap_minutes <= MAX_CAP_MINUTES:
        raise Invalid("weekly cap must be between 1 minute and 168 hours")


def create_hourly_contract(
    session: Session,
    *,
    client: User,
    freelancer: User,
    title: str,
    currency: str,
    rate_cents: int,
    now: datetime,
    weekly_cap_minutes: int | None = None,
    screenshots_enabled: bool = True,
    blur_screenshots: bool = False,
    manual_time_allowed: bool = False,
) -> Contract:
    """An hourly contract; its cap is in force from the current week."""
    _check_parties(client, freelancer)
    check_cap(weekly_cap_minutes)
    _check_currency(currency)
    if rate_cents <= 0:
        raise Invalid("rate must be positive")
    contract = _add_contract(
        session,
        ContractKind.HOURLY,
        (client, freelancer),
        title,
        currency,
        now,
        rate_cents=rate_cents,
        screenshots_enabled=screenshots_enabled,
        blur_screenshots=blur_screenshots,
        manual_time_allowed=manual_time_allowed,
    )
    session.add(
        ContractCap(
            contract_id=contract.id,
            effective_week_start=week_start(now),
            cap_minutes=weekly_cap_minutes,
            created_at=now,
        )
    )
    session.flush()
    return contract


def create_fixed_contract(
    session: Session, *, client: User, freelancer: User, title: str, currency: str, now: datetime
) -> Contract:
    """A fixed-price contract (its milestones live in ``billing.db.milestones``)."""
    _check_parties(client, freelancer)
    _check_currency(currency)
    return _add_contract(session, ContractKind.FIXED, (client, freelancer), title, currency, now)


def contracts_of(session: Session, user: User) -> list[Contract]:
    """The contracts ``user`` is a party to (admins: none — they see disputes)."""
    return list(
        session.scalars(
            select(Contract)
            .where(or_(Contract.client_id == user.id, Contract.freelancer_id == user.id))
            .order_by(Contract.id)
        )
    )


# built once: a group of single PUTs reads its contracts with it, and building the query
# and its cache key took about as long as running it
_CONTRACTS_BY_ID = select(Contract).where(Contract.id.in_(bindparam("p_ids", expanding=True)))


def contracts_by_id(session: Session, ids: Collection[int]) -> dict[int, Contract]:
    """The contracts of ``ids`` that exist, in one query, by id."""
    found = session.scalars(_CONTRACTS_BY_ID, {"p_ids": list(set(ids))})
    return {contract.id: contract for contract in found}


_CAPS = ContractCap.__table__.c
# built once (ingest reads the cap on every PUT): see billing.db.slots
_CAP_CHANGES = select(_CAPS.effective_week_start, _CAPS.cap_minutes).where(
    _CAPS.contract_id == bindparam("p_contract")
)


def cap_changes(session: Session, contract_id: int) -> list[tuple[datetime, int | None]]:
    rows = session.execute(_CAP_CHANGES, {"p_contract": contract_id})
    return [(row[0], row[1]) for row in rows]


_CAP_CHANGES_OF = select(_CAPS.contract_id, _CAPS.effective_week_start, _CAPS.cap_minutes).where(
    _CAPS.contract_id.in_(bindparam("p_contracts", expanding=True))
)


def cap_changes_of(
    session: Session, contract_ids: Collection[int]
) -> dict[int, list[tuple[datetime, int | None]]]:
    """:func:`cap_changes` of many contracts in one query, by contract (each one asked
    for is there, with no change: no cap)."""
    found: dict[int, list[tuple[datetime, int | None]]] = {ident: [] for ident in contract_ids}
    if found:
        # on the transaction's connection: a Core statement, no ORM rows to load
        for row in core(session).execute(_CAP_CHANGES_OF, {"p_contracts": list(found)}):
            found[row[0]].append((row[1], row[2]))
    return found


def cap_for_week(session: Session, contract_id: int, week: datetime) -> int | None:
    """The cap (minutes) in force for the week starting ``week``; ``None`` = no cap."""
    return effective_cap_minutes(cap_changes(session, contract_id), week)


def week_totals(session: Session, contract_id: int, week: datetime) -> ContractWeek | None:
    return session.get(ContractWeek, (contract_id, week))


def client_contract_ids(session: Session, client_id: int) -> list[int]:
    return list(session.scalars(select(Contract.id).where(Contract.client_id == client_id)))


def schedule_cap(
    session: Session, contract_id: int, effective: datetime, cap_minutes: int | None, now: datetime
) -> None:
    """Put ``cap_minutes`` in force from the week ``effective``, replacing any change
    scheduled at or after it."""
    session.execute(
        delete(ContractCap).where(
            ContractCap.contract_id == contract_id,
            ContractCap.effective_week_start >= effective,
        )
    )
    session.add(
        ContractCap(
            contract_id=contract_id,
            effective_week_start=effective,
            cap_minutes=cap_minutes,
            created_at=now,
        )
    )
    session.flush()
