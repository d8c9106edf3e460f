"""A device's Ed25519 key: the tracker signs with it, the server and the bundle check
verify with its public half (raw 32 bytes, hex on the wire).

Signing and checking go through libsodium (PyNaCl): the same RFC 8032 signatures as any
Ed25519, at about a fifth of the tray app's memory that ``cryptography``'s bindings take
(issue 13).
"""

from __future__ import annotations

from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

SEED_BYTES = 32


class DeviceKeyError(ValueError):
    """Key bytes that are not an Ed25519 key."""


@dataclass(frozen=True)
class DeviceKey:
    _private: SigningKey

    @classmethod
    def generate(cls) -> DeviceKey:
        return cls(SigningKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> DeviceKey:
        """The key of a raw 32-byte private key (its seed, as RFC 8032 keeps it)."""
        if not isinstance(raw, bytes) or len(raw) != SEED_BYTES:
            raise DeviceKeyError("not a 32-byte Ed25519 private key")
        return cls(SigningKey(raw))

    def private_bytes(self) -> bytes:
        return bytes(self._private)

    def public_hex(self) -> str:
        return bytes(self._private.verify_key).hex()

    def sign(self, message: bytes) -> str:
        return self._private.sign(message).signature.hex()


def signature_holds(public_hex: str, signature_hex: str, message: bytes) -> bool:
    """Whether ``signature_hex`` is the device ``public_hex``'s signature of ``message``."""
    try:
        VerifyKey(bytes.fromhex(public_hex)).verify(message, bytes.fromhex(signature_hex))
    except (ValueError, TypeError, CryptoError):
        return False
    return True
