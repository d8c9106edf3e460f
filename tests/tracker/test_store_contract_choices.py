"""The last memo and the consent per contract, on real SQLite files, and the 3 → 4 step."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from tests.tracker.conftest import MONDAY
from tests.tracker.test_store import slot
from tracker.store import SCHEMA_VERSION, Store


def test_memo_and_consent_survive_reopening(tmp_path: Path) -> None:
    with Store(tmp_path / "data") as store:
        assert store.last_memo(7) is None and store.consented_terms(7) is None
        store.remember_memo(7, "Invoice export", MONDAY)
        store.remember_memo(7, "Code review", MONDAY + timedelta(minutes=5))
        store.remember_memo(8, "Pipeline", MONDAY)
        store.record_consent(7, '{"screenshots": true}', MONDAY)
    with Store(tmp_path / "data") as store:
        assert store.last_memo(7) == "Code review"  # the last one per contract
        assert store.last_memo(8) == "Pipeline"
        assert store.consented_terms(7) == '{"screenshots": true}'
        assert store.consented_terms(8) is None


def test_a_schema_3_file_gains_the_tables_and_keeps_its_slots(tmp_path: Path) -> None:
    with Store(tmp_path / "data") as store:
        store.write_slot(slot(MONDAY))
        db_path = store.db_path
    conn = sqlite3.connect(db_path)  # make it the file a schema-3 build wrote
    conn.execute("DROP TABLE contract_memos")
    conn.execute("DROP TABLE consents")
    conn.execute("ALTER TABLE slots DROP COLUMN capture_source")  # added by step 4 → 5
    conn.execute("ALTER TABLE slots DROP COLUMN activity_source")
    conn.execute("PRAGMA user_version=3")
    conn.commit()
    conn.close()
    with Store(tmp_path / "data") as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        kept = store.get_slot(7, MONDAY)
        assert kept is not None and kept.minute_count == 10
        store.remember_memo(7, "After the upgrade", MONDAY)
        assert store.last_memo(7) == "After the upgrade"
