"""The pure rule of the audited shrink (``billing.domain.slots.is_audited_shrink``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from billing.domain.slots import SlotBody, is_audited_shrink

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HELD = SlotBody(
    minutes=5,
    activity=((1, 2), (0, 0), (3, 4), (5, 6), (0, 0)),
    memo="api",
    manual=False,
    shot_taken_at=START + timedelta(minutes=2),
    shot_sha256="a" * 64,
    shot_note=None,
    client_now=START + timedelta(minutes=20),
)


def _kept(*indices: int, **changes: object) -> SlotBody:
    activity = tuple(HELD.activity[index] for index in indices)
    return replace(HELD, minutes=len(activity), activity=activity, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("indices", [(0, 1, 2), (2, 3), (4,), (0, 2, 4), (1, 2, 3, 4)])
def test_minutes_taken_out_with_the_rest_unchanged_is_a_shrink(indices: tuple[int, ...]) -> None:
    assert is_audited_shrink(HELD, _kept(*indices))


def test_the_same_instant_in_another_zone_is_the_same_shot() -> None:
    taken = (START + timedelta(minutes=2)).astimezone(timezone(timedelta(hours=2)))
    assert is_audited_shrink(HELD, _kept(0, 1, shot_taken_at=taken))


@pytest.mark.parametrize(
    "sent",
    [
        HELD,  # not fewer minutes
        _kept(3, 2),  # order changed
        replace(_kept(0, 1), activity=((1, 2), (0, 1))),  # a kept minute's counts changed
        _kept(0, 1, memo="other"),
        _kept(0, 1, shot_sha256="b" * 64),
        _kept(0, 1, shot_sha256=None, shot_taken_at=None, shot_note="capture_unavailable"),
        _kept(0, 1, manual=True),
        replace(HELD, minutes=6, activity=(*HELD.activity, (1, 1))),  # grew
    ],
)
def test_anything_else_is_no_shrink(sent: SlotBody) -> None:
    assert not is_audited_shrink(HELD, sent)


def test_manual_time_never_shrinks_this_way() -> None:
    manual = replace(HELD, manual=True, activity=(), shot_taken_at=None, shot_sha256=None)
    assert not is_audited_shrink(manual, replace(manual, minutes=3))
