"""The slot table: writing finished slots (merging a slot written twice) and reading them.

A slot row is written in one transaction when the slot ends or tracking stops, so a
crash loses at most the slot in progress.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from tracker.model import MinuteActivity, Slot
from tracker.shot import ShotFile
from tracker.slots import slot_key
from tracker.store.errors import SlotConflict
from tracker.store.rows import (
    COLUMNS,
    PLACEHOLDERS,
    instant_text,
    key_bound,
    row_to_slot,
    slot_values,
)
from tracker.store.shots import ShotFiles


def _path_of(shot: ShotFile | None) -> Path | None:
    return None if shot is None else shot.path


class SlotTable(ShotFiles):
    """Slot rows and their minutes."""

    def write_slot(self, slot: Slot) -> Slot:
        """Write a finished slot in one transaction and return it as stored.

        If the slot is already stored (tracking stopped and restarted inside one slot),
        the two are merged: minutes already stored win, the stored memo stays, the first
        shot stays (a second shot file is discarded). Raises :class:`SlotConflict` if the
        stored slot is synced, deleted after sync, or manual vs. tracked differs.
        """
        if not slot.minutes:
            raise ValueError(f"slot {slot.key} has no minutes; nothing to write")
        discard: ShotFile | None = None
        with self._transaction() as conn:
            existing = self._get(slot.contract_id, slot.slot_start)
            if existing is None:
                merged = slot
            else:
                merged, discard = self._merge(existing, slot)
                conn.execute(
                    "DELETE FROM slots WHERE contract_id=? AND slot_start=?",
                    (slot.contract_id, slot.key),
                )
            self._insert(merged)
        if discard is not None:
            self.discard_shot_file(discard)
        stored = self.get_slot(slot.contract_id, slot.slot_start)
        assert stored is not None
        return stored

    def _merge(self, existing: Slot, new: Slot) -> tuple[Slot, ShotFile | None]:
        if existing.deleted_at is not None or existing.sync_state == "synced":
            raise SlotConflict(
                self.db_path, f"slot {new.key} of contract {new.contract_id} is already synced"
            )
        if existing.manual != new.manual:
            raise SlotConflict(self.db_path, f"slot {new.key} mixes manual and tracked time")
        have = {minute.index for minute in existing.minutes}
        minutes = tuple(
            sorted(
                existing.minutes + tuple(m for m in new.minutes if m.index not in have),
                key=lambda m: m.index,
            )
        )
        shot, state, note, discard = (
            existing.shot,
            existing.shot_state,
            existing.capture_note,
            # the same slot written again (a retried write that had committed) keeps its shot
            None if new.shot is not None and new.shot.path == _path_of(existing.shot) else new.shot,
        )
        # the capture provenance goes with the shot state it explains
        source = existing.capture_source or new.capture_source
        if existing.shot is None and new.shot is not None:
            shot, state, note, discard = new.shot, new.shot_state, new.capture_note, None
            source = new.capture_source
        elif existing.shot is None and new.shot_state == "unavailable":
            state, note, source = "unavailable", new.capture_note, new.capture_source
        merged = replace(
            existing,
            minutes=minutes,
            shot=shot,
            shot_state=state,
            capture_note=note,
            idle_hold=existing.idle_hold or new.idle_hold,
            clock_jump=existing.clock_jump or new.clock_jump,
            capture_source=source,
        )
        return merged, discard

    def _insert(self, slot: Slot) -> None:
        self._conn.execute(
            f"INSERT INTO slots ({COLUMNS}) VALUES ({PLACEHOLDERS})",
            slot_values(slot, self.data_dir),
        )
        self._conn.executemany(
            "INSERT INTO slot_minutes (contract_id, slot_start, minute, key_events, mouse_events) "
            "VALUES (?,?,?,?,?)",
            [
                (slot.contract_id, slot.key, m.index, m.key_events, m.mouse_events)
                for m in slot.minutes
            ],
        )

    def _select(self, where: str, params: Sequence[object]) -> list[Slot]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {COLUMNS} FROM slots WHERE {where} ORDER BY slot_start, contract_id",
                tuple(params),
            ).fetchall()
            minutes: dict[tuple[int, str], list[MinuteActivity]] = {}
            if rows:
                for contract_id, key, minute, key_events, mouse_events in self._conn.execute(
                    "SELECT contract_id, slot_start, m.minute, m.key_events, m.mouse_events "
                    f"FROM slots JOIN slot_minutes m USING (contract_id, slot_start) WHERE {where} "
                    "ORDER BY m.minute",
                    tuple(params),
                ):
                    minutes.setdefault((int(contract_id), str(key)), []).append(
                        MinuteActivity(int(minute), int(key_events), int(mouse_events))
                    )
        return [
            row_to_slot(
                tuple(row), tuple(minutes.get((int(row[0]), str(row[1])), [])), self.data_dir
            )
            for row in rows
        ]

    def _get(self, contract_id: int, start: datetime) -> Slot | None:
        found = self._select("contract_id=? AND slot_start=?", (contract_id, slot_key(start)))
        return found[0] if found else None

    def get_slot(self, contract_id: int, start: datetime) -> Slot | None:
        """The stored slot (tombstones included), or None."""
        return self._get(contract_id, start)

    def slots_between(
        self,
        start: datetime,
        end: datetime,
        contract_id: int | None = None,
        include_deleted: bool = False,
    ) -> list[Slot]:
        """Slots starting in ``[start, end)``, oldest first."""
        where = "slot_start >= ? AND slot_start < ?"
        params: list[object] = [key_bound(start), key_bound(end)]
        if contract_id is not None:
            where += " AND contract_id = ?"
            params.append(contract_id)
        if not include_deleted:
            where += " AND deleted_at IS NULL"
        return self._select(where, params)

    def diary_day(self, day: date, tz: tzinfo, contract_id: int | None = None) -> list[Slot]:
        """The local diary: slots starting on ``day`` in the user's time zone ``tz``."""
        start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        return self.slots_between(start, end, contract_id)

    def week_minutes(self, week_start: datetime) -> dict[int, int]:
        """Minutes stored per contract in the week from ``week_start`` (tombstones excluded)."""
        end = week_start + timedelta(days=7)
        with self._lock:
            rows = self._conn.execute(
                "SELECT s.contract_id, COUNT(*) FROM slots s JOIN slot_minutes m "
                "ON m.contract_id = s.contract_id AND m.slot_start = s.slot_start "
                "WHERE s.slot_start >= ? AND s.slot_start < ? AND s.deleted_at IS NULL "
                "GROUP BY s.contract_id",
                (key_bound(week_start), key_bound(end)),
            ).fetchall()
        return {int(contract_id): int(count) for contract_id, count in rows}

    def minutes_not_counted_by_server(
        self, contract_id: int, week_start: datetime, server_fetched_at: datetime | None
    ) -> int:
        """Local minutes of the week the server's count (fetched at ``server_fetched_at``)
        cannot include yet: not synced, or synced after the fetch."""
        end = week_start + timedelta(days=7)
        where = (
            "s.contract_id = ? AND s.slot_start >= ? AND s.slot_start < ? AND s.deleted_at IS NULL"
        )
        params: list[object] = [contract_id, key_bound(week_start), key_bound(end)]
        if server_fetched_at is not None:
            where += " AND (s.sync_state != 'synced' OR s.synced_at > ?)"
            params.append(instant_text(server_fetched_at))
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM slots s JOIN slot_minutes m "
                "ON m.contract_id = s.contract_id AND m.slot_start = s.slot_start WHERE " + where,
                tuple(params),
            ).fetchone()
        return int(row[0])
