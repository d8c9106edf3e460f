"""People: users, sign-in (bearer tokens; the companion view's session holds one),
sign-out, and each person's balances from the ledger."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from billing.db import accounts as accounts_db
from billing.db import ledger
from billing.db.contracts import client_contract_ids
from billing.db.contracts import contracts_of as contracts_of_db
from billing.db.models import ApiToken, Contract, Role, User
from billing.domain.ledger import AccountKind
from billing.passwords import Passwords
from billing.services.transaction import committed, in_transaction

create_user = in_transaction(accounts_db.create_user)
"""A new user; :class:`~billing.db.errors.Conflict` if the e-mail is taken."""


def user_by_email(session: Session, email: str) -> User | None:
    return accounts_db.user_by_email(session, email)


def sign_in(
    session: Session, passwords: Passwords, *, email: str, password: str, now: datetime
) -> tuple[str, User]:
    """A new bearer token (shown once) and its user; ``Unauthorized`` if they do not match
    (an unknown e-mail costs the same time as a wrong password)."""
    with committed(session):
        return accounts_db.issue_token(session, passwords, email=email, password=password, now=now)


def sign_out(session: Session, token: ApiToken, *, now: datetime) -> None:
    """Revoke the token (for the companion view: the one its session cookie holds)."""
    with committed(session):
        accounts_db.revoke_token(session, token, now)


@dataclass
class Balance:
    """One currency's money of one person, in minor units."""

    currency: str
    pending_cents: int = 0
    available_cents: int = 0
    charged_cents: int = 0  # client: what finalized invoices and funding took
    escrow_cents: int = 0  # client: held in escrow on their contracts


_OWN_KINDS = (
    AccountKind.FREELANCER_PENDING,
    AccountKind.FREELANCER_AVAILABLE,
    AccountKind.CLIENT_FUNDING,
)


def balances(session: Session, user: User) -> list[Balance]:
    """Per currency: pending and available earnings (freelancer); charged, escrow (client)."""
    by_currency: dict[str, Balance] = {}
    rows: defaultdict[str, list[tuple[AccountKind, int]]] = defaultdict(list)
    for key, amount in ledger.balances(session, owner_id=user.id, kinds=_OWN_KINDS).items():
        rows[key.currency].append((key.kind, amount))
    if user.role == Role.CLIENT:
        contract_ids = client_contract_ids(session, user.id)
        if contract_ids:
            escrows = ledger.balances(session, owner_ids=contract_ids, kinds=[AccountKind.ESCROW])
            for key, amount in escrows.items():
                rows[key.currency].append((key.kind, amount))
    for currency, amounts in rows.items():
        balance = by_currency.setdefault(currency, Balance(currency))
        for kind, amount in amounts:
            if kind == AccountKind.FREELANCER_PENDING:
                balance.pending_cents += amount
            elif kind == AccountKind.FREELANCER_AVAILABLE:
                balance.available_cents += amount
            elif kind == AccountKind.CLIENT_FUNDING:
                balance.charged_cents -= amount
            else:
                balance.escrow_cents += amount
    return sorted(by_currency.values(), key=lambda balance: balance.currency)


def user_for_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """Who holds this bearer token (and its row, to revoke it), if it is live."""
    return accounts_db.user_for_token(session, token)


def contracts_of(session: Session, user: User) -> list[Contract]:
    """The contracts ``user`` is a party to."""
    return contracts_of_db(session, user)
