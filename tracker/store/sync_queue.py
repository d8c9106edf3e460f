"""Sync bookkeeping for ``sync/``: which slots to send, and what the server said.

Each slot has ``sync_state`` pending → synced, or rejected with ``sync_reason``. Before
a slot's first PUT is sent the sync client commits ``server_may_hold``
(:meth:`SyncQueue.mark_sending`): from then on the server may hold the slot whatever
became of the reply. Tombstones wait in :meth:`SyncQueue.pending_deletions` until the
server has confirmed the DELETE (across restarts); a DELETE the server refuses for good
(week locked) leaves the tombstone ``rejected`` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.model import DEFAULT_HOLD, MAX_HOLD, Slot, SlotNotFound
from tracker.slots import SLOT_LENGTH, parse_slot_key, slot_key
from tracker.store.rows import instant_text, key_bound
from tracker.store.slots import SlotTable


@dataclass(frozen=True)
class QueueCounts:
    """How many slots are where, counted in SQL (no rows loaded): for the status line."""

    waiting: int  # past the hold window, not on the server yet (the sync queue)
    deletions: int  # tombstones whose DELETE is still to send
    held: int  # finished, still inside the hold window
    first_held: datetime | None  # the oldest held slot's start
    synced_since: int  # synced slots starting at or after ``since``


class SyncQueue(SlotTable):
    """The upload queue and the marks the uploader leaves on slots."""

    def sync_queue(
        self, now: datetime, hold: timedelta = DEFAULT_HOLD, limit: int | None = None
    ) -> list[Slot]:
        """Finished slots past the hold window (slot end + ``hold`` ≤ now), not synced,
        not rejected, not held for an unanswered idle prompt; oldest first."""
        if not timedelta(0) <= hold <= MAX_HOLD:
            raise ValueError(f"hold window {hold} outside 0–24 h")
        latest_start = now - hold - SLOT_LENGTH
        slots = self._select(
            "sync_state = 'pending' AND deleted_at IS NULL AND idle_hold = 0 AND slot_start <= ?",
            (key_bound(latest_start),),
        )
        return slots if limit is None else slots[:limit]

    def queue_counts(
        self, now: datetime, hold: timedelta, since: datetime
    ) -> QueueCounts:
        """One cheap query for the status line; the same rules as :meth:`sync_queue`."""
        if not timedelta(0) <= hold <= MAX_HOLD:
            raise ValueError(f"hold window {hold} outside 0–24 h")
        due, finished = key_bound(now - hold - SLOT_LENGTH), key_bound(now - SLOT_LENGTH)
        live = "deleted_at IS NULL AND sync_state = 'pending' AND idle_hold = 0"
        with self._lock:  # a read: no write transaction
            row = self._conn.execute(
                f"SELECT SUM({live} AND slot_start <= ?), "
                "SUM(deleted_at IS NOT NULL AND sync_state = 'pending'), "
                f"SUM({live} AND slot_start > ? AND slot_start <= ?), "
                f"MIN(CASE WHEN {live} AND slot_start > ? AND slot_start <= ? "
                "THEN slot_start END), "
                "SUM(deleted_at IS NULL AND sync_state = 'synced' AND slot_start >= ?) "
                "FROM slots",
                (due, due, finished, due, finished, key_bound(since)),
            ).fetchone()
        return QueueCounts(
            waiting=row[0] or 0,
            deletions=row[1] or 0,
            held=row[2] or 0,
            first_held=None if row[3] is None else parse_slot_key(row[3]),
            synced_since=row[4] or 0,
        )

    def pending_deletions(self) -> list[Slot]:
        """Tombstones of slots the server may hold: each needs a DELETE (refused ones,
        ``sync_state`` rejected, are not retried)."""
        return self._select("deleted_at IS NOT NULL AND sync_state = 'pending'", ())

    def refused_deletions(self) -> list[Slot]:
        """Tombstones whose DELETE the server refused for good; ``sync_reason`` says why
        (the server still bills them)."""
        return self._select("deleted_at IS NOT NULL AND sync_state = 'rejected'", ())

    def mark_sending(self, contract_id: int, start: datetime) -> None:
        """Commit that the server may hold this slot from now on: call before its PUT is
        sent, so a later delete always leaves a tombstone. Raises :class:`SlotNotFound`
        if the slot was deleted meanwhile (then send nothing)."""
        self._update(contract_id, start, "server_may_hold=1", (), live_only=True)

    def mark_synced(
        self, contract_id: int, start: datetime, at: datetime, sent_minutes: int | None = None
    ) -> bool:
        """The server holds this slot (and its shot). With ``sent_minutes`` (the minutes
        of the body sent), nothing changes if the slot has since lost minutes: the newer
        body is still to send (returns False). Raises :class:`SlotNotFound` if the slot
        was deleted meanwhile (its tombstone is still to send)."""
        with self._transaction() as conn:  # one transaction: a delete cannot slip between
            current = self._get(contract_id, start)
            if current is None or current.deleted_at is not None:
                raise SlotNotFound(f"no slot {slot_key(start)} for contract {contract_id}")
            if sent_minutes is not None and current.minute_count != sent_minutes:
                return False
            conn.execute(
                "UPDATE slots SET sync_state='synced', sync_reason=NULL, synced_at=?, "
                "replaces_synced=0, server_may_hold=1 WHERE contract_id=? AND slot_start=?",
                (instant_text(at), contract_id, slot_key(start)),
            )
        return True

    def mark_synced_many(
        self, sent: Sequence[tuple[int, datetime, int]], at: datetime
    ) -> list[bool | None]:
        """:meth:`mark_synced` for many ``(contract_id, start, sent_minutes)`` in one
        transaction (one fsync, not one per slot): per slot True (marked), False (it lost
        minutes meanwhile: the newer body is still to send) or None (deleted meanwhile)."""
        outcomes: list[bool | None] = []
        with self._transaction() as conn:
            for contract_id, start, sent_minutes in sent:
                key = slot_key(start)
                row = conn.execute(
                    "SELECT s.deleted_at, COUNT(m.minute) FROM slots s LEFT JOIN slot_minutes m "
                    "USING (contract_id, slot_start) WHERE s.contract_id=? AND s.slot_start=? "
                    "GROUP BY s.contract_id, s.slot_start",
                    (contract_id, key),
                ).fetchone()
                if row is None or row[0] is not None:
                    outcomes.append(None)
                elif row[1] != sent_minutes:
                    outcomes.append(False)
                else:
                    conn.execute(
                        "UPDATE slots SET sync_state='synced', sync_reason=NULL, synced_at=?, "
                        "replaces_synced=0, server_may_hold=1 "
                        "WHERE contract_id=? AND slot_start=?",
                        (instant_text(at), contract_id, key),
                    )
                    outcomes.append(True)
        return outcomes

    def mark_sending_many(self, keys: Sequence[tuple[int, datetime]]) -> list[bool]:
        """:meth:`mark_sending` for many slots in one transaction; per slot False if it
        was deleted meanwhile (then send nothing for it)."""
        with self._transaction() as conn:
            return [
                conn.execute(
                    "UPDATE slots SET server_may_hold=1 "
                    "WHERE contract_id=? AND slot_start=? AND deleted_at IS NULL",
                    (contract_id, slot_key(start)),
                ).rowcount
                > 0
                for contract_id, start in keys
            ]

    def mark_rejected(self, contract_id: int, start: datetime, reason: str) -> None:
        """The server refused the slot for good (e.g. "week locked"). Raises
        :class:`SlotNotFound` if it was deleted meanwhile (its tombstone stays pending)."""
        self._update(
            contract_id, start, "sync_state='rejected', sync_reason=?", (reason,), live_only=True
        )

    def mark_deletion_refused(self, contract_id: int, start: datetime, reason: str) -> None:
        """The server refused the DELETE for good (e.g. "week locked"): keep the
        tombstone with the reason, and stop sending it."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE slots SET sync_state='rejected', sync_reason=? "
                "WHERE contract_id=? AND slot_start=? AND deleted_at IS NOT NULL",
                (reason, contract_id, slot_key(start)),
            )

    def mark_over_limit(self, contract_id: int, start: datetime, over_limit: bool) -> None:
        self._update(contract_id, start, "over_limit=?", (int(over_limit),))

    def mark_deletion_synced(self, contract_id: int, start: datetime) -> None:
        """The server no longer holds the slot: drop the tombstone."""
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM slots WHERE contract_id=? AND slot_start=? AND deleted_at IS NOT NULL",
                (contract_id, slot_key(start)),
            )

    def _update(
        self,
        contract_id: int,
        start: datetime,
        assignments: str,
        params: tuple[object, ...],
        *,
        live_only: bool = False,
    ) -> None:
        where = "contract_id=? AND slot_start=?" + (" AND deleted_at IS NULL" if live_only else "")
        with self._transaction() as conn:
            changed = conn.execute(
                f"UPDATE slots SET {assignments} WHERE {where}",
                (*params, contract_id, slot_key(start)),
            ).rowcount
        if changed == 0:
            raise SlotNotFound(f"no slot {slot_key(start)} for contract {contract_id}")
