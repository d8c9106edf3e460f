"""Slot rows and the week's running totals: the statements ingest, deletion and the
diary are made of. What is accepted, and how minutes split over the cap, is decided in
``billing.domain``; ``billing.services.hourly`` puts the two together.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias, cast

from sqlalchemy import Integer, Row, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from billing.db.errors import NotFound
from billing.db.models import ContractWeek, DisputeSlot, Slot
from billing.db.prepared import Prepared
from billing.db.session import core
from billing.db.slot_partitions import in_week
from billing.domain.weeks import as_utc


@dataclass(frozen=True)
class WeekTotals:
    """A contract-week's running totals as read when its row was locked."""

    logged_minutes: int
    billable_minutes: int
    closed: bool


# The ingest path's statements are built once, with named parameters: building a
# statement and its cache key each call cost more than running it (a single PUT runs
# each once). Table columns, not ORM attributes: they are plain Core statements.
_WEEK_TABLE = cast(Table, ContractWeek.__table__)
_SLOT_TABLE = cast(Table, Slot.__table__)
_WEEKS = _WEEK_TABLE.c
_SLOTS = _SLOT_TABLE.c


def _touch_statement(module: Any) -> Any:
    statement = (
        module.insert(_WEEK_TABLE)
        .values(
            contract_id=bindparam("p_contract"),
            week_start=bindparam("p_week"),
            logged_minutes=0,
            billable_minutes=0,
            closed=False,
        )
        .on_conflict_do_update(
            index_elements=[_WEEKS.contract_id, _WEEKS.week_start],
            set_={"logged_minutes": _WEEKS.logged_minutes},
        )
        .returning(_WEEKS.logged_minutes, _WEEKS.billable_minutes, _WEEKS.closed)
    )
    return statement


_TOUCH = {
    "postgresql": Prepared(_touch_statement(postgresql)),
    "sqlite": Prepared(_touch_statement(sqlite)),
}


def touch_totals(session: Session, contract_id: int, week: datetime) -> WeekTotals:
    """Create-or-lock the week's totals row in one statement and read it.

    ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: on PostgreSQL the update takes the
    row lock, which serialises every change to one contract's week across servers;
    SQLite's ``BEGIN IMMEDIATE`` already serialises writers.
    """
    connection = core(session)
    statement = _TOUCH[connection.dialect.name]
    (row,) = statement.rows(connection, {"p_contract": contract_id, "p_week": week})
    return WeekTotals(int(row[0]), int(row[1]), bool(row[2]))


def lock_week_totals(session: Session, contract_id: int, week: datetime) -> ContractWeek:
    """The contract's running totals for ``week`` (ORM row), created if needed, locked."""
    touch_totals(session, contract_id, week)
    return session.scalars(
        select(ContractWeek)
        .where(ContractWeek.contract_id == contract_id, ContractWeek.week_start == week)
        .execution_options(populate_existing=True)
    ).one()


_ADD_TO_TOTALS = Prepared(
    update(_WEEK_TABLE)
    .where(_WEEKS.contract_id == bindparam("p_contract"), _WEEKS.week_start == bindparam("p_week"))
    .values(
        logged_minutes=_WEEKS.logged_minutes + bindparam("p_logged", type_=Integer),
        billable_minutes=bindparam("p_billable", type_=Integer),
    )
)


def add_to_totals(
    session: Session, contract_id: int, week: datetime, *, logged_added: int, billable: int
) -> None:
    """Add newly stored minutes to the week: ``billable`` is the week's new billable total."""
    _ADD_TO_TOTALS.rows(
        core(session),
        {"p_contract": contract_id, "p_week": week, "p_logged": logged_added,
         "p_billable": billable},
    )


# what ingest reads of a held slot: start, id, body hash, deleted at, over-limit, shot hash, key
HeldSlot: TypeAlias = (
    "Row[datetime, int, str, datetime | None, int, str | None, str | None, str | None]"
)

HELD_COLUMNS = (
    _SLOTS.slot_start,
    _SLOTS.id,
    _SLOTS.body_sha256,
    _SLOTS.deleted_at,
    _SLOTS.over_limit_minutes,
    _SLOTS.shot_sha256,
    _SLOTS.shot_blob_key,
    _SLOTS.shot_note,
)
_HELD = select(*HELD_COLUMNS).where(
    _SLOTS.contract_id == bindparam("p_contract"),
    _SLOTS.slot_start.in_(bindparam("p_starts", expanding=True)),
)
# one start (a single PUT): no expanding IN, whose parameters are rendered on every use
_HELD_AT = select(*HELD_COLUMNS).where(
    _SLOTS.contract_id == bindparam("p_contract"), _SLOTS.slot_start == bindparam("p_start")
)
_INSERT_SLOTS = insert(_SLOT_TABLE)


def held_slots(
    session: Session, contract_id: int, starts: Collection[datetime]
) -> dict[datetime, HeldSlot]:
    """What is already held at these starts (deleted slots included), by start."""
    if not starts:
        return {}
    if len(starts) == 1:
        (start,) = starts
        rows = core(session).execute(_HELD_AT, {"p_contract": contract_id, "p_start": start})
    else:
        rows = core(session).execute(_HELD, {"p_contract": contract_id, "p_starts": list(starts)})
    return {row.slot_start: row for row in rows}


def _insert_new_statement(module: Any) -> Any:
    return (
        module.insert(_SLOT_TABLE)
        .on_conflict_do_nothing(index_elements=[_SLOTS.contract_id, _SLOTS.slot_start])
        .returning(_SLOTS.id)
    )


