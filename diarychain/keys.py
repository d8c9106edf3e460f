"""A device's Ed25519 key: the tracker signs with it, the server and the bundle check
verify with its public half (raw 32 bytes, hex on the wire)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class DeviceKeyError(ValueError):
    """Key bytes that are not an Ed25519 key."""


@dataclass(frozen=True)
class DeviceKey:
    _private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> DeviceKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> DeviceKey:
        try:
            return cls(Ed25519PrivateKey.from_private_bytes(raw))
        except ValueError as error:
            raise DeviceKeyError("not a 32-byte Ed25519 private key") from error

    def private_bytes(self) -> bytes:
        return self._private.private_bytes_raw()

    def public_hex(self) -> str:
        return self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def sign(self, message: bytes) -> str:
        return self._private.sign(message).hex()


def signature_holds(public_hex: str, signature_hex: str, message: bytes) -> bool:
    """Whether ``signature_hex`` is the device ``public_hex``'s signature of ``message``."""
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        public.verify(bytes.fromhex(signature_hex), message)
    except (ValueError, InvalidSignature):
        return False
    return True
