"""A slot deleted at any point of its upload is deleted on the server too: no ghosts.

The real uploader and ``ApiClient`` talk to the real server through the loopback fault
proxy, which drops requests and, worse, drops replies after the server acted. The
freelancer deletes slots at every point of an upload — before the PUT leaves, after
the PUT was sent (its reply maybe lost), after the shot was sent, and after the slot
was synced — and the uploader is restarted (process state gone, store reopened from
disk) right after some of those deletions. Afterwards the server's diary equals the
local store, slot for slot, and the server holds no slot the store has deleted.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path

from sync.api import ApiClient
from sync.retry import Backoff
from sync.uploader import SlotReceipt, Uploader
from sync.wire import BatchItem
from tests.support.faulty_proxy import Fault, FaultPlan, FaultyProxy
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.backend import Backend
from tests.sync.conftest import WEEK
from tests.sync.diary import write_slot
from tests.sync.test_against_server import assert_server_holds_exactly
from tracker.clock import ManualClock
from tracker.contract import Contract
from tracker.store import Slot, Store


class Point(Enum):
    """Where in its upload the freelancer deletes a slot."""

    KEPT = "kept"
    BEFORE_PUT = "before the PUT is sent"
    PUT_SENT = "after the PUT was sent"
    SHOT_SENT = "after the shot was sent"
    AFTER_SYNC = "after it was synced"


class Restart(BaseException):
    """The app quits right after a deletion: the uploader's memory is gone."""


class DeletingFreelancer:
    """The real API client, with a freelancer who deletes chosen slots while they are
    being uploaded (as the diary window can, from the GUI thread, at any instant)."""

    def __init__(
        self,
        api: ApiClient,
        store: Callable[[], Store],
        clock: ManualClock,
        points: dict[datetime, Point],
        restart_after: set[datetime],
    ) -> None:
        self.api = api
        self._store = store
        self._clock = clock
        self._points = points
        self._restart_after = restart_after
        self.deleted: list[datetime] = []

    def put_slot(self, slot: Slot, client_time: datetime) -> SlotReceipt:
        self._maybe_delete(slot, Point.BEFORE_PUT)
        try:
            return self.api.put_slot(slot, client_time)
        finally:
            self._maybe_delete(slot, Point.PUT_SENT)

    def put_slots(
        self, contract_id: int, slots: list[Slot], client_time: datetime
    ) -> list[BatchItem]:
        for slot in slots:
            self._maybe_delete(slot, Point.BEFORE_PUT)
        try:
            return self.api.put_slots(contract_id, slots, client_time)
        finally:
            for slot in slots:
                self._maybe_delete(slot, Point.PUT_SENT)

    def health(self) -> None:
        self.api.health()

    def put_shot(self, slot: Slot, image: bytes) -> None:
        try:
            self.api.put_shot(slot, image)
        finally:
            self._maybe_delete(slot, Point.SHOT_SENT)

    def delete_slot(self, contract_id: int, slot_start: datetime) -> None:
        self.api.delete_slot(contract_id, slot_start)

    def my_contracts(self, fetched_at: datetime) -> list[Contract]:
        return self.api.my_contracts(fetched_at)

    def _maybe_delete(self, slot: Slot, point: Point) -> None:
        if self._points.get(slot.slot_start) is not point or slot.slot_start in self.deleted:
            return
        self._store().delete_slot(slot.contract_id, slot.slot_start, self._clock.now())
        self.deleted.append(slot.slot_start)
        if slot.slot_start in self._restart_after:
            self._restart_after.discard(slot.slot_start)
            raise Restart(f"quit after deleting {slot.key} {point.value}")


