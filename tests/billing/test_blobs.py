"""One BlobStore suite over the local directory and S3 (a real moto server on loopback).

Same behaviour on both: round trips, a streamed put checked against the SHA-256 the
caller expects (small and multipart), nothing stored on a mismatch, idempotent deletes,
listing, and the orphan sweep against the real database and API.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from billing.blob_s3 import S3BlobStore
from billing.blob_sweep import sweep_orphan_blobs
from billing.blobs import BlobStore, ChecksumMismatch, LocalBlobStore, sha256_hex
from tests.billing.support import START, iso, make_backend
from tests.support.s3 import fresh_bucket, moto_endpoint, s3_client  # noqa: F401

MIB = 1024 * 1024
# the S3 store goes multipart above 5 MiB here (S3's smallest part), in 5 MiB parts
THRESHOLD = 5 * MIB


class Trickle(io.RawIOBase):
    """A stream that hands out at most 1000 bytes per read, like a slow socket."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, 1000) if size >= 0 else 1000)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    yield S3BlobStore(
        s3_client(endpoint),
        fresh_bucket(endpoint),
        key_prefix="shots/",
        multipart_threshold=THRESHOLD,
        part_size=THRESHOLD,
    )


def _all(store: BlobStore, key: str) -> bytes | None:
    chunks = store.open_chunks(key)
    return None if chunks is None else b"".join(chunks)


def test_round_trip_and_idempotent_delete(store: BlobStore) -> None:
    assert store.get("1/a") is None and _all(store, "1/a") is None
    assert not store.exists("1/a")
    store.put("1/a", b"first")
    store.put("1/a", b"second")  # a put replaces
    assert store.exists("1/a")
    assert store.get("1/a") == b"second" == _all(store, "1/a")
    store.delete("1/a")
    store.delete("1/a")  # deleting what is gone is not an error
    assert not store.exists("1/a") and store.get("1/a") is None


@pytest.mark.parametrize("size", [0, 70 * 1024, THRESHOLD, 2 * THRESHOLD + 123])
def test_streamed_put_stores_exactly_the_stream(store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    assert store.put_stream("7/shot", Trickle(data), sha256_hex(data)) == size  # type: ignore[arg-type]
    assert store.get("7/shot") == data
    assert _all(store, "7/shot") == data


@pytest.mark.parametrize("size", [70 * 1024, 2 * THRESHOLD + 123])
def test_a_stream_that_does_not_match_its_sha256_stores_nothing(
    store: BlobStore, size: int
) -> None:
    store.put("7/shot", b"the old bytes")
    data = os.urandom(size)
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ChecksumMismatch):
        store.put_stream("7/shot", io.BytesIO(data), wrong)
    with pytest.raises(ChecksumMismatch):
        store.put_stream("8/shot", io.BytesIO(data), wrong)
    assert store.get("7/shot") == b"the old bytes"  # the blob under that key is untouched
    assert not store.exists("8/shot")
    assert [info.key for info in store.iter_blobs()] == ["7/shot"]


def test_bad_keys_are_refused(store: BlobStore) -> None:
    for key in ("../escape", "/abs", "a/../b", "", "a//b", ".hidden"):
        with pytest.raises(ValueError):
            store.put(key, b"x")


def test_listing_by_prefix(store: BlobStore) -> None:
    store.put("1/a", b"aa")
    store.put("1/b", b"bbb")
    store.put("milestones/1/1/c", b"c")
    listed = {info.key: info.size_bytes for info in store.iter_blobs("1/")}
    assert listed == {"1/a": 2, "1/b": 3}
    assert len(list(store.iter_blobs())) == 3
    now = datetime.now(UTC)
    assert all(
        now - timedelta(minutes=5) < info.modified <= now + timedelta(minutes=1)
        for info in store.iter_blobs()
    )


