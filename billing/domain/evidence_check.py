"""The offline check of an evidence bundle (``workdiary-server verify BUNDLE``). Pure.

It says, line by line, what holds: every file is the one the manifest lists; each
signed entry's hash and signature hold with its device's key, and each device's entries
link in order; each verified slot is the record its entry signs; each shot is the one
its slot announced. Any changed byte makes at least one line fail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing.domain.signed_slots import body_mismatch
from billing.domain.slots import SlotBody
from diarychain.bundle import BundleError, unpack
from diarychain.chain import ChainEntry, from_wire, verify
from diarychain.records import RecordError

FORMAT = "workdiary-evidence/1"


@dataclass(frozen=True)
class Finding:
    holds: bool
    text: str


def check_bundle(data: bytes) -> list[Finding]:
    """What holds in the bundle ``data``; the bundle verifies when every finding holds."""
    try:
        files = unpack(data)
        manifest = json.loads(files["manifest.json"])
    except (BundleError, KeyError, ValueError) as error:
        return [Finding(False, f"bundle unreadable: {error}")]
    findings = [_files_match(files, manifest)]
    try:
        entries = [(str(item["device_key"]), from_wire(item["entry"]))
                   for item in json.loads(files["entries.json"])]
        slots: list[dict[str, Any]] = json.loads(files["slots.json"])
    except (KeyError, TypeError, ValueError, RecordError) as error:
        return [*findings, Finding(False, f"records unreadable: {error}")]
    findings += _chains_hold(entries)
    findings.append(_slots_signed(int(manifest["contract_id"]), slots, entries))
    findings.append(_shots_match(files, slots))
    return findings


def _files_match(files: Mapping[str, bytes], manifest: Mapping[str, Any]) -> Finding:
    listed: dict[str, str] = dict(manifest.get("files", {}))
    actual = {name: hashlib.sha256(body).hexdigest()
              for name, body in files.items() if name != "manifest.json"}
    if manifest.get("format") != FORMAT or listed != actual:
        changed = sorted(set(listed) ^ set(actual)
                         | {n for n in listed if actual.get(n) != listed[n]})
        return Finding(False, f"files differ from the manifest: {', '.join(changed) or 'format'}")
    return Finding(True, f"{len(actual)} files match the manifest's sha256")


def _chains_hold(entries: list[tuple[str, ChainEntry]]) -> list[Finding]:
    by_device: dict[str, list[ChainEntry]] = {}
    for device, entry in entries:
        by_device.setdefault(device, []).append(entry)
    findings = []
    for device, chain in by_device.items():
        breaks = verify(chain, device, first_prev=chain[0].prev_hash)
        if breaks:
            first = breaks[0]
            findings.append(Finding(False, f"device {device[:16]}…: entry {first.index + 1} "
                                           f"breaks the chain ({first.kind}: {first.detail})"))
        else:
            findings.append(Finding(True, f"device {device[:16]}…: {len(chain)} signed entries, "
                                          "signatures and links hold"))
    return findings


def _slots_signed(contract_id: int, slots: list[dict[str, Any]],
                  entries: list[tuple[str, ChainEntry]]) -> Finding:
    by_hash = {entry.hash: entry for _, entry in entries}
    verified = [slot for slot in slots if slot.get("verified")]
    for slot in verified:
        entry = by_hash.get(str(slot.get("chain_hash")))
        start = datetime.fromisoformat(str(slot["slot_start"]))
        mismatch = "its entry is not in the bundle" if entry is None else body_mismatch(
            entry.record, contract_id, start, _body(slot))
        if mismatch is not None:
            return Finding(False, f"slot {slot['slot_start']}: {mismatch}")
    return Finding(True, f"{len(verified)} of {len(slots)} slots are the records their "
                         "entries sign (the rest unsigned: v1 trackers)")


def _body(slot: Mapping[str, Any]) -> SlotBody:
    taken = slot.get("shot_taken_at")
    return SlotBody(
        minutes=int(slot["minutes"]),
        activity=tuple((int(k), int(m)) for k, m in slot["activity"]),
        memo=str(slot["memo"]), manual=bool(slot["manual"]),
        shot_taken_at=None if taken is None else datetime.fromisoformat(taken),
        shot_sha256=slot.get("shot_sha256"), shot_note=slot.get("shot_note"),
        client_now=datetime.fromisoformat(str(slot["received_at"])),
        capture_source=slot.get("capture_source"),
    )


def _shots_match(files: Mapping[str, bytes], slots: list[dict[str, Any]]) -> Finding:
    shots = 0
    for slot in slots:
        name = slot.get("shot_file")
        if name is None:
            continue
        body = files.get(str(name))
        if body is None or hashlib.sha256(body).hexdigest() != slot.get("shot_sha256"):
            return Finding(False, f"slot {slot['slot_start']}: its shot is not the one announced")
        shots += 1
    return Finding(True, f"{shots} shots match their slots' sha256")
