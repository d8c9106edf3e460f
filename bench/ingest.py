"""Benchmark: slot ingest through the running server (uvicorn) over loopback.

N concurrent clients (threads with a keep-alive connection each, one contract each) PUT
10-minute slots as the tracker does — one PUT per slot (the v1 wire contract) and in
batches (``POST /contracts/{id}/slots``); prints slots/s for SQLite (synchronous=FULL, the
default, and NORMAL) and PostgreSQL, with one and two server processes.

    .venv/bin/python bench/ingest.py [--slots 3000] [--clients 16] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.session import make_session_factory, unit_of_work
from billing.passwords import Passwords
from tests.support.db import fresh_database_url, migrated_engine
from tests.support.server import running_server
from timekeeping.clock import utc

WEEK = utc(2026, 11, 2)
SERVER_NOW = utc(2026, 11, 8, 23, 59)  # the end of the week: every slot is in the past


def make_contracts(url: str, clients: int) -> list[tuple[str, int]]:
    engine = migrated_engine(url)
    factory = make_session_factory(engine)
    passwords = Passwords.with_cost(1, 1024, 1)
    made = []
    with unit_of_work(factory) as session:
        client = create_user(
            session, passwords, email="client@bench.test", password="pw", role="client", now=WEEK
        )
        for index in range(clients):
            email = f"f{index}@bench.test"
            freelancer = create_user(
                session, passwords, email=email, password="pw", role="freelancer", now=WEEK
            )
            contract = create_hourly_contract(
                session,
                client=client,
                freelancer=freelancer,
                title="bench",
                currency="USD",
                rate_cents=4000,
                now=WEEK,
                weekly_cap_minutes=None,
            )
            made.append((email, contract.id))
    engine.dispose()
    return made


def login(port: int, email: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST",
        "/api/v1/auth/token",
        json.dumps({"email": email, "password": "pw"}),
        {"Content-Type": "application/json"},
    )
    token = json.loads(connection.getresponse().read())["access_token"]
    connection.close()
    return str(token)


def upload(
    port: int, token: str, contract: int, count: int, start: threading.Barrier, failures: list[str]
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    body = json.dumps(
        {
            "minutes": 10,
            "activity": [{"keyboard": 12, "mouse": 40}] * 10,
            "memo": "benchmark",
            "client_now": SERVER_NOW.isoformat(),
        }
    )
    start.wait()
    for index in range(count):
        slot = WEEK + timedelta(minutes=10 * index)
        connection.request(
            "PUT", f"/api/v1/contracts/{contract}/slots/{slot:%Y-%m-%dT%H:%M:%SZ}", body, headers
        )
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            failures.append(f"{response.status}")
    connection.close()


def upload_batches(
    port: int,
    token: str,
    contract: int,
    count: int,
    batch: int,
    start: threading.Barrier,
    failures: list[str],
) -> None:
    """The same slots through ``POST /contracts/{id}/slots``, ``batch`` at a time."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    slot = {
        "minutes": 10,
        "activity": [{"keyboard": 12, "mouse": 40}] * 10,
        "memo": "benchmark",
        "client_now": SERVER_NOW.isoformat(),
    }
    start.wait()
    for first in range(0, count, batch):
        starts = [WEEK + timedelta(minutes=10 * i) for i in range(first, min(first + batch, count))]
        body = json.dumps(
            {"slots": [{"slot_start": f"{s:%Y-%m-%dT%H:%M:%SZ}", **slot} for s in starts]}
        )
        connection.request("POST", f"/api/v1/contracts/{contract}/slots", body, headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200 or any(r["status"] != 201 for r in json.loads(answer)["results"]):
            failures.append(f"{response.status}")
    connection.close()


def run_together(threads: list[threading.Thread], start: threading.Barrier) -> float:
    """Seconds from the moment every thread is past ``start`` until all have finished."""
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def no_op_baseline(port: int, clients: int, requests: int) -> float:
    """Requests/s of ``GET /api/v1/health`` (no database, no auth) with the same clients:
    the ceiling this machine puts on any per-request endpoint."""
    start = threading.Barrier(clients + 1)

    def hammer() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        for _ in range(requests // clients):
            connection.request("GET", "/api/v1/health")
            connection.getresponse().read()
        connection.close()

    threads = [threading.Thread(target=hammer) for _ in range(clients)]
    return (requests // clients * clients) / run_together(threads, start)


def bench(kind: str, synchronous: str, workers: int, slots: int, clients: int, batch: int) -> None:
    per_client = slots // clients
    assert per_client <= 1008, "one week holds 1008 slots per contract"
    with tempfile.TemporaryDirectory() as tmp, fresh_database_url(kind, Path(tmp)) as url:
        contracts = make_contracts(url, clients)
        env = {"WORKDIARY_SQLITE_SYNCHRONOUS": synchronous}
        with running_server(
            Path(tmp) / "data", url, now=SERVER_NOW, extra_env=env, workers=workers
        ) as server:
            port = int(server.base_url.rsplit(":", 1)[1])
            tokens = [(login(port, email), contract) for email, contract in contracts]
            start = threading.Barrier(clients + 1)
            failures: list[str] = []
            threads = [
                threading.Thread(
                    target=upload_batches if batch > 1 else upload,
                    args=(port, token, contract, per_client)
                    + ((batch,) if batch > 1 else ())
                    + (start, failures),
                )
                for token, contract in tokens
            ]
            elapsed = run_together(threads, start)
            ceiling = no_op_baseline(port, clients, slots)
        total = per_client * clients
        label = f"{kind} ({synchronous})" if kind == "sqlite" else kind
        label += f" batch={batch}" if batch > 1 else " single PUT"
        print(
            f"{label:32s} workers={workers} clients={clients:3d}: {total} slots in {elapsed:6.2f} s"
            f" = {total / elapsed:7.0f} slots/s ({1000 * elapsed / total * clients:5.1f} ms/request"
            f" per client); no-op GET ceiling {ceiling:5.0f}/s"
            f"{'  FAILURES: ' + str(len(failures)) if failures else ''}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slots", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--batches", default="1,100", help="1 = single PUTs; N = batches of N")
    args = parser.parse_args()
    for kind in args.backends.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            for synchronous in ("FULL", "NORMAL") if kind == "sqlite" else ("-",):
                for batch in (int(b) for b in args.batches.split(",")):
                    bench(kind, synchronous, workers, args.slots, args.clients, batch)


if __name__ == "__main__":
    main()
