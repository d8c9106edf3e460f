"""Benchmark: does a failed sign-in tell a known e-mail from an unknown one by its time?

The real server (uvicorn, in a thread of this process) at the production argon2 cost
(``Settings`` defaults: t=3, 64 MiB, p=4) answers ``POST /api/v1/auth/token`` with a
wrong password for a known e-mail and for unknown ones, interleaved, over loopback.
Prints each median, their ratio beside the target (within 25 %: 0.80–1.25), and one
JSON line at the end. The limits are raised so the throttle does not answer 429.

    PYTHONPATH=. python -m bench.sign_in_timing [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import requests

from billing.api.app import create_app
from billing.clock import ManualClock
from billing.config import Settings
from billing.db.accounts import create_user
from billing.db.session import unit_of_work
from tests.support.asgi_thread import serve_in_thread
from timekeeping.clock import utc

TARGET_LOW, TARGET_HIGH = 0.80, 1.25


def _timed(http: requests.Session, url: str, email: str) -> float:
    started = time.perf_counter()
    response = http.post(url, json={"email": email, "password": "wrong"}, timeout=60)
    elapsed = time.perf_counter() - started
    assert response.status_code == 401, response.text
    return elapsed


def measure(rounds: int) -> dict[str, float | int | bool]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        values: dict[str, object] = {
            "data_dir": data_dir,
            "database_url": f"sqlite:///{data_dir / 'billing.sqlite3'}",
            "sqlite_synchronous": "NORMAL",
            "jobs_interval_seconds": 0,
        }
        # only where the throttle exists: the same bench runs on the code before it
        limits = {"sign_in_account_failures": 10_000, "sign_in_address_failures": 10_000}
        values.update({key: n for key, n in limits.items() if key in Settings.model_fields})
        settings = Settings.model_validate(values)
        clock = ManualClock(utc(2026, 11, 2, 9))
        app = create_app(settings, clock, migrate=True)
        with unit_of_work(app.state.session_factory) as session:
            create_user(
                session,
                app.state.passwords,
                email="known@bench.example",
                password="the-right-one",
                role="client",
                now=clock.now(),
            )
        with serve_in_thread(app) as base_url, requests.Session() as http:
            url = f"{base_url}/api/v1/auth/token"
            _timed(http, url, "known@bench.example")  # warm the connection and the caches
            known, unknown = [], []
            for index in range(rounds):
                known.append(_timed(http, url, "known@bench.example"))
                unknown.append(_timed(http, url, f"ghost{index}@bench.example"))
    known_ms = statistics.median(known) * 1000
    unknown_ms = statistics.median(unknown) * 1000
    ratio = unknown_ms / known_ms
    return {
        "rounds": rounds,
        "known_median_ms": round(known_ms, 2),
        "unknown_median_ms": round(unknown_ms, 2),
        "ratio": round(ratio, 3),
        "target_low": TARGET_LOW,
        "target_high": TARGET_HIGH,
        "within_target": TARGET_LOW <= ratio <= TARGET_HIGH,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    result = measure(args.rounds)
    print(f"known e-mail, wrong password: median {result['known_median_ms']} ms")
    print(f"unknown e-mail:               median {result['unknown_median_ms']} ms")
    print(
        f"ratio unknown/known: {result['ratio']} "
        f"(target {TARGET_LOW}–{TARGET_HIGH}: {'met' if result['within_target'] else 'MISSED'})"
    )
    print(json.dumps({"bench": "sign_in_timing", **result}))


if __name__ == "__main__":
    main()
