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

A hot route that does its own work in a session of its own (slot ingest) takes
``FreelancerContractChecked`` instead, with ``SessionsDep`` (the session factory), and
``ReadSessionsDep`` for checks that only read (the shot upload's). It resolves to a
:class:`CheckedAccess` of ids (``.contract_id``, ``.user_id``, ``.role``) and ``.now``,
the request's instant, read once. The token, the contract's parties and the role are
read in one threadpool hop, by one Core query, in a transaction that only reads
(``app.state.read_sessions``: on SQLite no write lock) and has ended when the route runs;
the route's work is one more hop and transaction, so
SQLite's write lock is never held across the event loop. The refusals and their order
are the aliases': 401, then a malformed contract id (422, with the route's other
malformed parameters), 404, 403.

The single slot PUT goes further: ``FreelancerCaller`` (:func:`bearer_caller`) hands the
route the token unchecked, and the transaction that stores the slot authorizes it
(:class:`~billing.services.slot_ingest.SlotPuts`, read off ``app.state``): one hop and
one transaction per PUT.
Its route class, :func:`authorized_first`, checks a malformed request's caller before
answering 422, so the order above holds there too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from billing.access import (
    BearerCaller,
    CheckedAccess,
    ContractId,
    authorize_holder,
    contract_dependency,
)
from billing.access import ContractAccess as ContractAccess  # routes import it from here
from billing.blobs import BlobStore
from billing.clock import Clock
from billing.config import Settings
from billing.db.errors import NotFound, Unauthorized
from billing.db.models import ApiToken, Role, TokenKind, User
from billing.passwords import Passwords
from billing.services.accounts import AuthPolicy, authenticate, authenticate_reading

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

get_session_factory = _wired("session_factory")
get_read_sessions = _wired("read_sessions")

