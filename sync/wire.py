"""Translation between the tracker's objects and the wire bodies (no HTTP here).

Wire v2 adds ``chain`` to a slot body: the device key and the signed entries it
carries (:func:`chain_body`); without it the body is v1, which the server still takes.

The server's OpenAPI document (``billing.api.schemas``) is the contract: ``SlotPut``
for a slot, ``ContractPublic`` for a contract. Only this module knows field names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from diarychain.chain import to_wire
from diarychain.ingest import SignedRun
from sync.errors import WireError
from tracker.contract import Contract
from tracker.model import Slot
from tracker.signed_diary import shot_note


def iso(instant: datetime) -> str:
    """An aware instant as ISO-8601 UTC with a ``Z``."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}")
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def instant_from_wire(text: object) -> datetime:
    """An instant in a server answer: aware ISO-8601, else :class:`WireError`."""
    if not isinstance(text, str):
        raise WireError(f"expected an ISO-8601 instant, got {text!r}")
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise WireError(f"not an ISO-8601 instant: {text!r}") from error
    if instant.tzinfo is None:
        raise WireError(f"instant without a zone: {text!r}")
    return instant.astimezone(UTC)


def chain_body(run: SignedRun) -> dict[str, Any]:
    """The ``SignedChain`` body: the device key and the entries, in chain order."""
    return {"device_key": run.device_key, "entries": [to_wire(e) for e in run.entries]}


def slot_body(
    slot: Slot, client_now: datetime, run: SignedRun | None = None
) -> dict[str, Any]:
    """The ``SlotPut`` body, with the signed ``run`` ending in the slot's own entry (v2).
    Everything but ``client_now`` is fixed by the slot, so a replay after a lost answer
    is recognised by the server as the same slot."""
    minutes = sorted(slot.minutes, key=lambda m: m.index)
    body: dict[str, Any] = {
        "minutes": len(minutes),
        "activity": []
        if slot.manual
        else [{"keyboard": m.key_events, "mouse": m.mouse_events} for m in minutes],
        "memo": slot.memo,
        "manual": slot.manual,
        "shot": None
        if slot.shot is None
        else {"taken_at": iso(slot.shot.taken_at), "sha256": slot.shot.sha256},
        "shot_note": shot_note(slot),
        "client_now": iso(client_now),
        # a signal for the diaries; the server leaves it out of the body's identity
        "clock_jump": slot.clock_jump,
        # how the shot was taken and activity counted (X11/Wayland); a signal as well
        "provenance": {"capture": slot.capture_source, "activity": slot.activity_source},
    }
    if run is not None:
        body["chain"] = chain_body(run)
    return body


# A batch stays well under the server's body limit (1 MiB) whatever its memos hold: the
# server takes up to 500 slots, but a worst-case memo (1000 escaped characters) is ~12 KiB.
BATCH_MAX_SLOTS = 100
BATCH_MAX_BYTES = 400 * 1024
SIGNED_OVERHEAD = 600  # device key, prev_hash, hash, signature and the JSON around them


def batch_body(
    slots: Sequence[Slot], client_now: datetime, runs: Sequence[SignedRun | None] = ()
) -> dict[str, Any]:
    """The ``SlotBatch`` body: each slot's ``SlotPut`` body plus its ``slot_start``
    (``runs``: each slot's signed run, in the same order; empty: v1 bodies)."""
    signed = list(runs) or [None] * len(slots)
    return {
        "slots": [{"slot_start": iso(slot.slot_start), **slot_body(slot, client_now, run)}
                  for slot, run in zip(slots, signed, strict=True)]
    }


