"""Users and their tokens: revocable, expiring bearer tokens and web sessions.

Only a token's SHA-256 is stored. Whether a token is still good is the caller's
question (``billing.services.accounts``): this module finds the row and moves it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Integer, Table, bindparam, select, update
from sqlalchemy.orm import Session

from billing.db.errors import Conflict, Invalid
from billing.db.models import ApiToken, Contract, Role, TokenKind, User
from billing.db.session import core
from billing.passwords import Passwords


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise Invalid(f"not an e-mail address: {email!r}")
    return email


def create_user(
    session: Session,
    passwords: Passwords,
    *,
    email: str,
    password: str,
    role: Role | str,
    now: datetime,
    display_name: str | None = None,
) -> User:
    """A new user; :class:`Conflict` if the e-mail is taken."""
    email = normalise_email(email)
    role = Role(role)
    if not password:
        raise Invalid("password must not be empty")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with e-mail {email} already exists")
    user = User(
        email=email,
        password_hash=passwords.hash(password),
        role=role.value,
        display_name=display_name or email.split("@")[0],
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: Session, user: User, *, kind: TokenKind, now: datetime, expires_at: datetime
) -> str:
    """A new token of ``kind`` for ``user`` (shown once; only its digest is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            token_sha256=_token_digest(token),
            kind=kind.value,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return token


def token_of_kind(session: Session, token: str, kind: TokenKind) -> tuple[User, ApiToken] | None:
    """The unrevoked token row of ``kind`` and its user, expired or not; ``None`` for an
    unknown or revoked token, or one of the other kind."""
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_sha256 == _token_digest(token),
            ApiToken.kind == kind.value,
            ApiToken.revoked_at.is_(None),
        )
    ).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True)
class TokenHolder:
    """What a hot route's authorization reads of a token, its user and the contract the
    request names (``contract_*`` ``None``: there is no such contract)."""

    token_id: int
    expires_at: datetime
    user_id: int
    user_role: str
    contract_id: int | None
    freelancer_id: int | None
    client_id: int | None


_USERS = cast(Table, User.__table__)
_TOKENS = cast(Table, ApiToken.__table__)
_CONTRACTS = cast(Table, Contract.__table__)
# one Core statement built once: the single PUT runs it on every request, and reading
# three ORM rows cost more than the query
_TOKEN_HOLDER = (
    select(
        _TOKENS.c.id,
        _TOKENS.c.expires_at,
        _USERS.c.id,
        _USERS.c.role,
        _CONTRACTS.c.id,
        _CONTRACTS.c.freelancer_id,
        _CONTRACTS.c.client_id,
    )
    .select_from(_USERS)
    .join(_TOKENS, _TOKENS.c.user_id == _USERS.c.id)
    .outerjoin(_CONTRACTS, _CONTRACTS.c.id == bindparam("p_contract", type_=Integer))
    .where(
        _TOKENS.c.token_sha256 == bindparam("p_digest"),
        _TOKENS.c.kind == bindparam("p_kind"),
        _TOKENS.c.revoked_at.is_(None),
    )
)


def token_holder(
    session: Session, token: str, kind: TokenKind, contract_id: int | None
) -> TokenHolder | None:
    """:func:`token_of_kind` as ids, and by the same query the contract ``contract_id``'s
    parties (``None`` never names one)."""
    row = core(session).execute(
        _TOKEN_HOLDER,
        {"p_digest": _token_digest(token), "p_kind": kind.value, "p_contract": contract_id},
    ).first()
    return None if row is None else TokenHolder(*row)


@dataclass(frozen=True)
class TokenUser:
    """What authorization reads of a token and its user (the contract apart)."""

    token_id: int
    expires_at: datetime
    user_id: int
    user_role: str


_TOKEN_USERS = (
    select(_TOKENS.c.token_sha256, _TOKENS.c.id, _TOKENS.c.expires_at, _USERS.c.id,
           _USERS.c.role)
    .select_from(_USERS)
    .join(_TOKENS, _TOKENS.c.user_id == _USERS.c.id)
    .where(
        _TOKENS.c.token_sha256.in_(bindparam("p_digests", expanding=True)),
        _TOKENS.c.kind == bindparam("p_kind"),
        _TOKENS.c.revoked_at.is_(None),
    )
)


def token_users(session: Session, tokens: Collection[str], kind: TokenKind) -> dict[str, TokenUser]:
    """The unrevoked tokens of ``kind`` among ``tokens`` and their users, in one query,
    by token (expired ones included: the caller says which are)."""
    digests = {_token_digest(token): token for token in tokens}
    if not digests:
        return {}
    rows = core(session).execute(
        _TOKEN_USERS, {"p_digests": list(digests), "p_kind": kind.value}
    )
    return {digests[row[0]]: TokenUser(*row[1:]) for row in rows}


def extend_token(session: Session, token_id: int, *, expires_at: datetime) -> bool:
    """Move the token's expiry forward to ``expires_at`` (never back); whether it moved."""
    moved = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.expires_at < expires_at)
        .values(expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def revoke_token(session: Session, token: ApiToken, now: datetime) -> None:
    token.revoked_at = now
    session.flush()
