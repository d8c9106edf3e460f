"""Who may do what on a contract: the one place authorization is decided.

:func:`role_on_contract` answers "what is this user's role on this contract, and
through what?". The client and the freelancer are parties. An admin is on a contract
only through a dispute assigned to them (a dispute of slots, or an escrow dispute):
while one is open the admin acts on the contract; once all are closed the admin keeps
read-only access to those disputes' own records, nothing else (DOMAIN.md, "Admin
access"). Nobody's role is inferred from the absence of another.

:func:`authorize` turns that answer into a refusal or an :class:`ContractAccess`
(:func:`authorize_parties` the same from the ids a hot route's one query read), and
:func:`contract_dependency` is the FastAPI dependency factory the JSON API and the
companion view both build their contract dependencies with.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from billing.db import assignments
from billing.db.accounts import TokenHolder
from billing.db.errors import Forbidden, NotFound
from billing.db.models import Contract, Role, User
from billing.domain.milestones_model import Actor

ContractId = Annotated[int, Path(ge=1, le=2**31 - 1, description="contract id")]
_READS = frozenset({"GET", "HEAD"})
_ROLE_WORDS = {Role.FREELANCER: "the freelancer", Role.CLIENT: "the client", Role.ADMIN: "an admin"}


class DisputeKind(StrEnum):
    SLOTS = "slots"  # a client's dispute of hourly slots
    ESCROW = "escrow"  # a dispute of a funded milestone's escrow


@dataclass(frozen=True)
class DisputeGrant:
    """An assigned dispute that puts an admin on a contract."""

    kind: DisputeKind
    dispute_id: int
    is_open: bool


@dataclass(frozen=True)
class ContractRole:
    """A user's role on one contract; for an admin, the disputes that grant it."""

    role: Role
    through: tuple[DisputeGrant, ...] = ()

    @property
    def read_only(self) -> bool:
        """An admin whose disputes on the contract are all closed."""
        return self.role is Role.ADMIN and not any(g.is_open for g in self.through)

    @property
    def actor(self) -> Actor:
        """The role as the fixed-price rules name it."""
        return Actor(self.role.value)


@dataclass(frozen=True)
class ContractAccess:
    """A contract and the role the caller holds on it."""

    contract: Contract
    user: User
    role: Role
    on: ContractRole

    @property
    def actor(self) -> Actor:
        return self.on.actor


@dataclass(frozen=True)
class CheckedAccess:
    """The hot routes' authorization, by ids: their own transaction reads the contract
    again (:mod:`billing.services.slot_ingest`). ``now`` is the instant the request was
    authorized at, read once: the route's work uses it too."""

    contract_id: int
    user_id: int
    role: Role
    now: datetime


@dataclass(frozen=True)
class BearerCaller:
    """A request's bearer token and what its route allows, for a route whose own
    transaction checks them (the single slot PUT: one transaction authorizes and stores).
    ``now`` is the request's instant, read once."""

    token: str
    contract_id: int
    allowed: frozenset[Role]
    method: str
    path: str
    now: datetime


@dataclass(frozen=True)
class Parties:
    """What deciding a role reads of a contract and of the caller."""

    contract_id: int
    freelancer_id: int
    client_id: int
    user_id: int
    user_role: str


def _admin_grants(session: Session, user_id: int, contract_id: int) -> tuple[DisputeGrant, ...]:
    slots = assignments.slot_disputes_assigned(session, contract_id, user_id)
    escrow = assignments.escrow_disputes_assigned(session, contract_id, user_id)
    return tuple(
        [DisputeGrant(DisputeKind.SLOTS, ident, is_open) for ident, is_open in slots]
        + [DisputeGrant(DisputeKind.ESCROW, ident, is_open) for ident, is_open in escrow]
    )


def _role_of(session: Session, parties: Parties) -> ContractRole | None:
    if parties.user_id == parties.freelancer_id:
        return ContractRole(Role.FREELANCER)
    if parties.user_id == parties.client_id:
        return ContractRole(Role.CLIENT)
    if parties.user_role == Role.ADMIN:
        grants = _admin_grants(session, parties.user_id, parties.contract_id)
        if grants:
            return ContractRole(Role.ADMIN, grants)
    return None


