"""Slot ingest for a caller that holds no session: each call's transaction reads the
contract again before :mod:`billing.services.hourly` applies the rules (authorization
read it in an earlier transaction, already ended: the contract may have ended or changed
its settings since).

:class:`SlotPuts` stores single-slot PUTs. On SQLite, where writers take turns anyway,
the PUTs that arrive while one transaction commits are stored together in the next one
(group commit): each in a savepoint of its own, so one refused or failed leaves the
others as if it had come alone, and one COMMIT — one fsync with ``synchronous=FULL`` —
answers them all. Every PUT is answered only after the COMMIT that stored it. On
PostgreSQL each PUT is its own transaction (its row locks are its own).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from billing.db import contracts as contracts_db
from billing.db.errors import NotFound
from billing.db.models import Contract
from billing.domain.slots import SlotBody
from billing.services import hourly


def _contract(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:  # contracts are not deleted; said as authorization would
        raise NotFound("contract not found")
    return contract


def put_slot(
    sessions: sessionmaker[Session],
    contract_id: int,
    slot_start: datetime,
    body: SlotBody,
    *,
    now: datetime,
    future_skew: timedelta,
) -> hourly.SlotOutcome:
    """:func:`hourly.put_slot` on the contract as this transaction reads it."""
    with sessions() as session:
        contract = _contract(session, contract_id)
        return hourly.put_slot(
            session, contract, slot_start, body, now=now, future_skew=future_skew
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


@dataclass
class _Put:
    """One waiting PUT: what to store, then its answer."""

    contract_id: int
    slot_start: datetime
    body: SlotBody
    now: datetime
    future_skew: timedelta
    ready: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # this PUT's thread stores the next group
    outcome: hourly.SlotOutcome | None = None
    error: BaseException | None = None

    def answer(self) -> hourly.SlotOutcome:
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


class SlotPuts:
    """The single-slot PUTs of one server process (see the module docstring)."""

    def __init__(self, sessions: sessionmaker[Session], *, together: bool) -> None:
        self._sessions = sessions
        self._together = together
        self._lock = threading.Lock()
        self._waiting: list[_Put] = []
        self._leading = False  # a thread is storing a group

    def put(
        self,
        contract_id: int,
        slot_start: datetime,
        body: SlotBody,
        *,
        now: datetime,
        future_skew: timedelta,
    ) -> hourly.SlotOutcome:
        """:func:`put_slot`, answered once the transaction holding it has committed."""
        if not self._together:
            return put_slot(
                self._sessions, contract_id, slot_start, body, now=now, future_skew=future_skew
            )
        put = _Put(contract_id, slot_start, body, now, future_skew)
        with self._lock:
            self._waiting.append(put)
            if not self._leading:
                self._leading = put.leads = True
                put.ready.set()
        put.ready.wait()
        if put.leads:
            self._lead()
        return put.answer()

    def _lead(self) -> None:
        """Store every PUT waiting now, then hand the lead to the first that came since."""
        with self._lock:
            group, self._waiting = self._waiting, []
        try:
            _store_together(self._sessions, group)
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting[0].leads = True
                    self._waiting[0].ready.set()
                else:
                    self._leading = False
            for put in group:
                if put.outcome is None and put.error is None:
                    put.error = RuntimeError("the slot was not stored")  # interrupted
                put.ready.set()


def _store_together(sessions: sessionmaker[Session], group: list[_Put]) -> None:
    """One transaction for ``group``, each PUT in a savepoint of its own."""
    with sessions() as session:
        try:
            # BEGIN, and the group's contracts and their caps in one query each: failing,
            # it fails every PUT (nothing in the group changes a cap)
            ids = {put.contract_id for put in group}
            contracts = contracts_db.contracts_by_id(session, ids)
            caps = contracts_db.cap_changes_of(session, ids)
            for put in group:
                _stage(session, contracts, caps, put)
            session.commit()
        except Exception as error:
            # nothing of the group was stored; a PUT refused already keeps its refusal
            for put in group:
                if put.error is None:
                    put.outcome, put.error = None, error


def _stage(
    session: Session,
    contracts: dict[int, Contract],
    caps: dict[int, list[tuple[datetime, int | None]]],
    put: _Put,
) -> None:
    try:
        with session.begin_nested():
            contract, skew = contracts.get(put.contract_id), put.future_skew
            if contract is None:  # contracts are not deleted; said as authorization would
                raise NotFound("contract not found")
            staged = hourly.stage_slot(
                session, contract, put.slot_start, put.body, now=put.now, future_skew=skew,
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
