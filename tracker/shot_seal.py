"""Shot files sealed at rest: AES-256-GCM with a fresh nonce per file.

A sealed file is ``MAGIC`` (7 bytes), a format version (1 byte), the key's id (8 bytes),
the nonce (12 bytes), then the ciphertext with its 16-byte tag. The associated data is
that header plus the slot the file belongs to (contract, slot start) and which part of
it the file is (the shot or its thumbnail), so a file moved to another slot, or a
thumbnail put in place of its shot, fails authentication like a changed byte does.

The magic cannot begin a WebP (``RIFF``), AVIF (``....ftyp``), JPEG (``FF D8``) or PNG
(``89 PNG``) file, so plain shots written by older versions are told apart by their
first bytes and still read. The key is given by the caller (the app keeps it in the OS
keyring); nothing here stores one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from diarychain.digest import sha256
from tracker import aes_gcm
from tracker.slots import slot_key

MAGIC = b"WDSHOT\x00"
VERSION = 1
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + 1 + KEY_ID_BYTES + NONCE_BYTES

ShotPart = Literal["shot", "thumbnail"]


class ShotUnreadable(Exception):
    """A shot file that cannot be turned back into its picture; ``path`` names it and
    ``reason`` says why in a few words ("key missing", "damaged or altered" …)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: shot unreadable: {reason}")
        self.path = path
        self.reason = reason


def key_id(key: bytes) -> bytes:
    """Which key sealed a file, without saying anything about the key itself."""
    return sha256(b"workdiary shot key id\x00" + key)[:KEY_ID_BYTES]


@dataclass(frozen=True)
class ShotKeys:
    """The key new files are sealed with, and older keys still accepted for reading (a
    key kept in the fallback file while the keyring was away, for instance)."""

    # never in a repr: a logged ShotKeys must not carry the keys into the log
    sealing: bytes = field(repr=False)
    also_opening: tuple[bytes, ...] = field(default=(), repr=False)
    _by_id: dict[bytes, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = (self.sealing, *self.also_opening)
        if any(len(key) != KEY_BYTES for key in keys):
            raise ValueError(f"a shot key is {KEY_BYTES} bytes")
        object.__setattr__(self, "_by_id", {key_id(key): key for key in reversed(keys)})

    def for_id(self, wanted: bytes) -> bytes | None:
        return self._by_id.get(wanted)


def is_sealed(data: bytes) -> bool:
    return data.startswith(MAGIC)


def _associated_data(header: bytes, contract_id: int, slot_start: datetime,
                     part: ShotPart) -> bytes:
    return header + f"\x00{contract_id}\x00{slot_key(slot_start)}\x00{part}".encode()


def seal(plain: bytes, key: bytes, contract_id: int, slot_start: datetime,
         part: ShotPart) -> bytes:
    """``plain`` encrypted for the shot file of ``part`` of that slot."""
    header = MAGIC + bytes([VERSION]) + key_id(key) + os.urandom(NONCE_BYTES)
    nonce = header[-NONCE_BYTES:]
    aad = _associated_data(header, contract_id, slot_start, part)
    return header + aes_gcm.seal(plain, aad, nonce, key)


def unseal(data: bytes, keys: ShotKeys | None, contract_id: int, slot_start: datetime,
           part: ShotPart, path: Path) -> bytes:
    """The picture in a shot file's bytes: decrypted if sealed, as is if an older plain
    file. Raises :class:`ShotUnreadable` naming ``path``."""
    if not is_sealed(data):
        return data
    if len(data) < HEADER_BYTES or data[len(MAGIC)] != VERSION:
        version = data[len(MAGIC)] if len(data) > len(MAGIC) else "none"
        raise ShotUnreadable(path, f"unknown sealed format (version {version})")
    header = data[:HEADER_BYTES]
    if keys is None:
        raise ShotUnreadable(path, "key missing")
    key = keys.for_id(header[len(MAGIC) + 1 : len(MAGIC) + 1 + KEY_ID_BYTES])
    if key is None:
        raise ShotUnreadable(path, "key missing")  # sealed with a key not on this computer
    aad = _associated_data(header, contract_id, slot_start, part)
    try:
        return aes_gcm.open_sealed(data[HEADER_BYTES:], aad, header[-NONCE_BYTES:], key)
    except aes_gcm.NotAuthentic:
        raise ShotUnreadable(path, "damaged, altered or not this slot's file") from None
