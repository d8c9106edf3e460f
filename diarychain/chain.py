"""A signed hash chain per device and contract: append an entry, verify a run of them.

Each entry's hash covers its record and the previous entry's hash, and the device signs
the hash. Editing a record changes its hash; dropping, reordering or inserting entries
breaks a link; forging one needs the device's private key. A deletion or a lost slot is
an entry of its own, so the chain has no silent holes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from diarychain.digest import sha256_hex
from diarychain.keys import DeviceKey, signature_holds
from diarychain.records import (
    GENESIS,
    Record,
    RecordError,
    canonical,
    record_fields,
    record_from_fields,
)

BreakKind = Literal["hash", "signature", "link"]


@dataclass(frozen=True)
class ChainEntry:
    record: Record
    prev_hash: str
    hash: str
    signature: str


@dataclass(frozen=True)
class Break:
    """Where a run of entries stops verifying, and why."""

    index: int
    kind: BreakKind
    detail: str


def entry_hash(record: Record, prev_hash: str) -> str:
    return sha256_hex(canonical(record, prev_hash))


def append(previous: ChainEntry | None, record: Record, key: DeviceKey) -> ChainEntry:
    """The entry that follows ``previous`` (None: the chain's first) with ``record``."""
    prev_hash = GENESIS if previous is None else previous.hash
    digest = entry_hash(record, prev_hash)
    return ChainEntry(record, prev_hash, digest, key.sign(digest.encode("ascii")))


def check_entry(entry: ChainEntry, public_hex: str) -> Break | None:
    """The entry on its own: its hash is its record's, and the device signed it."""
    if entry_hash(entry.record, entry.prev_hash) != entry.hash:
        return Break(0, "hash", "the record does not match its hash (edited)")
    if not signature_holds(public_hex, entry.signature, entry.hash.encode("ascii")):
        return Break(0, "signature", "not signed by this device's key")
    return None


def verify(entries: Sequence[ChainEntry], public_hex: str,
           first_prev: str = GENESIS) -> list[Break]:
    """Every break in ``entries`` read in order, the first linking to ``first_prev``;
    an empty list means the run verifies."""
    breaks: list[Break] = []
    expected_prev = first_prev
    for index, entry in enumerate(entries):
        problem = check_entry(entry, public_hex)
        if problem is not None:
            breaks.append(Break(index, problem.kind, problem.detail))
        elif entry.prev_hash != expected_prev:
            breaks.append(Break(index, "link", "does not follow the entry before it "
                                "(one was dropped, inserted or moved)"))
        expected_prev = entry.hash
    return breaks


def to_wire(entry: ChainEntry) -> dict[str, object]:
    return {"record": record_fields(entry.record), "prev_hash": entry.prev_hash,
            "hash": entry.hash, "signature": entry.signature}


def from_wire(body: object) -> ChainEntry:
    """An entry from its wire form; :class:`RecordError` when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("record"), dict):
        raise RecordError("a chain entry is {record, prev_hash, hash, signature}")
    texts = [body.get(name) for name in ("prev_hash", "hash", "signature")]
    if not all(isinstance(text, str) for text in texts):
        raise RecordError("prev_hash, hash and signature must be hex strings")
    prev_hash, digest, signature = (str(text) for text in texts)
    return ChainEntry(record_from_fields(body["record"]), prev_hash, digest, signature)
