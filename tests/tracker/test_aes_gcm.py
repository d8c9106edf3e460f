"""Both AES-256-GCM implementations the shot files use seal alike, open each other's
files, and refuse a changed byte the same way."""

from __future__ import annotations

import pytest

from tracker import aes_gcm

KEY = bytes(range(32))
NONCE = bytes(range(12))
AAD = b"WDSHOT header\x001\x002026-11-30T08:00:00Z\x00shot"
PICTURE = b"\x00\x00\x00\x1cftypavif" + bytes(range(256)) * 40

SODIUM = aes_gcm.implementation(prefer_sodium=True)
OPENSSL = aes_gcm.implementation(prefer_sodium=False)


def test_this_machine_seals_through_libsodium() -> None:
    # the memory figure of issue 13 counts on it; a CPU without AES-NI takes the other
    assert SODIUM[0] is not OPENSSL[0]


def test_both_implementations_write_the_same_bytes() -> None:
    assert SODIUM[0](PICTURE, AAD, NONCE, KEY) == OPENSSL[0](PICTURE, AAD, NONCE, KEY)


@pytest.mark.parametrize(("sealer", "opener"), [(SODIUM, OPENSSL), (OPENSSL, SODIUM)],
                         ids=["libsodium-to-openssl", "openssl-to-libsodium"])
def test_a_file_sealed_by_one_opens_with_the_other(
        sealer: tuple[aes_gcm.Transform, aes_gcm.Transform],
        opener: tuple[aes_gcm.Transform, aes_gcm.Transform]) -> None:
    assert opener[1](sealer[0](PICTURE, AAD, NONCE, KEY), AAD, NONCE, KEY) == PICTURE


@pytest.mark.parametrize("pair", [SODIUM, OPENSSL], ids=["libsodium", "openssl"])
def test_a_changed_byte_or_other_data_is_not_authentic(
        pair: tuple[aes_gcm.Transform, aes_gcm.Transform]) -> None:
    sealed = bytearray(pair[0](PICTURE, AAD, NONCE, KEY))
    sealed[100] ^= 1
    with pytest.raises(aes_gcm.NotAuthentic):
        pair[1](bytes(sealed), AAD, NONCE, KEY)
    with pytest.raises(aes_gcm.NotAuthentic):
        pair[1](pair[0](PICTURE, AAD, NONCE, KEY), AAD + b"x", NONCE, KEY)
