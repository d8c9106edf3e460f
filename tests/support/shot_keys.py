"""A fixed shot key for tests: every store a test opens seals its shot files with it
(like a seeded random generator, the same bytes every run)."""

from __future__ import annotations

from tracker.shot_seal import ShotKeys

TEST_SHOT_KEYS = ShotKeys(bytes(range(32)))
OTHER_SHOT_KEYS = ShotKeys(bytes(range(100, 132)))
