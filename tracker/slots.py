"""Ten-minute slots aligned to the UTC clock (…:00, :10, :20 …) and the minutes in them.

A slot is named by its start instant (aware UTC, on a 10-minute boundary); with the
contract id that pair is the slot's identity everywhere (store, wire, server).
Minutes inside a slot are numbered 0–9.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

SLOT_MINUTES = 10
SLOT_LENGTH = timedelta(minutes=SLOT_MINUTES)
MINUTE = timedelta(minutes=1)


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: the tracker only handles aware UTC instants")
    return instant.astimezone(UTC)


def minute_floor(instant: datetime) -> datetime:
    """The start of the minute holding ``instant``."""
    return _require_aware(instant).replace(second=0, microsecond=0)


def minute_ceil(instant: datetime) -> datetime:
    """The first minute boundary at or after ``instant``."""
    floor = minute_floor(instant)
    return floor if floor == _require_aware(instant) else floor + MINUTE


def slot_start(instant: datetime) -> datetime:
    """The start of the slot holding ``instant``."""
    floor = minute_floor(instant)
    return floor.replace(minute=floor.minute - floor.minute % SLOT_MINUTES)


def slot_end(start: datetime) -> datetime:
    """The end (exclusive) of the slot starting at ``start``."""
    return start + SLOT_LENGTH


def minute_index(instant: datetime) -> int:
    """Which minute (0–9) of its slot ``instant`` falls in."""
    return _require_aware(instant).minute % SLOT_MINUTES


def minute_start(slot: datetime, index: int) -> datetime:
    """The start of minute ``index`` (0–9) of the slot starting at ``slot``."""
    if not 0 <= index < SLOT_MINUTES:
        raise ValueError(f"minute index {index} outside 0–{SLOT_MINUTES - 1}")
    return slot + index * MINUTE


def is_slot_start(instant: datetime) -> bool:
    return slot_start(instant) == _require_aware(instant)


def slot_key(start: datetime) -> str:
    """The slot's text key, as stored and as sent on the wire: ``2026-11-23T14:10:00Z``."""
    if not is_slot_start(start):
        raise ValueError(f"{start.isoformat()} is not a slot start (10-minute UTC boundary)")
    return _require_aware(start).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_slot_key(key: str) -> datetime:
    """Inverse of :func:`slot_key`; rejects anything that is not a slot start."""
    try:
        start = datetime.strptime(key, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as error:
        raise ValueError(f"not a slot key: {key!r}") from error
    if not is_slot_start(start):
        raise ValueError(f"not a slot start (10-minute UTC boundary): {key!r}")
    return start


def whole_minutes(start: datetime, end: datetime) -> list[datetime]:
    """Starts of the minutes lying entirely inside ``[start, end)``."""
    first = minute_ceil(start)
    last = minute_floor(end)
    count = int((last - first) / MINUTE)
    return [first + i * MINUTE for i in range(max(count, 0))]


def group_by_slot(minutes: list[datetime]) -> dict[datetime, list[int]]:
    """Minute starts grouped by slot start, as sorted minute indices."""
    grouped: dict[datetime, list[int]] = {}
    for minute in sorted(minutes):
        grouped.setdefault(slot_start(minute), []).append(minute_index(minute))
    return grouped
