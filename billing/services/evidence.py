"""The evidence bundle of one contract-week: the slot records as held, the signed diary
entries with their receipts, the device keys and the shots, in one canonical zip
(:mod:`diarychain.bundle`) that ``workdiary-server verify`` checks offline
(:mod:`billing.domain.evidence_check`). A read: nothing is written."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from billing.blobs import BlobStore
from billing.db import chain as chain_db
from billing.db import slots as slots_db
from billing.db.models import Contract, Slot
from billing.domain.evidence_check import FORMAT
from billing.domain.weeks import WEEK, week_start
from diarychain.bundle import pack


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def _slot_file(slot: Slot, shot_file: str | None) -> dict[str, Any]:
    return {
        "slot_start": _iso(slot.slot_start), "minutes": slot.minutes, "activity": slot.activity,
        "memo": slot.memo, "manual": slot.manual, "shot_taken_at": _iso(slot.shot_taken_at),
        "shot_sha256": slot.shot_sha256, "shot_note": slot.shot_note,
        "capture_source": slot.capture_source, "activity_source": slot.activity_source,
        "clock_jump": slot.clock_jump, "over_limit_minutes": slot.over_limit_minutes,
        "verified": slot.verified, "chain_hash": slot.chain_hash,
        "received_at": _iso(slot.received_at), "deleted_at": _iso(slot.deleted_at),
        "shot_file": shot_file,
    }


def week_bundle(
    session: Session, blobs: BlobStore, contract: Contract, day: datetime, *, now: datetime
) -> tuple[str, bytes]:
    """The bundle of the week holding ``day``: its file name and bytes."""
    week = week_start(day)
    slots = [slot for slot, _ in slots_db.diary(session, contract.id, week, week + WEEK)]
    slots += slots_db.deleted_in(session, contract.id, week, week + WEEK)
    files: dict[str, bytes] = {}
    records = []
    for slot in sorted(slots, key=lambda held: held.slot_start):
        image = None if slot.shot_blob_key is None else blobs.get(slot.shot_blob_key)
        name = None if image is None else f"shots/{slot.slot_start:%Y%m%dT%H%M}Z.img"
        if image is not None and name is not None:
            files[name] = image
        records.append(_slot_file(slot, name))
    segment = chain_db.chain_segment(session, contract.id, week, week + WEEK)
    entries = [{"device_key": key, "received_at": _iso(row.received_at),
                "entry": {"record": row.record, "prev_hash": row.prev_hash,
                          "hash": row.hash, "signature": row.signature}}
               for row, key in segment]
    files["slots.json"] = json.dumps(records, indent=1, sort_keys=True).encode()
    files["entries.json"] = json.dumps(entries, indent=1, sort_keys=True).encode()
    files["keys.json"] = json.dumps(sorted({key for _, key in segment})).encode()
    manifest = {
        "format": FORMAT, "contract_id": contract.id, "week_start": _iso(week),
        "generated_at": _iso(now),
        "files": {name: hashlib.sha256(body).hexdigest() for name, body in files.items()},
    }
    files["manifest.json"] = json.dumps(manifest, indent=1, sort_keys=True).encode()
    return f"evidence-contract-{contract.id}-week-{week:%Y-%m-%d}.zip", pack(files)
