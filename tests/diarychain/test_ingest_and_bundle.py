"""What a receiver keeps of a run (held entries skipped, the rest linked in order, the
good ones before a break kept), and the bundle's zip: any one changed byte is found."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diarychain.bundle import BundleError, pack, unpack
from diarychain.chain import ChainEntry
from diarychain.ingest import new_entries
from tests.diarychain.test_chain import KEY, OTHER, chains


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