def batches(
    slots: Sequence[Slot],
    max_slots: int = BATCH_MAX_SLOTS,
    max_bytes: int = BATCH_MAX_BYTES,
) -> Iterator[tuple[int, list[Slot]]]:
    """Split ``slots`` into runs of one contract each, at most ``max_slots`` long and
    ``max_bytes`` of JSON (measured on the body as it will be sent), order kept."""
    chunk: list[Slot] = []
    size = 0
    for slot in slots:
        # client_now has a fixed width, so any instant measures the same; a signed slot
        # also carries its record (about the body again) and the hashes and signature
        item = 2 * len(json.dumps(slot_body(slot, slot.slot_start))) + SIGNED_OVERHEAD
        if chunk and (
            chunk[0].contract_id != slot.contract_id
            or len(chunk) >= max_slots
            or size + item > max_bytes
        ):
            yield chunk[0].contract_id, chunk
            chunk, size = [], 0
        chunk.append(slot)
        size += item
    if chunk:
        yield chunk[0].contract_id, chunk


@dataclass(frozen=True)
class BatchItem:
    """One slot's result in a ``SlotBatchReceipt``: an HTTP-like status and why."""

    slot_start: datetime
    status: int
    detail: str
    over_limit_minutes: int
    shot_expected: bool


def batch_receipt(body: object, sent: Sequence[Slot]) -> list[BatchItem]:
    """The per-slot results, in the order sent; a missing or extra one is a WireError."""
    data = _mapping(body, "batch receipt")
    results = data.get("results")
    if not isinstance(results, list) or len(results) != len(sent):
        raise WireError("the batch answer does not have one result per slot sent")
    items = []
    for slot, result in zip(sent, results, strict=True):
        entry = _mapping(result, "batch result")
        if instant_from_wire(entry.get("slot_start")) != slot.slot_start:
            raise WireError("the batch answer's results are not in the order sent")
        over = entry.get("over_limit_minutes")
        items.append(
            BatchItem(
                slot_start=slot.slot_start,
                status=_int(entry, "status"),
                detail=str(entry.get("detail") or ""),
                over_limit_minutes=over if isinstance(over, int) else 0,
                shot_expected=bool(entry.get("shot_expected", True)),
            )
        )
    return items


@dataclass(frozen=True)
class RemoteSlotReceipt:
    created: bool
    over_limit_minutes: int
    shot_expected: bool
    week_logged_minutes: int


def slot_receipt(body: object) -> RemoteSlotReceipt:
    data = _mapping(body, "slot receipt")
    return RemoteSlotReceipt(
        created=bool(data.get("created", False)),
        over_limit_minutes=_int(data, "over_limit_minutes"),
        shot_expected=bool(data.get("shot_expected", True)),
        week_logged_minutes=_int(data, "week_logged_minutes"),
    )


def hourly_contracts(body: object, fetched_at: datetime) -> list[Contract]:
    """The hourly contracts in a ``GET /me/contracts`` answer on which we are the
    freelancer, as the tracker caches them (fixed-price ones take no time)."""
    if not isinstance(body, list):
        raise WireError(f"expected a list of contracts, got {type(body).__name__}")
    contracts = []
    for item in body:
        data = _mapping(item, "contract")
        if data.get("kind") != "hourly" or data.get("your_role") != "freelancer":
            continue
        cap = data.get("weekly_cap_minutes")
        contracts.append(
            Contract(
                id=_int(data, "id"),
                title=str(data.get("title", "")),
                rate_cents=_int(data, "rate_cents"),
                currency=str(data.get("currency", "")),
                weekly_cap_minutes=None if cap is None else _int(data, "weekly_cap_minutes"),
                screenshots_enabled=bool(data.get("screenshots_enabled", True)),
                blur_shots=bool(data.get("blur_screenshots", False)),
                manual_time_allowed=bool(data.get("manual_time_allowed", False)),
                active=data.get("ended_at") is None,
                server_week_minutes=_int(data, "week_logged_minutes"),
                server_week_start=instant_from_wire(data.get("week_start")),
                fetched_at=fetched_at,
            )
        )
    return contracts


def _mapping(body: object, what: str) -> Mapping[str, object]:
    if not isinstance(body, Mapping):
        raise WireError(f"expected a {what} object, got {type(body).__name__}")
    return body


def _int(data: Mapping[str, object], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise WireError(f"field {name!r} should be an integer, got {value!r}")
    return value