def _points(starts: list[datetime], rng: random.Random) -> dict[datetime, Point]:
    """Every point for the same number of slots, shuffled over the day."""
    points = [point for point in Point for _ in range(len(starts) // len(Point))]
    rng.shuffle(points)
    return dict(zip(starts, points, strict=True))


class RestartingApp:
    """The tracker's store and uploader on ``data_dir``, started again after a Restart."""

    def __init__(self, data_dir: Path, clock: ManualClock, seed: int) -> None:
        self.data_dir, self.clock, self.seed = data_dir, clock, seed
        self.store = Store(data_dir, TEST_SHOT_KEYS)
        self.api: DeletingFreelancer | None = None

    def restart(self) -> None:
        self.store.close()
        self.store = Store(self.data_dir, TEST_SHOT_KEYS)

    def _uploader(self) -> Uploader:
        assert self.api is not None
        backoff = Backoff(random.Random(self.seed), 0.5, 30.0)
        return Uploader(self.store, self.api, self.clock, backoff)

    def _pause(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    def drain(self) -> None:
        """Upload until nothing is left, starting the app again after each Restart."""
        uploader = self._uploader()
        for _ in range(400):
            try:
                uploader.drain(max_passes=1, sleep=self._pause)
                return
            except Restart:
                self.restart()
                uploader = self._uploader()
            except RuntimeError:  # one pass was not enough: carry on
                continue
        raise AssertionError("the uploads did not settle")


def upload_deleting_at_every_point(
    backend: Backend, data_dir: Path, seed: int = 11, slots: int = 40
) -> tuple[int, int, dict[str, int]]:
    """Run the scenario; returns (ghosts, slots the server misses, proxy fault counts).
    A ghost is a slot the server still holds (and bills) that the store has deleted."""
    seeded = backend.seed_contract(WEEK)
    rng = random.Random(seed)
    evening = WEEK + timedelta(days=1, hours=19)
    backend.set_time(evening)
    clock = ManualClock(evening)
    token = backend.token(seeded.freelancer_email)
    starts = [WEEK + timedelta(days=1, hours=9, minutes=10 * n) for n in range(slots)]
    points = _points(starts, rng)
    restart_after = {start for start in starts if rng.random() < 0.5}
    app = RestartingApp(data_dir, clock, seed)
    for start in starts:
        with_shot = points[start] is Point.SHOT_SENT or rng.random() < 0.8
        write_slot(app.store, seeded.contract_id, start, rng, with_shot=with_shot)
    plan = FaultPlan(drop_before=0.1, drop_after=0.3, delay=0.1)
    with FaultyProxy(backend.address, random.Random(seed + 1), plan) as proxy:
        api = ApiClient(proxy.url, token, timeout=(1.0, 2.0))
        app.api = DeletingFreelancer(api, lambda: app.store, clock, points, restart_after)
        app.drain()
        # the freelancer deletes synced slots, and the app quits before it syncs again
        for start in starts:
            if points[start] is Point.AFTER_SYNC:
                app.store.delete_slot(seeded.contract_id, start, clock.now())
        app.restart()
        app.drain()
        faults = {fault.value: count for fault, count in proxy.stats.exchanges.items()}
        api.close()
    try:
        local = app.store.slots_between(WEEK, WEEK + timedelta(days=7))
        assert app.store.pending_deletions() == [] and app.store.sync_queue(clock.now()) == []
    finally:
        app.store.close()
    rows = backend.slot_rows(seeded.contract_id)
    live = {start for start, gone in rows if not gone}
    kept = {slot.slot_start for slot in local}
    ghosts, missing = len(live - kept), len(kept - live)
    if ghosts == 0 and missing == 0:
        deleted_rows = sum(gone for _, gone in rows)
        assert_server_holds_exactly(backend, token, seeded.contract_id, local, deleted_rows)
    print(
        f"deleted {slots - len(local)} of {slots} slots during upload: {ghosts} ghosts, "
        f"{missing} missing; proxy faults {faults}"
    )
    return ghosts, missing, faults


def test_slots_deleted_at_every_point_of_an_upload_leave_no_ghost(
    backend: Backend, data_dir: Path
) -> None:
    ghosts, missing, faults = upload_deleting_at_every_point(backend, data_dir)
    assert faults[Fault.DROP_AFTER.value] >= 10  # replies really were lost after the act
    assert (ghosts, missing) == (0, 0)
