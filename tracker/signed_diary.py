"""A tracked slot as a signed diary record (``diarychain``): what the tracker signs.

Pure. The record holds what the wire body holds (minutes with their counts, memo, manual
flag, shot sha256 or why there is none, capture provenance), so the server can check a
body against the record its entry signs (``billing.domain.signed_slots``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from diarychain.records import Minute, Record, SlotRecord
from tracker.model import Slot

UNRECORDED = "unrecorded"  # provenance of a slot whose capture source was not recorded


def shot_note(slot: Slot) -> str | None:
    """Why a slot has no shot, in the wire's words (None when it has one, or manual)."""
    if slot.shot is not None or slot.manual:
        return None
    if slot.shot_state == "unavailable":
        return "capture_unavailable"
    return "screenshots_off" if slot.shot_state == "off" else "stopped_before_shot"


def slot_record(slot: Slot, client_clock: datetime) -> SlotRecord:
    """The record of ``slot`` as it is now, read at ``client_clock``."""
    minutes = sorted(slot.minutes, key=lambda minute: minute.index)
    return SlotRecord(
        contract_id=slot.contract_id,
        slot_start=slot.slot_start,
        minutes=tuple(Minute(m.index, m.key_events, m.mouse_events) for m in minutes),
        memo=slot.memo,
        manual=slot.manual,
        shot_sha256=None if slot.shot is None else slot.shot.sha256,
        capture_note=shot_note(slot),
        provenance=slot.capture_source or UNRECORDED,
        client_clock=client_clock,
    )


def same_record(signed: Record, current: Record) -> bool:
    """Whether ``signed`` records what ``current`` does (the clock reading aside): then
    the entry already signed still vouches for the slot, and is sent again as it is."""
    return replace(signed, client_clock=current.client_clock) == current