NEW_SLOT_COLUMNS = (
    "contract_id", "slot_start", "week_start", "minutes", "active_minutes", "activity",
    "memo", "manual", "shot_taken_at", "shot_sha256", "shot_note", "clock_jump",
    "capture_source", "activity_source", "shot_blob_key", "over_limit_minutes",
    "body_sha256", "received_at", "verified", "chain_hash",
)
"""The columns ingest gives a new slot (the keys of its row)."""

_INSERT_NEW = {
    "postgresql": Prepared(_insert_new_statement(postgresql), NEW_SLOT_COLUMNS),
    "sqlite": Prepared(_insert_new_statement(sqlite), NEW_SLOT_COLUMNS),
}


def insert_new_slot(session: Session, row: dict[str, object]) -> bool:
    """Insert ``row`` (keys: :data:`NEW_SLOT_COLUMNS`) unless a slot, deleted or not, is
    held at its start already: whether it was inserted. One statement where a look-up
    first and the insert took two."""
    connection = core(session)
    return bool(_INSERT_NEW[connection.dialect.name].rows(connection, row))


def insert_slots(session: Session, rows: Sequence[dict[str, object]]) -> None:
    """New slot rows; their keys are the ``slots`` table's column names."""
    if rows:
        core(session).execute(_INSERT_SLOTS, list(rows))


def slot_at(
    session: Session, contract_id: int, slot_start: datetime, *, for_update: bool = False
) -> Slot | None:
    """The slot held at ``slot_start``, deleted or not; ``for_update`` locks its row until
    the transaction ends (PostgreSQL; SQLite's write lock is already the database's) and
    reloads it, so what a waiter reads is what the lock holder committed."""
    query = select(Slot).where(
        Slot.contract_id == contract_id, Slot.slot_start == as_utc(slot_start)
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def live_slot(
    session: Session, contract_id: int, slot_start: datetime, *, for_update: bool = False
) -> Slot:
    slot = slot_at(session, contract_id, slot_start, for_update=for_update)
    if slot is None or slot.deleted_at is not None:
        raise NotFound("no such slot on this contract")
    return slot


def name_shot(session: Session, slot: Slot, key: str, *, expired_note: str) -> bool:
    """Name blob ``key`` as ``slot``'s shot in one UPDATE, if the row still takes it: live,
    the same sha256, its shot not removed by retention (``expired_note``), not named
    ``key`` already. The UPDATE takes the row lock (PostgreSQL), as a delete does, and
    reads the row as committed. False: nothing changed (the caller reads why)."""
    named = session.execute(
        update(Slot)
        .where(
            Slot.id == slot.id,
            Slot.slot_start == slot.slot_start,  # the partition
            Slot.deleted_at.is_(None),
            Slot.shot_sha256 == slot.shot_sha256,
            or_(Slot.shot_note.is_(None), Slot.shot_note != expired_note),
            or_(Slot.shot_blob_key.is_(None), Slot.shot_blob_key != key),
        )
        .values(shot_blob_key=key)
        .execution_options(synchronize_session=False)
    )
    return bool(named.rowcount)  # type: ignore[attr-defined]


def slot_by_id(session: Session, contract_id: int, slot_id: int) -> Slot | None:
    slot = session.get(Slot, slot_id) if 0 < slot_id < 2**63 else None
    return slot if slot is not None and slot.contract_id == contract_id else None


def live_slots_of_week(session: Session, contract_id: int, week: datetime) -> list[Slot]:
    """The week's undeleted slots in arrival order."""
    return list(
        session.scalars(
            select(Slot)
            .where(
                Slot.contract_id == contract_id,
                Slot.week_start == week,
                *in_week(week),
                Slot.deleted_at.is_(None),
            )
            .order_by(Slot.id)
        )
    )


def diary(
    session: Session, contract_id: int, start: datetime, end: datetime
) -> list[tuple[Slot, int | None]]:
    """Undeleted slots in ``[start, end)`` with the id of the dispute each is under."""
    rows = session.execute(
        select(Slot, DisputeSlot.dispute_id)
        .outerjoin(DisputeSlot, DisputeSlot.slot_id == Slot.id)
        .where(
            Slot.contract_id == contract_id,
            Slot.slot_start >= start,
            Slot.slot_start < end,
            Slot.deleted_at.is_(None),
        )
        .order_by(Slot.slot_start)
    )
    return [(row[0], row[1]) for row in rows]


def deleted_in(session: Session, contract_id: int, start: datetime, end: datetime) -> list[Slot]:
    """Deleted slots in ``[start, end)`` (the diary shows them struck out)."""
    return list(
        session.scalars(
            select(Slot).where(
                Slot.contract_id == contract_id,
                Slot.slot_start >= start,
                Slot.slot_start < end,
                Slot.deleted_at.is_not(None),
            )
        )
    )


def starts_of_ids(session: Session, contract_id: int, slot_ids: Collection[int]) -> list[datetime]:
    """The starts of those of ``slot_ids`` that are on the contract."""
    return list(
        session.scalars(
            select(Slot.slot_start).where(Slot.contract_id == contract_id, Slot.id.in_(slot_ids))
        )
    )


def slots_at(session: Session, contract_id: int, starts: Collection[datetime]) -> list[Slot]:
    return list(
        session.scalars(
            select(Slot)
            .where(Slot.contract_id == contract_id, Slot.slot_start.in_(starts))
            .order_by(Slot.slot_start)
        )
    )


def last_slot_start(session: Session, contract_id: int) -> datetime | None:
    """The start of the latest undeleted slot synced for the contract."""
    latest: datetime | None = session.scalar(
        select(func.max(Slot.slot_start)).where(
            Slot.contract_id == contract_id, Slot.deleted_at.is_(None)
        )
    )
    return latest
