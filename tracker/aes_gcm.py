"""AES-256-GCM for the shot files: libsodium's where the CPU has the instructions it
needs (AES-NI and CLMUL, or the ARM crypto extensions), ``cryptography``'s elsewhere.

Both are the same construction (12-byte nonce, ciphertext then 16-byte tag), so a file
sealed by one opens with the other. libsodium is the first choice because its bindings
cost the tray app about 1 MiB of memory where ``cryptography``'s cost 8–9 MiB (issue 13);
``cryptography`` is imported only on a CPU libsodium cannot serve.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import nacl.bindings
from nacl.exceptions import CryptoError

# (plain or sealed bytes, associated data, nonce, key) -> sealed or plain bytes
Transform = Callable[[bytes, bytes, bytes, bytes], bytes]


class NotAuthentic(Exception):
    """A sealed text that fails authentication: altered, damaged, or another key's."""


def _sodium_has_aes_gcm() -> bool:
    from nacl._sodium import lib  # type: ignore[import-not-found]  # no stubs; bindings init it

    return bool(lib.crypto_aead_aes256gcm_is_available())


def _sodium_open(sealed: bytes, aad: bytes, nonce: bytes, key: bytes) -> bytes:
    try:
        return nacl.bindings.crypto_aead_aes256gcm_decrypt(sealed, aad, nonce, key)
    except CryptoError:
        raise NotAuthentic from None


def _openssl_pair() -> tuple[Transform, Transform]:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    def seal(plain: bytes, aad: bytes, nonce: bytes, key: bytes) -> bytes:
        return AESGCM(key).encrypt(nonce, plain, aad)

    def open_(sealed: bytes, aad: bytes, nonce: bytes, key: bytes) -> bytes:
        try:
            return AESGCM(key).decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise NotAuthentic from None

    return seal, open_


@cache
def implementation(prefer_sodium: bool = True) -> tuple[Transform, Transform]:
    """(seal, open) of this machine; ``prefer_sodium=False`` gives ``cryptography``'s
    (the tests check the two agree)."""
    if prefer_sodium and _sodium_has_aes_gcm():
        return nacl.bindings.crypto_aead_aes256gcm_encrypt, _sodium_open
    return _openssl_pair()


def seal(plain: bytes, aad: bytes, nonce: bytes, key: bytes) -> bytes:
    return implementation()[0](plain, aad, nonce, key)


def open_sealed(sealed: bytes, aad: bytes, nonce: bytes, key: bytes) -> bytes:
    """The plain bytes; raises :class:`NotAuthentic`."""
    return implementation()[1](sealed, aad, nonce, key)
