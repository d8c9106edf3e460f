"""The signed hash chain: any edit, reorder, drop or insert is found; a signed deletion
or declared gap is a link like any other; another device's key does not verify."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diarychain.chain import ChainEntry, append, from_wire, to_wire, verify
from diarychain.keys import DeviceKey, DeviceKeyError, signature_holds
from diarychain.records import (
    GENESIS,
    DeletionRecord,
    GapRecord,
    Minute,
    Record,
    RecordError,
    SlotRecord,
    canonical,
    parse_instant,
)

KEY = DeviceKey.from_private_bytes(bytes(range(32)))  # a seeded key: runs are repeatable
OTHER = DeviceKey.from_private_bytes(bytes(range(1, 33)))
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

minutes = st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1,
                   max_size=10).map(lambda counts: tuple(
                       Minute(i, keys, mouse) for i, (keys, mouse) in enumerate(counts)))


@st.composite
def records(draw: st.DrawFn, slot_index: int) -> Record:
    start = MONDAY + timedelta(minutes=10 * slot_index)
    clock = start + timedelta(minutes=10, seconds=draw(st.integers(0, 59)))
    kind = draw(st.sampled_from(("slot", "slot", "slot", "deletion", "gap")))
    if kind == "deletion":
        return DeletionRecord(7, start, clock)
    if kind == "gap":
        return GapRecord(7, start, "the disk was full", clock)
    shot = draw(st.one_of(st.none(), st.text("0123456789abcdef", min_size=64, max_size=64)))
    return SlotRecord(7, start, draw(minutes), draw(st.text(max_size=40)), draw(st.booleans()),
                      shot, None if shot else "capture unavailable: blank screen",
                      "x11" if shot else "none:blank", clock)


@st.composite
def chains(draw: st.DrawFn) -> list[ChainEntry]:
    length = draw(st.integers(2, 6))
    entries: list[ChainEntry] = []
    for index in range(length):
        entries.append(append(entries[-1] if entries else None, draw(records(index)), KEY))
    return entries


@settings(max_examples=25, deadline=None)
@given(chains())
def test_a_chain_as_written_verifies_and_survives_the_wire(entries: list[ChainEntry]) -> None:
    assert verify(entries, KEY.public_hex()) == []
    over_the_wire = [from_wire(json.loads(json.dumps(to_wire(e)))) for e in entries]
    assert over_the_wire == entries


@settings(max_examples=25, deadline=None)
@given(chains(), st.data())
def test_an_edited_record_is_found(entries: list[ChainEntry], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(entries) - 1))
    entry = entries[index]
    later = dataclasses.replace(entry.record,
                                client_clock=entry.record.client_clock + timedelta(seconds=1))
    entries[index] = dataclasses.replace(entry, record=later)
    assert [(b.index, b.kind) for b in verify(entries, KEY.public_hex())] == [(index, "hash")]


@settings(max_examples=25, deadline=None)
@given(chains(), st.data())
def test_a_dropped_entry_is_found(entries: list[ChainEntry], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(entries) - 2))  # the last is the server's to miss
    del entries[index]
    assert [(b.index, b.kind) for b in verify(entries, KEY.public_hex())] == [(index, "link")]


@settings(max_examples=25, deadline=None)
@given(chains(), st.data())
def test_two_entries_swapped_are_found(entries: list[ChainEntry], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(entries) - 2))
    entries[index], entries[index + 1] = entries[index + 1], entries[index]
    breaks = verify(entries, KEY.public_hex())
    assert breaks and breaks[0].index == index and {b.kind for b in breaks} == {"link"}


@settings(max_examples=25, deadline=None)
@given(chains(), st.data())
def test_an_inserted_entry_is_found_even_when_signed(
    entries: list[ChainEntry], data: st.DataObject
) -> None:
    index = data.draw(st.integers(1, len(entries) - 1))
    forged = append(entries[index - 1], GapRecord(7, MONDAY, "never happened", MONDAY), OTHER)
    entries.insert(index, forged)
    assert [(b.index, b.kind) for b in verify(entries, KEY.public_hex())][:1] == [
        (index, "signature")]
    resigned = append(entries[index - 1], forged.record, KEY)  # with the device's own key
    entries[index] = resigned
    assert [(b.index, b.kind) for b in verify(entries, KEY.public_hex())] == [
        (index + 1, "link")]


def test_a_signed_deletion_is_a_link_like_any_other() -> None:
    slot = SlotRecord(7, MONDAY, (Minute(0, 3, 4),), "Build", False, "a" * 64, None, "x11",
                      MONDAY + timedelta(minutes=10))
    first = append(None, slot, KEY)
    deleted = append(first, DeletionRecord(7, MONDAY, MONDAY + timedelta(minutes=12)), KEY)
    assert first.prev_hash == GENESIS and deleted.prev_hash == first.hash
    assert verify([first, deleted], KEY.public_hex()) == []


def test_another_devices_key_does_not_verify() -> None:
    entry = append(None, GapRecord(7, MONDAY, "lost", MONDAY), KEY)
    assert [b.kind for b in verify([entry], OTHER.public_hex())] == ["signature"]
    assert [b.kind for b in verify([entry], "not hex")] == ["signature"]


def test_the_encoding_is_canonical_and_refuses_naive_times() -> None:
    record = GapRecord(7, MONDAY, "lost — ünïcode", MONDAY)
    assert canonical(record, GENESIS) == canonical(
        GapRecord(7, MONDAY.astimezone(), "lost — ünïcode", MONDAY), GENESIS)
    assert b" " not in canonical(record, GENESIS).replace("lost — ünïcode".encode(), b"")
    with pytest.raises(RecordError):
        canonical(GapRecord(7, MONDAY.replace(tzinfo=None), "x", MONDAY), GENESIS)


@pytest.mark.parametrize("body", [
    None, {}, {"record": {}}, {"record": {"kind": "slot"}, "prev_hash": 1},
    {"record": {"kind": "party", "contract_id": 7, "slot_start": "2026-11-30T09:00:00Z",
                "client_clock": "2026-11-30T09:00:00Z"},
     "prev_hash": GENESIS, "hash": "0", "signature": "0"},
    {"record": {"kind": "slot", "contract_id": True, "slot_start": "x", "client_clock": "x"},
     "prev_hash": GENESIS, "hash": "0", "signature": "0"},
])
def test_anything_else_on_the_wire_is_a_record_error(body: object) -> None:
    with pytest.raises(RecordError):
        from_wire(body)


def test_bad_key_bytes_and_instants_are_refused() -> None:
    with pytest.raises(DeviceKeyError):
        DeviceKey.from_private_bytes(b"short")
    with pytest.raises(RecordError):
        parse_instant("2026-11-30 09:00")


def test_keys_sign_as_rfc_8032_says() -> None:
    """Test 1 of RFC 8032 section 7.1: a signature made here checks anywhere, and one
    made by any Ed25519 implementation (as earlier versions' were) checks here."""
    key = DeviceKey.from_private_bytes(bytes.fromhex(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
    public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    signature = ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                 "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    assert key.public_hex() == public
    assert key.sign(b"") == signature
    assert signature_holds(public, signature, b"")
    assert not signature_holds(public, signature, b"x")
    assert not signature_holds(public[:-2], signature, b"")
    assert not signature_holds(public, "zz", b"")
