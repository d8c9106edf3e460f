"""Idle time discarded after sync: the real tracker uploader against the real
``workdiary-server serve`` on SQLite and PostgreSQL. The server applies the shorter body
as an audited shrink (the wire contract of ``SlotPut``): the kept minutes stay billed,
the discarded ones are unbilled, an audit record is written, and nothing is rejected.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.models import AuditRecord
from billing.db.session import make_engine, make_session_factory, unit_of_work
from billing.passwords import Passwords
from sync.api import ApiClient
from sync.retry import Backoff
from sync.uploader import Uploader
from tests.support.server import RunningServer, running_server
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.diary import write_slot
from tracker.clock import ManualClock, utc
from tracker.store import Store

MONDAY = utc(2026, 11, 2)
NINE = MONDAY + timedelta(hours=9)


@dataclass
class Shrinking:
    server: RunningServer
    database_url: str
    contract_id: int
    token: str
    store: Store
    clock: ManualClock
    uploader: Uploader

    def contract(self) -> dict[str, Any]:
        answer = requests.get(
            f"{self.server.base_url}/api/v1/me/contracts",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        answer.raise_for_status()
        [contract] = answer.json()
        return dict(contract)

    def diary_minutes(self) -> list[int]:
        answer = requests.get(
            f"{self.server.base_url}/api/v1/contracts/{self.contract_id}/diary",
            params={"week": MONDAY.date().isoformat()},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        answer.raise_for_status()
        return [slot["minutes"] for slot in answer.json()["slots"]]

    def audit(self) -> list[tuple[str, dict[str, Any]]]:
        engine = make_engine(self.database_url)
        try:
            with unit_of_work(make_session_factory(engine)) as session:
                rows = session.execute(
                    select(AuditRecord.action, AuditRecord.detail)
                    .where(AuditRecord.contract_id == self.contract_id)
                    .order_by(AuditRecord.id)
                ).all()
                return [(str(action), dict(detail)) for action, detail in rows]
        finally:
            engine.dispose()


def _seed(url: str, cap_minutes: int | None) -> int:
    engine = make_engine(url)
    passwords = Passwords.with_cost(1, 1024, 1)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            client, freelancer = (
                create_user(
                    session,
                    passwords,
                    email=f"{role}@shrink.test",
                    password="pw",
                    role=role,
                    now=MONDAY,
                )
                for role in ("client", "freelancer")
            )
            contract = create_hourly_contract(
                session,
                client=client,
                freelancer=freelancer,
                title="Shrink",
                currency="USD",
                rate_cents=6000,
                now=MONDAY,
                weekly_cap_minutes=cap_minutes,
            )
            return contract.id
    finally:
        engine.dispose()


@contextmanager
def shrinking(
    database_url: str, tmp_path: Path, cap_minutes: int | None = None
) -> Iterator[Shrinking]:
    clock = ManualClock(NINE + timedelta(hours=3))
    with (
        running_server(tmp_path / "server", database_url, now=clock.now()) as server,
        Store(tmp_path / "tracker", TEST_SHOT_KEYS) as store,
    ):
        contract_id = _seed(database_url, cap_minutes)
        token = requests.post(
            f"{server.base_url}/api/v1/auth/token",
            json={"email": "freelancer@shrink.test", "password": "pw"},
            timeout=10,
        ).json()["access_token"]
        api = ApiClient(server.base_url, token, timeout=(2.0, 10.0))
        uploader = Uploader(store, api, clock, Backoff(random.Random(2), 0.1, 1.0))
        yield Shrinking(server, database_url, contract_id, token, store, clock, uploader)
        api.close()


def test_idle_discarded_after_sync_keeps_the_rest_billed_and_audited(
    database_url: str, tmp_path: Path
) -> None:
    with shrinking(database_url, tmp_path) as case:
        rng = random.Random(4)
        slots = [
            write_slot(case.store, case.contract_id, NINE + timedelta(minutes=10 * n), rng)
            for n in range(3)
        ]
        case.uploader.drain()
        assert case.diary_minutes() == [10, 10, 10]
        # the freelancer discards idle time reaching into two synced slots: the last
        # four minutes of the first, all of the second
        first, second = slots[0].slot_start, slots[1].slot_start
        case.store.remove_minutes(case.contract_id, first, [6, 7, 8, 9], case.clock.now())
        case.store.remove_minutes(case.contract_id, second, range(10), case.clock.now())
        case.uploader.drain()

        stored = case.store.get_slot(case.contract_id, first)
        assert stored is not None and stored.minute_count == 6
        assert (stored.sync_state, stored.sync_reason) == ("synced", None)
        assert case.store.get_slot(case.contract_id, second) is None  # tombstone sent
        assert case.uploader.signals.state.rejected == 0
        assert case.diary_minutes() == [6, 10]
        contract = case.contract()
        assert (contract["week_logged_minutes"], contract["week_billable_minutes"]) == (16, 16)
        # deletions go first in a pass
        assert case.audit() == [
            ("slot_deleted", {"minutes": 10, "had_shot": True}),
            ("slot_shrunk", {"minutes_before": 10, "minutes_after": 6}),
        ]
        # sent again (the reply was lost): the same shorter body is a plain replay
        replay = case.uploader.api.put_slot(stored, case.clock.now())
        assert replay.over_limit_minutes == 0 and len(case.audit()) == 2
        assert case.diary_minutes() == [6, 10]


def test_a_shrink_frees_cap_for_minutes_over_the_limit(database_url: str, tmp_path: Path) -> None:
    with shrinking(database_url, tmp_path, cap_minutes=60) as case:
        rng = random.Random(5)
        slots = [
            write_slot(case.store, case.contract_id, NINE + timedelta(minutes=10 * n), rng)
            for n in range(7)
        ]
        case.uploader.drain()
        assert case.contract()["week_billable_minutes"] == 60  # the seventh slot is over
        case.store.remove_minutes(
            case.contract_id, slots[0].slot_start, [7, 8, 9], case.clock.now()
        )
        case.uploader.drain()
        contract = case.contract()
        assert (contract["week_logged_minutes"], contract["week_billable_minutes"]) == (67, 60)
        assert case.uploader.signals.state.rejected == 0


def test_a_shrink_is_refused_once_the_week_is_locked_and_a_changed_minute_is_no_shrink(
    database_url: str, tmp_path: Path
) -> None:
    with shrinking(database_url, tmp_path) as case:
        rng = random.Random(6)
        slots = [
            write_slot(case.store, case.contract_id, NINE + timedelta(minutes=10 * n), rng)
            for n in range(2)
        ]
        case.uploader.drain()
        # a body whose kept minutes differ from the held ones is a conflict, not a shrink
        held = slots[1]
        path = f"{case.server.base_url}/api/v1/contracts/{case.contract_id}/slots/{held.key}"
        body: dict[str, Any] = {
            "minutes": 9,
            "activity": [
                {"keyboard": m.key_events + 1, "mouse": m.mouse_events} for m in held.minutes[:9]
            ],
            "memo": held.memo,
            "shot": None
            if held.shot is None
            else {"taken_at": held.shot.taken_at.isoformat(), "sha256": held.shot.sha256},
            "client_now": case.clock.now().isoformat(),
        }
        answer = requests.put(
            path, json=body, headers={"Authorization": f"Bearer {case.token}"}, timeout=10
        )
        assert answer.status_code == 409 and "different body" in answer.json()["detail"]

        locked_at = MONDAY + timedelta(days=7, hours=12)
        case.clock.advance(locked_at - case.clock.now())
        case.server.set_now(locked_at)
        case.server.run_jobs(locked_at)
        case.store.remove_minutes(case.contract_id, slots[0].slot_start, [9], case.clock.now())
        case.uploader.drain()
        stored = case.store.get_slot(case.contract_id, slots[0].slot_start)
        assert stored is not None
        assert (stored.sync_state, stored.sync_reason) == ("rejected", "week locked")
        assert case.diary_minutes() == [10, 10]
        assert case.audit() == []
