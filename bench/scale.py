"""Benchmark: the scale-out set-up against the single-machine one, in one run.

Two set-ups on PostgreSQL, each behind ``workdiary-server serve --workers 4``:

- **scale-out**: slots partitioned by week (migration 0004), shots in S3 (a ``moto``
  server process on loopback);
- **baseline**: the unpartitioned slot table (the schema before 0004) and the local
  blob directory.

Ingest: 64 simulated trackers each sync one working day (48 slots) through the batch
path (``POST /contracts/{id}/slots``, one request per day) and then upload its 48 shots
(60 KiB each, one ``PUT`` per shot). Prints slots/s, shots/s and p99 latency per request
kind. Close: the week close over ``--contracts`` contracts (100 k by default) on each
schema, timed like ``bench/close_week.py``.

    .venv/bin/python bench/scale.py [--trackers 64] [--contracts 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tests.support.server as test_server
from bench.close_week import populated
from bench.ingest import login, make_contracts
from billing.db.migrate import alembic_config
from billing.services import week_close
from tests.support.db import fresh_database_url, migrated_engine
from tests.support.s3 import fresh_bucket, s3_env
from tests.support.server import free_port, running_server
from tracker.clock import utc

DAY = utc(2026, 11, 3)  # a Tuesday
SERVER_NOW = utc(2026, 11, 3, 23)
SLOTS_A_DAY = 48  # 8 hours
SHOT_BYTES = 60 * 1024
BEFORE_PARTITIONS = "0003_fixed_attachments"
CLOSE_AT = utc(2026, 11, 9)
# four workers importing the app on two busy cores can take longer than a test allows
test_server.START_TIMEOUT = 180.0


def unpartition(engine: Engine) -> None:
    """The schema before 0004, marked current so the server does not migrate it again."""
    config = alembic_config(engine)
    command.downgrade(config, BEFORE_PARTITIONS)
    command.stamp(config, "heads")


@contextmanager
def moto_server() -> Iterator[str]:
    """``moto_server`` in its own process (not sharing this one's GIL with the clients)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)  # waiting for a subprocess to listen, with a deadline
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def tracker_day(port: int, token: str, contract: int, latencies: dict[str, list[float]]) -> None:
    """One tracker's day: one batch of 48 slots, then its 48 shots."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    auth = {"Authorization": f"Bearer {token}"}
    shots = [os.urandom(SHOT_BYTES) for _ in range(SLOTS_A_DAY)]
    starts = [DAY + timedelta(hours=9, minutes=10 * i) for i in range(SLOTS_A_DAY)]
    slots = [
        {
            "slot_start": f"{start:%Y-%m-%dT%H:%M:%SZ}",
            "minutes": 10,
            "activity": [{"keyboard": 12, "mouse": 40}] * 10,
            "memo": "benchmark",
            "client_now": SERVER_NOW.isoformat(),
            "shot": {
                "taken_at": (start + timedelta(minutes=3)).isoformat(),
                "sha256": hashlib.sha256(shot).hexdigest(),
            },
        }
        for start, shot in zip(starts, shots, strict=True)
    ]
    body = json.dumps({"slots": slots})
    headers = {**auth, "Content-Type": "application/json"}
    _timed(
        connection,
        "POST",
        f"/api/v1/contracts/{contract}/slots",
        body,
        headers,
        200,
        latencies["batch"],
    )
    for start, shot in zip(starts, shots, strict=True):
        path = f"/api/v1/contracts/{contract}/slots/{start:%Y-%m-%dT%H:%M:%SZ}/shot"
        _timed(connection, "PUT", path, shot, auth, 201, latencies["shot"])
    connection.close()


def _timed(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: str | bytes,
    headers: dict[str, str],
    expected: int,
    into: list[float],
) -> None:
    began = time.perf_counter()
    connection.request(method, path, body, headers)
    response = connection.getresponse()
    response.read()
    into.append(time.perf_counter() - began)
    if response.status != expected:
        raise RuntimeError(f"{method} {path}: {response.status}")


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def ingest(label: str, trackers: int, s3_endpoint: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp, fresh_database_url("postgresql", Path(tmp)) as url:
        engine = migrated_engine(url)
        if s3_endpoint is None:
            unpartition(engine)
        engine.dispose()
        contracts = make_contracts(url, trackers)
        env = {} if s3_endpoint is None else s3_env(s3_endpoint, fresh_bucket(s3_endpoint))
        with running_server(
            Path(tmp) / "data", url, now=SERVER_NOW, extra_env=env, workers=4
        ) as server:
            port = int(server.base_url.rsplit(":", 1)[1])
            tokens = [(login(port, email), contract) for email, contract in contracts]
            latencies: dict[str, list[float]] = {"batch": [], "shot": []}
            threads = [
                threading.Thread(target=tracker_day, args=(port, token, contract, latencies))
                for token, contract in tokens
            ]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
        batch_time = sum(latencies["batch"]) / len(latencies["batch"])
        slots, shots = trackers * SLOTS_A_DAY, len(latencies["shot"])
        assert shots == slots, "a tracker failed (see its exception above)"
        print(
            f"{label:10s} ingest: {trackers} trackers, {slots} slots + {shots} shots in "
            f"{elapsed:5.1f} s = {slots / elapsed:6.0f} slots/s, {shots / elapsed:5.0f} shots/s;"
            f" p99 batch {1000 * p99(latencies['batch']):6.0f} ms (mean {1000 * batch_time:.0f}),"
            f" p99 shot PUT {1000 * p99(latencies['shot']):5.0f} ms",
            flush=True,
        )


def close(label: str, contracts: int, partitioned: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, fresh_database_url("postgresql", Path(tmp)) as url:
        engine = migrated_engine(url)
        if not partitioned:
            unpartition(engine)
        factory, setup = populated(engine, contracts)
        started = time.perf_counter()
        with factory() as session:
            closed = week_close.close_due(session, CLOSE_AT)
        elapsed = time.perf_counter() - started
        assert closed == contracts
        engine.dispose()
        print(
            f"{label:10s} close: {contracts:,d} contracts in {elapsed:5.1f} s = "
            f"{1e6 * elapsed / contracts:4.0f} µs/contract (set-up {setup:.0f} s)",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trackers", type=int, default=64)
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--skip-close", action="store_true")
    args = parser.parse_args(argv)
    with moto_server() as endpoint:
        ingest("scale-out", args.trackers, endpoint)
    ingest("baseline", args.trackers, None)
    if not args.skip_close:
        close("scale-out", args.contracts, partitioned=True)
        close("baseline", args.contracts, partitioned=False)


if __name__ == "__main__":
    main()
