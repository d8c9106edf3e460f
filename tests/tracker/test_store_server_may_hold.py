"""The store remembers that the server may hold a slot, from before its first PUT, so a
delete at any later point is a persisted tombstone (real SQLite files, reopened)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.tracker.test_store import at, slot
from tracker.store import SCHEMA_VERSION, SlotNotFound, Store


def test_a_delete_after_the_put_was_sent_is_a_tombstone_that_survives_a_restart(
    tmp_path: Path,
) -> None:
    with Store(tmp_path) as store:
        store.write_slot(slot(at(9)))
        store.write_slot(slot(at(9, 10)))
        store.mark_sending(7, at(9))  # its PUT is on its way; the reply never comes
        store.delete_slot(7, at(9), now=at(10))
        store.delete_slot(7, at(9, 10), now=at(10))  # never sent: simply gone
        with pytest.raises(SlotNotFound):
            store.mark_synced(7, at(9), at(10, 1))  # the late reply changes nothing
        with pytest.raises(SlotNotFound):
            store.mark_rejected(7, at(9), "week locked")
        with pytest.raises(SlotNotFound):
            store.mark_sending(7, at(9, 10))
    with Store(tmp_path) as reopened:
        [tombstone] = reopened.pending_deletions()
        assert (tombstone.slot_start, tombstone.sync_state) == (at(9), "pending")
        assert tombstone.minutes == () and tombstone.server_may_hold
        assert reopened.get_slot(7, at(9, 10)) is None
        reopened.mark_deletion_refused(7, at(9), "not deleted on the server: week locked")
        assert reopened.pending_deletions() == []
        [refused] = reopened.refused_deletions()
        assert refused.sync_reason == "not deleted on the server: week locked"


def test_minutes_lost_during_the_upload_keep_the_slot_pending_for_the_shorter_body(
    tmp_path: Path,
) -> None:
    with Store(tmp_path) as store:
        store.write_slot(slot(at(9)))
        store.mark_sending(7, at(9))
        store.remove_minutes(7, at(9), [8, 9], now=at(10))
        assert store.mark_synced(7, at(9), at(10, 1), sent_minutes=10) is False
        changed = store.get_slot(7, at(9))
        assert changed is not None
        assert (changed.sync_state, changed.replaces_synced, changed.minute_count) == (
            "pending",
            True,
            8,
        )
        assert store.mark_synced(7, at(9), at(10, 2), sent_minutes=8) is True
        assert store.get_slot(7, at(9)).sync_state == "synced"  # type: ignore[union-attr]


def test_a_version_1_store_is_upgraded_in_place_and_its_tombstones_still_go_out(
    tmp_path: Path,
) -> None:
    with Store(tmp_path) as store:
        for start in (at(9), at(9, 10), at(9, 20)):
            store.write_slot(slot(start))
        store.mark_synced(7, at(9), at(9, 30))
        store.mark_synced(7, at(9, 10), at(9, 30))
        path = store.db_path
    # make it the file a version-1 build left: no column, tombstones waiting as 'synced'
    key = slot(at(9, 10)).key
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE slots DROP COLUMN server_may_hold")
    conn.execute("ALTER TABLE slots DROP COLUMN clock_jump")  # schema 1 had neither
    conn.execute("DELETE FROM slot_minutes WHERE slot_start = ?", (key,))
    conn.execute("UPDATE slots SET deleted_at = ? WHERE slot_start = ?", (at(10).isoformat(), key))
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    with Store(tmp_path) as upgraded:
        version = upgraded._conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION == 6  # 1 -> 2 -> 3 -> 4 -> 5 -> 6
        assert [s.slot_start for s in upgraded.pending_deletions()] == [at(9, 10)]
        synced, pending = upgraded.get_slot(7, at(9)), upgraded.get_slot(7, at(9, 20))
        assert synced is not None and synced.server_may_hold
        assert pending is not None and not pending.server_may_hold
