"""Jobs catch up after downtime: a week that ended while no server ran is still closed.

A real ``serve`` with its scheduler on takes a slot on Wednesday, then is stopped. No
server runs while the week ends, locks and its review window passes. The server that
starts six weeks later closes, locks and finalizes that week by itself, and
(on PostgreSQL) creates the slot partitions of the weeks ahead of the one it woke up in.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from billing.db.session import make_engine
from tests.billing.test_server_week import _login, _people_and_contract
from tests.support.server import running_server
from tracker.clock import utc

# years ahead of the migration's own partitions, so the ones the jobs make are seen
WEDNESDAY = utc(2031, 3, 5, 12)
BACK = utc(2031, 4, 16, 9)  # six weeks later: the week was due to close, lock, finalize


def _invoices_when(server_url: str, http: Any, contract: int, wanted: str) -> list[Any]:
    """Poll the server's own scheduler (with a deadline) until an invoice is ``wanted``."""
    deadline = time.monotonic() + 30
    invoices: list[Any] = []
    while time.monotonic() < deadline:
        invoices = http.get(f"{server_url}/api/v1/contracts/{contract}/invoices", timeout=10).json()
        if invoices and invoices[0]["status"] == wanted:
            break
        time.sleep(0.1)
    return invoices


def _partition_exists(url: str, week: datetime) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            name = f"slots_w{week:%Y%m%d}"
            return connection.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is not None
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_week_missed_by_an_outage_is_closed_when_a_server_comes_back(
    database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "server"
    with running_server(data_dir, database_url, now=WEDNESDAY, jobs_interval=0.2) as server:
        contract = _people_and_contract(database_url)
        freelancer = _login(server, "f@w.test")
        body: dict[str, Any] = {
            "minutes": 10,
            "activity": [{"keyboard": 1, "mouse": 1}] * 10,
            "client_now": WEDNESDAY.isoformat(),
        }
        slot = f"{server.base_url}/api/v1/contracts/{contract}/slots/2031-03-05T09:00:00Z"
        assert freelancer.put(slot, json=body, timeout=10).status_code == 201
    # the outage: no server runs from Wednesday of week 1 to Friday of week 3
    with running_server(data_dir, database_url, now=BACK, jobs_interval=0.2) as server:
        client = _login(server, "c@w.test")
        invoices = _invoices_when(server.base_url, client, contract, "finalized")
        assert [(i["status"], i["total_cents"], i["week_start"][:10]) for i in invoices] == [
            ("finalized", 667, "2031-03-03")
        ]
    if database_url.startswith("postgresql"):
        # the weeks after the one it woke up in (the first run made only up to 2031-03-31)
        assert _partition_exists(database_url, utc(2031, 5, 12))
