"""What a contract collects, as shown to the freelancer before the first start on it.

DOMAIN.md (Consent): at the first start on a contract the app shows what is collected —
screenshots, blur, activity counts (never keys), manual time — and tracking starts only
once the freelancer accepts. The terms are kept as accepted; when the client changes a
setting later, the terms differ and the app asks again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tracker.contract import Contract
from tracker.slots import SLOT_MINUTES


@dataclass(frozen=True)
class CollectionTerms:
    """One contract's collection settings, as the freelancer sees and accepts them."""

    contract_id: int
    screenshots: bool
    blur: bool
    manual_time: bool

    @classmethod
    def of(cls, contract: Contract) -> CollectionTerms:
        return cls(contract.id, contract.screenshots_enabled, contract.blur_shots,
                   contract.manual_time_allowed)

    def as_json(self) -> str:
        """What the store keeps; equal terms give equal text."""
        return json.dumps({"screenshots": self.screenshots, "blur": self.blur,
                           "manual_time": self.manual_time, "activity": "counts"},
                          sort_keys=True)

    def lines(self) -> list[tuple[str, str]]:
        """(what, how) rows for the consent dialog, in the order they matter."""
        shots = (f"One screenshot of all your screens at a random moment in each "
                 f"{SLOT_MINUTES}-minute slot. You see each one and can delete it (with its "
                 "time) before it is uploaded."
                 if self.screenshots else "No screenshots are taken on this contract.")
        blur = ("You may blur a screenshot before it is uploaded."
                if self.blur and self.screenshots else "Screenshots are not blurred."
                if self.screenshots else "—")
        return [
            ("Screenshots", shots),
            ("Blur", blur),
            ("Activity", "How many keyboard and mouse events each minute had — only the "
                         "counts, never which keys or where you clicked."),
            ("Manual time", "You may add time by hand; it is billed and marked as not "
                            "protected." if self.manual_time else
                            "Not allowed: only tracked time is billed."),
            ("Memo", "What you type as your memo goes with each slot."),
        ]
