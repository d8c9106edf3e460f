"""``/auth/token`` (log in, log out) and ``/me`` (who am I, my contracts, my balances)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from billing.api import present, schemas
from billing.api.deps import (
    AuthPolicyDep,
    ClockDep,
    CurrentToken,
    CurrentUser,
    PasswordsDep,
    SessionDep,
)
from billing.api.responses import SIGN_IN, SIGNED_IN
from billing.db.errors import TooManyAttempts
from billing.db.models import Role, TokenKind
from billing.services import accounts, hourly_reads

router = APIRouter(tags=["auth"])


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    """Readiness: answers once the server is up (no authentication)."""
    return {"status": "ok"}


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy: what uvicorn's
    ``--forwarded-allow-ips`` lets ``X-Forwarded-For`` say)."""
    return request.client.host if request.client is not None else "unknown"


@router.post("/auth/token", status_code=status.HTTP_201_CREATED, responses=SIGN_IN)
def log_in(
    request: Request,
    body: schemas.TokenCreate,
    session: SessionDep,
    passwords: PasswordsDep,
    policy: AuthPolicyDep,
    clock: ClockDep,
) -> schemas.TokenPublic:
    """Exchange e-mail and password for a bearer token (401 if they do not match; 429
    with ``Retry-After`` after too many failures for the e-mail or this address).

    The token expires once unused for the configured idle lifetime; each use renews it.
    """
    attempt = accounts.SignIn(body.email, body.password, client_address(request), TokenKind.API)
    try:
        token, user = accounts.sign_in(session, passwords, policy, attempt, now=clock.now())
    except TooManyAttempts as refused:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=refused.message,
            headers={"Retry-After": str(refused.retry_after)},
        ) from None
    return schemas.TokenPublic(access_token=token, user=present.user(user))


@router.delete("/auth/token", status_code=status.HTTP_204_NO_CONTENT, responses=SIGNED_IN)
def log_out(token: CurrentToken, session: SessionDep, clock: ClockDep) -> None:
    """Revoke the token this request carries."""
    accounts.sign_out(session, token, now=clock.now())


@router.get("/me", responses=SIGNED_IN)
def me(user: CurrentUser) -> schemas.UserPublic:
    return present.user(user)


@router.get("/me/contracts", responses=SIGNED_IN)
def my_contracts(
    user: CurrentUser, session: SessionDep, clock: ClockDep
) -> list[schemas.ContractPublic]:
    """The caller's contracts with rate, cap, settings and this week's logged minutes."""
    return [
        present.contract(view, Role.FREELANCER if view.freelancer.id == user.id else Role.CLIENT)
        for view in hourly_reads.contract_views(session, user, clock.now())
    ]


@router.get("/me/balances", responses=SIGNED_IN)
def my_balances(user: CurrentUser, session: SessionDep) -> list[schemas.BalancePublic]:
    """Per currency: pending and available earnings (freelancer); charged, escrow (client)."""
    return [
        schemas.BalancePublic(
            currency=balance.currency,
            pending_cents=balance.pending_cents,
            available_cents=balance.available_cents,
            charged_cents=balance.charged_cents,
            escrow_cents=balance.escrow_cents,
        )
        for balance in accounts.balances(session, user)
    ]
