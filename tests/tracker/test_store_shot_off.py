"""Schema 3: slots of contracts with screenshots off say so ("off"), stored, not derived."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.tracker.conftest import contract
from tests.tracker.test_store import at, slot
from tracker.store import DATABASE_NAME, SCHEMA_VERSION, Store
from tracker.store.rows import COLUMNS, PLACEHOLDERS, slot_values
from tracker.store.schema import SCHEMA


def _schema_2_file(data_dir: Path, slots: list[tuple[object, ...]]) -> Path:
    """The file a schema-2 build wrote: shot_state without 'off', contracts 7 (screenshots
    off) and 8 (on) cached."""
    data_dir.mkdir(mode=0o700)
    path = data_dir / DATABASE_NAME
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA.replace("'none','off'", "'none'"))
    for contract_id, enabled in ((7, 0), (8, 1)):
        conn.execute(
            "INSERT INTO contracts VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (contract_id, f"c{contract_id}", 4500, "EUR", None, enabled, 0, 1, 1, 0, None, None),
        )
    for stored in slots:
        conn.execute(f"INSERT INTO slots ({COLUMNS}) VALUES ({PLACEHOLDERS})", stored)
        conn.execute(
            "INSERT INTO slot_minutes VALUES (?,?,0,1,1)",
            (stored[0], stored[1]),
        )
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.close()
    return path


def test_a_schema_2_store_reads_its_screenshots_off_slots_as_off_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    rows: list[tuple[object, ...]] = [
        slot_values(slot(at(9), range(1)), data_dir),  # contract 7: screenshots off
        slot_values(slot(at(9, 10), range(1), manual=True, shot_state="manual"), data_dir),
        slot_values(slot(at(9, 20), range(1), shot_state="unavailable"), data_dir),
        slot_values(replace(slot(at(9), range(1)), contract_id=8), data_dir),  # 8: stopped early
    ]
    _schema_2_file(data_dir, rows)
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        states = {(s.contract_id, s.slot_start): s for s in store.slots_between(at(0), at(23))}
        assert {key: s.shot_state for key, s in states.items()} == {
            (7, at(9)): "off",
            (7, at(9, 10)): "manual",
            (7, at(9, 20)): "unavailable",
            (8, at(9)): "none",
        }
        assert all(s.minute_count == 1 for s in states.values())  # the rebuild kept minutes
        # the rebuilt table takes the new state, and still cascades a delete to minutes
        written = store.write_slot(slot(at(10), shot_state="off"))
        assert written.shot_state == "off"
        store.delete_slot(7, at(9), at(11))
        left = store._conn.execute("SELECT COUNT(*) FROM slot_minutes").fetchone()[0]
        assert left == 3 + 10


def test_a_new_store_keeps_off_apart_from_none(tmp_path: Path) -> None:
    with Store(tmp_path / "data", TEST_SHOT_KEYS) as store:
        store.save_contracts([contract(screenshots_enabled=False)])
        store.write_slot(slot(at(9), shot_state="off"))
        store.write_slot(slot(at(9, 10)))
        assert [s.shot_state for s in store.slots_between(at(9), at(10))] == ["off", "none"]
