"""Slot rows ↔ :class:`~tracker.model.Slot`: how instants, states and shots are stored.

Instants are stored as UTC ISO text; slot starts as slot keys (``2026-11-23T14:10:00Z``),
which sort as text, so range bounds are formatted the same way (:func:`key_bound`).
Shot paths are stored relative to the data dir.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tracker.capture_choice import ACTIVITY_SOURCES, ActivitySource
from tracker.model import MinuteActivity, ShotState, Slot, SyncState
from tracker.shot import ShotFile

COLUMNS = (
    "contract_id, slot_start, memo, manual, shot_state, shot_path, thumb_path, shot_sha256, "
    "shot_bytes, shot_media_type, shot_width, shot_height, shot_taken_at, capture_note, "
    "idle_hold, over_limit, sync_state, sync_reason, synced_at, deleted_at, replaces_synced, "
    "server_may_hold, clock_jump, capture_source, activity_source"
)
PLACEHOLDERS = ",".join("?" * len(COLUMNS.split(",")))


def instant_text(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def optional_text(instant: datetime | None) -> str | None:
    return None if instant is None else instant_text(instant)


def text_instant(text: object) -> datetime | None:
    return None if text is None else datetime.fromisoformat(str(text)).astimezone(UTC)


def key_bound(instant: datetime) -> str:
    """A slot-key-comparable bound: keys sort as text, so format the instant the same way."""
    at = instant.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def server_may_hold(slot: Slot) -> bool:
    """A PUT of the slot was sent (whatever the reply), or it was synced."""
    return slot.server_may_hold or slot.sync_state == "synced" or slot.replaces_synced


def _shot_state(text: str) -> ShotState:
    if text == "taken":
        return "taken"
    if text == "none":
        return "none"
    if text == "off":
        return "off"
    if text == "unavailable":
        return "unavailable"
    if text == "manual":
        return "manual"
    raise ValueError(f"unknown shot_state {text!r}")


def _sync_state(text: str) -> SyncState:
    if text == "pending":
        return "pending"
    if text == "synced":
        return "synced"
    if text == "rejected":
        return "rejected"
    raise ValueError(f"unknown sync_state {text!r}")


def _activity_source(text: str) -> ActivitySource:
    for source in ACTIVITY_SOURCES:
        if text == source:
            return source
    raise ValueError(f"unknown activity_source {text!r}")


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def slot_values(slot: Slot, data_dir: Path) -> tuple[object, ...]:
    """The row of ``slot``, in :data:`COLUMNS` order."""
    shot = slot.shot
    shot_values: tuple[object, ...] = (None,) * 8
    if shot is not None:
        shot_values = (
            str(shot.path.relative_to(data_dir)),
            str(shot.thumbnail_path.relative_to(data_dir)),
            shot.sha256,
            shot.size_bytes,
            shot.media_type,
            shot.width,
            shot.height,
            instant_text(shot.taken_at),
        )
    return (
        slot.contract_id,
        slot.key,
        slot.memo,
        int(slot.manual),
        slot.shot_state,
        *shot_values,
        slot.capture_note,
        int(slot.idle_hold),
        int(slot.over_limit),
        slot.sync_state,
        slot.sync_reason,
        optional_text(slot.synced_at),
        optional_text(slot.deleted_at),
        int(slot.replaces_synced),
        int(slot.server_may_hold),
        int(slot.clock_jump),
        slot.capture_source,
        slot.activity_source,
    )


def _shot_of(values: tuple[object, ...], data_dir: Path) -> ShotFile | None:
    """The shot of a row's eight shot columns (``shot_path`` … ``shot_taken_at``)."""
    shot_path, thumb_path, sha256, size_bytes, media_type, width, height, taken_at = values
    if shot_path is None:
        return None
    return ShotFile(
        path=data_dir / str(shot_path),
        thumbnail_path=data_dir / str(thumb_path),
        sha256=str(sha256),
        size_bytes=int(str(size_bytes)),
        media_type=str(media_type),
        width=int(str(width)),
        height=int(str(height)),
        taken_at=text_instant(taken_at) or datetime.min.replace(tzinfo=UTC),
    )


def row_to_slot(
    row: tuple[object, ...], minutes: tuple[MinuteActivity, ...], data_dir: Path
) -> Slot:
    """The slot of a row selected with :data:`COLUMNS`, with its minutes."""
    contract_id, key, memo, manual, shot_state = row[:5]
    (capture_note, idle_hold, over_limit, sync_state, sync_reason, synced_at, deleted_at) = row[
        13:20
    ]
    replaces_synced, holds, clock_jump, capture_source, activity_source = row[20:25]
    return Slot(
        contract_id=int(str(contract_id)),
        slot_start=datetime.strptime(str(key), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
        memo=str(memo),
        minutes=minutes,
        manual=bool(manual),
        shot=_shot_of(row[5:13], data_dir),
        shot_state=_shot_state(str(shot_state)),
        capture_note=_optional_str(capture_note),
        idle_hold=bool(idle_hold),
        over_limit=bool(over_limit),
        sync_state=_sync_state(str(sync_state)),
        sync_reason=_optional_str(sync_reason),
        synced_at=text_instant(synced_at),
        deleted_at=text_instant(deleted_at),
        replaces_synced=bool(replaces_synced),
        server_may_hold=bool(holds),
        clock_jump=bool(clock_jump),
        capture_source=_optional_str(capture_source),
        activity_source=_activity_source(str(activity_source)),
    )
