"""Benchmark: single-slot PUT/s against the server's no-op GET ceiling, in one run.

16 clients (threads, one keep-alive connection and one contract each), one uvicorn
worker, SQLite with synchronous=FULL: the figure issue 13 sets a target for (single PUT
at ≥ 30 % of the no-op ``GET /api/v1/health`` rate). The batch path is measured beside
it for reference. Prints each figure beside its target, then one JSON line.

Beside the rates it prints the server process's CPU time per request in each phase
(from ``/proc``): on a shared, loaded machine the rates move with the load, the CPU cost
of a request much less.

    .venv/bin/python bench/put_throughput.py [--slots 3000] [--clients 16]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tests.support.server
from bench.ingest import (
    SERVER_NOW,
    login,
    make_contracts,
    no_op_baseline,
    run_together,
    upload,
    upload_batches,
)
from tests.support.db import fresh_database_url
from tests.support.server import running_server

TARGET_RATIO = 0.30

# this machine kind is shared: a server can take longer than the tests' 30 s to start
tests.support.server.START_TIMEOUT = 120.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(slots: int, clients: int, batch: int) -> dict[str, float]:
    per_client = slots // clients
    with tempfile.TemporaryDirectory() as tmp, fresh_database_url("sqlite", Path(tmp)) as url:
        contracts = make_contracts(url, clients)
        env = {"WORKDIARY_SQLITE_SYNCHRONOUS": "FULL"}
        with running_server(Path(tmp) / "data", url, now=SERVER_NOW, extra_env=env) as server:
            port = int(server.base_url.rsplit(":", 1)[1])
            tokens = [(login(port, email), contract) for email, contract in contracts]
            before = cpu_seconds(server.pid)
            ceiling = no_op_baseline(port, clients, slots)
            after_gets = cpu_seconds(server.pid)
            failures: list[str] = []
            start = threading.Barrier(clients + 1)
            threads = [
                threading.Thread(
                    target=upload,
                    args=(port, token, contract, per_client, start, failures),
                )
                for token, contract in tokens
            ]
            single = per_client * clients / run_together(threads, start)
            after_puts = cpu_seconds(server.pid)
            start = threading.Barrier(clients + 1)
            batch_failures: list[str] = []
            # the same clients again, a week later's worth of slot starts is not needed:
            # the batch path replays the same slots (200, same body) at its own cost
            threads = [
                threading.Thread(
                    target=upload_batches,
                    args=(port, token, contract, per_client, batch, start, batch_failures),
                )
                for token, contract in tokens
            ]
            batched = per_client * clients / run_together(threads, start)
    if failures:
        raise SystemExit(f"{len(failures)} single PUTs failed: {failures[:5]}")
    gets, puts = slots // clients * clients, per_client * clients
    return {
        "get_ceiling_per_s": ceiling,
        "put_per_s": single,
        "batch_replay_slots_per_s": batched,
        "get_cpu_ms": 1000 * (after_gets - before) / gets,
        "put_cpu_ms": 1000 * (after_puts - after_gets) / puts,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slots", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    figures = measure(args.slots, args.clients, args.batch)
    ratio = figures["put_per_s"] / figures["get_ceiling_per_s"]
    print(f"no-op GET ceiling      {figures['get_ceiling_per_s']:7.0f} req/s")
    print(f"single slot PUT        {figures['put_per_s']:7.0f} slots/s")
    print(f"batch replay ({args.batch:3d})     {figures['batch_replay_slots_per_s']:7.0f} slots/s")
    get_cpu, put_cpu = figures["get_cpu_ms"], figures["put_cpu_ms"]
    print(
        f"server CPU per request  GET {get_cpu:.2f} ms, PUT {put_cpu:.2f} ms"
        f"   (GET / PUT {get_cpu / put_cpu:.1%})"
    )
    print(
        f"PUT / GET ceiling      {ratio:7.1%}   target >= {TARGET_RATIO:.0%}"
        f"   {'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )
    print(
        json.dumps(
            {
                "bench": "put_throughput",
                "clients": args.clients,
                "workers": 1,
                "sqlite_synchronous": "FULL",
                **{k: round(v, 2) for k, v in figures.items()},
                "put_over_get": round(ratio, 4),
                "target": TARGET_RATIO,
            }
        )
    )


if __name__ == "__main__":
    main()
