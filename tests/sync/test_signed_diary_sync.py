"""The signed diary end to end: the tracker signs what it sends, the real server verifies
it on ingest (wire v2), refuses what does not verify, and still takes v1 bodies."""

from __future__ import annotations

import random
import stat
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import keyring.backends.fail
import requests

from diarychain.chain import ChainEntry, append, to_wire
from diarychain.keys import DeviceKey
from diarychain.records import GENESIS
from sync.credentials import CredentialStore
from sync.service import SyncService
from sync.wire import iso, slot_body
from tests.support.server import SERVER
from tests.sync.backend import PASSWORD, Backend
from tests.sync.conftest import WEEK
from tracker.clock import ManualClock
from tracker.model import MinuteActivity, Slot
from tracker.signed_diary import slot_record
from tracker.store import Store

NOON = WEEK + timedelta(days=1, hours=12)


def _service(store: Store, backend: Backend, tmp_path: Path) -> SyncService:
    credentials = CredentialStore(keyring.backends.fail.Keyring(), tmp_path / "config")
    return SyncService(store, backend.url, clock=ManualClock(NOON), credentials=credentials,
                       rng=random.Random(3), timeout=(2.0, 5.0))


def _slot(contract_id: int, start: datetime, memo: str = "signed work") -> Slot:
    minutes = tuple(MinuteActivity(index, index + 1, 2 * index) for index in range(10))
    return Slot(contract_id, start, memo, minutes, shot_state="none", capture_source="x11")


def _at(hour: int, minute: int = 0) -> datetime:
    return WEEK + timedelta(days=1, hours=hour, minutes=minute)


class Api:
    """Raw requests with one token: what a tampering or replaying client sends."""

    def __init__(self, backend: Backend, email: str) -> None:
        self.base = f"{backend.url}/api/v1"
        self.headers = {"Authorization": f"Bearer {backend.token(email)}"}

    def register(self, key: DeviceKey) -> requests.Response:
        return requests.post(f"{self.base}/devices", json={"public_key": key.public_hex()},
                             headers=self.headers, timeout=10)

    def put(self, slot: Slot, body: dict[str, Any]) -> requests.Response:
        path = f"/contracts/{slot.contract_id}/slots/{quote(iso(slot.slot_start), safe='')}"
        return requests.put(self.base + path, json=body, headers=self.headers, timeout=10)


def _signed(slot: Slot, key: DeviceKey, previous: ChainEntry | None = None,
            claimed: DeviceKey | None = None) -> tuple[dict[str, Any], ChainEntry]:
    entry = append(previous, slot_record(slot, NOON), key)
    body = slot_body(slot, NOON)
    body["chain"] = {"device_key": (claimed or key).public_hex(), "entries": [to_wire(entry)]}
    return body, entry


