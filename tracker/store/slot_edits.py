"""Changing stored slots after the fact: deleting, dropping idle minutes, idle holds.

Deleting a slot the server may hold keeps a *tombstone* row (``deleted_at`` set, minutes
and shot gone, ``sync_state`` pending) until the server has confirmed the DELETE. A slot
the server may hold whose minutes later shrink (idle discarded) gets ``replaces_synced``
and goes back to pending: the server applies the shorter body as an audited shrink.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tracker.model import Slot, SlotNotFound
from tracker.slots import SLOT_LENGTH, slot_key
from tracker.store.rows import instant_text, key_bound, server_may_hold
from tracker.store.slots import SlotTable


class SlotEdits(SlotTable):
    """Deletes and shrinks that keep what the server may hold accounted for."""

    def delete_slot(self, contract_id: int, start: datetime, now: datetime) -> Slot:
        """Delete a slot: its shot files go, its minutes go. A slot the server may hold
        (a PUT of it was sent) stays as a pending tombstone until the server has
        confirmed the DELETE. Returns the slot as it was. Raises :class:`SlotNotFound`."""
        with self._transaction() as conn:
            existing = self._get(contract_id, start)
            if existing is None or existing.deleted_at is not None:
                raise SlotNotFound(f"no slot {slot_key(start)} for contract {contract_id}")
            key = slot_key(start)
            conn.execute(
                "DELETE FROM slot_minutes WHERE contract_id=? AND slot_start=?", (contract_id, key)
            )
            if server_may_hold(existing):
                conn.execute(
                    "UPDATE slots SET deleted_at=?, shot_path=NULL, thumb_path=NULL, "
                    "sync_state='pending', sync_reason=NULL, server_may_hold=1 "
                    "WHERE contract_id=? AND slot_start=?",
                    (instant_text(now), contract_id, key),
                )
            else:
                conn.execute(
                    "DELETE FROM slots WHERE contract_id=? AND slot_start=?", (contract_id, key)
                )
        if existing.shot is not None:
            self.discard_shot_file(existing.shot)
        return existing

    def remove_minutes(
        self, contract_id: int, start: datetime, indices: Sequence[int], now: datetime
    ) -> Slot | None:
        """Take minutes out of a stored slot (idle discarded). A slot left with no minutes
        is deleted with its shot (returns None). A slot the server may hold goes back to
        pending with ``replaces_synced``: its shorter body is sent again."""
        existing = self._get(contract_id, start)
        if existing is None or existing.deleted_at is not None:
            return None
        drop = set(indices)
        remaining = tuple(m for m in existing.minutes if m.index not in drop)
        if len(remaining) == len(existing.minutes):
            return existing
        if not remaining:
            self.delete_slot(contract_id, start, now)
            return None
        with self._transaction() as conn:
            key = slot_key(start)
            conn.executemany(
                "DELETE FROM slot_minutes WHERE contract_id=? AND slot_start=? AND minute=?",
                [(contract_id, key, index) for index in sorted(drop)],
            )
            if server_may_hold(existing) and existing.sync_state != "rejected":
                conn.execute(
                    "UPDATE slots SET sync_state='pending', replaces_synced=1 "
                    "WHERE contract_id=? AND slot_start=?",
                    (contract_id, key),
                )
        return self._get(contract_id, start)

    def set_idle_hold(self, contract_id: int, since: datetime | None, held: bool) -> None:
        """Hold (or release) stored slots of a contract that end after ``since`` (all of
        the contract's slots if ``since`` is None)."""
        bound = "" if since is None else key_bound(since - SLOT_LENGTH)
        with self._transaction() as conn:
            conn.execute(
                "UPDATE slots SET idle_hold=? "
                "WHERE contract_id=? AND slot_start > ? AND deleted_at IS NULL",
                (int(held), contract_id, bound),
            )
