"""Which capture backend and activity source a session gets, and what slots record."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.tracker.conftest import MONDAY, Rig, contract
from tracker.activity import ActivityCounter
from tracker.capture import ScreenCapturer
from tracker.capture_choice import (
    ActivitySource,
    CaptureBackend,
    choose_activity,
    choose_capture,
    provenance_text,
    valid_provenance,
)
from tracker.capture_select import UnavailableGrabber
from tracker.store import DATABASE_NAME, SCHEMA_VERSION, Store
from tracker.store.rows import slot_values
from tracker.store.schema import SCHEMA, UPGRADES


@pytest.mark.parametrize(
    ("env", "portal", "provenance"),
    [
        ({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, True, "x11"),
        ({"DISPLAY": ":1"}, False, "x11"),
        # a Wayland session sets DISPLAY for XWayland too: mss would see only that
        ({"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0", "WAYLAND_DISPLAY": "w"}, True,
         "portal"),
        ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, True, "portal"),
        ({"XDG_SESSION_TYPE": "wayland"}, False, "none:no-screenshot-portal"),
        ({"XDG_SESSION_TYPE": "tty"}, True, "none:no-display"),
        ({}, False, "none:no-display"),
    ],
)
def test_the_backend_follows_the_session(
    env: dict[str, str], portal: bool, provenance: str
) -> None:
    backend = choose_capture(env, portal)
    assert backend.provenance == provenance
    assert valid_provenance(provenance)


def test_activity_comes_from_idle_time_on_wayland_only_when_a_monitor_answers() -> None:
    wayland = {"XDG_SESSION_TYPE": "wayland"}
    assert choose_activity(wayland, idle_monitor_present=True) == "idle-watch"
    assert choose_activity(wayland, idle_monitor_present=False) == "input-counts"
    assert choose_activity({"DISPLAY": ":0"}, idle_monitor_present=True) == "input-counts"


def test_provenance_texts_for_the_diaries() -> None:
    assert provenance_text("portal") == "desktop screenshot portal"
    assert provenance_text("none:no-display").startswith("capture unavailable: no graphical")
    assert not valid_provenance("none:Has Spaces")
    assert not valid_provenance("wayland")


@dataclass
class IdleWatchInput:
    """An input source that says its counts come from the desktop's idle time."""

    activity_source: ActivitySource = "idle-watch"

    def start(self, counter: ActivityCounter) -> None: ...

    def stop(self) -> None: ...


def _stored(rig: Rig) -> list[object]:
    return list(rig.store.slots_between(MONDAY, MONDAY + timedelta(days=1)))


def test_a_slot_records_the_backend_that_took_its_shot(make_rig: object) -> None:
    rig: Rig = make_rig()  # type: ignore[operator]
    rig.session._capturer = ScreenCapturer(rig.grabber, provenance="portal")
    rig.session.start(contract(), "wayland work")
    rig.run(60 * 12)
    rig.session.stop()
    slots = rig.store.slots_between(MONDAY, MONDAY + timedelta(days=1))
    taken = [s for s in slots if s.shot_state == "taken"]
    assert taken and all(s.capture_source == "portal" for s in taken)
    assert all(s.activity_source == "input-counts" for s in slots)


def test_no_backend_marks_the_slot_unavailable_with_the_reason(make_rig: object) -> None:
    rig: Rig = make_rig(start=MONDAY + timedelta(hours=9))  # type: ignore[operator]
    backend = CaptureBackend("none", "no-display")
    rig.session._capturer = ScreenCapturer(UnavailableGrabber(backend),
                                           provenance=backend.provenance)
    rig.session._input_source = IdleWatchInput()
    rig.session.start(contract(), "no screen")
    rig.run(60 * 10)
    rig.session.stop()
    (slot, *_) = rig.store.slots_between(MONDAY, MONDAY + timedelta(days=1))
    assert (slot.shot_state, slot.capture_source) == ("unavailable", "none:no-display")
    assert slot.capture_note == provenance_text("none:no-display")
    assert "no graphical session" in slot.capture_note
    assert slot.activity_source == "idle-watch"


def test_screenshots_off_record_no_capture_attempt(make_rig: object) -> None:
    rig: Rig = make_rig(start=MONDAY + timedelta(hours=9))  # type: ignore[operator]
    rig.session.start(contract(screenshots_enabled=False), "off")
    rig.run(60 * 10)
    rig.session.stop()
    (slot, *_) = rig.store.slots_between(MONDAY, MONDAY + timedelta(days=1))
    assert (slot.shot_state, slot.capture_source) == ("off", None)


def _v3_schema() -> str:
    text = SCHEMA
    for statement in (*UPGRADES[3], *UPGRADES[4]):  # every step after 3
        text = text.replace(f"{statement};\n", "")
    assert "capture_source" not in text
    return text


def test_a_schema_3_store_upgrades_and_its_slots_read_as_not_recorded(
    make_rig: object, data_dir: Path
) -> None:
    rig: Rig = make_rig(start=MONDAY + timedelta(hours=9))  # type: ignore[operator]
    rig.session.start(contract(), "before")
    rig.run(60 * 10)
    rig.session.stop()
    (written, *_) = rig.store.slots_between(MONDAY, MONDAY + timedelta(days=1))
    rig.store.close()
    v3_dir = data_dir.parent / "v3"
    v3_dir.mkdir()
    conn = sqlite3.connect(v3_dir / DATABASE_NAME)
    conn.executescript(_v3_schema())
    values = slot_values(written, data_dir)[:-2]  # the v3 columns
    conn.execute(f"INSERT INTO slots VALUES ({','.join('?' * len(values))})", values)
    conn.execute("INSERT INTO slot_minutes VALUES (?,?,0,1,1)", values[:2])
    conn.execute("PRAGMA user_version=3")
    conn.commit()
    conn.close()
    with Store(v3_dir, TEST_SHOT_KEYS) as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        (upgraded,) = store.slots_between(MONDAY, MONDAY + timedelta(days=1))
        assert (upgraded.capture_source, upgraded.activity_source) == (None, "input-counts")
        assert upgraded.memo == "before"
        with pytest.raises(sqlite3.IntegrityError):
            store._conn.execute("UPDATE slots SET activity_source = 'evdev'")
