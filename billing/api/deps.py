"""FastAPI dependencies: the request's session, clock, settings, caller and contract.

Those doing no I/O are ``async`` so they skip a threadpool hop.

Authorization is decided in one place, :mod:`billing.access`; :func:`contract_access`
builds its dependency for a bearer-token caller: it loads the contract named by the path
parameter ``contract_id`` *and* the caller's role on it. A caller who is not on the
contract gets 404 (its existence is not revealed); a caller whose role may not do the
action gets 403. Routes declare what they need with the typed aliases:

- ``SessionDep`` – a SQLAlchemy ``Session`` for this request (commit explicitly);
- ``ClockDep``, ``SettingsDep``, ``BlobsDep``, ``PasswordsDep`` – the wired adapters;
- ``AuthPolicyDep`` – token lifetimes and sign-in limits from the settings;
- ``CurrentUser`` – the ``User`` behind the bearer token (401 without one, or when it
  expired: ``{"detail": "session expired"}``; a web session's token is no bearer token);
- ``CurrentToken`` – that token's ``ApiToken`` row (to revoke it);
- ``AdminUser`` – ``CurrentUser`` that must be an admin (403 otherwise);
- ``PartyContract`` – freelancer, client, or an admin through an open dispute assigned to
  them (after it closes, a read of that dispute's record only);
- ``ContractParty`` – freelancer or client only;
- ``FreelancerContract`` / ``ClientContract`` / ``AdminContract`` – exactly that role.
Each contract alias resolves to a :class:`ContractAccess` (``.contract``, ``.user``,
``.role``, and ``.on``: the role with the disputes granting it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from billing.access import ContractAccess as ContractAccess  # routes import it from here
from billing.access import contract_dependency
from billing.blobs import BlobStore
from billing.clock import Clock
from billing.config import Settings
from billing.db.errors import Unauthorized
from billing.db.models import ApiToken, Role, TokenKind, User
from billing.passwords import Passwords
from billing.services.accounts import AuthPolicy, authenticate

_bearer = HTTPBearer(auto_error=False, description="token from POST /api/v1/auth/token")


OPEN_SESSIONS = "workdiary.open_sessions"


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; uncommitted work is rolled back when it closes.

    It is also listed in the request scope, so a refusal can roll it back at once (the
    companion view renders the form's page again before this request ends)."""
    with request.app.state.session_factory() as session:
        request.scope.setdefault(OPEN_SESSIONS, []).append(session)
        yield session


def _wired(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency returning the adapter the app factory stored as ``app.state.<name>``."""

    async def wired(request: Request) -> Any:
        return getattr(request.app.state, name)

    return wired


get_clock = _wired("clock")
get_settings = _wired("settings")
get_blobs = _wired("blobs")
get_passwords = _wired("passwords")

SessionDep = Annotated[Session, Depends(get_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BlobsDep = Annotated[BlobStore, Depends(get_blobs)]
PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


async def get_auth_policy(request: Request) -> AuthPolicy:
    """The settings' lifetimes and limits, built once and kept on ``app.state``."""
    state = request.app.state
    policy: AuthPolicy | None = getattr(state, "auth_policy", None)
    if policy is None:
        policy = AuthPolicy.from_settings(state.settings)
        state.auth_policy = policy
    return policy


AuthPolicyDep = Annotated[AuthPolicy, Depends(get_auth_policy)]


def _unauthorized(message: str, error: str | None = None) -> HTTPException:
    # RFC 6750 section 3: say why a presented token was refused
    challenge = "Bearer"
    if error is not None:
        challenge += f' error="{error}", error_description="{message}"'
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": challenge}
    )


def get_current_token(
    session: SessionDep,
    clock: ClockDep,
    policy: AuthPolicyDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> tuple[User, ApiToken]:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("a bearer token is required (POST /api/v1/auth/token)")
    try:
        return authenticate(
            session, policy, credentials.credentials, TokenKind.API, now=clock.now()
        )
    except Unauthorized as refused:
        raise _unauthorized(refused.message, "invalid_token") from None


async def get_current_user(
    found: Annotated[tuple[User, ApiToken], Depends(get_current_token)],
) -> User:
    return found[0]


async def get_token_row(
    found: Annotated[tuple[User, ApiToken], Depends(get_current_token)],
) -> ApiToken:
    return found[1]


CurrentUser = Annotated[User, Depends(get_current_user)]
CurrentToken = Annotated[ApiToken, Depends(get_token_row)]


async def get_admin(user: CurrentUser) -> User:
    if user.role != Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only an admin may do this")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


def contract_access(*allowed: Role) -> Callable[..., ContractAccess]:
    """A dependency that loads ``contract_id`` and checks the caller holds one of ``allowed``
    (decided by :mod:`billing.access`)."""
    return contract_dependency(get_session, get_current_user, *allowed)


PartyContract = Annotated[
    ContractAccess, Depends(contract_access(Role.FREELANCER, Role.CLIENT, Role.ADMIN))
]
ContractParty = Annotated[ContractAccess, Depends(contract_access(Role.FREELANCER, Role.CLIENT))]
FreelancerContract = Annotated[ContractAccess, Depends(contract_access(Role.FREELANCER))]
ClientContract = Annotated[ContractAccess, Depends(contract_access(Role.CLIENT))]
AdminContract = Annotated[ContractAccess, Depends(contract_access(Role.ADMIN))]
