"""Slot ingest for a caller that holds no session: each call's transaction reads the
contract again before :mod:`billing.services.hourly` applies the rules (the batch's
authorization read it in an earlier transaction, already ended: the contract may have
ended or changed its settings since).

:class:`SlotPuts` stores single-slot PUTs, and authorizes each in the transaction that
stores it: the token, the contract's parties and the caller's role are read there (one
query), so a PUT costs one worker-thread turn and one transaction, not two. On SQLite,
where writers take turns anyway, the PUTs that arrive while one transaction commits are
stored together in the next one (group commit): each in a savepoint of its own, so one
refused or failed leaves the others as if it had come alone, and one COMMIT (one fsync
with ``synchronous=FULL``) answers them all. Every PUT is answered only after the COMMIT
that stored it. On PostgreSQL each PUT is its own transaction (its row locks are its own).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from billing.access import BearerCaller, CheckedAccess, authorize_holder
from billing.db import contracts as contracts_db
from billing.db.accounts import TokenUser
from billing.db.errors import NotFound
from billing.db.models import Contract
from billing.domain.slots import SlotBody
from billing.services import hourly
from billing.services.accounts import (
    AuthPolicy,
    authenticate_in_group,
    authenticate_writing,
    tokens_of_group,
)

_T = TypeVar("_T")

def _contract(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:  # contracts are not deleted; said as authorization would
        raise NotFound("contract not found")
    return contract


def authorized(session: Session, policy: AuthPolicy, caller: BearerCaller) -> CheckedAccess:
    """The caller's token, the contract's parties and the caller's role, read (and a due
    renewal of the token written) by the transaction that does the caller's work."""
    found = authenticate_writing(
        session, policy, caller.token, now=caller.now, contract_id=caller.contract_id
    )
    return authorize_holder(
        session, found, caller.contract_id, caller.allowed, method=caller.method,
        path=caller.path, now=caller.now,
    )


def put_slot(
    sessions: sessionmaker[Session],
    policy: AuthPolicy,
    caller: BearerCaller,
    slot_start: datetime,
    body: SlotBody,
    *,
    future_skew: timedelta,
) -> hourly.SlotOutcome:
    """:func:`hourly.put_slot` for ``caller``, authorized by the same transaction, on the
    contract as this transaction reads it."""
    with sessions() as session:
        authorized(session, policy, caller)
        contract = _contract(session, caller.contract_id)
        return hourly.put_slot(
            session, contract, slot_start, body, now=caller.now, future_skew=future_skew
        )


def put_slots(
    sessions: sessionmaker[Session],
    contract_id: int,
    items: Sequence[tuple[datetime, SlotBody]],
    *,
    now: datetime,
    future_skew: timedelta,
) -> list[hourly.BatchItemOutcome]:
    """:func:`hourly.put_slots` on the contract as this transaction reads it."""
    with sessions() as session:
        contract = _contract(session, contract_id)
        return hourly.put_slots(session, contract, items, now=now, future_skew=future_skew)


class InThread(Protocol):
    """Runs ``work`` in a worker thread and awaits its result (the web framework's
    threadpool: the caller passes it in)."""

    def __call__(self, work: Callable[[], _T], /) -> Awaitable[_T]: ...


@dataclass
class _Put:
    """One waiting PUT: what to store, then its answer (``answered`` is done once the
    COMMIT that stored it, or its failure, is known)."""

    caller: BearerCaller
    slot_start: datetime
    body: SlotBody
    answered: asyncio.Future[None]
    outcome: hourly.SlotOutcome | None = None
    error: BaseException | None = None

    @property
    def contract_id(self) -> int:
        return self.caller.contract_id

    def answer(self) -> hourly.SlotOutcome:
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


