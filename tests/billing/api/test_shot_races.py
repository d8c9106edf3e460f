"""A shot upload racing the slot's deletion never leaves a blob on a deleted slot, and a
shot upload waits for SQLite's write lock only to name its blob.

- Deterministic: the upload is held inside the blob store's put (an injected pause)
  while the slot is deleted; the upload then ends 404 and its blob is gone.
- Many at once on PostgreSQL: sixty slots, each uploaded and deleted at the same moment;
  every deleted slot is without a blob, every blob is named by a live slot.
- A crash between a deletion's commit and its blob removal (an injected failure)
  leaves an orphan that the sweep removes.
- While another connection holds SQLite's write lock, a shot upload is authorized,
  checked and put in the blob store; it then takes the lock once, to name the blob.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from billing.blob_sweep import sweep_orphan_blobs
from billing.blobs import BlobInfo, BlobStore, LocalBlobStore, Upload
from billing.db.models import Contract, Slot, User
from billing.db.session import unit_of_work
from billing.db.sqlite_writers import READ_ONLY
from billing.services import hourly
from tests.billing.support import START, Backend, iso, make_backend
from tests.support.db import fresh_database_url


class HeldStore:
    """A LocalBlobStore whose ``put_file`` waits for ``release`` (after saying ``entered``),
    and whose ``delete`` can be made to fail as a crash would."""

    def __init__(self, root: Path) -> None:
        self.inner = LocalBlobStore(root)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.crash_on_delete = False

    def put(self, key: str, data: bytes) -> None:
        self.inner.put(key, data)

    def put_stream(self, key: str, stream: Any, sha256: str) -> int:
        return self.inner.put_stream(key, stream, sha256)

    def put_file(self, key: str, upload: Upload) -> None:
        self.entered.set()
        assert self.release.wait(timeout=30)
        self.inner.put_file(key, upload)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def open_chunks(self, key: str) -> Iterator[bytes] | None:
        return self.inner.open_chunks(key)

    def delete(self, key: str) -> None:
        if self.crash_on_delete:
            raise SystemError("the process died here")
        self.inner.delete(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def iter_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        return self.inner.iter_blobs(prefix)


def _slots_with_shots(backend: Backend, count: int) -> tuple[User, int, dict[datetime, bytes]]:
    freelancer = backend.user("freelancer")
    contract = backend.hourly(backend.user("client"), freelancer, cap_hours=None)
    backend.clock.set(START + timedelta(hours=12))
    images = {}
    for index in range(count):
        start = START + timedelta(minutes=10 * index)
        image = b"\xff\xd8\xff" + os.urandom(300)
        response = backend.put_slot(
            freelancer, contract, start, shot=image, taken_at=start + timedelta(minutes=1)
        )
        assert response.status_code == 201, response.text
        images[start] = image
    return freelancer, contract, images


def _blob_keys(store: BlobStore) -> set[str]:
    return {info.key for info in store.iter_blobs()}


def _live_keys(backend: Backend, contract: int) -> dict[datetime, str | None]:
    with unit_of_work(backend.session_factory) as session:
        slots = session.scalars(select(Slot).where(Slot.contract_id == contract)).all()
        return {
            slot.slot_start.replace(tzinfo=UTC): slot.shot_blob_key
            for slot in slots
            if slot.deleted_at is None
        }


def test_a_delete_while_the_shot_is_stored_leaves_no_blob(
    database_url: str, tmp_path: Path
) -> None:
    store = HeldStore(tmp_path / "blobs")
    with make_backend(database_url, tmp_path, blobs=store) as backend:
        freelancer, contract, images = _slots_with_shots(backend, 1)
        [(start, image)] = images.items()
        path = f"/contracts/{contract}/slots/{iso(start)}"
        store.release.clear()
        with ThreadPoolExecutor(1) as pool:
            upload = pool.submit(backend.request, "PUT", f"{path}/shot", freelancer, data=image)
            assert store.entered.wait(timeout=30)
            # the upload holds no transaction while the blob goes in: the delete is not
            # kept waiting (on SQLite it would wait for the write lock)
            assert backend.request("DELETE", path, freelancer).status_code == 204
            store.release.set()
            answer = upload.result(timeout=30)
        assert answer.status_code == 404, answer.text
        assert _blob_keys(store) == set()
        assert _live_keys(backend, contract) == {}


@pytest.mark.postgres
def test_sixty_uploads_racing_their_deletes_on_postgres(tmp_path: Path) -> None:
    store = HeldStore(tmp_path / "blobs")
    with (
        fresh_database_url("postgresql", tmp_path) as url,
        make_backend(url, tmp_path, blobs=store) as backend,
    ):
        freelancer, contract, images = _slots_with_shots(backend, 60)
        barriers = {start: threading.Barrier(2) for start in images}

        def act(job: tuple[datetime, str]) -> int:
            start, action = job
            path = f"/contracts/{contract}/slots/{iso(start)}"
            barriers[start].wait(timeout=30)
            if action == "upload":
                answer = backend.request("PUT", f"{path}/shot", freelancer, data=images[start])
            else:
                answer = backend.request("DELETE", path, freelancer)
            return int(answer.status_code)

        jobs = [(start, action) for start in images for action in ("upload", "delete")]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(act, jobs))
        assert set(statuses[1::2]) == {204}  # every delete went through
        assert set(statuses[0::2]) <= {201, 404}  # an upload before or after its delete
        assert _live_keys(backend, contract) == {}
        assert _blob_keys(store) == set(), "a deleted slot kept its shot"


def test_a_crash_mid_deletion_leaves_an_orphan_the_sweep_removes(tmp_path: Path) -> None:
    store = HeldStore(tmp_path / "blobs")
    with make_backend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path, blobs=store) as backend:
        freelancer, contract, images = _slots_with_shots(backend, 1)
        [(start, image)] = images.items()
        shot = f"/contracts/{contract}/slots/{iso(start)}/shot"
        assert backend.request("PUT", shot, freelancer, data=image).status_code == 201
        [key] = _blob_keys(store)
        store.crash_on_delete = True
        with unit_of_work(backend.session_factory) as session:
            row, actor = session.get(Contract, contract), session.get(User, freelancer.id)
            assert row is not None and actor is not None
            with pytest.raises(SystemError):
                hourly.delete_slots(
                    session, store, row, [start], actor=actor, now=backend.clock.now()
                )
        assert _live_keys(backend, contract) == {}  # the deletion committed
        assert _blob_keys(store) == {key}  # its blob outlived the crash
        store.crash_on_delete = False  # the server is back
        real_now = datetime.now(UTC)
        assert sweep_orphan_blobs(backend.session_factory, store, real_now) == []  # too young
        swept = sweep_orphan_blobs(backend.session_factory, store, real_now + timedelta(hours=2))
        assert swept == [key] and _blob_keys(store) == set()


def test_a_shot_is_checked_and_stored_while_another_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    store = HeldStore(tmp_path / "blobs")
    database = tmp_path / "b.sqlite3"
    with make_backend(f"sqlite:///{database}", tmp_path, blobs=store) as backend:
        freelancer, contract, images = _slots_with_shots(backend, 1)
        [(start, image)] = images.items()
        writes: list[int] = []
        engine = backend.client.app.state.engine  # type: ignore[attr-defined]

        def began(connection: Any) -> None:
            if not connection.get_execution_options().get(READ_ONLY):
                writes.append(1)

        event.listen(engine, "begin", began)
        blocker = sqlite3.connect(database, isolation_level=None, timeout=30)
        blocker.execute("BEGIN IMMEDIATE")  # another writer, e.g. a batch being stored
        try:
            with ThreadPoolExecutor(1) as pool:
                path = f"/contracts/{contract}/slots/{iso(start)}/shot"
                upload = pool.submit(backend.request, "PUT", path, freelancer, data=image)
                # token, contract, slot and sha256 were read beside the writer
                reached = store.entered.wait(timeout=10)
                assert writes == [], "the upload waited for the write lock before its blob"
                blocker.execute("ROLLBACK")
                answer = upload.result(timeout=30)
        finally:
            blocker.close()
        assert reached, "the shot reached the blob store only after the lock was free"
        assert answer.status_code == 201, answer.text
        assert writes == [1], "one write transaction per shot: the one naming its blob"
        assert set(_live_keys(backend, contract).values()) == _blob_keys(store) != set()
