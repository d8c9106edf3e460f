"""Users, password hashing (argon2id) and revocable bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.db.errors import Conflict, Invalid, Unauthorized
from billing.db.models import ApiToken, Role, User
from billing.passwords import Passwords

# A hash to verify against when the e-mail is unknown, so both cases cost the same.
_DUMMY_PASSWORD = "not-a-real-password"




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
    session: Session, passwords: Passwords, *, email: str, password: str, now: datetime
) -> tuple[str, User]:
    """Check the credentials and return a new bearer token (shown once) and its user."""
    user = user_by_email(session, email)
    if user is None:
        passwords.verify(passwords.hash(_DUMMY_PASSWORD), password)
        raise Unauthorized("wrong e-mail or password")
    if not passwords.verify(user.password_hash, password):
        raise Unauthorized("wrong e-mail or password")
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_sha256=_token_digest(token), created_at=now))
    session.flush()
    return token, user


def user_for_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The user a live token belongs to, or ``None`` (unknown or revoked)."""
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == _token_digest(token), ApiToken.revoked_at.is_(None))
    ).first()
    return None if row is None else (row[0], row[1])


def revoke_token(session: Session, token: ApiToken, now: datetime) -> None:
    token.revoked_at = now
    session.flush()
