"""Devices and the signed diary entries the server holds (wire contract v2)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from billing.db.models import ChainEntryRow, Device
from diarychain.chain import ChainEntry
from diarychain.records import SlotRecord, record_fields


def device_by_key(session: Session, public_key: str) -> Device | None:
    return session.scalar(select(Device).where(Device.public_key == public_key))


def add_device(session: Session, user_id: int, public_key: str, now: datetime) -> Device:
    device = Device(user_id=user_id, public_key=public_key, registered_at=now)
    session.add(device)
    session.flush()
    return device


def held_hashes(session: Session, device_id: int, hashes: Collection[str]) -> set[str]:
    """Which of ``hashes`` (and of their prev_hashes, the caller passes both) the
    server holds for this device."""
    if not hashes:
        return set()
    rows = session.scalars(
        select(ChainEntryRow.hash).where(
            ChainEntryRow.device_id == device_id, ChainEntryRow.hash.in_(list(hashes))
        )
    )
    return set(rows)


def followed_links(
    session: Session, device_id: int, contract_id: int, prev_hashes: Collection[str]
) -> set[str]:
    """Which of ``prev_hashes`` an entry the server holds on this device's chain for the
    contract already links to (a chain is one line: each is followed at most once)."""
    if not prev_hashes:
        return set()
    rows = session.scalars(
        select(ChainEntryRow.prev_hash).where(
            ChainEntryRow.device_id == device_id,
            ChainEntryRow.contract_id == contract_id,
            ChainEntryRow.prev_hash.in_(list(prev_hashes)),
        )
    )
    return set(rows)


def insert_entries(
    session: Session, device_id: int, contract_id: int, entries: Sequence[ChainEntry],
    now: datetime,
) -> None:
    """Keep ``entries`` (verified, not held yet) with their receipt time ``now``."""
    if not entries:
        return
    session.execute(insert(ChainEntryRow), [
        {
            "device_id": device_id,
            "contract_id": contract_id,
            "kind": "slot" if isinstance(entry.record, SlotRecord) else str(
                record_fields(entry.record)["kind"]),
            "slot_start": entry.record.slot_start,
            "record": record_fields(entry.record),
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
            "signature": entry.signature,
            "client_clock": entry.record.client_clock,
            "received_at": now,
        }
        for entry in entries
    ])


def entries_of_contract(
    session: Session, contract_id: int, start: datetime, end: datetime
) -> list[ChainEntryRow]:
    """The entries recording slots in ``[start, end)``, in the order received."""
    return list(session.scalars(
        select(ChainEntryRow)
        .where(ChainEntryRow.contract_id == contract_id,
               ChainEntryRow.slot_start >= start, ChainEntryRow.slot_start < end)
        .order_by(ChainEntryRow.id)
    ))


def chain_segment(
    session: Session, contract_id: int, start: datetime, end: datetime
) -> list[tuple[ChainEntryRow, str]]:
    """The contract's entries, with their device's key, from the first to the last one
    received that records a slot in ``[start, end)``: a run that links in order even when
    a late slot of another week was signed in between."""
    week = entries_of_contract(session, contract_id, start, end)
    if not week:
        return []
    rows = session.execute(
        select(ChainEntryRow, Device.public_key)
        .join(Device, Device.id == ChainEntryRow.device_id)
        .where(ChainEntryRow.contract_id == contract_id,
               ChainEntryRow.id >= week[0].id, ChainEntryRow.id <= week[-1].id)
        .order_by(ChainEntryRow.id)
    )
    return [(row[0], row[1]) for row in rows]
