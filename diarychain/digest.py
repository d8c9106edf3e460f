"""SHA-256 through libsodium, for every hash the tray app takes (chain entries, shot
files, the shot key's id).

``hashlib`` would do the same, but its SHA-256 is OpenSSL's: importing it loads
``libcrypto`` into the tray app (3.4 MiB, issue 13) when libsodium, already loaded for
the keys and the shot files' cipher, has one. It is slower (0.4 ms for a 140 kB shot,
against 0.08 ms), which at six shots an hour is nothing.
"""

from __future__ import annotations

import nacl.bindings


def sha256(data: bytes) -> bytes:
    return nacl.bindings.crypto_hash_sha256(data)


def sha256_hex(data: bytes) -> str:
    return sha256(data).hex()
