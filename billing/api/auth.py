"""``/auth/token`` (log in, log out) and ``/me`` (who am I, my contracts, my balances)."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, status
from sqlalchemy import select

from billing.api import present, schemas
from billing.api.deps import (
    ClockDep,
    CurrentToken,
    CurrentUser,
    PasswordsDep,
    SessionDep,
)
from billing.db import accounts, ledger
from billing.db.contracts import contracts_of
from billing.db.models import Contract, Role
from billing.domain.ledger import AccountKind

router = APIRouter(tags=["auth"])


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    """Readiness: answers once the server is up (no authentication)."""
    return {"status": "ok"}


@router.post("/auth/token", status_code=status.HTTP_201_CREATED)
def log_in(
    body: schemas.TokenCreate, session: SessionDep, passwords: PasswordsDep, clock: ClockDep
) -> schemas.TokenPublic:
    """Exchange e-mail and password for a bearer token (401 if they do not match)."""
    token, user = accounts.issue_token(
        session, passwords, email=body.email, password=body.password, now=clock.now()
    )
    session.commit()
    return schemas.TokenPublic(access_token=token, user=present.user(user))


@router.delete("/auth/token", status_code=status.HTTP_204_NO_CONTENT)
def log_out(token: CurrentToken, session: SessionDep, clock: ClockDep) -> None:
    """Revoke the token this request carries."""
    accounts.revoke_token(session, token, clock.now())
    session.commit()


@router.get("/me")
def me(user: CurrentUser) -> schemas.UserPublic:
    return present.user(user)


@router.get("/me/contracts")
def my_contracts(
    user: CurrentUser, session: SessionDep, clock: ClockDep
) -> list[schemas.ContractPublic]:
    """The caller's contracts with rate, cap, settings and this week's logged minutes."""
    now = clock.now()
    rows = contracts_of(session, user)
    return [
        present.contract(
            session, row, Role.FREELANCER if row.freelancer_id == user.id else Role.CLIENT, now
        )
        for row in rows
    ]


@router.get("/me/balances")
def my_balances(user: CurrentUser, session: SessionDep) -> list[schemas.BalancePublic]:
    """Per currency: pending and available earnings (freelancer); charged, escrow (client)."""
    by_currency: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, amount in ledger.balances(session, owner_id=user.id).items():
        if key.kind == AccountKind.FREELANCER_PENDING:
            by_currency[key.currency]["pending"] += amount
        elif key.kind == AccountKind.FREELANCER_AVAILABLE:
            by_currency[key.currency]["available"] += amount
        elif key.kind == AccountKind.CLIENT_FUNDING:
            by_currency[key.currency]["charged"] += -amount
    if user.role == Role.CLIENT:
        contract_ids = list(
            session.scalars(select(Contract.id).where(Contract.client_id == user.id))
        )
        if contract_ids:
            escrows = ledger.balances(session, owner_ids=contract_ids, kinds=[AccountKind.ESCROW])
            for key, amount in escrows.items():
                by_currency[key.currency]["escrow"] += amount
    return [
        schemas.BalancePublic(
            currency=currency,
            pending_cents=values["pending"],
            available_cents=values["available"],
            charged_cents=values["charged"],
            escrow_cents=values["escrow"],
        )
        for currency, values in sorted(by_currency.items())
    ]
