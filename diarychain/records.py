"""What one chain entry says, and its canonical encoding.

The encoding is JSON with sorted keys, no whitespace, UTF-8, integers only and instants
as UTC ``YYYY-MM-DDTHH:MM:SSZ``: the same record always gives the same bytes, on every
machine and Python version, so a hash taken by the tracker is the hash the server and an
offline check recompute.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

FORMAT_VERSION = 2  # wire contract v2; v1 clients send no chain
GENESIS = "0" * 64  # the prev_hash of a chain's first entry


class RecordError(ValueError):
    """A record that cannot be encoded or decoded (naive time, bad field)."""


@dataclass(frozen=True)
class Minute:
    index: int  # 0–9 within the slot
    key_events: int
    mouse_events: int


@dataclass(frozen=True)
class SlotRecord:
    """A finished slot as the freelancer's machine tracked it (manual time: ``manual``)."""

    contract_id: int
    slot_start: datetime
    minutes: tuple[Minute, ...]
    memo: str
    manual: bool
    shot_sha256: str | None  # None: no shot; then ``capture_note`` says why
    capture_note: str | None
    provenance: str  # x11, portal, none:<reason>, manual
    client_clock: datetime  # the tracker's clock when it closed the slot


@dataclass(frozen=True)
class DeletionRecord:
    """The freelancer deleted slot ``slot_start`` (and its shot) at ``client_clock``."""

    contract_id: int
    slot_start: datetime
    client_clock: datetime


@dataclass(frozen=True)
class GapRecord:
    """A declared gap: slot ``slot_start`` was lost on the machine (e.g. a disk failure)."""

    contract_id: int
    slot_start: datetime
    reason: str
    client_clock: datetime


Record = SlotRecord | DeletionRecord | GapRecord


def instant(at: datetime) -> str:
    if at.tzinfo is None:
        raise RecordError("a chain record's times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError) as error:
        raise RecordError(f"not a UTC instant: {text!r}") from error


def record_fields(record: Record) -> dict[str, object]:
    """The record as plain JSON values, with its kind."""
    base: dict[str, object] = {"contract_id": record.contract_id,
                               "slot_start": instant(record.slot_start),
                               "client_clock": instant(record.client_clock)}
    if isinstance(record, SlotRecord):
        return {**base, "kind": "slot", "memo": record.memo, "manual": record.manual,
                "minutes": [[m.index, m.key_events, m.mouse_events] for m in record.minutes],
                "shot_sha256": record.shot_sha256, "capture_note": record.capture_note,
                "provenance": record.provenance}
    if isinstance(record, DeletionRecord):
        return {**base, "kind": "deletion"}
    return {**base, "kind": "gap", "reason": record.reason}


def canonical(record: Record, prev_hash: str) -> bytes:
    """The bytes an entry's hash is taken over: the record, its link and the version."""
    body = {**record_fields(record), "prev_hash": prev_hash, "v": FORMAT_VERSION}
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def _int(fields: dict[str, object], name: str) -> int:
    value = fields.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError(f"{name} must be an integer")
    return value


def _text(fields: dict[str, object], name: str, optional: bool = False) -> str | None:
    value = fields.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{name} must be a string")
    return value


def _minutes(value: object) -> tuple[Minute, ...]:
    if not isinstance(value, list):
        raise RecordError("minutes must be a list of [index, keys, mouse]")
    minutes = []
    for item in value:
        if (not isinstance(item, list) or len(item) != 3
                or not all(isinstance(n, int) and not isinstance(n, bool) for n in item)):
            raise RecordError("each minute is [index, keys, mouse] integers")
        minutes.append(Minute(item[0], item[1], item[2]))
    return tuple(minutes)


def record_from_fields(fields: dict[str, object]) -> Record:
    """The record :func:`record_fields` made; :class:`RecordError` for anything else."""
    contract_id = _int(fields, "contract_id")
    slot_start = parse_instant(str(_text(fields, "slot_start")))
    client_clock = parse_instant(str(_text(fields, "client_clock")))
    kind = fields.get("kind")
    if kind == "deletion":
        return DeletionRecord(contract_id, slot_start, client_clock)
    if kind == "gap":
        return GapRecord(contract_id, slot_start, str(_text(fields, "reason")), client_clock)
    if kind != "slot":
        raise RecordError(f"unknown record kind {kind!r}")
    manual = fields.get("manual")
    if not isinstance(manual, bool):
        raise RecordError("manual must be true or false")
    return SlotRecord(
        contract_id=contract_id, slot_start=slot_start, minutes=_minutes(fields.get("minutes")),
        memo=str(_text(fields, "memo")), manual=manual,
        shot_sha256=_text(fields, "shot_sha256", optional=True),
        capture_note=_text(fields, "capture_note", optional=True),
        provenance=str(_text(fields, "provenance")), client_clock=client_clock)
