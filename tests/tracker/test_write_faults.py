"""The store cannot be written — locked, disk full, read-only — and no tracked minute is
lost: finished slots stay in memory, the write is retried every minute, the session
says why at once and says so again when writing works (DOMAIN.md, "Never lose tracked
time"). Real ``TrackingSession`` + real ``Store``; the faults are real too: another
connection's write lock, a full 4 MiB tmpfs, a read-only mount."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.tracker.conftest import MONDAY, Rig, contract
from tests.tracker.mounts import fill, remount, tmpfs
from tracker import events as ev
from tracker.store import Slot, Store

M = timedelta(minutes=1)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return MONDAY + timedelta(hours=hour, minutes=minute, seconds=second)


@contextlib.contextmanager
def write_lock_held(store: Store) -> Iterator[None]:
    """Another connection holds the database's write lock, as a second process would."""
    # the store waits up to 5 s for a lock; a short wait keeps the test fast, same error
    store._conn.execute("PRAGMA busy_timeout=20")
    other = sqlite3.connect(store.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def stored_slots(store: Store) -> list[Slot]:
    return store.slots_between(MONDAY, MONDAY + timedelta(days=7))


def minutes_lost(rig: Rig) -> int:
    """Minutes the session credited (MinuteTracked) that are not in the store."""
    credited = {event.minute_start for event in rig.recorder.of(ev.MinuteTracked)}
    stored = {
        slot.slot_start + minute.index * M
        for slot in stored_slots(rig.store)
        for minute in slot.minutes
    }
    assert stored <= credited, "the store holds minutes nobody tracked"
    return len(credited - stored)


def test_one_locked_write_at_a_slot_end_keeps_tracking_and_loses_no_minute(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig()  # 08:57:20
    rig.session.start(contract(), "api")
    rig.run_until(at(9, 9, 59))
    with write_lock_held(rig.store):
        rig.run(1)  # 09:10:00: slot 09:00 ends and cannot be written
        failed = rig.recorder.of(ev.StoreWriteFailed)
        assert [(f.cause, f.at, f.unsaved_slots, f.unsaved_minutes) for f in failed] == [
            ("database is locked", at(9, 10), 1, 10)
        ]
        assert rig.store.get_slot(7, at(9, 0)) is None
        assert rig.session.write_fault is not None
        assert [s.slot_start for s in rig.session.unsaved_slots()] == [at(9, 0)]
        rig.run(30)
    assert rig.session.status().slot_start == at(9, 10)  # the next slot opened on time
    cap = rig.session.status().cap
    assert cap is not None and cap.used_minutes == 2 + 10  # the unsaved slot counts
    rig.run_until(at(11, 57, 20))
    rig.session.stop()

    recovered = rig.recorder.of(ev.StoreWriteRecovered)
    assert [(r.at, r.saved_slots) for r in recovered] == [(at(9, 11), 1)]  # the retry a minute on
    assert rig.session.write_fault is None and rig.session.unsaved_slots() == []
    assert len(rig.recorder.of(ev.MinuteTracked)) == 179  # 08:58 … 11:56: tracking never paused
    assert minutes_lost(rig) == 0
    assert sum(s.minute_count for s in stored_slots(rig.store)) == 179
    assert len(rig.recorder.of(ev.SlotClosed)) == len(stored_slots(rig.store)) == 19


def test_writes_failing_for_twenty_minutes_are_retried_every_minute(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(start=at(9, 0, 0))
    rig.session.start(contract(screenshots_enabled=False), "api")
    rig.run_until(at(9, 5))
    attempts: list[datetime] = []
    with write_lock_held(rig.store):
        rig.store._conn.set_trace_callback(
            lambda sql: attempts.append(rig.clock.now()) if sql == "BEGIN IMMEDIATE" else None
        )
        rig.run_until(at(9, 25))
        assert [s.slot_start for s in rig.session.unsaved_slots()] == [at(9, 0), at(9, 10)]
        assert sorted(set(attempts)) == [at(9, 10) + n * M for n in range(16)]  # 09:10 … 09:25
        assert len(rig.recorder.of(ev.StoreWriteFailed)) == 1  # one alert, not one a minute
    rig.store._conn.set_trace_callback(None)
    rig.run_until(at(9, 25, 59))
    assert rig.recorder.of(ev.StoreWriteRecovered) == []
    rig.run(1)  # 09:26:00, the next retry: both slots are written
    assert [(r.at, r.saved_slots) for r in rig.recorder.of(ev.StoreWriteRecovered)] == [
        (at(9, 26), 2)
    ]
    rig.run_until(at(10, 0))
    rig.session.stop()
    assert minutes_lost(rig) == 0
    assert [s.minute_count for s in stored_slots(rig.store)] == [10] * 6


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk", "4m") as mounted:
        yield mounted


def test_disk_full_on_a_real_tmpfs_loses_no_minute_and_recovers(
    small_disk: Path, make_rig: Callable[..., Rig]
) -> None:
    rig = make_rig(start=at(9, 0, 0), data_dir=small_disk / "workdiary")
    rig.session.start(contract(), "api")
    rig.run_until(at(10, 0, 30))
    filler = fill(small_disk)
    rig.run_until(at(13, 0, 30))  # three hours on a full disk
    failed = rig.recorder.of(ev.StoreWriteFailed)
    assert failed and failed[0].cause == "disk full" and failed[0].at == at(10, 10)
    assert rig.session.status().tracking
    unavailable = [e for e in rig.recorder.of(ev.CaptureUnavailable) if e.at > at(10, 0, 30)]
    assert unavailable and {e.reason for e in unavailable} == {"shot not saved: disk full"}
    filler.unlink()
    rig.run_until(at(15, 0, 0))
    rig.session.stop()

    assert rig.recorder.of(ev.StoreWriteRecovered)
    assert len(rig.recorder.of(ev.MinuteTracked)) == 360
    assert minutes_lost(rig) == 0
    slots = stored_slots(rig.store)
    assert len(slots) == 36
    full = [s for s in slots if at(10, 10) <= s.slot_start < at(13, 0)]
    assert full and all(s.shot_state == "unavailable" for s in full)
    assert all(s.capture_note == "shot not saved: disk full" for s in full)


@pytest.fixture
def shots_mount(data_dir: Path) -> Iterator[Path]:
    with tmpfs(data_dir / "shots", "4m") as mounted:
        yield mounted


def test_read_only_store_keeps_minutes_in_memory_until_writable_again(
    shots_mount: Path, make_rig: Callable[..., Rig]
) -> None:
    rig = make_rig(start=at(9, 0, 0))
    rig.session.start(contract(), "api")
    rig.run_until(at(9, 20, 30))
    # Shots: a real read-only mount. The database: the kernel refuses to remount a file
    # system read-only while SQLite holds a file on it open for writing (EBUSY), so the
    # open connection is switched to SQLite's own read-only mode, which fails writes
    # with the same SQLITE_READONLY a read-only file gives.
    remount(shots_mount, "ro")
    rig.store._conn.execute("PRAGMA query_only=ON")
    rig.run_until(at(10, 0, 30))
    failed = rig.recorder.of(ev.StoreWriteFailed)
    assert [(f.cause, f.at) for f in failed] == [("read-only", at(9, 30))]
    reasons = {e.reason for e in rig.recorder.of(ev.CaptureUnavailable)}
    assert reasons == {"shot not saved: read-only"}
    remount(shots_mount, "rw")
    rig.store._conn.execute("PRAGMA query_only=OFF")
    rig.run_until(at(10, 30, 0))
    rig.session.stop()
    assert [r.at for r in rig.recorder.of(ev.StoreWriteRecovered)] == [at(10, 1)]
    assert len(rig.recorder.of(ev.MinuteTracked)) == 90
    assert minutes_lost(rig) == 0
    slots = stored_slots(rig.store)
    # 09:20's shot was saved before 09:20:30; 09:30–09:50 could not save theirs
    assert [s.shot_state for s in slots] == ["taken"] * 3 + ["unavailable"] * 3 + ["taken"] * 3


def test_a_slot_written_twice_is_stored_once_with_its_shot(make_rig: Callable[..., Rig]) -> None:
    """A retried write whose first attempt had committed (the error came after) merges
    into itself: same minutes, the shot file kept."""
    rig = make_rig(start=at(9, 0, 0))
    rig.session.start(contract(), "api")
    rig.run_until(at(9, 10, 1))
    slot = rig.store.get_slot(7, at(9, 0))
    assert slot is not None and slot.shot is not None
    again = rig.store.write_slot(slot)
    assert again.minutes == slot.minutes and again.shot == slot.shot
    assert slot.shot.path.exists() and slot.shot.thumbnail_path.exists()
    assert len(stored_slots(rig.store)) == 1
