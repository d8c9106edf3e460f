"""Whether a slot body is the one its signed chain entry records (wire contract v2).

Pure. The record is what the tracker signed; the body is what the server is asked to
store. They must agree on everything the record holds except the clock reading
(``client_now`` is the clock when sending, the record's ``client_clock`` when signing).
A v1 body comes without a record: it is stored, marked unverified.
"""

from __future__ import annotations

from datetime import datetime

from billing.domain.slots import SlotBody
from billing.domain.weeks import as_utc
from diarychain.records import Record, SlotRecord

UNRECORDED = "unrecorded"  # the record's provenance when the tracker had none


def body_mismatch(record: Record, contract_id: int, slot_start: datetime,
                  body: SlotBody) -> str | None:
    """What differs between ``record`` and the slot sent, or None when they agree."""
    if not isinstance(record, SlotRecord):
        return "the chain entry of a slot must record a slot"
    differences = [name for name, same in (
        ("contract", record.contract_id == contract_id),
        ("slot_start", record.slot_start == as_utc(slot_start)),
        ("minutes", len(record.minutes) == body.minutes),
        ("activity", body.manual or tuple(
            (minute.key_events, minute.mouse_events) for minute in record.minutes
        ) == body.activity),
        ("memo", record.memo == body.memo),
        ("manual flag", record.manual == body.manual),
        ("shot sha256", record.shot_sha256 == body.shot_sha256),
        ("shot note", record.capture_note == body.shot_note),
        ("provenance", record.provenance == (body.capture_source or UNRECORDED)),
    ) if not same]
    if not differences:
        return None
    return ("the slot does not match its signed record (" + ", ".join(differences)
            + " differ): it was changed after it was signed")