def _parties(user: User, contract: Contract) -> Parties:
    return Parties(contract.id, contract.freelancer_id, contract.client_id, user.id, user.role)


def role_on_contract(session: Session, user: User, contract: Contract) -> ContractRole | None:
    """The user's role on ``contract`` and what grants it, or ``None`` for a stranger."""
    return _role_of(session, _parties(user, contract))


def author_role(contract: Contract, author: User) -> str:
    """Who wrote a message in a dispute's record: a party, or else the admin moderating it."""
    if author.id == contract.freelancer_id:
        return Role.FREELANCER.value
    if author.id == contract.client_id:
        return Role.CLIENT.value
    return Role.ADMIN.value


def _reads_a_record(on: ContractRole, method: str, path: str) -> bool:
    """Whether a read-only admin's request reads one of their closed disputes' records:
    a slot dispute's own page, or the contract's book, where escrow disputes are kept."""
    if method not in _READS:
        return False
    parts = path.rstrip("/").split("/")
    for grant in on.through:
        if grant.kind is DisputeKind.SLOTS and parts[-2:] == ["disputes", str(grant.dispute_id)]:
            return True
        if grant.kind is DisputeKind.ESCROW and parts[-1] in ("escrow", "milestones"):
            return True
    return False


def authorize(
    session: Session,
    user: User,
    contract_id: int,
    allowed: frozenset[Role],
    *,
    method: str,
    path: str,
) -> ContractAccess:
    """The contract if ``user`` holds one of ``allowed`` on it.

    A stranger gets :class:`NotFound` (the contract's existence is not revealed); a
    party, or an admin, whose role may not do this gets :class:`Forbidden`.
    """
    contract = session.get(Contract, contract_id) if 0 < contract_id < 2**31 else None
    parties = None if contract is None else _parties(user, contract)
    on = authorize_parties(session, parties, allowed, method=method, path=path)
    assert contract is not None
    return ContractAccess(contract=contract, user=user, role=on.role, on=on)


def authorize_parties(
    session: Session,
    parties: Parties | None,
    allowed: frozenset[Role],
    *,
    method: str,
    path: str,
) -> ContractRole:
    """:func:`authorize` on what was read of the contract and the caller (``None``: no
    such contract), for a route that needs their ids only; the same refusals."""
    on = None if parties is None else _role_of(session, parties)
    if on is None:
        raise NotFound("contract not found")
    if on.role not in allowed:
        who = " or ".join(_ROLE_WORDS[r] for r in Role if r in allowed)
        raise Forbidden(f"only {who} on this contract may do this")
    if on.read_only and not _reads_a_record(on, method, path):
        raise Forbidden("the dispute that gave you access is closed; only its record stays")
    return on



def authorize_holder(
    session: Session,
    found: TokenHolder,
    contract_id: int,
    allowed: frozenset[Role],
    *,
    method: str,
    path: str,
    now: datetime,
) -> CheckedAccess:
    """:func:`authorize_parties` on what the token's query read (``found``): the hot
    routes' authorization, as ids."""
    parties = None
    if found.contract_id is not None:
        assert found.freelancer_id is not None and found.client_id is not None
        parties = Parties(
            found.contract_id, found.freelancer_id, found.client_id, found.user_id,
            found.user_role,
        )
    on = authorize_parties(session, parties, allowed, method=method, path=path)
    return CheckedAccess(contract_id, found.user_id, on.role, now)


def contract_dependency(
    session_dependency: Callable[..., Any],
    user_dependency: Callable[..., Any],
    *allowed: Role,
) -> Callable[..., ContractAccess]:
    """A dependency that loads the path's ``contract_id`` for the caller found by
    ``user_dependency`` (bearer token or web session) if they hold one of ``allowed``."""
    roles = frozenset(allowed)

    # Real annotations (no ``from __future__ import annotations`` in this module): FastAPI
    # reads them at runtime, and these name the factory's arguments.
    def dependency(
        request: Request,
        session: Annotated[Session, Depends(session_dependency)],
        user: Annotated[User, Depends(user_dependency)],
        contract_id: ContractId,
    ) -> ContractAccess:
        return authorize(
            session, user, contract_id, roles, method=request.method, path=request.url.path
        )

    return dependency
