"""A process that uploads a store, announcing each request on stdout, for the crash test.

Usage: python -m tests.sync.uploader_child DATA_DIR SERVER_URL TOKEN NOW_ISO
Prints ``call <operation>`` before and ``done <operation>`` after each request, and
``drained`` at the end. The parent SIGKILLs it at random moments in between.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime
from pathlib import Path

from sync.api import ApiClient
from sync.lock import UploaderLock
from sync.retry import Backoff
from sync.uploader import SlotReceipt, Uploader
from sync.wire import BatchItem
from tests.support.shot_keys import TEST_SHOT_KEYS
from tracker.clock import ManualClock
from tracker.contract import Contract
from tracker.store import Slot, Store


class AnnouncingApi:
    """Wraps the real client; says what it is about to do and what it did."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def _say(self, line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def put_slot(self, slot: Slot, client_time: datetime) -> SlotReceipt:
        self._say("call put_slot")
        receipt = self.api.put_slot(slot, client_time)
        self._say("done put_slot")
        return receipt

    def put_slots(
        self, contract_id: int, slots: list[Slot], client_time: datetime
    ) -> list[BatchItem]:
        self._say("call put_slots")
        items = self.api.put_slots(contract_id, slots, client_time)
        self._say("done put_slots")
        return items

    def health(self) -> None:
        self._say("call health")
        self.api.health()
        self._say("done health")

    def put_shot(self, slot: Slot, image: bytes) -> None:
        self._say("call put_shot")
        self.api.put_shot(slot, image)
        self._say("done put_shot")

    def delete_slot(self, contract_id: int, slot_start: datetime) -> None:
        self._say("call delete_slot")
        self.api.delete_slot(contract_id, slot_start)
        self._say("done delete_slot")

    def my_contracts(self, fetched_at: datetime) -> list[Contract]:
        self._say("call my_contracts")
        contracts = self.api.my_contracts(fetched_at)
        self._say("done my_contracts")
        return contracts


def main(argv: list[str]) -> int:
    data_dir, url, token, now_iso = argv
    clock = ManualClock(datetime.fromisoformat(now_iso))
    with Store(Path(data_dir), TEST_SHOT_KEYS) as store, UploaderLock(store.db_path):
        api = AnnouncingApi(ApiClient(url, token, timeout=(2.0, 10.0)))
        uploader = Uploader(store, api, clock, Backoff(random.Random(1), 0.05, 1.0))
        uploader.drain(sleep=clock.advance)
    sys.stdout.write("drained\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
