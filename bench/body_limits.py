"""Benchmark: what a huge request body costs the running server (uvicorn, SQLite).

Sends one body of ``--mib`` MiB (default 1024) four ways — the anonymous
``POST /api/v1/auth/token`` and a freelancer's shot upload, each with
``Content-Length`` and chunked — and prints the server's resident set before, its
peak (``VmHWM``) after each body, the status and how much of the body went out (the
client stops sending once the server has answered, as an HTTP client reading early
responses does). Target: the peak grows by < 64 MiB. ``--code DIR`` runs the server
from another checkout (e.g. the one before body limits) for a before/after figure.

    .venv/bin/python bench/body_limits.py [--mib 1024] [--code /path/to/checkout]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.session import make_engine, make_session_factory, sqlite_url, unit_of_work
from billing.passwords import Passwords
from tests.support.big_body import peak_rss_bytes, send_body
from tests.support.server import RunningServer, running_server
from timekeeping.clock import utc

MIB = 1024 * 1024
TARGET_MIB = 64
NOW = utc(2026, 11, 4, 12)
SLOT = utc(2026, 11, 4, 9)
IMAGE = b"\xff\xd8\xff" + bytes(2000)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def freelancer_with_a_slot(server: RunningServer) -> tuple[str, str]:
    """A freelancer's bearer header and the shot path of a slot that expects a shot."""
    import requests

    engine = make_engine(sqlite_url(server.data_dir))
    passwords = Passwords.with_cost(1, 1024, 1)
    with unit_of_work(make_session_factory(engine)) as session:
        people = [
            create_user(session, passwords, email=f"{r}@b.test", password="pw", role=r, now=NOW)
            for r in ("client", "freelancer")
        ]
        contract = create_hourly_contract(
            session,
            client=people[0],
            freelancer=people[1],
            title="bench",
            currency="USD",
            rate_cents=4000,
            now=NOW,
            weekly_cap_minutes=None,
        ).id
    engine.dispose()
    base = server.base_url
    login = {"email": "freelancer@b.test", "password": "pw"}
    token = requests.post(f"{base}/api/v1/auth/token", json=login, timeout=30).json()[
        "access_token"
    ]
    auth = f"Bearer {token}"
    path = f"/api/v1/contracts/{contract}/slots/{SLOT:%Y-%m-%dT%H:%M:%SZ}"
    body: dict[str, Any] = {
        "minutes": 10,
        "activity": [{"keyboard": 1, "mouse": 1}] * 10,
        "memo": "bench",
        "client_now": NOW.isoformat(),
        "shot": {
            "taken_at": (SLOT + timedelta(minutes=1)).isoformat(),
            "sha256": hashlib.sha256(IMAGE).hexdigest(),
        },
    }
    answer = requests.put(base + path, json=body, headers={"Authorization": auth}, timeout=30)
    assert answer.status_code == 201, answer.text
    return auth, f"{path}/shot"


def run(mib: int, code: str | None) -> dict[str, object]:
    extra = {"PYTHONPATH": code} if code else {}
    if code:
        os.chdir(code)  # `python -m billing.cli` imports from its working directory first
    with tempfile.TemporaryDirectory() as tmp, running_server(
        Path(tmp) / "server", now=NOW, extra_env=extra
    ) as server:
        auth, shot = freelancer_with_a_slot(server)
        baseline = rss_bytes(server.pid)
        print(f"server RSS before: {baseline / MIB:.0f} MiB; body: {mib} MiB each", flush=True)
        cases = []
        for label, method, path, headers in [
            ("auth/token", "POST", "/api/v1/auth/token", {"Content-Type": "application/json"}),
            ("shot", "PUT", shot, {"Authorization": auth, "Content-Type": "image/jpeg"}),
        ]:
            for chunked in (False, True):
                try:
                    status, _, sent = send_body(
                        server.base_url, method, path, headers, mib * MIB, chunked=chunked,
                        timeout=600,
                    )
                except ConnectionError as error:
                    status, sent = 0, -1
                    print(f"  ({error})")
                peak = peak_rss_bytes(server.pid)
                case = {
                    "route": label,
                    "framing": "chunked" if chunked else "content-length",
                    "status": status,
                    "sent_mib": round(sent / MIB, 1),
                    "peak_growth_mib": round((peak - baseline) / MIB, 1),
                    "rss_after_mib": round((rss_bytes(server.pid) - baseline) / MIB, 1),
                }
                cases.append(case)
                print(
                    f"  {label:10s} {case['framing']:14s} → {status}; sent {case['sent_mib']:7.1f}"
                    f" MiB; peak RSS +{case['peak_growth_mib']:7.1f} MiB (target < {TARGET_MIB});"
                    f" kept +{case['rss_after_mib']:.1f} MiB",
                    flush=True,
                )
        growth = (peak_rss_bytes(server.pid) - baseline) / MIB
    return {"body_mib": mib, "peak_growth_mib": round(growth, 1), "cases": cases}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--code", default=None, help="run the server from this checkout")
    args = parser.parse_args()
    result = run(args.mib, args.code)
    verdict = "meets" if result["peak_growth_mib"] < TARGET_MIB else "MISSES"  # type: ignore[operator]
    print(
        f"peak RSS growth over all bodies: {result['peak_growth_mib']} MiB vs target"
        f" < {TARGET_MIB} MiB ({verdict} the target)"
    )
    print(json.dumps({"bench": "body_limits", "target_mib": TARGET_MIB, **result}))


if __name__ == "__main__":
    main()
