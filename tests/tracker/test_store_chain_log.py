"""The store's signed diary (schema 6): slots signed when sent, re-signed only when they
changed, deletions and declared gaps as entries of their own, one verifying chain per
device and contract (real SQLite files, reopened)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from diarychain.chain import verify
from diarychain.keys import DeviceKey
from diarychain.records import DeletionRecord, GapRecord, SlotRecord
from tests.tracker.test_store import at, slot
from tracker.store import SCHEMA_VERSION, Store


def test_a_slot_sent_again_unchanged_carries_the_same_entry_and_a_changed_one_a_new_one(
    tmp_path: Path,
) -> None:
    key = DeviceKey.generate()
    with Store(tmp_path) as store:
        first, second = store.write_slot(slot(at(9))), store.write_slot(slot(at(9, 10)))
        (run_1, run_2) = store.sign_slots([first, second], key, at(9, 30))
        assert [len(run_1), len(run_2)] == [1, 1]  # nothing else unanswered yet
        (again,) = store.sign_slots([first], key, at(9, 40))  # a resend after a lost answer
        assert again == run_1  # the same entry, same clock reading: the chain never forks
        shrunk = replace(first, minutes=first.minutes[:4])
        (after_shrink,) = store.sign_slots([shrunk], key, at(9, 50))
        # a new entry for the changed body, after the unanswered ones of the contract
        assert [e.hash for e in after_shrink[:-1]] == [run_1[0].hash, run_2[0].hash]
        own = after_shrink[-1].record
        assert isinstance(own, SlotRecord) and len(own.minutes) == 4
        store.mark_answered(e.hash for e in after_shrink)
        assert store.unanswered_runs(key) == {}
    with Store(tmp_path) as reopened:
        chain = reopened.chain_entries(7)
    assert len(chain) == 3 and verify(chain, key.public_hex()) == []


def test_deletions_and_declared_gaps_are_signed_entries_in_the_same_chain(
    tmp_path: Path,
) -> None:
    key = DeviceKey.generate()
    with Store(tmp_path) as store:
        sent = store.write_slot(slot(at(9)))
        store.mark_sending(7, at(9))
        store.sign_slots([sent], key, at(9, 20))
        store.delete_slot(7, at(9), now=at(10))
        store.sign_deletions(store.pending_deletions(), key, at(10, 1))
        store.sign_deletions(store.pending_deletions(), key, at(10, 2))  # once per tombstone
        store.declare_gap(7, at(9, 10), "lost to a disk failure", key, at(11))
        (run,) = store.unanswered_runs(key).values()
    kinds = [type(entry.record) for entry in run]
    assert kinds == [SlotRecord, DeletionRecord, GapRecord]
    assert verify(list(run), key.public_hex()) == []
    assert verify([run[0], run[2]], key.public_hex())[0].kind == "link"  # a dropped entry


def test_a_schema_5_store_gains_the_chain_table_and_keeps_its_slots(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.write_slot(slot(at(9)))
        db_path = store.db_path
    conn = sqlite3.connect(db_path)  # make it the file a schema-5 build wrote
    conn.execute("DROP TABLE chain_entries")
    conn.execute("PRAGMA user_version=5")
    conn.commit()
    conn.close()
    key = DeviceKey.generate()
    with Store(tmp_path) as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
        kept = store.get_slot(7, at(9))
        assert kept is not None and kept.minute_count == 10
        (run,) = store.sign_slots([kept], key, at(10))
        assert run[0].prev_hash == "0" * 64
