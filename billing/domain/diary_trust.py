"""What the signed diary says about a span of slots (DOMAIN.md "Tamper-evident diary"):
signals for the client, never penalties. Pure.

- A span *holds* when every live slot came with a verified device-signed entry and the
  tracker declared no slot lost.
- A slot reached the server *late* when its upload came a day or more after it ended
  (the hold window is at most 24 h, so later means the laptop was offline or the upload
  was held back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from billing.domain.weeks import SLOT

LATE_SYNC = timedelta(hours=24)


@dataclass(frozen=True)
class DiaryTrust:
    """The signed diary over a span: slots, how many signed and verified, gaps declared."""

    slots: int
    verified: int
    gaps: int

    @property
    def holds(self) -> bool:
        return self.slots > 0 and self.verified == self.slots and self.gaps == 0


def late_by(slot_start: datetime, received_at: datetime) -> timedelta | None:
    """How long after its end the slot reached the server, when that is late."""
    delay = received_at - (slot_start + SLOT)
    return delay if delay >= LATE_SYNC else None
