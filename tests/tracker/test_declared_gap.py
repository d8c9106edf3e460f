"""A slot lost to a store that could not be written for too long becomes a signed
declared gap in the diary once the store takes writes again (real Store, real lock)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from diarychain.chain import verify
from diarychain.keys import DeviceKey
from diarychain.records import GapRecord
from tests.tracker.test_store import at, slot
from tests.tracker.test_write_faults import write_lock_held
from tracker import events as ev
from tracker.executor import SynchronousExecutor
from tracker.slot_writer import RETRY_EVERY, SlotWriter
from tracker.store import Store


def test_a_dropped_slot_is_declared_as_a_signed_gap_when_writing_works_again(
    tmp_path: Path,
) -> None:
    key = DeviceKey.generate()
    events: list[ev.Event] = []
    with Store(tmp_path) as store:
        writer = SlotWriter(store, SynchronousExecutor(), events.append, capacity=2,
                            signer=lambda: key)
        with write_lock_held(store):
            for start in (at(9), at(9, 10), at(9, 20)):  # the third pushes the first out
                writer.add(slot(start), start + timedelta(minutes=10))
            assert store.chain_entries(7) == []  # nothing can be written yet
        (dropped,) = [e for e in events if isinstance(e, ev.SlotDropped)]
        assert dropped.slot_start == at(9)
        writer.pump(at(9, 30) + RETRY_EVERY)
        assert [s.slot_start for s in store.slots_between(at(0), at(23))] == [at(9, 10), at(9, 20)]
        (gap,) = store.chain_entries(7)
    assert isinstance(gap.record, GapRecord) and gap.record.slot_start == at(9)
    assert "not saved for a week" in gap.record.reason
    assert verify([gap], key.public_hex()) == []
