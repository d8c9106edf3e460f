"""Benchmark: catching up after 72 h offline, through the real server over loopback.

A tracker store holds 72 hours of finished slots (432, each with a ~60 KiB shot), none
synced: the laptop was offline. The real sync client (``sync.uploader.Uploader`` over
``sync.api.ApiClient``) first fails against a server it cannot reach (a loopback proxy
that refuses connections), which marks it offline; then the proxy lets connections
through and the clock starts: from that reconnect until every slot is marked synced,
through the health probe, the batch endpoint and one PUT per shot. The same is timed
with the batch endpoint unavailable (one PUT per slot, the old path) for the ratio.
Checks that the server holds each slot exactly once. Prints the figure beside the
target (≤ 10 s), then one JSON line.

    .venv/bin/python bench/catch_up.py [--hours 72] [--shot-kib 60]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image
from sqlalchemy import func, select

import tests.support.server
from bench.ingest import login, make_contracts
from bench.put_throughput import cpu_seconds
from billing.db.models import Slot as ServerSlot
from billing.db.session import make_engine
from diarychain.ingest import SignedRun
from sync.api import ApiClient
from sync.errors import ApiError
from sync.retry import Backoff
from sync.uploader import Uploader
from sync.wire import BatchItem
from tests.support.db import fresh_database_url
from tests.support.faulty_proxy import FaultPlan, FaultyProxy
from tests.support.server import running_server
from tests.support.shot_keys import TEST_SHOT_KEYS
from timekeeping.clock import utc
from tracker.clock import ManualClock
from tracker.shot import EncodedShot
from tracker.slots import SLOT_LENGTH
from tracker.store import MinuteActivity, Slot, Store

TARGET_SECONDS = 10.0
OFFLINE_FROM = utc(2026, 11, 2)  # Monday 00:00 UTC; 72 h later is Thursday 00:00
NO_FAULTS = FaultPlan(drop_before=0, drop_after=0, delay=0, stall=0)

# this machine kind is shared: a server can take longer than the tests' 30 s to start
tests.support.server.START_TIMEOUT = 120.0


def shot_bytes(rng: random.Random, kib: int) -> bytes:
    """A real JPEG of about ``kib`` KiB (noise over a gradient), different each call."""
    side = int((kib * 1024 / 1.3) ** 0.5)
    image = Image.effect_noise((side, side), 40 + rng.randrange(20)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def write_offline(store: Store, contract_id: int, slots: int, kib: int, rng: random.Random) -> None:
    for n in range(slots):
        start = OFFLINE_FROM + n * SLOT_LENGTH
        image = shot_bytes(rng, kib)
        taken = start + timedelta(seconds=rng.uniform(0, 599))
        shot = store.save_shot(
            contract_id,
            start,
            EncodedShot(image, "image/jpeg", 1, 1, image[:64], "image/jpeg", taken),
        )
        minutes = tuple(
            MinuteActivity(i, rng.randrange(200), rng.randrange(2000)) for i in range(10)
        )
        store.write_slot(
            Slot(
                contract_id=contract_id,
                slot_start=start,
                memo="offline work",
                minutes=minutes,
                shot=shot,
                shot_state="taken",
            )
        )


class SinglePutsOnly(ApiClient):
    """The client as it was before the batch path: the batch endpoint 'is not there'."""

    def put_slots(
        self,
        contract_id: int,
        slots: list[Slot],
        client_time: datetime,
        runs: Sequence[SignedRun | None] = (),
    ) -> list[BatchItem]:
        raise ApiError(404, "no batch endpoint")


def catch_up(
    url: str,
    token: str,
    contract_id: int,
    slots: int,
    kib: int,
    now: datetime,
    client: type[ApiClient],
    work: Path,
    server_pid: int,
) -> dict[str, float]:
    with Store(work / f"tracker-{contract_id}", TEST_SHOT_KEYS) as store:
        write_offline(store, contract_id, slots, kib, random.Random(contract_id))
        clock = ManualClock(now)
        with FaultyProxy(_address(url), random.Random(1), NO_FAULTS) as proxy:
            uploader = Uploader(
                store, client(proxy.url, token), clock, Backoff(random.Random(2), 1.0, 30.0)
            )
            proxy.down()
            assert uploader.run_pass().failure is not None and uploader.offline
            proxy.up()  # the network is back: from here on the clock runs
            server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
            began = time.perf_counter()
            passes = uploader.drain(sleep=clock.advance)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - began
            server_cpu = cpu_seconds(server_pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            exchanges = proxy.stats.total
        synced = sum(s.sync_state == "synced" for s in store.slots_between(OFFLINE_FROM, now))
    if synced != slots:
        raise SystemExit(f"only {synced} of {slots} slots were marked synced")
    return {
        "seconds": elapsed,
        "passes": passes,
        "requests": exchanges,
        # where the CPU went meanwhile: the server, and this process (the client, the proxy)
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
    }


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def held_once(database_url: str, contract_id: int, slots: int) -> bool:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(func.count(), func.count(func.distinct(ServerSlot.slot_start))).where(
                ServerSlot.contract_id == contract_id, ServerSlot.shot_blob_key.is_not(None)
            )
        ).one()
    engine.dispose()
    return tuple(rows) == (slots, slots)


def report(hours: int, slots: int, kib: int, results: dict[str, dict[str, float]]) -> None:
    batch = results["batch"]
    print(f"catch-up of {hours} h offline: {slots} slots + {slots} shots (~{kib} KiB)")
    print(
        f"  batch path      {batch['seconds']:6.2f} s  ({batch['requests']:.0f} requests, "
        f"{batch['passes']:.0f} passes)   target <= {TARGET_SECONDS:.0f} s   "
        f"{'met' if batch['seconds'] <= TARGET_SECONDS else 'NOT met'}"
    )
    print(
        f"  CPU meanwhile   server {batch['server_cpu_s']:.2f} s, "
        f"client and proxy {batch['client_cpu_s']:.2f} s"
    )
    if "single" in results:
        single = results["single"]
        print(
            f"  one PUT a slot  {single['seconds']:6.2f} s  ({single['requests']:.0f} requests)"
            f"   batch is {single['seconds'] / batch['seconds']:.2f}x faster"
        )
    figures = {
        f"{label}_{key}": round(value, 3)
        for label, run in results.items()
        for key, value in run.items()
    }
    print(json.dumps({"bench": "catch_up", "hours": hours, "slots": slots, "shot_kib": kib,
                      "target_seconds": TARGET_SECONDS, **figures}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=int, default=72)
    parser.add_argument("--shot-kib", type=int, default=60)
    parser.add_argument("--skip-single", action="store_true", help="batch path only")
    args = parser.parse_args()
    slots = args.hours * 6
    now = OFFLINE_FROM + timedelta(hours=args.hours, minutes=30)
    results: dict[str, dict[str, float]] = {}
    runs = [("batch", ApiClient), ("single", SinglePutsOnly)][: 1 if args.skip_single else 2]
    with tempfile.TemporaryDirectory() as tmp, fresh_database_url("sqlite", Path(tmp)) as url:
        contracts = make_contracts(url, 2)
        env = {"WORKDIARY_SQLITE_SYNCHRONOUS": "FULL"}
        with running_server(Path(tmp) / "data", url, now=now, extra_env=env) as server:
            port = int(server.base_url.rsplit(":", 1)[1])
            for (label, client), (email, contract_id) in zip(runs, contracts, strict=False):
                token = login(port, email)
                results[label] = catch_up(
                    server.base_url, token, contract_id, slots, args.shot_kib, now, client,
                    Path(tmp), server.pid,
                )
                if not held_once(url, contract_id, slots):
                    raise SystemExit(f"{label}: the server does not hold each slot exactly once")
    report(args.hours, slots, args.shot_kib, results)


if __name__ == "__main__":
    main()