def test_s3_sends_the_sha256_and_keeps_it(moto_endpoint: str) -> None:  # noqa: F811
    client = s3_client(moto_endpoint)
    bucket = fresh_bucket(moto_endpoint)
    store = S3BlobStore(client, bucket, multipart_threshold=THRESHOLD, part_size=THRESHOLD)
    small, large = os.urandom(1000), os.urandom(2 * THRESHOLD + 1)
    store.put_stream("s", io.BytesIO(small), sha256_hex(small))
    store.put_stream("l", io.BytesIO(large), sha256_hex(large))
    head: dict[str, Any] = client.head_object(Bucket=bucket, Key="s", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == _b64_sha256(small)
    assert head["Metadata"]["sha256"] == sha256_hex(small)
    head = client.head_object(Bucket=bucket, Key="l", ChecksumMode="ENABLED", PartNumber=1)
    assert head["PartsCount"] == 3  # multipart: 5 MiB + 5 MiB + 1 byte
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_s3_refuses_to_return_bytes_that_no_longer_match(moto_endpoint: str) -> None:  # noqa: F811
    client = s3_client(moto_endpoint)
    bucket = fresh_bucket(moto_endpoint)
    store = S3BlobStore(client, bucket)
    # an object whose bytes differ from the hash recorded with it (bit rot, a bad copy)
    client.put_object(Bucket=bucket, Key="k", Body=b"rotten", Metadata={"sha256": "0" * 64})
    with pytest.raises(ChecksumMismatch):
        store.get("k")


def _b64_sha256(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_orphan_sweep_removes_only_what_no_row_names(store: BlobStore, tmp_path: Path) -> None:
    """Shots uploaded and deleted through the API, plus blobs a crash left behind."""
    with make_backend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path, blobs=store) as backend:
        freelancer = backend.user("freelancer")
        contract = backend.hourly(backend.user("client"), freelancer)
        backend.clock.set(START + timedelta(hours=3))
        shots = {}
        for index in range(2):
            start = START + timedelta(minutes=10 * index)
            image = b"\xff\xd8\xff" + os.urandom(500)
            taken = start + timedelta(minutes=1)
            assert (
                backend.put_slot(
                    freelancer, contract, start, shot=image, taken_at=taken
                ).status_code
                == 201
            )
            path = f"/contracts/{contract}/slots/{iso(start)}/shot"
            assert backend.request("PUT", path, freelancer, data=image).status_code == 201
            shots[start] = image
        kept, gone = list(shots)
        deleted = backend.request("DELETE", f"/contracts/{contract}/slots/{iso(gone)}", freelancer)
        assert deleted.status_code == 204
        shot_keys = [info.key for info in store.iter_blobs()]
        assert len(shot_keys) == 1  # the delete removed its blob at once
        # a blob written just before a crash, its row never committed
        store.put(f"{contract}/20261102T0920Z-deadbeefdeadbeef", b"orphan")
        real_now = datetime.now(UTC)
        assert sweep_orphan_blobs(backend.session_factory, store, real_now) == []  # too young
        removed = sweep_orphan_blobs(backend.session_factory, store, real_now + timedelta(hours=2))
        assert removed == [f"{contract}/20261102T0920Z-deadbeefdeadbeef"]
        assert [info.key for info in store.iter_blobs()] == shot_keys
        response = backend.request(
            "GET", f"/contracts/{contract}/slots/{iso(kept)}/shot", freelancer
        )
        assert response.status_code == 200 and response.content == shots[kept]


def test_an_unreachable_object_store_is_a_503_and_the_shot_waits_for_it(
    moto_endpoint: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The store is down while a shot uploads: the tracker is told to retry (503), the
    slot keeps waiting for its shot, and the retry after the store is back stores it."""
    from billing.blob_s3 import S3Location, make_s3_client
    from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY
    from tests.support.server import free_port

    bucket = fresh_bucket(moto_endpoint)
    nowhere = S3Location(
        bucket,
        endpoint_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        region=REGION,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
    )
    down = make_s3_client(nowhere, max_attempts=1)
    up = S3BlobStore(s3_client(moto_endpoint), bucket)
    with make_backend(
        f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path, blobs=S3BlobStore(down, bucket)
    ) as backend:
        freelancer = backend.user("freelancer")
        contract = backend.hourly(backend.user("client"), freelancer)
        backend.clock.set(START + timedelta(hours=1))
        image = b"\xff\xd8\xff" + os.urandom(800)
        put = backend.put_slot(
            freelancer, contract, START, shot=image, taken_at=START + timedelta(minutes=2)
        )
        assert put.status_code == 201
        path = f"/contracts/{contract}/slots/{iso(START)}/shot"
        failed = backend.request("PUT", path, freelancer, data=image)
        assert failed.status_code == 503 and "retry" in failed.json()["detail"]
        again = backend.put_slot(
            freelancer, contract, START, shot=image, taken_at=START + timedelta(minutes=2)
        )
        assert again.status_code == 200 and again.json()["shot_expected"] is True
        backend.client.app.state.blobs = up  # the store is back
        assert backend.request("PUT", path, freelancer, data=image).status_code == 201
        seen = backend.request("GET", path, freelancer)
        assert seen.status_code == 200 and seen.content == image


def test_the_sweep_command_removes_old_orphans_of_the_configured_store(tmp_path: Path) -> None:
    """``workdiary-server sweep-blobs`` on the embedded set-up (local store, SQLite)."""
    import json
    import subprocess
    import sys

    data = tmp_path / "server"
    store = LocalBlobStore(data / "blobs")
    store.put("3/old-orphan", b"left by a crash")
    store.put("3/new-orphan", b"an upload whose row is about to commit")
    two_hours_ago = datetime.now(UTC).timestamp() - 7200
    os.utime(data / "blobs" / "3" / "old-orphan", (two_hours_ago, two_hours_ago))
    embedded = {
        k: v
        for k, v in os.environ.items()
        if k != "DATABASE_URL" and not k.startswith("WORKDIARY_")
    }
    result = subprocess.run(
        [sys.executable, "-m", "billing.cli", "sweep-blobs", "--data-dir", str(data)],
        env=embedded,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == {"removed": ["3/old-orphan"]}
    assert [info.key for info in store.iter_blobs()] == ["3/new-orphan"]
