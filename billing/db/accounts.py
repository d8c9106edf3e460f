"""Users and their tokens: revocable, expiring bearer tokens and web sessions.

Only a token's SHA-256 is stored. Whether a token is still good is the caller's
question (``billing.services.accounts``): this module finds the row and moves it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import false, select, update
from sqlalchemy.orm import Session

from billing.db.errors import Conflict, Invalid
from billing.db.models import ApiToken, Contract, Role, TokenKind, User
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


def token_with_contract(
    session: Session, token: str, kind: TokenKind, contract_id: int | None
) -> tuple[User, ApiToken, Contract | None] | None:
    """:func:`token_of_kind` and, by the same query, the contract ``contract_id`` (``None``
    if there is none): while the caller holds it, the session's ``get`` finds it."""
    named = false() if contract_id is None else Contract.id == contract_id
    row = session.execute(
        select(User, ApiToken, Contract)
        .join(ApiToken, ApiToken.user_id == User.id)
        .outerjoin(Contract, named)
        .where(
            ApiToken.token_sha256 == _token_digest(token),
            ApiToken.kind == kind.value,
            ApiToken.revoked_at.is_(None),
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def extend_token(session: Session, token: ApiToken, *, expires_at: datetime) -> bool:
    """Move the token's expiry forward to ``expires_at`` (never back); whether it moved."""
    moved = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id, ApiToken.expires_at < expires_at)
        .values(expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def revoke_token(session: Session, token: ApiToken, now: datetime) -> None:
    token.revoked_at = now
    session.flush()