SessionDep = Annotated[Session, Depends(get_session)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
ReadSessionsDep = Annotated[sessionmaker[Session], Depends(get_read_sessions)]
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


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


_NO_BEARER = "a bearer token is required (POST /api/v1/auth/token)"


def _presented_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized(_NO_BEARER)
    return credentials.credentials


def header_token(authorization: str | None) -> str:
    """``_presented_token(await _bearer(request))`` for the request's ``Authorization``
    header, read as ``HTTPBearer`` reads it, without building its credentials model (on
    the single PUT's path that model cost more than the rest of reading the caller)."""
    scheme, _, credentials = (authorization or "").partition(" ")
    credentials = credentials.strip()
    if not (scheme and credentials) or scheme.lower() != "bearer":
        raise _unauthorized(_NO_BEARER)
    return credentials


def _authenticated(
    session: Session, policy: AuthPolicy, token: str, clock: Clock
) -> tuple[User, ApiToken]:
    try:
        return authenticate(session, policy, token, TokenKind.API, now=clock.now())
    except Unauthorized as refused:
        raise _unauthorized(refused.message, "invalid_token") from None


def get_current_token(
    session: SessionDep, clock: ClockDep, policy: AuthPolicyDep, credentials: BearerDep
) -> tuple[User, ApiToken]:
    return _authenticated(session, policy, _presented_token(credentials), clock)


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


_contract_id = TypeAdapter(ContractId)  # the path parameter's own validation


def _path_contract_id(request: Request) -> int | None:
    """The path's ``contract_id`` if it is valid (else the route's parameter says why)."""
    try:
        return _contract_id.validate_python(request.path_params.get("contract_id"))
    except ValidationError:
        return None


def _checked_access(
    state: Any,
    policy: AuthPolicy,
    token: str,
    contract_id: int | None,
    allowed: frozenset[Role],
    where: tuple[str, str],
) -> CheckedAccess | None:
    """Token, contract and role in one short transaction that only reads (on SQLite it
    takes no write lock), ended before this returns. The clock is read once, here."""
    now = state.clock.now()
    with state.read_sessions() as session:
        try:
            # the contract's parties are read by the token's query
            found = authenticate_reading(
                session, state.session_factory, policy, token, now=now, contract_id=contract_id
            )
        except Unauthorized as refused:
            raise _unauthorized(refused.message, "invalid_token") from None
        if contract_id is None:
            return None
        return authorize_holder(
            session, found, contract_id, allowed, method=where[0], path=where[1], now=now
        )


async def _checked(
    request: Request, credentials: HTTPAuthorizationCredentials | None, roles: frozenset[Role]
) -> CheckedAccess | None:
    """:func:`_checked_access` of the request's bearer token, in a worker thread."""
    token = _presented_token(credentials)
    # the policy read here, not as a dependency of its own: one fewer to solve per request
    policy = await get_auth_policy(request)
    return await run_in_threadpool(
        _checked_access,
        request.app.state,
        policy,
        token,
        _path_contract_id(request),
        roles,
        # the path as routed (``request.url`` would build a whole URL for it); the role
        # check reads only its segments, which escaping does not change
        (request.method, request.scope["path"]),
    )


def checked_contract_access(*allowed: Role) -> Callable[..., Awaitable[CheckedAccess]]:
    """:func:`contract_access` for a route working in a session of its own: one threadpool
    hop reads the token, the contract's parties and the caller's role, and ends its
    transaction. The route gets ids (:class:`CheckedAccess`), not rows."""
    roles = frozenset(allowed)

    async def checked(request: Request, credentials: BearerDep) -> CheckedAccess | None:
        return await _checked(request, credentials, roles)

    # the caller is known first (401 before 422), as with the aliases above; a default,
    # not an annotation, names ``checked``: annotations here are resolved as module names
    async def dependency(
        contract_id: ContractId, access: CheckedAccess | None = Depends(checked)
    ) -> CheckedAccess:
        if access is None or access.contract_id != contract_id:  # one validation: never
            raise NotFound("contract not found")
        return access

    return dependency


FreelancerContractChecked = Annotated[
    CheckedAccess, Depends(checked_contract_access(Role.FREELANCER))
]


def bearer_caller(*allowed: Role) -> Callable[..., Awaitable[BearerCaller]]:
    """The bearer token and the path's contract, not yet checked: for a route whose own
    transaction authorizes the caller (``SlotPuts``), raising ``Unauthorized`` (see
    :func:`token_refused`), ``NotFound`` or ``Forbidden``. The route's class is
    :func:`authorized_first` of the same roles, so the refusals keep their order (it
    also answers 401 before 422 when no token came with a malformed contract id)."""
    roles = frozenset(allowed)

    async def caller(request: Request, contract_id: ContractId) -> BearerCaller:
        # the bearer scheme read as its dependency would, without solving one per PUT
        # (the route's document names the scheme: ``BEARER_DOCUMENTED``)
        token = header_token(request.headers.get("Authorization"))
        # the path as routed: the role check reads only its segments; the clock read once
        now = request.app.state.clock.now()
        return BearerCaller(token, contract_id, roles, request.method, request.scope["path"], now)

    return caller


Handler = Callable[[Request], Coroutine[Any, Any, Response]]
"""A route's request handler: the request in, its response out."""

DirectHandler = Callable[[Request, Handler], Coroutine[Any, Any, Response]]
"""A route's own handling of the requests it takes without FastAPI's (see
:func:`authorized_first`), given FastAPI's handler for the others."""


def authorized_first(*allowed: Role, direct: DirectHandler | None = None) -> type[APIRoute]:
    """The route class for a route taking :func:`bearer_caller`: a request it finds
    malformed is authorized before it is answered 422, as ``checked_contract_access``
    does first, so the API's order of refusals holds (401, a malformed contract id, 404,
    403, then the route's other malformed parameters). Only malformed requests pay for
    the separate check; the others are authorized by the route's own transaction.

    ``direct``: the route's own handler, which answers the requests it finds well formed
    and hands every other one to FastAPI's (passed to it), so what FastAPI answers them,
    and the route's document, stay FastAPI's."""
    roles = frozenset(allowed)

    class AuthorizedFirst(APIRoute):
        def get_route_handler(self) -> Handler:
            handler = super().get_route_handler()

            async def authorized_then_handled(request: Request) -> Response:
                try:
                    return await handler(request)
                except RequestValidationError:
                    await _checked(request, await _bearer(request), roles)
                    raise

            if direct is None:
                return authorized_then_handled

            async def handled_directly(request: Request) -> Response:
                return await direct(request, authorized_then_handled)

            return handled_directly

    return AuthorizedFirst


freelancer_caller = bearer_caller(Role.FREELANCER)
FreelancerCaller = Annotated[BearerCaller, Depends(freelancer_caller)]
BEARER_DOCUMENTED: dict[str, Any] = {"security": [{_bearer.scheme_name: []}]}
"""``openapi_extra`` for a route taking :func:`bearer_caller`: the security its document
would show had it taken ``BearerDep``."""


def token_refused(refused: Unauthorized) -> HTTPException:
    """The 401 a refused bearer token gets (as every dependency here answers it)."""
    return _unauthorized(refused.message, "invalid_token")
