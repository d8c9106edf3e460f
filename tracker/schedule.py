"""When the shot of a slot is taken.

DOMAIN.md: when tracking enters a slot, one instant is drawn uniformly at random over
the part of the slot still ahead. The generator is passed in (seeded in tests).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from tracker.slots import slot_end, slot_start


def shot_instant(entered_at: datetime, rng: random.Random) -> datetime:
    """A uniform instant in ``[entered_at, end of its slot)``, to the microsecond."""
    remaining = slot_end(slot_start(entered_at)) - entered_at
    remaining_us = int(remaining / timedelta(microseconds=1))
    # randrange keeps the result strictly before the slot end
    offset_us = rng.randrange(remaining_us) if remaining_us > 0 else 0
    return entered_at + timedelta(microseconds=offset_us)
