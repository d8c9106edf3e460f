"""The tracking session driven through simulated working time (manual clock, seeded rng)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.tracker.conftest import MONDAY, PictureGrabber, Recorder, Rig, contract
from tracker import events as ev
from tracker.capture import ScreenCapturer
from tracker.clock import ManualClock
from tracker.schedule import shot_instant
from tracker.session import CannotStart, ManualTimeRefused, SessionError, TrackingSession
from tracker.slots import SLOT_LENGTH, slot_end, slot_start
from tracker.store import Store

M = timedelta(minutes=1)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return MONDAY + timedelta(hours=hour, minutes=minute, seconds=second)


def stored_minutes(rig: Rig, start: datetime) -> list[int]:
    slot = rig.store.get_slot(7, start)
    return [] if slot is None else [minute.index for minute in slot.minutes]


def test_whole_minutes_fill_utc_aligned_slots_with_activity_counts(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig()  # 08:57:20
    rig.session.start(contract(), "landing page")
    # input only in even minutes: activity level is active/tracked minutes
    rig.run_until(at(9, 31, 40), active=lambda now: (now - timedelta(seconds=1)).minute % 2 == 0)
    rig.session.stop()

    slots = rig.store.slots_between(at(8), at(10))
    assert [(s.slot_start, [m.index for m in s.minutes]) for s in slots] == [
        (at(8, 50), [8, 9]),  # 08:57:20 start: 08:57 is not whole
        (at(9, 0), list(range(10))),
        (at(9, 10), list(range(10))),
        (at(9, 20), list(range(10))),
        (at(9, 30), [0]),  # stopped at 09:31:40: only 09:30 is whole
    ]
    for slot in slots:
        for minute in slot.minutes:
            assert minute.active == (minute.index % 2 == 0)
            assert minute.key_events in (0, 60)
        assert slot.memo == "landing page"
        assert slot.shot_state == "taken" and slot.shot is not None
    assert slots[1].activity_level == 0.5
    assert [type(e).__name__ for e in rig.recorder.events if not isinstance(e, ev.MinuteTracked)][
        :4
    ] == [
        "TrackingStarted",
        "ShotTaken",
        "SlotClosed",
        "ShotTaken",
    ]
    closed = rig.recorder.of(ev.SlotClosed)
    assert [(c.slot_start, c.minutes, c.active_minutes) for c in closed] == [
        (at(8, 50), 2, 1),
        (at(9, 0), 10, 5),
        (at(9, 10), 10, 5),
        (at(9, 20), 10, 5),
        (at(9, 30), 1, 1),
    ]
    assert rig.store.week_minutes(MONDAY) == {7: 33}


def test_shot_taken_at_the_seeded_uniform_instant_of_each_slot(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig()
    rig.session.start(contract(), "memo")
    rig.run_until(at(12, 0, 0))
    rig.session.stop()

    replay = random.Random(rig.seed)
    entered = [at(8, 57, 20)] + [at(9) + i * SLOT_LENGTH for i in range(18)]
    expected = [shot_instant(instant, replay) for instant in entered]
    shots = rig.recorder.of(ev.ShotTaken)
    assert len(shots) == len(expected)
    for shot, planned, entry in zip(shots, expected, entered, strict=True):
        # the tick that passes the planned instant takes the shot
        assert timedelta(0) <= shot.taken_at - planned < timedelta(seconds=1)
        assert entry <= shot.taken_at < slot_end(slot_start(entry)) + timedelta(seconds=1)
        assert shot.slot_start == slot_start(entry)
        assert shot.thumbnail_path.exists()


def test_shot_instants_are_uniform_over_the_rest_of_the_slot() -> None:
    rng = random.Random(20261123)
    fractions = []
    for _ in range(4000):
        entered = at(9) + timedelta(seconds=rng.uniform(0, 600))
        remaining = slot_end(slot_start(entered)) - entered
        instant = shot_instant(entered, rng)
        assert entered <= instant < entered + remaining
        fractions.append((instant - entered) / remaining)
    fractions.sort()
    n = len(fractions)
    # Kolmogorov–Smirnov against U(0,1); 1.63/sqrt(n) is the 1 % critical value
    ks = max(max((i + 1) / n - f, f - i / n) for i, f in enumerate(fractions))
    assert ks < 1.63 / n**0.5
    # chi-square over 10 bins; 21.67 is the 1 % critical value for 9 degrees of freedom
    bins = [0] * 10
    for f in fractions:
        bins[int(f * 10)] += 1
    chi2 = sum((count - n / 10) ** 2 / (n / 10) for count in bins)
    assert chi2 < 21.67


def test_idle_time_discarded_leaves_its_slots_and_their_shots(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(start=at(9, 50))
    rig.session.start(contract(), "idle day")
    rig.run_until(at(10, 0, 0))  # last input in the tick at 10:00:00
    rig.run_until(at(10, 25, 30), active=False)
    detected = rig.recorder.of(ev.IdleDetected)
    assert detected == [ev.IdleDetected(7, at(10))]
    # slots touched by unanswered idle are held back from sync
    assert rig.store.get_slot(7, at(10, 10)) is not None
    assert rig.store.get_slot(7, at(10, 10)).idle_hold  # type: ignore[union-attr]
    assert rig.store.sync_queue(at(11), hold=timedelta(0)) == rig.store.sync_queue(
        at(10, 20), hold=timedelta(0)
    )
    shot_of_1010 = rig.store.get_slot(7, at(10, 10)).shot  # type: ignore[union-attr]
    assert shot_of_1010 is not None and shot_of_1010.path.exists()

    rig.run(1, active=True)  # input comes back at 10:25:31
    prompt = rig.recorder.of(ev.IdlePromptRequired)
    assert prompt == [ev.IdlePromptRequired(7, at(10), at(10, 25, 31), 25)]
    assert rig.session.idle_prompt is not None
    rig.run_until(at(10, 28))
    rig.session.resolve_idle(keep=False)

    assert rig.recorder.of(ev.IdleResolved) == [ev.IdleResolved(7, False, 25)]
    assert stored_minutes(rig, at(9, 50)) == list(range(10))
    assert rig.store.get_slot(7, at(10, 0)) is None  # left empty: gone with its shot
    assert rig.store.get_slot(7, at(10, 10)) is None
    assert not shot_of_1010.path.exists() and not shot_of_1010.thumbnail_path.exists()
    rig.run_until(at(10, 30, 5))
    assert stored_minutes(rig, at(10, 20)) == [5, 6, 7, 8, 9]
    assert not rig.store.get_slot(7, at(10, 20)).idle_hold  # type: ignore[union-attr]
    rig.session.stop()
    assert rig.store.week_minutes(MONDAY) == {7: 15}
    assert rig.session.cap_status(contract(), at(10, 31)).used_minutes == 15


def test_idle_time_kept_stays_and_is_released_for_sync(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(start=at(9, 50))
    rig.session.start(contract(), "thinking")
    rig.run_until(at(10, 0, 0))
    rig.run_until(at(10, 12, 0), active=False)
    rig.run(1, active=True)
    rig.session.resolve_idle(keep=True)
    assert rig.recorder.of(ev.IdleResolved) == [ev.IdleResolved(7, True, 12)]
    rig.run_until(at(10, 20, 1))
    rig.session.stop()
    assert stored_minutes(rig, at(10, 0)) == list(range(10))
    assert stored_minutes(rig, at(10, 10)) == list(range(10))
    queue = rig.store.sync_queue(at(11), hold=timedelta(minutes=10))
    assert [s.slot_start for s in queue] == [at(9, 50), at(10, 0), at(10, 10)]
    with pytest.raises(SessionError):
        rig.session.resolve_idle(keep=True)


def test_unanswered_idle_is_discarded_when_tracking_stops(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(start=at(9, 50))
    rig.session.start(contract(), "away")
    rig.run_until(at(10, 3, 10))
    rig.run_until(at(10, 21, 0), active=False)  # idle since 10:03:10, never answered
    rig.session.stop()
    assert stored_minutes(rig, at(10, 0)) == [0, 1, 2, 3]
    assert rig.store.get_slot(7, at(10, 10)) is None
    assert rig.store.get_slot(7, at(10, 20)) is None
    assert rig.recorder.of(ev.IdleResolved) == [ev.IdleResolved(7, False, 17)]
    assert rig.session.idle_prompt is None


def test_cap_warns_at_60_and_10_minutes_left_and_stops_exactly_at_the_cap(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(start=at(9, 0))
    capped = contract(
        weekly_cap_minutes=150, server_week_minutes=30, server_week_start=MONDAY, fetched_at=at(8)
    )
    rig.store.save_contracts([capped])
    rig.session.start(capped, "capped")
    rig.run_until(at(11, 0))
    assert not rig.session.tracking
    warnings = rig.recorder.of(ev.CapWarning)
    assert [(w.minutes_left, w.used_minutes) for w in warnings] == [(60, 90), (10, 140)]
    assert rig.recorder.of(ev.CapReached) == [ev.CapReached(7, 150, 150)]
    assert rig.recorder.of(ev.TrackingStopped) == [ev.TrackingStopped(7, at(11, 0), "cap")]
    assert rig.store.week_minutes(MONDAY) == {7: 120}  # + 30 on the server = the cap
    with pytest.raises(CannotStart, match="weekly cap"):
        rig.session.start(capped, "more")
    with pytest.raises(ManualTimeRefused, match="cap"):
        rig.session.add_manual_time(capped, at(6), at(6, 5), "before work")
    # a new week starts from zero
    rig.clock.set(MONDAY + timedelta(days=7, minutes=1))
    rig.session.start(capped, "next week")
    assert rig.session.status().cap.used_minutes == 0  # type: ignore[union-attr]
    rig.session.stop()


def test_memo_change_applies_from_the_next_slot(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(start=at(9, 0))
    rig.session.start(contract(), "first")
    rig.run_until(at(9, 4))
    rig.session.set_memo("second")
    assert rig.recorder.of(ev.MemoChanged) == [ev.MemoChanged(7, "second", at(9, 10))]
    rig.run_until(at(9, 25))
    rig.session.stop()
    memos = [(s.slot_start, s.memo) for s in rig.store.slots_between(at(9), at(10))]
    assert memos == [(at(9, 0), "first"), (at(9, 10), "second"), (at(9, 20), "second")]


def test_manual_time_is_flagged_without_shot_or_activity_and_counts_toward_the_cap(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(start=at(15))
    allowed = contract(weekly_cap_minutes=600)
    slots = rig.session.add_manual_time(allowed, at(13, 5, 30), at(13, 47), "call with client")
    assert [(s.slot_start, [m.index for m in s.minutes]) for s in slots] == [
        (at(13, 0), [6, 7, 8, 9]),
        (at(13, 10), list(range(10))),
        (at(13, 20), list(range(10))),
        (at(13, 30), list(range(10))),
        (at(13, 40), list(range(7))),
    ]
    for slot in slots:
        assert slot.manual and slot.shot is None and slot.shot_state == "manual"
        assert slot.active_minutes == 0
    assert rig.recorder.of(ev.ManualTimeAdded) == [ev.ManualTimeAdded(7, at(13, 6), at(13, 47), 41)]
    assert rig.session.cap_status(allowed).used_minutes == 41
    with pytest.raises(ManualTimeRefused, match="overlaps"):
        rig.session.add_manual_time(allowed, at(13, 40), at(13, 50), "again")
    with pytest.raises(ManualTimeRefused, match="does not allow"):
        rig.session.add_manual_time(contract(manual_time_allowed=False), at(10), at(11), "no")
    with pytest.raises(ManualTimeRefused, match="past"):
        rig.session.add_manual_time(allowed, at(14, 50), at(15, 10), "future")
    with pytest.raises(ManualTimeRefused, match="cap"):
        rig.session.add_manual_time(allowed, at(1), at(11), "too much")
    rig.session.start(allowed, "tracked")
    rig.run_until(at(15, 30))
    rig.session.stop()
    assert rig.session.cap_status(allowed).used_minutes == 41 + 30


def test_deleting_a_slot_removes_its_shot_and_minutes(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(start=at(9, 0))
    rig.session.start(contract(), "work")
    rig.run_until(at(9, 25))
    with pytest.raises(SessionError, match="still being tracked"):
        rig.session.delete_slot(7, at(9, 20))
    doomed = rig.store.get_slot(7, at(9, 10))
    assert doomed is not None and doomed.shot is not None
    rig.session.delete_slot(7, at(9, 10))
    assert rig.recorder.of(ev.SlotDeleted) == [ev.SlotDeleted(7, at(9, 10))]
    assert not doomed.shot.path.exists() and not doomed.shot.thumbnail_path.exists()
    assert rig.store.get_slot(7, at(9, 10)) is None
    assert rig.session.status().cap.used_minutes == 15  # type: ignore[union-attr]
    rig.session.stop()
    assert rig.store.week_minutes(MONDAY) == {7: 15}


def test_stop_and_restart_inside_a_slot_merges_into_one_slot_with_one_shot(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(start=at(9, 0))
    rig.session.start(contract(), "first go")
    rig.run_until(at(9, 9, 50))  # the shot of 09:00 is certainly taken by now
    rig.session.stop()
    rig.run_until(at(9, 10, 30), active=False)
    rig.session.start(contract(), "second go")
    rig.run_until(at(9, 19, 59))  # 09:10 slot: stopped, restarted inside it
    rig.session.stop()
    rig.run_until(at(9, 22, 0), active=False)
    rig.session.start(contract(), "third go")
    rig.run_until(at(9, 25, 0))
    rig.session.stop()
    merged = rig.store.get_slot(7, at(9, 10))
    assert merged is not None
    assert [m.index for m in merged.minutes] == list(range(1, 9))
    assert rig.store.get_slot(7, at(9, 20)) is not None
    assert sum(1 for s in rig.recorder.of(ev.ShotTaken) if s.slot_start == at(9, 20)) == 1


def test_wall_clock_jump_is_not_logged(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(start=at(9, 0))
    rig.session.start(contract(), "jumpy")
    rig.run_until(at(9, 5, 30))
    rig.clock.jump(timedelta(hours=2))  # the user moved the clock forward
    rig.run(1)
    jumps = rig.recorder.of(ev.ClockJumped)
    assert len(jumps) == 1 and jumps[0].wall_after - jumps[0].wall_before > timedelta(hours=1)
    rig.run_until(at(11, 15, 0))
    rig.clock.jump(-timedelta(hours=2, minutes=8))  # …and back, into logged time
    rig.run(10 * 60)
    rig.session.stop()
    slots = {
        s.slot_start: [m.index for m in s.minutes] for s in rig.store.slots_between(at(8), at(12))
    }
    # forward: 09:05:30 → 11:05:31 is not logged; backward: nothing is logged again
    # until the wall clock passes what was already logged (conservative on purpose)
    assert slots == {
        at(9, 0): [0, 1, 2, 3, 4],
        at(11, 0): [6, 7, 8, 9],
        at(11, 10): [0, 1, 2, 3, 4],
    }
    assert len(rig.recorder.of(ev.ClockJumped)) == 2


def test_blank_screen_marks_the_slot_capture_unavailable(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(start=at(9, 0))
    rig.grabber.blank = True
    rig.session.start(contract(), "locked")
    rig.run_until(at(9, 10, 1))
    unavailable = rig.recorder.of(ev.CaptureUnavailable)
    assert len(unavailable) == 1 and "blank" in unavailable[0].reason
    slot = rig.store.get_slot(7, at(9, 0))
    assert slot is not None and slot.shot is None and slot.shot_state == "unavailable"
    assert slot.capture_note is not None and "blank" in slot.capture_note
    assert not list((rig.store.shots_dir).rglob("*.webp"))
    rig.session.stop()


def test_screenshots_off_and_stop_before_the_shot_leave_no_shot(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(start=at(9, 0))
    rig.session.start(contract(screenshots_enabled=False), "no shots")
    rig.run_until(at(9, 20))
    rig.session.stop()
    assert rig.grabber.grabs == 0
    assert all(s.shot_state == "off" for s in rig.store.slots_between(at(9), at(10)))


def test_capture_on_a_worker_thread_is_collected_by_a_later_tick(data_dir: object) -> None:
    release = threading.Event()

    class SlowGrabber(PictureGrabber):
        def grab(self):  # type: ignore[no-untyped-def]
            release.wait(timeout=10)
            return super().grab()

    clock = ManualClock(at(9, 0))
    with Store(data_dir, TEST_SHOT_KEYS) as store, ThreadPoolExecutor(max_workers=1) as pool:  # type: ignore[arg-type]
        session = TrackingSession(
            clock=clock,
            rng=random.Random(3),
            store=store,
            capturer=ScreenCapturer(SlowGrabber()),
            capture_executor=pool,
        )
        recorder = Recorder()
        session.subscribe(recorder)
        session.start(contract(), "threads")
        for _ in range(600):  # the whole slot passes while the grab is stuck
            clock.advance(1)
            session.tick()
        assert store.get_slot(7, at(9, 0)) is None  # waits for its capture
        release.set()
        pool.submit(lambda: None).result(timeout=10)  # one worker: the capture is done
        session.tick()
        written = store.get_slot(7, at(9, 0))
        assert written is not None and written.shot is not None and written.minute_count == 10
        session.stop()
        assert len(recorder.of(ev.ShotTaken)) == 1
        assert store.get_slot(7, at(9, 10)) is None  # no whole minute in it


def test_a_whole_working_day(make_rig: Callable[..., Rig]) -> None:
    """08:57:20–17:30 with a memo change, a lunch break kept idle then discarded, an
    idle coffee kept, a deleted slot, manual time for a call, and the cap at the end."""
    day = contract(weekly_cap_minutes=8 * 60)
    rig = make_rig()
    rig.session.start(day, "sprint planning")
    rig.run_until(at(10, 3))
    rig.session.set_memo("API design")
    rig.run_until(at(11, 59, 30))
    rig.run_until(at(12, 45, 0), active=False)  # lunch, idle from 11:59:30
    rig.run(1)
    rig.session.resolve_idle(keep=False)
    rig.run_until(at(14, 0, 0))
    rig.run_until(at(14, 11, 0), active=False)  # reading a long document
    rig.run(1)
    rig.session.resolve_idle(keep=True)
    rig.run_until(at(15, 0, 0))
    rig.session.stop()
    rig.run_until(at(15, 40), active=False)  # a call, logged by hand
    rig.session.add_manual_time(day, at(15, 0), at(15, 40), "client call")
    rig.session.start(day, "bug fixing")
    rig.run_until(at(17, 30))
    rig.session.delete_slot(7, at(16, 0))  # private errand in that slot
    rig.session.stop()

    slots = rig.store.slots_between(at(0), at(23, 59))
    minutes = {s.slot_start: s.minute_count for s in slots}
    assert minutes[at(8, 50)] == 2 and minutes[at(10, 0)] == 10
    assert [s.memo for s in slots if s.slot_start in (at(10, 0), at(10, 10))] == [
        "sprint planning",
        "API design",
    ]
    # lunch: 12:00–12:44 discarded; 11:50 keeps 11:50–11:59 (idle from 11:59:30)
    assert minutes[at(11, 50)] == 10
    assert all(at(12, 0) > s.slot_start or s.slot_start >= at(12, 40) for s in slots)
    assert minutes[at(12, 40)] == 5
    # coffee kept: 14:00 and 14:10 are full
    assert minutes[at(14, 0)] == 10 and minutes[at(14, 10)] == 10
    manual = [s for s in slots if s.manual]
    assert [s.slot_start for s in manual] == [at(15, 0), at(15, 10), at(15, 20), at(15, 30)]
    assert at(16, 0) not in minutes
    tracked = sum(s.minute_count for s in slots if not s.manual)
    # 08:58–11:59, 12:45–14:59 (idle 14:00–14:10 kept), 15:40–17:29 less the 16:00 slot
    expected_tracked = 2 + 180 + 135 + 110 - 10
    assert tracked == expected_tracked
    assert sum(s.minute_count for s in manual) == 40
    assert rig.store.week_minutes(MONDAY) == {7: expected_tracked + 40}
    for slot in slots:
        if not slot.manual:
            assert slot.shot is not None and slot.shot.path.exists()
            assert 0.0 <= slot.activity_level <= 1.0
    assert rig.session.cap_status(day, at(17, 31)).used_minutes == expected_tracked + 40
    # the rest of the cap is used up later in the week, exactly
    left = 8 * 60 - (expected_tracked + 40)
    rig.clock.set(at(20, 0) + timedelta(days=1))
    rig.session.start(day, "evening")
    rig.run(left * 60 + 120)
    assert not rig.session.tracking
    assert rig.recorder.of(ev.TrackingStopped)[-1].at == at(20, left) + timedelta(days=1)
    assert rig.store.week_minutes(MONDAY) == {7: 8 * 60}


def test_starting_with_under_an_hour_left_warns_at_once(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(start=at(9, 0))
    nearly = contract(
        weekly_cap_minutes=60 * 40,
        server_week_minutes=60 * 40 - 25,
        server_week_start=MONDAY,
        fetched_at=at(8),
    )
    rig.store.save_contracts([nearly])
    rig.session.start(nearly, "last bits")
    assert rig.recorder.of(ev.CapWarning) == [ev.CapWarning(7, 25, 60 * 40 - 25, 60 * 40)]
    rig.run_until(at(9, 30))
    assert [w.minutes_left for w in rig.recorder.of(ev.CapWarning)] == [25, 10]
    assert rig.recorder.of(ev.TrackingStopped) == [ev.TrackingStopped(7, at(9, 25), "cap")]


def test_week_rollover_restarts_the_cap_count(make_rig: Callable[..., Rig]) -> None:
    sunday_night = MONDAY + timedelta(days=6, hours=23, minutes=50)
    rig = make_rig(start=sunday_night)
    weekly = contract(weekly_cap_minutes=600)
    rig.session.start(weekly, "late")
    rig.run_until(MONDAY + timedelta(days=7, minutes=5))
    status = rig.session.status().cap
    assert status is not None and status.week_start == MONDAY + timedelta(days=7)
    assert status.used_minutes == 5
    rig.session.stop()
    assert rig.store.week_minutes(MONDAY) == {7: 10}
    assert rig.store.week_minutes(MONDAY + timedelta(days=7)) == {7: 5}


def test_small_backward_clock_step_does_not_log_a_minute_twice(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(start=at(9, 0))
    rig.session.start(contract(), "ntp")
    rig.run_until(at(9, 2, 1))
    rig.clock.jump(-timedelta(seconds=2))  # 09:01:59, inside the jump tolerance
    rig.run_until(at(9, 4, 0))
    assert not rig.recorder.of(ev.ClockJumped)
    tracked = [e.minute_start for e in rig.recorder.of(ev.MinuteTracked)]
    assert tracked == [at(9, 0), at(9, 1), at(9, 2), at(9, 3)]
    assert rig.session.status().cap.used_minutes == 4  # type: ignore[union-attr]
    rig.session.stop()
