"""People: users, sign-in (API tokens and web sessions), sign-out, and each person's
balances from the ledger.

Sign-in is throttled per e-mail and per client address with counts kept in the
database (:mod:`billing.db.sign_in_throttle`), so every server process sees the same
failures. The password is verified outside any transaction (argon2 is slow on purpose),
and an unknown e-mail verifies a dummy hash, so it answers in the time a known one does.

Tokens expire on the server: the desktop app's API token after
``api_token_idle_lifetime`` unused — each use moves its expiry forward (a sliding
window; the app needs no renew call) — and a web session ``web_session_lifetime`` after
sign-in, however much it is used. The two kinds are never accepted for each other.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from billing.config import Settings
from billing.db import accounts as accounts_db
from billing.db import ledger
from billing.db import sign_in_throttle as throttle
from billing.db.accounts import TokenHolder, TokenUser
from billing.db.contracts import client_contract_ids
from billing.db.contracts import contracts_of as contracts_of_db
from billing.db.errors import TooManyAttempts, Unauthorized
from billing.db.models import ApiToken, Contract, Role, TokenKind, User
from billing.db.session import unit_of_work
from billing.domain.ledger import AccountKind
from billing.passwords import Passwords
from billing.services.transaction import committed, in_transaction

create_user = in_transaction(accounts_db.create_user)
"""A new user; :class:`~billing.db.errors.Conflict` if the e-mail is taken."""

SESSION_EXPIRED = "session expired"
TOKEN_UNKNOWN = "token unknown or revoked"
# a sliding expiry is written at most once per this fraction of the window, not per request
_RENEW_STEP = 100


@dataclass(frozen=True)
class AuthPolicy:
    """Token lifetimes and sign-in limits (from :class:`~billing.config.Settings`)."""

    api_token_idle_lifetime: timedelta = timedelta(days=30)
    web_session_lifetime: timedelta = timedelta(hours=12)
    account_failures: int = 10
    address_failures: int = 100
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthPolicy:
        return cls(
            api_token_idle_lifetime=settings.api_token_idle_lifetime,
            web_session_lifetime=settings.web_session_lifetime,
            account_failures=settings.sign_in_account_failures,
            address_failures=settings.sign_in_address_failures,
            window=settings.sign_in_window,
        )

    def lifetime(self, kind: TokenKind) -> timedelta:
        return self.api_token_idle_lifetime if kind is TokenKind.API else self.web_session_lifetime


def user_by_email(session: Session, email: str) -> User | None:
    return accounts_db.user_by_email(session, email)


@dataclass(frozen=True)
class SignIn:
    """Who signs in, from where, for which kind of token."""

    email: str
    password: str
    address: str  # the client's IP address, as the server sees it
    kind: TokenKind = TokenKind.API


@dataclass(frozen=True)
class _Candidate:
    """The account an e-mail names, read before the slow verify (no session held)."""

    user_id: int
    password_hash: str


def _reserve_attempt(
    session: Session, policy: AuthPolicy, attempt: SignIn, now: datetime
) -> tuple[list[throttle.Reservation], _Candidate | None]:
    """Count the attempt against its e-mail and its address (one short transaction),
    refusing it if either is over its limit; the account, if the e-mail is known."""
    email = attempt.email.strip().lower()[:320]
    limits = {"account": policy.account_failures, "address": policy.address_failures}
    with committed(session):
        reservations = [
            throttle.reserve(session, "account", email, now=now, window=policy.window),
            throttle.reserve(
                session, "address", attempt.address[:320], now=now, window=policy.window
            ),
        ]
        user = accounts_db.user_by_email(session, email)
        candidate = None if user is None else _Candidate(user.id, user.password_hash)
    over = [r for r in reservations if r.failures > limits[r.scope]]
    if over:
        # refused unchecked, so not a failure: only wrong passwords are counted
        with committed(session):
            for reservation in reservations:
                throttle.refund(session, reservation)
        ends = max(r.window_start + policy.window for r in over)
        retry_after = max(1, math.ceil((ends - now).total_seconds()))
        raise TooManyAttempts(
            f"too many failed sign-ins; try again in {retry_after} s", retry_after
        )
    return reservations, candidate


def sign_in(
    session: Session, passwords: Passwords, policy: AuthPolicy, attempt: SignIn, *, now: datetime
) -> tuple[str, User]:
    """A new token of ``attempt.kind`` (shown once) and its user.

    :class:`TooManyAttempts` once the e-mail or the address has failed too often in the
    window (whatever the password); ``Unauthorized`` if they do not match — an unknown
    e-mail costs the same time as a wrong password.
    """
    reservations, candidate = _reserve_attempt(session, policy, attempt, now)
    # outside any transaction: the verify is slow on purpose
    if candidate is None:
        passwords.verify_nothing(attempt.password)
        raise Unauthorized("wrong e-mail or password")
    if not passwords.verify(candidate.password_hash, attempt.password):
        raise Unauthorized("wrong e-mail or password")  # the reservation stays: a failure
    with committed(session):
        for reservation in reservations:
            throttle.refund(session, reservation)
        user = session.get_one(User, candidate.user_id)
        expires_at = now + policy.lifetime(attempt.kind)
        token = accounts_db.issue_token(
            session, user, kind=attempt.kind, now=now, expires_at=expires_at
        )
    return token, user


def authenticate(
    session: Session, policy: AuthPolicy, token: str, kind: TokenKind, *, now: datetime
) -> tuple[User, ApiToken]:
    """The user holding a live ``token`` of ``kind``, and its row.

    ``Unauthorized`` with :data:`SESSION_EXPIRED` past its expiry, else
    :data:`TOKEN_UNKNOWN` (unknown, revoked, or the other kind — not told apart). An API
    token's expiry moves forward on use, written at most once per 1/100 of its window.
    """
    user, row = _live(accounts_db.token_of_kind(session, token, kind), now)
    renewed = _renewal_due(policy, row.expires_at, kind, now)
    if renewed is not None:
        with committed(session):
            accounts_db.extend_token(session, row.id, expires_at=renewed)
    return user, row


def authenticate_reading(
    reads: Session,
    writes: sessionmaker[Session],
    policy: AuthPolicy,
    token: str,
    *,
    now: datetime,
    contract_id: int | None,
) -> TokenHolder:
    """:func:`authenticate` of an API token in a session that only reads
    (``make_read_sessions``), as ids, with the parties of the contract the request names,
    read by the same query. A due renewal is written in a transaction of its own."""
    found = _live_holder(reads, token, now=now, contract_id=contract_id)
    renewed = _renewal_due(policy, found.expires_at, TokenKind.API, now)
    if renewed is not None:
        with unit_of_work(writes) as session:
            accounts_db.extend_token(session, found.token_id, expires_at=renewed)
    return found


def authenticate_writing(
    session: Session, policy: AuthPolicy, token: str, *, now: datetime, contract_id: int
) -> TokenHolder:
    """:func:`authenticate_reading` inside the caller's write transaction, which also
    writes a due renewal (it commits with the caller's work)."""
    found = _live_holder(session, token, now=now, contract_id=contract_id)
    _renew_if_due(session, policy, found.token_id, found.expires_at, now)
    return found


def tokens_of_group(session: Session, tokens: Collection[str]) -> dict[str, TokenUser]:
    """The API tokens among ``tokens`` and their users, read at once for PUTs stored
    together (:func:`authenticate_in_group` takes each PUT's from it)."""
    return accounts_db.token_users(session, tokens, TokenKind.API)


def authenticate_in_group(
    session: Session,
    policy: AuthPolicy,
    group: dict[str, TokenUser],
    token: str,
    *,
    now: datetime,
    contract: Contract | None,
) -> TokenHolder:
    """:func:`authenticate_writing` for a token of ``group`` (read by this transaction),
    on ``contract`` as this transaction read it (``None``: there is none). A renewal
    written is kept in ``group``, so a PUT of the same token after it reads it renewed."""
    user = _unexpired(group.get(token), now)
    renewed = _renew_if_due(session, policy, user.token_id, user.expires_at, now)
    if renewed is not None:
        group[token] = replace(user, expires_at=renewed)
    return TokenHolder(
        user.token_id, user.expires_at, user.user_id, user.user_role,
        None if contract is None else contract.id,
        None if contract is None else contract.freelancer_id,
        None if contract is None else contract.client_id,
    )


def _live_holder(
    session: Session, token: str, *, now: datetime, contract_id: int | None
) -> TokenHolder:
    return _unexpired(accounts_db.token_holder(session, token, TokenKind.API, contract_id), now)


_Read = TypeVar("_Read", TokenHolder, TokenUser)


def _unexpired(found: _Read | None, now: datetime) -> _Read:
    """``found`` if the token is known and not expired (else ``Unauthorized``)."""
    if found is None:
        raise Unauthorized(TOKEN_UNKNOWN)
    if found.expires_at <= now:
        raise Unauthorized(SESSION_EXPIRED)
    return found


def _renew_if_due(
    session: Session, policy: AuthPolicy, token_id: int, expires_at: datetime, now: datetime
) -> datetime | None:
    """Write the API token's renewal if its use makes one due; the new expiry, if so."""
    renewed = _renewal_due(policy, expires_at, TokenKind.API, now)
    if renewed is not None:
        accounts_db.extend_token(session, token_id, expires_at=renewed)
    return renewed


def _live(found: tuple[User, ApiToken] | None, now: datetime) -> tuple[User, ApiToken]:
    """The token's user and row if it is known and not expired (else ``Unauthorized``)."""
    if found is None:
        raise Unauthorized(TOKEN_UNKNOWN)
    user, row = found
    if row.expires_at <= now:
        raise Unauthorized(SESSION_EXPIRED)
    return user, row


def prune_sign_in_throttle(session: Session, now: datetime, policy: AuthPolicy) -> int:
    """The job step that keeps the throttle to the current window's subjects (without
    it every e-mail and address ever tried stays a row)."""
    with committed(session):
        return throttle.prune(session, now=now, window=policy.window)


def _renewal_due(
    policy: AuthPolicy, expires_at: datetime, kind: TokenKind, now: datetime
) -> datetime | None:
    """The expiry an API token's use moves it to, if that is due now."""
    if kind is not TokenKind.API:
        return None
    renewed = now + policy.api_token_idle_lifetime
    if renewed - expires_at >= policy.api_token_idle_lifetime / _RENEW_STEP:
        return renewed
    return None


def sign_out(session: Session, token: ApiToken, *, now: datetime) -> None:
    """Revoke the token (for the companion view: the session its cookie names)."""
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


def contracts_of(session: Session, user: User) -> list[Contract]:
    """The contracts ``user`` is a party to."""
    return contracts_of_db(session, user)
