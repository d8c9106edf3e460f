"""The local store on real SQLite files: layout, durability settings, sync bookkeeping,
and refusal of files it cannot use."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.tracker.conftest import MONDAY, contract
from tracker.shot import EncodedShot
from tracker.store import (
    DATA_DIR_ENV,
    SCHEMA_VERSION,
    CorruptStoreError,
    ForeignSchemaError,
    MinuteActivity,
    Slot,
    SlotConflict,
    SlotNotFound,
    Store,
    resolve_data_dir,
)


def at(hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(hours=hour, minutes=minute)


def encoded(taken_at: datetime, payload: bytes = b"RIFF-fake-webp") -> EncodedShot:
    return EncodedShot(payload, "image/webp", 1920, 1080, b"thumb", "image/jpeg", taken_at)


def slot(start: datetime, minutes: range = range(10), **fields: object) -> Slot:
    return Slot(
        contract_id=7,
        slot_start=start,
        memo="memo",
        minutes=tuple(MinuteActivity(i, i, 2 * i) for i in minutes),
        **fields,  # type: ignore[arg-type]
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_is_wal_full_sync_versioned_and_files_are_private(tmp_path: Path) -> None:
    with Store(tmp_path / "data", TEST_SHOT_KEYS) as store:
        shot = store.save_shot(7, at(9), encoded(at(9, 4)))
        store.write_slot(slot(at(9), shot=shot, shot_state="taken"))
        conn = sqlite3.connect(store.db_path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()
        assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert mode(shot.path) == 0o600 and mode(shot.thumbnail_path) == 0o600
        for directory in (
            store.data_dir,
            store.shots_dir,
            shot.path.parent,
            shot.path.parent.parent,
        ):
            assert mode(directory) == 0o700
        assert not [p for p in store.shots_dir.rglob("*.tmp")]
        assert store.read_shot(slot(at(9), shot=shot)) == b"RIFF-fake-webp"
    with Store(tmp_path / "data", TEST_SHOT_KEYS) as reopened:
        again = reopened.get_slot(7, at(9))
        assert again is not None and again.shot == shot
        assert again.minutes[3] == MinuteActivity(3, 3, 6)


def test_data_dir_comes_from_argument_then_environment_then_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_dir() == tmp_path / "from-env"
    monkeypatch.delenv(DATA_DIR_ENV)
    assert resolve_data_dir().name == "Workdiary"


def test_writing_a_slot_again_merges_minutes_and_keeps_the_first_shot(tmp_path: Path) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        first = store.save_shot(7, at(9), encoded(at(9, 2), b"first"))
        second = store.save_shot(7, at(9), encoded(at(9, 8), b"second"))
        store.write_slot(slot(at(9), range(0, 4), shot=first, shot_state="taken"))
        merged = store.write_slot(slot(at(9), range(3, 9), shot=second, shot_state="taken"))
        assert [m.index for m in merged.minutes] == list(range(9))
        assert merged.minutes[3] == MinuteActivity(3, 3, 6)
        assert merged.shot == first
        assert not second.path.exists()
        with pytest.raises(SlotConflict, match="manual"):
            store.write_slot(slot(at(9), range(9, 10), manual=True, shot_state="manual"))
        store.mark_synced(7, at(9), at(9, 30))
        with pytest.raises(SlotConflict, match="already synced"):
            store.write_slot(slot(at(9), range(9, 10)))


def test_sync_queue_holds_finished_slots_for_the_hold_window(tmp_path: Path) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        for start in (at(9), at(9, 10), at(9, 20)):
            store.write_slot(slot(start))
        store.write_slot(slot(at(9, 30), idle_hold=True))
        # 09:20 ends 09:30; with the default 10 min hold it may go at 09:40, not before
        queue = store.sync_queue(at(9, 39))
        assert [s.slot_start for s in queue] == [at(9), at(9, 10)]
        assert len(store.sync_queue(at(9, 40))) == 3
        assert [s.slot_start for s in store.sync_queue(at(9, 40), hold=timedelta(0))] == [
            at(9),
            at(9, 10),
            at(9, 20),
        ]
        assert store.sync_queue(at(9, 40), hold=timedelta(hours=1)) == []
        with pytest.raises(ValueError, match="0–24 h"):
            store.sync_queue(at(9, 40), hold=timedelta(hours=25))
        store.mark_synced(7, at(9), at(9, 41))
        store.mark_rejected(7, at(9, 10), "week locked")
        assert [s.slot_start for s in store.sync_queue(at(12))] == [at(9, 20)]
        rejected = store.get_slot(7, at(9, 10))
        assert rejected is not None and rejected.sync_reason == "week locked"
        store.mark_over_limit(7, at(9, 20), True)
        assert store.get_slot(7, at(9, 20)).over_limit  # type: ignore[union-attr]
        with pytest.raises(SlotNotFound):
            store.mark_synced(7, at(20), at(21))


def test_deleting_unsynced_removes_everything_and_synced_leaves_a_tombstone(tmp_path: Path) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        for start in (at(9), at(9, 10)):
            shot = store.save_shot(7, start, encoded(start))
            store.write_slot(slot(start, shot=shot, shot_state="taken"))
        store.mark_synced(7, at(9, 10), at(9, 30))
        unsynced = store.delete_slot(7, at(9), now=at(10))
        synced = store.delete_slot(7, at(9, 10), now=at(10))
        assert unsynced.shot is not None and not unsynced.shot.path.exists()
        assert synced.shot is not None and not synced.shot.path.exists()
        assert store.get_slot(7, at(9)) is None
        tombstone = store.get_slot(7, at(9, 10))
        assert tombstone is not None and tombstone.deleted_at == at(10) and tombstone.minutes == ()
        assert [s.slot_start for s in store.pending_deletions()] == [at(9, 10)]
        assert store.week_minutes(MONDAY) == {}
        assert store.slots_between(at(0), at(23)) == []
        store.mark_deletion_synced(7, at(9, 10))
        assert store.get_slot(7, at(9, 10)) is None and store.pending_deletions() == []
        with pytest.raises(SlotNotFound):
            store.delete_slot(7, at(9), now=at(10))


def test_removing_minutes_from_a_synced_slot_marks_it_for_replacement(tmp_path: Path) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        store.write_slot(slot(at(9)))
        store.mark_synced(7, at(9), at(9, 30))
        changed = store.remove_minutes(7, at(9), [7, 8, 9], now=at(10))
        assert changed is not None and changed.minute_count == 7
        assert changed.sync_state == "pending" and changed.replaces_synced
        assert store.remove_minutes(7, at(9), range(7), now=at(10)) is None
        assert [s.slot_start for s in store.pending_deletions()] == [at(9)]


def test_diary_by_local_day_and_week_minutes_per_contract(tmp_path: Path) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        store.write_slot(slot(at(22, 50)))  # Monday 23:50 in Berlin
        store.write_slot(slot(at(23, 0)))  # Tuesday 00:00 in Berlin
        store.write_slot(Slot(8, at(23, 0), "other", (MinuteActivity(0),)))
        berlin = ZoneInfo("Europe/Berlin")
        monday = store.diary_day(date(2026, 11, 23), berlin)
        tuesday = store.diary_day(date(2026, 11, 24), berlin, contract_id=7)
        assert [s.slot_start for s in monday] == [at(22, 50)]
        assert [s.slot_start for s in tuesday] == [at(23, 0)]
        assert store.week_minutes(MONDAY) == {7: 20, 8: 1}
        assert store.week_minutes(MONDAY + timedelta(days=7)) == {}


def test_contract_cache_and_settings_survive_a_restart(tmp_path: Path) -> None:
    fetched = datetime(2026, 11, 23, 8, tzinfo=UTC)
    cached = contract(
        weekly_cap_minutes=2400,
        server_week_minutes=95,
        server_week_start=MONDAY,
        fetched_at=fetched,
    )
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        store.save_contracts([cached, contract(id=9, title="Beta", weekly_cap_minutes=None)])
        store.set_setting("idle_threshold_minutes", "15")
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        assert store.contract(7) == cached
        assert [c.id for c in store.contracts()] == [7, 9]
        assert store.get_setting("idle_threshold_minutes") == "15"
        assert store.get_setting("missing") is None


def test_orphan_shot_files_are_removed(tmp_path: Path) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        kept = store.save_shot(7, at(9), encoded(at(9)))
        store.write_slot(slot(at(9), shot=kept, shot_state="taken"))
        orphan = store.save_shot(7, at(9, 10), encoded(at(9, 12)))
        leftover = orphan.path.with_name(".half-written.tmp")
        leftover.write_bytes(b"x")
        removed = store.remove_orphan_shot_files()
        assert set(removed) == {orphan.path, orphan.thumbnail_path, leftover}
        assert kept.path.exists() and kept.thumbnail_path.exists()


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all\n" * 50, b"SQLite format 3\x00" + b"\xff" * 4080],
    ids=["text", "bad-pages"],
)
def test_corrupt_database_is_reported_with_its_name_and_left_untouched(
    tmp_path: Path, content: bytes
) -> None:
    tmp_path.joinpath("tracker.sqlite3").write_bytes(content)
    with pytest.raises(CorruptStoreError) as caught:
        Store(tmp_path, TEST_SHOT_KEYS)
    assert str(tmp_path / "tracker.sqlite3") in str(caught.value)
    assert tmp_path.joinpath("tracker.sqlite3").read_bytes() == content
    assert not tmp_path.joinpath("shots").exists()


def test_foreign_schema_version_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "tracker.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE slots (x)")
    conn.execute("PRAGMA user_version=99")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(ForeignSchemaError, match=r"schema version 99") as caught:
        Store(tmp_path, TEST_SHOT_KEYS)
    assert caught.value.path == path and str(path) in str(caught.value)
    assert path.read_bytes() == before
    assert not (tmp_path / "tracker.sqlite3-wal").exists()


def test_unrelated_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tracker.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(ForeignSchemaError, match="version 0"):
        Store(tmp_path, TEST_SHOT_KEYS)
    assert path.read_bytes() == before


def test_schema_1_database_gains_the_clock_jump_flag_and_keeps_its_slots(tmp_path: Path) -> None:
    with Store(tmp_path / "data", TEST_SHOT_KEYS) as store:
        store.write_slot(slot(at(9)))
        db_path = store.db_path
    conn = sqlite3.connect(db_path)  # make it the schema-1 file an older build wrote
    conn.execute("ALTER TABLE slots DROP COLUMN clock_jump")
    conn.execute("ALTER TABLE slots DROP COLUMN server_may_hold")  # schema 1 had neither
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    with Store(tmp_path / "data", TEST_SHOT_KEYS) as store:
        kept = store.get_slot(7, at(9))
        assert kept is not None and kept.minute_count == 10 and not kept.clock_jump
        store.write_slot(slot(at(9, 10), clock_jump=True))
        jumped = store.get_slot(7, at(9, 10))
        assert jumped is not None and jumped.clock_jump
        version = store._conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION == 6  # 1 -> 2 -> 3 -> 4 -> 5 -> 6
