"""The single PUT writes its receipt from the stored slot's values (``receipt_json``),
byte for byte as ``SlotReceipt`` writes it."""

from __future__ import annotations

import pytest

from billing.api.schemas import SlotReceipt
from billing.api.slots import receipt_json
from billing.services.hourly import RETENTION_SHOT_NOTE, SlotOutcome, StoredSlot
from tracker.clock import utc

SHA = "ab" * 32
OUTCOMES = [
    SlotOutcome(StoredSlot(utc(2026, 11, 3, 9), 0, None, None), True, 10),
    SlotOutcome(StoredSlot(utc(2026, 11, 3, 9, 10), 4, SHA, None), False, 1_234),
    SlotOutcome(StoredSlot(utc(2026, 11, 3, 9, 20), 10, SHA, "k"), True, 0),
    SlotOutcome(StoredSlot(utc(2026, 11, 3, 9, 30), 0, SHA, None, RETENTION_SHOT_NOTE), False, 7),
    SlotOutcome(StoredSlot(utc(2030, 12, 31, 23, 50), 0, None, None, "camera off"), True, 600),
]


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_receipt_is_the_models(outcome: SlotOutcome) -> None:
    model = SlotReceipt(
        slot_start=outcome.slot.slot_start,
        created=outcome.created,
        over_limit_minutes=outcome.slot.over_limit_minutes,
        shot_expected=outcome.slot.shot_expected,
        week_logged_minutes=outcome.week_logged_minutes,
    )
    assert receipt_json(outcome) == model.model_dump_json().encode()