class SlotPuts:
    """The single-slot PUTs of one server process (see the module docstring).

    A waiting PUT holds no thread: it awaits its answer on the event loop. One worker
    thread, the lead, stores group after group while PUTs keep arriving, and answers
    each group (one wake of the loop) once its COMMIT is done."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        policy: AuthPolicy,
        future_skew: timedelta,
        *,
        together: bool,
    ) -> None:
        self._sessions = sessions
        self._policy = policy  # the settings' token lifetimes, and how far ahead a clock
        self._future_skew = future_skew  # may run: fixed for the process, as the settings
        self._together = together
        self._lock = threading.Lock()
        self._waiting: list[_Put] = []
        self._leading = False  # a thread is storing groups
        self._leads: set[asyncio.Future[None]] = set()  # held: the loop keeps no task

    async def put(
        self,
        caller: BearerCaller,
        slot_start: datetime,
        body: SlotBody,
        *,
        in_thread: InThread,
    ) -> hourly.SlotOutcome:
        """:func:`put_slot`, answered once the transaction holding it has committed; a
        caller refused raises ``Unauthorized``, ``NotFound`` or ``Forbidden``."""
        if not self._together:
            return await in_thread(
                partial(
                    put_slot, self._sessions, self._policy, caller, slot_start, body,
                    future_skew=self._future_skew,
                )
            )
        answered = asyncio.get_running_loop().create_future()
        put = _Put(caller, slot_start, body, answered)
        with self._lock:
            self._waiting.append(put)
            lead, self._leading = not self._leading, True
        if lead:
            task = asyncio.ensure_future(in_thread(self._lead))
            self._leads.add(task)
            task.add_done_callback(self._lead_ended)
        await put.answered
        return put.answer()

    def _lead(self) -> None:
        """Store every PUT waiting, group after group, until none is left."""
        while True:
            with self._lock:
                group, self._waiting = self._waiting, []
                if not group:
                    self._leading = False
                    return
            try:
                _store_together(self._sessions, self._policy, self._future_skew, group)
            finally:
                _wake(group)

    def _lead_ended(self, task: asyncio.Future[None]) -> None:
        """A lead that could not run or stopped short (cancelled at shutdown, or an
        error outside any group's transaction) leaves no PUT waiting for ever."""
        self._leads.discard(task)
        if not task.cancelled() and task.exception() is None:
            return
        with self._lock:
            stranded, self._waiting = self._waiting, []
            self._leading = False
        _wake(stranded)


def _wake(group: list[_Put]) -> None:
    """Answer ``group`` on the event loop each PUT waits on (one wake per loop)."""
    for loop in {put.answered.get_loop() for put in group}:
        loop.call_soon_threadsafe(_answer, [p for p in group if p.answered.get_loop() is loop])


def _answer(group: list[_Put]) -> None:
    """Wake the group's PUTs (on their event loop); one with no outcome was not stored."""
    for put in group:
        if put.outcome is None and put.error is None:
            put.error = RuntimeError("the slot was not stored")  # interrupted
        if not put.answered.done():  # its request may have gone
            put.answered.set_result(None)


def _store_together(
    sessions: sessionmaker[Session], policy: AuthPolicy, skew: timedelta, group: list[_Put]
) -> None:
    """One transaction for ``group``: each PUT's caller authorized, then the PUT staged in
    a savepoint of its own."""
    with sessions() as session:
        try:
            # BEGIN, and the group's contracts, their caps and the callers' tokens in one
            # query each: failing, it fails every PUT (nothing in the group changes a cap
            # or a contract's parties; a token's renewal is kept in ``tokens``)
            ids = {put.contract_id for put in group}
            read = _GroupReads(
                contracts_db.contracts_by_id(session, ids),
                contracts_db.cap_changes_of(session, ids),
                tokens_of_group(session, {put.caller.token for put in group}),
            )
            for put in group:
                _stage(session, policy, skew, read, put)
            session.commit()
        except Exception as error:
            # nothing of the group was stored; a PUT refused already keeps its refusal
            for put in group:
                if put.error is None:
                    put.outcome, put.error = None, error


@dataclass
class _GroupReads:
    """What a group's transaction reads once for all its PUTs."""

    contracts: dict[int, Contract]
    caps: dict[int, list[tuple[datetime, int | None]]]
    tokens: dict[str, TokenUser]


def _authorized_in_group(
    session: Session, policy: AuthPolicy, read: _GroupReads, caller: BearerCaller
) -> CheckedAccess:
    """:func:`authorized`, on what the group's transaction read."""
    found = authenticate_in_group(
        session, policy, read.tokens, caller.token, now=caller.now,
        contract=read.contracts.get(caller.contract_id),
    )
    return authorize_holder(
        session, found, caller.contract_id, caller.allowed, method=caller.method,
        path=caller.path, now=caller.now,
    )


def _stage(
    session: Session, policy: AuthPolicy, skew: timedelta, read: _GroupReads, put: _Put
) -> None:
    contracts, caps = read.contracts, read.caps
    try:
        # outside the PUT's savepoint: a token's due renewal stays if the slot is refused
        _authorized_in_group(session, policy, read, put.caller)
    except Exception as refused:  # 401, 404 or 403: nothing of this PUT was written
        put.error = refused
        return
    try:
        with session.begin_nested():
            contract = contracts.get(put.contract_id)
            if contract is None:  # contracts are not deleted; said as authorization would
                raise NotFound("contract not found")
            staged = hourly.stage_slot(
                session, contract, put.slot_start, put.body, now=put.caller.now,
                future_skew=skew,
                cap_changes=caps[contract.id],
            )
    except Exception as error:  # this PUT's failure: its savepoint is undone
        put.error = error
        return
    # a refusal keeps its savepoint (it wrote only the chain entries that verified, kept
    # as a PUT alone keeps them) and is raised to its caller after the group's COMMIT
    try:
        put.outcome = hourly.slot_answer(staged)
    except Exception as refusal:
        put.error = refusal
