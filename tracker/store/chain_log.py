"""This device's signed diary (``diarychain``) per contract: entries in the order signed.

A slot is signed when it is first committed for sending (beside ``server_may_hold``),
so what the freelancer changes in the hold window (a deleted shot, discarded idle
time) is signed as it is sent. A slot that changes after that gets a new entry, as
does a deletion of a slot the server may hold and a declared gap (a slot lost on this
machine). Every entry is committed before any request carries it; a resend carries
the same entry, so the chain never forks. The signer is passed in by the caller.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from diarychain.chain import ChainEntry, append, from_wire, to_wire
from diarychain.ingest import MAX_RUN
from diarychain.keys import DeviceKey
from diarychain.records import DeletionRecord, GapRecord, Record, SlotRecord
from tracker.model import Slot
from tracker.signed_diary import same_record, slot_record
from tracker.slots import slot_key
from tracker.store.slots import SlotTable

Run = tuple[ChainEntry, ...]  # what one request carries, in chain order


def _kind(record: Record) -> str:
    if isinstance(record, SlotRecord):
        return "slot"
    return "deletion" if isinstance(record, DeletionRecord) else "gap"


def _entry(text: object) -> ChainEntry:
    return from_wire(json.loads(str(text)))


class ChainLog(SlotTable):
    """The chain entries of this store, and which of them the server has answered."""

    def sign_slots(self, slots: Sequence[Slot], key: DeviceKey, now: datetime) -> list[Run]:
        """The run each of ``slots`` (as they will be sent) carries, in one transaction:
        the entries of its contract the server has not answered yet that are not in an
        earlier slot's run, then the slot's own entry (appended if the slot has none
        that records it as it is now)."""
        device = key.public_hex()
        carried: set[str] = set()
        runs: list[Run] = []
        with self._transaction() as conn:
            for slot in slots:
                record = slot_record(slot, now)
                seq, own = self._latest(conn, slot.contract_id, slot.slot_start, device)
                signed = None if own is None else own.record
                if own is None or not isinstance(signed, SlotRecord) or not same_record(
                        signed, record):
                    seq, own = self._append(conn, device, record, key)
                earlier = [e for e in self._unacked(conn, slot.contract_id, device, before=seq)
                           if e.hash not in carried]
                carried.update(e.hash for e in earlier)
                carried.add(own.hash)
                runs.append((*earlier[-(MAX_RUN - 1):], own))
        return runs

    def sign_deletions(self, tombstones: Iterable[Slot], key: DeviceKey, now: datetime) -> None:
        """A signed deletion entry for each tombstone that has none yet."""
        device = key.public_hex()
        with self._transaction() as conn:
            for tombstone in tombstones:
                _, latest = self._latest(conn, tombstone.contract_id, tombstone.slot_start, device)
                if latest is None or not isinstance(latest.record, DeletionRecord):
                    record = DeletionRecord(tombstone.contract_id, tombstone.slot_start, now)
                    self._append(conn, device, record, key)

    def declare_gap(
        self, contract_id: int, slot_start: datetime, reason: str, key: DeviceKey, now: datetime
    ) -> ChainEntry:
        """A signed entry saying the slot at ``slot_start`` was lost on this machine."""
        with self._transaction() as conn:
            record = GapRecord(contract_id, slot_start, reason, now)
            return self._append(conn, key.public_hex(), record, key)[1]

    def unanswered_runs(self, key: DeviceKey) -> dict[int, Run]:
        """Per contract, the entries no answered request carried yet, in chain order (at
        most a run's worth each)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT contract_id, entry FROM chain_entries WHERE acked = 0 AND device_key = ? "
                "ORDER BY seq", (key.public_hex(),)).fetchall()
        runs: dict[int, list[ChainEntry]] = {}
        for contract_id, text in rows:
            runs.setdefault(int(contract_id), []).append(_entry(text))
        return {contract_id: tuple(run[:MAX_RUN]) for contract_id, run in runs.items()}

    def mark_answered(self, hashes: Iterable[str]) -> None:
        """The server answered a request carrying these entries: it holds them."""
        with self._transaction() as conn:
            conn.executemany("UPDATE chain_entries SET acked = 1 WHERE hash = ?",
                             [(digest,) for digest in hashes])

    def chain_entries(self, contract_id: int) -> list[ChainEntry]:
        """The contract's entries in the order signed (every device of this store)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT entry FROM chain_entries WHERE contract_id = ? ORDER BY seq",
                (contract_id,)).fetchall()
        return [_entry(text) for (text,) in rows]

    # --- inside a transaction ----------------------------------------------------------

    def _latest(self, conn: sqlite3.Connection, contract_id: int, start: datetime,
                device: str) -> tuple[int, ChainEntry | None]:
        row = conn.execute(
            "SELECT seq, entry FROM chain_entries WHERE contract_id = ? AND slot_start = ? "
            "AND device_key = ? ORDER BY seq DESC LIMIT 1",
            (contract_id, slot_key(start), device)).fetchone()
        return (0, None) if row is None else (int(row[0]), _entry(row[1]))

    def _append(self, conn: sqlite3.Connection, device: str, record: Record,
                key: DeviceKey) -> tuple[int, ChainEntry]:
        tip = conn.execute(
            "SELECT entry FROM chain_entries WHERE contract_id = ? AND device_key = ? "
            "ORDER BY seq DESC LIMIT 1", (record.contract_id, device)).fetchone()
        entry = append(None if tip is None else _entry(tip[0]), record, key)
        cursor = conn.execute(
            "INSERT INTO chain_entries (contract_id, device_key, slot_start, kind, entry, hash) "
            "VALUES (?,?,?,?,?,?)",
            (record.contract_id, device, slot_key(record.slot_start), _kind(record),
             json.dumps(to_wire(entry), sort_keys=True), entry.hash))
        assert cursor.lastrowid is not None
        return cursor.lastrowid, entry

    def _unacked(self, conn: sqlite3.Connection, contract_id: int, device: str, *,
                 before: int) -> list[ChainEntry]:
        rows = conn.execute(
            "SELECT entry FROM chain_entries WHERE contract_id = ? AND device_key = ? "
            "AND acked = 0 AND seq < ? ORDER BY seq", (contract_id, device, before)).fetchall()
        return [_entry(text) for (text,) in rows]
