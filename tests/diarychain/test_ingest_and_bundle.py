"""What a receiver keeps of a run (held entries skipped, the rest linked in order, the
good ones before a break kept), and the bundle's zip: any one changed byte is found."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diarychain.bundle import BundleError, pack, unpack
from diarychain.chain import ChainEntry, append
from diarychain.ingest import new_entries
from tests.diarychain.test_chain import KEY, OTHER, chains, records


@settings(max_examples=25, deadline=None)
@given(chains(), st.data())
def test_a_run_after_what_is_held_is_kept_whole_and_a_resend_adds_nothing(
    entries: list[ChainEntry], data: st.DataObject
) -> None:
    held_count = data.draw(st.integers(0, len(entries)))
    held = {entry.hash for entry in entries[:held_count]}
    fresh, broken = new_entries(entries, KEY.public_hex(), held)
    assert broken is None and fresh == entries[held_count:]
    assert new_entries(entries, KEY.public_hex(), {e.hash for e in entries}) == ([], None)


@settings(max_examples=25, deadline=None)
@given(chains(), st.data())
def test_a_run_that_skips_an_entry_the_receiver_lacks_breaks_there(
    entries: list[ChainEntry], data: st.DataObject
) -> None:
    dropped = data.draw(st.integers(0, len(entries) - 2))
    run = entries[:dropped] + entries[dropped + 1:]
    fresh, broken = new_entries(run, KEY.public_hex(), set())
    assert broken is not None and (broken.index, broken.kind) == (dropped, "link")
    assert fresh == entries[:dropped]  # the good ones before the break are kept
    fresh, broken = new_entries(entries, OTHER.public_hex(), set())
    assert fresh == [] and broken is not None and broken.kind == "signature"


@settings(max_examples=25, deadline=None)
@given(chains(), st.data())
def test_a_second_entry_after_one_the_receiver_holds_is_a_fork_and_refused(
    entries: list[ChainEntry], data: st.DataObject
) -> None:
    """A diary rewritten from some point on (each entry validly signed by the device
    itself) links to an entry that already has its successor: refused there."""
    held = {entry.hash for entry in entries}
    followed = {entry.prev_hash for entry in entries}
    at = data.draw(st.integers(1, len(entries) - 1))  # a second start is no fork
    rewritten = append(entries[at - 1], data.draw(records(at + 40)), KEY)
    assert rewritten.hash not in held
    fresh, broken = new_entries([rewritten], KEY.public_hex(), held, followed)
    assert fresh == [] and broken is not None and broken.kind == "link"
    assert "forked" in broken.detail
    # within one run too: two entries after the same one
    fresh, broken = new_entries([*entries[:at + 1], rewritten], KEY.public_hex(), set())
    assert fresh == entries[:at + 1] and broken is not None and broken.index == at + 1


files = st.dictionaries(st.sampled_from(["manifest.json", "slots.json", "shots/a.img", "b"]),
                        st.binary(min_size=1, max_size=200), min_size=1)


@settings(max_examples=60, deadline=None)
@given(files, st.data())
def test_the_bundle_zip_round_trips_and_one_changed_byte_anywhere_is_found(
    contents: dict[str, bytes], data: st.DataObject
) -> None:
    packed = pack(contents)
    assert pack(contents) == packed and unpack(packed) == contents
    offset = data.draw(st.integers(0, len(packed) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = bytearray(packed)
    changed[offset] ^= flip
    with pytest.raises(BundleError):
        unpack(bytes(changed))


@pytest.mark.parametrize("signature", [b"PK\x03\x04", b"PK\x01\x02"],
                         ids=["local header", "central directory"])
def test_a_bundle_marked_encrypted_is_refused_as_changed(signature: bytes) -> None:
    """Hypothesis found it: the "encrypted" flag bit set made zipfile raise RuntimeError."""
    packed = bytearray(pack({"shots/a.img": b"abcd"}))
    flags = packed.index(signature) + (6 if signature == b"PK\x03\x04" else 8)
    packed[flags] |= 1
    with pytest.raises(BundleError):
        unpack(bytes(packed))
