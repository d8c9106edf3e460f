"""Shot files are sealed at rest (AES-GCM, the key passed in): nothing on disk decodes
as an image or holds the picture's bytes, and only the store turns them back."""

from __future__ import annotations

import hashlib
import io
import os
import random
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, UnidentifiedImageError

from tests.support.shot_keys import OTHER_SHOT_KEYS, TEST_SHOT_KEYS
from tracker.capture import ShotFormat, encode_shot
from tracker.clock import utc
from tracker.shot import EncodedShot, ShotFile
from tracker.shot_seal import MAGIC, ShotKeys, ShotUnreadable, is_sealed, seal, unseal
from tracker.store import MinuteActivity, ShotKeyMissing, Slot, Store

TAKEN = utc(2026, 11, 23, 9, 4)


def at(hour: int, minute: int = 0) -> datetime:
    return utc(2026, 11, 23, hour, minute)


def desktop_shot(taken_at: datetime, seed: int = 3) -> EncodedShot:
    """A noisy 1280×720 picture (WebP, the fast encoder): a shot of tens of KiB."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (1280, 720), rng.randbytes(1280 * 720 * 3))
    return encode_shot(image.reduce(4).resize((1280, 720)), taken_at, False,
                       ShotFormat(media_type="image/webp", webp_method=0))


def stored_slot(store: Store, start: datetime, shot: ShotFile) -> Slot:
    return store.write_slot(Slot(
        contract_id=7, slot_start=start, memo="memo",
        minutes=tuple(MinuteActivity(i, 1, 2) for i in range(10)),
        shot=shot, shot_state="taken",
    ))


def test_files_on_disk_are_no_image_and_hold_none_of_the_picture(tmp_path: Path) -> None:
    encoded = desktop_shot(TAKEN)
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        shot = store.save_shot(7, at(9), encoded)
        slot = stored_slot(store, at(9), shot)
        assert store.read_shot(slot) == encoded.image_bytes
        assert store.read_picture(7, at(9), shot.thumbnail_path, "thumbnail") == (
            encoded.thumbnail_bytes)
    # what the server is told and checks: the plain picture's digest and size
    assert shot.sha256 == hashlib.sha256(encoded.image_bytes).hexdigest()
    assert shot.size_bytes == len(encoded.image_bytes)
    for path, plain in ((shot.path, encoded.image_bytes),
                        (shot.thumbnail_path, encoded.thumbnail_bytes)):
        on_disk = path.read_bytes()
        assert on_disk.startswith(MAGIC)
        with pytest.raises(UnidentifiedImageError):
            Image.open(path)
        # no 16-byte run of the picture survives anywhere in the file
        assert not any(plain[i:i + 16] in on_disk for i in range(0, len(plain) - 16, 16))
    with Image.open(io.BytesIO(encoded.image_bytes)) as picture:
        assert picture.size == (1280, 720)  # the same bytes are an image in memory


def test_two_slots_swapped_files_and_a_thumbnail_for_its_shot_fail(tmp_path: Path) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        first = stored_slot(store, at(9), store.save_shot(7, at(9), desktop_shot(TAKEN, 1)))
        second = stored_slot(store, at(9, 10), store.save_shot(7, at(9, 10),
                                                                desktop_shot(TAKEN, 2)))
        assert first.shot is not None and second.shot is not None
        swap = first.shot.path.with_name("swap")
        os.replace(first.shot.path, swap)
        os.replace(second.shot.path, first.shot.path)
        os.replace(swap, second.shot.path)
        for slot in (first, second):
            with pytest.raises(ShotUnreadable, match="not this slot's file") as raised:
                store.read_shot(slot)
            assert raised.value.path == slot.shot.path  # type: ignore[union-attr]
        # the thumbnail copied over its own shot: same slot, other part
        first.shot.path.write_bytes(first.shot.thumbnail_path.read_bytes())
        with pytest.raises(ShotUnreadable, match="not this slot's file"):
            store.read_shot(first)


def test_a_tampered_file_is_reported_with_its_name(tmp_path: Path) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        slot = stored_slot(store, at(9), store.save_shot(7, at(9), desktop_shot(TAKEN)))
        assert slot.shot is not None
        sealed = bytearray(slot.shot.path.read_bytes())
        sealed[len(sealed) // 2] ^= 0x01
        slot.shot.path.write_bytes(bytes(sealed))
        with pytest.raises(ShotUnreadable) as raised:
            store.read_shot(slot)
    assert str(raised.value) == (
        f"{slot.shot.path}: shot unreadable: damaged, altered or not this slot's file")


def test_a_missing_or_other_key_says_key_missing_and_nothing_is_written_plain(
    tmp_path: Path,
) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        slot = stored_slot(store, at(9), store.save_shot(7, at(9), desktop_shot(TAKEN)))
    for keys in (None, OTHER_SHOT_KEYS):
        with Store(tmp_path, keys) as reopened:
            with pytest.raises(ShotUnreadable, match="shot unreadable: key missing") as raised:
                reopened.read_shot(slot)
            assert raised.value.path == slot.shot.path  # type: ignore[union-attr]
            # the slot and its time are still there
            assert reopened.get_slot(7, at(9)).minute_count == 10  # type: ignore[union-attr]
    with Store(tmp_path, None) as keyless, pytest.raises(ShotKeyMissing):
        keyless.save_shot(7, at(9, 10), desktop_shot(TAKEN))
    assert len(list((tmp_path / "shots").rglob("*.*"))) == 2  # the first shot and thumbnail
    # a key kept beside the new one still opens what it sealed
    with Store(tmp_path, ShotKeys(OTHER_SHOT_KEYS.sealing, (TEST_SHOT_KEYS.sealing,))) as both:
        assert both.read_shot(slot) == desktop_shot(TAKEN).image_bytes


def test_a_plain_shot_of_an_older_version_reads_and_is_sealed_once(tmp_path: Path) -> None:
    encoded = desktop_shot(TAKEN)
    folder = tmp_path / "shots" / "7" / "2026-11-23"
    folder.mkdir(parents=True)
    plain = ShotFile(path=folder / "0900-old.webp", thumbnail_path=folder / "0900-old.thumb.jpg",
                     sha256=hashlib.sha256(encoded.image_bytes).hexdigest(),
                     size_bytes=len(encoded.image_bytes), media_type="image/webp",
                     width=1280, height=720, taken_at=TAKEN)
    plain.path.write_bytes(encoded.image_bytes)  # as versions before sealing wrote them
    plain.thumbnail_path.write_bytes(encoded.thumbnail_bytes)
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        slot = stored_slot(store, at(9), plain)
        assert store.read_shot(slot) == encoded.image_bytes  # read as it is
        assert store.seal_plain_shot_files() == 2
        for path in (plain.path, plain.thumbnail_path):
            assert is_sealed(path.read_bytes())
            assert (path.stat().st_mode & 0o777) == 0o600
            with pytest.raises(UnidentifiedImageError):
                Image.open(path)
        assert store.read_shot(slot) == encoded.image_bytes
        assert store.read_picture(7, at(9), plain.thumbnail_path, "thumbnail") == (
            encoded.thumbnail_bytes)
        assert store.get_slot(7, at(9)).shot == plain  # type: ignore[union-attr]
        assert store.seal_plain_shot_files() == 0  # once: later starts skip the sweep
    assert not list(folder.glob(".*.tmp"))


def test_the_sweep_needs_a_key_and_leaves_a_missing_file_for_the_reader(
    tmp_path: Path,
) -> None:
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        slot = stored_slot(store, at(9), store.save_shot(7, at(9), desktop_shot(TAKEN)))
        assert slot.shot is not None
        slot.shot.path.unlink()
    with Store(tmp_path, None) as keyless:
        assert keyless.seal_plain_shot_files() == 0
        assert keyless.get_setting("shot_files_sealed") is None  # tried again with a key
    with Store(tmp_path, TEST_SHOT_KEYS) as store:
        assert store.seal_plain_shot_files() == 0
        with pytest.raises(FileNotFoundError):
            store.read_shot(slot)


def test_an_unknown_format_version_is_named() -> None:
    sealed = seal(b"picture", TEST_SHOT_KEYS.sealing, 7, at(9), "shot")
    assert unseal(sealed, TEST_SHOT_KEYS, 7, at(9), "shot", Path("x")) == b"picture"
    newer = MAGIC + b"\x02" + sealed[len(MAGIC) + 1:]
    with pytest.raises(ShotUnreadable, match=r"x: shot unreadable: unknown sealed format \(v"):
        unseal(newer, TEST_SHOT_KEYS, 7, at(9), "shot", Path("x"))
    # each file its own nonce: the same picture seals to different bytes
    assert sealed != seal(b"picture", TEST_SHOT_KEYS.sealing, 7, at(9), "shot")


def test_keys_stay_out_of_their_repr() -> None:
    assert TEST_SHOT_KEYS.sealing.hex() not in repr(TEST_SHOT_KEYS)
    assert repr(TEST_SHOT_KEYS.sealing) not in repr(TEST_SHOT_KEYS)
    with pytest.raises(ValueError, match="32 bytes"):
        ShotKeys(b"short")