def test_the_trackers_signed_slots_are_verified_and_its_deletion_is_a_chain_entry(
    backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    seeded = backend.seed_contract(WEEK, manual_time=True)
    backend.set_time(NOON)
    with Store(data_dir) as store:
        for start in (_at(9), _at(9, 10), _at(9, 20)):
            store.write_slot(_slot(seeded.contract_id, start))
        store.write_slot(Slot(seeded.contract_id, _at(10), "call", (MinuteActivity(0),) * 1,
                              manual=True, shot_state="manual"))
        service = _service(store, backend, tmp_path)
        service.sign_in(seeded.freelancer_email, PASSWORD)
        service.uploader.drain()
        assert {s.sync_state for s in store.slots_between(WEEK, NOON)} == {"synced"}
        store.delete_slot(seeded.contract_id, _at(9, 10), NOON)
        service.uploader.drain()
        assert store.pending_deletions() == []
        key_file = tmp_path / "config" / "device-key.json"  # no keyring here: the 0600 file
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = backend.token(seeded.freelancer_email)
    remote = backend.diary_week(token, seeded.contract_id, WEEK.date())
    assert [(s["slot_start"][11:16], s["verified"]) for s in remote] == [
        ("09:00", True), ("09:20", True), ("10:00", True)]
    entries = backend.chain_entries(seeded.contract_id)
    assert [(kind, start) for kind, start, _, _ in entries] == [
        ("slot", _at(9)), ("slot", _at(9, 10)), ("slot", _at(9, 20)), ("slot", _at(10)),
        ("deletion", _at(9, 10))]
    # the receipt: the server's receive time beside the tracker's clock reading
    assert all(clock == NOON and received == NOON for _, _, clock, received in entries)


def test_a_tampered_body_a_replay_a_broken_link_are_refused_and_v1_is_unverified(
    backend: Backend,
) -> None:
    mine, theirs = backend.seed_contract(WEEK), backend.seed_contract(WEEK)
    backend.set_time(NOON)
    api, other_api = Api(backend, mine.freelancer_email), Api(backend, theirs.freelancer_email)
    device, other_device = DeviceKey.generate(), DeviceKey.generate()
    assert api.register(device).status_code == 201
    assert api.register(device).status_code == 200  # the same key again: nothing changes
    assert other_api.register(other_device).status_code == 201
    assert other_api.register(device).status_code == 409  # another account's key

    first = _slot(mine.contract_id, _at(9))
    body, entry = _signed(first, device)
    body["memo"] = "edited after signing"
    refused = api.put(first, body)
    assert refused.status_code == 422 and "changed after it was signed" in refused.json()["detail"]
    assert "memo" in refused.json()["detail"]

    # a replay: the entry signed by another device's key, sent as this device's
    stolen, _ = _signed(first, other_device, claimed=device)
    refused = api.put(first, stolen)
    assert refused.status_code == 422 and "not signed by this device" in refused.json()["detail"]
    # and sent from the other account, with the key this account registered
    refused = other_api.put(replace(first, contract_id=theirs.contract_id),
                            _signed(replace(first, contract_id=theirs.contract_id), device)[0])
    assert refused.status_code == 422 and "not registered" in refused.json()["detail"]

    body, entry = _signed(first, device)
    assert api.put(first, body).status_code == 201
    assert api.put(first, body).status_code == 200  # the same signed body again
    second = _slot(mine.contract_id, _at(9, 10))
    orphan = replace(entry, hash="ab" * 32)  # names an entry the server never got
    body, _ = _signed(second, device, previous=orphan)
    refused = api.put(second, body)
    assert refused.status_code == 409 and "prev_hash" in refused.json()["detail"]
    body, _ = _signed(second, device, previous=entry)
    assert api.put(second, body).status_code == 201

    v1 = _slot(mine.contract_id, _at(9, 20))
    assert api.put(v1, slot_body(v1, NOON)).status_code == 201
    remote = backend.diary_week(backend.token(mine.freelancer_email), mine.contract_id,
                                WEEK.date())
    assert [s["verified"] for s in remote] == [True, True, False]
    assert entry.prev_hash == GENESIS


def test_a_rewritten_diary_forks_the_chain_and_is_refused(backend: Backend) -> None:
    """Entries the device itself signed validly, but after an entry that already has
    its successor (the diary rewritten from there): 409. A second start is a tracker
    whose data dir was wiped, starting over with the key the keyring kept: accepted."""
    seeded = backend.seed_contract(WEEK)
    backend.set_time(NOON)
    api, device = Api(backend, seeded.freelancer_email), DeviceKey.generate()
    assert api.register(device).status_code == 201
    first, second = _slot(seeded.contract_id, _at(9)), _slot(seeded.contract_id, _at(9, 10))
    body, entry = _signed(first, device)
    assert api.put(first, body).status_code == 201
    body, _ = _signed(second, device, previous=entry)
    assert api.put(second, body).status_code == 201

    rewritten = _slot(seeded.contract_id, _at(9, 20), memo="a different story")
    body, _ = _signed(rewritten, device, previous=entry)  # after the first entry again
    refused = api.put(rewritten, body)
    assert refused.status_code == 409, refused.text
    assert "forked or rewritten" in refused.json()["detail"]
    body, _ = _signed(rewritten, device)  # a new start
    assert api.put(rewritten, body).status_code == 201
    remote = backend.diary_week(backend.token(seeded.freelancer_email), seeded.contract_id,
                                WEEK.date())
    assert [s["slot_start"][11:16] for s in remote] == ["09:00", "09:10", "09:20"]


def test_a_slot_the_server_cannot_verify_stays_on_the_tracker_refused_with_the_reason(
    backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    seeded, squatter = backend.seed_contract(WEEK), backend.seed_contract(WEEK)
    backend.set_time(NOON)
    with Store(data_dir) as store:
        store.write_slot(_slot(seeded.contract_id, _at(9)))
        service = _service(store, backend, tmp_path)
        # another account registered this install's key first: nothing it signs verifies
        Api(backend, squatter.freelancer_email).register(service.device_keys.key())
        service.sign_in(seeded.freelancer_email, PASSWORD)
        service.uploader.drain()
        (kept,) = store.slots_between(WEEK, NOON)
    assert kept.sync_state == "rejected" and kept.minute_count == 10
    assert kept.sync_reason is not None and "not registered" in kept.sync_reason
    assert backend.slot_rows(seeded.contract_id) == []




def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SERVER, "verify", str(path)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_a_weeks_evidence_bundle_verifies_offline_and_one_changed_byte_fails_it(
    backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    backend.set_time(NOON)
    with Store(data_dir) as store:
        for start in (_at(9), _at(9, 10), _at(9, 20)):
            store.write_slot(_slot(seeded.contract_id, start))
        service = _service(store, backend, tmp_path)
        service.sign_in(seeded.freelancer_email, PASSWORD)
        service.uploader.drain()
        store.delete_slot(seeded.contract_id, _at(9, 20), NOON)
        service.uploader.drain()
    v1 = _slot(seeded.contract_id, _at(9, 30))
    assert Api(backend, seeded.freelancer_email).put(v1, slot_body(v1, NOON)).status_code == 201
    bundles = {}
    for email in (seeded.freelancer_email, seeded.client_email):  # both parties may download
        answer = requests.get(
            f"{backend.url}/api/v1/contracts/{seeded.contract_id}/evidence",
            params={"week": WEEK.date().isoformat()},
            headers={"Authorization": f"Bearer {backend.token(email)}"}, timeout=30)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
        bundles[email] = answer.content
    bundle = tmp_path / "week.zip"
    bundle.write_bytes(bundles[seeded.client_email])
    checked = _verify(bundle)
    assert checked.returncode == 0, checked.stdout
    assert "4 signed entries, signatures and links hold" in checked.stdout  # 3 slots, 1 deletion
    assert "3 of 4 slots are the records their entries sign" in checked.stdout
    original = bundle.read_bytes()
    # one changed byte: in a record, in the first header, in the central directory
    record_at = original.index(b'"memo": "signed work"') + 10
    for offset in (record_at, 10, len(original) - 30):
        changed = bytearray(original)
        changed[offset] ^= 0x01
        bundle.write_bytes(bytes(changed))
        failed = _verify(bundle)
        assert failed.returncode == 1, (offset, failed.stdout)
        assert "the bundle does NOT verify" in failed.stdout


def test_idle_discarded_after_sync_is_a_new_signed_entry_the_server_applies(
    backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    backend.set_time(NOON)
    with Store(data_dir) as store:
        store.write_slot(_slot(seeded.contract_id, _at(9)))
        service = _service(store, backend, tmp_path)
        service.sign_in(seeded.freelancer_email, PASSWORD)
        service.uploader.drain()
        store.remove_minutes(seeded.contract_id, _at(9), [7, 8, 9], NOON)
        service.uploader.drain()
        (kept,) = store.slots_between(WEEK, NOON)
        assert kept.sync_state == "synced" and kept.minute_count == 7
    (remote,) = backend.diary_week(backend.token(seeded.freelancer_email), seeded.contract_id,
                                   WEEK.date())
    assert (remote["minutes"], remote["verified"]) == (7, True)
    assert [kind for kind, _, _, _ in backend.chain_entries(seeded.contract_id)] == ["slot"] * 2
